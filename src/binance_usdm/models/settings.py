"""Account settings: leverage, brackets, modes, commission, trading status, acknowledgements."""

from decimal import Decimal

from binance_usdm.enums import TradingIndicator
from binance_usdm.models._base import Dec, Model, OptionalDec, OptionalMsTime, WireNumber


class Acknowledgement(Model):
    """A success acknowledgement (``{"code": 200, "msg": "success"}``)."""

    code: int
    msg: str


class LeverageChange(Model):
    """Answer to an initial-leverage change."""

    leverage: int
    max_notional_value_str: WireNumber
    max_notional_value = Dec()
    symbol: str


class Bracket(Model):
    """One notional bracket: the leverage allowed and the maintenance rate inside it."""

    bracket: int
    initial_leverage: int
    notional_cap: Decimal
    notional_floor: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal


class SymbolBracket(Model):
    """Notional and leverage brackets of one symbol (or pair)."""

    symbol: str
    brackets: list[Bracket]
    notional_coef: Decimal | None = None


class MultiAssetsMode(Model):
    """Whether Multi-Assets mode is on (True) or Single-Asset mode (False)."""

    multi_assets_margin: bool


class PositionMode(Model):
    """Whether Hedge mode is on (True) or One-way mode (False)."""

    dual_side_position: bool


class CommissionRate(Model):
    """The account's maker and taker commission rates on one symbol."""

    symbol: str
    maker_commission_rate_str: WireNumber
    maker_commission_rate = Dec()
    taker_commission_rate_str: WireNumber
    taker_commission_rate = Dec()
    rpi_commission_rate_str: WireNumber | None = None
    rpi_commission_rate = OptionalDec()


class TradingIndicatorStatus(Model):
    """One quantitative-rules indicator of one symbol (or of the account)."""

    indicator: TradingIndicator
    value: Decimal
    trigger_value: Decimal
    is_locked: bool | None = None
    planned_recover_time_ms: int | None = None
    planned_recover_time = OptionalMsTime()


class TradingStatus(Model):
    """Futures trading quantitative-rules indicators, keyed by symbol (or "ACCOUNT")."""

    indicators: dict[str, list[TradingIndicatorStatus]]
    update_time_ms: int | None = None
    update_time = OptionalMsTime()
