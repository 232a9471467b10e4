"""Read commands against the emulator: table content, JSON validity and exact decimals."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm import BinanceRestClient
from binance_usdm.emulator import EmulatorServer
from tests.cli.helpers import Run

Json = Callable[..., Any]


def test_account_table_shows_the_whole_picture(run: Run) -> None:
    result = run("account")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "one-way position mode" in out and "multi-assets mode off" in out
    for label in ("Wallet balance", "Unrealized PnL", "Margin balance", "Maintenance margin",
                  "Available balance", "Margin ratio"):
        assert label in out
    assert "Assets" in out and "USDC" in out
    symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    lines = {cells[0]: cells for cells in map(str.split, out.splitlines()) if cells and cells[0] in symbols}
    # symbol, side, size, entry, mark, pnl, leverage, margin, isolated margin, liq price, notional
    assert lines["ETHUSDT"][1] == "short" and lines["ETHUSDT"][6] == "10x" and lines["ETHUSDT"][7] == "isolated"
    assert lines["ETHUSDT"][9] != "-"  # an isolated short has a liquidation price
    assert lines["BTCUSDT"][1] == "long" and lines["BTCUSDT"][7] == "cross"
    assert result.stderr == ""  # credentials given: no demo notice


def test_account_json_is_exact(run_json: Json, emu: EmulatorServer) -> None:
    data = run_json("account")
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
        info = client.usd_futures_api.account.get_account_info().unwrap()
    assert data["position_mode"] == "one-way" and data["dual_side_position"] is False
    assert data["multi_assets_margin"] is False
    assert data["totals"]["total_wallet_balance"] == f"{info.total_wallet_balance:f}" == "25000.00000000"
    assert data["totals"]["total_open_order_initial_margin"] == "0.00000000"  # not 0E-8
    assert Decimal(data["totals"]["total_margin_balance"]) == info.total_margin_balance
    assert {a["asset"] for a in data["assets"]} == {"USDT", "USDC", "BNB", "BTC"}
    eth = next(p for p in data["positions"] if p["symbol"] == "ETHUSDT")
    assert eth["margin_type"] == "ISOLATED" and eth["position_side"] == "BOTH"
    assert eth["position_amt"] == "-2.500" and Decimal(eth["leverage"]) == 10
    assert eth["update_time"] is None or eth["update_time"].endswith("Z")
    assert {p["symbol"] for p in data["positions"]} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}


def test_balances(run: Run, run_json: Json) -> None:
    result = run("balances")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split()[:2] == ["ASSET", "BALANCE"]
    rows = run_json("balances")
    usdt = next(r for r in rows if r["asset"] == "USDT")
    assert usdt["balance"] == "25000.00000000" and isinstance(usdt["margin_available"], bool)


def test_positions_open_by_default_and_all_on_request(run: Run, run_json: Json) -> None:
    open_rows = run_json("positions")
    assert {r["symbol"] for r in open_rows} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    every = run_json("positions", "--all")
    assert len(every) > len(open_rows) and any(Decimal(r["position_amt"]) == 0 for r in every)
    one = run("positions", "bnbusdt")  # a symbol is listed even without a position; case-insensitive
    assert one.exit_code == 0 and "BNBUSDT" in one.stdout


def test_brackets(run: Run, run_json: Json) -> None:
    result = run("brackets", "BTCUSDT")
    assert result.exit_code == 0 and "125x" in result.stdout
    data = run_json("brackets", "BTCUSDT")
    assert data[0]["symbol"] == "BTCUSDT"
    first = data[0]["brackets"][0]
    assert first["bracket"] == 1 and isinstance(first["maint_margin_ratio"], str)


def test_commission(run: Run, run_json: Json) -> None:
    result = run("commission", "BTCUSDT")
    assert result.exit_code == 0
    assert "Maker  0.0002 (0.02%)" in result.stdout and "Taker  0.0005 (0.05%)" in result.stdout
    assert run_json("commission", "BTCUSDT")["maker_commission_rate"] == "0.0002"


def test_adl(run: Run, run_json: Json) -> None:
    result = run("adl")
    assert result.exit_code == 0 and "ETHUSDT" in result.stdout
    data = run_json("adl", "ETHUSDT")
    assert data[0]["symbol"] == "ETHUSDT" and set(data[0]["adl_quantile"]) >= {"long", "short", "both"}


def test_trading_status(run: Run, run_json: Json) -> None:
    result = run("trading-status")
    assert result.exit_code == 0 and "not restricted" in result.stdout
    assert run_json("trading-status")["indicators"] == {}


@pytest.mark.parametrize("command", [
    ["account"], ["balances"], ["positions"], ["brackets"], ["commission", "ETHUSDT"], ["adl"],
    ["trading-status"], ["position-mode"], ["multi-assets"], ["margin-history", "ETHUSDT"], ["config"],
])
def test_global_format_json_applies_to_every_read_command(run: Run, command: list[str]) -> None:
    result = run("--format", "json", *command)
    assert result.exit_code == 0, result.stderr
    json.loads(result.stdout)
