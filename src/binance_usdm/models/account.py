"""Account information and balances (``/fapi/v2|v3/account``, ``/fapi/v2|v3/balance``)."""

from __future__ import annotations

from decimal import Decimal

from binance_usdm.enums import PositionSide
from binance_usdm.models._base import Model, OptionalMsTime, ms_field


class AccountAsset(Model):
    """One asset of the futures wallet."""

    asset: str
    wallet_balance: Decimal
    unrealized_profit: Decimal
    margin_balance: Decimal
    maint_margin: Decimal
    initial_margin: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal
    cross_wallet_balance: Decimal
    cross_un_pnl: Decimal
    available_balance: Decimal
    max_withdraw_amount: Decimal
    margin_available: bool | None = None
    update_time_ms: int | None = ms_field("updateTime")
    update_time = OptionalMsTime()


class AccountPosition(Model):
    """A position as listed inside account information (v2)."""

    symbol: str
    initial_margin: Decimal
    maint_margin: Decimal
    unrealized_profit: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal
    leverage: Decimal
    isolated: bool
    entry_price: Decimal
    position_side: PositionSide
    position_amt: Decimal
    max_notional: Decimal | None = None
    break_even_price: Decimal | None = None
    bid_notional: Decimal | None = None
    ask_notional: Decimal | None = None
    isolated_wallet: Decimal | None = None
    update_time_ms: int | None = ms_field("updateTime")
    update_time = OptionalMsTime()


class _AccountTotals(Model):
    total_initial_margin: Decimal
    total_maint_margin: Decimal
    total_wallet_balance: Decimal
    total_unrealized_profit: Decimal
    total_margin_balance: Decimal
    total_position_initial_margin: Decimal
    total_open_order_initial_margin: Decimal
    total_cross_wallet_balance: Decimal
    total_cross_un_pnl: Decimal
    available_balance: Decimal
    max_withdraw_amount: Decimal


class AccountInfo(_AccountTotals):
    """Account information, v2: totals, every asset and every symbol's position."""

    assets: list[AccountAsset]
    positions: list[AccountPosition]
    fee_tier: int | None = None
    fee_burn: bool | None = None
    can_trade: bool | None = None
    can_deposit: bool | None = None
    can_withdraw: bool | None = None
    update_time_ms: int | None = ms_field("updateTime")
    update_time = OptionalMsTime()
    multi_assets_margin: bool | None = None
    trade_group_id: int | None = None


class AccountPositionV3(Model):
    """A position as listed inside account information v3 (only symbols with a position/orders)."""

    symbol: str
    position_side: PositionSide
    position_amt: Decimal
    unrealized_profit: Decimal
    isolated_margin: Decimal
    notional: Decimal
    isolated_wallet: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    update_time_ms: int | None = ms_field("updateTime")
    update_time = OptionalMsTime()


class AccountInfoV3(_AccountTotals):
    """Account information, v3: totals, assets, and only the symbols with a position or orders."""

    assets: list[AccountAsset]
    positions: list[AccountPositionV3]


class AccountBalance(Model):
    """One asset's balance (``/fapi/v2/balance`` and ``/fapi/v3/balance``)."""

    account_alias: str
    asset: str
    balance: Decimal
    cross_wallet_balance: Decimal
    cross_un_pnl: Decimal
    available_balance: Decimal
    max_withdraw_amount: Decimal
    margin_available: bool | None = None
    update_time_ms: int | None = ms_field("updateTime")
    update_time = OptionalMsTime()
