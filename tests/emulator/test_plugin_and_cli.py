"""The pytest fixture and the command line."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer
from binance_usdm.emulator.__main__ import main as emulator_main

from .conftest import Client, kept_transfers, ok


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


def test_cli_rejects_key_without_secret(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:  # refused before serving: no second interpreter needed
        emulator_main(["--api-key", "x"])
    assert refused.value.code == 2 and "--api-secret" in capsys.readouterr().err


def test_cli_income_retention_days(capsys: pytest.CaptureFixture[str]) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "binance_usdm.emulator", "--port", "0",
                             "--income-retention-days", "120"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert "emulator on http://" in banner, banner
        c = Client(banner.rsplit(" ", 1)[1].strip(), DEMO_API_KEY, lambda: int(time.time() * 1000),
                   secret=DEMO_API_SECRET)
        assert kept_transfers(c, int(time.time() * 1000), 130, 100) == [100]
        c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with pytest.raises(SystemExit) as refused:
        emulator_main(["--income-retention-days", "0"])
    assert refused.value.code == 2 and "--income-retention-days must be positive" in capsys.readouterr().err
