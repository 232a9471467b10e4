"""Typed result models (msgspec Structs): Decimal for numbers, UtcDateTime for times."""

from binance_usdm.models._base import Model, UtcDateTime
from binance_usdm.models.account import (
    AccountAsset,
    AccountBalance,
    AccountInfo,
    AccountInfoV3,
    AccountPosition,
    AccountPositionV3,
)
from binance_usdm.models.history import DownloadId, DownloadLink, IncomeRecord, MarginChange
from binance_usdm.models.positions import (
    AdlQuantile,
    AdlQuantileEstimation,
    PositionDetails,
    PositionMarginResult,
    PositionV3,
)
from binance_usdm.models.settings import (
    Acknowledgement,
    Bracket,
    CommissionRate,
    LeverageChange,
    MultiAssetsMode,
    PositionMode,
    SymbolBracket,
    TradingIndicatorStatus,
    TradingStatus,
)
from binance_usdm.models.streams import ListenKey

__all__ = [
    "AccountAsset",
    "AccountBalance",
    "AccountInfo",
    "AccountInfoV3",
    "AccountPosition",
    "AccountPositionV3",
    "Acknowledgement",
    "AdlQuantile",
    "AdlQuantileEstimation",
    "Bracket",
    "CommissionRate",
    "DownloadId",
    "DownloadLink",
    "IncomeRecord",
    "LeverageChange",
    "ListenKey",
    "MarginChange",
    "Model",
    "MultiAssetsMode",
    "PositionDetails",
    "PositionMarginResult",
    "PositionMode",
    "PositionV3",
    "SymbolBracket",
    "TradingIndicatorStatus",
    "TradingStatus",
    "UtcDateTime",
]
