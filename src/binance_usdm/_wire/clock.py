"""Server-time offset: Binance rejects a timestamp off by more than recvWindow (or 1 s ahead)."""

from __future__ import annotations

from time import monotonic, time


class ServerClock:
    """Local estimate of Binance's clock. ``timestamp_ms()`` is what a signed request carries."""

    __slots__ = ("_due", "auto_sync", "offset_ms", "sync_interval")

    def __init__(self, *, auto_sync: bool = True, sync_interval: float = 3600.0) -> None:
        self.auto_sync = auto_sync
        self.sync_interval = sync_interval
        self.offset_ms = 0.0
        self._due = 0.0  # time.monotonic() from which a measurement is due (0: never measured)

    def timestamp_ms(self) -> int:
        return int(time() * 1000 + self.offset_ms)

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


def local_ms() -> float:
    return time() * 1000
