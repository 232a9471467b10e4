"""IP request-weight limits: a per-minute window on the emulator clock, 429 then 418 bans.

Binance: "A 429 will be returned when either rate limit is violated"; "repeatedly violating rate
limits and/or failing to back off after receiving 429s will result in an automated IP ban (HTTP
418)"; "IP bans are tracked and scale in duration for repeat offenders, from 2 minutes to 3 days".
Here: every request adds its weight (rejected ones too, as the used-weight header shows); a request
over the limit gets 429 with Retry-After until the minute ends; more than `ban_after` further
requests in that minute ban the IP for 2 minutes, doubling per ban up to 3 days.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .clock import Clock
from .errors import IP_BANNED, TOO_MANY_REQUESTS, Rejection

MINUTE_MS = 60_000
FIRST_BAN_MS = 2 * MINUTE_MS
MAX_BAN_MS = 3 * 24 * 3600 * 1000


@dataclass(slots=True)
class _IpState:
    window: int = -1
    used: int = 0
    strikes: int = 0
    banned_until: int = 0
    bans: int = 0


class RateLimiter:
    """Weight accounting per client IP."""

    def __init__(self, clock: Clock, limit: int = 2400, ban_after: int = 5) -> None:
        self.clock = clock
        self.limit = limit
        self.ban_after = ban_after
        self._lock = threading.Lock()
        self._ips: dict[str, _IpState] = {}

    def used(self, ip: str, now_ms: int | None = None) -> int:
        """Weight used by `ip` in the minute of `now_ms` (default: the clock's)."""
        st = self._ips.get(ip)
        if st is None:
            return 0
        return st.used if st.window == (self.clock.now_ms() if now_ms is None else now_ms) // MINUTE_MS else 0

    def charge(self, ip: str, weight: int, now_ms: int | None = None) -> int:
        """Add a request's weight at `now_ms` (default: the clock's); returns the minute's used weight
        or raises 429/418."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        window = now // MINUTE_MS
        with self._lock:
            st = self._ips.get(ip)
            if st is None:
                st = self._ips[ip] = _IpState()
            if st.window != window:
                st.window, st.used, st.strikes = window, 0, 0
            st.used += weight
            used = st.used
            if used <= self.limit and st.banned_until <= now:
                return used
            headers = {"X-MBX-USED-WEIGHT-1M": str(used)}
            if st.banned_until > now:
                raise self._banned(ip, st.banned_until, now, headers)
            st.strikes += 1
            if st.strikes > self.ban_after + 1:  # the first 429, then `ban_after` more
                duration = min(FIRST_BAN_MS * 2**st.bans, MAX_BAN_MS)
                st.bans += 1
                st.banned_until = now + duration
                raise self._banned(ip, st.banned_until, now, headers)
            retry = ((window + 1) * MINUTE_MS - now + 999) // 1000
            headers["Retry-After"] = str(retry)
            raise TOO_MANY_REQUESTS.reject(headers, ip=ip, limit=self.limit)

    @staticmethod
    def _banned(ip: str, until: int, now: int, headers: dict[str, str]) -> Rejection:
        headers["Retry-After"] = str((until - now + 999) // 1000)
        return IP_BANNED.reject(headers, ip=ip, until=until)

    def reset(self) -> None:
        """Forget all counters and bans."""
        with self._lock:
            self._ips.clear()
