"""A stand-in for Binance's history endpoints (the handler of a ``ScriptedServer``), scripted for edge
cases the emulator makes hard to arrange: thousands of records in one millisecond, a capped margin
page, download states in a chosen order, a slow or failing file server. It answers like Binance
(ascending by time then tranId, inclusive bounds, ``limit``/``page``) and records every request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.scripted_server import Reply, Request

DAY_MS = 86_400_000
FILE_PATH = "/files/report.csv"


@dataclass
class Seen:
    path: str
    params: dict[str, str]


@dataclass
class Exchange:
    """State behind the server; tests set the fields directly."""

    base_url: str  # where the server serving this exchange listens (the download links point there)
    income: list[dict[str, Any]] = field(default_factory=list)
    margin: list[dict[str, Any]] = field(default_factory=list)
    margin_cap: int = 500  # Binance's documented default; larger limits are capped, as the emulator does
    link_states: list[str] = field(default_factory=lambda: ["completed"])
    expired: bool = False
    file_body: bytes = b""
    file_status: int = 200
    file_chunk: int = 64 * 1024
    file_chunk_delay: float = 0.0
    file_cut: int | None = None  # send only this many bytes of the announced body, then close
    fail: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # path -> (status, body)
    fail_after: int = 0  # number of successful calls to a failing path before it fails
    requests: list[Seen] = field(default_factory=list)

    def calls(self, path: str) -> list[dict[str, str]]:
        return [seen.params for seen in self.requests if seen.path == path]

    def __call__(self, request: Request) -> Reply:
        """The scripted server's handler: the answer to ``request``."""
        if request.path == FILE_PATH:
            return self._file()
        if request.path == "/fapi/v1/time":
            return _json(200, {"serverTime": int(time.time() * 1000)})
        params = request.params
        self.requests.append(Seen(request.path, params))
        if request.path in self.fail and len(self.calls(request.path)) > self.fail_after:
            return _json(*self.fail[request.path])
        return _json(*self.answer(request.path, params))

    def _file(self) -> Reply:
        if self.file_status != 200:
            return Reply(self.file_status, b"")
        return Reply(body=self.file_body, headers={"Content-Type": "text/csv"}, cut=self.file_cut,
                     pieces=max(1, -(-len(self.file_body) // self.file_chunk)), pause=self.file_chunk_delay)

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, Any]:
        if path == "/fapi/v1/income":
            return 200, _income(self.income, params)
        if path == "/fapi/v1/positionMargin/history":
            return _margin(self.margin, params, self.margin_cap)
        if path.endswith("/asyn"):
            return 200, {"avgCostTimestampOfLast30d": 1000, "downloadId": "777"}
        if path.endswith("/asyn/id"):
            state = self.link_states.pop(0) if len(self.link_states) > 1 else self.link_states[0]
            done = state == "completed"
            return 200, {
                "downloadId": params["downloadId"], "status": state,
                "url": self.base_url + FILE_PATH if done else "", "notified": done,
                "expirationTimestamp": int(time.time() * 1000) + 7 * DAY_MS if done else -1,
                "isExpired": True if self.expired else None,
            }
        return 404, {"code": -1000, "msg": f"no route {path}"}


def income_rows(times: Iterable[int], start_tran_id: int = 1000) -> list[dict[str, Any]]:
    """Income records at the given times (unique tranIds, kinds alternating), in Binance's order."""
    kinds = ("FUNDING_FEE", "COMMISSION", "REALIZED_PNL")
    rows = [
        {"symbol": "BTCUSDT", "incomeType": kinds[i % 3], "income": f"{(i % 7) - 3}.{i:08d}"[:12],
         "asset": "USDT", "info": kinds[i % 3], "time": t, "tranId": start_tran_id + i, "tradeId": str(i)}
        for i, t in enumerate(times)
    ]
    rows.sort(key=lambda r: (r["time"], r["tranId"]))
    return rows


def _json(status: int, body: Any) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"X-MBX-USED-WEIGHT-1M": "1"})


def _income(rows: list[dict[str, Any]], p: dict[str, str]) -> list[dict[str, Any]]:
    low, high = int(p.get("startTime", 0)), int(p.get("endTime", 2**62))
    limit, page = int(p.get("limit", 100)), int(p.get("page", 1))
    chosen = [
        r for r in rows
        if low <= r["time"] <= high
        and p.get("incomeType", r["incomeType"]) == r["incomeType"]
        and p.get("symbol", r["symbol"]) == r["symbol"]
    ]
    return chosen[(page - 1) * limit:page * limit]


def _margin(rows: list[dict[str, Any]], p: dict[str, str], cap: int) -> tuple[int, Any]:
    low, high = int(p["startTime"]), int(p["endTime"])
    if high - low > 30 * DAY_MS:
        return 400, {"code": -4165, "msg": "Maximum time interval is 30 days"}
    limit = min(int(p.get("limit", 500)), cap)
    chosen = [
        r for r in rows
        if low <= r["time"] <= high and r["symbol"] == p["symbol"]
        and int(p.get("type", r["type"])) == r["type"]
    ]
    return 200, chosen[:limit]
