"""``arrow_columns``: arrays built from their buffers equal the ones ``pyarrow.array`` and a
string-to-decimal ``cast`` give (the Parquet export's values stay the same), and bad values raise.
(That the pyarrow writer loads neither pandas nor the compute kernels: test_parquet_pages.py.)"""

from __future__ import annotations

from decimal import Decimal, localcontext
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

TEXTS = st.lists(st.text(), max_size=40)


def _decimal_texts() -> st.SearchStrategy[str]:
    """Plain decimal text as Binance sends it and beyond: up to 24 digits before and after the point."""
    digits = st.integers(min_value=0, max_value=10**24 - 1)
    return st.builds(
        lambda whole, fraction, places, negative: format(
            Decimal(whole * 10**places + fraction % 10**places).scaleb(-places) * (-1 if negative else 1), "f"
        ),
        digits, digits, st.integers(min_value=0, max_value=24), st.booleans(),
    )


@settings(max_examples=80, deadline=None)
@given(TEXTS)
def test_strings_equal_pyarrow_array(pa: ModuleType, arrow_columns: ModuleType, values: list[str]) -> None:
    assert arrow_columns.strings(values).equals(pa.array(values, pa.string()))


def test_strings_ascii_and_not(arrow_columns: ModuleType) -> None:
    for values in (["BTCUSDT", "", "ETHUSDT"], ["ünï", "", "x,\"y\"\nz", "日本"], []):
        built = arrow_columns.strings(values)
        built.validate(full=True)
        assert built.to_pylist() == values


@settings(deadline=None)
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=40))
def test_int64s_equal_pyarrow_array(pa: ModuleType, arrow_columns: ModuleType, values: list[int]) -> None:
    assert arrow_columns.int64s(values).equals(pa.array(values, pa.int64()))


def test_int64_out_of_range_raises(arrow_columns: ModuleType) -> None:
    with pytest.raises(OverflowError):
        arrow_columns.int64s([2**63])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.just(0), st.integers(min_value=-(2**62), max_value=2**62)), max_size=70))
def test_times_equal_pyarrow_array_zero_is_null(pa: ModuleType, arrow_columns: ModuleType, values: list[int]) -> None:
    built = arrow_columns.times(values)
    built.validate(full=True)
    assert built.equals(pa.array([value or None for value in values], arrow_columns.TIME))
    assert built.null_count == values.count(0)


@settings(max_examples=150, deadline=None)
@given(st.lists(_decimal_texts(), max_size=20))
def test_decimals_equal_the_cast_or_raise(pa: ModuleType, arrow_columns: ModuleType, texts: list[str]) -> None:
    """Equal to Arrow's cast where the values fit decimal(38, 18); ValueError where one does not
    (where Arrow's cast raises, and also where it silently wraps: ``340282366920938463804`` casts to
    ``340.625392568231788544`` in pyarrow 26)."""
    values = [Decimal(text) for text in texts]
    with localcontext(prec=100):  # round() exact for any text the strategy makes
        fits = all(abs(value) < 10**20 and value == round(value, 18) for value in values)
    if fits:
        built = arrow_columns.decimals(texts)
        assert built.equals(pa.array(texts, pa.string()).cast(arrow_columns.DECIMAL))
        assert built.to_pylist() == values
    else:
        with pytest.raises(ValueError, match="does not fit"):
            arrow_columns.decimals(texts)


@pytest.mark.parametrize(("text", "value"), [
    ("-0", Decimal(0)), ("0.00000000", Decimal(0)), ("-0.00000001", Decimal("-0.00000001")),
    ("1234567890.123456789012345678", Decimal("1234567890.123456789012345678")),
    ("99999999999999999999.999999999999999999", Decimal("99999999999999999999.999999999999999999")),
    ("-99999999999999999999.999999999999999999", Decimal("-99999999999999999999.999999999999999999")),
    ("0.1000000000000000000000", Decimal("0.1")),  # zeros past the 18th decimal are no loss
])
def test_decimal_values(arrow_columns: ModuleType, text: str, value: Decimal) -> None:
    assert arrow_columns.decimals([text]).to_pylist() == [value]


@pytest.mark.parametrize("text", [
    "100000000000000000000", "-100000000000000000000",  # 21 digits before the point
    "0.0000000000000000001",  # a 19th decimal
    "340282366920938463804",  # Arrow's cast wraps this one silently (to 340.625392568231788544)
])
def test_decimal_that_does_not_fit_raises(arrow_columns: ModuleType, text: str) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        arrow_columns.decimals(["1.5", text])


@pytest.mark.parametrize("text", ["1E-8", "+1", "1_000", " 1", ".5", "5.", "007", "", "NaN"])
def test_decimal_not_plain_raises(arrow_columns: ModuleType, text: str) -> None:
    for texts in ([text], ["1.5", text]):
        with pytest.raises(ValueError, match="plain decimal"):
            arrow_columns.decimals(texts)


def test_no_decimals(pa: ModuleType, arrow_columns: ModuleType) -> None:
    assert arrow_columns.decimals([]).equals(pa.array([], arrow_columns.DECIMAL))
