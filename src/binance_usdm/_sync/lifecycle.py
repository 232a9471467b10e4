# GENERATED from binance_usdm/_async/lifecycle.py by scripts/gen_sync.py: do not edit.
"""``Source``: a stream of items that is also ``closing.Closable`` (the context manager opens
it first, closing it again when that fails, and iterating it yields ``next_item()`` until it is
closed). The user data stream and the live account build on it."""

from __future__ import annotations

from abc import abstractmethod
from typing import Generic, Self, TypeVar

from binance_usdm.closing import Closable

T = TypeVar("T")


class Source(Closable, Generic[T]):
    """Items read one at a time: the context manager opens it first; iterating it reads until closed."""

    @abstractmethod
    def open(self) -> None:
        """Open (a failure raises); nothing happens when it is open already."""

    @abstractmethod
    def next_item(self) -> T:
        """The next item (waits for it); ``StopIteration`` once closed."""

    def __enter__(self) -> Self:
        try:
            self.open()
        except BaseException:
            # failed or interrupted half way (a snapshot error, Ctrl-C, a cancelled task): the block's end
            # never comes, so what the open got (the listen key, the websocket) is closed here
            self.close()
            raise
        return self

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        return self.next_item()
