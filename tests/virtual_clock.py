"""A virtual clock for the client (``clock=`` on both clients): waits take no wall time.

    clock = VirtualClock(emu.clock.advance)          # the emulator sees the same time pass
    with BinanceRestClient(..., base_url=emu.base_url, clock=clock) as client:
        ...                                          # a 429's Retry-After: 1 passes at once
    assert clock.waits == [1.0]

Running (the default), it reads the wall clock plus every wait it skipped; ``at=`` freezes it at an
epoch second instead, so that time moves only through ``pass_time``/``advance`` (exact arithmetic
for the limiter's minutes). ``server_advance`` is called with each skipped wait so that a server
with a controllable clock (the emulator's ``Clock.advance``) stays in step with the client.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class VirtualClock:
    """A ``binance_usdm.LocalClock`` whose waits move it forward instead of sleeping."""

    def __init__(self, server_advance: Callable[[float], object] | None = None, *, at: float | None = None) -> None:
        self._server_advance = server_advance
        self._frozen_at = at
        self._skipped = 0.0
        self.waits: list[float] = []  # every wait the client asked for, in order

    def time(self) -> float:
        base = time.time() if self._frozen_at is None else self._frozen_at
        return base + self._skipped

    def advance(self, seconds: float) -> None:
        """Move this clock (and the server's, if linked) forward by ``seconds``."""
        self._skipped += seconds
        if self._server_advance is not None:
            self._server_advance(seconds)

    def pass_time(self, seconds: float) -> float:
        self.waits.append(seconds)
        self.advance(seconds)
        return 0.0
