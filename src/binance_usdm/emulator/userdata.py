"""Domain events -> Binance's USDⓈ-M user-data payloads (field names, order and number formats of
Binance's examples). Called while the backend still holds its lock, so every figure is the state
right after the change; `E` is the emulator clock now, `T` the time of the change.

Pages (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/...):
- `Event-Balance-and-Position-Update`: `ACCOUNT_UPDATE`, reason `m` among DEPOSIT, WITHDRAW, ORDER,
  FUNDING_FEE, ..., ADMIN_DEPOSIT, ADMIN_WITHDRAW, MARGIN_TRANSFER, MARGIN_TYPE_CHANGE, ...; "bc" is the
  balance change except PnL and commission; a funding fee on a cross leg pushes only the balance, on an
  isolated leg the balance and that leg.
- `Event-Account-Configuration-Update-previous-Leverage-Update`: `ACCOUNT_CONFIG_UPDATE` with `ac`
  (symbol leverage) or `ai` (Multi-Assets mode).
- `Event-Margin-Call`: `MARGIN_CALL` when a position's risk ratio is too high (`cw` only for cross).

Formats, from the documented examples: balances (`wb`, `cw`) and `iw` with 8 decimals; `bc` and `cr`
"0" when zero, else 8 decimals; `ep` and `up` with at least 5 decimals ("0.00000" / "0" when empty);
`bep` "0" or the exact price; `pa` at the symbol's quantity precision ("0" when flat). A funding fee
on a cross leg carries `"P":[]`, as live captures show.

Decided where Binance is silent: an admin balance change has reason DEPOSIT (increase) or WITHDRAW
(decrease) unless the admin call names another documented reason; an admin position change has
reason ORDER; `MARGIN_CALL` is pushed when a margin ratio (maintenance margin / margin balance: the
cross margin of a margin asset, or an isolated leg's `iw + up`) reaches `MARGIN_CALL_RATIO`, once
per crossing (again only after it fell below). Only accounts with an open stream are rendered, so
crossings are tracked while someone listens: an account already past the ratio when its first stream
opens is told at its next change.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from . import events as ev
from .accounts import Account
from .backend import Backend
from .snapshot import Leg, Snapshot, account_snapshot, leg
from .views import d8, dz, fixed, plain, sides

Payload = dict[str, Any]
ZERO = Decimal(0)
#: Margin ratio (maintenance margin / margin balance) at which MARGIN_CALL is pushed; 1 liquidates.
MARGIN_CALL_RATIO = Decimal("0.8")


def at_least5(x: Decimal) -> str:
    """Five decimals, or every decimal `x` has when it has more (never rounds)."""
    five = f"{x:.5f}"
    return five if Decimal(five) == x else plain(x)


def _bc(x: Decimal) -> str:
    return "0" if x == 0 else d8(x)


class Renderer:
    """Turns one domain event into the payloads each account's streams receive."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._called: set[tuple[str, str, str]] = set()

    def render(self, event: ev.DomainEvent, listening: Collection[str]) -> list[tuple[str, Payload]]:
        """(account id, payload) pairs for one event, in delivery order, for the `listening` accounts
        (those with an open stream) only: nothing is computed for the others."""
        if isinstance(event, ev.ListenKeyClosed):
            return []
        if isinstance(event, ev.MarkChanged):
            holders = [acc for acc in map(self.backend.accounts.get, listening)
                       if acc is not None and acc.open_positions(event.symbol)]
            return [(acc.account_id, p) for acc in holders for p in self._margin_calls(acc, self._snapshot(acc))]
        acc = self.backend.accounts.get(event.account) if event.account in listening else None
        if acc is None:
            return []
        if isinstance(event, ev.LeverageChanged):  # leverage moves neither margin balance nor maintenance
            return [(acc.account_id, _config_update(self.backend.clock.now_ms(), event.time,
                                                    {"ac": {"s": event.symbol, "l": event.leverage}}))]
        snap = self._snapshot(acc)
        return [(acc.account_id, p) for p in [self._payload(acc, snap, event), *self._margin_calls(acc, snap)]]

    def _snapshot(self, acc: Account) -> Snapshot:
        return account_snapshot(acc, self.backend.symbols, self.backend.marks)

    def _payload(self, acc: Account, snap: Snapshot, event: ev.DomainEvent) -> Payload:
        now = self.backend.clock.now_ms()
        if isinstance(event, ev.MultiAssetsChanged):
            return _config_update(now, event.time, {"ai": {"j": event.enabled}})
        if isinstance(event, ev.MarginTypeChanged):
            asset = self.backend.symbol(event.symbol).margin_asset
            legs = [self._leg(acc, snap, event.symbol, side) for side in sides(acc)]
            return _update(now, event.time, "MARGIN_TYPE_CHANGE", [_balance(acc, snap, asset, ZERO)],
                           [_position(lg) for lg in legs])
        if isinstance(event, ev.IsolatedMarginMoved):
            lg = self._leg(acc, snap, event.symbol, event.side)
            return _update(now, event.time, "MARGIN_TRANSFER", [_balance(acc, snap, event.asset, ZERO)],
                           [_position(lg)])
        if isinstance(event, ev.FundingCharged):
            positions = [_position(self._leg(acc, snap, event.symbol, event.side))] if event.isolated else []
            balance = {"a": event.asset, "wb": d8(event.wallet), "cw": d8(event.cross_wallet), "bc": _bc(event.amount)}
            return _update(now, event.time, "FUNDING_FEE", [balance], positions)
        if isinstance(event, ev.BalanceAdjusted):
            return _update(now, event.time, event.reason, [_balance(acc, snap, event.asset, event.change)], [])
        assert isinstance(event, ev.PositionAdjusted)
        asset = self.backend.symbol(event.symbol).margin_asset
        lg = self._leg(acc, snap, event.symbol, event.side)
        return _update(now, event.time, "ORDER", [_balance(acc, snap, asset, ZERO)], [_position(lg, event.realized)])

    def _leg(self, acc: Account, snap: Snapshot, symbol: str, side: str) -> Leg:
        for lg in snap.legs:
            if lg.symbol == symbol and lg.side == side:
                return lg
        return leg(acc, self.backend.symbol(symbol), side, self.backend.marks)

    def _margin_calls(self, acc: Account, snap: Snapshot) -> list[Payload]:
        """MARGIN_CALL payloads for the account's margin groups that just reached the ratio."""
        now = self.backend.clock.now_ms()
        at_risk: dict[tuple[str, str, str], Payload] = {}
        groups: dict[str, list[Leg]] = {}
        for lg in snap.legs:
            if not lg.isolated:
                groups.setdefault("USD" if acc.multi_assets else lg.info.margin_asset, []).append(lg)
            elif _at_risk(lg.maint, lg.isolated_wallet + lg.upnl):
                at_risk[(acc.account_id, lg.symbol, lg.side)] = {"e": "MARGIN_CALL", "E": now, "p": [_called(lg)]}
        for name, legs in groups.items():
            fig = snap.totals if acc.multi_assets else snap.assets[name]
            if _at_risk(sum((lg.maint for lg in legs), ZERO), fig.cross_wallet + fig.cross_unpnl):
                at_risk[(acc.account_id, name, "")] = {"e": "MARGIN_CALL", "E": now, "cw": d8(fig.cross_wallet),
                                                       "p": [_called(lg) for lg in legs]}
        before = {k for k in self._called if k[0] == acc.account_id}
        self._called = (self._called - before) | set(at_risk)
        return [p for k, p in at_risk.items() if k not in before]


def _at_risk(maint: Decimal, balance: Decimal) -> bool:
    return maint > 0 and (balance <= 0 or maint / balance >= MARGIN_CALL_RATIO)


def _config_update(now: int, time: int, change: Payload) -> Payload:
    return {"e": "ACCOUNT_CONFIG_UPDATE", "E": now, "T": time, **change}


def _update(now: int, time: int, reason: str, balances: list[Payload], positions: list[Payload]) -> Payload:
    return {"e": "ACCOUNT_UPDATE", "E": now, "T": time, "a": {"m": reason, "B": balances, "P": positions}}


def _balance(acc: Account, snap: Snapshot, asset: str, change: Decimal) -> Payload:
    fig = snap.assets.get(asset)
    wallet = acc.balances.get(asset, ZERO)
    cross = fig.cross_wallet if fig is not None else wallet
    return {"a": asset, "wb": d8(wallet), "cw": d8(cross), "bc": _bc(change)}


def _position(lg: Leg, realized: Decimal = ZERO) -> Payload:
    flat = lg.amount == 0
    return {
        "s": lg.symbol,
        "pa": "0" if flat else fixed(lg.amount, lg.info.quantity_precision),
        "ep": at_least5(lg.entry),
        "bep": "0" if lg.break_even == 0 else plain(lg.break_even),
        "cr": dz(realized),
        "up": "0" if lg.upnl == 0 else at_least5(lg.upnl),
        "mt": "isolated" if lg.isolated else "cross",
        "iw": d8(lg.isolated_wallet),
        "ps": lg.side,
    }


def _called(lg: Leg) -> Payload:
    return {
        "s": lg.symbol,
        "ps": lg.side,
        "pa": plain(lg.amount) if lg.amount else "0",
        "mt": "ISOLATED" if lg.isolated else "CROSSED",
        "iw": "0" if lg.isolated_wallet == 0 else plain(lg.isolated_wallet),
        "mp": plain(lg.mark),
        "up": "0" if lg.upnl == 0 else plain(lg.upnl),
        "mm": "0" if lg.maint == 0 else plain(lg.maint),
    }
