"""The pytest fixture and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

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


def test_a_scenarios_own_key_is_the_one_named() -> None:
    """emu.api_key named the demo key whatever the scenario, and no account of a scenario with keys of
    its own has it (-2015): it names the first key of the scenario's accounts."""
    scenario = {"accounts": [{"accountId": "a", "alias": "a"},
                             {"accountId": "b", "alias": "b", "apiKey": "keyB", "apiSecret": "secretB"}]}
    with EmulatorServer(scenario=scenario) as emu:
        assert (emu.api_key, emu.api_secret) == ("keyB", "secretB")
        assert ok(Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret).get("/fapi/v3/balance")) == []
        assert Client(emu.base_url, DEMO_API_KEY, emu.clock.now_ms, secret=DEMO_API_SECRET).get(
            "/fapi/v3/balance").code == -2015


def test_the_banner_says_where_the_key_comes_from(tmp_path: Path) -> None:
    scenario = tmp_path / "two.json"
    scenario.write_text(json.dumps({"accounts": [{"accountId": "a", "alias": "a", "apiKey": "keyA",
                                                  "apiSecret": "secretOfA"}]}))
    proc = subprocess.Popen([sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--scenario", str(scenario)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stderr.readline() == "Ctrl-C to stop.\n"  # printed after the banner
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "  API key: keyA (from the scenario)\n  secret:  HMAC secret from the scenario\n" in out
    # usdm without a key uses the demo key, which no account has here: the hint says what to set
    assert "account\n       with BINANCE_API_KEY and BINANCE_API_SECRET set\n" in out
    assert "demo" not in out.replace("demo scenario", "") and "secretOfA" not in out


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
