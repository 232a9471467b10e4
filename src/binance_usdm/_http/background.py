"""Background work, in a task (asyncio) or a thread (blocking): the listen-key keepers' repetition,
and the lookahead that fetches the next page of a history export while the current one is written."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class AsyncRepeater:
    """Runs ``action`` every ``interval`` seconds in a background task until stopped."""

    def __init__(self, interval: float, action: Callable[[], Awaitable[None]], name: str) -> None:
        self._interval = interval
        self._action = action
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self._action()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await _cancel(task)


async def _cancel(task: asyncio.Task[object]) -> None:
    """Cancel ``task`` and wait for it to end; a cancellation of the caller itself goes on."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():  # we were cancelled too: pass it on
            raise


class Repeater:
    """Runs ``action`` every ``interval`` seconds from a background thread until stopped."""

    def __init__(self, interval: float, action: Callable[[], None], name: str) -> None:
        self._interval = interval
        self._action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._stop.clear()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._action()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


class AsyncLookahead(Generic[T]):
    """Iterates ``source`` one item ahead of the caller: as soon as an item is handed out, a task
    starts on the next (its request goes out before the caller works on the item). Errors reach
    the caller in order; ``aclose`` cancels the step under way and closes ``source``."""

    def __init__(self, source: AsyncIterator[T], name: str) -> None:
        self._source = source
        self._name = name
        self._next: asyncio.Task[tuple[bool, T | None]] | None = None

    def __aiter__(self) -> AsyncLookahead[T]:
        return self

    async def __anext__(self) -> T:
        task = self._next or self._start()
        self._next = None
        more, item = await task
        if not more:
            raise StopAsyncIteration
        self._next = self._start()
        await asyncio.sleep(0)  # let the next step run up to its first wait (its request sent)
        return item  # type: ignore[return-value]

    def _start(self) -> asyncio.Task[tuple[bool, T | None]]:
        return asyncio.create_task(self._step(), name=self._name)

    async def _step(self) -> tuple[bool, T | None]:
        try:
            return True, await anext(self._source)
        except StopAsyncIteration:
            return False, None

    async def aclose(self) -> None:
        task, self._next = self._next, None
        if task is not None:
            with contextlib.suppress(Exception):  # the step's own failure: nobody asked for its item
                await _cancel(task)
        close = getattr(self._source, "aclose", None)
        if close is not None:
            await close()


class Lookahead(Generic[T]):
    """Iterates ``source`` in a background thread one item ahead of the caller: the next item is
    fetched while the caller works on the current one. Errors reach the caller in order; ``close``
    stops the thread after the step under way and closes ``source``."""

    def __init__(self, source: Iterator[T], name: str) -> None:
        self._source = source
        self._items: queue.Queue[tuple[bool, T | BaseException | None]] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        stop = self._stop
        try:
            for item in self._source:
                self._items.put((True, item))  # waits while the caller has not taken the last one
                if stop.is_set():
                    return
            end: BaseException | None = None
        except BaseException as exc:  # handed to the caller, raised there
            end = exc
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()
        if not stop.is_set():
            self._items.put((False, end))

    def __iter__(self) -> Lookahead[T]:
        return self

    def __next__(self) -> T:
        more, item = self._items.get()
        if more:
            return item  # type: ignore[return-value]
        self._items.put((False, item))  # asked again after the end: the same answer
        if item is None:
            raise StopIteration
        raise item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Empty):  # a producer waiting to hand over an item can then see the stop
            self._items.get_nowait()
        self._thread.join()
