"""The emulator's own admin API under `/emulator/...` (JSON in and out, no authentication).

It is not a Binance path: it exists only on the emulator, to arrange state from tests and tools.

| verb, path | body | effect |
|---|---|---|
| GET /emulator/state | | accounts (id, alias, API keys), clock, income count |
| POST /emulator/mark-price | {"symbol", "price"} | set a mark price |
| POST /emulator/positions | {"symbol", "positionAmt", "entryPrice", "positionSide"?, "isolatedWallet"?} | set a leg |
| POST /emulator/positions/close | {"symbol", "positionSide"?} | close at mark (PnL + fee to wallet and income) |
| POST /emulator/balances | {"asset", "balance", "reason"?} | set a wallet balance (stream: DEPOSIT/WITHDRAW) |
| POST /emulator/income | {"records": [...]} | append income records |
| POST /emulator/margin-history | {"records": [...]} | append margin-change records |
| POST /emulator/records | {"kind": "order"/"trade", "records": [...]} | order/trade rows for the downloads |
| POST /emulator/generate | {"kind": "funding", "symbols", "days", "interval", "tradesPerInterval"?} | bulk income |
| POST /emulator/open-orders | {"symbol", "count"} | set a symbol's open-order count |
| POST /emulator/trading-status | {"indicators": {...}} | set apiTradingStatus indicators |
| POST /emulator/clock | {"advance": seconds} / {"set": ms} / {"freeze": bool} | move the clock |
| POST /emulator/reset | {} | forget everything, load the scenario again, reinstall the starting faults |
| GET /emulator/faults | | the installed faults with their counters (`fired`, `remaining`) |
| POST /emulator/faults | {"fault": spec} / {"faults": [spec, ...]} / a fault object | install faults (`faults.py`) |
| DELETE /emulator/faults[/<id>] | | uninstall every fault, or one |
| GET /emulator/openapi.json | | the OpenAPI 3 document of the Binance endpoints served |
| GET /emulator/downloads/<id>.csv | | a completed download's file |
| GET /emulator/streams | | open user data streams per account (`stream.py`, served by `server.App`) |
| POST /emulator/streams/drop | | close every open stream now, as a server-side disconnect |

Every account-scoped body may name the account with "account" (id, alias or API key; default: the
first account).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from . import openapi
from .backend import Backend
from .errors import Rejection
from .faults import FaultError, FaultSet

AdminResult = tuple[int, Any]


class AdminError(Exception):
    """A bad admin request (HTTP 400 `{"error": ...}`)."""


def _dec(body: dict[str, Any], name: str) -> Decimal:
    try:
        return Decimal(str(body[name]))
    except (KeyError, InvalidOperation) as exc:
        raise AdminError(f"'{name}' must be a decimal") from exc


class Admin:
    """Dispatch of `/emulator/...` requests to backend methods."""

    def __init__(self, backend: Backend, reseed: Callable[[], None], faults: FaultSet | None = None) -> None:
        self.backend = backend
        self.reseed = reseed
        self.faults = faults or FaultSet()

    def handle(self, method: str, path: str, body: dict[str, Any]) -> AdminResult:
        """Run one admin request; returns (HTTP status, JSON-able answer)."""
        b = self.backend
        try:
            if method == "GET" and path == "/emulator/state":
                return 200, self._state()
            if method == "GET" and path == "/emulator/openapi.json":
                return 200, openapi.document(b.symbols)
            if path == "/emulator/faults" or path.startswith("/emulator/faults/"):
                return self._faults(method, path, body)
            if method != "POST":
                return 404, {"error": f"no admin endpoint {method} {path}"}
            if path == "/emulator/clock":
                return 200, self._clock(body)
            if path == "/emulator/reset":
                b.reset()
                self.reseed()
                return 200, {"ok": True}
            if path == "/emulator/mark-price":
                b.set_mark_price(str(body["symbol"]), _dec(body, "price"))
                return 200, {"ok": True}
            acc = b.account(body.get("account"))
            if path == "/emulator/positions":
                wallet = body.get("isolatedWallet")
                b.set_position(acc, str(body["symbol"]), _dec(body, "positionAmt"), _dec(body, "entryPrice"),
                               str(body.get("positionSide", "BOTH")),
                               None if wallet is None else _dec(body, "isolatedWallet"))
                return 200, {"ok": True}
            if path == "/emulator/positions/close":
                pnl = b.close_position(acc, str(body["symbol"]), str(body.get("positionSide", "BOTH")))
                return 200, {"realizedPnl": str(pnl)}
            if path == "/emulator/balances":
                reason = body.get("reason")
                b.set_balance(acc, str(body["asset"]), _dec(body, "balance"), None if reason is None else str(reason))
                return 200, {"ok": True}
            if path == "/emulator/income":
                return 200, {"added": b.add_income(acc, list(body["records"]))}
            if path == "/emulator/margin-history":
                return 200, {"added": b.add_margin_history(acc, list(body["records"]))}
            if path == "/emulator/records":
                return 200, {"added": b.add_records(acc, str(body["kind"]), list(body["records"]))}
            if path == "/emulator/generate":
                if body.get("kind", "funding") != "funding":
                    raise AdminError("only kind 'funding' is supported")
                n = b.generate_history(acc, list(body["symbols"]), float(body.get("days", 7)),
                                       str(body.get("interval", "8h")), int(body.get("tradesPerInterval", 1)),
                                       int(body.get("seed", 7)))
                return 200, {"added": n}
            if path == "/emulator/open-orders":
                b.set_open_orders(acc, str(body["symbol"]), int(body["count"]))
                return 200, {"ok": True}
            if path == "/emulator/trading-status":
                b.set_trading_status(acc, dict(body["indicators"]))
                return 200, {"ok": True}
            return 404, {"error": f"no admin endpoint {method} {path}"}
        except Rejection as exc:
            return exc.status, {"code": exc.code, "msg": exc.msg}
        except (AdminError, FaultError, KeyError, ValueError, TypeError) as exc:
            return 400, {"error": f"{type(exc).__name__}: {exc}"}

    def _faults(self, method: str, path: str, body: dict[str, Any]) -> AdminResult:
        faults = self.faults
        if path == "/emulator/faults" and method == "GET":
            return 200, {"faults": faults.listing()}
        if path == "/emulator/faults" and method == "POST":
            if "fault" in body:
                specs = [body["fault"]]
            elif "faults" in body:
                specs = list(body["faults"])
            else:
                specs = [body]
            return 200, {"added": [f.to_dict() for f in faults.extend(specs)]}
        if path == "/emulator/faults" and method == "DELETE":
            return 200, {"removed": faults.clear()}
        if method == "DELETE":
            fault_id = path.removeprefix("/emulator/faults/")
            if fault_id.isdigit() and faults.remove(int(fault_id)):
                return 200, {"removed": 1}
            return 404, {"error": f"no fault {fault_id}"}
        return 404, {"error": f"no admin endpoint {method} {path}"}

    def _state(self) -> dict[str, Any]:
        b = self.backend
        return {
            "time": b.clock.now_ms(),
            "frozen": b.clock.frozen,
            "accounts": [
                {"accountId": a.account_id, "alias": a.alias, "apiKeys": [c.api_key for c in a.credentials],
                 "incomeRecords": b.store.count_income(a.account_id)}
                for a in b.accounts.values()
            ],
            "markPrices": {s: str(p) for s, p in b.marks.items()},
        }

    def _clock(self, body: dict[str, Any]) -> dict[str, Any]:
        clock = self.backend.clock
        if "freeze" in body:
            if body["freeze"]:
                clock.freeze()
            else:
                clock.unfreeze()
        if "set" in body:
            clock.set(int(body["set"]))
        if "advance" in body:
            clock.advance(float(body["advance"]))
        return {"time": clock.now_ms(), "frozen": clock.frozen}
