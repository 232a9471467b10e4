# GENERATED from binance_usdm/_async/lifecycle.py by scripts/gen_sync.py: do not edit.
"""What a program opens, reads and closes, written once: ``Closable`` (as a context manager it
is closed with ``close`` at the end) and ``Source`` (a stream of items: the context manager
opens it first, and iterating it yields ``next_item()`` until it is closed). The client, the user
data stream and the live account build on them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Generic, Self, TypeVar

T = TypeVar("T")


class Closable(ABC):
    """As a context manager: the object itself, closed at the end (also on an error)."""

    @abstractmethod
    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Source(Closable, Generic[T]):
    """Items read one at a time: the context manager opens it first; iterating it reads until closed."""

    @abstractmethod
    def open(self) -> None:
        """Open (a failure raises); nothing happens when it is open already."""

    @abstractmethod
    def next_item(self) -> T:
        """The next item (waits for it); ``StopIteration`` once closed."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        return self.next_item()
