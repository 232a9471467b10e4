"""Typed user-data events decoded from Binance's documented payloads (see samples.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from binance_usdm import MarginType, PositionSide
from binance_usdm.models.events import (
    AccountConfigUpdate,
    AccountUpdate,
    AccountUpdateReason,
    GenericEvent,
    ListenKeyExpired,
    MarginCall,
    OrderTradeUpdate,
    TradeLite,
    UndecodableEvent,
    decode_event,
)
from tests.streams import samples


def _decode(payload: dict[str, object]) -> object:
    return decode_event(json.dumps(payload).encode())


def test_account_update() -> None:
    event = _decode(samples.ACCOUNT_UPDATE)
    assert isinstance(event, AccountUpdate)
    assert event.event_time == datetime(2019, 8, 2, 11, 36, 38, 939000, tzinfo=UTC)
    assert event.transaction_time_ms == 1564745798938
    assert event.reason is AccountUpdateReason.ORDER
    usdt, busd = event.balances
    assert (usdt.asset, usdt.wallet_balance, usdt.cross_wallet_balance, usdt.balance_change) == (
        "USDT", Decimal("122624.12345678"), Decimal("100.12345678"), Decimal("50.12345678"))
    assert busd.balance_change == Decimal("-49.12345678")
    long = event.positions[1]
    assert long.position_side is PositionSide.LONG and long.margin_type is MarginType.ISOLATED
    assert (long.position_amount, long.entry_price, long.break_even_price, long.unrealized_pnl) == (
        Decimal("20"), Decimal("6563.66500"), Decimal("6563.6"), Decimal("2850.21200000"))
    assert event.positions[2].accumulated_realized == Decimal("-45.04000000")
    assert event.to_dict()["update"]["positions"][1]["isolated_wallet"] == Decimal("13200.70726908")


def test_values_binance_adds_later_do_not_break_decoding() -> None:
    payload = json.loads(json.dumps(samples.ACCOUNT_UPDATE))
    payload["a"]["m"] = "SOMETHING_NEW"
    payload["a"]["P"][0]["mt"] = "portfolio"
    payload["a"]["P"][0]["newField"] = 1
    event = _decode(payload)
    assert isinstance(event, AccountUpdate)
    assert not event.reason.known and event.reason.value == "SOMETHING_NEW"
    assert not event.positions[0].margin_type.known


def test_account_config_updates() -> None:
    leverage = _decode(samples.LEVERAGE_UPDATE)
    assert isinstance(leverage, AccountConfigUpdate) and leverage.account_config is None
    assert leverage.symbol_config is not None
    assert (leverage.symbol_config.symbol, leverage.symbol_config.leverage) == ("BTCUSDT", 25)
    multi = _decode(samples.MULTI_ASSETS_UPDATE)
    assert isinstance(multi, AccountConfigUpdate) and multi.symbol_config is None
    assert multi.account_config is not None and multi.account_config.multi_assets_margin is True


def test_margin_call() -> None:
    event = _decode(samples.MARGIN_CALL)
    assert isinstance(event, MarginCall)
    assert event.cross_wallet_balance == Decimal("3.16812045")
    (position,) = event.positions
    assert position.margin_type is MarginType.CROSSED and position.position_side is PositionSide.LONG
    assert (position.mark_price, position.unrealized_pnl, position.maintenance_margin) == (
        Decimal("187.17127"), Decimal("-1.166074"), Decimal("1.614445"))


@pytest.mark.parametrize("moment", [1576653824250, "1576653824250"])
def test_listen_key_expired_with_either_time_form_never_shows_the_key(moment: object) -> None:
    event = _decode({"e": "listenKeyExpired", "E": moment, "listenKey": "SECRETKEY"})
    assert isinstance(event, ListenKeyExpired)
    assert event.event_time_ms == 1576653824250
    assert event.event_time == datetime(2019, 12, 18, 7, 23, 44, 250000, tzinfo=UTC)
    assert "SECRETKEY" not in repr(event) and "SECRETKEY" not in str(event.to_dict())


def test_order_trade_update_and_trade_lite() -> None:
    order = _decode(samples.ORDER_TRADE_UPDATE)
    assert isinstance(order, OrderTradeUpdate)
    assert order.order.order_id == 8886774 and order.order.stop_price == Decimal("7103.04")
    assert order.order.position_side is PositionSide.LONG and order.order.asks_notional == Decimal("9.91")
    assert order.order.trade_time == datetime(2019, 9, 19, 7, 51, 5, 650000, tzinfo=UTC)
    lite = _decode(samples.TRADE_LITE)
    assert isinstance(lite, TradeLite)
    assert (lite.last_filled_price, lite.last_filled_quantity, lite.trade_id) == (
        Decimal("64089.20"), Decimal("0.040"), 109100866)


def test_other_event_types_arrive_raw() -> None:
    event = _decode(samples.UNKNOWN)
    assert event == GenericEvent("STRATEGY_UPDATE", 1669356423908, samples.UNKNOWN)
    assert isinstance(event, GenericEvent) and event.event_time is not None
    assert decode_event(b'{"e": "X"}') == GenericEvent("X", None, {"e": "X"})


def test_frames_without_an_event() -> None:
    assert decode_event(b'{"result": null, "id": 7}') is None
    wrapped = decode_event(json.dumps({"stream": "k", "data": samples.MARGIN_CALL}))
    assert isinstance(wrapped, MarginCall)
    for frame in (b"", b"[1, 2]", b'{"no": "type"}', b"\xff\xfe", b'{"e": "MARGIN_CALL", "E": "soon"}'):
        with pytest.raises(UndecodableEvent):
            decode_event(frame)
