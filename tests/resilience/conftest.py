"""Shared pieces of the resilience suite: clients with short deadlines, an emulator per module (the
demo account without its generated history), and helpers that read the emulator's state directly
from its backend."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, RetryPolicy, Timeouts, WebCallResult
from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.scenario import read_scenario
from binance_usdm.httpx_transport import AsyncHttpxTransport, HttpxTransport
from tests.httpx_setup import shared_tls, warm_async_httpx

#: Short deadlines keep the suite fast; every call must end within TOTAL + SLACK seconds.
TIMEOUTS = Timeouts(connect=0.5, read=0.6, total=1.5)
SLACK = 0.3
RETRY = RetryPolicy(max_retries=2, backoff_base=0.02, backoff_max=0.1, max_retry_after=2.0)

#: An operation: client method name and arguments.
Op = tuple[str, tuple[Any, ...]]
READ: Op = ("get_account_info", ())
LEVERAGE: Op = ("change_initial_leverage", ("BTCUSDT", 20))
MARGIN: Op = ("modify_position_margin", ("ETHUSDT", Decimal("10"), 1))
PATHS = {
    "get_account_info": "GET /fapi/v2/account",
    "change_initial_leverage": "POST /fapi/v1/leverage",
    "modify_position_margin": "POST /fapi/v1/positionMargin",
}


#: The demo scenario without its four weeks of generated trades and income: these tests read the
#: account and change leverage and margin, and an emulator seeded without that history starts (and
#: resets, before every test) in ~1 ms instead of ~10.
ACCOUNT_ONLY = read_scenario()
ACCOUNT_ONLY["accounts"] = [{k: v for k, v in account.items() if k != "generate"} for account in ACCOUNT_ONLY["accounts"]]


def emulator(**options: Any) -> EmulatorServer:
    """An emulator (not started) of the `ACCOUNT_ONLY` scenario."""
    return EmulatorServer(scenario=ACCOUNT_ONLY, **options)


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    """One emulator per test module."""
    with emulator() as server:
        yield server


@pytest.fixture
def fresh(emu: EmulatorServer) -> EmulatorServer:
    """The module's emulator with the demo state reloaded, no faults and fresh rate-limit counters."""
    emu.reset()
    assert not emu.faults.listing()
    return emu


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


#: Our clients, and both again on the httpx transports (the fault matrix holds them to the same cases).
TRANSPORT_KINDS = ["sync", "async", "sync-httpx", "async-httpx"]


def client_options(emu: EmulatorServer, **options: Any) -> dict[str, Any]:
    """Keyword arguments for a client of `emu` with the suite's deadlines and retry policy."""
    return {"api_key": emu.api_key, "api_secret": emu.api_secret, "base_url": emu.base_url,
            "timeouts": TIMEOUTS, "retry": RETRY, **options}


Timed = tuple[WebCallResult[Any], float]


def run_ops(kind: str, emu: EmulatorServer, ops: list[Op], before: Callable[[], object] | None = None,
            **options: Any) -> list[Timed]:
    """With one client of `kind`: a warm-up call (clock synced, keep-alive connection open), then
    `before()` (e.g. install faults), then each op; returns every op's result and wall time."""
    opts = client_options(emu, **options)
    if kind == "sync-httpx":
        opts["transport"] = HttpxTransport(emu.base_url, verify=shared_tls())
    if kind.startswith("sync"):
        with BinanceRestClient(**opts) as client:
            account = client.usd_futures_api.account
            assert account.get_brackets("BTCUSDT").success
            if before is not None:
                before()
            out = []
            for name, args in ops:
                started = time.monotonic()
                result = getattr(account, name)(*args)
                out.append((result, time.monotonic() - started))
            return out

    async def main() -> list[Timed]:
        if kind == "async-httpx":
            await warm_async_httpx(emu.base_url)
            opts["transport"] = AsyncHttpxTransport(emu.base_url, verify=shared_tls())
        async with AsyncBinanceRestClient(**opts) as client:
            account = client.usd_futures_api.account
            assert (await account.get_brackets("BTCUSDT")).success
            if before is not None:
                before()
            out = []
            for name, args in ops:
                started = time.monotonic()
                result = await getattr(account, name)(*args)
                out.append((result, time.monotonic() - started))
            return out

    return asyncio.run(main())


def margin_state(emu: EmulatorServer) -> tuple[int, Decimal]:
    """ETHUSDT's margin-change history length and isolated wallet, read from the backend."""
    backend = emu.backend
    acc = backend.account()
    history = backend.query_margin_history(acc, "ETHUSDT", None, None, None, 500)
    return len(history), acc.positions[("ETHUSDT", "BOTH")].isolated_wallet


def leverage_of(emu: EmulatorServer, symbol: str) -> int:
    return emu.backend.account().setting(symbol).leverage


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True
