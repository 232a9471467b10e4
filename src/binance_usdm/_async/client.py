"""``AsyncBinanceRestClient``: the client object a program creates; its operations hang off ``usd_futures_api``."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from binance_usdm._async.account import AsyncAccountApi
from binance_usdm._async.core import AsyncCore
from binance_usdm._async.exchange_data import AsyncExchangeDataApi
from binance_usdm._wire.clock import LocalClock
from binance_usdm._wire.config import ClientConfig, RateLimitMode, RetryPolicy
from binance_usdm._wire.ratelimit import DEFAULT_WEIGHT_LIMIT
from binance_usdm._wire.types import AsyncTransport, Limits, Timeouts
from binance_usdm._wire.waits import WaitHook
from binance_usdm.closing import AsyncClosable

if TYPE_CHECKING:
    import ssl
    from pathlib import Path

    from binance_usdm._async.history import AsyncHistoryApi
    from binance_usdm._async.live_account import AsyncLiveAccount
    from binance_usdm._async.user_stream import AsyncUserDataStream


class AsyncUsdFuturesApi:
    """The USD-M futures API: ``account``, ``exchange_data`` and ``history``."""

    def __init__(self, core: AsyncCore) -> None:
        self._core = core
        self.account = AsyncAccountApi(core)
        self.exchange_data = AsyncExchangeDataApi(core)

    @cached_property
    def history(self) -> AsyncHistoryApi:
        """History at scale (paging, exports, downloads); imported on first use, which keeps a
        short-lived program such as ``usdm account`` from loading it."""
        from binance_usdm._async.history import AsyncHistoryApi

        return AsyncHistoryApi(self._core, self.account)


class AsyncBinanceRestClient(AsyncClosable):
    """Binance USD-M futures REST client.

    Credentials: ``api_key`` with ``api_secret`` (HMAC) or ``private_key`` (RSA/Ed25519 PEM text or
    path, ``private_key_passphrase`` if encrypted); otherwise ``BINANCE_API_KEY``,
    ``BINANCE_API_SECRET`` / ``BINANCE_PRIVATE_KEY`` from the environment. ``base_url`` points the
    client anywhere (e.g. the emulator); ``testnet=True`` selects Binance's futures testnet.
    ``clock`` (a ``LocalClock``; default the system clock) is what the client reads the time from
    and waits for request weight with: a virtual clock lets tests pass a rate-limit minute instantly.
    ``limits``: the largest answer taken and how long a pooled connection may idle (:class:`Limits`).

    ``transport``: any object implementing the transport contract (``AsyncTransport``, see
    :mod:`binance_usdm._wire.types`), e.g. ``binance_usdm.httpx_transport.AsyncHttpxTransport`` for
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
        transport: AsyncTransport | None = None,
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
        self._core = AsyncCore(self._config, transport, clock)
        self.usd_futures_api = AsyncUsdFuturesApi(self._core)

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

    def user_stream(self, **options: Any) -> AsyncUserDataStream:
        """The account's user data stream: typed events and lifecycle notices; it owns the listen key
        (options: see ``binance_usdm._async.user_stream.AsyncUserDataStream``)."""
        from binance_usdm._async.user_stream import AsyncUserDataStream

        return AsyncUserDataStream(self, **options)

    def live_account(self, **options: Any) -> AsyncLiveAccount:
        """The account mirrored live: a REST snapshot kept current by the user data stream
        (options: see ``binance_usdm._async.live_account.AsyncLiveAccount``)."""
        from binance_usdm._async.live_account import AsyncLiveAccount

        return AsyncLiveAccount(self, **options)

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._core.aclose()

    def __repr__(self) -> str:
        return f"AsyncBinanceRestClient({self._config.describe()})"
