"""The pytest fixture and the command line."""

from __future__ import annotations

import subprocess
import sys

from binance_usdm.emulator import DEMO_API_KEY, EmulatorServer

from .conftest import Client, ok


def test_fixture_serves_the_demo(usdm_emulator: EmulatorServer) -> None:
    assert usdm_emulator.api_key == DEMO_API_KEY
    c = Client(usdm_emulator.base_url, usdm_emulator.api_key, usdm_emulator.clock.now_ms,
               secret=usdm_emulator.api_secret)
    assert ok(c.get("/fapi/v2/account"))["multiAssetsMargin"] is False


def test_custom_hmac_credentials() -> None:
    with EmulatorServer(api_key="A" * 64, api_secret="B" * 64) as emu:
        assert emu.api_key == "A" * 64
        c = Client(emu.base_url, "A" * 64, emu.clock.now_ms, secret="B" * 64)
        assert ok(c.get("/fapi/v3/balance"))[0]["asset"] == "USDT"


def test_cli_rejects_key_without_secret() -> None:
    r = subprocess.run([sys.executable, "-m", "binance_usdm.emulator", "--api-key", "x"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--api-secret" in r.stderr
