"""Position information, ADL quantiles and isolated-margin changes."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from binance_usdm.enums import MarginChangeDirection, MarginType, PositionSide
from binance_usdm.models._base import Model, OptionalMsTime, ms_field


class PositionDetails(Model):
    """Position information, v2 (``/fapi/v2/positionRisk``): one entry per symbol and side."""

    symbol: str
    position_side: PositionSide
    position_amt: Decimal
    entry_price: Decimal
    mark_price: Decimal
    un_realized_profit: Decimal
    liquidation_price: Decimal
    leverage: Decimal
    margin_type: MarginType
    isolated_margin: Decimal
    is_auto_add_margin: bool = False
    max_notional_value: Decimal | None = None
    break_even_price: Decimal | None = None
    notional: Decimal | None = None
    isolated_wallet: Decimal | None = None
    update_time_ms: int | None = ms_field("updateTime")
    update_time = OptionalMsTime()


class PositionV3(Model):
    """Position information, v3 (``/fapi/v3/positionRisk``): only symbols with a position or orders."""

    symbol: str
    position_side: PositionSide
    position_amt: Decimal
    entry_price: Decimal
    mark_price: Decimal
    un_realized_profit: Decimal
    liquidation_price: Decimal
    isolated_margin: Decimal
    notional: Decimal
    isolated_wallet: Decimal
    # documented on every v3 entry, yet Binance.Net's v3 fixture is the v2-shaped answer without them
    initial_margin: Decimal | None = None
    maint_margin: Decimal | None = None
    break_even_price: Decimal | None = None
    margin_asset: str | None = None
    position_initial_margin: Decimal | None = None
    open_order_initial_margin: Decimal | None = None
    adl: int | None = None
    bid_notional: Decimal | None = None
    ask_notional: Decimal | None = None
    update_time_ms: int | None = ms_field("updateTime")
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
