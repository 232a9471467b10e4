"""The contract between the sans-I/O client core and the transports (sync and async).

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


class HttpResponse(msgspec.Struct, gc=False):
    """One response. ``headers``: case-insensitive, lower-case names (the transports give a lazy
    :class:`~binance_usdm._http.headers.Headers`); ``elapsed`` is seconds from send to last byte."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float


class SyncTransport(Protocol):
    """Sends requests to one origin over pooled keep-alive connections (blocking)."""

    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """Sends requests to one origin over pooled keep-alive connections (asyncio)."""

    async def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse: ...

    async def aclose(self) -> None: ...
