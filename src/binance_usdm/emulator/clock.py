"""A controllable clock: real time by default, or frozen and moved by hand.

Everything in the emulator that depends on time (timestamps, recvWindow checks, listen-key expiry,
download completion, weight windows) reads this clock, so tests can pass an hour instantly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """Milliseconds since the epoch, optionally frozen, with a manual offset."""

    def __init__(self, *, frozen_at_ms: int | None = None) -> None:
        self._lock = threading.Lock()
        self._offset_ms = 0
        self._frozen_ms = frozen_at_ms
        self._listeners: list[Callable[[], object]] = []

    def subscribe(self, listener: Callable[[], object]) -> None:
        """Call `listener` (in the caller's thread) after every `advance`, `set`, `freeze`, `unfreeze`."""
        self._listeners.append(listener)

    def _moved(self) -> None:
        for listener in self._listeners:
            listener()

    @property
    def frozen(self) -> bool:
        """True when time only moves through `advance` and `set`."""
        return self._frozen_ms is not None

    def now_ms(self) -> int:
        """The current emulator time in epoch milliseconds."""
        frozen = self._frozen_ms
        if frozen is not None:
            return frozen
        return int(time.time() * 1000) + self._offset_ms

    def advance(self, seconds: float) -> int:
        """Move the clock forward (or back, if negative); returns the new time."""
        delta = round(seconds * 1000)
        with self._lock:
            if self._frozen_ms is not None:
                self._frozen_ms += delta
            else:
                self._offset_ms += delta
        self._moved()
        return self.now_ms()

    def set(self, ms: int) -> None:
        """Jump to `ms`; a frozen clock stays frozen there, a running one keeps running from it."""
        with self._lock:
            if self._frozen_ms is not None:
                self._frozen_ms = ms
            else:
                self._offset_ms = ms - int(time.time() * 1000)
        self._moved()

    def freeze(self) -> None:
        """Stop the clock at the current time."""
        with self._lock:
            self._frozen_ms = int(time.time() * 1000) + self._offset_ms
        self._moved()

    def unfreeze(self) -> None:
        """Let the clock run again from where it stands."""
        with self._lock:
            if self._frozen_ms is not None:
                self._offset_ms = self._frozen_ms - int(time.time() * 1000)
                self._frozen_ms = None
        self._moved()
