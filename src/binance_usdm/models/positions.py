"""Position information, ADL quantiles and isolated-margin changes."""

from decimal import Decimal

import msgspec

from binance_usdm.enums import MarginChangeDirection, MarginType, PositionSide
from binance_usdm.models._base import Dec, Leverage, Model, OptionalDec, OptionalMsTime, WireNumber


class _Position(Model):
    """What both versions of position information open with (Binance's field order)."""

    symbol: str
    position_side: PositionSide
    position_amt_str: WireNumber
    position_amt = Dec()
    entry_price_str: WireNumber
    entry_price = Dec()
    mark_price_str: WireNumber
    mark_price = Dec()
    un_realized_profit_str: WireNumber
    un_realized_profit = Dec()
    liquidation_price_str: WireNumber
    liquidation_price = Dec()


class PositionDetails(_Position):
    """Position information, v2 (``/fapi/v2/positionRisk``): one entry per symbol and side."""

    leverage_str: WireNumber
    leverage = Leverage()
    margin_type: MarginType
    isolated_margin_str: WireNumber
    isolated_margin = Dec()
    is_auto_add_margin: bool = False
    max_notional_value_str: WireNumber | None = None
    max_notional_value = OptionalDec()
    break_even_price_str: WireNumber | None = None
    break_even_price = OptionalDec()
    notional_str: WireNumber | None = None
    notional = OptionalDec()
    isolated_wallet_str: WireNumber | None = None
    isolated_wallet = OptionalDec()
    update_time_ms: int | None = None
    update_time = OptionalMsTime()


class PositionV3(_Position):
    """Position information, v3 (``/fapi/v3/positionRisk``): only symbols with a position or orders."""

    isolated_margin_str: WireNumber
    isolated_margin = Dec()
    notional_str: WireNumber
    notional = Dec()
    isolated_wallet_str: WireNumber
    isolated_wallet = Dec()
    # documented on every v3 entry, yet Binance.Net's v3 fixture is the v2-shaped answer without them
    initial_margin_str: WireNumber | None = None
    initial_margin = OptionalDec()
    maint_margin_str: WireNumber | None = None
    maint_margin = OptionalDec()
    break_even_price_str: WireNumber | None = None
    break_even_price = OptionalDec()
    margin_asset: str | None = None
    position_initial_margin_str: WireNumber | None = None
    position_initial_margin = OptionalDec()
    open_order_initial_margin_str: WireNumber | None = None
    open_order_initial_margin = OptionalDec()
    adl: int | None = None
    bid_notional_str: WireNumber | None = None
    bid_notional = OptionalDec()
    ask_notional_str: WireNumber | None = None
    ask_notional = OptionalDec()
    update_time_ms: int | None = None
    update_time = OptionalMsTime()


class AdlQuantile(Model):
    """ADL queue position 0 (low) .. 4 (high) per side; ``hedge`` for crossed hedge-mode symbols."""

    long: int | None = msgspec.field(default=None, name="LONG")
    short: int | None = msgspec.field(default=None, name="SHORT")
    both: int | None = msgspec.field(default=None, name="BOTH")
    hedge: int | None = msgspec.field(default=None, name="HEDGE")


class AdlQuantileEstimation(Model):
    """ADL quantile estimation of one symbol."""

    symbol: str
    adl_quantile: AdlQuantile


class PositionMarginResult(Model):
    """Answer to an isolated position-margin change."""

    amount: Decimal
    code: int
    msg: str
    type: MarginChangeDirection
