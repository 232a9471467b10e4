"""Server-time offset: Binance rejects a timestamp off by more than recvWindow (or 1 s ahead)."""

from __future__ import annotations

import time


class ServerClock:
    """Local estimate of Binance's clock. ``timestamp_ms()`` is what a signed request carries."""

    __slots__ = ("_last_sync", "auto_sync", "offset_ms", "sync_interval")

    def __init__(self, *, auto_sync: bool = True, sync_interval: float = 3600.0) -> None:
        self.auto_sync = auto_sync
        self.sync_interval = sync_interval
        self.offset_ms = 0.0
        self._last_sync: float | None = None

    def timestamp_ms(self) -> int:
        return int(time.time() * 1000 + self.offset_ms)

    def claim_sync(self) -> bool:
        """True when auto-sync is on and the offset was never measured or is older than the interval.

        Claims the measurement: concurrent callers get False meanwhile and use the current offset
        (a -1021 would still trigger a resync), so a burst of first calls measures the clock once.
        """
        if not self.auto_sync:
            return False
        now = time.monotonic()
        last = self._last_sync
        if last is not None and now - last <= self.sync_interval:
            return False
        self._last_sync = now
        return True

    def record(self, server_ms: int, sent_ms: float, received_ms: float) -> None:
        """Take a measurement: the server's time was read halfway through the round trip."""
        self.offset_ms = server_ms - (sent_ms + received_ms) / 2
        self._last_sync = time.monotonic()

    def invalidate(self) -> None:
        """Measure again before the next signed call (the last attempt failed)."""
        self._last_sync = None


def local_ms() -> float:
    return time.time() * 1000
