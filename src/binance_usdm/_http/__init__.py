"""Our HTTP/1.1 transports for one origin: :class:`SyncHttpTransport` (blocking sockets) and
:class:`AsyncHttpTransport` (asyncio protocol), sharing the sans-I/O core in ``protocol``."""

from binance_usdm._wire.types import AsyncTransport, HttpRequest, HttpResponse, SyncTransport, Timeouts

from .async_transport import AsyncHttpTransport
from .sync_transport import SyncHttpTransport

__all__ = [
    "AsyncHttpTransport",
    "AsyncTransport",
    "HttpRequest",
    "HttpResponse",
    "SyncHttpTransport",
    "SyncTransport",
    "Timeouts",
]
