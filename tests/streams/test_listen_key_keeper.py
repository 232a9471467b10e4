"""Listen-key keepers against the emulator: keepalives extend the key, a dropped key is replaced."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, ValidationError
from binance_usdm.emulator import EmulatorServer
from binance_usdm.streams import AsyncListenKeyKeeper, ListenKeyKeeper


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


def _expiry(emu: EmulatorServer) -> int | None:
    return emu.backend.listen_keys.expiry(emu.backend.account().account_id)


def test_sync_keeper_extends_replaces_and_closes(emu: EmulatorServer) -> None:
    replaced: list[str] = []
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
        with ListenKeyKeeper(client, interval=0.05, on_new_key=replaced.append) as keeper:
            first = keeper.listen_key
            before = _expiry(emu)
            emu.clock.advance(600)  # keepalives after this push the expiry 10 minutes further
            time.sleep(0.3)
            after = _expiry(emu)
            assert before is not None and after is not None and after - before >= 600_000
            emu.clock.advance(2 * 3600)  # nobody kept it alive for two hours: Binance dropped it
            deadline = time.monotonic() + 5
            while not replaced and time.monotonic() < deadline:
                time.sleep(0.02)
            assert replaced and replaced[-1] != first and keeper.listen_key == replaced[-1]
            assert keeper.last_error is None
        assert _expiry(emu) is None  # closed on exit


def test_async_keeper(emu: EmulatorServer) -> None:
    async def run() -> None:
        async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
            keeper = AsyncListenKeyKeeper(client, interval=0.05)
            async with keeper:
                before = _expiry(emu)
                emu.clock.advance(600)
                await asyncio.sleep(0.3)
                after = _expiry(emu)
                assert before is not None and after is not None and after - before >= 600_000
            assert _expiry(emu) is None
            with pytest.raises(RuntimeError):
                _ = keeper.listen_key

    asyncio.run(run())


def test_interval_is_checked() -> None:
    with BinanceRestClient("k", "s") as client, pytest.raises(ValidationError, match="interval"):
        ListenKeyKeeper(client, interval=0)
