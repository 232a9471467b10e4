"""The transport contract: what the client core hands a transport and what it expects back.

A leaf module (it imports only the argument checks), so every layer may depend on it. Both clients
accept ``transport=``: anything with these methods, e.g. our own ``binance_usdm._http`` transports
(the default), ``binance_usdm.httpx_transport`` (HTTP/2, SOCKS, corporate proxies through httpx),
or a wrapper that records or replays. A transport talks to one base URL and must:

- send ``request.method`` to the base URL followed by ``request.target`` (path and query string,
  already encoded and signed), with ``request.headers`` and ``request.body``; never send a request
  with ``idempotent=False`` twice;
- return an :class:`HttpResponse` for every answer, whatever its status (the core reads Binance's
  errors from status and body): ``headers`` a case-insensitive mapping, ``body`` the decoded bytes;
- bound the exchange by ``timeouts`` (``connect``, ``read``, and ``total`` for the whole exchange);
- raise only :class:`~binance_usdm.errors.TransportError` (``ConnectError``, ``RequestTimeout``)
  for a failure, with ``request_sent=False`` only when the request cannot have reached the server
  (the core resends a request that moves money only then).

The value types are msgspec Structs: their constructors run in C, and one of each is made per call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import msgspec

from binance_usdm._wire import validate as check


class Timeouts(msgspec.Struct, frozen=True, gc=False):
    """Deadlines in seconds. ``total`` bounds one whole exchange (connect + write + read).
    Each must be a positive, finite number (for "practically none", give a large one)."""

    connect: float = 5.0
    read: float = 10.0
    total: float = 30.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "total"):
            check.seconds(getattr(self, name), name, option="timeouts")


class Limits(msgspec.Struct, frozen=True, gc=False):
    """Bounds a transport keeps. ``max_header_bytes`` / ``max_body_bytes``: a larger answer is
    refused as a ``TransportError`` (Binance's heads are about 1 KB, its largest bodies, exchange
    information and every symbol's brackets, a few MB). ``idle_timeout``: seconds a pooled
    connection may sit unused before it is closed instead of reused (below the 60 s idle timeout of
    common load balancers, so the client gives a connection up before the server side closes it
    while a request is on its way)."""

    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 64 * 1024 * 1024
    idle_timeout: float = 20.0

    def __post_init__(self) -> None:
        check.integer(self.max_header_bytes, "max_header_bytes", 1, 2**62)
        check.integer(self.max_body_bytes, "max_body_bytes", 0, 2**62)
        check.seconds(self.idle_timeout, "idle_timeout", zero=True, option="limits")


class Secret(str):
    """Text whose ``repr`` is ``'***'``: an API key, a listen key, a query string holding one.

    A traceback that captures locals (``traceback.TracebackException(capture_locals=True)``, rich's
    ``show_locals``, error trackers), a debugger or a stray ``print(locals())`` shows the ``repr`` of
    every object on a call's path; ``str()``, formatting and comparisons still give the value.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


class HttpRequest(msgspec.Struct, gc=False):
    """One request, already encoded. ``target`` is the path plus query string (``/fapi/v1/x?a=1``).

    ``headers``: name/value pairs. A tuple is taken as immutable: the encoder checks and encodes it
    once and reuses the result while the same tuple comes back (the client sends the same one on
    every call).

    ``idempotent=False``: the transport never sends it a second time, not even when a pooled
    connection turns out to have been reset (the server may have run it before resetting).
    """

    method: str
    target: str
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    idempotent: bool = True

    def __repr__(self) -> str:
        """Method, path and header names only: a header holds the API key, the query may hold a
        listen key (see :class:`Secret`)."""
        path, query, _ = self.target.partition("?")
        names = ", ".join(name for name, _ in self.headers)
        return (f"HttpRequest({self.method} {path}{'?<query>' if query else ''}, headers=[{names}], "
                f"body={len(self.body)} bytes, idempotent={self.idempotent})")


class HttpResponse(msgspec.Struct, gc=False):
    """One response. ``headers``: case-insensitive, lower-case names (the transports give a lazy
    :class:`~binance_usdm._http.headers.Headers`); ``elapsed`` is seconds from send to last byte."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float

    def __repr__(self) -> str:
        """Without the body: it may hold a listen key."""
        return f"HttpResponse({self.status}, body={len(self.body)} bytes, elapsed={self.elapsed:.3f} s)"


class SyncTransport(Protocol):
    """Sends requests to one origin over pooled keep-alive connections (blocking)."""

    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """Sends requests to one origin over pooled keep-alive connections (asyncio)."""

    async def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse: ...

    async def aclose(self) -> None: ...
