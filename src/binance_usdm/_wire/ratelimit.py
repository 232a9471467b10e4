"""Client-side request-weight budget, fed by endpoint weights and ``X-MBX-USED-WEIGHT-1M``.

Binance counts weight per IP per calendar minute of its own clock (default limit 2400). The limiter
reserves an endpoint's weight before sending and learns the server's count from each answer, so
concurrent calls share one budget; its minutes follow the server's clock. After a 429/418 it holds
every call until the Retry-After / ban time has passed. It reads the time from the client's local
clock (``ServerClock.local``), so a virtual clock makes its minutes and holds pass without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from binance_usdm._wire.clock import ServerClock

DEFAULT_WEIGHT_LIMIT = 2400
READ_INTERVAL = 0.05  # seconds between reads of the server's count while far from the limit
WATCH_SHARE = 0.8  # from this share of the limit on, the server's count is read from every answer


class WeightLimiter:
    """Decides how long a call must wait before its weight fits the current minute's budget."""

    __slots__ = ("_blocked_until", "_clock", "_lock", "_minute_end", "_read_after", "_time", "_used", "limit")

    def __init__(self, clock: ServerClock, limit: int = DEFAULT_WEIGHT_LIMIT) -> None:
        """``clock``: the server's clock, whose minutes the server counts in."""
        self.limit = limit
        self._clock = clock
        self._time = clock.local_time  # the local clock's seconds since the epoch
        self._minute_end = 0.0  # epoch seconds (server clock) when the counted minute ends
        self._used = 0
        self._blocked_until = 0.0
        self._read_after = 0.0  # local clock time before which a far-from-the-limit count is not read
        self._lock = threading.Lock()

    def _now(self) -> float:
        """Epoch seconds on the server's clock (inlined in ``reserve``)."""
        return self._time() + self._clock.offset_ms * 0.001

    @property
    def used(self) -> int:
        """Weight counted in the current minute (own reservations and the server's figure)."""
        return self._used if self._now() < self._minute_end else 0

    def reserve(self, weight: int) -> float:
        """Reserve ``weight`` now and return 0.0, or return the seconds to wait before trying again."""
        local_time = self._time  # read as an attribute, then called: cheaper than a method-style call
        now = local_time() + self._clock.offset_ms * 0.001
        lock = self._lock
        lock.acquire()  # acquire/release: a third of the cost of ``with`` on this per-call path
        try:
            if now < self._blocked_until:
                return self._blocked_until - now
            if now >= self._minute_end:
                self._minute_end = now - now % 60 + 60
                self._used = 0
            used = self._used
            if used + weight > self.limit and used:
                return self._minute_end - now + 0.05
            self._used = used + weight
            return 0.0
        finally:
            lock.release()

    def observe(self, headers: Mapping[str, str], sent_ms: int) -> None:
        """Adopt the server's count when it is higher than ours and belongs to the current minute.

        ``sent_ms``: when the request was sent, on the server's clock (its ``timestamp``). The count
        is the one of the minute the server took the request in, so an answer to a request sent
        before the minute changed must not become the new minute's count.

        The count only grows within a minute and every answer carries the latest, so while the
        minute's weight is below ``WATCH_SHARE`` of the limit it is read at most every
        ``READ_INTERVAL`` seconds (finding the header is most of what this costs); above, from
        every answer. The interval is on the client's local clock, like the budget's minutes.
        """
        now = self._time()
        if now < self._read_after and self._used < self.limit * WATCH_SHARE:
            return
        self._read_after = now + READ_INTERVAL
        value = headers.get("x-mbx-used-weight-1m")
        if value is None or not (value.isascii() and value.isdigit()):  # "²" is a digit to isdigit(), not to int()
            return
        server_used = int(value)
        sent = sent_ms * 0.001
        lock = self._lock
        lock.acquire()
        try:
            end = self._minute_end
            if end - 60.0 <= sent < end and server_used > self._used:
                self._used = server_used
        finally:
            lock.release()

    def block_for(self, seconds: float) -> None:
        """Hold every call for ``seconds`` (Retry-After of a 429, or a 418 ban)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._now() + seconds)

    @property
    def blocked_for(self) -> float:
        """Seconds left before calls may be sent again (0 when not blocked)."""
        return max(0.0, self._blocked_until - self._now())
