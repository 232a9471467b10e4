"""``history.export_income``: the page-at-a-time export writes the files ``export(iter_income(...))``
writes (byte for byte for CSV and JSON lines, equal tables for Parquet), over page boundaries,
duplicates at a page's first millisecond, full pages inside one millisecond and records that need
the general decoding; it stops at ``limit``, reports progress, and cleans up after a failure."""

from __future__ import annotations

import csv
import io
import threading
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_usdm._wire.income_rows import PLAIN_DECIMAL, IncomeRow, decode_rows
from binance_usdm.errors import BinanceError
from binance_usdm.export import export
from binance_usdm.income_export import COLUMNS, CsvPages, ParquetPages
from binance_usdm.models import UtcDateTime
from binance_usdm.serialize import ms_time_text, time_text
from tests.history.conftest import Run, runner
from tests.history.exchange import Exchange, income_rows

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
END = UtcDateTime.from_ms(86_400_000)  # one window: the records are in the first seconds of 1970
FORMATS = ["csv", "jsonl", "parquet"]
ODD = [  # records as Binance may send them, each a case of the exported values
    {"symbol": "", "incomeType": "TRANSFER", "income": "-0.00000001", "asset": "USDT", "info": "TRANSFER",
     "time": 0, "tranId": 1, "tradeId": ""},  # time 0 ("never"): empty / null
    {"symbol": "BTCUSDT", "incomeType": "SOME_NEW_KIND", "income": "1234567890.123456789012345678",
     "asset": "USDT", "info": 'x,"y"\nz', "time": 1, "tranId": 2, "tradeId": ""},  # quoting, unknown type
    {"symbol": "ETHUSDT", "incomeType": "COMMISSION", "income": "-0", "asset": "BNB", "info": "ünï",
     "time": 999, "tranId": "3", "tradeId": "17"},  # tranId as text (lax), non-ASCII
    {"symbol": "ETHUSDT", "incomeType": "FUNDING_FEE", "income": "0.00000000", "asset": "USDT",
     "time": 1000, "tranId": 4},  # info and tradeId absent
]
NEEDS_MODELS = [  # pages with one of these go through IncomeRecord: same values
    {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": "1E-8", "asset": "USDT", "info": "",
     "time": 5000, "tranId": 5, "tradeId": ""},
    {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": 1.5, "asset": "USDT", "info": "",
     "time": 5001, "tranId": 6, "tradeId": 2059192},
    {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": "+00.10", "asset": "USDT", "info": "",
     "time": 5002, "tranId": 7, "tradeId": ""},
]


def _history(exchange: Exchange, general: bool = False) -> None:
    """The odd records, then 2,600 regular ones five to a millisecond (page boundaries fall inside a
    millisecond, so the next page starts with records already written) and 1,200 in one millisecond
    (paged by number); with ``general``, the records that need the models are on the first page."""
    times = [10_000 + i // 5 for i in range(2600)] + [20_000] * 1200
    exchange.income = ODD + (NEEDS_MODELS if general else []) + income_rows(times)


def _same(reference: Path, written: Path) -> None:
    if reference.suffix == ".parquet":
        pq = pytest.importorskip("pyarrow.parquet")
        assert pq.read_table(written).equals(pq.read_table(reference))
        assert pq.read_schema(written).equals(pq.read_schema(reference))
    else:
        assert written.read_bytes() == reference.read_bytes()


@pytest.mark.parametrize("general", [False, True], ids=["rows", "models"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_same_file_as_the_record_export(
    exchange: Exchange, run: Run, tmp_path: Path, fmt: str, general: bool
) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    _history(exchange, general)
    reference, written = tmp_path / f"records.{fmt}", tmp_path / f"pages.{fmt}"
    by_records = runner("sync", exchange.base_url)(lambda h: export(h.iter_income(EPOCH, END), reference))
    assert by_records == len(exchange.income) == 2600 + 1200 + len(ODD) + general * len(NEEDS_MODELS)
    assert run(lambda h: h.export_income(written, EPOCH, END)) == by_records
    _same(reference, written)


def test_rows_hold_the_exported_values() -> None:
    rows = decode_rows(msgspec.json.encode(ODD))
    assert rows is not None
    assert [row.income_str for row in rows] == ["-0.00000001", "1234567890.123456789012345678", "-0", "0.00000000"]
    assert rows[2].tran_id == 3 and rows[3].info == rows[3].trade_id == ""
    assert decode_rows(msgspec.json.encode(NEEDS_MODELS[:1])) is None  # "1E-8"
    assert decode_rows(msgspec.json.encode(NEEDS_MODELS[2:])) is None  # "+00.10"
    with pytest.raises(msgspec.ValidationError):  # numbers where Binance sends text
        decode_rows(msgspec.json.encode(NEEDS_MODELS[1:2]))


#: No wall-clock deadline per example: the shared machine's load is not what these tests are about.
LOADED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@LOADED
@given(st.from_regex(PLAIN_DECIMAL, fullmatch=True))
def test_plain_decimal_text_is_its_own_export(text: str) -> None:
    assert format(Decimal(text), "f") == text


@LOADED
@given(st.integers(0, 253_402_300_799_999))  # 1970 to 9999
def test_time_text_from_milliseconds(ms: int) -> None:
    assert ms_time_text(ms) == time_text(UtcDateTime.from_ms(ms))


_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(",\"\r\n "), max_size=6)


@LOADED
@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT, st.integers(0, 2**40) | st.sampled_from((0, 1, 3_600_000))),
                max_size=5))
def test_csv_pages_are_csv_writer_rows(texts: list[tuple[str, str, str, str, str, int]]) -> None:
    """Joined directly or through ``csv.writer``, a page's lines are the ones ``csv.writer`` writes."""
    page = [
        IncomeRow(symbol=symbol, income_type=kind, income_str="-1.5", asset=asset, time_ms=ms, tran_id=7, info=info,
                  trade_id=trade)
        for symbol, kind, asset, info, trade, ms in texts
    ]
    expected = io.StringIO()
    rows = csv.writer(expected, lineterminator="\n")
    rows.writerow(COLUMNS)
    rows.writerows([(r.symbol, r.income_type, "-1.5", r.asset, ms_time_text(r.time_ms), 7, r.info, r.trade_id)
                    for r in page])
    sink = io.StringIO()
    with CsvPages(sink) as writer:
        writer.write(page)
    assert sink.getvalue() == expected.getvalue()


def test_limit_progress_and_text_stream(exchange: Exchange, run: Run) -> None:
    _history(exchange)
    progress: list[tuple[int, int]] = []
    sink = io.StringIO()
    assert run(lambda h: h.export_income(sink, EPOCH, END, format="csv", limit=1500,
                                         on_page=lambda count, ms: progress.append((count, ms)))) == 1500
    lines = sink.getvalue().splitlines()
    assert len(lines) == 1 + 1500 + 1  # the header, and one record whose info holds a line break
    counts = [count for count, _ in progress]
    assert counts == sorted(counts) and counts[-1] == 1500
    assert [ms for _, ms in progress] == sorted(ms for _, ms in progress)


def test_bad_format_refused_before_any_call(exchange: Exchange, run: Run, tmp_path: Path) -> None:
    _history(exchange)
    with pytest.raises(ValueError, match="suffix"):
        run(lambda h: h.export_income(tmp_path / "x.txt", EPOCH, END))
    with pytest.raises(ValueError, match="unknown format"):
        run(lambda h: h.export_income(tmp_path / "x.csv", EPOCH, END, format="xml"))
    assert exchange.requests == []


def test_failure_midway_raises_and_leaves_no_worker(exchange: Exchange, run: Run, tmp_path: Path) -> None:
    _history(exchange)
    exchange.fail["/fapi/v1/income"] = (400, {"code": -1121, "msg": "Invalid symbol."})
    exchange.fail_after = 2
    with pytest.raises(BinanceError, match="Invalid symbol"):
        run(lambda h: h.export_income(tmp_path / "x.csv", EPOCH, END))
    assert not [thread for thread in threading.enumerate() if thread.name == "income export"]
    assert len(exchange.calls("/fapi/v1/income")) == 3
    assert (tmp_path / "x.csv").read_text().count("\n") > 1000  # the pages before the failure were written


def _page(first: int, size: int) -> list[IncomeRow]:
    return [
        IncomeRow(symbol="BTCUSDT", income_type="FUNDING_FEE", income_str="-1.23456789", asset="USDT",
                  time_ms=1_700_000_000_000 + i, tran_id=i)
        for i in range(first, first + size)
    ]


def test_parquet_row_groups_of_batch_size(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    with ParquetPages(tmp_path / "x.parquet", batch_size=2500) as writer:
        for number in range(6):
            writer.write(_page(number * 1000, 1000))
            assert writer._groups.pending < 2500  # a full row group is written as soon as it is complete
    metadata = pq.ParquetFile(tmp_path / "x.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2500, 2500, 1000]
    assert pq.read_table(tmp_path / "x.parquet").column("tran_id").to_pylist() == list(range(6000))


def test_csv_pages_hold_no_records(tmp_path: Path) -> None:
    """Writing 8 pages costs no more memory than writing 1: nothing is kept from page to page."""

    def peak(pages: int) -> int:
        tracemalloc.start()
        try:
            with CsvPages(tmp_path / f"x{pages}.csv") as writer:
                for number in range(pages):
                    writer.write(_page(number * 1000, 1000))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    one, eight = peak(1), peak(8)  # a writer keeping the rows would add ~2.5 MB
    assert eight < one * 1.5 + 200_000, (one, eight)
