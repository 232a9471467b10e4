"""Bounded live feeds behind the admin API's logs and the dashboard: the last N items, ids in order,
listeners called with each new item (on the thread that answered it: the event loop, or the server's
storage thread; a server-sent event stream writes through the loop), and the user-data events feed.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Generic, TypeVar

_log = logging.getLogger(__name__)
T = TypeVar("T")


class Feed(Generic[T]):
    """The last `capacity` items, with listeners."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a feed needs a capacity of at least 1")
        self._items: deque[T] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._listeners: list[Callable[[T], None]] = []

    @property
    def capacity(self) -> int:
        """How many items are kept."""
        assert self._items.maxlen is not None
        return self._items.maxlen

    def next_id(self) -> int:
        """The id of the next item (1, 2, ...)."""
        return next(self._ids)

    def append(self, item: T) -> T:
        """Keep an item and tell the listeners."""
        self._items.append(item)
        if not self._listeners:
            return item
        for listener in list(self._listeners):
            try:
                listener(item)
            except Exception:  # a broken listener (a closed stream) must not break the request
                _log.exception("feed listener failed; removed")
                self.unsubscribe(listener)
        return item

    def items(self) -> list[T]:
        """The kept items, oldest first."""
        return list(self._items)

    def subscribe(self, listener: Callable[[T], None]) -> Callable[[], None]:
        """Call `listener` with every new item; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: Callable[[T], None]) -> None:
        """Stop calling `listener` (no error when it is gone already)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def clear(self) -> int:
        """Forget every item; returns how many there were."""
        n = len(self._items)
        self._items.clear()
        return n


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One payload a user data stream delivered (the listen key is not kept)."""

    id: int
    time: int
    account: str
    event: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`GET /emulator/stream-events`, the dashboard)."""
        return asdict(self)


class StreamEvents(Feed[StreamEvent]):
    """The user-data payloads delivered to open streams, per account, in delivery order."""

    def record(self, time: int, account: str, payload: dict[str, Any]) -> StreamEvent:
        """Keep one delivered payload (a listenKeyExpired payload's key is masked)."""
        if "listenKey" in payload:
            payload = {**payload, "listenKey": "***"}
        return self.append(StreamEvent(self.next_id(), time, account, payload))
