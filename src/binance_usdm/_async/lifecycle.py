"""What a program opens, reads and closes, written once: ``AsyncClosable`` (as a context manager it
is closed with ``aclose`` at the end) and ``AsyncSource`` (a stream of items: the context manager
opens it first, and iterating it yields ``next_item()`` until it is closed). The client, the user
data stream and the live account build on them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Generic, Self, TypeVar

T = TypeVar("T")


class AsyncClosable(ABC):
    """As a context manager: the object itself, closed at the end (also on an error)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release what the object holds."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class AsyncSource(AsyncClosable, Generic[T]):
    """Items read one at a time: the context manager opens it first; iterating it reads until closed."""

    @abstractmethod
    async def open(self) -> None:
        """Open (a failure raises); nothing happens when it is open already."""

    @abstractmethod
    async def next_item(self) -> T:
        """The next item (waits for it); ``StopAsyncIteration`` once closed."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        return await self.next_item()
