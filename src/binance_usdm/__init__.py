"""binance-usdm: typed, fast Binance USD-M futures account client, emulator and CLI.

    from binance_usdm import BinanceRestClient
    with BinanceRestClient(api_key=..., api_secret=...) as client:
        result = client.usd_futures_api.account.get_account_info()
        if result.success:
            print(result.data.total_wallet_balance)
"""

from typing import TYPE_CHECKING

from binance_usdm._lazy import lazy_names
from binance_usdm._version import __version__

if TYPE_CHECKING:
    from binance_usdm._async.account import AsyncAccountApi
    from binance_usdm._async.client import AsyncBinanceRestClient
    from binance_usdm._async.history import AsyncHistoryApi
    from binance_usdm._async.live_account import AsyncLiveAccount
    from binance_usdm._async.user_stream import AsyncUserDataStream
    from binance_usdm._sync.account import AccountApi
    from binance_usdm._sync.client import BinanceRestClient
    from binance_usdm._sync.history import HistoryApi
    from binance_usdm._sync.live_account import LiveAccount
    from binance_usdm._sync.user_stream import UserDataStream
    from binance_usdm._wire.clock import LocalClock
    from binance_usdm._wire.config import LIVE_URL, TESTNET_URL, RetryPolicy
    from binance_usdm._wire.types import AsyncTransport, HttpRequest, HttpResponse, Limits, SyncTransport, Timeouts
    from binance_usdm._wire.waits import Wait
    from binance_usdm.enums import (
        DownloadStatus,
        HistoryKind,
        IncomeType,
        MarginChangeDirection,
        MarginDeltaType,
        MarginType,
        PositionSide,
        TradingIndicator,
    )
    from binance_usdm.errors import (
        ApiError,
        AuthenticationError,
        BinanceError,
        CertificateError,
        ClientRateLimitError,
        ConnectError,
        DownloadError,
        DownloadQuotaExceeded,
        DownloadTimeout,
        InvalidRequestError,
        IpBannedError,
        OutcomeUnknownError,
        RateLimitError,
        RequestTimeout,
        ResponseParseError,
        ResponseValueError,
        ServerError,
        TimestampError,
        TransportError,
        ValidationError,
    )
    from binance_usdm.result import WebCallResult
    from binance_usdm.streams import AsyncListenKeyKeeper, ListenKeyKeeper

_EXPORTS = {
    "binance_usdm._async.account": ("AsyncAccountApi",),
    "binance_usdm._async.client": ("AsyncBinanceRestClient",),
    "binance_usdm._async.history": ("AsyncHistoryApi",),
    "binance_usdm._async.live_account": ("AsyncLiveAccount",),
    "binance_usdm._async.user_stream": ("AsyncUserDataStream",),
    "binance_usdm._sync.account": ("AccountApi",),
    "binance_usdm._sync.client": ("BinanceRestClient",),
    "binance_usdm._sync.history": ("HistoryApi",),
    "binance_usdm._sync.live_account": ("LiveAccount",),
    "binance_usdm._sync.user_stream": ("UserDataStream",),
    "binance_usdm._wire.clock": ("LocalClock",),
    "binance_usdm._wire.config": ("LIVE_URL", "TESTNET_URL", "RetryPolicy"),
    "binance_usdm._wire.types": (
        "AsyncTransport",
        "HttpRequest",
        "HttpResponse",
        "Limits",
        "SyncTransport",
        "Timeouts",
    ),
    "binance_usdm._wire.waits": ("Wait",),
    "binance_usdm.enums": (
        "DownloadStatus",
        "HistoryKind",
        "IncomeType",
        "MarginChangeDirection",
        "MarginDeltaType",
        "MarginType",
        "PositionSide",
        "TradingIndicator",
    ),
    "binance_usdm.errors": (
        "ApiError",
        "AuthenticationError",
        "BinanceError",
        "CertificateError",
        "ClientRateLimitError",
        "ConnectError",
        "DownloadError",
        "DownloadQuotaExceeded",
        "DownloadTimeout",
        "InvalidRequestError",
        "IpBannedError",
        "OutcomeUnknownError",
        "RateLimitError",
        "RequestTimeout",
        "ResponseParseError",
        "ResponseValueError",
        "ServerError",
        "TimestampError",
        "TransportError",
        "ValidationError",
    ),
    "binance_usdm.result": ("WebCallResult",),
    "binance_usdm.streams": ("AsyncListenKeyKeeper", "ListenKeyKeeper"),
}
"""Each public name's module: imported on first use (``import binance_usdm`` alone loads none)."""

__getattr__, __dir__ = lazy_names(globals(), _EXPORTS)

__all__ = [
    "LIVE_URL",
    "TESTNET_URL",
    "AccountApi",
    "ApiError",
    "AsyncAccountApi",
    "AsyncBinanceRestClient",
    "AsyncHistoryApi",
    "AsyncListenKeyKeeper",
    "AsyncLiveAccount",
    "AsyncTransport",
    "AsyncUserDataStream",
    "AuthenticationError",
    "BinanceError",
    "BinanceRestClient",
    "CertificateError",
    "ClientRateLimitError",
    "ConnectError",
    "DownloadError",
    "DownloadQuotaExceeded",
    "DownloadStatus",
    "DownloadTimeout",
    "HistoryApi",
    "HistoryKind",
    "HttpRequest",
    "HttpResponse",
    "IncomeType",
    "InvalidRequestError",
    "IpBannedError",
    "Limits",
    "ListenKeyKeeper",
    "LiveAccount",
    "LocalClock",
    "MarginChangeDirection",
    "MarginDeltaType",
    "MarginType",
    "OutcomeUnknownError",
    "PositionSide",
    "RateLimitError",
    "RequestTimeout",
    "ResponseParseError",
    "ResponseValueError",
    "RetryPolicy",
    "ServerError",
    "SyncTransport",
    "Timeouts",
    "TimestampError",
    "TradingIndicator",
    "TransportError",
    "UserDataStream",
    "ValidationError",
    "Wait",
    "WebCallResult",
    "__version__",
]
