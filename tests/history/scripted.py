"""A loopback stand-in for Binance's history endpoints, scripted for edge cases the emulator makes
hard to arrange: thousands of records in one millisecond, a capped margin page, download states in
a chosen order, a slow or failing file server. It answers like Binance (ascending by time then
tranId, inclusive bounds, ``limit``/``page``) and records every request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import LoopbackServer, QuietHandler

DAY_MS = 86_400_000
FILE_PATH = "/files/report.csv"



@dataclass
class Seen:
    path: str
    params: dict[str, str]


@dataclass
class Exchange:
    """State behind the server; tests set the fields directly."""

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


class ScriptedServer:
    """Serves an ``Exchange`` on 127.0.0.1 (a free port) from a background thread."""

    def __init__(self) -> None:
        self.exchange = Exchange()
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                split = urlsplit(self.path)
                params = dict(parse_qsl(split.query))
                ex = server.exchange
                if split.path == FILE_PATH:
                    self._file(ex)
                    return
                if split.path == "/fapi/v1/time":
                    self._json(200, {"serverTime": int(time.time() * 1000)})
                    return
                ex.requests.append(Seen(split.path, params))
                if split.path in ex.fail and len(ex.calls(split.path)) > ex.fail_after:
                    self._json(*ex.fail[split.path])
                    return
                status, body = server.answer(split.path, params)
                self._json(status, body)

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-MBX-USED-WEIGHT-1M", "1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _file(self, ex: Exchange) -> None:
                if ex.file_status != 200:
                    self.send_response(ex.file_status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(ex.file_body)))
                self.end_headers()
                sent = ex.file_body if ex.file_cut is None else ex.file_body[:ex.file_cut]
                self.close_connection = ex.file_cut is not None
                try:
                    for i in range(0, len(sent), ex.file_chunk):
                        self.wfile.write(sent[i:i + ex.file_chunk])
                        self.wfile.flush()
                        if ex.file_chunk_delay:
                            time.sleep(ex.file_chunk_delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._loopback = LoopbackServer(Handler)

    @property
    def base_url(self) -> str:
        return self._loopback.base_url

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, Any]:
        ex = self.exchange
        if path == "/fapi/v1/income":
            return 200, _income(ex.income, params)
        if path == "/fapi/v1/positionMargin/history":
            return _margin(ex.margin, params, ex.margin_cap)
        if path.endswith("/asyn"):
            return 200, {"avgCostTimestampOfLast30d": 1000, "downloadId": "777"}
        if path.endswith("/asyn/id"):
            state = ex.link_states.pop(0) if len(ex.link_states) > 1 else ex.link_states[0]
            done = state == "completed"
            return 200, {
                "downloadId": params["downloadId"], "status": state,
                "url": self.base_url + FILE_PATH if done else "", "notified": done,
                "expirationTimestamp": int(time.time() * 1000) + 7 * DAY_MS if done else -1,
                "isExpired": True if ex.expired else None,
            }
        return 404, {"code": -1000, "msg": f"no route {path}"}

    def start(self) -> ScriptedServer:
        self._loopback.start_serving()
        return self

    def stop(self) -> None:
        self._loopback.stop()


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
