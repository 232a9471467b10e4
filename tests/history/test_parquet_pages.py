"""The two Parquet page writers of the income export (arro3's, used when installed, and pyarrow's)
write equal tables with the same schema, in row groups of ``batch_size`` rows whatever the pages,
with a dictionary for the text columns only; arro3's writer thread hands its failures to the caller
and is gone after ``close``, and a process writing with it never loads pyarrow."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from binance_usdm._wire.income_rows import IncomeRow
from binance_usdm.income_export import COLUMNS, Arro3ParquetPages, IncomePageWriter, ParquetPages, open_page_writer


@pytest.fixture(scope="module", autouse=True)
def pq() -> ModuleType:
    """pyarrow.parquet (and arro3), imported when these tests run: at collection they would cost every
    worker ~0.2 s."""
    pytest.importorskip("arro3.io")
    return pytest.importorskip("pyarrow.parquet")

WRITERS = [Arro3ParquetPages, ParquetPages]
DICTIONARY = {"symbol", "income_type", "asset", "info", "trade_id"}


def _row(i: int, **values: Any) -> IncomeRow:
    fields: dict[str, Any] = {
        "symbol": "BTCUSDT", "income_type": "FUNDING_FEE", "income_str": "-1.23456789", "asset": "USDT",
        "time_ms": 1_700_000_000_000 + i, "tran_id": i,
    }
    return IncomeRow(**{**fields, **values})


ODD = [  # values an export meets: each is a case of the written table
    _row(0, time_ms=0, symbol=""),  # time 0 ("never"): null; no symbol
    _row(1, income_str="-0", info='x,"y"\nz', trade_id="17"),
    _row(2, income_str="99999999999999999999.999999999999999999", asset="ünï"),
    _row(3, income_str="-99999999999999999999.123456789012345678", info="日本"),
    _row(4, income_str="0.100000000000000000000", income_type="SOME_NEW_KIND"),  # zeros past the 18th decimal
    _row(5, income_str="0.00000000", tran_id=2**63 - 1),
    _row(6, income_str="1234567890.123456789012345678", tran_id=-(2**63)),
]


def _pages(sizes: list[int]) -> list[list[IncomeRow]]:
    pages, first = [], 0
    for size in sizes:
        pages.append([_row(i) for i in range(first, first + size)])
        first += size
    return pages


def _write(writer_type: type[IncomePageWriter], path: Path, pages: list[list[IncomeRow]], **options: Any) -> None:
    with writer_type(path, **options) as writer:
        for page in pages:
            writer.write(page)


def _writer_thread_left() -> bool:
    return any(thread.name == "parquet writer" for thread in threading.enumerate())


def test_both_writers_write_the_same_table(pq: ModuleType, tmp_path: Path) -> None:
    pages = [ODD[:3], [], ODD[3:], *_pages([1000, 1])]
    _write(Arro3ParquetPages, tmp_path / "arro3.parquet", pages, batch_size=500)
    _write(ParquetPages, tmp_path / "pyarrow.parquet", pages, batch_size=500)
    arro3, pyarrow = pq.read_table(tmp_path / "arro3.parquet"), pq.read_table(tmp_path / "pyarrow.parquet")
    assert arro3.equals(pyarrow)
    assert pq.read_schema(tmp_path / "arro3.parquet").equals(pq.read_schema(tmp_path / "pyarrow.parquet"))
    assert arro3.column_names == list(COLUMNS) and arro3.num_rows == len(ODD) + 1001
    assert arro3.column("time").null_count == 1
    assert str(arro3.column("income")[3]) == "-99999999999999999999.123456789012345678"


@pytest.mark.parametrize("writer_type", WRITERS)
@pytest.mark.parametrize("sizes", [[999, 1, 2500, 3001, 7, 1492], [6000], [2499, 2], [1] * 30, []])
def test_row_groups_bounded_whatever_the_pages(pq: ModuleType, tmp_path: Path, writer_type: type[IncomePageWriter],
                                               sizes: list[int]) -> None:
    """Every row group but the last holds exactly ``batch_size`` rows."""
    _write(writer_type, tmp_path / "x.parquet", _pages(sizes), batch_size=2500)
    rows = sum(sizes)
    metadata = pq.ParquetFile(tmp_path / "x.parquet").metadata
    groups = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert groups == [2500] * (rows // 2500) + ([rows % 2500] if rows % 2500 else [])
    assert pq.read_table(tmp_path / "x.parquet").column("tran_id").to_pylist() == list(range(rows))


@pytest.mark.parametrize("writer_type", WRITERS)
def test_dictionary_only_for_repeating_texts(pq: ModuleType, tmp_path: Path, writer_type: type[IncomePageWriter]) -> None:
    """Incomes, times and transaction ids are written plain (nearly all distinct: a dictionary would
    only cost memory and bytes), the texts with a dictionary."""
    _write(writer_type, tmp_path / "x.parquet", _pages([1000]))
    group = pq.ParquetFile(tmp_path / "x.parquet").metadata.row_group(0)
    dictionary = {group.column(i).path_in_schema: group.column(i).has_dictionary_page for i in range(len(COLUMNS))}
    assert dictionary == {name: name in DICTIONARY for name in COLUMNS}


@pytest.mark.parametrize("writer_type", WRITERS)
@pytest.mark.parametrize("income", ["1E-8", "100000000000000000000", "0.0000000000000000001"])
def test_a_decimal_that_does_not_fit_raises_and_the_rows_before_it_stay(
    pq: ModuleType, tmp_path: Path, writer_type: type[IncomePageWriter], income: str
) -> None:
    with pytest.raises(ValueError, match="decimal"), writer_type(tmp_path / "x.parquet") as writer:
        writer.write(_pages([10])[0])
        writer.write([_row(10, income_str=income)])
    assert pq.read_table(tmp_path / "x.parquet").num_rows == 10
    assert not _writer_thread_left()


class _FailingFile(io.BytesIO):
    def write(self, data: Any) -> int:
        raise OSError("disk full")


def test_arro3_writer_failure_reaches_the_caller() -> None:
    with pytest.raises(OSError, match="disk full"), Arro3ParquetPages(_FailingFile(), batch_size=100) as writer:
        for page in _pages([100] * 20):
            writer.write(page)
    assert not _writer_thread_left()


def test_arro3_writes_to_a_file_object_and_leaves_it_open(pq: ModuleType) -> None:
    sink = io.BytesIO()
    _write(Arro3ParquetPages, sink, _pages([5]))  # type: ignore[arg-type]
    assert not sink.closed
    assert pq.read_table(io.BytesIO(sink.getvalue())).column("tran_id").to_pylist() == list(range(5))


def test_arro3_is_the_writer_when_installed(tmp_path: Path) -> None:
    with open_page_writer(tmp_path / "x.parquet") as writer:
        assert isinstance(writer, Arro3ParquetPages)


@pytest.mark.parametrize(("writer", "absent"), [
    ("Arro3ParquetPages", ("pyarrow", "pandas", "numpy")),  # pyarrow.parquet alone is ~62 MB before a row
    ("ParquetPages", ("pandas", "pyarrow.compute", "pyarrow._compute")),  # ~48 MB and ~12 MB
])
def test_what_a_writer_never_loads(pq: ModuleType, tmp_path: Path, writer: str, absent: tuple[str, ...]) -> None:
    """arro3's writer does without pyarrow; pyarrow's without pandas (which ``pyarrow.array`` on a
    list imports when it is installed) and the compute kernels (a ``cast``)."""
    pytest.importorskip("pandas")
    script = (
        "import sys\n"
        "from binance_usdm._wire.income_rows import IncomeRow\n"
        f"from binance_usdm.income_export import {writer}\n"
        f"with {writer}({str(tmp_path / 'x.parquet')!r}, batch_size=3) as writer:\n"
        "    writer.write([IncomeRow(symbol='BTCUSDT', income_type='FUNDING_FEE', income_str='-0.5',\n"
        "                            asset='USDT', time_ms=i, tran_id=i, info='ü') for i in range(5)])\n"
        f"print(sorted(name for name in {absent!r} if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    table = pq.read_table(tmp_path / "x.parquet")
    assert table.column("income").to_pylist() == [Decimal("-0.5")] * 5
    assert table.column("time").null_count == 1
