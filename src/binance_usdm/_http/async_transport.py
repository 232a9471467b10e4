"""asyncio HTTP/1.1 keep-alive transport for one origin: an ``asyncio.Protocol`` feeding httptools.

Per call: one future and one ``transport.write``. Deadlines (read and total) are watched by one
``loop.call_at`` timer per connection that stays armed across calls and re-arms itself from the
current call's deadlines when it fires, so a typical call schedules and cancels no timer at all.
No StreamReader, no ``asyncio.timeout`` on the hot path. Works with the default loop and uvloop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ssl
from collections import deque
from collections.abc import Callable
from time import perf_counter
from typing import cast

from binance_usdm._wire.types import HttpRequest, HttpResponse, Timeouts
from binance_usdm.errors import ConnectError, TransportError

from . import _errors
from .protocol import (
    RECV_SIZE,
    BadResponse,
    PooledTransport,
    ResponseReader,
    build_connect_request,
    parse_connect_response,
)

__all__ = ["AsyncHttpTransport"]

_PEER_GONE = (BrokenPipeError, ConnectionResetError)


def _not_connected(data: bytes) -> None:
    raise TransportError("connection is not established", request_sent=False)


class _StaleConnection(Exception):
    """A pooled connection was found closed by the server before it read the request."""


class _Conn(asyncio.BufferedProtocol):
    """One connection: the protocol object doubles as the pool entry.

    A buffered protocol: the loop receives into the transport's receive buffer (shared by its
    connections: each read is copied out before the loop does anything else), and only the bytes
    that arrived are copied. (With ``data_received`` asyncio's selector loop allocates 256 KB for
    every read, which glibc serves with mmap/mremap/munmap and two fresh pages per answer: about as
    much kernel time as the whole exchange otherwise takes.)
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, authority: str, buffer: memoryview, reader: ResponseReader
    ) -> None:
        self.loop = loop
        self.authority = authority
        self.buffer = buffer
        self.transport: asyncio.Transport | None = None
        self.write: Callable[[bytes], object] = _not_connected
        self.reader = reader
        self.idle_since = 0.0  # loop.time() when it was last returned to the pool
        self.waiter: asyncio.Future[HttpResponse] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0
        self.closed = False
        self.used = False
        self.started = 0.0
        self.last_rx = 0.0
        self.deadline = 0.0
        self.read_timeout = 0.0
        self.total = 0.0

    def attach(self, transport: asyncio.BaseTransport) -> None:
        tr = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it
        self.transport = tr
        self.write = tr.write

    # asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.attach(transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        if self.waiter is None:  # unsolicited bytes on an idle connection: unusable
            self.abort()
            return
        data = self.buffer[:nbytes].tobytes()
        reader = self.reader
        try:
            done = reader.feed(data)
        except BadResponse as exc:
            self._fail(_errors.invalid_response(self.authority, exc))
            return
        if done:
            self._finish()
        else:
            self.last_rx = self.loop.time()

    def eof_received(self) -> bool:
        self.closed = True
        if self.waiter is not None:
            if self.reader.feed_eof():
                self._finish()
            else:
                self._fail(_errors.closed_early(self.authority, partial=self.reader.received))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is None:
            return
        reader = self.reader
        if exc is None:
            if reader.feed_eof():
                self._finish()
                return
            error: Exception = _errors.closed_early(self.authority, partial=reader.received)
        elif isinstance(exc, _PEER_GONE) and self.used and not reader.received:
            error = _StaleConnection()
        elif isinstance(exc, OSError):
            error = _errors.recv_failed(self.authority, exc)
        else:
            error = TransportError(f"connection to {self.authority} lost: {exc}", request_sent=True)
        self._fail(error)

    # exchange ----------------------------------------------------------------------------------
    def start(self, data: bytes, now: float, deadline: float, timeouts: Timeouts) -> asyncio.Future[HttpResponse]:
        loop = self.loop
        waiter: asyncio.Future[HttpResponse] = loop.create_future()
        self.waiter = waiter
        self.last_rx = now
        self.deadline = deadline
        read = self.read_timeout = timeouts.read
        self.total = timeouts.total
        at = now + read
        if deadline < at:
            at = deadline
        # The timer is left armed between calls: an earlier one just fires, sees the current
        # deadlines and re-arms. So the usual call schedules and cancels nothing.
        if self.timer is None or self.timer_at > at:
            if self.timer is not None:
                self.timer.cancel()
            self.timer_at = at
            self.timer = loop.call_at(at, self._on_timer)
        self.started = perf_counter()
        self.write(data)
        return waiter

    def _finish(self) -> None:
        waiter = self.waiter
        assert waiter is not None
        self.waiter = None
        self.used = True
        if not waiter.done():
            waiter.set_result(self.reader.response(perf_counter() - self.started))

    def _fail(self, error: Exception) -> None:
        waiter = self.waiter
        self.waiter = None
        timer = self.timer
        if timer is not None:
            timer.cancel()
            self.timer = None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        self.abort()

    def _on_timer(self) -> None:
        self.timer = None
        if self.waiter is None:  # idle (or done): nothing to watch
            return
        now = self.loop.time()
        deadline = self.deadline
        next_read = self.last_rx + self.read_timeout
        if now < deadline and now < next_read:  # armed by an earlier call, or data arrived: re-arm
            at = self.timer_at = next_read if next_read < deadline else deadline
            self.timer = self.loop.call_at(at, self._on_timer)
            return
        transport = self.transport
        sent = transport is not None and transport.get_write_buffer_size() == 0
        if now >= deadline:
            self._fail(_errors.total_timeout(self.total, request_sent=sent))
        elif sent:
            self._fail(_errors.read_timeout(self.read_timeout))
        else:
            self._fail(_errors.total_timeout(self.total, request_sent=False))

    def abort(self) -> None:
        """Close now (state unknown or unusable); never returned to the pool afterwards."""
        self.closed = True
        if self.waiter is not None or self.timer is not None:
            waiter, self.waiter = self.waiter, None
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if waiter is not None and not waiter.done():
                waiter.cancel()
        transport = self.transport
        if transport is not None:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                transport.abort()


class _Tunnel(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT."""

    def __init__(self, loop: asyncio.AbstractEventLoop, authority: str) -> None:
        self.waiter: asyncio.Future[bytes] = loop.create_future()
        self.buf = b""
        self.authority = authority

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.waiter.done():
            if b"\r\n\r\n" in self.buf:
                self.waiter.set_result(self.buf)
            elif len(self.buf) > 65536:
                self.waiter.set_exception(_errors.proxy_refused(self.authority, 0))

    def eof_received(self) -> bool:
        self.connection_lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.waiter.done():
            reason = exc or ConnectionError("closed during CONNECT")
            self.waiter.set_exception(_errors.connect_failed(reason, self.authority, proxy=True))


class AsyncHttpTransport(PooledTransport):
    """Sends requests to one origin over pooled keep-alive HTTP/1.1 connections (asyncio).

    Same arguments and semantics as :class:`~binance_usdm._http.SyncHttpTransport`; safe for many
    concurrent tasks: up to ``max_connections`` connections are opened and further callers queue
    (within their deadline). A cancelled call closes the connection it was using.
    The transport binds to the event loop of its first call.
    """

    def _setup(self) -> None:
        self._buffer = memoryview(bytearray(RECV_SIZE))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: list[_Conn] = []
        self._waiters: deque[asyncio.Future[_Conn | None]] = deque()

    # public ------------------------------------------------------------------------------------
    async def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._bind(loop)
        now = loop.time()
        deadline = now + timeouts.total
        conn = self._take_idle(now)
        if conn is None:
            conn = await self._acquire_slow(loop, deadline, timeouts)
            now = loop.time()
        try:
            try:
                # encoded straight into the call: no frame keeps the request's bytes (its headers hold
                # the API key) in a local that a traceback capturing locals would print
                response = await conn.start(self._encoder.encode(request), now, deadline, timeouts)
            except _StaleConnection:
                if not request.idempotent:  # it may have run before the reset: never send it twice
                    reset = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
                    raise _errors.recv_failed(self._authority, reset) from None
                conn = await self._connect(loop, deadline, timeouts)
                response = await conn.start(self._encoder.encode(request), loop.time(), deadline, timeouts)
        except BaseException:
            conn.abort()
            self._drop_slot()
            raise
        reader = conn.reader
        if reader.keep_alive and not reader.extra and not conn.closed:
            conn.idle_since = now + response.elapsed  # about now: spares a clock read
            self._release(conn)
        else:
            conn.abort()
            self._drop_slot()
        return response

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.closed = True
            if conn.timer is not None:
                conn.timer.cancel()
                conn.timer = None
            transport = conn.transport
            if transport is not None:
                with contextlib.suppress(RuntimeError):
                    transport.close()
        self._open -= len(idle)
        waiters, self._waiters = self._waiters, deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(TransportError("transport is closed", request_sent=False))

    async def __aenter__(self) -> AsyncHttpTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # pool ----------------------------------------------------------------------------------------
    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """First call, or the transport moved to another loop: connections of the old one are dropped."""
        for conn in self._idle:
            conn.abort()
        self._idle = []
        self._waiters = deque()
        self._open = 0
        self._loop = loop

    def _take_idle(self, now: float) -> _Conn | None:
        """A pooled connection to reuse, or None. The pool's one rule for idle connections (as the
        blocking pool's): one idle longer than ``idle_timeout`` is closed with every other idle one
        (idle at least as long); one the server closed while idle is dropped; either frees its slot
        and the next idle one is tried."""
        idle = self._idle
        while idle:
            candidate = idle.pop()
            if candidate.closed:
                self._drop_slot()
            elif now - candidate.idle_since > self._idle_timeout:
                self._expire_idle(candidate)
            else:
                return candidate
        return None

    def _expire_idle(self, expired: _Conn) -> None:
        """Close ``expired`` and every idle connection (idle at least as long), freeing their slots.
        The idle list is emptied in place: a caller popping from it must not meet them again."""
        idle = self._idle
        stale = [expired, *idle]
        idle.clear()
        for conn in stale:
            conn.abort()
            self._drop_slot()

    async def _acquire_slow(self, loop: asyncio.AbstractEventLoop, deadline: float, timeouts: Timeouts) -> _Conn:
        while True:
            if self._closed:
                raise TransportError("transport is closed", request_sent=False)
            conn = self._take_idle(loop.time())
            if conn is not None:
                return conn
            if self._open < self._max:
                self._open += 1
                try:
                    return await self._connect(loop, deadline, timeouts)
                except BaseException:
                    self._drop_slot()
                    raise
            if loop.time() >= deadline:
                raise _errors.pool_timeout(timeouts.total, self._max)
            waiter: asyncio.Future[_Conn | None] = loop.create_future()
            self._waiters.append(waiter)
            expire = loop.call_at(deadline, _expire_waiter, waiter, timeouts.total, self._max)
            try:
                conn = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    handed = waiter.result()  # handed over just before the cancellation: pass it on
                    if handed is not None:
                        self._release(handed)
                    else:
                        self._wake_one()
                raise
            finally:
                expire.cancel()
            if conn is not None:
                return conn

    def _release(self, conn: _Conn) -> None:
        if self._closed:
            conn.abort()
            self._open -= 1
            return
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    def _drop_slot(self) -> None:
        self._open -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # connecting --------------------------------------------------------------------------------
    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float, timeouts: Timeouts) -> _Conn:
        budget = min(timeouts.connect, deadline - loop.time())
        if budget <= 0:
            raise _errors.total_timeout(timeouts.total, request_sent=False)
        origin = self._origin
        proxy = self._proxy
        ctx = self._ssl
        conn = _Conn(loop, self._authority, self._buffer, ResponseReader(*self._limits))
        if proxy is None:
            try:
                async with asyncio.timeout(budget):
                    await loop.create_connection(
                        lambda: conn,
                        origin.host,
                        origin.port,
                        ssl=ctx,
                        server_hostname=origin.host if ctx is not None else None,
                    )
            except TimeoutError:
                raise _errors.connect_timeout(self._authority, budget) from None
            except OSError as exc:
                raise _errors.connect_failed(exc, self._authority) from None
            return conn
        if ctx is None:  # plain http through the proxy: absolute-form targets
            conn.authority = f"{self._authority} via proxy {proxy.authority}"
            try:
                async with asyncio.timeout(budget):
                    await loop.create_connection(lambda: conn, proxy.host, proxy.port)
            except TimeoutError:
                raise _errors.connect_timeout(f"proxy {proxy.authority}", budget) from None
            except OSError as exc:
                raise _errors.connect_failed(exc, proxy.authority, proxy=True) from None
            return conn
        return await self._connect_tunnel(loop, conn, ctx, budget)

    async def _connect_tunnel(
        self, loop: asyncio.AbstractEventLoop, conn: _Conn, ctx: ssl.SSLContext, budget: float
    ) -> _Conn:
        proxy = self._proxy
        assert proxy is not None
        origin = self._origin
        tunnel = _Tunnel(loop, proxy.authority)
        raw: asyncio.Transport | None = None
        phase = "proxy"
        try:
            async with asyncio.timeout(budget):
                raw, _ = await loop.create_connection(lambda: tunnel, proxy.host, proxy.port)
                raw.write(build_connect_request(origin, proxy))
                head = await tunnel.waiter
                status = parse_connect_response(head)
                if not 200 <= status < 300:
                    raise _errors.proxy_refused(proxy.authority, status)
                phase = "tls"
                tls = await loop.start_tls(
                    raw,
                    conn,
                    ctx,
                    server_hostname=origin.host,
                )
                if tls is None:  # pragma: no cover - only for a closed transport
                    raise ConnectError(f"TLS through proxy {proxy.authority} failed")
                conn.attach(tls)
        except BaseException as exc:
            if raw is not None:
                raw.abort()
            if isinstance(exc, TimeoutError):
                where = f"proxy {proxy.authority}" if phase == "proxy" else self._authority
                raise _errors.connect_timeout(where, budget) from None
            if isinstance(exc, OSError):
                if phase == "proxy":
                    raise _errors.connect_failed(exc, proxy.authority, proxy=True) from None
                raise _errors.connect_failed(exc, self._authority) from None
            raise
        return conn


def _expire_waiter(waiter: asyncio.Future[_Conn | None], total: float, max_connections: int) -> None:
    if not waiter.done():
        waiter.set_exception(_errors.pool_timeout(total, max_connections))
