"""Figures of one account at the current marks: per position leg and per asset (see `margin`).

Single-asset mode: each margin asset stands alone, and the account totals are those of USDT.
Multi-assets mode (Binance: totals "in USD" across all margin-available assets): wallets are valued
at their USD price (stablecoins 1, others at the mark of `<ASSET>USDT`), and each asset's
available balance is the account-wide available balance expressed in that asset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import margin
from .accounts import DEFAULT_LEVERAGE, Account
from .market import MARGIN_ASSET_PRICE_SYMBOL, SymbolInfo

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Leg:
    """One position leg (possibly empty) with every figure the answers show."""

    symbol: str
    side: str
    info: SymbolInfo
    leverage: int
    isolated: bool
    mark: Decimal
    amount: Decimal
    entry: Decimal
    notional: Decimal
    upnl: Decimal
    initial: Decimal
    maint: Decimal
    isolated_wallet: Decimal
    break_even: Decimal
    max_notional: int
    update_time: int

    @property
    def isolated_margin(self) -> Decimal:
        """`isolatedWallet + upnl` for an isolated leg, else 0."""
        return self.isolated_wallet + self.upnl if self.isolated and self.amount != 0 else ZERO


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Legs with a position, figures per asset and the account totals."""

    legs: list[Leg]
    assets: dict[str, margin.AssetFigures]
    totals: margin.AssetFigures
    liquidation: dict[tuple[str, str], Decimal]
    adl: dict[tuple[str, str], int]


def max_notional(info: SymbolInfo, leverage: int) -> int:
    """Cap of the last bracket whose initialLeverage still allows `leverage` (0 when none does)."""
    caps = info.caps
    if leverage >= len(caps):
        return 0
    return caps[leverage] if leverage > 0 else caps[0]  # every bracket allows 0 and less


#: Legs computed lately, by their inputs: an account answer recomputes only the legs a change moved.
#: Decimals are keyed by identity (a change copies a position's Decimals by reference, so unchanged
#: legs hit); the entry keeps them alive, so an id is not reused while it is a key, and an equal
#: Decimal written differently ("1.0" and "1") is a different key.
_LEGS: dict[tuple[Any, ...], tuple[Leg, Decimal]] = {}
_MAX_LEGS = 4096


def leg(acc: Account, info: SymbolInfo, side: str, marks: Mapping[str, Decimal]) -> Leg:
    """Figures of the account's `side` leg of a symbol (zeros when there is no position)."""
    settings = acc.settings.get(info.symbol)
    leverage = settings.leverage if settings else DEFAULT_LEVERAGE
    isolated = settings.isolated if settings else False
    pos = acc.positions.get((info.symbol, side))
    mark = marks[info.symbol]
    amount = pos.amount if pos else ZERO
    entry = pos.entry_price if pos else ZERO
    isolated_wallet = pos.isolated_wallet if pos and isolated else ZERO
    update_time = pos.update_time if pos else 0
    taker = acc.taker_rate
    key = (id(info), side, leverage, isolated, id(mark), id(amount), id(entry), id(isolated_wallet), id(taker),
           update_time)
    hit = _LEGS.get(key)
    if hit is not None:
        return hit[0]
    notional = abs(amount) * mark
    computed = Leg(
        symbol=info.symbol,
        side=side,
        info=info,
        leverage=leverage,
        isolated=isolated,
        mark=mark,
        amount=amount,
        entry=entry,
        notional=notional,
        upnl=margin.unrealized_pnl(amount, entry, mark),
        initial=margin.initial_margin(notional, leverage),
        maint=margin.maint_margin(notional, info.brackets),
        isolated_wallet=isolated_wallet,
        break_even=margin.break_even_price(amount, entry, taker),
        max_notional=max_notional(info, leverage),
        update_time=update_time,
    )
    if len(_LEGS) >= _MAX_LEGS:
        _LEGS.clear()
    _LEGS[key] = (computed, taker)  # the taker rate kept alive with its id
    return computed


def usd_price(asset: str, marks: Mapping[str, Decimal]) -> Decimal:
    """USD value of one unit of a margin asset."""
    sym = MARGIN_ASSET_PRICE_SYMBOL.get(asset)
    return marks[sym] if sym and sym in marks else Decimal(1)


def account_snapshot(
    acc: Account, symbols: Mapping[str, SymbolInfo], marks: Mapping[str, Decimal], *,
    force_single_asset: bool = False,
) -> Snapshot:
    """Compute every figure of the account (formulas in `margin`). Remembered by its inputs: the open
    legs (objects reused while their own inputs stand, `leg`), the balances and, with multi-assets
    mode, the mark prices that value the margin assets; so an answer after a change that moved none
    of them (a leverage change on a symbol without a position) computes no figure again."""
    legs = [leg(acc, symbols[p.symbol], p.side, marks) for p in acc.open_positions() if p.symbol in symbols]
    multi = acc.multi_assets and not force_single_asset
    inputs = (multi, *legs, *acc.balances.items(),
              *((s, marks.get(s)) for s in _PRICED_BY_MARK if multi))
    key = _identity_key(inputs)
    hit = _SNAPSHOTS.get(key)
    if hit is not None:
        return hit[0]
    snap = _computed_snapshot(acc, legs, marks, multi)
    if len(_SNAPSHOTS) >= _MAX_SNAPSHOTS:
        _SNAPSHOTS.clear()
    _SNAPSHOTS[key] = (snap, inputs)  # the entry keeps the inputs alive: their ids are not reused
    return snap


#: The symbols whose mark prices value a margin asset (`usd_price`).
_PRICED_BY_MARK = tuple(s for s in MARGIN_ASSET_PRICE_SYMBOL.values() if s is not None)
#: Snapshots computed lately, by the identity of their inputs (`account_snapshot`).
_SNAPSHOTS: dict[tuple[Any, ...], tuple[Snapshot, tuple[Any, ...]]] = {}
_MAX_SNAPSHOTS = 1024


def _identity_key(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """Legs and Decimals by identity (an equal Decimal written differently is another input), the
    rest (asset names, symbols, the mode flag) by value."""
    return tuple(x if isinstance(x, bool) else (x[0], id(x[1])) if isinstance(x, tuple) else id(x)
                 for x in inputs)


def _computed_snapshot(acc: Account, legs: list[Leg], marks: Mapping[str, Decimal], multi: bool) -> Snapshot:
    assets_used = list(acc.balances) + [lg.info.margin_asset for lg in legs if lg.info.margin_asset not in acc.balances]
    per_asset: dict[str, margin.AssetFigures] = {}
    for asset in assets_used:
        mine = [lg for lg in legs if lg.info.margin_asset == asset]
        cross = [lg for lg in mine if not lg.isolated]
        per_asset[asset] = margin.asset_figures(
            wallet=acc.balances.get(asset, ZERO),
            isolated_wallets=sum((lg.isolated_wallet for lg in mine), ZERO),
            upnl=sum((lg.upnl for lg in mine), ZERO),
            cross_upnl=sum((lg.upnl for lg in cross), ZERO),
            position_im=sum((lg.initial for lg in mine), ZERO),
            cross_im=sum((lg.initial for lg in cross), ZERO),
            maint=sum((lg.maint for lg in mine), ZERO),
        )
    if multi:
        totals = _usd_totals(per_asset, marks)
        per_asset = {a: _in_asset(f, totals, usd_price(a, marks)) if a in MARGIN_ASSET_PRICE_SYMBOL else f
                     for a, f in per_asset.items()}
    else:
        totals = per_asset.get("USDT") or margin.asset_figures(ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)
    liq: dict[tuple[str, str], Decimal] = {}
    for lg in legs:
        if lg.isolated:
            liq[(lg.symbol, lg.side)] = margin.liquidation_price(
                lg.amount, lg.entry, lg.isolated_wallet, lg.info.brackets, lg.mark)
        else:
            others = [o for o in legs if not o.isolated and o is not lg and o.info.margin_asset == lg.info.margin_asset]
            fig = totals if multi else per_asset[lg.info.margin_asset]
            liq[(lg.symbol, lg.side)] = margin.liquidation_price(
                lg.amount, lg.entry, fig.cross_wallet, lg.info.brackets, lg.mark,
                sum((o.maint for o in others), ZERO), sum((o.upnl for o in others), ZERO))
    adl = {(lg.symbol, lg.side): adl_quantile(lg, totals.margin_balance) for lg in legs}
    return Snapshot(legs, per_asset, totals, liq, adl)


def adl_quantile(lg: Leg, margin_balance: Decimal) -> int:
    """Emulator estimate of Binance's ADL quantile (0..4): 0 without a position, 1 for a losing leg,
    else by ranking = PnL ratio x effective leverage (Binance ranks profitable positions that way)."""
    if lg.amount == 0 or lg.entry == 0:
        return 0
    if lg.upnl <= 0:
        return 1
    pnl_ratio = lg.upnl / (abs(lg.amount) * lg.entry)
    base = lg.isolated_margin if lg.isolated else margin_balance
    effective_leverage = lg.notional / base if base > 0 else Decimal(lg.leverage)
    ranking = pnl_ratio * effective_leverage
    if ranking < Decimal("0.05"):
        return 2
    if ranking < Decimal("0.25"):
        return 3
    return 4


def _usd_totals(per_asset: Mapping[str, margin.AssetFigures], marks: Mapping[str, Decimal]) -> margin.AssetFigures:
    wallet = isolated = upnl = cross_upnl = maint = position_im = cross_im = ZERO
    for asset, f in per_asset.items():
        if asset not in MARGIN_ASSET_PRICE_SYMBOL:
            continue
        p = usd_price(asset, marks)
        wallet += f.wallet * p
        isolated += (f.wallet - f.cross_wallet) * p
        upnl += f.unrealized
        cross_upnl += f.cross_unpnl
        maint += f.maint
        position_im += f.position_initial
        cross_im += f.cross_initial
    return margin.asset_figures(wallet, isolated, upnl, cross_upnl, position_im, cross_im, maint)


def _in_asset(f: margin.AssetFigures, totals: margin.AssetFigures, price: Decimal) -> margin.AssetFigures:
    available = totals.available / price
    return margin.AssetFigures(
        wallet=f.wallet, unrealized=f.unrealized, margin_balance=f.margin_balance, maint=f.maint,
        initial=f.initial, position_initial=f.position_initial, cross_initial=f.cross_initial,
        open_order_initial=f.open_order_initial,
        cross_wallet=f.cross_wallet, cross_unpnl=f.cross_unpnl, available=available,
        max_withdraw=max(ZERO, min(f.cross_wallet, totals.max_withdraw / price)),
    )
