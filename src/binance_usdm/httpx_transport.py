"""Transports on httpx (optional extra ``httpx``): for what our narrow HTTP/1.1 transport does not
do, such as HTTP/2, SOCKS or a corporate proxy (through httpx's own options), or recording.

    import httpx
    from binance_usdm import BinanceRestClient
    from binance_usdm.httpx_transport import HttpxTransport

    transport = HttpxTransport("https://fapi.binance.com", httpx.Client(proxy="socks5://127.0.0.1:1080"))
    with BinanceRestClient(api_key, api_secret, transport=transport) as client: ...

Each implements the transport contract of :mod:`binance_usdm._wire.types` (``SyncTransport``,
``AsyncTransport``): httpx's failures become the client's ``ConnectError`` / ``RequestTimeout`` /
``TransportError`` with ``request_sent`` telling whether the request may have reached the server,
and ``timeouts.total`` bounds the whole exchange (checked between the body's chunks in the blocking
one, where httpx offers no overall deadline: a single stalled read is bounded by ``timeouts.read``).
A ``client`` given to the constructor stays the caller's to close; one the transport made itself is
closed with it.
"""

from __future__ import annotations

import asyncio
from time import monotonic, perf_counter
from typing import Any

import httpx

from binance_usdm._wire.types import HttpRequest, HttpResponse, Timeouts
from binance_usdm._wire.urls import Origin
from binance_usdm.errors import ConnectError, RequestTimeout, TransportError, ValidationError

__all__ = ["AsyncHttpxTransport", "HttpxTransport"]


def _base(base_url: str) -> str:
    """``base_url`` checked like the client's own (scheme, host, no credentials), without a final '/'."""
    try:
        Origin.parse(base_url)
    except ValueError as exc:  # the message never repeats the URL
        raise ValidationError("base_url", str(exc).removeprefix("base_url ")) from None
    return base_url.rstrip("/")


def _httpx_timeout(timeouts: Timeouts, left: float) -> httpx.Timeout:
    return httpx.Timeout(connect=min(timeouts.connect, left), read=min(timeouts.read, left),
                         write=min(timeouts.read, left), pool=left)


def _failure(exc: httpx.TransportError, host: str) -> TransportError:
    """httpx's transport failure as ours; ``request_sent`` is False only when nothing can have arrived."""
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return RequestTimeout(f"connect to {host} timed out ({reason})", request_sent=False)
    if isinstance(exc, httpx.TimeoutException):  # read or write: the request may be on its way
        return RequestTimeout(f"request to {host} timed out ({reason})", request_sent=True)
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError | httpx.UnsupportedProtocol):
        return ConnectError(f"could not connect to {host}: {reason}")
    if isinstance(exc, httpx.WriteError):
        return TransportError(f"sending to {host} failed: {reason}", request_sent=False)
    return TransportError(f"connection to {host} failed: {reason}", request_sent=True)


def _total_timeout(total: float) -> RequestTimeout:
    return RequestTimeout(f"request timed out after {total:g} s (total deadline)", request_sent=True)


def _response(raw: httpx.Response, body: bytes, started: float) -> HttpResponse:
    return HttpResponse(raw.status_code, raw.headers, body, perf_counter() - started)


class HttpxTransport:
    """A blocking transport on ``httpx.Client`` (made with ``client_options`` when none is given)."""

    def __init__(self, base_url: str, client: httpx.Client | None = None, **client_options: Any) -> None:
        self._base = _base(base_url)
        self._host = httpx.URL(self._base).host
        self._owned = client is None
        self._client = httpx.Client(**client_options) if client is None else client

    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        started = perf_counter()
        deadline = monotonic() + timeouts.total
        built = self._client.build_request(
            request.method, self._base + request.target, headers=list(request.headers), content=request.body,
            timeout=_httpx_timeout(timeouts, timeouts.total),
        )
        try:
            raw = self._client.send(built, stream=True)
            try:
                chunks = []
                for chunk in raw.iter_bytes():  # decoded (httpx asks for gzip)
                    if monotonic() > deadline:
                        raise _total_timeout(timeouts.total)
                    chunks.append(chunk)
            finally:
                raw.close()
        except httpx.TransportError as exc:
            raise _failure(exc, self._host) from None
        return _response(raw, b"".join(chunks), started)

    def close(self) -> None:
        if self._owned:
            self._client.close()

    def __repr__(self) -> str:
        return f"HttpxTransport({self._base!r})"


class AsyncHttpxTransport:
    """An asyncio transport on ``httpx.AsyncClient`` (made with ``client_options`` when none is given)."""

    def __init__(self, base_url: str, client: httpx.AsyncClient | None = None, **client_options: Any) -> None:
        self._base = _base(base_url)
        self._host = httpx.URL(self._base).host
        self._owned = client is None
        self._client = httpx.AsyncClient(**client_options) if client is None else client

    async def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        started = perf_counter()
        built = self._client.build_request(
            request.method, self._base + request.target, headers=list(request.headers), content=request.body,
            timeout=_httpx_timeout(timeouts, timeouts.total),
        )
        try:
            async with asyncio.timeout(timeouts.total):
                raw = await self._client.send(built)
        except TimeoutError:
            raise _total_timeout(timeouts.total) from None
        except httpx.TransportError as exc:
            raise _failure(exc, self._host) from None
        return _response(raw, raw.content, started)

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()

    def __repr__(self) -> str:
        return f"AsyncHttpxTransport({self._base!r})"
