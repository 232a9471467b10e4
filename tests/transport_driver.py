"""One test body for both HTTP transports: the ``connect`` fixture gives a ``Driver`` for
``SyncHttpTransport``, or ``AsyncHttpTransport`` on the default event loop or on uvloop, called from
the test: directly, or on an event loop of its own (which runs only while the driver is sending or
pausing, as a blocked loop would).

    def test_x(connect: Callable[..., Driver]) -> None:   # runs for sync, asyncio and uvloop
        with ScriptedServer(echo) as srv:
            t = connect(srv.base_url, max_connections=4)
            assert t.send(get()).status == 200

Import the ``flavour`` and ``connect`` fixtures into the test module (``from tests.transport_driver
import connect, flavour``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from binance_usdm._http import AsyncHttpTransport, HttpRequest, SyncHttpTransport, Timeouts
from binance_usdm._wire.types import HttpResponse

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

FAST = Timeouts(connect=2.0, read=2.0, total=5.0)  # quick deadlines
FLAVOURS = ["sync", "asyncio"] + (["uvloop"] if uvloop is not None else [])
ASYNC_FLAVOURS = FLAVOURS[1:]


class Driver:
    """One transport under test, called from the test's thread (module docstring)."""

    def __init__(self, flavour: str, base_url: str, **options: Any) -> None:
        self.flavour = flavour
        self._runner: asyncio.Runner | None = None
        if flavour == "sync":
            self.transport: Any = SyncHttpTransport(base_url, **options)
            return
        self._runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if flavour == "uvloop" else None)

        async def make() -> AsyncHttpTransport:
            return AsyncHttpTransport(base_url, **options)

        self.transport = self._runner.run(make())

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the driver's event loop (async flavours)."""
        assert self._runner is not None
        return self._runner.run(asyncio.wait_for(coro, 10))

    def send(self, request: HttpRequest, timeouts: Timeouts = FAST) -> HttpResponse:
        if self._runner is None:
            return self.transport.send(request, timeouts)  # type: ignore[no-any-return]
        return self._runner.run(self.transport.send(request, timeouts))

    def send_all(self, requests: list[HttpRequest], timeouts: Timeouts = FAST) -> list[HttpResponse]:
        """Send concurrently: from 8 threads, or as tasks on the loop."""
        if self._runner is None:
            with ThreadPoolExecutor(8) as pool:
                return list(pool.map(lambda r: self.transport.send(r, timeouts), requests))

        async def gather() -> list[HttpResponse]:
            return list(await asyncio.gather(*(self.transport.send(r, timeouts) for r in requests)))

        return self.run(gather())  # type: ignore[no-any-return]

    def begin(self, request: HttpRequest, timeouts: Timeouts = FAST) -> Callable[[], HttpResponse]:
        """Start a send in the background (it runs while the test pauses or sends); returns the
        function that waits for its outcome."""
        if self._runner is None:
            pool = ThreadPoolExecutor(1)
            future: Future[HttpResponse] = pool.submit(self.transport.send, request, timeouts)
            pool.shutdown(wait=False)
            return future.result
        task = self._runner.get_loop().create_task(self.transport.send(request, timeouts))

        async def outcome() -> HttpResponse:
            return await task

        return lambda: self.run(outcome())  # type: ignore[no-any-return]

    def pause(self, seconds: float) -> None:
        """Let ``seconds`` pass (with the event loop running)."""
        if self._runner is None:
            time.sleep(seconds)
        else:
            self._runner.run(asyncio.sleep(seconds))

    @property
    def open(self) -> int:
        return self.transport._open  # type: ignore[no-any-return]

    @property
    def idle(self) -> int:
        return len(self.transport._idle)

    def close(self) -> None:
        """Close the transport (again: nothing happens)."""
        if self._runner is None:
            self.transport.close()
        else:
            self._runner.run(self.transport.aclose())

    def dispose(self) -> None:
        """Close the transport and the event loop."""
        self.close()
        if self._runner is not None:
            self._runner.close()

    def __enter__(self) -> Driver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connect(flavour: str) -> Iterator[Callable[..., Driver]]:
    """``connect(base_url, **options)``: a driver for this test's transport, closed afterwards."""
    drivers: list[Driver] = []

    def make(base_url: str, **options: Any) -> Driver:
        drivers.append(Driver(flavour, base_url, **options))
        return drivers[-1]

    yield make
    for driver in drivers:
        driver.dispose()
