"""Shared values: a wire value met before reads as the object made then (binance_usdm.models._fields).

What must hold whatever the tables hold: every value is exactly the text Binance sent (equal numbers
written differently stay different), a text that is no number is the field's typed error each time it
is read (whatever the caller's decimal context), the tables stay bounded, and threads reading while a
table starts over get the right values."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation, localcontext

import msgspec
import pytest

from binance_usdm.enums import IncomeType, MarginChangeDirection
from binance_usdm.errors import ResponseValueError
from binance_usdm.models import AccountBalance, AccountPosition, IncomeRecord, MarginChange, UtcDateTime
from binance_usdm.models import _fields as fields


@pytest.fixture(autouse=True)
def _cold() -> Iterator[None]:
    fields.forget_shared_values()
    yield
    fields.forget_shared_values()


def _balance(balance: str = "1", update_time: int = 1617939110373) -> AccountBalance:
    return msgspec.json.decode(msgspec.json.encode({
        "accountAlias": "SgsR", "asset": "USDT", "balance": balance, "crossWalletBalance": "23.72469206",
        "crossUnPnl": "0.00000000", "availableBalance": "23.72469206", "maxWithdrawAmount": "23.72469206",
        "marginAvailable": True, "updateTime": update_time}), type=AccountBalance)


def _position(leverage: str = "20", max_notional: str = "250000") -> AccountPosition:
    return msgspec.json.decode(msgspec.json.encode({
        "symbol": "BTCUSDT", "initialMargin": "0", "maintMargin": "0", "unrealizedProfit": "0.00000000",
        "positionInitialMargin": "0", "openOrderInitialMargin": "0", "leverage": leverage, "isolated": False,
        "entryPrice": "0.0", "breakEvenPrice": "", "maxNotional": max_notional, "positionSide": "BOTH",
        "positionAmt": "0", "updateTime": 0}), type=AccountPosition)


def test_the_same_text_reads_as_the_same_object_in_every_result() -> None:
    first, second = _balance("122.60718263"), _balance("122.60718263")
    assert first.balance is second.balance == Decimal("122.60718263")
    assert first.update_time is second.update_time == UtcDateTime.from_ms(1617939110373)
    assert first.to_dict()["balance"] is second.balance  # to_dict shares the accessors' values


@pytest.mark.parametrize("texts", [("1", "1.0", "1.00", "1E+0"), ("0", "-0", "0.00000000", "0E-8")])
def test_equal_numbers_written_differently_keep_their_own_text(texts: tuple[str, ...]) -> None:
    for _ in range(2):  # met, then met again
        assert [str(_balance(text).balance) for text in texts] == [str(Decimal(text)) for text in texts]
        assert [_balance(text).to_dict()["balance"].as_tuple() for text in texts] == [
            Decimal(text).as_tuple() for text in texts]


@pytest.mark.parametrize("text", ["", "n/a", " 1", "1_000", "1E+9999999999999999999", "0x10"])
def test_a_text_that_is_no_exact_number_is_the_typed_error_every_time(text: str) -> None:
    _balance("1")  # a good value met first changes nothing
    for _ in range(2):
        with pytest.raises(ResponseValueError, match=r"AccountBalance\.balance"):
            _balance(text).balance  # noqa: B018 - the read is the test
        with pytest.raises(ResponseValueError, match="balance"):
            _balance(text).to_dict()
    assert text not in fields._DECIMALS


def test_the_callers_decimal_context_changes_nothing() -> None:
    with localcontext() as context:
        context.traps[InvalidOperation] = False  # Decimal("n/a") would be NaN in this context
        context.prec = 3  # and create_decimal would round
        with pytest.raises(ResponseValueError):
            _balance("n/a").balance  # noqa: B018 - the read is the test
        assert str(_balance("12345.678901234567890123").balance) == "12345.678901234567890123"


def test_a_leverage_and_an_optional_number_share_values_too() -> None:
    assert _position("20").leverage is _position("20").leverage == 20
    assert _position(max_notional="250000").max_notional is _position().max_notional == Decimal(250000)
    assert _position().break_even_price is None  # sent empty: None, not a shared value
    with pytest.raises(ResponseValueError, match="leverage"):
        _position("20.5").leverage  # noqa: B018 - the read is the test
    assert _position("20.0").leverage == 20


def test_a_time_beyond_datetimes_years_is_the_typed_error() -> None:
    with pytest.raises(ResponseValueError, match="which is not a time"):
        _balance(update_time=10**18).update_time  # noqa: B018 - the read is the test


def test_a_shared_time_holds_no_attributes_of_its_own() -> None:
    moment = _balance().update_time
    assert moment is not None
    with pytest.raises(AttributeError):
        moment.note = "mine"  # type: ignore[attr-defined]


def test_the_tables_stay_bounded_and_long_text_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields, "LIMIT", 16)
    for index in range(100):
        assert _balance(f"{index}.5").balance == Decimal(f"{index}.5")
        assert _balance(update_time=index).update_time == UtcDateTime.from_ms(index)
        assert len(fields._DECIMALS) <= 16 and len(fields._TIMES) <= 16
    long_text = "1" * (fields.LONGEST + 1)
    assert _balance(long_text).balance == Decimal(long_text)
    assert long_text not in fields._DECIMALS


def test_to_dict_keeps_what_it_converts_for_the_accessors_within_the_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields, "LIMIT", 16)
    for index in range(100):
        record = _balance(f"{index}.5", update_time=index + 1).to_dict()
        assert record["balance"] == Decimal(f"{index}.5")
        assert record["update_time"] == UtcDateTime.from_ms(index + 1)
        assert len(fields._DECIMALS) <= 16 and len(fields._TIMES) <= 16
    long_text = "1" * (fields.LONGEST + 1)
    assert _balance(long_text).to_dict()["balance"] == Decimal(long_text)
    assert long_text not in fields._DECIMALS
    kept = _balance("7.25", update_time=1617939110373).to_dict()
    assert _balance("7.25").balance is kept["balance"]  # made by to_dict, shared by the accessor
    assert _balance("7.25").update_time is kept["update_time"]


def test_threads_read_right_values_while_the_tables_start_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields, "LIMIT", 8)
    wrong: list[str] = []

    def read(thread: int) -> None:
        for index in range(2_000):
            text = f"{thread}.{index % 50}"
            balance = _balance(text)
            if str(balance.balance) != text or str(balance.to_dict()["balance"]) != text:
                wrong.append(text)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(fields._DECIMALS) <= 8 + 4  # a clear and a store of each thread may interleave


@pytest.mark.parametrize("record", [
    IncomeRecord(income_type=IncomeType.FUNDING_FEE, income_str="-0.01250000", asset="USDT", time_ms=1617939110373,
                 tran_id=1),
    MarginChange(symbol="BTCUSDT", type=MarginChangeDirection.ADD, amount_str="12.5", asset="USDT",
                 time_ms=1617939110373),
], ids=lambda record: type(record).__name__)
def test_history_records_keep_nothing_in_the_shared_tables(record: IncomeRecord | MarginChange) -> None:
    amount = "income" if isinstance(record, IncomeRecord) else "amount"
    wire = getattr(record, f"{amount}_str")
    _balance(wire, update_time=1617939110373)  # the same values met in an account answer change nothing
    fields.forget_shared_values()
    for _ in range(2):
        assert getattr(record, amount) == Decimal(wire) and str(getattr(record, amount)) == wire
        assert record.time == UtcDateTime.from_ms(1617939110373)
        assert record.to_dict()[amount] == Decimal(wire) and record.to_dict()["time"] == record.time
    assert fields._DECIMALS == {} and fields._TIMES == {}
    assert type(record).shares_values is False and AccountBalance.shares_values is True


@pytest.mark.parametrize("text", ["", "n/a", " 1"])
def test_a_history_record_with_no_number_is_the_typed_error(text: str) -> None:
    record = IncomeRecord(income_type=IncomeType.COMMISSION, income_str=text, asset="USDT", time_ms=1, tran_id=1)
    with pytest.raises(ResponseValueError, match=r"IncomeRecord\.income"):
        record.income  # noqa: B018 - the read is the test
    with pytest.raises(ResponseValueError, match="income"):
        record.to_dict()
