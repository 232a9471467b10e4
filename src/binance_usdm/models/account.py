"""Account information and balances (``/fapi/v2|v3/account``, ``/fapi/v2|v3/balance``)."""

from __future__ import annotations

import msgspec

from binance_usdm.enums import PositionSide
from binance_usdm.models._base import Dec, Model, OptionalDec, OptionalMsTime, WireNumber, wire


class AccountAsset(Model):
    """One asset of the futures wallet."""

    asset: str
    wallet_balance_str: WireNumber = msgspec.field(name="walletBalance")
    wallet_balance = Dec()
    unrealized_profit_str: WireNumber = msgspec.field(name="unrealizedProfit")
    unrealized_profit = Dec()
    margin_balance_str: WireNumber = msgspec.field(name="marginBalance")
    margin_balance = Dec()
    maint_margin_str: WireNumber = msgspec.field(name="maintMargin")
    maint_margin = Dec()
    initial_margin_str: WireNumber = msgspec.field(name="initialMargin")
    initial_margin = Dec()
    position_initial_margin_str: WireNumber = msgspec.field(name="positionInitialMargin")
    position_initial_margin = Dec()
    open_order_initial_margin_str: WireNumber = msgspec.field(name="openOrderInitialMargin")
    open_order_initial_margin = Dec()
    cross_wallet_balance_str: WireNumber = msgspec.field(name="crossWalletBalance")
    cross_wallet_balance = Dec()
    cross_un_pnl_str: WireNumber = msgspec.field(name="crossUnPnl")
    cross_un_pnl = Dec()
    available_balance_str: WireNumber = msgspec.field(name="availableBalance")
    available_balance = Dec()
    max_withdraw_amount_str: WireNumber = msgspec.field(name="maxWithdrawAmount")
    max_withdraw_amount = Dec()
    margin_available: bool | None = None
    update_time_ms: int | None = wire("updateTime")
    update_time = OptionalMsTime()


class AccountPosition(Model):
    """A position as listed inside account information (v2)."""

    symbol: str
    initial_margin_str: WireNumber = msgspec.field(name="initialMargin")
    initial_margin = Dec()
    maint_margin_str: WireNumber = msgspec.field(name="maintMargin")
    maint_margin = Dec()
    unrealized_profit_str: WireNumber = msgspec.field(name="unrealizedProfit")
    unrealized_profit = Dec()
    position_initial_margin_str: WireNumber = msgspec.field(name="positionInitialMargin")
    position_initial_margin = Dec()
    open_order_initial_margin_str: WireNumber = msgspec.field(name="openOrderInitialMargin")
    open_order_initial_margin = Dec()
    leverage_str: WireNumber = msgspec.field(name="leverage")
    leverage = Dec()
    isolated: bool
    entry_price_str: WireNumber = msgspec.field(name="entryPrice")
    entry_price = Dec()
    position_side: PositionSide
    position_amt_str: WireNumber = msgspec.field(name="positionAmt")
    position_amt = Dec()
    max_notional_str: WireNumber | None = wire("maxNotional")
    max_notional = OptionalDec()
    break_even_price_str: WireNumber | None = wire("breakEvenPrice")
    break_even_price = OptionalDec()
    bid_notional_str: WireNumber | None = wire("bidNotional")
    bid_notional = OptionalDec()
    ask_notional_str: WireNumber | None = wire("askNotional")
    ask_notional = OptionalDec()
    isolated_wallet_str: WireNumber | None = wire("isolatedWallet")
    isolated_wallet = OptionalDec()
    update_time_ms: int | None = wire("updateTime")
    update_time = OptionalMsTime()


class _AccountTotals(Model):
    total_initial_margin_str: WireNumber = msgspec.field(name="totalInitialMargin")
    total_initial_margin = Dec()
    total_maint_margin_str: WireNumber = msgspec.field(name="totalMaintMargin")
    total_maint_margin = Dec()
    total_wallet_balance_str: WireNumber = msgspec.field(name="totalWalletBalance")
    total_wallet_balance = Dec()
    total_unrealized_profit_str: WireNumber = msgspec.field(name="totalUnrealizedProfit")
    total_unrealized_profit = Dec()
    total_margin_balance_str: WireNumber = msgspec.field(name="totalMarginBalance")
    total_margin_balance = Dec()
    total_position_initial_margin_str: WireNumber = msgspec.field(name="totalPositionInitialMargin")
    total_position_initial_margin = Dec()
    total_open_order_initial_margin_str: WireNumber = msgspec.field(name="totalOpenOrderInitialMargin")
    total_open_order_initial_margin = Dec()
    total_cross_wallet_balance_str: WireNumber = msgspec.field(name="totalCrossWalletBalance")
    total_cross_wallet_balance = Dec()
    total_cross_un_pnl_str: WireNumber = msgspec.field(name="totalCrossUnPnl")
    total_cross_un_pnl = Dec()
    available_balance_str: WireNumber = msgspec.field(name="availableBalance")
    available_balance = Dec()
    max_withdraw_amount_str: WireNumber = msgspec.field(name="maxWithdrawAmount")
    max_withdraw_amount = Dec()


class AccountInfo(_AccountTotals):
    """Account information, v2: totals, every asset and every symbol's position."""

    assets: list[AccountAsset]
    positions: list[AccountPosition]
    fee_tier: int | None = None
    fee_burn: bool | None = None
    can_trade: bool | None = None
    can_deposit: bool | None = None
    can_withdraw: bool | None = None
    update_time_ms: int | None = wire("updateTime")
    update_time = OptionalMsTime()
    multi_assets_margin: bool | None = None
    trade_group_id: int | None = None


class AccountPositionV3(Model):
    """A position as listed inside account information v3 (only symbols with a position/orders)."""

    symbol: str
    position_side: PositionSide
    position_amt_str: WireNumber = msgspec.field(name="positionAmt")
    position_amt = Dec()
    unrealized_profit_str: WireNumber = msgspec.field(name="unrealizedProfit")
    unrealized_profit = Dec()
    isolated_margin_str: WireNumber = msgspec.field(name="isolatedMargin")
    isolated_margin = Dec()
    notional_str: WireNumber = msgspec.field(name="notional")
    notional = Dec()
    isolated_wallet_str: WireNumber = msgspec.field(name="isolatedWallet")
    isolated_wallet = Dec()
    initial_margin_str: WireNumber = msgspec.field(name="initialMargin")
    initial_margin = Dec()
    maint_margin_str: WireNumber = msgspec.field(name="maintMargin")
    maint_margin = Dec()
    update_time_ms: int | None = wire("updateTime")
    update_time = OptionalMsTime()


class AccountInfoV3(_AccountTotals):
    """Account information, v3: totals, assets, and only the symbols with a position or orders."""

    assets: list[AccountAsset]
    positions: list[AccountPositionV3]


class AccountBalance(Model):
    """One asset's balance (``/fapi/v2/balance`` and ``/fapi/v3/balance``)."""

    account_alias: str
    asset: str
    balance_str: WireNumber = msgspec.field(name="balance")
    balance = Dec()
    cross_wallet_balance_str: WireNumber = msgspec.field(name="crossWalletBalance")
    cross_wallet_balance = Dec()
    cross_un_pnl_str: WireNumber = msgspec.field(name="crossUnPnl")
    cross_un_pnl = Dec()
    available_balance_str: WireNumber = msgspec.field(name="availableBalance")
    available_balance = Dec()
    max_withdraw_amount_str: WireNumber = msgspec.field(name="maxWithdrawAmount")
    max_withdraw_amount = Dec()
    margin_available: bool | None = None
    update_time_ms: int | None = wire("updateTime")
    update_time = OptionalMsTime()
