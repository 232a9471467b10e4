"""The aiohttp baseline's work without a framework: what CPython needs per request for it here.

`bench_emulator_baseline.py` runs this beside the emulator and the aiohttp baseline: the benchmark
server's connections (`bench_server.HttpConnection`: httptools, uvloop when installed), and per
request exactly the baseline's checks and effects: the API key header, the timestamp window, the HMAC-SHA256 signature
(-2015 / -1021 / -1022 as Binance answers them), then the leverage set in an in-memory dict (answered
as Binance's JSON) or the account dict serialized with `json.dumps`. No rate limits, request log,
rules, events or durability: a lower bound for any server doing the baseline's work in Python, not a
server anyone should run.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from bench_server import HttpConnection

_RECV_WINDOW_MS = 5000


def _answer(status: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            .encode("latin-1") + body)


def _rejection(status: str, code: int, msg: str) -> bytes:
    return _answer(status, json.dumps({"code": code, "msg": msg}).encode())


_BAD_KEY = _rejection("401 Unauthorized", -2015, "Invalid API-key, IP, or permissions for action.")
_STALE = _rejection("400 Bad Request", -1021, "Timestamp for this request is outside of the recvWindow.")
_BAD_SIGNATURE = _rejection("400 Bad Request", -1022, "Signature for this request is not valid.")
_NOT_FOUND = _answer("404 Not Found", b"")


class _Exchange:
    """The state and the checks (one per server)."""

    def __init__(self, state: dict[str, Any], api_key: str, secret: str) -> None:
        self.account: dict[str, Any] = state["account"]
        self.max_notional: dict[str, str] = state["maxNotional"]
        self.positions = {p["symbol"]: p for p in self.account["positions"]}
        self.api_key = api_key.encode()
        self.secret = secret.encode()

    def handle(self, method: bytes, url: bytes, api_key: bytes | None, body: bytes) -> bytes:
        path, _, query = url.partition(b"?")
        if api_key != self.api_key:
            return _BAD_KEY
        params = dict(parse_qsl((query + (b"&" + body if body else b"")).decode()))
        now = int(time.time() * 1000)
        ts = int(params.get("timestamp", "0"))
        if ts >= now + 1000 or now - ts > _RECV_WINDOW_MS:
            return _STALE
        payload = b"&".join(p for p in query.split(b"&") if not p.startswith(b"signature=")) + body
        expected = hmac.new(self.secret, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params.get("signature", "").lower()):
            return _BAD_SIGNATURE
        if method == b"GET" and path == b"/fapi/v2/account":
            return _answer("200 OK", json.dumps(self.account).encode())
        if method == b"POST" and path == b"/fapi/v1/leverage":
            symbol, leverage = params["symbol"], params["leverage"]
            self.positions[symbol]["leverage"] = leverage
            return _answer("200 OK", json.dumps({"leverage": int(leverage), "maxNotionalValue":
                                                 self.max_notional[leverage], "symbol": symbol}).encode())
        return _NOT_FOUND


class _Connection(HttpConnection):
    """Collects the API key header and the body; answers through the exchange."""

    __slots__ = ("api_key", "body", "exchange")

    def __init__(self, exchange: _Exchange) -> None:
        super().__init__()
        self.exchange = exchange
        self.api_key: bytes | None = None
        self.body = b""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.api_key, self.body = None, b""

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"x-mbx-apikey":
            self.api_key = value

    def on_body(self, body: bytes) -> None:
        self.body += body

    def respond(self) -> bytes:
        return self.exchange.handle(self.parser.get_method(), self.url, self.api_key, self.body)


def serve(port: int, state_file: str, api_key: str, secret: str) -> None:
    """Serve until killed; prints ``READY <port>`` once listening (`port` 0: a free port, the one printed)."""
    exchange = _Exchange(json.loads(Path(state_file).read_text()), api_key, secret)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(lambda: _Connection(exchange), "127.0.0.1", port)
        print("READY", server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
