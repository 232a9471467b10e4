"""A scripted user-data websocket server on 127.0.0.1 (the ``websockets`` asyncio server in a thread),
for the faults a real server rarely produces on demand: abrupt drops, garbage frames, unknown event
types, refused handshakes. The test pushes frames and decides when connections end."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response


class ScriptedStream:
    """Serves ``/ws/<key>`` and ``/private/ws/<key>``; records each connection's path."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.refuse_next = 0
        """Handshakes to answer with HTTP 404 before accepting again."""
        self._connections: list[ServerConnection] = []
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        self._server = self._call(self._serve())

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._call(self._server.wait_closed())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    # --- what the test does -----------------------------------------------------------------------
    def wait_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` connections were accepted in total."""
        deadline = time.monotonic() + timeout
        while len(self.paths) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.paths)} connections, expected {count}")
            time.sleep(0.005)

    def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait until no connection is open."""
        deadline = time.monotonic() + timeout
        while self._connections:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self._connections)} connections still open")
            time.sleep(0.005)

    def push(self, frame: str | bytes | dict[str, Any]) -> None:
        """Send a frame to every open connection."""
        import json

        data = json.dumps(frame) if isinstance(frame, dict) else frame
        self._call(self._send_all(data))

    def close_all(self, code: int = 1000, reason: str = "") -> None:
        """Close every open connection with a close frame (Binance's 24-hour cut)."""
        self._call(self._close_all(code, reason))

    def drop_all(self) -> None:
        """Abort every open connection's TCP stream without a close frame."""
        self._call(self._drop_all())

    @property
    def open_count(self) -> int:
        return len(self._connections)

    # --- server side ------------------------------------------------------------------------------
    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(5)

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return Response(HTTPStatus.NOT_FOUND, "Not Found", Headers(), b"")
        return None

    async def _serve(self) -> Server:
        return await serve(self._handle, "127.0.0.1", 0, process_request=self._check, compression=None)

    async def _handle(self, connection: ServerConnection) -> None:
        self.paths.append(connection.request.path if connection.request else "")
        self._connections.append(connection)
        try:
            await connection.wait_closed()
        finally:
            self._connections.remove(connection)

    async def _send_all(self, data: str | bytes) -> None:
        for connection in list(self._connections):
            await connection.send(data)

    async def _close_all(self, code: int, reason: str) -> None:
        for connection in list(self._connections):
            await connection.close(code, reason)

    async def _drop_all(self) -> None:
        for connection in list(self._connections):
            connection.transport.abort()


@contextmanager
def scripted_stream() -> Iterator[ScriptedStream]:
    server = ScriptedStream()
    server.start()
    try:
        yield server
    finally:
        server.stop()
