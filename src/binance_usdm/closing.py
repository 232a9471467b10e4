"""What is closed at the end of a ``with`` / ``async with`` block (also on an error):
``AsyncClosable`` (closed with ``aclose``: the asyncio client, the user data stream, the live
account) and ``Closable`` (closed with ``close``: their blocking twins, generated from the async code,
and the export writers). A leaf, so every layer can build on it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class AsyncClosable(ABC):
    """As an async context manager: the object itself, closed at the end (also on an error)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release what the object holds."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


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
