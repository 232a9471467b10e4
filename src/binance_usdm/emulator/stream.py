"""The user data stream on the emulator's own port: websocket sessions, fan-out and their lifecycle.

The HTTP front end (`server.py`) hands over a connection whose request asks for a websocket upgrade
on a stream path; from then on the websocket protocol is the `websockets` library's sans-I/O
`ServerProtocol` running over the same asyncio transport (framing, masking, ping/pong and close
handshakes are the library's: `stream_session.py`, imported with the first stream). Binance's facts
(https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Connect and
.../websocket-market-streams, .../Live-Subscribing-Unsubscribing-to-streams):

- URL forms: `/ws/<listenKey>` (raw payloads), `/stream?streams=<listenKey>` (combined:
  `{"stream":<listenKey>,"data":<payload>}`), the `/private` route (`/private/ws/<listenKey>`,
  `/private/ws?listenKey=<listenKey>`, which python-binance builds), `/ws/<key>?listenKey=<key>`, and
  a bare `/ws` or `/stream` followed by `{"method":"SUBSCRIBE","params":[<listenKey>],"id":1}`
  (binance-futures-connector), answered `{"result":null,"id":1}`; UNSUBSCRIBE, LIST_SUBSCRIPTIONS and
  the `combined` property (SET_PROPERTY / GET_PROPERTY) work as on Binance's stream servers.
- The server pings every 3 minutes and disconnects a connection that sent no pong for 10 minutes;
  any pong counts (unsolicited ones too). A connection lives at most 24 hours.
- A listen key is valid 60 minutes after its last POST/PUT; when a key in use expires (or is closed
  by DELETE) the stream pushes `{"e":"listenKeyExpired","E":"<ms>","listenKey":<key>}` (`E` as a
  string, as the current page's example and live servers send it) and the socket closes (1000).
- A name that is not a valid listen key opens a stream that never receives anything (Binance:
  "This event will be received only when a valid listenKey in connection got expired").

Clocks: key expiry and the 24-hour cut follow the emulator clock (`clock.py`), so tests move time
instead of waiting; pings and the pong deadline are real time (a jump of the emulator clock must not
cut a healthy client that had no chance to answer). Both are `StreamOptions`.

Slow consumers: Binance drops them. A socket whose unsent data exceeds `StreamOptions.max_buffer`
bytes is aborted at once with a TCP reset (no close frame: the buffer is what it cannot drain), and
its kernel send buffer is fixed at `StreamOptions.send_buffer`, so memory per socket stays bounded.

Logs name accounts, never listen keys: the websocket library sees the path `/` only, and its own
logger is held at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from concurrent.futures import Executor
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import msgspec

from . import events as ev
from .backend import Backend, CommitFailed
from .feeds import StreamEvents
from .messages import RawRequest
from .stream_options import StreamOptions
from .userdata import Payload, Renderer

if TYPE_CHECKING:
    from .stream_session import Session

#: The close codes the server's side sends (RFC 6455, section 7.4.1).
NORMAL_CLOSURE, GOING_AWAY = 1000, 1001
_json = msgspec.json.Encoder()
_log = logging.getLogger(__name__)


def stream_target(path: str, query: str) -> tuple[bool, list[str]] | None:
    """(combined?, listen keys named in the URL) for a stream path, else None."""
    for prefix in ("/private", ""):
        for base, combined in (("/ws", False), ("/stream", True)):
            root = prefix + base
            if path != root and not path.startswith(root + "/"):
                continue
            args = parse_qs(query)
            keys = [path[len(root) + 1:]] if path.startswith(root + "/") else []
            keys += args.get("listenKey", [])
            keys += [k for s in args.get("streams", []) for k in s.split("/")]
            return combined, list(dict.fromkeys(k for k in keys if k))
    return None


class StreamHub:
    """Every open stream of the emulator: subscriptions per listen key, delivery, lifecycle checks.

    Domain events arrive from the backend (any thread, under its lock) and are rendered at once for
    the accounts that have a stream; the payloads are queued, then encoded, written and recorded by
    the event loop in publication order.
    """

    def __init__(self, backend: Backend, options: StreamOptions | None = None) -> None:
        self.backend = backend
        self.options = options or StreamOptions()
        self.renderer = Renderer(backend)
        self._lock = threading.Lock()
        self._sessions: list[Session] = []
        self._by_key: dict[str, list[Session]] = {}
        self._owner: dict[str, str] = {}  # listen key -> account, for keys valid when subscribed
        self._pending: deque[tuple[str, Payload | None, int]] = deque()  # (key, payload or expiry, time)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_scheduled = False
        self._tick_timer: asyncio.TimerHandle | None = None
        #: What the streams delivered (per account, keys masked): the dashboard's events panel.
        self.delivered = StreamEvents(200)
        self._storage: Executor | None = None
        #: Subscribed to the backend's events: while some stream holds a valid key (`_follow`).
        self._following = False
        backend.clock.subscribe(self.poke)

    # -- life on the event loop -------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop, storage: Executor | None = None) -> None:
        """Run on `loop` (the server's): periodic checks of the running clock begin. Funding, which
        writes to the store, is settled on `storage` (the server's storage thread) when given."""
        self._loop = loop
        self._storage = storage
        loop.call_soon_threadsafe(self._tick)

    def stop(self) -> None:
        """Close every stream (1001 going away) and stop the checks (on the loop)."""
        if self._tick_timer is not None:
            self._tick_timer.cancel()
        for session in list(self._sessions):
            session.close(GOING_AWAY, "Server shutting down", wait=False)
        self._loop = None

    def _settle_funding(self) -> None:
        try:
            self.backend.settle_funding()
        except CommitFailed as exc:  # charged at a later tick (nothing was applied)
            _log.error("funding not settled: %s", exc)

    def poke(self) -> None:
        """Check expiry and lifetimes now (from any thread; the clock calls this when moved)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._check)

    def _tick(self) -> None:
        if self._storage is None:
            self.backend.settle_funding()
        else:
            with contextlib.suppress(RuntimeError):  # the storage thread is shut down: the server is stopping
                self._storage.submit(self._settle_funding)
        self._check()
        if self._loop is not None:
            self._tick_timer = self._loop.call_later(self.options.tick_s, self._tick)

    def _check(self) -> None:
        """Expire keys that are no longer valid; cut connections past their lifetime."""
        keys = self.backend.listen_keys
        now = self.backend.clock.now_ms()
        for key, account in list(self._owner.items()):
            if keys.key_of(account) != key:
                self._expire(key, now)
        limit = self.options.lifetime_s * 1000
        for session in list(self._sessions):
            if now - session.opened_ms >= limit:
                _log.info("stream closed: connection lifetime of %.0f s reached", self.options.lifetime_s)
                session.close(NORMAL_CLOSURE, "Connection lifetime reached")

    # -- connections ------------------------------------------------------------------------------
    @staticmethod
    def handles(path: str) -> bool:
        """True for the paths streams are served on."""
        return stream_target(path, "") is not None

    def open(self, transport: asyncio.Transport, req: RawRequest, rest: bytes) -> Session:
        """Take over an upgrade request on a stream path (`handles`)."""
        target = stream_target(req.path, req.query)
        assert target is not None
        combined, keys = target
        from .stream_session import Session  # the websockets library, loaded with the first stream

        session = Session(self, transport, combined)
        if session.handshake(req.headers, b""):
            with self._lock:
                self._sessions.append(session)
            _log.debug("stream opened (%s, %d listen key(s) in the URL)", "combined" if combined else "raw", len(keys))
            for key in keys:
                self.subscribe(session, key)
            if rest:
                session.receive(rest)
        return session

    def subscribe(self, session: Session, key: str) -> None:
        """Attach a session to a listen key (a name that is no valid key receives nothing)."""
        if key in session.keys or not key:
            return
        owner = self.backend.listen_keys.owner(key)
        with self._lock:
            session.keys.append(key)
            self._by_key.setdefault(key, []).append(session)
            if owner is not None:
                self._owner[key] = owner
                self._follow()
        _log.debug("stream subscribed to %s", f"the listen key of account {owner}" if owner else "an unknown name")

    def unsubscribe(self, session: Session, key: str) -> None:
        """Detach a session from a listen key."""
        if key not in session.keys:
            return
        with self._lock:
            session.keys.remove(key)
            self._detach(session, key)

    def forget(self, session: Session) -> None:
        """A session closed: remove it everywhere."""
        with self._lock:
            if session in self._sessions:
                self._sessions.remove(session)
            for key in session.keys:
                self._detach(session, key)

    def _detach(self, session: Session, key: str) -> None:
        group = self._by_key.get(key)
        if group is not None and session in group:
            group.remove(session)
            if not group:
                del self._by_key[key]
                self._owner.pop(key, None)
                self._follow()

    def connections(self) -> dict[str, int]:
        """Open connections per account (those subscribed to a valid key), without the keys."""
        with self._lock:
            counts: dict[str, int] = {}
            for key, account in self._owner.items():
                counts[account] = counts.get(account, 0) + len(self._by_key.get(key, ()))
            counts["total"] = len(self._sessions)
        return counts

    def drop_all(self, code: int = GOING_AWAY, reason: str = "") -> int:
        """Close every open connection (as the server's side would); returns how many."""
        sessions = list(self._sessions)
        for session in sessions:
            session.close(code, reason)
        return len(sessions)

    # -- events -----------------------------------------------------------------------------------
    def _follow(self) -> None:
        """Listen to the backend's events while a stream holds a valid key, and only then: with no
        stream to deliver to, changes need not make events at all (`events.Publisher.listening`).
        Under `_lock`."""
        if bool(self._owner) != self._following:
            self._following = not self._following
            if self._following:
                self.backend.events.subscribe(self._on_event)
            else:
                self.backend.events.unsubscribe(self._on_event)

    def _on_event(self, event: ev.DomainEvent) -> None:
        """Backend subscriber: render for accounts with open streams, queue for the loop."""
        if isinstance(event, ev.ListenKeyClosed):
            self._queue(event.key, None, event.time)
            return
        with self._lock:
            listening = {account: key for key, account in self._owner.items()}
        if not listening:
            return
        for account, payload in self.renderer.render(event, listening):
            self._queue(listening[account], payload, 0)

    def _queue(self, key: str, payload: Payload | None, time: int) -> None:
        loop = self._loop
        if loop is None:
            return
        self._pending.append((key, payload, time))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        while self._pending:
            key, payload, time = self._pending.popleft()
            if payload is None:
                self._expire(key, time)
                continue
            account = self._owner.get(key)
            if self._deliver(key, _json.encode(payload)) and account is not None:
                self.delivered.record(self.backend.clock.now_ms(), account, payload)

    def _deliver(self, key: str, data: bytes) -> int:
        """Send a payload to the key's streams, each frame (raw, combined) built once; how many."""
        frames: dict[bool, bytes] = {}
        sessions = list(self._by_key.get(key, ()))
        for session in sessions:
            frame = frames.get(session.combined)
            if frame is None:
                body = b'{"stream":"%s","data":%s}' % (key.encode(), data) if session.combined else data
                frame = frames[session.combined] = session.text_frame(body)
            session.send(frame)
        return len(sessions)

    def _expire(self, key: str, time: int) -> None:
        """Push listenKeyExpired to the key's streams and close them."""
        with self._lock:
            owner = self._owner.pop(key, None)
            self._follow()
        if owner is None:
            return
        _log.info("listen key of account %s expired or closed: %d stream(s) closed", owner,
                  len(self._by_key.get(key, ())))
        payload: Payload = {"e": "listenKeyExpired", "E": str(time), "listenKey": key}
        sessions = list(self._by_key.get(key, ()))
        self._deliver(key, _json.encode(payload))
        for session in sessions:
            session.close(NORMAL_CLOSURE, "listenKeyExpired")
        self.delivered.record(time, owner, payload)
