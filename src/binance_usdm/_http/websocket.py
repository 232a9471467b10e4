"""The websocket under the stream (the ``websockets`` library's asyncio and sync clients), narrowed to
what the stream needs: connect, read one frame with a timeout, close. Errors come out as
``SocketClosed`` / ``ConnectFailed`` with messages that never contain the URL (it holds the listen
key), and the library's own log lines go through a logger that redacts the key.

Binance's server pings every 3 minutes and wants a pong within 10 minutes; the library answers pings
by itself. The client also pings (``ping_interval``) to notice a dead connection that never closes.
https://developers.binance.info/docs/derivatives/usds-margined-futures/websocket-market-streams
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection as AsyncConnection
    from websockets.sync.client import ClientConnection as SyncConnection

_log = logging.getLogger("binance_usdm.stream.websocket")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class SocketClosed(Exception):
    """The connection ended; ``reason`` says how (close code and reason, or the network error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConnectFailed(Exception):
    """Opening the connection failed. ``refused``: the server answered the handshake with an error."""

    def __init__(self, reason: str, *, refused: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused


class RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """Passes the websocket library's log lines on with the secret (the listen key) replaced."""

    def __init__(self, logger: logging.Logger, secret: str) -> None:
        super().__init__(logger, {})
        self.secret = secret

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            text = (str(msg) % args) if args else str(msg)
            self.logger.log(level, text.replace(self.secret, "<redacted>"), **kwargs)


def _options(url: str, open_timeout: float, ping_interval: float | None) -> dict[str, Any]:
    host = urlsplit(url).hostname or ""
    secret = urlsplit(url).path.rsplit("/", 1)[-1]
    return {
        "open_timeout": open_timeout,
        "ping_interval": ping_interval,
        "ping_timeout": ping_interval,
        "compression": None,  # Binance's frames are small JSON; deflate would cost CPU on both ends
        "proxy": None if host in _LOOPBACK else True,
        "logger": RedactingLogger(_log, secret),
    }


def _connect_error(exc: BaseException) -> ConnectFailed:
    from websockets.exceptions import InvalidStatus, InvalidURI

    if isinstance(exc, InvalidStatus):
        return ConnectFailed(f"the server answered HTTP {exc.response.status_code}", refused=True)
    if isinstance(exc, InvalidURI):
        return ConnectFailed("invalid stream URL", refused=False)
    if isinstance(exc, TimeoutError):
        return ConnectFailed("timed out opening the connection", refused=False)
    return ConnectFailed(f"{type(exc).__name__}: {exc}", refused=False)


def _closed(exc: BaseException) -> SocketClosed:
    from websockets.exceptions import ConnectionClosed

    if isinstance(exc, ConnectionClosed):
        frame = exc.rcvd or exc.sent
        if frame is None:
            return SocketClosed("the connection dropped without a close frame")
        return SocketClosed(f"closed with code {frame.code}" + (f" ({frame.reason})" if frame.reason else ""))
    return SocketClosed(f"{type(exc).__name__}: {exc}")


_FAILURES = (OSError, TimeoutError, EOFError)


class AsyncWebSocket:
    """A websocket on the asyncio client of ``websockets``."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    @classmethod
    async def connect(cls, url: str, *, open_timeout: float, ping_interval: float | None) -> AsyncWebSocket:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        try:
            connection = await connect(url, **_options(url, open_timeout, ping_interval))
        except (WebSocketException, *_FAILURES) as exc:
            raise _connect_error(exc) from None
        return cls(connection)

    async def recv(self, timeout: float) -> bytes | str | None:
        """The next frame's payload (bytes for text frames: no decoding), None after ``timeout``."""
        from websockets.exceptions import WebSocketException

        try:
            async with asyncio.timeout(timeout):
                return await self._connection.recv(decode=False)
        except TimeoutError:
            return None
        except (WebSocketException, *_FAILURES) as exc:
            raise _closed(exc) from None

    async def close(self) -> None:
        from websockets.exceptions import WebSocketException

        try:
            await self._connection.close()
        except (WebSocketException, *_FAILURES) as exc:
            _log.debug("closing the websocket: %s", type(exc).__name__)


class WebSocket:
    """A websocket on the blocking (threading) client of ``websockets``."""

    def __init__(self, connection: SyncConnection) -> None:
        self._connection = connection

    @classmethod
    def connect(cls, url: str, *, open_timeout: float, ping_interval: float | None) -> WebSocket:
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect

        try:
            connection = connect(url, legacy=True, **_options(url, open_timeout, ping_interval))
        except (WebSocketException, *_FAILURES) as exc:
            raise _connect_error(exc) from None
        return cls(connection)

    def recv(self, timeout: float) -> bytes | str | None:
        """The next frame's payload (bytes for text frames: no decoding), None after ``timeout``."""
        from websockets.exceptions import WebSocketException

        try:
            return self._connection.recv(timeout, decode=False)
        except TimeoutError:
            return None
        except (WebSocketException, *_FAILURES) as exc:
            raise _closed(exc) from None

    def close(self) -> None:
        from websockets.exceptions import WebSocketException

        try:
            self._connection.close()
        except (WebSocketException, *_FAILURES) as exc:
            _log.debug("closing the websocket: %s", type(exc).__name__)
