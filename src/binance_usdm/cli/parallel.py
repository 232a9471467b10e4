"""Calls sent at the same time from a command: each in its own thread, its result waited for.

``concurrent.futures`` would do the same, at the price of importing it (a few ms of every
``usdm account`` start, ``benchmarks/bench_startup.py``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Started(Generic[T]):
    """``call()`` running in a daemon thread (Ctrl-C never waits for it); ``result()`` waits for
    its value, or raises what it raised."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._call = call
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as exc:  # raised in the caller's thread by result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
