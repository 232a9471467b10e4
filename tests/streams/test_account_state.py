"""The live account's state rules without I/O: snapshot, events older than it, order, re-snapshot diffs."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from binance_usdm import MarginType, PositionSide
from binance_usdm._wire.account_state import SNAPSHOT_MARGIN_MS, AccountState, Snapshot
from binance_usdm.models.events import BalanceUpdate, PositionUpdate, decode_event
from binance_usdm.models.notices import Connected

AS_OF = 1_700_000_000_000


def snapshot(**changes: Any) -> Snapshot:
    base: dict[str, Any] = {
        "as_of_ms": AS_OF,
        "balances": {"USDT": BalanceUpdate(asset="USDT", wallet_balance_str="100", cross_wallet_balance_str="100")},
        "positions": {},
        "leverage": {"BTCUSDT": 10},
        "margin_type": {"BTCUSDT": MarginType.CROSSED},
        "multi_assets_mode": False,
        "position_mode_hedge": False,
    }
    return Snapshot(**(base | changes))


def balance_event(moment: int, wallet: str) -> Any:
    return decode_event(json.dumps({"e": "ACCOUNT_UPDATE", "E": moment, "T": moment, "a": {
        "m": "DEPOSIT", "B": [{"a": "USDT", "wb": wallet, "cw": wallet, "bc": "0"}], "P": []}}))


def leverage_event(moment: int, leverage: int, symbol: str = "BTCUSDT") -> Any:
    return decode_event(json.dumps({"e": "ACCOUNT_CONFIG_UPDATE", "E": moment, "T": moment,
                                    "ac": {"s": symbol, "l": leverage}}))


def test_events_older_than_the_snapshot_are_ignored_newer_ones_applied_in_order() -> None:
    state = AccountState()
    assert state.reset(snapshot()) == []
    assert state.apply(balance_event(AS_OF - SNAPSHOT_MARGIN_MS - 1, "1")) == []  # the snapshot holds it
    assert state.balances["USDT"].wallet_balance == Decimal(100)
    (change,) = state.apply(balance_event(AS_OF + 5, "150"))
    assert (change.kind, change.key, change.event) == ("balance", "USDT", change.event)
    assert state.apply(balance_event(AS_OF + 4, "120")) == []  # out of order: older than the last applied
    assert state.balances["USDT"].wallet_balance == Decimal(150)
    assert state.apply(leverage_event(AS_OF + 1, 20))[0].new == 20  # its own type's order
    assert state.apply(Connected.__new__(Connected)) == []  # notices change nothing


def test_an_account_update_sets_positions_and_margin_types() -> None:
    state = AccountState()
    state.reset(snapshot())
    event = decode_event(json.dumps({"e": "ACCOUNT_UPDATE", "E": AS_OF, "T": AS_OF, "a": {
        "m": "MARGIN_TYPE_CHANGE", "B": [], "P": [
            {"s": "BTCUSDT", "pa": "0", "ep": "0", "cr": "0", "up": "0", "mt": "isolated", "iw": "0", "ps": "BOTH"}]}}))
    kinds = [(c.kind, c.key, c.old, c.new) for c in state.apply(event)]
    assert kinds[1] == ("margin_type", "BTCUSDT", MarginType.CROSSED, MarginType.ISOLATED)
    assert kinds[0][:2] == ("position", "BTCUSDT BOTH")
    assert state.values()["positions"] == {}  # a flat position without isolated margin is no position


def test_a_new_snapshot_reports_what_it_changed() -> None:
    state = AccountState()
    state.reset(snapshot())
    position = PositionUpdate(symbol="ETHUSDT", position_amount_str="1", entry_price_str="3000",
                              unrealized_pnl_str="5", margin_type=MarginType.ISOLATED, isolated_wallet_str="300",
                              position_side=PositionSide.LONG)
    later = snapshot(leverage={"BTCUSDT": 10, "ETHUSDT": 3}, positions={("ETHUSDT", PositionSide.LONG): position},
                     multi_assets_mode=True, position_mode_hedge=True,
                     balances={"USDT": BalanceUpdate(asset="USDT", wallet_balance_str="100.0",
                                                     cross_wallet_balance_str="100.00")})
    found = {(c.kind, c.key): (c.old, c.new, c.event) for c in state.reset(later)}
    assert found == {
        ("leverage", "ETHUSDT"): (None, 3, None),
        ("position", "ETHUSDT LONG"): (None, position, None),
        ("multi_assets_mode", ""): (False, True, None),
        ("position_mode", ""): (False, True, None),
    }  # equal values written differently ("100" vs "100.0") are no change
