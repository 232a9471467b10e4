"""State files: restart restores state; an acknowledged change survives kill -9."""

from __future__ import annotations

from pathlib import Path

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer
from binance_usdm.emulator.clock import Clock

from .conftest import Client, EmulatorProcess, ok


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


def test_change_survives_kill_9(tmp_path: Path) -> None:
    clock = Clock()
    with EmulatorProcess(tmp_path / "state.db") as proc:
        c = Client(proc.base_url, DEMO_API_KEY, clock.now_ms, secret=DEMO_API_SECRET)
        ok(c.post("/fapi/v1/leverage", symbol="SOLUSDT", leverage=7))
        ok(c.post("/fapi/v1/marginType", symbol="ADAUSDT", marginType="ISOLATED"))
        c.close()
        proc.restart(kill=True)
        c = Client(proc.base_url, DEMO_API_KEY, clock.now_ms, secret=DEMO_API_SECRET)
        assert ok(c.get("/fapi/v2/positionRisk", symbol="SOLUSDT"))[0]["leverage"] == "7"
        assert ok(c.get("/fapi/v2/positionRisk", symbol="ADAUSDT"))[0]["marginType"] == "isolated"
        c.close()
