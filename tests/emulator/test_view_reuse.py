"""Account answers reuse the legs (and v2 position entries) a change did not move: same inputs, same
objects; any input that differs, even a Decimal equal in value but written differently, computes
afresh (the admin state shows Decimals as written)."""

from __future__ import annotations

from decimal import Decimal

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.accounts import Account, Position, SymbolSettings
from binance_usdm.emulator.market import DEFAULT_SYMBOLS
from binance_usdm.emulator.snapshot import leg, max_notional
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
