"""``AsyncSource``: a stream of items that is also ``closing.AsyncClosable`` (the context manager opens
it first, closing it again when that fails, and iterating it yields ``next_item()`` until it is
closed). The user data stream and the live account build on it."""

from __future__ import annotations

from abc import abstractmethod
from typing import Generic, Self, TypeVar

from binance_usdm.closing import AsyncClosable

T = TypeVar("T")


class AsyncSource(AsyncClosable, Generic[T]):
    """Items read one at a time: the context manager opens it first; iterating it reads until closed."""

    @abstractmethod
    async def open(self) -> None:
        """Open (a failure raises); nothing happens when it is open already."""

    @abstractmethod
    async def next_item(self) -> T:
        """The next item (waits for it); ``StopAsyncIteration`` once closed."""

    async def __aenter__(self) -> Self:
        try:
            await self.open()
        except BaseException:
            # failed or interrupted half way (a snapshot error, Ctrl-C, a cancelled task): the block's end
            # never comes, so what the open got (the listen key, the websocket) is closed here
            await self.aclose()
            raise
        return self

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        return await self.next_item()
