"""binance-usdm: typed, fast Binance USD-M futures account client, emulator and CLI.

    from binance_usdm import BinanceRestClient
    with BinanceRestClient(api_key=..., api_secret=...) as client:
        result = client.usd_futures_api.account.get_account_info()
        if result.success:
            print(result.data.total_wallet_balance)
"""

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
from binance_usdm._version import __version__
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
