"""Lifecycle notices: what the stream tells you between events, so nothing happens silently.

A stream yields these between Binance's events: ``Connected`` once, then after any drop
``Disconnected`` (why, and when it tries again) and ``Reconnected`` (the gap during which events may
have been missed), ``ListenKeyReplaced`` when it had to get a new listen key, ``MessageSkipped`` for
a frame that was not a readable event. None of them carries the listen key.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Connected:
    """The stream is open (the first connection). ``url`` has the listen key redacted."""

    at: datetime
    url: str


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The connection is down (``reason``); the next attempt comes in ``retry_in`` seconds."""

    at: datetime
    reason: str
    retry_in: float


@dataclass(frozen=True, slots=True)
class Reconnected:
    """The stream is open again. Events between ``down_since`` and ``at`` (``gap``) may be lost:
    take a new REST snapshot (the live account mirror does)."""

    at: datetime
    down_since: datetime
    attempts: int

    @property
    def gap(self) -> timedelta:
        return self.at - self.down_since


@dataclass(frozen=True, slots=True)
class ListenKeyReplaced:
    """The stream runs on a new listen key (``reason``: why the old one was given up)."""

    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class MessageSkipped:
    """A frame that is not a readable event (``problem``); the stream goes on."""

    at: datetime
    problem: str


Notice = Connected | Disconnected | Reconnected | ListenKeyReplaced | MessageSkipped

__all__ = ["Connected", "Disconnected", "ListenKeyReplaced", "MessageSkipped", "Notice", "Reconnected"]
