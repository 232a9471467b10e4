# GENERATED from binance_usdm/_async/user_stream.py by scripts/gen_sync.py: do not edit.
"""``UserDataStream``: the account's user data stream, typed events and lifecycle notices.

It owns the listen key (gets it, keeps it alive, replaces it when Binance drops or expires it, closes
it at the end), connects, and keeps going by itself: after a drop or the 24-hour cut it reconnects
with backoff and jitter. Every such step is announced by a notice (``binance_usdm.models.notices``)
among the events, never silently. The decisions are ``binance_usdm._wire.stream_policy.StreamPolicy``'s;
this class only does the I/O. Used as a context manager and iterated, it yields Binance's
events (``binance_usdm.models.events``) and its notices in arrival order; after a ``Reconnected``
notice events of its ``gap`` may be lost, so re-read over REST what you need.

Keepalives go out while the stream is read (it waits for frames at most until the next one is due),
so read it at least every 30 minutes.
"""

from __future__ import annotations

import time
import logging
from collections import deque
from collections.abc import Callable

from binance_usdm._sync.lifecycle import Source
from binance_usdm._sync.listen_key import ClientLike, ListenKey
from binance_usdm._http.websocket import WebSocket, ConnectFailed, SocketClosed
from binance_usdm._wire.stream_policy import (
    KEEPALIVE_INTERVAL,
    Backoff,
    Connect,
    KeepAlive,
    ObtainKey,
    Receive,
    StreamPolicy,
    Wait,
)
from binance_usdm._wire.stream_urls import Route, default_route, stream_base
from binance_usdm.errors import BinanceError, ConnectError
from binance_usdm.models.events import ListenKeyExpired, UndecodableEvent, UserEvent, decode_event
from binance_usdm.models.notices import MessageSkipped, Notice

StreamItem = UserEvent | Notice
"""What a stream yields: Binance's events and the stream's own notices."""

_log = logging.getLogger("binance_usdm.stream")


class UserDataStream(Source[StreamItem]):
    """The user data stream of the client's account: iterate it for events and notices.

    ``route``: ``"private"`` (``/private/ws/<listenKey>``, Binance's current route) or ``"legacy"``
    (``/ws/<listenKey>``); by default the one the server offers (legacy on the testnet).
    ``stream_url`` overrides the websocket base URL derived from the client's ``base_url``.
    ``clock`` (monotonic seconds) times keepalives and backoff; tests pass their own.
    """

    def __init__(
        self,
        client: ClientLike,
        *,
        route: Route | None = None,
        stream_url: str | None = None,
        keepalive_interval: float = KEEPALIVE_INTERVAL,
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
        ping_interval: float | None = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        base = (stream_url or stream_base(client.base_url)).rstrip("/")
        self._policy = StreamPolicy(
            base, route or default_route(base), keepalive_interval=keepalive_interval, backoff=backoff, clock=clock
        )
        self._key = ListenKey(client.usd_futures_api.account, self._policy.key)
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._socket: WebSocket | None = None
        self._pending: deque[StreamItem] = deque()
        self._opened = False
        self._closed = False

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock (seconds) that times keepalives and backoff."""
        return self._policy.clock

    @property
    def connected(self) -> bool:
        """True while the websocket is open."""
        return self._socket is not None

    def open(self) -> None:
        """Get the listen key and connect. A failure here raises (``ApiError`` for the key,
        ``ConnectError`` for the websocket); once open, the stream recovers by itself."""
        if self._opened:
            return
        now = self._policy.clock()
        self._key.obtain(now)
        step = self._policy.next_step(now)
        assert isinstance(step, Connect)
        try:
            self._socket = self._open_socket(step.url)
        except ConnectFailed as exc:
            self._key.close()
            raise ConnectError(
                f"cannot open the user data stream: {exc.reason}", endpoint=self._policy.shown_url
            ) from None
        self._opened = True
        self._pending.append(self._policy.connected(self._policy.clock()))

    def next_item(self) -> StreamItem:
        """The next event or notice (waits for it)."""
        self.open()
        while not self._pending:
            if self._closed:
                raise StopIteration
            self._advance()
        return self._pending.popleft()

    def run(self, handler: Callable[[StreamItem], object]) -> None:
        """The callback form: ``handler(item)`` for every event and notice until the stream closes; it
        is closed when this returns, also when it is cancelled or interrupted (or ``handler`` raises)."""
        try:
            for item in self:
                handler(item)
        finally:
            self.close()

    def _advance(self) -> None:
        now = self._policy.clock()
        step = self._policy.next_step(now)
        if isinstance(step, Receive):
            self._receive(step.timeout)
        elif isinstance(step, KeepAlive):
            self._keep_alive(now)
        elif isinstance(step, Wait):
            time.sleep(step.seconds)
        elif isinstance(step, ObtainKey):
            self._obtain_key(now)
        else:
            self._connect(step)

    def _receive(self, timeout: float) -> None:
        assert self._socket is not None
        try:
            frame = self._socket.recv(timeout)
        except SocketClosed as exc:
            self._socket = None
            if not self._closed:  # not our own close (from another thread or task)
                self._pending.append(self._policy.dropped(exc.reason, self._policy.clock()))
            return
        if frame is None:
            return
        try:
            event = decode_event(frame)
        except UndecodableEvent as exc:
            self._pending.append(MessageSkipped(self._policy.now_utc(), exc.problem))
            return
        if event is None:
            return
        self._pending.append(event)
        if isinstance(event, ListenKeyExpired):
            self._drop_socket()
            self._policy.key_expired(self._policy.clock())

    def _keep_alive(self, now: float) -> None:
        if not self._key.keep_alive(now):
            self._drop_socket()
            self._policy.key_gone(now)

    def _obtain_key(self, now: float) -> None:
        try:
            replaced = self._key.obtain(now)
        except BinanceError as exc:
            self._pending.append(self._policy.key_failed(exc, self._policy.clock()))
            return
        notice = self._policy.key_obtained(replaced)
        if notice is not None:
            self._pending.append(notice)

    def _connect(self, step: Connect) -> None:
        try:
            self._socket = self._open_socket(step.url)
        except ConnectFailed as exc:
            self._pending.append(self._policy.connect_failed(exc.reason, self._policy.clock(), refused=exc.refused))
            return
        self._pending.append(self._policy.connected(self._policy.clock()))

    def _open_socket(self, url: str) -> WebSocket:
        return WebSocket.connect(url, open_timeout=self._open_timeout, ping_interval=self._ping_interval)

    def _drop_socket(self) -> None:
        socket, self._socket = self._socket, None
        if socket is not None:
            socket.close()

    def close(self) -> None:
        """Close the websocket and the listen key. Iteration ends."""
        self._closed = True
        self._drop_socket()
        self._key.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "connected" if self.connected else "not connected"
        return f"{type(self).__name__}({self._policy.shown_url}, {state})"
