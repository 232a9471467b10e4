"""allOrders, userTrades and forceOrders answered through their SQL indexes (limits and visibility
applied in the query) equal a plain filter over the same records by the endpoints' rules, for random
orders and trades (replaced ids, closed unfilled orders with every spelling of zero, force-order
client ids and look-alikes, times around the 3- and 90-day visibility limits) and random parameters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from binance_usdm.emulator.clock import Clock
from binance_usdm.emulator.orders import (
    ORDER_STATUSES,
    QUERY_WINDOW_MS,
    OrderBook,
    order_record,
    trade_record,
    window,
)
from binance_usdm.emulator.store import Store

NOW = 1_800_000_000_000
DAY = 86_400_000
SYMBOLS = ("BTCUSDT", "ETHUSDT")
#: Times on both sides of the 90- and 3-day visibility limits, and any in between.
times = st.sampled_from((NOW - 95 * DAY, NOW - 90 * DAY - 1, NOW - 90 * DAY, NOW - 6 * DAY, NOW - 3 * DAY - 1,
                         NOW - 3 * DAY, NOW - DAY, NOW)) | st.integers(NOW - 95 * DAY, NOW + DAY)
#: Zero and non-zero executed quantities, some spelled unusually (exponents, signs, other digits).
QUANTITIES = ("0", "0.000", "-0", "+0.0", "0E-8", "00", "0.5", "1e-400", "\u0661", "10")
CLIENT_IDS = ("autoclose-1", "autoclose-", "adl_autoclose", "Autoclose-2", "autoclose", "adl_autoclose2", "web_1")

orders = st.builds(
    lambda oid, symbol, status, time, qty, cid: order_record(
        {"orderId": oid, "symbol": symbol, "status": status, "time": time, "executedQty": qty,
         "clientOrderId": cid}, oid, NOW),
    st.integers(1, 60), st.sampled_from(SYMBOLS), st.sampled_from(ORDER_STATUSES), times,
    st.sampled_from(QUANTITIES), st.sampled_from(CLIENT_IDS))
trades = st.builds(
    lambda tid, symbol, order_id, time: trade_record(
        {"id": tid, "symbol": symbol, "orderId": order_id, "time": time}, tid, NOW),
    st.integers(1, 80), st.sampled_from(SYMBOLS), st.integers(1, 6), times)
maybe_time = st.none() | times


def stored(rows: list[tuple[str, dict[str, Any]]], id_field: str) -> list[tuple[str, dict[str, Any]]]:
    """Rows as the store keeps them: the last record of each (account, id)."""
    return list({(account, r[id_field]): (account, r) for account, r in rows}.values())


def visible(o: dict[str, Any]) -> bool:
    unfilled = Decimal(o["executedQty"]) == 0
    if o["time"] + 90 * DAY < NOW:
        return False
    return not (o["status"] in ("CANCELED", "EXPIRED") and unfilled and o["time"] + 3 * DAY < NOW)


def forced(o: dict[str, Any]) -> str | None:
    if o["clientOrderId"].startswith("autoclose-"):
        return "LIQUIDATION"
    return "ADL" if o["clientOrderId"] == "adl_autoclose" else None


def book(order_rows: list[tuple[str, dict[str, Any]]], trade_rows: list[tuple[str, dict[str, Any]]]) -> OrderBook:
    store = Store()
    store.put_orders(order_rows)
    store.put_trades(trade_rows)
    return OrderBook(store, Clock(frozen_at_ms=NOW))


accounts = st.sampled_from(("a1", "a2"))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(accounts, orders), max_size=40), st.sampled_from(SYMBOLS),
       st.none() | st.integers(1, 61), maybe_time, maybe_time, st.integers(1, 30))
def test_all_orders(rows: list[tuple[str, dict[str, Any]]], symbol: str, from_id: int | None,
                    start: int | None, end: int | None, limit: int) -> None:
    b = book(rows, [])
    if from_id is None:
        try:
            lo, hi = window(start, end, NOW)
        except Exception as exc:  # the same rejection either way
            expected: Any = type(exc)
        else:
            mine = sorted((o for a, o in stored(rows, "orderId") if a == "a1" and o["symbol"] == symbol
                           and lo <= o["time"] <= hi), key=lambda o: o["orderId"])
            expected = [o for o in mine if visible(o)][-limit:]
    else:
        mine = sorted((o for a, o in stored(rows, "orderId") if a == "a1" and o["symbol"] == symbol
                       and o["orderId"] >= from_id), key=lambda o: o["orderId"])
        expected = [o for o in mine if visible(o)][:limit]
    try:
        got: Any = b.all_orders("a1", symbol, from_id, start, end, limit)
    except Exception as exc:
        got = type(exc)
    assert got == expected


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(accounts, trades), max_size=50), st.sampled_from(SYMBOLS), st.none() | st.integers(1, 7),
       st.none() | st.integers(1, 81), maybe_time, maybe_time, st.integers(1, 30))
def test_user_trades(rows: list[tuple[str, dict[str, Any]]], symbol: str, order_id: int | None,
                     from_id: int | None, start: int | None, end: int | None, limit: int) -> None:
    b = book([], rows)
    mine = [t for a, t in stored(rows, "id") if a == "a1" and t["symbol"] == symbol
            and order_id in (None, t["orderId"])]
    expected: Any
    if from_id is not None and (start is not None or end is not None):
        expected = "rejected"
    elif from_id is not None:
        expected = sorted((t for t in mine if t["id"] >= from_id), key=lambda t: t["id"])[:limit]
    else:
        try:
            lo, hi = window(start, end, NOW)
        except Exception:
            expected = "rejected"
        else:
            expected = sorted((t for t in mine if lo <= t["time"] <= hi), key=lambda t: (t["time"], t["id"]))[-limit:]
    try:
        got: Any = b.user_trades("a1", symbol, order_id, from_id, start, end, limit)
    except Exception:
        got = "rejected"
    assert got == expected


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(accounts, orders), max_size=40), st.none() | st.sampled_from(SYMBOLS),
       st.sampled_from((None, "LIQUIDATION", "ADL")), maybe_time, maybe_time, st.integers(1, 30))
def test_force_orders(rows: list[tuple[str, dict[str, Any]]], symbol: str | None, kind: str | None,
                      start: int | None, end: int | None, limit: int) -> None:
    b = book(rows, [])
    hi = NOW if end is None else end
    lo = hi - QUERY_WINDOW_MS if start is None else start
    expected: Any
    if lo > hi:
        expected = "rejected"
    else:
        expected = sorted((o for a, o in stored(rows, "orderId") if a == "a1" and symbol in (None, o["symbol"])
                           and lo <= o["time"] <= hi and forced(o) is not None and kind in (None, forced(o))),
                          key=lambda o: o["orderId"])[-limit:]
    try:
        got: Any = b.force_orders("a1", symbol, kind, start, end, limit)
    except Exception:
        got = "rejected"
    assert got == expected
