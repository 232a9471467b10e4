"""One user-data-stream connection on the emulator's port: the `websockets` library's sans-I/O
`ServerProtocol` over the asyncio transport the HTTP front end hands over, plus its subscriptions
(the streams' facts and lifecycle: `stream.py`). Imported with the first stream opened: a server that
never serves one does not load the websockets library.

Its logs go to the `binance_usdm.emulator.stream` logger (accounts, never listen keys); the library's
own logger, `binance_usdm.emulator.stream.websocket`, is held at WARNING, so its debug lines (request
lines and headers) stay off even when the application logs at DEBUG.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING, Any, Protocol

import msgspec
from websockets.datastructures import Headers
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from .tcp import abort

if TYPE_CHECKING:
    from .backend import Backend
    from .stream_options import StreamOptions

_MAX_MESSAGE = 64 * 1024  # bytes per incoming message (requests are tiny)
_CLOSE_TIMEOUT_S = 2.0  # real seconds a client has to answer the server's close frame
_METHODS = "SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY"
_json = msgspec.json.Encoder()
_log = logging.getLogger("binance_usdm.emulator.stream")
_ws_log = logging.getLogger("binance_usdm.emulator.stream.websocket")
_ws_log.setLevel(logging.WARNING)


class Hub(Protocol):
    """What a session needs of the stream hub (`stream.StreamHub`)."""

    backend: Backend
    options: StreamOptions

    def subscribe(self, session: Session, key: str) -> None: ...
    def unsubscribe(self, session: Session, key: str) -> None: ...
    def forget(self, session: Session) -> None: ...


class Session:
    """One websocket connection: the library's protocol over the transport, plus its subscriptions."""

    def __init__(self, hub: Hub, transport: asyncio.Transport, combined: bool) -> None:
        self.hub = hub
        self.transport = transport
        self.combined = combined
        self.keys: list[str] = []
        self.protocol = ServerProtocol(max_size=_MAX_MESSAGE, logger=_ws_log)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, hub.options.send_buffer)
        self.opened_ms = hub.backend.clock.now_ms()
        loop = asyncio.get_running_loop()
        self.last_pong = loop.time()
        self._ping_timer = loop.call_later(hub.options.ping_interval_s, self._ping)
        self.closed = False

    @staticmethod
    def text_frame(data: bytes) -> bytes:
        """One unfragmented text frame as the server sends it (unmasked; no extension is negotiated),
        built by the websockets library once and written to every stream that gets the payload."""
        return Frame(Opcode.TEXT, data).serialize(mask=False)

    def handshake(self, headers: dict[str, str], rest: bytes) -> bool:
        """Answer the upgrade request (101, or the library's rejection); True when open."""
        self.protocol.receive_data(Request("/", Headers(headers)).serialize())
        request = self.protocol.events_received()[0]
        assert isinstance(request, Request)
        self.protocol.send_response(self.protocol.accept(request))
        self._flush()
        if self.protocol.state is not State.OPEN:
            self.transport.close()
            self.lost()
            return False
        if rest:
            self.receive(rest)
        return True

    def receive(self, data: bytes) -> None:
        """Bytes from the client: frames for the library; text frames are requests."""
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self._request(event.data)
                elif event.opcode is Opcode.PONG:
                    self.last_pong = asyncio.get_running_loop().time()
        self._flush()

    def send(self, frame: bytes) -> None:
        """Push one serialized text frame (`text_frame`); drop the socket when its unsent data passes
        the limit."""
        if self.closed or self.protocol.state is not State.OPEN:
            return
        self.transport.write(frame)
        if self.transport.get_write_buffer_size() > self.hub.options.max_buffer:
            self.drop()

    def close(self, code: int, reason: str = "", *, wait: bool = True) -> None:
        """Start the closing handshake: nothing more is sent; the connection ends when the client
        answers the close frame, or after `_CLOSE_TIMEOUT_S` at the latest (at once without `wait`:
        the server is stopping and its loop no longer runs timers)."""
        if self.closed:
            return
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(code, reason)
            self._flush()
        self.lost()
        if not wait:
            self.transport.close()
        elif not self.transport.is_closing():
            asyncio.get_running_loop().call_later(_CLOSE_TIMEOUT_S, self.transport.close)

    def drop(self) -> None:
        """Abort the connection (TCP reset), discarding what it has not sent."""
        _log.info("stream dropped: slow consumer (over %d unsent bytes)", self.hub.options.max_buffer)
        abort(self.transport)
        self.lost()

    def lost(self) -> None:
        """The connection is gone: forget it."""
        if not self.closed:
            self.closed = True
            self._ping_timer.cancel()
            self.hub.forget(self)

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            else:  # the library ended the stream (after a close handshake or a protocol error)
                self.transport.close()
                self.lost()
                return

    def _ping(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self.last_pong > self.hub.options.pong_timeout_s:
            _log.info("stream closed: no pong for %.1f s", self.hub.options.pong_timeout_s)
            self.close(CloseCode.POLICY_VIOLATION, "Pong timeout")
            return
        if self.protocol.state is State.OPEN:
            self.protocol.send_ping(b"")
            self._flush()
            self._ping_timer = loop.call_later(self.hub.options.ping_interval_s, self._ping)

    def _request(self, text: bytes | Any) -> None:
        """A SUBSCRIBE-style request (Binance's live subscribing page), answered in its format."""
        try:
            msg = msgspec.json.decode(bytes(text))
        except msgspec.DecodeError as exc:
            self._reply({"code": 3, "msg": f"Invalid JSON: {exc}", "id": None})
            return
        if not isinstance(msg, dict):
            self._reply({"code": 2, "msg": "Invalid request: expected an object", "id": None})
            return
        rid = msg.get("id")
        if not (type(rid) is int and rid >= 0):
            self._reply({"code": 2, "msg": "Invalid request: request ID must be an unsigned integer", "id": None})
            return
        method, params = msg.get("method"), msg.get("params", [])
        if not isinstance(params, list):
            self._reply({"code": 2, "msg": "Invalid request: params must be an array", "id": rid})
            return
        result: Any = None
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not all(isinstance(p, str) for p in params):
                self._reply({"code": 2, "msg": "Invalid request: stream names must be strings", "id": rid})
                return
            for name in params:
                (self.hub.subscribe if method == "SUBSCRIBE" else self.hub.unsubscribe)(self, name)
        elif method == "LIST_SUBSCRIPTIONS":
            result = list(self.keys)
        elif method in ("SET_PROPERTY", "GET_PROPERTY"):
            if not params or params[0] != "combined":
                self._reply({"code": 0, "msg": "Unknown property", "id": rid})
                return
            if method == "GET_PROPERTY":
                result = self.combined
            elif len(params) == 2 and isinstance(params[1], bool):
                self.combined = params[1]
            else:
                self._reply({"code": 1, "msg": "Invalid value type: expected Boolean", "id": rid})
                return
        else:
            self._reply({"code": 2, "msg": f"Invalid request: unknown variant {method}, expected one of {_METHODS}",
                         "id": rid})
            return
        self._reply({"result": result, "id": rid})

    def _reply(self, answer: dict[str, Any]) -> None:
        if self.protocol.state is State.OPEN:
            self.protocol.send_text(_json.encode(answer))
