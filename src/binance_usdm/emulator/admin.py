"""The emulator's own admin API under `/emulator/...`: a route table of handlers with typed bodies.

It is not a Binance path: it exists only on the emulator, to arrange state from tests and tools and
to feed the dashboard. JSON in and out, no authentication. Each `AdminRoute` carries its summary and
body schema, which the OpenAPI document (`openapi.py`) and the README's table are written from.
A bad body is a 400 `{"error": ...}` naming the field; every number is checked finite and within
its range before anything changes; a backend refusal keeps Binance's `{"code", "msg"}`.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from . import openapi
from .accounts import Account
from .backend import GENERATE_INTERVALS, INCOME_TYPES, Backend, CommitFailed, generated_rows
from .errors import Rejection
from .events import REASONS
from .faults import FaultError, FaultSet
from .feeds import Feed, StreamEvent, T
from .margin import is_amount
from .messages import RawRequest, Response
from .orders import MAX_OPEN_ORDERS, RecordError
from .reqlog import Entry, RequestLog, matches
from .snapshot import account_snapshot
from .stream import StreamHub

_json = msgspec.json.Encoder(decimal_format="string")
_log = logging.getLogger(__name__)
#: How far the clock may be moved in one request (about 100 years), and the latest time it may show
#: (9999-12-31, the last date a calendar computation such as the download quota's month can name).
MAX_CLOCK_SECONDS = 100 * 366 * 86_400
MAX_CLOCK_MS = 253_402_300_799_999
MAX_TIME_MS = 2**63 - 1
#: Records per request (income, margin history, orders, trades) and rows one `generate` may write.
MAX_RECORDS = 100_000
MAX_GENERATED_ROWS = 100_000
_STATIC = {"/emulator/": ("index.html", "text/html; charset=utf-8"),
           "/emulator/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
           "/emulator/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8")}


class AdminError(Exception):
    """A bad admin request: HTTP 400 `{"error": ...}` (404 with `status=404`)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Body:
    """A request's JSON object with typed, range-checked getters (AdminError names the field)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        """True when the field is present (and not null)."""
        return self.data.get(name) is not None

    def text(self, name: str, default: str | None = None) -> str:
        """A non-empty string."""
        value = self.data.get(name, default)
        if not isinstance(value, str) or not value:
            raise AdminError(f"'{name}' must be a non-empty string")
        return value

    def decimal(self, name: str, *, positive: bool = False, non_negative: bool = False) -> Decimal:
        """A finite decimal (JSON string or number) below 1e20 with at most 8 decimals."""
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise AdminError(f"'{name}' must be a decimal (string or number)")
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            raise AdminError(f"'{name}' must be a decimal (string or number)") from None
        if not is_amount(d):
            raise AdminError(f"'{name}' must be a finite decimal below 1e20")
        if d.as_tuple().exponent < -8:  # type: ignore[operator]
            raise AdminError(f"'{name}' has more than 8 decimals")
        if positive and d <= 0:
            raise AdminError(f"'{name}' must be positive")
        if non_negative and d < 0:
            raise AdminError(f"'{name}' must not be negative")
        return d

    def integer(self, name: str, lo: int, hi: int, default: int | None = None) -> int:
        """An integer within [lo, hi]."""
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise AdminError(f"'{name}' must be an integer in {lo}..{hi}")
        return value

    def number(self, name: str, lo: float, hi: float, default: float | None = None) -> float:
        """A finite number within [lo, hi] (NaN and Infinity refused)."""
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AdminError(f"'{name}' must be a number")
        number = float(value)
        if not math.isfinite(number) or not lo <= number <= hi:
            raise AdminError(f"'{name}' must be a finite number in {lo:g}..{hi:g}")
        return number

    def boolean(self, name: str) -> bool:
        """true or false."""
        value = self.data.get(name)
        if not isinstance(value, bool):
            raise AdminError(f"'{name}' must be true or false")
        return value

    def objects(self, name: str, limit: int = MAX_RECORDS) -> list[Body]:
        """A list of JSON objects (at most `limit`)."""
        value = self.data.get(name)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise AdminError(f"'{name}' must be a list of objects")
        if len(value) > limit:
            raise AdminError(f"'{name}' holds more than {limit} entries; send them in parts")
        return [Body(v) for v in value]

    def texts(self, name: str) -> list[str]:
        """A non-empty list of non-empty strings."""
        value = self.data.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise AdminError(f"'{name}' must be a non-empty list of strings")
        return list(value)


Handler = Callable[["Admin", Body], Any]


@dataclass(frozen=True, slots=True)
class AdminRoute:
    """One admin endpoint: what it does, its body's JSON schema, what it answers."""

    summary: str
    handler: Handler
    body: dict[str, Any] | None = None
    answer: str = '{"ok": true}'
    #: The body may name the account ("account": id, alias or API key; default the first one).
    account_scoped: bool = False
    params: dict[str, str] = field(default_factory=dict)


class Admin:
    """Dispatch of `/emulator/...` requests through `ROUTES`."""

    def __init__(self, backend: Backend, reseed: Callable[[], None], faults: FaultSet | None = None,
                 log: RequestLog | None = None, streams: StreamHub | None = None) -> None:
        self.backend = backend
        self.reseed = reseed
        self.faults = faults or FaultSet()
        self.log = log or RequestLog()
        self.streams = streams

    def handle(self, req: RawRequest) -> Response:
        """Answer one `/emulator/...` request (the dashboard's files, a download, or a JSON route)."""
        if req.method == "GET" and req.path in _STATIC:
            name, ctype = _STATIC[req.path]
            data = resources.files(__package__).joinpath("dashboard", name).read_bytes()
            return Response(200, data, content_type=ctype, headers={"Cache-Control": "no-cache"})
        if req.method == "GET" and req.path.startswith("/emulator/downloads/") and req.path.endswith(".csv"):
            csv = self.backend.downloads.csv_bytes(req.path[len("/emulator/downloads/"):-4])
            if csv is None:
                return _answer(404, {"error": "no such download (or not ready, or expired)"})
            return Response(200, csv, content_type="text/csv")
        try:
            route, arg = self._route(req.method, req.path)
            body = Body(_query(req.query) if req.method in ("GET", "DELETE") else _json_body(req.body))
            if arg is not None:
                body = Body({**body.data, "id": arg})
            with self.backend.lock:
                result = route.handler(self, body)
            return result if isinstance(result, Response) else _answer(200, result)
        except AdminError as exc:
            return _answer(exc.status, {"error": str(exc)})
        except (RecordError, FaultError) as exc:
            return _answer(400, {"error": str(exc)})
        except Rejection as exc:
            return _answer(exc.status, {"code": exc.code, "msg": exc.msg})
        except CommitFailed as exc:
            _log.error("emulator could not save %s %s: %s", req.method, req.path, exc)
            return _answer(503, {"error": f"the change was not saved (nothing applied): {exc}"})

    @staticmethod
    def _route(method: str, path: str) -> tuple[AdminRoute, str | None]:
        route = ROUTES.get((method, path))
        if route is not None:
            return route, None
        match = re.fullmatch(r"(/emulator/faults/)([^/]+)", path)
        if match and (method, match[1] + "{id}") in ROUTES:
            return ROUTES[(method, match[1] + "{id}")], match[2]
        raise AdminError(f"no admin endpoint {method} {path}", 404)

    def account(self, body: Body) -> Account:
        """The account a body names ("account": id, alias or API key), else the first one."""
        ref = body.data.get("account")
        if ref is not None and not isinstance(ref, str):
            raise AdminError("'account' must be an account id, alias or API key")
        try:
            return self.backend.account(ref)
        except KeyError:
            raise AdminError(f"no account {ref!r}") from None


def _answer(status: int, result: Any) -> Response:
    return Response(status, _json.encode(result))


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        data = msgspec.json.decode(raw) if raw.strip() else {}
    except msgspec.DecodeError:
        raise AdminError("body must be JSON") from None
    if not isinstance(data, dict):
        raise AdminError("body must be a JSON object")
    return data


def _query(query: str) -> dict[str, Any]:
    return dict(parse_qsl(query))


# -- handlers -------------------------------------------------------------------------------------
def _state(a: Admin, body: Body) -> Any:
    b = a.backend
    return {
        "time": b.clock.now_ms(),
        "frozen": b.clock.frozen,
        "accounts": [
            {"accountId": acc.account_id, "alias": acc.alias, "apiKeys": [c.api_key for c in acc.credentials],
             "incomeRecords": b.store.count_income(acc.account_id)}
            for acc in b.accounts.values()
        ],
        "markPrices": {s: str(p) for s, p in b.marks.items()},
    }


def _accounts(a: Admin, body: Body) -> Any:
    b = a.backend
    out = []
    for acc in b.accounts.values():
        snap = account_snapshot(acc, b.symbols, b.marks)
        out.append({
            "accountId": acc.account_id,
            "alias": acc.alias,
            "modes": {"dualSidePosition": acc.dual_side, "multiAssetsMargin": acc.multi_assets,
                      "feeBurn": acc.fee_burn, "canTrade": acc.can_trade},
            "balances": [{"asset": asset, "wallet": str(f.wallet), "available": str(f.available),
                          "unrealizedProfit": str(f.unrealized)} for asset, f in snap.assets.items()],
            "positions": [{"symbol": lg.symbol, "positionSide": lg.side, "positionAmt": str(lg.amount),
                           "entryPrice": str(lg.entry), "markPrice": str(lg.mark), "unrealizedProfit": str(lg.upnl),
                           "leverage": lg.leverage, "marginType": "ISOLATED" if lg.isolated else "CROSSED"}
                          for lg in snap.legs],
            "openOrders": b.orders.open_order_count(acc.account_id),
            "listenKeyExpiry": b.listen_keys.expiry(acc.account_id),
        })
    return {"time": b.clock.now_ms(), "frozen": b.clock.frozen, "accounts": out}


def _openapi(a: Admin, body: Body) -> Any:
    return openapi.document(a.backend.symbols, openapi_paths())


def _clock(a: Admin, body: Body) -> Any:
    clock = a.backend.clock
    freeze = body.boolean("freeze") if body.has("freeze") else None
    target = body.integer("set", 0, MAX_CLOCK_MS) if body.has("set") else None
    advance = body.number("advance", -MAX_CLOCK_SECONDS, MAX_CLOCK_SECONDS) if body.has("advance") else 0.0
    if not 0 <= (clock.now_ms() if target is None else target) + round(advance * 1000) <= MAX_CLOCK_MS:
        raise AdminError(f"'advance' would move the clock outside 0..{MAX_CLOCK_MS} ms")
    if freeze is not None:
        if freeze:
            clock.freeze()
        else:
            clock.unfreeze()
    if target is not None:
        clock.set(target)
    if advance:
        clock.advance(advance)
    return {"time": clock.now_ms(), "frozen": clock.frozen}


def _reset(a: Admin, body: Body) -> Any:
    a.backend.reset()
    a.reseed()
    return {"ok": True}


def _mark_price(a: Admin, body: Body) -> Any:
    a.backend.set_mark_price(body.text("symbol"), body.decimal("price", positive=True))
    return {"ok": True}


def _position(a: Admin, body: Body) -> Any:
    acc = a.account(body)
    wallet = body.decimal("isolatedWallet", non_negative=True) if body.has("isolatedWallet") else None
    a.backend.set_position(acc, body.text("symbol"), body.decimal("positionAmt"),
                           body.decimal("entryPrice", non_negative=True), body.text("positionSide", "BOTH"), wallet)
    return {"ok": True}


def _close_position(a: Admin, body: Body) -> Any:
    acc = a.account(body)
    symbol, side = body.text("symbol"), body.text("positionSide", "BOTH")
    pos = acc.positions.get((symbol, side))
    if pos is None or pos.amount == 0:
        raise AdminError(f"no {side} position in {symbol}")
    return {"realizedPnl": str(a.backend.close_position(acc, symbol, side))}


def _balance(a: Admin, body: Body) -> Any:
    reason = body.text("reason") if body.has("reason") else None
    if reason is not None and reason not in REASONS:
        raise AdminError(f"'reason' must be one of Binance's ACCOUNT_UPDATE reasons ({', '.join(sorted(REASONS))})")
    a.backend.set_balance(a.account(body), body.text("asset"), body.decimal("balance"), reason)
    return {"ok": True}


def _time_of(r: Body) -> dict[str, int]:
    return {"time": r.integer("time", 0, MAX_TIME_MS)} if r.has("time") else {}


def _income(a: Admin, body: Body) -> Any:
    acc = a.account(body)
    records = []
    for r in body.objects("records"):
        income_type = r.text("incomeType")
        if income_type not in INCOME_TYPES:
            raise AdminError(f"'incomeType' {income_type!r} is not one of Binance's income types")
        rec: dict[str, Any] = {"incomeType": income_type, "income": r.decimal("income"), **_time_of(r)}
        for name in ("symbol", "asset", "info", "tradeId"):
            if r.has(name):
                rec[name] = r.text(name)
        if r.has("tranId"):
            rec["tranId"] = r.integer("tranId", 1, MAX_TIME_MS)
        records.append(rec)
    return {"added": a.backend.add_income(acc, records)}


def _margin_history(a: Admin, body: Body) -> Any:
    acc = a.account(body)
    records = []
    for r in body.objects("records"):
        symbol = r.text("symbol")
        a.backend.symbol(symbol)
        rec: dict[str, Any] = {"symbol": symbol, "type": r.integer("type", 1, 2), "amount": r.decimal("amount"),
                               **_time_of(r)}
        for name in ("deltaType", "asset", "positionSide"):
            if r.has(name):
                rec[name] = r.text(name)
        records.append(rec)
    return {"added": a.backend.add_margin_history(acc, records)}


def _book(add: Callable[[Backend, Account, list[dict[str, Any]]], int]) -> Handler:
    def handler(a: Admin, body: Body) -> Any:
        return {"added": add(a.backend, a.account(body), [dict(r.data) for r in body.objects("records")])}

    return handler


def _generate(a: Admin, body: Body) -> Any:
    acc = a.account(body)
    if body.text("kind", "funding") != "funding":
        raise AdminError("'kind' must be 'funding' (the only generator)")
    symbols = body.texts("symbols")
    days = body.number("days", 0, 366, 7)
    interval = body.text("interval", "8h")
    if interval not in GENERATE_INTERVALS:
        raise AdminError(f"'interval' must be one of {', '.join(GENERATE_INTERVALS)}")
    trades = body.integer("tradesPerInterval", 0, 100, 1)
    rows = generated_rows(len(symbols), days, interval, trades)
    if rows > MAX_GENERATED_ROWS:
        raise AdminError(f"that would write {rows} records; at most {MAX_GENERATED_ROWS} per request "
                         "(fewer days or symbols, a longer interval, or several requests)")
    n = a.backend.generate_history(acc, symbols, days, interval, trades, body.integer("seed", 0, 2**31, 7))
    return {"added": n}


def _open_orders(a: Admin, body: Body) -> Any:
    a.backend.set_open_orders(a.account(body), body.text("symbol"), body.integer("count", 0, MAX_OPEN_ORDERS))
    return {"ok": True}


def _trading_status(a: Admin, body: Body) -> Any:
    indicators = body.data.get("indicators")
    if not isinstance(indicators, dict) or not all(
            isinstance(k, str) and isinstance(v, list) for k, v in indicators.items()):
        raise AdminError("'indicators' must be an object of symbol -> list of indicator objects")
    a.backend.set_trading_status(a.account(body), indicators)
    return {"ok": True}


def _faults_list(a: Admin, body: Body) -> Any:
    return {"faults": a.faults.listing()}


def _faults_add(a: Admin, body: Body) -> Any:
    if body.has("fault"):
        specs = [body.data["fault"]]
    elif body.has("faults"):
        specs = body.data["faults"]
        if not isinstance(specs, list):
            raise AdminError("'faults' must be a list of fault specs")
    else:
        specs = [dict(body.data)]
    if not all(isinstance(spec, str | dict) for spec in specs):
        raise AdminError("a fault is a spec string (TARGET=KIND[:ARG][,OPTION...]) or a fault object")
    return {"added": [f.to_dict() for f in a.faults.extend(specs)]}


def _faults_clear(a: Admin, body: Body) -> Any:
    return {"removed": a.faults.clear()}


def _fault_remove(a: Admin, body: Body) -> Any:
    fault_id = str(body.data["id"])
    if not fault_id.isdigit() or not a.faults.remove(int(fault_id)):
        raise AdminError(f"no fault {fault_id}", 404)
    return {"removed": 1}


def _log_read(a: Admin, body: Body) -> Any:
    limit = _query_int(body, "limit", a.log.capacity)
    after = _query_int(body, "after", 0)
    entries = a.log.entries(body.data.get("status") or None, body.data.get("path") or None, after, limit)
    return {"capacity": a.log.capacity, "entries": [e.to_dict() for e in entries]}


def _query_int(body: Body, name: str, default: int) -> int:
    raw = body.data.get(name)
    if raw is None:
        return default
    if not str(raw).isdigit() or int(raw) > 10**9:
        raise AdminError(f"'{name}' must be a non-negative integer")
    return int(raw)


def _hub(a: Admin) -> StreamHub:
    if a.streams is None:
        raise AdminError("this emulator serves no user data stream", 404)
    return a.streams


def _streams(a: Admin, body: Body) -> Any:
    return _hub(a).connections()


def _streams_drop(a: Admin, body: Body) -> Any:
    return {"closed": _hub(a).drop_all()}


def _sse(feed: Feed[T], event: str, keep: Callable[[T], bool], to_json: Callable[[T], Any]) -> Response:
    """A server-sent event stream of a feed's new items (`event: <event>`, `data: <json>`)."""

    def start(write: Callable[[bytes], None]) -> Callable[[], None]:
        def send(item: T) -> None:
            if keep(item):
                write(b"event: " + event.encode() + b"\ndata: " + _json.encode(to_json(item)) + b"\n\n")

        write(b": " + event.encode() + b" feed\n\n")
        return feed.subscribe(send)

    return Response(200, b"", content_type="text/event-stream", headers={"Cache-Control": "no-cache"}, stream=start)


def _log_stream(a: Admin, body: Body) -> Any:
    status, path = body.data.get("status") or None, body.data.get("path") or None
    return _sse(a.log, "request", lambda e: matches(e, status, path), Entry.to_dict)


def _stream_events(a: Admin, body: Body) -> Any:
    feed = _hub(a).delivered
    after, limit = _query_int(body, "after", 0), _query_int(body, "limit", feed.capacity)
    rows = [e for e in feed.items() if e.id > after]
    return {"capacity": feed.capacity, "events": [e.to_dict() for e in rows[-limit:] if limit]}


def _stream_events_stream(a: Admin, body: Body) -> Any:
    return _sse(_hub(a).delivered, "userdata", lambda e: True, StreamEvent.to_dict)


def _log_clear(a: Admin, body: Body) -> Any:
    return {"removed": a.log.clear()}


_S: dict[str, Any] = {"type": "string"}
_D: dict[str, Any] = {"type": "string", "description": "decimal (a JSON number is accepted too)"}
_I: dict[str, Any] = {"type": "integer"}
_ACCOUNT: dict[str, Any] = {"type": "string", "description": "account id, alias or API key (default: the first)"}
_RECORDS: dict[str, Any] = {"type": "array", "items": {"type": "object"}, "maxItems": MAX_RECORDS}


def _schema(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


#: (verb, path) -> route; `{id}` in a path is one path segment.
ROUTES: dict[tuple[str, str], AdminRoute] = {
    ("GET", "/emulator/state"): AdminRoute(
        "Accounts (id, alias, API keys, income record count), the clock and mark prices", _state,
        answer='{"time", "frozen", "accounts": [...], "markPrices": {...}}'),
    ("GET", "/emulator/accounts"): AdminRoute(
        "Every account's balances, positions, modes, open-order count and listen-key expiry", _accounts,
        answer='{"time", "frozen", "accounts": [{"accountId", "alias", "modes", "balances", "positions", '
               '"openOrders", "listenKeyExpiry"}]}'),
    ("GET", "/emulator/openapi.json"): AdminRoute(
        "This OpenAPI document (Binance endpoints and the admin API)", _openapi, answer="OpenAPI 3 document"),
    ("POST", "/emulator/clock"): AdminRoute(
        "Move the emulator clock: freeze or unfreeze, jump to a time, advance by seconds (in that order)", _clock,
        _schema({}, {"freeze": {"type": "boolean"}, "set": {**_I, "description": "epoch ms"},
                     "advance": {"type": "number", "description": "seconds, may be negative"}}),
        '{"time", "frozen"}'),
    ("POST", "/emulator/reset"): AdminRoute(
        "Forget everything, load the scenario again, reinstall the starting faults", _reset),
    ("POST", "/emulator/mark-price"): AdminRoute(
        "Set a symbol's mark price (positive)", _mark_price, _schema({"symbol": _S, "price": _D})),
    ("POST", "/emulator/positions"): AdminRoute(
        "Open or replace a position leg", _position,
        _schema({"symbol": _S, "positionAmt": _D, "entryPrice": _D},
                {"positionSide": {"enum": ["BOTH", "LONG", "SHORT"]}, "isolatedWallet": _D, "account": _ACCOUNT}),
        account_scoped=True),
    ("POST", "/emulator/positions/close"): AdminRoute(
        "Close a leg at the mark: realized PnL and taker commission go to the wallet and the income history",
        _close_position, _schema({"symbol": _S}, {"positionSide": _S, "account": _ACCOUNT}),
        '{"realizedPnl"}', account_scoped=True),
    ("POST", "/emulator/balances"): AdminRoute(
        "Set a wallet balance (no income record); the user data stream shows it with `reason` "
        "(default DEPOSIT for an increase, WITHDRAW for a decrease)", _balance,
        _schema({"asset": _S, "balance": _D}, {"reason": _S, "account": _ACCOUNT}), account_scoped=True),
    ("POST", "/emulator/income"): AdminRoute(
        "Append income records (fields as GET /fapi/v1/income answers them; time defaults to now)", _income,
        _schema({"records": _RECORDS}, {"account": _ACCOUNT}), '{"added"}', account_scoped=True),
    ("POST", "/emulator/margin-history"): AdminRoute(
        "Append position-margin change records (symbol, type 1|2, amount; time, deltaType, asset, positionSide)",
        _margin_history, _schema({"records": _RECORDS}, {"account": _ACCOUNT}), '{"added"}', account_scoped=True),
    ("POST", "/emulator/orders"): AdminRoute(
        "Add or replace orders (fields as GET /fapi/v1/allOrders answers them; symbol required, the rest "
        "defaulted: a NEW LIMIT BUY of 1). Open ones (NEW, PARTIALLY_FILLED) count for the open-order rules",
        _book(Backend.add_orders), _schema({"records": _RECORDS}, {"account": _ACCOUNT}), '{"added"}',
        account_scoped=True),
    ("POST", "/emulator/trades"): AdminRoute(
        "Add trades (fields as GET /fapi/v1/userTrades answers them; symbol required)",
        _book(Backend.add_trades), _schema({"records": _RECORDS}, {"account": _ACCOUNT}), '{"added"}',
        account_scoped=True),
    ("POST", "/emulator/algo-orders"): AdminRoute(
        "Add algo (conditional) orders (fields as GET /fapi/v1/openAlgoOrders answers them; symbol required)",
        _book(Backend.add_algo_orders), _schema({"records": _RECORDS}, {"account": _ACCOUNT}), '{"added"}',
        account_scoped=True),
    ("POST", "/emulator/open-orders"): AdminRoute(
        f"Make a symbol hold `count` open orders (0..{MAX_OPEN_ORDERS}): placeholder LIMIT orders are added, "
        "or the newest open ones canceled", _open_orders,
        _schema({"symbol": _S, "count": {**_I, "minimum": 0, "maximum": MAX_OPEN_ORDERS}}, {"account": _ACCOUNT}),
        account_scoped=True),
    ("POST", "/emulator/generate"): AdminRoute(
        f"Bulk income history: per symbol and interval a FUNDING_FEE plus tradesPerInterval COMMISSION and "
        f"REALIZED_PNL pairs, deterministic per seed; at most {MAX_GENERATED_ROWS} records per request", _generate,
        _schema({"symbols": {"type": "array", "items": _S}},
                {"kind": {"enum": ["funding"]}, "days": {"type": "number", "minimum": 0, "maximum": 366},
                 "interval": {"enum": ["1h", "4h", "8h", "1d"]},
                 "tradesPerInterval": {**_I, "minimum": 0, "maximum": 100}, "seed": _I, "account": _ACCOUNT}),
        '{"added"}', account_scoped=True),
    ("POST", "/emulator/trading-status"): AdminRoute(
        "Set the apiTradingStatus indicators", _trading_status,
        _schema({"indicators": {"type": "object"}}, {"account": _ACCOUNT}), account_scoped=True),
    ("GET", "/emulator/faults"): AdminRoute(
        "The installed faults with their counters (fired, remaining)", _faults_list, answer='{"faults": [...]}'),
    ("POST", "/emulator/faults"): AdminRoute(
        "Install faults: {\"fault\": spec}, {\"faults\": [spec, ...]} or one fault object", _faults_add,
        _schema({}, {"fault": _S, "faults": {"type": "array"}}), '{"added": [...]}'),
    ("DELETE", "/emulator/faults"): AdminRoute("Uninstall every fault", _faults_clear, answer='{"removed"}'),
    ("DELETE", "/emulator/faults/{id}"): AdminRoute("Uninstall one fault", _fault_remove, answer='{"removed": 1}'),
    ("GET", "/emulator/streams"): AdminRoute(
        "The open user data stream connections per account, and their total", _streams,
        answer='{"<accountId>": n, "total": n}'),
    ("POST", "/emulator/streams/drop"): AdminRoute(
        "Close every user data stream now, as a server-side disconnect would", _streams_drop,
        answer='{"closed": n}'),
    ("GET", "/emulator/stream-events"): AdminRoute(
        "The last 200 payloads the user data streams delivered (listen keys masked), oldest first",
        _stream_events, answer='{"capacity", "events": [{"id", "time", "account", "event"}]}',
        params={"after": "only events with a larger id", "limit": "only the last N"}),
    ("GET", "/emulator/stream-events/stream"): AdminRoute(
        "The delivered user-data payloads as server-sent events (one `userdata` event each, from now on)",
        _stream_events_stream, answer="text/event-stream"),
    ("GET", "/emulator/log"): AdminRoute(
        "The request log, oldest first", _log_read, answer='{"capacity", "entries": [...]}',
        params={"status": "a status (429) or class (4xx)", "path": "a substring of the path",
                "after": "only entries with a larger id", "limit": "only the last N"}),
    ("GET", "/emulator/log/stream"): AdminRoute(
        "The request log as server-sent events (one `request` event per answered request, from now on)",
        _log_stream, answer="text/event-stream",
        params={"status": "as for /emulator/log", "path": "as for /emulator/log"}),
    ("DELETE", "/emulator/log"): AdminRoute("Empty the request log", _log_clear, answer='{"removed"}'),
}


def openapi_paths() -> dict[str, dict[str, Any]]:
    """The admin routes as OpenAPI path items (tag "emulator admin")."""
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), route in ROUTES.items():
        op: dict[str, Any] = {
            "operationId": "admin" + "".join(w[:1].upper() + w[1:] for w in re.split(r"[/{}.-]+", path)[2:] if w)
                           + method.capitalize(),
            "summary": route.summary,
            "tags": ["emulator admin"],
            "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"},
                            "description": d} for n, d in route.params.items()],
            "responses": {
                "200": {"description": route.answer},
                "400": {"description": 'a bad body: {"error": "..."}, or a Binance refusal {"code", "msg"}'},
            },
        }
        if "{id}" in path:
            op["parameters"].append({"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}})
        if route.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
        paths.setdefault(path, {})[method.lower()] = op
    return paths
