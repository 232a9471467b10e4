"""Settings commands against the emulator: changes take effect, refusals exit 1 with Binance's code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from binance_usdm.emulator import EmulatorServer
from tests.cli.helpers import Run, admin

Json = Callable[..., Any]


def test_leverage_change_is_visible_in_positions(run: Run, run_json: Json) -> None:
    result = run("leverage", "BTCUSDT", "20")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("BTCUSDT: leverage 20x")
    table = run("positions")
    btc = next(line.split() for line in table.stdout.splitlines() if line.startswith("BTCUSDT"))
    assert btc[6] == "20x"
    rows = run_json("positions", "BTCUSDT")
    assert rows[0]["leverage"] == 20  # one type of leverage everywhere: an integer
    changed = run_json("leverage", "SOLUSDT", "3")
    assert changed["leverage"] == 3 and changed["symbol"] == "SOLUSDT"
    assert {b["initial_leverage"] for item in run_json("brackets", "SOLUSDT") for b in item["brackets"]} <= set(
        range(1, 126))


def test_symbols_as_binance_names_them(run: Run) -> None:
    """币安人生USDT (Binance lists such names) and quarterly BTCUSDT_260327 are symbols; look-alike
    full-width letters are a usage error, before anything is sent."""
    wide = run("leverage", "币安人生usdt", "5")
    assert wide.exit_code == 0 and wide.stdout.startswith("币安人生USDT: leverage 5x"), wide.stderr
    quarterly = run("leverage", "btcusdt_260327", "5")  # not listed by the emulator: Binance's answer
    assert quarterly.exit_code == 1 and "-1121" in quarterly.stderr
    look_alike = run("leverage", "\uff22\uff34\uff23USDT", "5")
    assert look_alike.exit_code == 2 and "look-alike characters" in look_alike.stderr


def test_leverage_out_of_range_is_a_usage_error(run: Run) -> None:
    result = run("leverage", "BTCUSDT", "0")
    assert result.exit_code == 2 and "1<=x<=125" in result.stderr


def test_margin_type_to_the_current_type_is_already_done(run: Run, run_json: Json) -> None:
    result = run("margin-type", "BTCUSDT", "crossed")  # Binance answers -4046: nothing to change
    assert (result.exit_code, result.stdout, result.stderr) == (0, "BTCUSDT: margin type already crossed\n", "")
    assert run_json("margin-type", "BTCUSDT", "crossed") == {
        "symbol": "BTCUSDT", "margin_type": "CROSSED", "changed": False,
    }


def test_leverage_above_the_brackets_names_the_maximum(run: Run) -> None:
    result = run("leverage", "BNBUSDT", "125")  # -4028: the demo's BNBUSDT brackets stop lower
    assert result.exit_code == 1
    assert "error -4028" in result.stderr and "BNBUSDT allows at most 75x" in result.stderr


def test_position_side_mismatch_mentions_side(run: Run) -> None:
    result = run("position-margin", "ETHUSDT", "add", "1", "--side", "LONG")  # one-way mode
    assert result.exit_code == 1
    assert "error -4061" in result.stderr and "--side" in result.stderr and "usdm position-mode" in result.stderr


def test_margin_type_change(run: Run, run_json: Json) -> None:
    result = run("margin-type", "BNBUSDT", "isolated")  # no position on BNBUSDT
    assert result.exit_code == 0 and result.stdout.strip() == "BNBUSDT: margin type set to isolated"
    assert run_json("positions", "BNBUSDT")[0]["margin_type"] == "ISOLATED"
    assert run("margin-type", "ETHUSDT", "cross").stderr.startswith("usdm: error -4048")  # open position


def test_position_mode_show_and_set(run: Run, run_json: Json, emu: EmulatorServer) -> None:
    assert run("position-mode").stdout.strip() == "Position mode: one-way"
    assert run_json("position-mode") == {"position_mode": "one-way", "dual_side_position": False}
    refused = run("position-mode", "hedge")  # the demo account has open positions
    assert refused.exit_code == 1 and "error -4068" in refused.stderr
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        admin(emu, "/emulator/positions/close", {"symbol": symbol})
    assert run("position-mode", "hedge").stdout.strip() == "Position mode set to hedge"
    assert run_json("position-mode")["dual_side_position"] is True
    again = run("position-mode", "hedge")  # -4059: nothing to change
    assert (again.exit_code, again.stdout.strip()) == (0, "Position mode already hedge")


def test_multi_assets_show_and_set(run: Run, run_json: Json) -> None:
    assert run("multi-assets").stdout.strip() == "Multi-assets mode: off"
    assert run_json("multi-assets") == {"multi_assets_margin": False}
    again = run("multi-assets", "off")  # -4171: nothing to change
    assert (again.exit_code, again.stdout.strip()) == (0, "Multi-assets mode already off")
    assert run_json("multi-assets", "off") == {"multi_assets_margin": False, "changed": False}
    refused = run("multi-assets", "on")  # ETHUSDT is isolated
    assert refused.exit_code == 1 and "error -4167" in refused.stderr


def test_position_margin_add_then_history(run: Run, run_json: Json) -> None:
    result = run("position-margin", "ETHUSDT", "add", "12.5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "12.5 USDT margin added to ETHUSDT; isolated margin now 1493.1875 USDT"
    history = run_json("margin-history", "ETHUSDT", "--type", "add")
    assert any(h["amount"] == "12.5" or h["amount"].rstrip("0") == "12.5" for h in history)
    assert all(h["type"] == 1 for h in history)  # enums as wire values
    table = run("margin-history", "ETHUSDT")
    assert "reduce" in table.stdout and "add" in table.stdout
    refused = run("position-margin", "BTCUSDT", "add", "5")  # cross position
    assert refused.exit_code == 1 and "error -4049" in refused.stderr


def test_position_margin_rejects_bad_amounts(run: Run) -> None:
    for amount in ("-1", "abc", "0", "1_000", "1e5", "\u0661\u0662", ".5", "1.123456789"):  # never another number
        result = run("position-margin", "ETHUSDT", "add", amount)
        assert result.exit_code == 2, amount


def test_listen_key_lifecycle(run: Run, run_json: Json) -> None:
    started = run("listen-key", "start")
    assert started.exit_code == 0
    key = started.stdout.strip()
    assert len(key) == 64
    assert run_json("listen-key", "start") == {"listen_key": key}  # the live key is extended
    assert run("listen-key", "keepalive", key).exit_code == 0
    assert run("listen-key", "close", key).exit_code == 0
    gone = run("listen-key", "keepalive", key)
    assert gone.exit_code == 1 and "error -1125" in gone.stderr
