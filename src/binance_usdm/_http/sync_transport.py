"""Blocking HTTP/1.1 keep-alive transport for one origin (sockets + httptools).

Sockets are non-blocking once connected; waiting is done with one ``poll`` per wait, so each call
costs a liveness check of the pooled connection, one ``send``, one ``poll`` and (for small
responses) one ``recv``. The pool is thread-safe; a connection is used by one thread at a time.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from math import ceil
from time import monotonic
from typing import TYPE_CHECKING

from binance_usdm._wire.types import HttpRequest, HttpResponse, Timeouts
from binance_usdm.errors import TransportError

from . import _errors
from .protocol import (
    RECV_SIZE,
    BadResponse,
    PooledTransport,
    ResponseReader,
    build_connect_request,
    parse_connect_response,
)

if TYPE_CHECKING:
    pass

__all__ = ["SyncHttpTransport"]

_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT
_PEER_GONE = (BrokenPipeError, ConnectionResetError)


class _StaleConnection(Exception):
    """A pooled connection was found closed by the server before it read the request."""


class _Conn:
    __slots__ = ("idle_since", "pending", "poll", "poller", "reader", "sock")

    def __init__(self, sock: socket.socket, reader: ResponseReader) -> None:
        self.sock = sock
        # TLS may hold decrypted bytes that poll() cannot see (a plain socket has no ``pending``).
        self.pending = getattr(sock, "pending", None)
        self.reader = reader
        self.idle_since = 0.0  # time.monotonic() when it was last returned to the pool
        self.poller = select.poll()
        self.poller.register(sock.fileno(), _POLLIN)
        self.poll = self.poller.poll

    def closed_by_peer(self) -> bool:
        """For an idle connection that polled readable: True if the server closed it (or sent
        unexpected input), False if that was only a TLS record such as a session ticket."""
        if self.pending is None:
            return True
        import ssl  # loaded already: the socket is a TLS one

        try:  # TLS: may be a post-handshake record (session ticket), not data or EOF
            self.sock.recv(RECV_SIZE)
        except ssl.SSLWantReadError:
            return bool(self.poller.poll(0))
        except OSError:
            return True
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class SyncHttpTransport(PooledTransport):
    """Sends requests to one origin (``https://fapi.binance.com`` or ``http://127.0.0.1:PORT``)
    over pooled keep-alive HTTP/1.1 connections.

    ``proxy``: an ``http://[user:pass@]host:port`` proxy (CONNECT tunnel for https origins,
    absolute-form targets for http origins). When None, HTTPS_PROXY / HTTP_PROXY / NO_PROXY from
    the environment apply (never to loopback origins); ``""`` disables proxies altogether.
    ``ssl_context``: used for https origins; default verifies certificates (see
    :func:`~binance_usdm._http.protocol.default_ssl_context`).
    ``max_connections``: open connections at most; further callers wait (within their deadline).
    ``limits``: the largest answer taken and how long a pooled connection may sit idle (see
    :class:`~binance_usdm._wire.types.Limits`).
    """

    def _setup(self) -> None:
        # What a socket raises when it cannot go on yet, and a TLS end of stream: ssl is imported
        # only for https (its context exists then), so a plain-HTTP process never loads it.
        self._would_block_read: tuple[type[OSError], ...] = (BlockingIOError,)
        self._would_block_write: tuple[type[OSError], ...] = self._would_block_read
        self._tls_eof: tuple[type[OSError], ...] = ()
        if self._ssl is not None:
            import ssl

            self._would_block_read = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
            self._would_block_write = (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError)
            self._tls_eof = (ssl.SSLZeroReturnError, ssl.SSLEOFError)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._idle: list[_Conn] = []
        self._waiting = 0

    # public ------------------------------------------------------------------------------------
    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        now = monotonic()
        deadline = now + timeouts.total
        encode = self._encoder.encode
        conn = self._take_idle(now)
        if conn is None:
            conn = self._acquire_slow(deadline, timeouts)
        reused = conn.reader.status != 0
        try:
            try:
                # encoded straight into the call: no frame keeps the request's bytes (its headers hold
                # the API key) in a local that a traceback capturing locals would print
                response = self._exchange(conn, encode(request), deadline, timeouts, reused, request.idempotent)
            except _StaleConnection:
                conn.close()
                conn = self._connect(deadline, timeouts)
                response = self._exchange(conn, encode(request), deadline, timeouts, False, request.idempotent)
        except BaseException:
            conn.close()
            self._drop_slot()
            raise
        reader = conn.reader
        if reader.keep_alive and not reader.extra:
            conn.idle_since = now + response.elapsed  # about now: spares a clock read
            self._release(conn)
        else:
            conn.close()
            self._drop_slot()
        return response

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()

    def __enter__(self) -> SyncHttpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # pool ----------------------------------------------------------------------------------------
    def _take_idle(self, now: float) -> _Conn | None:
        """A pooled connection to reuse, or None. The pool's one rule for idle connections (as the
        async pool's): one idle longer than ``idle_timeout`` is closed with every other idle one (idle
        at least as long); one the server closed (or sent bytes on) while idle is closed; either
        frees its slot and the next idle one is tried."""
        lock = self._lock
        while True:
            lock.acquire()  # acquire/release: a third of the cost of ``with`` on this per-call path
            try:
                if not self._idle or self._closed:
                    return None
                conn = self._idle.pop()
            finally:
                lock.release()
            if now - conn.idle_since > self._idle_timeout:
                self._expire_idle(conn)
            elif conn.poll(0) and conn.closed_by_peer():
                conn.close()
                self._drop_slot()
            else:
                return conn

    def _expire_idle(self, expired: _Conn) -> None:
        """Close ``expired`` and every idle connection (idle at least as long), freeing their slots."""
        with self._lock:
            stale = [expired, *self._idle]
            self._idle.clear()
            self._open -= len(stale)
            if self._waiting:
                self._cond.notify_all()
        for conn in stale:
            conn.close()

    def _acquire_slow(self, deadline: float, timeouts: Timeouts) -> _Conn:
        """A connection when none was idle: one released meanwhile, a new one in a free slot, or
        one released within the deadline (waiting for it)."""
        while True:
            conn = self._take_idle(monotonic())
            if conn is not None:
                return conn
            with self._lock:
                if self._closed:
                    raise TransportError("transport is closed", request_sent=False)
                if self._idle:  # released meanwhile: taken (and checked) outside the lock
                    continue
                if self._open < self._max:
                    self._open += 1
                    break
                remaining = deadline - monotonic()
                if remaining <= 0:
                    raise _errors.pool_timeout(timeouts.total, self._max)
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1
        return self._open_or_release(deadline, timeouts)

    def _open_or_release(self, deadline: float, timeouts: Timeouts) -> _Conn:
        """Open a connection in a slot already counted; give the slot back on failure."""
        try:
            return self._connect(deadline, timeouts)
        except BaseException:
            self._drop_slot()
            raise

    def _release(self, conn: _Conn) -> None:
        lock = self._lock
        lock.acquire()
        try:
            if self._closed:
                self._open -= 1
                conn.close()
            else:
                self._idle.append(conn)
            if self._waiting:
                self._cond.notify()
        finally:
            lock.release()

    def _drop_slot(self) -> None:
        with self._lock:
            self._open -= 1
            if self._waiting:
                self._cond.notify()

    # connecting --------------------------------------------------------------------------------
    def _connect(self, deadline: float, timeouts: Timeouts) -> _Conn:
        proxy = self._proxy
        if proxy is not None:
            host, port, authority = proxy.host, proxy.port, proxy.authority
        else:
            origin = self._origin
            host, port, authority = origin.host, origin.port, origin.authority
        budget = min(timeouts.connect, deadline - monotonic())
        if budget <= 0:
            raise _errors.total_timeout(timeouts.total, request_sent=False)
        try:
            # an ASCII name as bytes (getaddrinfo takes both; typeshed says str): a str would load
            # the idna codec, ~2 ms of a short process's start
            address = host.encode("ascii") if host.isascii() else host
            sock = socket.create_connection((address, port), timeout=budget)  # type: ignore[arg-type]
        except TimeoutError:
            raise _errors.connect_timeout(authority, budget) from None
        except OSError as exc:
            raise _errors.connect_failed(exc, authority, proxy=proxy is not None) from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            ctx = self._ssl
            if ctx is not None:
                if proxy is not None:
                    self._tunnel(sock, deadline, timeouts)
                budget = min(timeouts.connect, deadline - monotonic())
                if budget <= 0:
                    raise _errors.total_timeout(timeouts.total, request_sent=False)
                sock.settimeout(budget)
                try:
                    sock = ctx.wrap_socket(sock, server_hostname=self._origin.host)
                except TimeoutError:
                    raise _errors.connect_timeout(self._authority, budget) from None
                except OSError as exc:
                    raise _errors.connect_failed(exc, self._authority) from None
            sock.setblocking(False)
            return _Conn(sock, ResponseReader(*self._limits))
        except BaseException:
            sock.close()
            raise

    def _tunnel(self, sock: socket.socket, deadline: float, timeouts: Timeouts) -> None:
        assert self._proxy is not None
        authority = self._proxy.authority
        budget = min(timeouts.connect, deadline - monotonic())
        if budget <= 0:
            raise _errors.total_timeout(timeouts.total, request_sent=False)
        sock.settimeout(budget)
        buf = b""
        try:
            sock.sendall(build_connect_request(self._origin, self._proxy))
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(4096)
                if not chunk:
                    closed = ConnectionError("closed during CONNECT")
                    raise _errors.connect_failed(closed, authority, proxy=True)
                buf += chunk
                if len(buf) > 65536:
                    raise _errors.proxy_refused(authority, 0)
        except TimeoutError:
            raise _errors.connect_timeout(f"proxy {authority}", budget) from None
        except OSError as exc:
            raise _errors.connect_failed(exc, authority, proxy=True) from None
        status = parse_connect_response(buf)
        if not 200 <= status < 300:
            raise _errors.proxy_refused(authority, status)

    # one exchange ------------------------------------------------------------------------------
    def _exchange(
        self, conn: _Conn, data: bytes, deadline: float, timeouts: Timeouts, reused: bool, idempotent: bool
    ) -> HttpResponse:
        """One request/response. A reused connection found dead raises ``_StaleConnection`` (resend on a
        new one) when the send failed, and also on a reset before any answer if ``idempotent``."""
        sock = conn.sock
        reader = conn.reader
        started = monotonic()
        try:
            sent = sock.send(data)
        except self._would_block_write:
            sent = 0
        except _PEER_GONE as exc:
            if reused:
                raise _StaleConnection from None
            raise _errors.send_failed(self._authority, exc) from None
        except OSError as exc:
            raise _errors.send_failed(self._authority, exc) from None
        rest = memoryview(data)[sent:] if sent < len(data) else None
        del data  # not a local while waiting (see send); a memoryview's repr shows no content
        if rest is not None:
            self._send_rest(conn, rest, deadline, timeouts)

        poll = conn.poll
        read_timeout = timeouts.read
        pending = conn.pending
        while True:
            if pending is None or not pending():
                remaining = deadline - monotonic()
                wait = read_timeout if read_timeout < remaining else remaining
                if wait <= 0 or not poll(ceil(wait * 1000.0)):
                    if wait < read_timeout:
                        raise _errors.total_timeout(timeouts.total, request_sent=True)
                    raise _errors.read_timeout(read_timeout)
            try:
                chunk = sock.recv(RECV_SIZE)
            except self._would_block_read:
                continue
            except self._tls_eof:
                chunk = b""
            except ConnectionResetError as exc:
                if reused and idempotent and not reader.received:
                    raise _StaleConnection from None
                raise _errors.recv_failed(self._authority, exc) from None
            except OSError as exc:
                raise _errors.recv_failed(self._authority, exc) from None
            if not chunk:
                if reader.feed_eof():
                    break
                raise _errors.closed_early(self._authority, partial=reader.received)
            try:
                if reader.feed(chunk):
                    break
            except BadResponse as exc:
                raise _errors.invalid_response(self._authority, exc) from None
        return reader.response(monotonic() - started)

    def _send_rest(self, conn: _Conn, view: memoryview, deadline: float, timeouts: Timeouts) -> None:
        sock = conn.sock
        fd = sock.fileno()
        conn.poller.modify(fd, _POLLOUT)
        try:
            while view:
                remaining = deadline - monotonic()
                if remaining <= 0 or not conn.poller.poll(ceil(remaining * 1000.0)):
                    raise _errors.total_timeout(timeouts.total, request_sent=False)
                try:
                    n = sock.send(view)
                except self._would_block_write:
                    continue
                except OSError as exc:
                    raise _errors.send_failed(self._authority, exc) from None
                view = view[n:]
        finally:
            conn.poller.modify(fd, _POLLIN)
