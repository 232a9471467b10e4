# GENERATED from binance_usdm/_async/client.py by scripts/gen_sync.py: do not edit.
"""``BinanceRestClient``: the client object a program creates; its operations hang off ``usd_futures_api``."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from binance_usdm._sync.account import AccountApi
from binance_usdm._sync.core import Core
from binance_usdm._sync.exchange_data import ExchangeDataApi
from binance_usdm._wire.clock import LocalClock
from binance_usdm._wire.config import ClientConfig, RateLimitMode, RetryPolicy
from binance_usdm._wire.ratelimit import DEFAULT_WEIGHT_LIMIT
from binance_usdm._wire.types import SyncTransport, Limits, Timeouts
from binance_usdm._wire.waits import WaitHook
from binance_usdm.closing import Closable

if TYPE_CHECKING:
    import ssl
    from pathlib import Path

    from binance_usdm._sync.history import HistoryApi
    from binance_usdm._sync.live_account import LiveAccount
    from binance_usdm._sync.user_stream import UserDataStream


class UsdFuturesApi:
    """The USD-M futures API: ``account``, ``exchange_data`` and ``history``."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self.account = AccountApi(core)
        self.exchange_data = ExchangeDataApi(core)

    @cached_property
    def history(self) -> HistoryApi:
        """History at scale (paging, exports, downloads); imported on first use, which keeps a
        short-lived program such as ``usdm account`` from loading it."""
        from binance_usdm._sync.history import HistoryApi

        return HistoryApi(self._core, self.account)


class BinanceRestClient(Closable):
    """Binance USD-M futures REST client.

    Credentials: ``api_key`` with ``api_secret`` (HMAC) or ``private_key`` (RSA/Ed25519 PEM text or
    path, ``private_key_passphrase`` if encrypted); otherwise ``BINANCE_API_KEY``,
    ``BINANCE_API_SECRET`` / ``BINANCE_PRIVATE_KEY`` from the environment. ``base_url`` points the
    client anywhere (e.g. the emulator); ``testnet=True`` selects Binance's futures testnet.
    ``clock`` (a ``LocalClock``; default the system clock) is what the client reads the time from
    and waits for request weight with: a virtual clock lets tests pass a rate-limit minute instantly.
    ``limits``: the largest answer taken and how long a pooled connection may idle (:class:`Limits`).

    ``transport``: any object implementing the transport contract (``SyncTransport``, see
    :mod:`binance_usdm._wire.types`), e.g. ``binance_usdm.httpx_transport.HttpxTransport`` for
    HTTP/2, SOCKS or recording; it talks to its own base URL and is closed with the client. By
    default the client's own HTTP/1.1 transport, configured by ``proxy``, ``ssl_context``,
    ``max_connections`` and ``limits`` (which a given transport does not take).

    ``on_wait`` is told (a ``Wait``) before the client pauses a call: for the weight budget, after a
    429/418, or before a retry.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        private_key: str | bytes | Path | None = None,
        private_key_passphrase: str | bytes | None = None,
        base_url: str | None = None,
        testnet: bool = False,
        recv_window: int | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        auto_time_sync: bool = True,
        time_sync_interval: float = 3600.0,
        rate_limit: RateLimitMode = "wait",
        weight_limit: int = DEFAULT_WEIGHT_LIMIT,
        proxy: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int | None = None,
        limits: Limits | None = None,
        transport: SyncTransport | None = None,
        clock: LocalClock | None = None,
        on_wait: WaitHook | None = None,
    ) -> None:
        self._config = ClientConfig.create(
            api_key=api_key, api_secret=api_secret, private_key=private_key,
            private_key_passphrase=private_key_passphrase, base_url=base_url, testnet=testnet,
            recv_window=recv_window, timeouts=timeouts, retry=retry, auto_time_sync=auto_time_sync,
            time_sync_interval=time_sync_interval, rate_limit=rate_limit, weight_limit=weight_limit,
            proxy=proxy, ssl_context=ssl_context, max_connections=max_connections, limits=limits,
            transport_given=transport is not None,
            on_wait=on_wait,
        )
        self._core = Core(self._config, transport, clock)
        self.usd_futures_api = UsdFuturesApi(self._core)

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def used_weight(self) -> int:
        """Request weight counted in the current minute."""
        return self._core.limiter.used

    @property
    def time_offset_ms(self) -> float:
        """Measured offset of the server's clock from ours."""
        return self._core.clock.offset_ms

    def user_stream(self, **options: Any) -> UserDataStream:
        """The account's user data stream: typed events and lifecycle notices; it owns the listen key
        (options: see ``binance_usdm._sync.user_stream.UserDataStream``)."""
        from binance_usdm._sync.user_stream import UserDataStream

        return UserDataStream(self, **options)

    def live_account(self, **options: Any) -> LiveAccount:
        """The account mirrored live: a REST snapshot kept current by the user data stream
        (options: see ``binance_usdm._sync.live_account.LiveAccount``)."""
        from binance_usdm._sync.live_account import LiveAccount

        return LiveAccount(self, **options)

    def close(self) -> None:
        """Close pooled connections."""
        self._core.close()

    def __repr__(self) -> str:
        return f"BinanceRestClient({self._config.describe()})"
