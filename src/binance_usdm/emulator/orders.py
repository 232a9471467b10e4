"""An account's orders, trades and algo orders: records normalized to Binance's fields, and the windows
and limits of the endpoints that read them (`GET /fapi/v1/openOrders`, `allOrders`, `userTrades`, ...).

The emulator matches no orders: orders and trades are arranged by scenario files and the admin API,
and the read endpoints answer from them. An order is open while its status is NEW or PARTIALLY_FILLED;
open orders drive the rules that refuse a change "if there exists open orders" (-4047, -4067, -4170).
Force orders are the orders whose `clientOrderId` starts with "autoclose-" (liquidations) or is
"adl_autoclose" (ADL), as Binance marks them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from . import errors as e
from .clock import Clock
from .store import Store

DAY_MS = 24 * 3600 * 1000
#: "The query time period must be less then 7 days (default as the recent 7 days)" (allOrders,
#: userTrades); forceOrders: "data within 7 days before endTime".
QUERY_WINDOW_MS = 7 * DAY_MS
#: allOrders: CANCELED/EXPIRED orders without a fill are not found 3 days after creation; no order
#: is found 90 days after creation.
UNFILLED_CLOSED_VISIBLE_MS = 3 * DAY_MS
ORDER_VISIBLE_MS = 90 * DAY_MS
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")
ORDER_STATUSES = (*OPEN_STATUSES, "FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH")
ORDER_TYPES = ("LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
               "TRAILING_STOP_MARKET")
SIDES = ("BUY", "SELL")
POSITION_SIDES = ("BOTH", "LONG", "SHORT")
ALGO_STATUSES = ("NEW", "CANCELED", "TRIGGERING", "TRIGGERED", "FINISHED", "REJECTED", "EXPIRED")
#: Placeholder orders made by `POST /emulator/open-orders` (a count) carry this client id prefix.
PLACEHOLDER_PREFIX = "emulator-open-"
#: MAX_NUM_ORDERS filter of every symbol (exchangeInfo).
MAX_OPEN_ORDERS = 200


class RecordError(ValueError):
    """An order, trade or algo-order record (scenario file or admin API) that cannot be stored."""


def _text(r: Mapping[str, Any], name: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
    value = r.get(name, default)
    if not isinstance(value, str) or not value:
        raise RecordError(f"'{name}' must be a non-empty string")
    if choices and value not in choices:
        raise RecordError(f"'{name}' must be one of {', '.join(choices)}")
    return value


def _amount(r: Mapping[str, Any], name: str, default: str = "0") -> str:
    """A decimal field kept as Binance's string: finite, at most 20 digits before the point."""
    value = r.get(name, default)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordError(f"'{name}' must be a decimal string")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"'{name}' must be a decimal string") from None
    if not d.is_finite() or abs(d) >= Decimal(10) ** 20:
        raise RecordError(f"'{name}' must be a finite decimal below 1e20")
    return str(value)


def _long(r: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = r.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**63 - 1:
        raise RecordError(f"'{name}' must be an integer in 0..2^63-1")
    return value


def _flag(r: Mapping[str, Any], name: str, default: bool = False) -> bool:
    value = r.get(name, default)
    if not isinstance(value, bool):
        raise RecordError(f"'{name}' must be true or false")
    return value


def order_record(r: Mapping[str, Any], order_id: int, now: int) -> dict[str, Any]:
    """An order in Binance's field order (`GET /fapi/v1/allOrders`), defaults filled in."""
    status = _text(r, "status", "NEW", ORDER_STATUSES)
    type_ = _text(r, "type", "LIMIT", ORDER_TYPES)
    time = _long(r, "time", now)
    out: dict[str, Any] = {
        "avgPrice": _amount(r, "avgPrice", "0.00000"),
        "clientOrderId": _text(r, "clientOrderId", f"emulator-{order_id}"),
        "cumQuote": _amount(r, "cumQuote"),
        "executedQty": _amount(r, "executedQty"),
        "orderId": _long(r, "orderId", order_id),
        "origQty": _amount(r, "origQty", "1"),
        "origType": _text(r, "origType", type_, ORDER_TYPES),
        "price": _amount(r, "price"),
        "reduceOnly": _flag(r, "reduceOnly"),
        "side": _text(r, "side", "BUY", SIDES),
        "positionSide": _text(r, "positionSide", "BOTH", POSITION_SIDES),
        "status": status,
        "stopPrice": _amount(r, "stopPrice"),
        "closePosition": _flag(r, "closePosition"),
        "symbol": _text(r, "symbol"),
        "time": time,
        "timeInForce": _text(r, "timeInForce", "GTC", ("GTC", "IOC", "FOK", "GTX", "GTD")),
        "type": type_,
    }
    if type_ == "TRAILING_STOP_MARKET":
        out["activatePrice"] = _amount(r, "activatePrice")
        out["priceRate"] = _amount(r, "priceRate")
    out.update({
        "updateTime": _long(r, "updateTime", time),
        "workingType": _text(r, "workingType", "CONTRACT_PRICE", ("CONTRACT_PRICE", "MARK_PRICE")),
        "priceProtect": _flag(r, "priceProtect"),
        "priceMatch": _text(r, "priceMatch", "NONE"),
        "selfTradePreventionMode": _text(r, "selfTradePreventionMode", "NONE"),
        "goodTillDate": _long(r, "goodTillDate", 0),
    })
    return out


def trade_record(r: Mapping[str, Any], trade_id: int, now: int) -> dict[str, Any]:
    """A trade given by a scenario file or the admin API, checked, in Binance's field order
    (`GET /fapi/v1/userTrades`), defaults filled in."""
    side = _text(r, "side", "BUY", SIDES)
    return trade_row(
        buyer=_flag(r, "buyer", side == "BUY"), commission=_amount(r, "commission"),
        commission_asset=_text(r, "commissionAsset", "USDT"), trade_id=_long(r, "id", trade_id),
        maker=_flag(r, "maker"), order_id=_long(r, "orderId", 0), price=_amount(r, "price"),
        qty=_amount(r, "qty"), quote_qty=_amount(r, "quoteQty"), realized_pnl=_amount(r, "realizedPnl"),
        side=side, position_side=_text(r, "positionSide", "BOTH", POSITION_SIDES),
        symbol=_text(r, "symbol"), time=_long(r, "time", now),
    )


def trade_row(
    *, buyer: bool, commission: str, commission_asset: str, trade_id: int, maker: bool, order_id: int,
    price: str, qty: str, quote_qty: str, realized_pnl: str, side: str, position_side: str, symbol: str,
    time: int,
) -> dict[str, Any]:
    """A trade in Binance's field order from values already valid (the emulator's own trades, or
    ``trade_record``'s checked ones): no checks, for the thousands the demo history generates."""
    return {
        "buyer": buyer, "commission": commission, "commissionAsset": commission_asset, "id": trade_id,
        "maker": maker, "orderId": order_id, "price": price, "qty": qty, "quoteQty": quote_qty,
        "realizedPnl": realized_pnl, "side": side, "positionSide": position_side, "symbol": symbol,
        "time": time,
    }


def algo_record(r: Mapping[str, Any], algo_id: int, now: int) -> dict[str, Any]:
    """A conditional (algo) order in Binance's field order (`GET /fapi/v1/openAlgoOrders`)."""
    created = _long(r, "createTime", _long(r, "time", now))
    return {
        "algoId": _long(r, "algoId", algo_id),
        "clientAlgoId": _text(r, "clientAlgoId", f"emulator-algo-{algo_id}"),
        "algoType": _text(r, "algoType", "CONDITIONAL"),
        "orderType": _text(r, "orderType", "STOP_MARKET", ORDER_TYPES),
        "symbol": _text(r, "symbol"),
        "side": _text(r, "side", "SELL", SIDES),
        "positionSide": _text(r, "positionSide", "BOTH", POSITION_SIDES),
        "timeInForce": _text(r, "timeInForce", "GTC", ("GTC", "IOC", "FOK", "GTX", "GTD")),
        "quantity": _amount(r, "quantity", "1"),
        "algoStatus": _text(r, "algoStatus", "NEW", ALGO_STATUSES),
        "actualOrderId": str(r.get("actualOrderId", "")),
        "actualPrice": _amount(r, "actualPrice", "0.00000"),
        "triggerPrice": _amount(r, "triggerPrice"),
        "price": _amount(r, "price"),
        "icebergQuantity": None,
        "tpTriggerPrice": _amount(r, "tpTriggerPrice"),
        "tpPrice": _amount(r, "tpPrice"),
        "slTriggerPrice": _amount(r, "slTriggerPrice"),
        "slPrice": _amount(r, "slPrice"),
        "tpOrderType": str(r.get("tpOrderType", "")),
        "selfTradePreventionMode": _text(r, "selfTradePreventionMode", "EXPIRE_MAKER"),
        "workingType": _text(r, "workingType", "CONTRACT_PRICE", ("CONTRACT_PRICE", "MARK_PRICE")),
        "priceMatch": _text(r, "priceMatch", "NONE"),
        "closePosition": _flag(r, "closePosition"),
        "priceProtect": _flag(r, "priceProtect"),
        "reduceOnly": _flag(r, "reduceOnly"),
        "createTime": created,
        "updateTime": _long(r, "updateTime", created),
        "triggerTime": _long(r, "triggerTime", 0),
        "goodTillDate": _long(r, "goodTillDate", 0),
    }


def window(start: int | None, end: int | None, now: int, span_ms: int = QUERY_WINDOW_MS) -> tuple[int, int]:
    """[start, end] of a query: the last `span_ms` by default, an open side filled from the other.
    -1023 when start > end; -1127 when the span is longer than `span_ms` (Binance states the limit
    but not its code: the emulator answers -1127 as for the other lookup intervals)."""
    if start is not None and end is not None:
        if start > end:
            raise e.START_AFTER_END.reject()
        if end - start > span_ms:
            raise e.LOOKUP_INTERVAL_TOO_BIG.reject()
        return start, end
    if start is None and end is None:
        return now - span_ms, now
    if start is None:
        assert end is not None
        return end - span_ms, end
    return start, min(now, start + span_ms)


def check_limit(limit: int | None, default: int, maximum: int) -> int:
    """`limit` within 1..maximum (-1130 otherwise), else the default."""
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise e.INVALID_PARAMETER.reject(name="limit")
    return limit


class OrderBook:
    """Orders, trades and algo orders persisted in the store, read with Binance's rules."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def new_orders(self, account: str, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Orders normalized (ids continue from the highest stored), to store in a change."""
        return self._numbered(records, order_record, "orderId", self._store.max_order_id(account))

    def new_trades(self, account: str, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Trades normalized, to store in a change."""
        return self._numbered(records, trade_record, "id", self._store.max_trade_id(account))

    def new_algo_orders(self, account: str, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Algo orders normalized, to store in a change."""
        return self._numbered(records, algo_record, "algoId", self._store.max_algo_id(account))

    def _numbered(self, records: Sequence[Mapping[str, Any]],
                  make: Callable[[Mapping[str, Any], int, int], dict[str, Any]], id_field: str,
                  last_id: int) -> list[dict[str, Any]]:
        """Records normalized by `make`; those without an id get the next free one."""
        now = self._clock.now_ms()
        out = []
        for r in records:
            row = make(r, last_id + 1, now)
            last_id = max(last_id, row[id_field])
            out.append(row)
        return out

    def open_orders(self, account: str, symbol: str | None = None) -> list[dict[str, Any]]:
        """Orders with status NEW or PARTIALLY_FILLED, by orderId."""
        return self._store.query_orders(account, symbol, OPEN_STATUSES)

    def open_order_count(self, account: str, symbol: str | None = None) -> int:
        """How many open orders the account has (in one symbol, or in all)."""
        return self._store.count_orders(account, symbol, OPEN_STATUSES)

    def open_count_orders(self, account: str, symbol: str, count: int) -> list[dict[str, Any]]:
        """The orders that make `symbol` hold `count` open orders: the newest open ones canceled, or
        placeholder LIMIT orders added (to store in a change)."""
        if not 0 <= count <= MAX_OPEN_ORDERS:
            raise RecordError(f"'count' must be in 0..{MAX_OPEN_ORDERS} (the MAX_NUM_ORDERS filter)")
        current = self.open_orders(account, symbol)
        if len(current) > count:
            now = self._clock.now_ms()
            return [{**order, "status": "CANCELED", "updateTime": now} for order in current[count:]]
        first = self._store.max_order_id(account) + 1
        missing = range(count - len(current))
        return self.new_orders(account, [
            {"symbol": symbol, "clientOrderId": f"{PLACEHOLDER_PREFIX}{first + i}"} for i in missing])

    def open_order(self, account: str, symbol: str, order_id: int | None, client_id: str | None) -> dict[str, Any]:
        """One open order by id or client id; -2013 when there is none (or it is no longer open)."""
        for order in self.open_orders(account, symbol):
            if (order_id is None or order["orderId"] == order_id) and (
                    client_id is None or order["clientOrderId"] == client_id):
                return order
        raise e.NO_SUCH_ORDER.reject()

    def all_orders(self, account: str, symbol: str, from_id: int | None, start: int | None, end: int | None,
                   limit: int) -> list[dict[str, Any]]:
        """`GET /fapi/v1/allOrders`: orders >= `from_id`, else the most recent of the window (7 days by
        default and at most), ascending; closed unfilled orders vanish after 3 days, all after 90."""
        now = self._clock.now_ms()
        lo, hi = (0, 0) if from_id is not None else window(start, end, now)
        return self._store.shown_orders(
            account, symbol, start=lo, end=hi, since=now - ORDER_VISIBLE_MS,
            unfilled_since=now - UNFILLED_CLOSED_VISIBLE_MS, limit=limit, keep=lambda o: _visible(o, now),
            from_id=from_id)

    def user_trades(self, account: str, symbol: str, order_id: int | None, from_id: int | None,
                    start: int | None, end: int | None, limit: int) -> list[dict[str, Any]]:
        """`GET /fapi/v1/userTrades`: trades with id >= `from_id` (not combinable with a time window:
        -1128), else the most recent of the window (7 days by default and at most), ascending."""
        if from_id is not None and (start is not None or end is not None):
            raise e.BAD_COMBINATION.reject()  # Binance: "fromId cannot be sent with startTime or endTime"
        if from_id is not None:
            return self._store.query_trades(account, symbol, order_id, limit=limit, from_id=from_id)
        lo, hi = window(start, end, self._clock.now_ms())
        return self._store.query_trades(account, symbol, order_id, limit=limit, start=lo, end=hi)

    def force_orders(self, account: str, symbol: str | None, auto_close: str | None, start: int | None,
                     end: int | None, limit: int) -> list[dict[str, Any]]:
        """`GET /fapi/v1/forceOrders`: liquidation and/or ADL orders of the window (without
        `startTime`: the 7 days before `endTime`), the most recent `limit`, ascending."""
        now = self._clock.now_ms()
        hi = now if end is None else end
        lo = hi - QUERY_WINDOW_MS if start is None else start
        if lo > hi:
            raise e.START_AFTER_END.reject()
        return self._store.forced_orders(account, symbol, auto_close, lo, hi, limit)

    def open_algo_orders(self, account: str, symbol: str | None, algo_type: str | None,
                         algo_id: int | None) -> list[dict[str, Any]]:
        """`GET /fapi/v1/openAlgoOrders`: algo orders with status NEW."""
        return [a for a in self._store.query_algo_orders(account, symbol, "NEW")
                if algo_type in (None, a["algoType"]) and algo_id in (None, a["algoId"])]

    def export(self, account: str, kind: str, start: int, end: int) -> list[dict[str, Any]]:
        """Orders or trades of a window, ascending by time (the download files)."""
        if kind == "order":
            return self._store.export_orders(account, start, end)
        return self._store.export_trades(account, start, end)


def _visible(order: Mapping[str, Any], now: int) -> bool:
    created = int(order["time"])
    if created + ORDER_VISIBLE_MS < now:
        return False
    unfilled = Decimal(str(order["executedQty"])) == 0
    return not (order["status"] in ("CANCELED", "EXPIRED") and unfilled
                and created + UNFILLED_CLOSED_VISIBLE_MS < now)
