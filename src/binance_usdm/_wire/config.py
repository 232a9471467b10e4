"""Client configuration shared by the sync and async clients: environment, credentials, policies.

Immutable once created; what changes while a client runs (the server clock's offset, the weight
budget) lives in :class:`~binance_usdm._wire.clock.ServerClock` and
:class:`~binance_usdm._wire.ratelimit.WeightLimiter`, owned by the client's core."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

import msgspec

from binance_usdm._wire import validate as check
from binance_usdm._wire.limits import MAX_RECV_WINDOW
from binance_usdm._wire.signing import HmacSigner, Signer, load_private_key_signer
from binance_usdm._wire.types import Limits, Secret, Timeouts
from binance_usdm._wire.urls import Origin, ProxyConfig
from binance_usdm._wire.waits import WaitHook
from binance_usdm.errors import ValidationError

if TYPE_CHECKING:
    import ssl
    from pathlib import Path

LIVE_URL = "https://fapi.binance.com"
TESTNET_URL = "https://testnet.binancefuture.com"

RateLimitMode = Literal["wait", "fail"]


class RetryPolicy(msgspec.Struct, frozen=True):
    """Exponential backoff with full jitter, applied only where a resend is safe."""

    max_retries: int = 2
    backoff_base: float = 0.25
    backoff_max: float = 4.0
    max_retry_after: float = 10.0  # wait out a 429's Retry-After up to this long, else report it

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValidationError("retry", f"max_retries must be an integer >= 0, got {self.max_retries!r}")
        for name in ("backoff_base", "backoff_max", "max_retry_after"):
            check.seconds(getattr(self, name), name, zero=True, option="retry")

    def delay(self, attempt: int) -> float:
        """Seconds to sleep before retry number ``attempt`` (1-based)."""
        from random import uniform  # a retry's first need: start-up without it (bench_startup.py)

        return uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))



class ClientConfig(msgspec.Struct, frozen=True):
    """Everything a client is configured with (its transport aside). Built by ``ClientConfig.create``."""

    base_url: str
    api_key: str | None
    signer: Signer | None
    recv_window: int | None
    timeouts: Timeouts
    retry: RetryPolicy
    rate_limit: RateLimitMode
    proxy: str | None
    ssl_context: ssl.SSLContext | None
    max_connections: int | None
    limits: Limits
    auto_time_sync: bool
    time_sync_interval: float
    weight_limit: int
    on_wait: WaitHook | None = None
    # the API key header, one tuple for every call (the transport encodes it once)
    key_headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def create(
        cls,
        *,
        api_key: str | None,
        api_secret: str | None,
        private_key: str | bytes | Path | None,
        private_key_passphrase: str | bytes | None,
        base_url: str | None,
        testnet: bool,
        recv_window: int | None,
        timeouts: Timeouts | None,
        retry: RetryPolicy | None,
        auto_time_sync: bool,
        time_sync_interval: float,
        rate_limit: RateLimitMode,
        weight_limit: int,
        proxy: str | None,
        ssl_context: ssl.SSLContext | None,
        max_connections: int | None = None,
        limits: Limits | None = None,
        transport_given: bool = False,
        on_wait: WaitHook | None = None,
    ) -> ClientConfig:
        """Resolve arguments, falling back to ``BINANCE_API_KEY``, ``BINANCE_API_SECRET``,
        ``BINANCE_PRIVATE_KEY`` (path or PEM) and ``BINANCE_PRIVATE_KEY_PASSPHRASE``."""
        if api_key is None:
            api_key = os.environ.get("BINANCE_API_KEY") or None
        if api_secret is None and private_key is None:
            api_secret = os.environ.get("BINANCE_API_SECRET") or None
            private_key = os.environ.get("BINANCE_PRIVATE_KEY") or None
            if private_key_passphrase is None:
                private_key_passphrase = os.environ.get("BINANCE_PRIVATE_KEY_PASSPHRASE") or None
        if api_secret is not None and private_key is not None:
            raise ValidationError("private_key", "give either api_secret (HMAC) or private_key, not both")
        if api_key is not None and not (api_key.isascii() and api_key.isprintable() and " " not in api_key):
            # checked here, not when the first request is built; the key itself is never repeated
            raise ValidationError("api_key", "must be printable ASCII without spaces (check for a stray newline)")
        signer: Signer | None = None
        if api_secret is not None:
            signer = HmacSigner(api_secret)
        elif private_key is not None:
            signer = load_private_key_signer(private_key, private_key_passphrase)
        if recv_window is not None:
            check.integer(recv_window, "recv_window", 1, MAX_RECV_WINDOW)
        if rate_limit not in ("wait", "fail"):
            raise ValidationError("rate_limit", f"must be 'wait' or 'fail', got {rate_limit!r}")
        if transport_given and any(option is not None for option in (proxy, ssl_context, max_connections, limits)):
            raise ValidationError(
                "transport", "proxy, ssl_context, max_connections and limits configure the built-in transport; "
                "configure the transport you give instead",
            )
        if max_connections is not None and max_connections < 1:
            raise ValidationError("max_connections", f"must be at least 1, got {max_connections}")
        if weight_limit <= 0:
            raise ValidationError("weight_limit", f"must be positive, got {weight_limit}")
        check.seconds(time_sync_interval, "time_sync_interval")
        url = (base_url or (TESTNET_URL if testnet else LIVE_URL)).rstrip("/")
        try:
            Origin.parse(url)
        except ValueError as exc:  # the message never repeats the URL (it may hold credentials)
            raise ValidationError("base_url", str(exc).removeprefix("base_url ")) from None
        try:
            if proxy:
                ProxyConfig.parse(proxy)
        except ValueError as exc:  # nor the proxy URL
            raise ValidationError("proxy", str(exc)) from None
        return cls(
            base_url=url,
            api_key=api_key,
            signer=signer,
            recv_window=recv_window,
            timeouts=timeouts or Timeouts(),
            retry=retry or RetryPolicy(),
            rate_limit=rate_limit,
            proxy=proxy,
            ssl_context=ssl_context,
            max_connections=max_connections,
            limits=limits or Limits(),
            auto_time_sync=auto_time_sync,
            time_sync_interval=time_sync_interval,
            weight_limit=weight_limit,
            on_wait=on_wait,
            key_headers=(("X-MBX-APIKEY", Secret(api_key)),) if api_key else (),
        )

    def __repr__(self) -> str:
        return f"ClientConfig({self.describe()})"

    def describe(self) -> str:
        """A one-line description without secrets, for ``repr``."""
        key = f"{self.api_key[:4]}…" if self.api_key else None
        auth = self.signer.kind if self.signer else "none"
        return f"base_url={self.base_url!r}, api_key={key!r}, auth={auth}"
