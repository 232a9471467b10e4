"""Account information and balances (``/fapi/v2|v3/account``, ``/fapi/v2|v3/balance``)."""

from binance_usdm.enums import PositionSide
from binance_usdm.models._base import Dec, Leverage, Model, OptionalDec, OptionalMsTime, WireNumber


class AccountAsset(Model):
    """One asset of the futures wallet."""

    asset: str
    wallet_balance_str: WireNumber
    wallet_balance = Dec()
    unrealized_profit_str: WireNumber
    unrealized_profit = Dec()
    margin_balance_str: WireNumber
    margin_balance = Dec()
    maint_margin_str: WireNumber
    maint_margin = Dec()
    initial_margin_str: WireNumber
    initial_margin = Dec()
    position_initial_margin_str: WireNumber
    position_initial_margin = Dec()
    open_order_initial_margin_str: WireNumber
    open_order_initial_margin = Dec()
    cross_wallet_balance_str: WireNumber
    cross_wallet_balance = Dec()
    cross_un_pnl_str: WireNumber
    cross_un_pnl = Dec()
    available_balance_str: WireNumber
    available_balance = Dec()
    max_withdraw_amount_str: WireNumber
    max_withdraw_amount = Dec()
    margin_available: bool | None = None
    update_time_ms: int | None = None
    update_time = OptionalMsTime()


class AccountPosition(Model):
    """A position as listed inside account information (v2)."""

    symbol: str
    initial_margin_str: WireNumber
    initial_margin = Dec()
    maint_margin_str: WireNumber
    maint_margin = Dec()
    unrealized_profit_str: WireNumber
    unrealized_profit = Dec()
    position_initial_margin_str: WireNumber
    position_initial_margin = Dec()
    open_order_initial_margin_str: WireNumber
    open_order_initial_margin = Dec()
    leverage_str: WireNumber
    leverage = Leverage()
    isolated: bool
    entry_price_str: WireNumber
    entry_price = Dec()
    position_side: PositionSide
    position_amt_str: WireNumber
    position_amt = Dec()
    max_notional_str: WireNumber | None = None
    max_notional = OptionalDec()
    break_even_price_str: WireNumber | None = None
    break_even_price = OptionalDec()
    bid_notional_str: WireNumber | None = None
    bid_notional = OptionalDec()
    ask_notional_str: WireNumber | None = None
    ask_notional = OptionalDec()
    isolated_wallet_str: WireNumber | None = None
    isolated_wallet = OptionalDec()
    update_time_ms: int | None = None
    update_time = OptionalMsTime()


class _AccountTotals(Model):
    total_initial_margin_str: WireNumber
    total_initial_margin = Dec()
    total_maint_margin_str: WireNumber
    total_maint_margin = Dec()
    total_wallet_balance_str: WireNumber
    total_wallet_balance = Dec()
    total_unrealized_profit_str: WireNumber
    total_unrealized_profit = Dec()
    total_margin_balance_str: WireNumber
    total_margin_balance = Dec()
    total_position_initial_margin_str: WireNumber
    total_position_initial_margin = Dec()
    total_open_order_initial_margin_str: WireNumber
    total_open_order_initial_margin = Dec()
    total_cross_wallet_balance_str: WireNumber
    total_cross_wallet_balance = Dec()
    total_cross_un_pnl_str: WireNumber
    total_cross_un_pnl = Dec()
    available_balance_str: WireNumber
    available_balance = Dec()
    max_withdraw_amount_str: WireNumber
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
    update_time_ms: int | None = None
    update_time = OptionalMsTime()
    multi_assets_margin: bool | None = None
    trade_group_id: int | None = None


class AccountPositionV3(Model):
    """A position as listed inside account information v3 (only symbols with a position/orders)."""

    symbol: str
    position_side: PositionSide
    position_amt_str: WireNumber
    position_amt = Dec()
    unrealized_profit_str: WireNumber
    unrealized_profit = Dec()
    isolated_margin_str: WireNumber
    isolated_margin = Dec()
    notional_str: WireNumber
    notional = Dec()
    isolated_wallet_str: WireNumber
    isolated_wallet = Dec()
    initial_margin_str: WireNumber
    initial_margin = Dec()
    maint_margin_str: WireNumber
    maint_margin = Dec()
    update_time_ms: int | None = None
    update_time = OptionalMsTime()


class AccountInfoV3(_AccountTotals):
    """Account information, v3: totals, assets, and only the symbols with a position or orders."""

    assets: list[AccountAsset]
    positions: list[AccountPositionV3]


class AccountBalance(Model):
    """One asset's balance (``/fapi/v2/balance`` and ``/fapi/v3/balance``)."""

    account_alias: str
    asset: str
    balance_str: WireNumber
    balance = Dec()
    cross_wallet_balance_str: WireNumber
    cross_wallet_balance = Dec()
    cross_un_pnl_str: WireNumber
    cross_un_pnl = Dec()
    available_balance_str: WireNumber
    available_balance = Dec()
    max_withdraw_amount_str: WireNumber
    max_withdraw_amount = Dec()
    margin_available: bool | None = None
    update_time_ms: int | None = None
    update_time = OptionalMsTime()
