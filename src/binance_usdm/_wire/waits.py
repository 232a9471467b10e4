"""What a client tells its ``on_wait`` callback before it pauses a call: what it waits for, how long."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec

WaitReason = Literal["weight", "rate_limit", "retry"]


class Wait(msgspec.Struct, frozen=True):
    """A pause the client is about to take. ``reason``: ``"weight"`` (this minute's request-weight
    budget is used up), ``"rate_limit"`` (every call is held after Binance's 429 Retry-After or a 418
    ban), ``"retry"`` (backoff before resending after ``cause``, a failure safe to retry)."""

    reason: WaitReason
    seconds: float
    endpoint: str
    cause: str | None = None


WaitHook = Callable[[Wait], None]
"""``on_wait=``: called (on the calling thread or event loop) before each pause of a call."""
