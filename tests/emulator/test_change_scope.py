"""The scope of one change (`Backend._change`) and its cheaper parts: a settings change shares the
committed containers (legs, balances, credentials), a full draft has its own, a change inside a group computes under the
emulator's decimal context whatever the caller's is, and the bracket cap is remembered per symbol info
object (another object with the same symbol gets its own)."""

from __future__ import annotations

import dataclasses
import decimal
from decimal import Decimal

import pytest

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.errors import Rejection
from binance_usdm.emulator.market import DEFAULT_SYMBOLS
from binance_usdm.emulator.snapshot import max_notional


def test_a_settings_draft_shares_every_container_but_the_settings() -> None:
    with EmulatorServer() as emu:
        committed = emu.backend.account()
        settings_draft = committed.settings_draft(committed.update_time + 1)
        assert settings_draft.positions is committed.positions  # shared, not copied
        assert settings_draft.balances is committed.balances
        assert settings_draft.credentials is committed.credentials
        assert settings_draft.settings is not committed.settings  # the one container it changes
        assert settings_draft.settings == committed.settings and settings_draft.update_time == committed.update_time + 1
        for name in committed.__struct_fields__:  # every other field the same object
            assert getattr(settings_draft, name) is getattr(committed, name) or name in ("settings", "update_time"), name
        full = committed.draft()  # a full draft: containers and legs of its own
        key = next(iter(committed.positions))
        assert full.positions[key] is not committed.positions[key] and full.positions[key] == committed.positions[key]
        assert full.positions is not committed.positions and full.balances is not committed.balances
        assert full.credentials is not committed.credentials


def test_a_leverage_change_keeps_the_legs_and_changes_only_the_setting() -> None:
    with EmulatorServer() as emu:
        backend = emu.backend
        before = backend.account()
        backend.change_leverage(before, "BNBUSDT", 7)
        after = backend.account()
        assert after is not before and after.setting("BNBUSDT").leverage == 7
        assert before.setting("BNBUSDT").leverage != 7
        assert all(after.positions[k] is p for k, p in before.positions.items())


def test_a_change_in_a_group_computes_under_the_emulators_context() -> None:
    with EmulatorServer() as emu:
        backend = emu.backend
        acc = backend.account()
        wallet = acc.balances["USDT"]
        with decimal.localcontext(prec=6, rounding=decimal.ROUND_UP):
            with backend.group():
                backend.add_income(acc, [{"incomeType": "TRANSFER", "income": "0.12345678", "asset": "USDT"}],
                                   apply_to_wallet=True)
                assert decimal.getcontext().prec == 28
            assert decimal.getcontext().prec == 6  # the caller's context is back
        assert backend.account().balances["USDT"] == wallet + Decimal("0.12345678")  # not rounded to 6 digits


def test_a_rejected_change_in_a_group_leaves_nothing_and_the_group_goes_on() -> None:
    with EmulatorServer() as emu:
        backend = emu.backend
        acc = backend.account()
        version = backend.version
        with backend.group():
            with pytest.raises(Rejection):
                backend.change_leverage(acc, "BNBUSDT", 100_000)
            assert backend.account() is acc and backend.version == version
            backend.change_leverage(acc, "BNBUSDT", 9)
        assert backend.account().setting("BNBUSDT").leverage == 9


def test_the_bracket_cap_is_remembered_per_symbol_info_object() -> None:
    info = DEFAULT_SYMBOLS["BTCUSDT"]
    cap = max_notional(info, 10)
    assert max_notional(info, 10) == cap > 0
    tighter = dataclasses.replace(
        info, brackets=tuple(dataclasses.replace(b, notional_cap=b.notional_cap // 2) for b in info.brackets))
    assert max_notional(tighter, 10) == cap // 2
    assert max_notional(info, 10) == cap
    assert max_notional(info, info.max_leverage + 1) == 0
