"""What a client tells its ``on_wait`` callback before it pauses a call: what it waits for, how long."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

WaitReason = Literal["weight", "rate_limit", "retry"]


@dataclass(frozen=True, slots=True)
class Wait:
    """A pause the client is about to take. ``reason``: ``"weight"`` (this minute's request-weight
    budget is used up), ``"rate_limit"`` (every call is held after Binance's 429 Retry-After or a 418
    ban), ``"retry"`` (backoff before resending after ``cause``, a failure safe to retry)."""

    reason: WaitReason
    seconds: float
    endpoint: str
    cause: str | None = None


WaitHook = Callable[[Wait], None]
"""``on_wait=``: called (on the calling thread or event loop) before each pause of a call."""
