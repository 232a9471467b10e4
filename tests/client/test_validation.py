"""Bad arguments raise ValidationError naming the argument, and nothing is sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_usdm import BinanceRestClient, RetryPolicy, Timeouts, ValidationError
from binance_usdm._wire import validate as check
from tests.client.conftest import API_KEY, API_SECRET
from tests.scripted_server import Reply, ScriptedServer

NOW = datetime(2026, 6, 1, tzinfo=UTC)

BAD_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("change_initial_leverage", ("BTCUSDT", 0), {}, "leverage"),
    ("change_initial_leverage", ("BTCUSDT", 126), {}, "leverage"),
    ("change_initial_leverage", ("BTCUSDT", "20"), {}, "leverage"),
    ("change_initial_leverage", ("", 20), {}, "symbol"),
    ("change_initial_leverage", ("BTC/USDT", 20), {}, "symbol"),
    ("change_initial_leverage", ("\uff22\uff34\uff23USDT", 20), {}, "symbol"),  # full-width letters
    ("change_margin_type", ("BTC USDT", "ISOLATED"), {}, "symbol"),
    ("set_multi_assets_mode", (1,), {}, "enabled"),
    ("get_user_commission_rate", ("BTC&x=1",), {}, "symbol"),
    ("change_margin_type", ("BTCUSDT", "HALF"), {}, "margin_type"),
    ("modify_position_margin", ("BTCUSDT", "-1", 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", "abc", 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", float("nan"), 1), {}, "amount"),
    # amounts are exact or refused: these used to be turned into other numbers and sent
    ("modify_position_margin", ("BTCUSDT", "1_000", 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", "\u0661\u0662", 1), {}, "amount"),  # Arabic-Indic 12
    ("modify_position_margin", ("BTCUSDT", " .5 ", 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", "1e5", 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", Decimal("1e999999"), 1), {}, "amount"),  # was a 1 MB query
    ("modify_position_margin", ("BTCUSDT", 0.1, 1), {}, "amount"),  # a float is not 0.1
    ("modify_position_margin", ("BTCUSDT", "1.123456789", 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", Decimal("0.000000001"), 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", 10**20, 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", "5\n", 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", "+5", 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", True, 1), {}, "amount"),
    ("modify_position_margin", ("BTCUSDT", Decimal("sNaN"), 1), {}, "amount"),
    ("get_income_history", (), {"start_time": datetime(1969, 12, 31, tzinfo=UTC)}, "start_time"),
    ("modify_position_margin", ("BTCUSDT", 5, 3), {}, "type"),
    ("modify_position_margin", ("BTCUSDT", 5, 1), {"position_side": "UP"}, "position_side"),
    ("modify_position_mode", ("yes",), {}, "dual_position_side"),
    ("get_income_history", (), {"start_time": NOW, "end_time": NOW - timedelta(days=1)}, "start_time"),
    ("get_income_history", (), {"limit": 1001}, "limit"),
    ("get_income_history", (), {"income_type": "LOTTERY"}, "income_type"),
    ("get_margin_change_history", ("BTCUSDT",), {"start_time": NOW - timedelta(days=31), "end_time": NOW},
     "end_time"),
    ("get_download_id_for_order_history", (NOW - timedelta(days=400), NOW), {}, "end_time"),
    ("get_download_id_for_trade_history", ("2026-01-01", NOW), {}, "start_time"),
    ("get_download_link_for_order_history", ("",), {}, "download_id"),
    ("get_balances", (), {"receive_window": 60_001}, "receive_window"),
    ("keep_alive_user_stream", (None,), {}, "listen_key"),
]


@pytest.mark.parametrize(("op", "args", "kwargs", "argument"), BAD_CALLS,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(BAD_CALLS)])
def test_bad_argument(stub: ScriptedServer, op: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                      argument: str) -> None:
    with BinanceRestClient(API_KEY, API_SECRET, base_url=stub.base_url) as client:
        with pytest.raises(ValidationError) as caught:
            getattr(client.usd_futures_api.account, op)(*args, **kwargs)
    assert caught.value.parameter == argument
    assert argument in str(caught.value)
    assert stub.requests == []


@pytest.mark.parametrize("options", [
    {"base_url": "ftp://x"}, {"recv_window": 0}, {"rate_limit": "maybe"}, {"weight_limit": 0},
    {"base_url": "http://"}, {"base_url": "http://127.0.0.1:99999"}, {"base_url": "http://127.0.0.1:1/p\u00e4th"},
    {"base_url": "https://user:hunter2@example.com"}, {"base_url": "http://127.0.0.1:1/?a=1"},
    {"proxy": "socks5://user:hunter2@127.0.0.1:1080"}, {"proxy": "http://user:hunter2@127.0.0.1:port"},
    {"api_key": "hunter2\n"}, {"api_key": "hunter 2"}, {"time_sync_interval": 0},
])
def test_bad_client_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        BinanceRestClient(**{"api_key": API_KEY, "api_secret": API_SECRET, **options})
    assert caught.value.parameter in options
    assert "hunter2" not in str(caught.value)  # a URL's credentials are never repeated


@pytest.mark.parametrize("options", [
    {"read": float("inf"), "total": float("inf")}, {"connect": -1}, {"total": 0}, {"read": float("nan")},
    {"read": "5"}, {"total": True},
])
def test_bad_timeouts_are_refused_when_made(options: dict[str, Any]) -> None:
    """An infinite timeout used to crash inside the transport (OverflowError); a negative connect
    timeout made every call fail as "timed out after 29.7 s" without trying to connect."""
    with pytest.raises(ValidationError, match="timeouts"):
        Timeouts(**options)


@pytest.mark.parametrize("options", [
    {"max_retries": -1}, {"max_retries": 1.5}, {"backoff_base": -0.1}, {"backoff_max": float("inf")},
    {"max_retry_after": float("nan")},
])
def test_bad_retry_policies_are_refused_when_made(options: dict[str, Any]) -> None:
    """A negative backoff used to raise ValueError from time.sleep in the middle of a retry."""
    with pytest.raises(ValidationError, match="retry"):
        RetryPolicy(**options)


@pytest.mark.parametrize(("amount", "wire"), [
    (Decimal("1.500000000"), "1.5"), (Decimal("1E+5"), "100000"), ("007.25", "7.25"), (12, "12"),
    (Decimal("0.00000001"), "0.00000001"), ("99999999999999999999.12345678", "99999999999999999999.12345678"),
    (Decimal("0.01000001"), "0.01000001"), (Decimal("0.05"), "0.05"), ("0.5", "0.5"), (Decimal("12.00000340"), "12.0000034"),
])
def test_amounts_are_sent_exactly(stub: ScriptedServer, amount: Any, wire: str) -> None:
    stub.routes[("POST", "/fapi/v1/positionMargin")] = [
        Reply(body=b'{"amount":1,"code":200,"msg":"Successfully modify position margin.","type":1}')]
    with BinanceRestClient(API_KEY, API_SECRET, base_url=stub.base_url) as client:
        client.usd_futures_api.account.modify_position_margin("BTCUSDT", amount, 1).unwrap()
    assert f"amount={wire}&" in stub.requests[-1].query


class _Level(IntEnum):
    HIGH = 20

    def __format__(self, spec: str) -> str:  # an int subclass never writes itself into the query
        return "20&leverage=125"


def test_integer_subclasses_are_sent_as_their_value(stub: ScriptedServer) -> None:
    stub.routes[("POST", "/fapi/v1/leverage")] = [
        Reply(body=b'{"leverage":20,"maxNotionalValue":"1000000","symbol":"BTCUSDT"}')]
    with BinanceRestClient(API_KEY, API_SECRET, base_url=stub.base_url) as client:
        client.usd_futures_api.account.change_initial_leverage("BTCUSDT", _Level.HIGH).unwrap()
    assert stub.requests[-1].query.startswith("symbol=BTCUSDT&leverage=20&timestamp=")


@settings(max_examples=500, deadline=None, database=None)
@given(st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999999999999999999.99999999"), places=8))
def test_every_amount_in_range_is_written_exactly(amount: Decimal) -> None:
    """The wire text is plain digits and means exactly the amount (as a Decimal and as its text)."""
    for given_as in (amount, format(amount, "f")):
        wire = check.amount(given_as, "amount")
        assert re.fullmatch(r"[0-9]{1,20}(\.[0-9]{0,7}[1-9])?", wire), wire
        assert Decimal(wire) == amount
