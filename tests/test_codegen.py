"""The blocking client is generated from the async one; the checked-in copy must be current."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient

ROOT = Path(__file__).resolve().parent.parent


def test_sync_twin_is_up_to_date() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_sync.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_sync_and_async_surfaces_match() -> None:
    sync_api = BinanceRestClient("k", "s").usd_futures_api
    async_api = AsyncBinanceRestClient("k", "s").usd_futures_api
    for area in vars(sync_api):
        sync_ops = {n for n in dir(getattr(sync_api, area)) if not n.startswith("_")}
        async_ops = {n for n in dir(getattr(async_api, area)) if not n.startswith("_")}
        assert sync_ops == async_ops, area
        for name in sync_ops:
            sync_sig = inspect.signature(getattr(getattr(sync_api, area), name))
            async_sig = inspect.signature(getattr(getattr(async_api, area), name))
            assert list(sync_sig.parameters) == list(async_sig.parameters), name
            assert inspect.iscoroutinefunction(getattr(getattr(async_api, area), name)) or name.startswith("iter")
