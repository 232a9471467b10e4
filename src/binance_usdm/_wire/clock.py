"""The client's clocks: the local clock it reads and waits with, and its estimate of the server's.

Binance rejects a timestamp off by more than recvWindow (or 1 s ahead), and counts request weight
in minutes of its own clock; both are derived here from the local clock plus a measured offset.
"""

from __future__ import annotations

from time import monotonic, time
from typing import Protocol


class LocalClock(Protocol):
    """What the client reads the time from and waits with (``clock=`` on both clients).

    The default, ``SYSTEM_CLOCK``, is the machine's clock. A test (or a simulation) passes its own
    so that waiting for the next minute's request weight or for a 429's Retry-After takes no wall
    time: request timestamps, the server-clock offset, the weight budget's minutes and every wait
    for the budget go through it. Network timeouts and retry backoff stay on the real clock.
    """

    def time(self) -> float:
        """Seconds since the epoch."""
        ...

    def pass_time(self, seconds: float) -> float:
        """Let ``seconds`` pass; return how many of them the caller must still sleep on the wall clock
        (the system clock: all of them; a virtual clock moves itself forward and returns 0)."""
        ...


class SystemClock:
    """The machine's clock: waits take real time."""

    __slots__ = ()

    time = staticmethod(time)

    @staticmethod
    def pass_time(seconds: float) -> float:
        return seconds


SYSTEM_CLOCK = SystemClock()


class ServerClock:
    """Local estimate of Binance's clock. ``timestamp_ms()`` is what a signed request carries."""

    __slots__ = ("_due", "auto_sync", "local", "local_time", "offset_ms", "sync_interval")

    def __init__(self, *, auto_sync: bool = True, sync_interval: float = 3600.0,
                 local: LocalClock = SYSTEM_CLOCK) -> None:
        """``local``: the clock the offset is measured from (and the client waits with)."""
        self.auto_sync = auto_sync
        self.sync_interval = sync_interval
        self.offset_ms = 0.0
        self.local = local
        self.local_time = local.time  # bound once: read on every call
        self._due = 0.0  # time.monotonic() from which a measurement is due (0: never measured)

    def timestamp_ms(self) -> int:
        local_time = self.local_time  # read as an attribute, then called: cheaper than a method-style call
        return int(local_time() * 1000 + self.offset_ms)

    def local_ms(self) -> float:
        """The local clock in epoch milliseconds."""
        return self.local_time() * 1000

    def claim_sync(self) -> bool:
        """True when auto-sync is on and the offset was never measured or is older than the interval.

        Claims the measurement: concurrent callers get False meanwhile and use the current offset
        (a -1021 would still trigger a resync), so a burst of first calls measures the clock once.
        """
        now = monotonic()
        if now < self._due or not self.auto_sync:
            return False
        self._due = now + self.sync_interval
        return True

    def record(self, server_ms: int, sent_ms: float, received_ms: float) -> None:
        """Take a measurement: the server's time was read halfway through the round trip."""
        self.offset_ms = server_ms - (sent_ms + received_ms) / 2
        self._due = monotonic() + self.sync_interval

    def invalidate(self) -> None:
        """Measure again before the next signed call (the last attempt failed)."""
        self._due = 0.0
