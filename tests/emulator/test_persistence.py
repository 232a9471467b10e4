"""State files: restart restores state; an acknowledged change survives kill -9."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer
from binance_usdm.emulator.clock import Clock

from .conftest import Client, ok


def test_restart_restores_state(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        ok(c.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=33))
        ok(c.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="12.5", type=1))
        ok(c.admin("/emulator/mark-price", {"symbol": "ETHUSDT", "price": "3333"}))
        income_count = emu.backend.store.count_income("demo")
    with EmulatorServer(state_path=state) as emu:
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        assert ok(c.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]["leverage"] == "33"
        eth = ok(c.get("/fapi/v2/positionRisk", symbol="ETHUSDT"))[0]
        assert eth["isolatedWallet"] == "1192.56250000" and eth["markPrice"] == "3333.00000000"
        assert emu.backend.store.count_income("demo") == income_count  # not re-seeded
        hist = ok(c.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT"))
        assert hist[-1]["amount"] == "12.5"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(state: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "binance_usdm.emulator", "--port", str(port), "--state", str(state)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert f"127.0.0.1:{port}" in line, line
    return proc


def test_change_survives_kill_9(tmp_path: Path) -> None:
    state, port = tmp_path / "state.db", _free_port()
    clock = Clock()
    proc = _start(state, port)
    try:
        c = Client(f"http://127.0.0.1:{port}", DEMO_API_KEY, clock.now_ms, secret=DEMO_API_SECRET)
        ok(c.post("/fapi/v1/leverage", symbol="SOLUSDT", leverage=7))
        ok(c.post("/fapi/v1/marginType", symbol="ADAUSDT", marginType="ISOLATED"))
        c.close()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    time.sleep(0.1)
    proc = _start(state, port)
    try:
        c = Client(f"http://127.0.0.1:{port}", DEMO_API_KEY, clock.now_ms, secret=DEMO_API_SECRET)
        assert ok(c.get("/fapi/v2/positionRisk", symbol="SOLUSDT"))[0]["leverage"] == "7"
        assert ok(c.get("/fapi/v2/positionRisk", symbol="ADAUSDT"))[0]["marginType"] == "isolated"
        c.close()
    finally:
        proc.terminate()
        proc.wait(10)
