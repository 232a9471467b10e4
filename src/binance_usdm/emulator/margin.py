"""Margin arithmetic with `Decimal`, following Binance's published USDⓈ-M definitions.

Per position (amount `q`, signed: > 0 long, < 0 short; entry price `E`; mark price `M`):
- notional `N = |q| * M` (answers show the signed value `q * M`).
- unrealized PnL `upnl = q * (M - E)`.
- initial margin `IM = N / leverage` ("Position Initial Margin", Binance: notional / leverage).
- maintenance margin `MM = N * maintMarginRatio - cum`, with the bracket whose
  [notionalFloor, notionalCap) contains `N` (Binance: "Maintenance Margin = Notional Position Value x
  Maintenance Margin Rate - Maintenance Amount").
- isolated position: `isolatedMargin = isolatedWallet + upnl` (Binance positionRisk semantics).
- break-even price: the price at which closing pays back the taker fees of opening and closing,
  `E * (1 + fee)` for a long and `E * (1 - fee)` for a short (emulator approximation of Binance's
  `breakEvenPrice`, which also uses the taker rate).

Per margin asset (single-asset mode; the wallet `W` includes the isolated wallets):
- `crossWalletBalance = W - sum(isolatedWallet)`.
- `marginBalance = W + sum(upnl)`.
- `availableBalance = max(0, crossWallet + crossUnPnl - crossIM - openOrderIM)` (Binance: "available
  balance = cross margin balance - position initial margin - open order initial margin").
- `maxWithdrawAmount = max(0, min(crossWallet, crossWallet + min(crossUnPnl, 0) - crossIM -
  openOrderIM))`: unrealized profit is not withdrawable, unrealized loss reduces the amount
  (Binance FAQ "Max withdraw amount").

Liquidation price, one-way mode (Binance "How to Calculate Liquidation Price of USDⓈ-M Contracts"):
    LP = (WB - TMM + UPNL + cum - side * |q| * E) / (|q| * MMR - side * |q|)
with `side` = 1 for long and -1 for short, `MMR`/`cum` from the bracket of the current notional;
isolated: `WB` = the isolated wallet, `TMM` = `UPNL` = 0; cross: `WB` = the cross wallet balance,
`TMM`/`UPNL` = maintenance margin / unrealized PnL of all *other* cross positions. A result below 0
(never liquidated) is reported as 0.

Every change of the emulator's state computes under `CONTEXT` (`Backend._change`), never the
caller's decimal context: a library in the same thread may change it (ccxt sets ROUND_HALF_UP on
its thread), and the demo's commissions and wallet must not depend on what ran before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

from .market import Bracket

ZERO = Decimal(0)
#: Python's default decimal context, spelled out (28 digits, half-even rounding, the usual traps).
CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN, Emin=-999_999, Emax=999_999, capitals=1, clamp=0,
                  flags=[], traps=[InvalidOperation, DivisionByZero, Overflow])
#: The largest amount, in size, the admin API and scenario files accept (far above any Binance figure).
MAX_AMOUNT = Decimal(10) ** 20


def is_amount(value: Decimal) -> bool:
    """Whether `value` is finite and below `MAX_AMOUNT` in size."""
    return value.is_finite() and abs(value) < MAX_AMOUNT


def bracket_for(brackets: Sequence[Bracket], notional: Decimal) -> Bracket:
    """The bracket whose [floor, cap) contains `notional` (the last one beyond the caps)."""
    for b in brackets:
        if notional < b.notional_cap:
            return b
    return brackets[-1]


def unrealized_pnl(amount: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    """`q * (M - E)`."""
    return amount * (mark - entry)


def initial_margin(notional: Decimal, leverage: int) -> Decimal:
    """`N / leverage`."""
    return notional / Decimal(leverage)


def maint_margin(notional: Decimal, brackets: Sequence[Bracket]) -> Decimal:
    """`N * maintMarginRatio - cum` for the bracket containing `N` (0 for no position)."""
    if notional == 0:
        return ZERO
    b = bracket_for(brackets, notional)
    return notional * b.maint_margin_ratio - b.cum


def break_even_price(amount: Decimal, entry: Decimal, taker_rate: Decimal) -> Decimal:
    """Entry price moved by the taker fee, against the position's direction."""
    if amount == 0:
        return ZERO
    return entry * (1 + taker_rate) if amount > 0 else entry * (1 - taker_rate)


def liquidation_price(
    amount: Decimal,
    entry: Decimal,
    wallet: Decimal,
    brackets: Sequence[Bracket],
    mark: Decimal,
    other_maint: Decimal = ZERO,
    other_upnl: Decimal = ZERO,
) -> Decimal:
    """One-way liquidation price (formula in the module docstring); 0 when there is none."""
    if amount == 0:
        return ZERO
    size = abs(amount)
    side = Decimal(1) if amount > 0 else Decimal(-1)
    b = bracket_for(brackets, size * mark)
    denominator = size * b.maint_margin_ratio - side * size
    if denominator == 0:
        return ZERO
    price = (wallet - other_maint + other_upnl + b.cum - side * size * entry) / denominator
    return max(price, ZERO)


@dataclass(frozen=True, slots=True)
class AssetFigures:
    """Aggregates of one margin asset in single-asset mode."""

    wallet: Decimal
    unrealized: Decimal
    margin_balance: Decimal
    maint: Decimal
    initial: Decimal
    position_initial: Decimal
    cross_initial: Decimal
    open_order_initial: Decimal
    cross_wallet: Decimal
    cross_unpnl: Decimal
    available: Decimal
    max_withdraw: Decimal


def asset_figures(
    wallet: Decimal,
    isolated_wallets: Decimal,
    upnl: Decimal,
    cross_upnl: Decimal,
    position_im: Decimal,
    cross_im: Decimal,
    maint: Decimal,
    open_order_im: Decimal = ZERO,
) -> AssetFigures:
    """Combine per-position figures into the asset's balances (definitions in the docstring)."""
    cross_wallet = wallet - isolated_wallets
    available = max(ZERO, cross_wallet + cross_upnl - cross_im - open_order_im)
    max_withdraw = max(ZERO, min(cross_wallet, cross_wallet + min(cross_upnl, ZERO) - cross_im - open_order_im))
    return AssetFigures(
        wallet=wallet,
        unrealized=upnl,
        margin_balance=wallet + upnl,
        maint=maint,
        initial=position_im + open_order_im,
        position_initial=position_im,
        cross_initial=cross_im,
        open_order_initial=open_order_im,
        cross_wallet=cross_wallet,
        cross_unpnl=cross_upnl,
        available=available,
        max_withdraw=max_withdraw,
    )
