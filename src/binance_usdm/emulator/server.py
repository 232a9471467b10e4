"""The HTTP/1.1 front end: asyncio + httptools, keep-alive, and Binance's request pipeline.

Each request goes through these steps, in order (a fault hook can be inserted between any two):
1. `parse`: the HTTP message (httptools; Content-Length or chunked body) -> `RawRequest`.
2. `route`: admin/download paths to the admin API; Binance paths to their `Route` (404 otherwise).
3. `params`: query string + form body -> `Params` (-1101 on duplicates).
4. `charge`: request weight against the IP's per-minute budget (429 / 418).
5. `authenticate`: API key, timestamp window and signature per the route's security type.
6. `handle`: the endpoint handler (the backend commits changes before returning); answers that
   depend only on account state are reused until the backend's state version changes.
7. `respond`: JSON body, Binance's status, `X-MBX-USED-WEIGHT-1M` on every answer.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, cast

import httptools
import msgspec

from . import auth
from .accounts import Account
from .admin import Admin
from .api import ROUTES, Call, Route, Security
from .backend import Backend
from .errors import BinanceError
from .params import Params
from .ratelimit import RateLimiter

_json = msgspec.json.Encoder(decimal_format="string")
_log = logging.getLogger(__name__)
_PER_REQUEST = frozenset(("timestamp", "signature", "recvWindow"))


@dataclass(slots=True)
class RawRequest:
    """One parsed HTTP request."""

    method: str
    path: str
    query: str
    body: bytes
    headers: dict[str, str]
    client_ip: str


@dataclass(slots=True)
class Response:
    """One HTTP answer."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _error(exc: BinanceError) -> Response:
    return Response(exc.status, _json.encode({"code": exc.code, "msg": exc.msg}), headers=dict(exc.headers))


class App:
    """The request pipeline over a backend (no sockets: `dispatch` maps a request to a response)."""

    def __init__(self, backend: Backend, limiter: RateLimiter, admin: Admin) -> None:
        self.backend = backend
        self.limiter = limiter
        self.admin = admin
        self._answers: dict[tuple[str, str, str], tuple[int, bytes]] = {}

    def dispatch(self, req: RawRequest) -> Response:
        """Run the pipeline steps (module docstring) for one request."""
        if req.path.startswith("/emulator/"):
            return self._emulator(req)
        route = ROUTES.get((req.method, req.path))
        if route is None:
            return self._not_found(req)
        try:
            body = self.form_body(req)
            params = Params(req.query, body)
            used = self.limiter.charge(req.client_ip, route.weight_of(params))
            account = self.authenticate(req, route, params, body)
            call = Call(self.backend, params, account, self._base_url(req), self.limiter.limit)
            with self.backend.lock:
                answer = self._handle(req.path, route, call)
        except BinanceError as exc:
            resp = _error(exc)
            resp.headers.setdefault("X-MBX-USED-WEIGHT-1M", str(self.limiter.used(req.client_ip)))
            return resp
        return Response(200, answer, headers={"X-MBX-USED-WEIGHT-1M": str(used)})

    @staticmethod
    def form_body(req: RawRequest) -> str:
        """The body as parameter text; a JSON body is ignored (Binance reads query and form bodies)."""
        body = req.body.decode("utf-8", "replace")
        if body and "json" in req.headers.get("content-type", ""):
            return ""
        return body

    def authenticate(self, req: RawRequest, route: Route, params: Params, body: str) -> Account | None:
        """The account behind the request, per the route's security type (None for public routes)."""
        if route.security is Security.SIGNED:
            return auth.authenticate_signed(self.backend, req.headers.get("x-mbx-apikey"), params, req.query, body)
        if route.security is Security.USER_STREAM:
            return auth.identify(self.backend, req.headers.get("x-mbx-apikey"))[0]
        return None

    def _handle(self, path: str, route: Route, call: Call) -> bytes:
        """Run the handler, reusing a state-only answer while the backend's version stands."""
        if not route.cacheable or call.account is None:
            return _json.encode(route.handler(call))
        args = "&".join(f"{k}={v}" for k, v in sorted(call.params.values.items()) if k not in _PER_REQUEST)
        key = (path, call.account.account_id, args)
        version = self.backend.version
        hit = self._answers.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        body = _json.encode(route.handler(call))
        if len(self._answers) > 4096:
            self._answers.clear()
        self._answers[key] = (version, body)
        return body

    def _not_found(self, req: RawRequest) -> Response:
        body = _json.encode({"code": -1099, "msg": "Not found, unauthenticated, or unauthorized"})
        return Response(404, body, headers={"X-MBX-USED-WEIGHT-1M": str(self.limiter.used(req.client_ip))})

    @staticmethod
    def _base_url(req: RawRequest) -> str:
        return f"http://{req.headers.get('host', '127.0.0.1')}"

    def _emulator(self, req: RawRequest) -> Response:
        prefix = "/emulator/downloads/"
        if req.method == "GET" and req.path.startswith(prefix) and req.path.endswith(".csv"):
            data = self.backend.downloads.csv_bytes(req.path[len(prefix):-4])
            if data is None:
                return Response(404, _json.encode({"error": "no such download (or not ready, or expired)"}))
            return Response(200, data, content_type="text/csv")
        try:
            body: Any = msgspec.json.decode(req.body) if req.body.strip() else {}
        except msgspec.DecodeError:
            return Response(400, _json.encode({"error": "body must be JSON"}))
        if not isinstance(body, dict):
            return Response(400, _json.encode({"error": "body must be a JSON object"}))
        status, result = self.admin.handle(req.method, req.path, body)
        return Response(status, _json.encode(result))


def _encode_response(resp: Response, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(resp.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [
        f"HTTP/1.1 {resp.status} {reason}",
        f"Content-Type: {resp.content_type}",
        f"Content-Length: {len(resp.body)}",
    ]
    lines += [f"{k}: {v}" for k, v in resp.headers.items()]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + resp.body


class HttpProtocol(asyncio.Protocol):
    """One connection: httptools parsing, sequential dispatch, keep-alive."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client_ip = "127.0.0.1"
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the peer; disable Nagle."""
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        if peer:
            self.client_ip = str(peer[0])

    def data_received(self, data: bytes) -> None:
        """Feed the parser; answer 400 and close on malformed HTTP."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400)
        except httptools.HttpParserError:
            self._fail(400)

    def _fail(self, status: int) -> None:
        if self.transport is not None:
            body = _json.encode({"code": -1000, "msg": "An unknown error occured while processing the request."})
            self.transport.write(_encode_response(Response(status, body), keep_alive=False))
            self.transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        """Start a new request."""
        self._url = b""
        self._headers = {}
        self._body = []

    def on_url(self, url: bytes) -> None:
        """Collect the request target (may arrive in pieces)."""
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        """Collect a header (names lower-cased)."""
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        """Collect body bytes (chunked bodies arrive decoded)."""
        self._body.append(body)

    def on_message_complete(self) -> None:
        """Dispatch the request and write the answer."""
        target = self._url.decode("latin-1")
        path, _, query = target.partition("?")
        method = self.parser.get_method().decode("ascii")
        req = RawRequest(method, path, query, b"".join(self._body), self._headers, self.client_ip)
        try:
            resp = self.app.dispatch(req)
        except Exception:  # a bug must not kill the connection loop; answer like Binance's -1000
            _log.exception("emulator failed on %s %s", method, path)
            body = _json.encode({"code": -1000, "msg": "An unknown error occured while processing the request."})
            resp = Response(500, body)
        keep_alive = self.parser.should_keep_alive()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_encode_response(resp, keep_alive))
            if not keep_alive:
                self.transport.close()


async def start_server(app: App, host: str, port: int) -> asyncio.Server:
    """Listen on host:port (0 = a free port)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: HttpProtocol(app), host, port, reuse_address=True, backlog=1024)
