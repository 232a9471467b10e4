from __future__ import annotations

import asyncio
import inspect
import json
import urllib.request
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, RetryPolicy
from binance_usdm.emulator import EmulatorServer
from tests.history.exchange import Exchange
from tests.scripted_server import ScriptedServer

API_KEY = "histKey0123456789histKey0123456789histKey0123456789histKey012345"
API_SECRET = "histSecret0123456789histSecret0123456789histSecret0123456789abcd"

Run = Callable[..., Any]


@pytest.fixture
def exchange() -> Iterator[Exchange]:
    """A fresh scripted history exchange on its own server: a request an earlier test's export had
    already sent (its next page, fetched ahead) never reaches this test's exchange."""
    with ScriptedServer() as server:
        fresh = Exchange(server.base_url)
        server.handler = fresh
        yield fresh


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(download_delay_ms=300, weight_limit=10**9) as server:
        yield server


def admin(emu: EmulatorServer, path: str, body: dict[str, Any]) -> Any:
    """POST to the emulator's admin API."""
    request = urllib.request.Request(  # noqa: S310 - the loopback emulator
        emu.base_url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback test server
        return json.load(answer)


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def runner(flavour: str, base_url: str, api_key: str = API_KEY, api_secret: str = API_SECRET,
           **options: Any) -> Run:
    """run(lambda history: ...) with a fresh sync or async client: iterators come back as lists,
    coroutines awaited; exceptions propagate."""
    options.setdefault("auto_time_sync", False)
    options.setdefault("retry", RetryPolicy(max_retries=0))

    def run(call: Callable[[Any], Any]) -> Any:
        if flavour == "sync":
            with BinanceRestClient(api_key, api_secret, base_url=base_url, **options) as client:
                out = call(client.usd_futures_api.history)
                return list(out) if inspect.isgenerator(out) else out

        async def main() -> Any:
            async with AsyncBinanceRestClient(api_key, api_secret, base_url=base_url, **options) as client:
                out = call(client.usd_futures_api.history)
                if inspect.isasyncgen(out):
                    return [item async for item in out]
                return await out if inspect.isawaitable(out) else out

        return asyncio.run(main())

    return run


@pytest.fixture
def run(flavour: str, exchange: Exchange) -> Run:
    return runner(flavour, exchange.base_url)


@pytest.fixture
def run_emulator(flavour: str, emulator: EmulatorServer) -> Run:
    return runner(flavour, emulator.base_url, emulator.api_key, emulator.api_secret)


@pytest.fixture(scope="module")
def pa() -> ModuleType:
    """pyarrow, imported by the tests that use it (at collection it would cost every worker ~0.2 s)."""
    return pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def arrow_columns(pa: ModuleType) -> ModuleType:
    """``binance_usdm.arrow_columns`` (it imports pyarrow)."""
    from binance_usdm import arrow_columns

    return arrow_columns
