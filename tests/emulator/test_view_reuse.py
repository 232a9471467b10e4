"""Account answers reuse the legs (and v2 position entries) a change did not move: same inputs, same
objects; any input that differs, even a Decimal equal in value but written differently, computes
afresh (the admin state shows Decimals as written)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.accounts import Account, Position, SymbolSettings
from binance_usdm.emulator.market import DEFAULT_MARK_PRICES, DEFAULT_SYMBOLS
from binance_usdm.emulator.snapshot import Snapshot, _computed_snapshot, account_snapshot, leg, max_notional
from binance_usdm.emulator.views import account_v2


def test_a_leg_is_reused_only_for_the_same_inputs() -> None:
    info = DEFAULT_SYMBOLS["BTCUSDT"]
    acc = Account("reuse", "reuse")
    marks = {"BTCUSDT": Decimal("100")}
    first = leg(acc, info, "BOTH", marks)
    assert leg(acc, info, "BOTH", marks) is first
    assert leg(acc.draft(), info, "BOTH", marks) is first  # a draft shares the unchanged Decimals
    written_otherwise = leg(acc, info, "BOTH", {"BTCUSDT": Decimal("100.0")})
    assert written_otherwise is not first and str(written_otherwise.mark) == "100.0"
    acc.settings["BTCUSDT"] = SymbolSettings(7, False)
    seven = leg(acc, info, "BOTH", marks)
    assert (seven.leverage, seven.max_notional) == (7, max_notional(info, 7))
    acc.positions[("BTCUSDT", "BOTH")] = Position("BTCUSDT", "BOTH", Decimal("0.5"), Decimal("90"))
    held = leg(acc, info, "BOTH", marks)
    assert (held.amount, held.upnl, held.notional) == (Decimal("0.5"), Decimal("5.0"), Decimal("50.0"))
    acc.positions[("BTCUSDT", "BOTH")] = Position("BTCUSDT", "BOTH", Decimal("0.50"), Decimal("90"))
    assert str(leg(acc, info, "BOTH", marks).amount) == "0.50"
    acc.taker_rate = Decimal("0.0004")
    assert leg(acc, info, "BOTH", marks).break_even != held.break_even


def test_an_account_answer_after_a_change_renders_the_moved_leg_and_reuses_the_others() -> None:
    with EmulatorServer() as emu:
        backend = emu.backend
        before = account_v2(backend, backend.account())
        backend.change_leverage(backend.account(), "BNBUSDT", 9)
        after = account_v2(backend, backend.account())
        changed = [i for i, (a, b) in enumerate(zip(before["positions"], after["positions"], strict=True))
                   if a is not b]
        assert [after["positions"][i]["symbol"] for i in changed] == ["BNBUSDT"]
        assert after["positions"][changed[0]]["leverage"] == "9"
        assert after["positions"][changed[0]]["maxNotional"] == str(backend.max_notional("BNBUSDT", 9))
        assert after == {**before, "positions": after["positions"]}


def _fresh(backend: Any, acc: Any, *, force_single_asset: bool = False) -> Snapshot:
    """The snapshot computed from scratch (no reuse), to compare a reused one with."""
    multi = acc.multi_assets and not force_single_asset
    legs = [leg(acc, backend.symbols[p.symbol], p.side, backend.marks) for p in acc.open_positions()]
    return _computed_snapshot(acc, legs, backend.marks, multi)


def test_the_account_figures_are_reused_only_while_their_inputs_stand() -> None:
    with EmulatorServer() as emu:
        backend = emu.backend
        first = account_snapshot(backend.account(), backend.symbols, backend.marks)
        backend.change_leverage(backend.account(), "BNBUSDT", 9)  # no position there: no figure moves
        assert account_snapshot(backend.account(), backend.symbols, backend.marks) is first
        acc = backend.account()
        held = next(iter(acc.open_positions()))
        backend.set_mark_price(held.symbol, backend.mark(held.symbol) * 2)  # a held leg moves
        moved = account_snapshot(backend.account(), backend.symbols, backend.marks)
        assert moved is not first and moved == _fresh(backend, backend.account())
        wallet = backend.account().balances["USDT"]
        backend.set_balance(backend.account(), "USDT", Decimal(f"{wallet}0") if "." in str(wallet) else
                            Decimal(f"{wallet}.0"))  # equal in value, written differently
        written = account_snapshot(backend.account(), backend.symbols, backend.marks)
        assert written is not moved and written == _fresh(backend, backend.account())
        assert str(written.assets["USDT"].wallet) == str(backend.account().balances["USDT"])


def test_multi_assets_figures_follow_the_marks_that_value_the_margin_assets() -> None:
    acc = Account("multi", "multi", balances={"USDT": Decimal("100"), "BNB": Decimal("3")}, multi_assets=True)
    acc.positions[("BTCUSDT", "BOTH")] = Position("BTCUSDT", "BOTH", Decimal("0.01"), Decimal("90000"))
    marks = {**DEFAULT_MARK_PRICES}
    before = account_snapshot(acc, DEFAULT_SYMBOLS, marks)
    assert account_snapshot(acc, DEFAULT_SYMBOLS, dict(marks)) is before  # same mark objects
    moved = {**marks, "BNBUSDT": marks["BNBUSDT"] + 1}  # values the BNB wallet; no leg in BNBUSDT
    after = account_snapshot(acc, DEFAULT_SYMBOLS, moved)
    legs = [leg(acc, DEFAULT_SYMBOLS["BTCUSDT"], "BOTH", moved)]
    assert after is not before and after == _computed_snapshot(acc, legs, moved, True)
    assert after.totals.wallet == before.totals.wallet + 3
    single = account_snapshot(acc, DEFAULT_SYMBOLS, moved, force_single_asset=True)
    assert single is not after and single == _computed_snapshot(acc, legs, moved, False)


def test_asset_entries_and_totals_are_rendered_again_only_when_their_figures_moved() -> None:
    with EmulatorServer() as emu:
        backend = emu.backend
        before = account_v2(backend, backend.account())
        backend.change_leverage(backend.account(), "BNBUSDT", 9)
        after = account_v2(backend, backend.account())
        assert all(a is b for a, b in zip(before["assets"], after["assets"], strict=True))
        backend.set_balance(backend.account(), "USDT", backend.account().balances["USDT"] + 5)
        funded = account_v2(backend, backend.account())
        usdt = next(a for a in funded["assets"] if a["asset"] == "USDT")
        old = next(a for a in after["assets"] if a["asset"] == "USDT")
        assert usdt is not old and Decimal(usdt["walletBalance"]) == Decimal(old["walletBalance"]) + 5
        assert usdt["updateTime"] == backend.account().balance_times["USDT"]
        assert Decimal(funded["totalWalletBalance"]) == Decimal(after["totalWalletBalance"]) + 5
