"""``arrow_columns.column``: the columns ``export``'s Parquet writer makes of any model's values,
nulls included, equal what ``pyarrow.array`` gives for the same values and type; a decimal that does
not fit decimal(38, 18) exactly raises instead of being rounded."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def _optional(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.one_of(st.none(), values), max_size=30)


_MOMENTS = st.integers(min_value=-(10**12), max_value=10**13).map(
    lambda ms: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
)
_DECIMALS = st.decimals(min_value=Decimal("-1e19"), max_value=Decimal("1e19"), places=8, allow_nan=False)
KINDS: dict[str, tuple[str, st.SearchStrategy[list[Any]]]] = {
    "decimal": ("decimal128(38, 18)", _optional(_DECIMALS)),
    "time": ("timestamp[ms, tz=UTC]", _optional(_MOMENTS)),
    "int": ("int64", _optional(st.integers(min_value=-(2**63), max_value=2**63 - 1))),
    "enum_int": ("int64", _optional(st.integers(min_value=0, max_value=9))),
    "bool": ("bool", _optional(st.booleans())),
    "float": ("double", _optional(st.floats(allow_nan=False))),
    "str": ("string", _optional(st.text())),
    "enum_str": ("string", _optional(st.sampled_from(["BUY", "SELL", "ünï"]))),
    "other": ("string", _optional(st.text(max_size=5))),
}


def _pyarrow_type(pa: ModuleType, name: str) -> Any:
    return {
        "decimal128(38, 18)": pa.decimal128(38, 18), "timestamp[ms, tz=UTC]": pa.timestamp("ms", tz="UTC"),
        "int64": pa.int64(), "bool": pa.bool_(), "double": pa.float64(), "string": pa.string(),
    }[name]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_column_equals_pyarrow_array(pa: ModuleType, arrow_columns: ModuleType, kind: str) -> None:
    type_name, values = KINDS[kind]

    @settings(max_examples=60, deadline=None)
    @given(values)
    def check(page: list[Any]) -> None:
        built = arrow_columns.column(kind, page)
        built.validate(full=True)
        assert str(built.type) == type_name
        assert built.equals(pa.array(page, _pyarrow_type(pa, type_name)))
        assert built.null_count == page.count(None)

    check()


def test_values_read_back(arrow_columns: ModuleType) -> None:
    moment = datetime(2026, 12, 1, 8, 0, 0, 123000, tzinfo=UTC)
    assert arrow_columns.column("decimal", [Decimal("-0.00000001"), None, Decimal("1E+3")]).to_pylist() == [
        Decimal("-0.00000001"), None, Decimal("1000")
    ]
    assert arrow_columns.column("time", [None, moment]).to_pylist() == [None, moment]
    assert arrow_columns.column("bool", [True, None, False]).to_pylist() == [True, None, False]
    assert arrow_columns.column("str", []).to_pylist() == []


@pytest.mark.parametrize("value", [Decimal("1E-19"), Decimal("1E+20"), Decimal("NaN"), Decimal("-Infinity")])
def test_a_decimal_that_does_not_fit_raises(arrow_columns: ModuleType, value: Decimal) -> None:
    with pytest.raises(ValueError, match="decimal"):
        arrow_columns.column("decimal", [Decimal(1), value])


def test_export_to_parquet_loads_neither_pandas_nor_the_compute_kernels(tmp_path: Path) -> None:
    """``export(records, "x.parquet")`` (any model) builds its columns from buffers: ``pyarrow.array``
    on a list imported pandas when installed (~48 MB), a cast the compute kernels (~12 MB)."""
    pq = pytest.importorskip("pyarrow.parquet")
    script = (
        "import sys\n"
        "from binance_usdm.export import export\n"
        "from binance_usdm.models import IncomeRecord\n"
        "page = b'[' + b','.join(b'{\"incomeType\":\"FUNDING_FEE\",\"income\":\"-0.5\",\"asset\":\"USDT\",'\n"
        "                        b'\"time\":%d,\"tranId\":%d}' % (i, i) for i in range(5)) + b']'\n"
        "import msgspec\n"
        "records = msgspec.json.decode(page, type=list[IncomeRecord])\n"
        f"export(records, {str(tmp_path / 'x.parquet')!r})\n"
        "print(sorted(name for name in ('pandas', 'pyarrow.compute', 'pyarrow._compute') if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    table = pq.read_table(tmp_path / "x.parquet")
    assert table.column("income").to_pylist() == [Decimal("-0.5")] * 5
    assert table.column("time").null_count == 1  # Binance's 0, "no time"
