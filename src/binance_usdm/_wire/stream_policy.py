"""The user data stream's decisions, without I/O: when to get a listen key, connect, keep the key
alive, wait, or read. The sync and async streams (and the listen-key keepers) only carry them out.

Binance's rules it follows:

- A listen key lives 60 minutes after its last keepalive (``PUT /fapi/v1/listenKey``); the keepalive
  goes every 30 minutes. A keepalive answered with -1125 means Binance dropped the key: get a new one
  (``POST`` returns the live key, or a new one).
  https://developers.binance.com/docs/derivatives/portfolio-margin/user-data-streams/Connect
- ``listenKeyExpired`` ends the events of a key: no more arrive until a valid key is used.
  https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-User-Data-Stream-Expired
- A connection lasts at most 24 hours ("expect to be disconnected at the 24 hour mark"); the server
  pings every 3 minutes and disconnects a client that sends no pong within 10 minutes (the websocket
  library answers pings). https://developers.binance.info/docs/derivatives/usds-margined-futures/websocket-market-streams

After a drop, the 24-hour cut or a failed attempt it reconnects with exponential backoff and jitter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from binance_usdm._wire.stream_urls import Route, shown_url, stream_url
from binance_usdm.errors import ApiError, BinanceError, ValidationError
from binance_usdm.models.notices import Connected, Disconnected, ListenKeyReplaced, Notice, Reconnected

KEEPALIVE_INTERVAL = 30 * 60.0
"""Seconds between keepalives: half of the key's 60-minute life."""
KEY_LIFETIME = 60 * 60.0
UNKNOWN_LISTEN_KEY = -1125
KEEPALIVE_RETRY = 60.0
"""Seconds before retrying a keepalive that failed for another reason than an unknown key."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: ``initial`` × ``multiplier`` ** attempt, at most ``maximum`` seconds, of which a
    random half is dropped ("equal jitter") so many clients do not reconnect in step."""

    initial: float = 0.5
    maximum: float = 30.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.initial <= self.maximum:
            raise ValidationError("backoff", f"need 0 <= initial <= maximum, got {self.initial}, {self.maximum}")
        if self.multiplier < 1:
            raise ValidationError("backoff", f"multiplier must be >= 1, got {self.multiplier}")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before attempt number ``attempt`` (0 for the first retry)."""
        ceiling = min(self.maximum, self.initial * self.multiplier ** min(attempt, 64))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def check_interval(interval: float) -> float:
    """A keepalive interval must keep the key alive: in (0, 60 minutes]."""
    if not 0 < interval <= KEY_LIFETIME:
        raise ValidationError("interval", f"must be in (0, {KEY_LIFETIME:.0f}] seconds, got {interval}")
    return interval


def key_is_gone(error: BinanceError | None) -> bool:
    """True when a keepalive's error says Binance no longer knows the key (-1125)."""
    return isinstance(error, ApiError) and error.code == UNKNOWN_LISTEN_KEY


class ListenKeyState:
    """One listen key and its keepalive schedule (times from a monotonic clock, in seconds)."""

    def __init__(self, interval: float = KEEPALIVE_INTERVAL) -> None:
        self.interval = check_interval(interval)
        self.key: str | None = None
        self.given_up: str | None = None
        """The key last given up (expired, unknown, refused), until a key is adopted."""
        self.next_keepalive = 0.0
        self.last_error: BinanceError | None = None

    def adopt(self, key: str, now: float) -> bool:
        """Use ``key`` (fresh from Binance); True when it replaces a different key."""
        old = self.key if self.key is not None else self.given_up
        replaced = old is not None and old != key
        self.key, self.given_up = key, None
        self.next_keepalive = now + self.interval
        self.last_error = None
        return replaced

    def keepalive_due(self, now: float) -> bool:
        return self.key is not None and now >= self.next_keepalive

    def kept_alive(self, error: BinanceError | None, now: float) -> bool:
        """Record a keepalive's outcome; False when the key is gone and a new one is needed."""
        self.last_error = error
        if key_is_gone(error):
            return False
        self.next_keepalive = now + (self.interval if error is None else min(self.interval, KEEPALIVE_RETRY))
        return True

    def __repr__(self) -> str:
        return f"ListenKeyState(key={'<redacted>' if self.key else None}, interval={self.interval})"


@dataclass(frozen=True, slots=True)
class ObtainKey:
    """Get a listen key (``POST /fapi/v1/listenKey``)."""


@dataclass(frozen=True, slots=True)
class Connect:
    """Open the websocket at ``url`` (which contains the key: never show it)."""

    url: str


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """Keep the listen key alive (``PUT /fapi/v1/listenKey``)."""


@dataclass(frozen=True, slots=True)
class Wait:
    """Nothing to do for ``seconds`` (backing off before the next attempt)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Receive:
    """Read the next frame, waiting at most ``timeout`` seconds (then ask again)."""

    timeout: float


Step = ObtainKey | Connect | KeepAlive | Wait | Receive


class StreamPolicy:
    """The stream's state machine. The shell asks ``next_step(now)``, does it, and reports the outcome
    (``key_obtained``, ``key_failed``, ``connected``, ``connect_failed``, ``dropped``, ``key_expired``,
    ``key_gone``); the reports that the user should hear about return a notice."""

    def __init__(
        self,
        base: str,
        route: Route,
        *,
        keepalive_interval: float = KEEPALIVE_INTERVAL,
        backoff: Backoff | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], datetime] = _utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.base = base
        self.route = route
        self.key = ListenKeyState(keepalive_interval)
        self.backoff = backoff or Backoff()
        self.clock = clock or time.monotonic
        self._wall = wall_clock
        self._rng = rng or random.Random()
        self.connected_now = False
        self.ever_connected = False
        self.failures = 0
        """Failed attempts (key requests, connections) since the connection was last up."""
        self._retry_at = 0.0
        self._down_since: datetime | None = None
        self._replace_reason: str | None = None

    @property
    def shown_url(self) -> str:
        return shown_url(self.base, self.route)

    def next_step(self, now: float) -> Step:
        """What to do now."""
        if not self.connected_now and now < self._retry_at:
            return Wait(self._retry_at - now)
        if self.key.key is None:
            return ObtainKey()
        if not self.connected_now:
            return Connect(stream_url(self.base, self.key.key, self.route))
        if self.key.keepalive_due(now):
            return KeepAlive()
        return Receive(max(0.0, self.key.next_keepalive - now))

    # --- outcomes ---------------------------------------------------------------------------------
    def now_utc(self) -> datetime:
        """The wall-clock time notices carry."""
        return self._wall()

    def key_obtained(self, replaced: bool) -> Notice | None:
        """A listen key arrived (recorded in ``self.key``); a notice when it replaces another."""
        reason, self._replace_reason = self._replace_reason, None
        if replaced:
            return ListenKeyReplaced(self._wall(), reason or "Binance returned a different listen key")
        return None

    def key_failed(self, error: BinanceError, now: float) -> Notice:
        """Getting a listen key failed: try again after a backoff."""
        return self._failed(f"listen key request failed: {error}", now)

    def connected(self, now: float) -> Notice:
        """The websocket is open."""
        self.connected_now = True
        at = self._wall()
        attempts, self.failures = self.failures, 0
        if not self.ever_connected:
            self.ever_connected = True
            return Connected(at, self.shown_url)
        down_since = self._down_since or at
        self._down_since = None
        return Reconnected(at, down_since, attempts + 1)

    def connect_failed(self, reason: str, now: float, *, refused: bool) -> Notice:
        """Opening the websocket failed; ``refused`` (the server answered the handshake with an error)
        also gives up the key, since a key Binance no longer knows is refused."""
        if refused:
            self._give_up_key("the stream refused the listen key")
        return self._failed(f"connecting failed: {reason}", now)

    def dropped(self, reason: str, now: float) -> Notice:
        """The open connection ended (the server closed it, the 24-hour cut, a network error)."""
        self.connected_now = False
        self._down_since = self._wall()
        delay = self.backoff.delay(0, self._rng)
        self._retry_at = now + delay
        return Disconnected(self._down_since, f"connection lost: {reason}", delay)

    def key_expired(self, now: float) -> None:
        """``listenKeyExpired`` arrived: close the connection and go on with a new key."""
        self._lose_key("the listen key expired", now)

    def key_gone(self, now: float) -> None:
        """A keepalive found the key unknown to Binance (-1125): close the connection, get a new key."""
        self._lose_key("Binance no longer knows the listen key (-1125)", now)

    def _lose_key(self, reason: str, now: float) -> None:
        self._give_up_key(reason)
        self.connected_now = False
        self._down_since = self._wall()
        self._retry_at = now

    def _give_up_key(self, reason: str) -> None:
        self.key.given_up, self.key.key = self.key.key, None
        self._replace_reason = reason

    def _failed(self, reason: str, now: float) -> Notice:
        self.connected_now = False
        if self._down_since is None:
            self._down_since = self._wall()
        self.failures += 1
        delay = self.backoff.delay(self.failures, self._rng)
        self._retry_at = now + delay
        return Disconnected(self._wall(), reason, delay)
