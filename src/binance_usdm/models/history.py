"""History records: income, margin changes, asynchronous downloads."""

from typing import ClassVar

import msgspec

from binance_usdm.enums import (
    DownloadStatus,
    IncomeType,
    MarginChangeDirection,
    MarginDeltaType,
    PositionSide,
)
from binance_usdm.models._base import Dec, Model, MsTime, OptionalMsTime, WireNumber


class IncomeRecord(Model, kw_only=True):
    """One income-history record (funding fee, commission, realized PnL, transfer, ...)."""

    shares_values: ClassVar[bool] = False  # amounts and times rarely repeat across records

    symbol: str = ""  # empty (or absent) for records not tied to a symbol, e.g. transfers
    income_type: IncomeType
    income_str: WireNumber
    income = Dec()
    asset: str
    time_ms: int
    time = MsTime()
    tran_id: int
    info: str = ""
    trade_id: str = ""


class MarginChange(Model):
    """One isolated position-margin change."""

    shares_values: ClassVar[bool] = False  # amounts and times rarely repeat across records

    symbol: str
    type: MarginChangeDirection
    amount_str: WireNumber
    amount = Dec()
    asset: str
    time_ms: int
    time = MsTime()
    position_side: PositionSide = PositionSide.BOTH
    delta_type: MarginDeltaType | None = None


class DownloadId(Model):
    """Answer to a history-download request."""

    download_id: str
    avg_cost_timestamp_of_last30d: int | None = msgspec.field(default=None, name="avgCostTimestampOfLast30d")


class DownloadLink(Model):
    """State of a history download; ``url`` is set once ``status`` is completed."""

    download_id: str
    status: DownloadStatus
    url: str = ""
    notified: bool | None = None
    expiration_timestamp_ms: int | None = None
    expiration_timestamp = OptionalMsTime()
    is_expired: bool | None = None

    @property
    def ready(self) -> bool:
        """True once the file can be fetched."""
        return self.status is DownloadStatus.COMPLETED and bool(self.url)
