"""The HTTP/1.1 front end: asyncio + httptools, keep-alive, and Binance's request pipeline.

Each request goes through these steps, in order:
1. `parse`: the HTTP message (httptools; Content-Length or chunked body) -> `RawRequest`.
   `faults`: the injected faults that fire on it (`faults.py`) are planned here: a latency delays
   the remaining steps, a skew shifts the server time they see, an outcome replaces or spoils the
   answer (before step 2 when the fault does not let the request run, after step 6 when it does).
2. `route`: admin/download paths to the admin API; Binance paths to their `Route` (404 otherwise).
3. `params`: query string + form body -> `Params` (-1101 on duplicates).
4. `charge`: request weight against the IP's per-minute budget (429 / 418).
5. `authenticate`: API key, timestamp window and signature per the route's security type.
6. `handle`: the endpoint handler (the backend commits changes before returning); answers that
   depend only on account state are reused until the backend's state version changes. A change
   whose commit failed left no trace (`backend.CommitFailed`), but the client cannot know that:
   it gets Binance's 503 "Unknown error, please check your request or try again later." (execution
   status unknown), and reading the state shows it was not applied.
7. `respond`: JSON body, Binance's status, `X-MBX-USED-WEIGHT-1M` on every answer.

A websocket upgrade request on a user-data-stream path leaves this pipeline: the connection is
handed to `stream.StreamHub` and carries websocket frames from then on.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import cast

import httptools
import msgspec

from . import auth
from .accounts import Account
from .admin import Admin
from .api import ROUTES, Call, Route, Security
from .backend import Backend, CommitFailed
from .errors import NOT_FOUND, UNKNOWN, UNKNOWN_OUTCOME, Rejection
from .faults import FaultSet, Plan
from .messages import RawRequest, Response
from .params import Params
from .ratelimit import RateLimiter
from .reqlog import RequestLog, visible_params
from .stream import Session, StreamHub, abort

_json = msgspec.json.Encoder(decimal_format="string")
_log = logging.getLogger(__name__)
_PER_REQUEST = frozenset(("timestamp", "signature", "recvWindow"))
_RECV_SIZE = 65536  # bytes per read: below glibc's mmap threshold, so served from the heap


class _Trace:
    """What the pipeline learnt about a request, for the request log."""

    __slots__ = ("params", "weight")

    def __init__(self) -> None:
        self.params: dict[str, str] = {}
        self.weight = 0


class App:
    """The request pipeline over a backend (no sockets: `dispatch` maps a request to a response)."""

    def __init__(self, backend: Backend, limiter: RateLimiter, admin: Admin, faults: FaultSet | None = None,
                 streams: StreamHub | None = None, log: RequestLog | None = None) -> None:
        self.backend = backend
        self.limiter = limiter
        self.admin = admin
        self.faults = faults or FaultSet()
        self.streams = streams
        self.log = log or RequestLog()
        self._answers: dict[tuple[str, str, str], tuple[int, bytes]] = {}

    def plan(self, req: RawRequest) -> Plan | None:
        """Fire the faults matching a request (never on the emulator's own paths)."""
        if req.path.startswith("/emulator/"):
            return None
        return self.faults.plan(req.method, req.path)

    def dispatch(self, req: RawRequest, plan: Plan | None = None) -> Response:
        """Run the pipeline steps (module docstring) for one request; Binance paths are logged."""
        if req.path.startswith("/emulator/"):
            return self.admin.handle(req)
        started = time.perf_counter()
        trace = _Trace()
        resp = self._faulted(req, plan, trace)
        fault = plan.fault if plan is not None else None
        delay = plan.delay_ms if plan is not None else 0
        self.log.record(
            time=self.backend.clock.now_ms(), client=req.client_ip, method=req.method, path=req.path,
            params=visible_params(trace.params or self._readable_params(req)), weight=trace.weight,
            usedWeight=self.limiter.used(req.client_ip),
            status=resp.status, code=_binance_code(resp),
            latencyMs=round(delay + (time.perf_counter() - started) * 1000, 3),
            fault=None if fault is None else fault.spec)
        return resp

    def _readable_params(self, req: RawRequest) -> dict[str, str]:
        """The parameters of a request the pipeline did not parse (not run, unknown path), if readable."""
        try:
            return Params(req.query, self.form_body(req)).values
        except Rejection:
            return {}

    def _faulted(self, req: RawRequest, plan: Plan | None, trace: _Trace) -> Response:
        if plan is None:
            return self._binance(req, 0, trace)
        fault = plan.fault
        if fault is None:
            return self._binance(req, plan.skew_ms, trace)
        real = self._binance(req, plan.skew_ms, trace) if fault.applied else None
        ip = req.client_ip
        return fault.answer(real, ip, self.limiter.used(ip), self.backend.clock.now_ms() + plan.skew_ms)

    def _binance(self, req: RawRequest, skew_ms: int, trace: _Trace) -> Response:
        """Steps 2-7 for a Binance path; `skew_ms` shifts the server time the request sees."""
        route = ROUTES.get((req.method, req.path))
        if route is None:
            return self._not_found(req)
        try:
            body = self.form_body(req)
            params = Params(req.query, body)
            trace.params = params.values
            trace.weight = route.weight_of(params)
            used = self.limiter.charge(req.client_ip, trace.weight)
            account = self.authenticate(req, route, params, body, skew_ms)
            call = Call(self.backend, params, account, self._base_url(req), self.limiter.limit, skew_ms)
            answer = self._handle(req.path, route, call)
        except CommitFailed as exc:
            _log.error("emulator could not save %s %s: %s", req.method, req.path, exc)
            resp = Response.rejection(UNKNOWN_OUTCOME.reject())
            resp.headers["X-MBX-USED-WEIGHT-1M"] = str(self.limiter.used(req.client_ip))
            return resp
        except Rejection as exc:
            resp = Response.rejection(exc)
            resp.headers.setdefault("X-MBX-USED-WEIGHT-1M", str(self.limiter.used(req.client_ip)))
            return resp
        return Response(200, answer, headers={"X-MBX-USED-WEIGHT-1M": str(used)})

    @staticmethod
    def form_body(req: RawRequest) -> str:
        """The body as parameter text. Ignored: a JSON body (Binance reads query strings and form
        bodies) and any body of a GET ("For GET endpoints, parameters must be sent as a query
        string": a GET signed in its body misses its mandatory `timestamp`, -1102).
        https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info"""
        body = req.body.decode("utf-8", "replace")
        if req.method == "GET" or (body and "json" in req.headers.get("content-type", "")):
            return ""
        return body

    def authenticate(
        self, req: RawRequest, route: Route, params: Params, body: str, skew_ms: int = 0
    ) -> Account | None:
        """The account behind the request, per the route's security type (None for public routes)."""
        if route.security is Security.SIGNED:
            return auth.authenticate_signed(self.backend, req.headers.get("x-mbx-apikey"), params, req.query, body,
                                            self.backend.clock.now_ms() + skew_ms)
        if route.security in (Security.USER_STREAM, Security.MARKET_DATA):
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
        return Response.rejection(NOT_FOUND.reject({"X-MBX-USED-WEIGHT-1M": str(self.limiter.used(req.client_ip))}))

    @staticmethod
    def _base_url(req: RawRequest) -> str:
        return f"http://{req.headers.get('host', '127.0.0.1')}"


def _binance_code(resp: Response) -> int | None:
    """The Binance error code of an answer (None for a success or a body that is not Binance's)."""
    if resp.status < 400 or not resp.body.startswith(b'{"code":'):
        return None
    try:
        code = msgspec.json.decode(resp.body).get("code")
    except (msgspec.DecodeError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def _encode_response(resp: Response, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(resp.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {resp.status} {reason}", f"Content-Type: {resp.content_type}"]
    if resp.stream is None:
        lines.append(f"Content-Length: {len(resp.body)}")
    lines += [f"{k}: {v}" for k, v in resp.headers.items()]
    if not keep_alive or resp.stream is not None:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + resp.body


class HttpProtocol(asyncio.BufferedProtocol):
    """One connection: httptools parsing, sequential dispatch, keep-alive.

    The loop receives into ``buffer``, shared by the server's connections: the parser copies what it
    keeps before the loop reads again. (With ``data_received`` asyncio's loop allocates 256 KB per
    read, which glibc may serve with mmap and fresh pages every time.)
    """

    def __init__(self, app: App, buffer: memoryview) -> None:
        self.app = app
        self.buffer = buffer
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client_ip = "127.0.0.1"
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._upgrade: RawRequest | None = None
        self.stream: Session | None = None
        self._stop_stream: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the peer; disable Nagle."""
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        if peer:
            self.client_ip = str(peer[0])

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        """Feed the parser (or the websocket, once upgraded); answer 400 and close on malformed HTTP."""
        if self.stream is not None:
            self.stream.receive(bytes(self.buffer[:nbytes]))
            return
        try:
            self.parser.feed_data(self.buffer[:nbytes])
        except httptools.HttpParserUpgrade as exc:
            self._upgraded(bytes(self.buffer[exc.args[0]:nbytes]))
        except httptools.HttpParserError:
            self._fail(400)

    def _upgraded(self, rest: bytes) -> None:
        """A websocket upgrade on a stream path goes to the stream hub; on any other path the request
        was answered as plain HTTP (not 101), and the connection ends there."""
        req, self._upgrade = self._upgrade, None
        if self.transport is None:
            return
        if req is None or self.app.streams is None:
            self.transport.close()
            return
        self.stream = self.app.streams.open(self.transport, req, rest)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget an upgraded connection's stream, or stop the server-sent events it was serving."""
        if self.stream is not None:
            self.stream.lost()
        if self._stop_stream is not None:
            self._stop_stream()
            self._stop_stream = None

    def _fail(self, status: int) -> None:
        if self.transport is not None:
            self.transport.write(_encode_response(Response(status, UNKNOWN.body()), keep_alive=False))
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
        """Dispatch the request (after an injected latency, if any) and write the answer."""
        target = self._url.decode("latin-1")
        path, _, query = target.partition("?")
        method = self.parser.get_method().decode("ascii")
        req = RawRequest(method, path, query, b"".join(self._body), self._headers, self.client_ip)
        if self.parser.should_upgrade() and self.app.streams is not None and self.app.streams.handles(path):
            self._upgrade = req  # httptools raises HttpParserUpgrade next (see buffer_updated)
            return
        keep_alive = self.parser.should_keep_alive()
        plan = self.app.plan(req)
        if plan is not None and plan.delay_ms > 0 and self.transport is not None:
            self.transport.pause_reading()  # one request at a time per connection, also while it waits
            asyncio.get_running_loop().call_later(plan.delay_ms / 1000, self._answer, req, plan, keep_alive, True)
        else:
            self._answer(req, plan, keep_alive, False)

    def _answer(self, req: RawRequest, plan: Plan | None, keep_alive: bool, paused: bool) -> None:
        try:
            resp = self.app.dispatch(req, plan)
        except Exception:  # a bug must not kill the connection loop; answer like Binance's -1000
            _log.exception("emulator failed on %s %s", req.method, req.path)
            resp = Response.rejection(UNKNOWN.reject())
        transport = self.transport
        if transport is None or transport.is_closing():
            return  # the client gave up (its request was still run, as a server would)
        if resp.stream is not None:  # the connection now carries the stream until it closes
            transport.write(_encode_response(resp, keep_alive))
            self._stop_stream = resp.stream(transport.write)
            return
        if resp.drop or resp.cut is not None:
            if resp.cut is not None:
                data = _encode_response(resp, keep_alive)
                transport.write(data[:len(data) - len(resp.body) + resp.cut])
            self._close(transport, resp.reset)
            return
        transport.write(_encode_response(resp, keep_alive))
        if not keep_alive:
            transport.close()
        elif paused:
            transport.resume_reading()

    @staticmethod
    def _close(transport: asyncio.Transport, reset: bool) -> None:
        """Close after what was written; with `reset`, abort with a TCP RST (SO_LINGER 0) instead."""
        if reset:
            abort(transport)
        else:
            transport.close()


async def start_server(app: App, host: str, port: int) -> asyncio.Server:
    """Listen on host:port (0 = a free port)."""
    loop = asyncio.get_running_loop()
    buffer = memoryview(bytearray(_RECV_SIZE))
    return await loop.create_server(lambda: HttpProtocol(app, buffer), host, port, reuse_address=True, backlog=1024)
