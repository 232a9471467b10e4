"""Background repetition for the listen-key keepers: a task (asyncio) or a thread (blocking)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable


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
