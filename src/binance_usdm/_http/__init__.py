"""Our HTTP/1.1 transports for one origin: :class:`SyncHttpTransport` (blocking sockets) and
:class:`AsyncHttpTransport` (asyncio protocol), sharing the sans-I/O core in ``protocol``.

Names load lazily: the blocking client never imports asyncio through this package."""

from typing import TYPE_CHECKING

from binance_usdm._lazy import lazy_names

if TYPE_CHECKING:
    from binance_usdm._http.async_transport import AsyncHttpTransport
    from binance_usdm._http.sync_transport import SyncHttpTransport
    from binance_usdm._wire.types import AsyncTransport, HttpRequest, HttpResponse, SyncTransport, Timeouts

_EXPORTS = {
    "binance_usdm._http.async_transport": ("AsyncHttpTransport",),
    "binance_usdm._http.sync_transport": ("SyncHttpTransport",),
    "binance_usdm._wire.types": ("AsyncTransport", "HttpRequest", "HttpResponse", "SyncTransport", "Timeouts"),
}

__getattr__, __dir__ = lazy_names(globals(), _EXPORTS)

__all__ = [
    "AsyncHttpTransport",
    "AsyncTransport",
    "HttpRequest",
    "HttpResponse",
    "SyncHttpTransport",
    "SyncTransport",
    "Timeouts",
]
