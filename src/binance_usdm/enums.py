"""Enumerations seen on the wire.

Each enum's values are Binance's wire values. A value Binance adds later never breaks parsing: it
becomes a pseudo-member whose ``name`` and ``value`` are the raw wire value (``member.known`` is False).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Self


class WireEnum(Enum):
    """Enum tolerant of values it does not know."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        alias = cls._aliases().get(value)
        if alias is not None:
            return cls._value2member_map_[alias]  # type: ignore[return-value]
        pseudo = object.__new__(cls)
        pseudo._name_ = str(value)
        pseudo._value_ = value
        return pseudo

    @classmethod
    def _aliases(cls) -> dict[Any, Any]:
        return {}

    @property
    def known(self) -> bool:
        """False for a value Binance sent that this version of the library does not know."""
        return self._name_ in type(self).__members__

    def __str__(self) -> str:
        return str(self._value_)


class MarginType(WireEnum):
    """Margin type of a symbol. Requests use ``ISOLATED``/``CROSSED``; position answers say
    ``isolated``/``cross``, which map to the same members."""

    ISOLATED = "ISOLATED"
    CROSSED = "CROSSED"

    @classmethod
    def _aliases(cls) -> dict[Any, Any]:
        return _MARGIN_TYPE_ALIASES


_MARGIN_TYPE_ALIASES = {"isolated": "ISOLATED", "cross": "CROSSED", "crossed": "CROSSED"}


class PositionSide(WireEnum):
    """``BOTH`` in one-way mode; ``LONG``/``SHORT`` in hedge mode."""

    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


class MarginChangeDirection(WireEnum):
    """Direction of an isolated margin change (wire values 1 and 2)."""

    ADD = 1
    REDUCE = 2


class IncomeType(WireEnum):
    """Kinds of income-history record. Binance adds new kinds over time."""

    TRANSFER = "TRANSFER"
    WELCOME_BONUS = "WELCOME_BONUS"
    REALIZED_PNL = "REALIZED_PNL"
    FUNDING_FEE = "FUNDING_FEE"
    COMMISSION = "COMMISSION"
    INSURANCE_CLEAR = "INSURANCE_CLEAR"
    REFERRAL_KICKBACK = "REFERRAL_KICKBACK"
    COMMISSION_REBATE = "COMMISSION_REBATE"
    API_REBATE = "API_REBATE"
    CONTEST_REWARD = "CONTEST_REWARD"
    CROSS_COLLATERAL_TRANSFER = "CROSS_COLLATERAL_TRANSFER"
    OPTIONS_PREMIUM_FEE = "OPTIONS_PREMIUM_FEE"
    OPTIONS_SETTLE_PROFIT = "OPTIONS_SETTLE_PROFIT"
    INTERNAL_TRANSFER = "INTERNAL_TRANSFER"
    AUTO_EXCHANGE = "AUTO_EXCHANGE"
    DELIVERED_SETTELMENT = "DELIVERED_SETTELMENT"
    COIN_SWAP_DEPOSIT = "COIN_SWAP_DEPOSIT"
    COIN_SWAP_WITHDRAW = "COIN_SWAP_WITHDRAW"
    POSITION_LIMIT_INCREASE_FEE = "POSITION_LIMIT_INCREASE_FEE"
    STRATEGY_UMFUTURES_TRANSFER = "STRATEGY_UMFUTURES_TRANSFER"
    FEE_RETURN = "FEE_RETURN"
    BFUSD_REWARD = "BFUSD_REWARD"
    SPECIAL_FUNDING_FEE = "SPECIAL_FUNDING_FEE"


class MarginDeltaType(WireEnum):
    """Origin of a position-margin change record."""

    USER_ADJUST = "USER_ADJUST"
    TRADE = "TRADE"


class DownloadStatus(WireEnum):
    """State of an asynchronous history download."""

    PROCESSING = "processing"
    COMPLETED = "completed"


class TradingIndicator(WireEnum):
    """Futures trading quantitative-rules indicators."""

    UFR = "UFR"
    IFER = "IFER"
    GCR = "GCR"
    DR = "DR"
    TMV = "TMV"


class HistoryKind(WireEnum):
    """The three asynchronous history downloads."""

    ORDERS = "order"
    TRADES = "trade"
    TRANSACTIONS = "income"
