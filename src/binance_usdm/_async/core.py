"""The call pipeline: budget, time sync, build, send, parse, and the retry policy."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, TypeVar

from binance_usdm._http import AsyncHttpTransport
from binance_usdm._http.types import AsyncTransport, HttpResponse
from binance_usdm._wire import endpoints
from binance_usdm._wire.clock import local_ms
from binance_usdm._wire.config import ClientConfig
from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.requests import Params, build, redact
from binance_usdm._wire.responses import parse
from binance_usdm.errors import (
    ApiError,
    BinanceError,
    ClientRateLimitError,
    IpBannedError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TimestampError,
    TransportError,
)
from binance_usdm.result import WebCallResult

R = TypeVar("R")

_log = logging.getLogger("binance_usdm")
_ACK_BODY = b'{"code":200,"msg":"success"}'
_LONGEST_BUDGET_WAIT = 61.0  # a minute boundary; anything longer is a ban and is reported instead


class AsyncCore:
    """Sends calls for one client. Retries only where resending cannot double an effect."""

    def __init__(self, config: ClientConfig, transport: AsyncTransport | None = None) -> None:
        self.config = config
        self.transport: AsyncTransport = transport or AsyncHttpTransport(
            config.base_url, proxy=config.proxy, ssl_context=config.ssl_context
        )
        self._ban: IpBannedError | None = None

    async def call(
        self,
        endpoint: Endpoint[R],
        params: Params,
        recv_window: int | None = None,
        weight: int | None = None,
    ) -> WebCallResult[R]:
        """Run one operation and return its result (never raises for API or transport failures)."""
        config = self.config
        policy = config.retry
        limiter = config.limiter
        clock = config.clock
        signed = endpoint.security.signed
        weight = weight or endpoint.weight
        if recv_window is None:
            recv_window = config.recv_window
        attempt = 0
        resynced = False
        maybe_applied = False
        while True:
            # the budget is almost always there: only a refused reservation goes the slow way
            if limiter.reserve(weight) > 0:
                refusal = await self._wait_for_budget(endpoint, weight)
                if refusal is not None:
                    return _failure(endpoint, refusal)
            if signed and clock.claim_sync():
                await self.sync_time()
            request = build(
                endpoint, params, api_key=config.api_key, signer=config.signer,
                timestamp_ms=clock.timestamp_ms(), recv_window=recv_window,
            )
            try:
                response = await self.transport.send(request, config.timeouts)
            except TransportError as exc:
                exc.endpoint = endpoint.label
                may_resend = not exc.request_sent or endpoint.retry_safe
                if attempt < policy.max_retries and may_resend:
                    attempt += 1
                    maybe_applied = maybe_applied or exc.request_sent
                    _log.debug("%s failed (%s); retry %d", endpoint.label, exc.message, attempt)
                    await asyncio.sleep(policy.delay(attempt))
                    continue
                if exc.request_sent and not endpoint.retry_safe:
                    return _failure(endpoint, _unknown_outcome(endpoint, exc.message))
                return _failure(endpoint, exc)
            limiter.observe(response.headers)
            result = parse(endpoint, response)
            if _log.isEnabledFor(logging.DEBUG):
                _log_exchange(request.method, request.target, response)
            error = result.error
            if error is None:
                return result
            if isinstance(error, TimestampError) and not resynced and signed:
                resynced = True
                await self.sync_time()
                continue
            if isinstance(error, RateLimitError):
                self._hold(error)
                wait = error.retry_after or 0.0
                if (
                    not isinstance(error, IpBannedError)
                    and attempt < policy.max_retries
                    and wait <= policy.max_retry_after
                ):
                    attempt += 1
                    continue  # a 429 was refused before execution: resending is safe
                return result
            if isinstance(error, ServerError):
                if endpoint.retry_safe and attempt < policy.max_retries:
                    attempt += 1
                    maybe_applied = True
                    await asyncio.sleep(policy.delay(attempt))
                    continue
                if not endpoint.retry_safe and not isinstance(error, OutcomeUnknownError):
                    return _failure(endpoint, _unknown_outcome(endpoint, error.message), response)
                return result
            if maybe_applied and isinstance(error, ApiError) and error.code in endpoint.already_applied:
                # an earlier attempt that looked lost did apply the setting
                return _success(endpoint, endpoint.parse(_ACK_BODY), response)
            return result

    async def sync_time(self) -> None:
        """Measure the offset to the server's clock (kept as it was if the server does not answer)."""
        config = self.config
        await self._wait_for_budget(endpoints.SERVER_TIME, endpoints.SERVER_TIME.weight)
        request = build(
            endpoints.SERVER_TIME, [], api_key=None, signer=None, timestamp_ms=0, recv_window=None
        )
        sent = local_ms()
        try:
            response = await self.transport.send(request, config.timeouts)
        except TransportError as exc:
            _log.debug("server time sync failed: %s", exc.message)
            config.clock.invalidate()
            return
        received = local_ms()
        config.limiter.observe(response.headers)
        result = parse(endpoints.SERVER_TIME, response)
        if result.data is None:
            config.clock.invalidate()
        else:
            config.clock.record(result.data, sent, received)

    def _hold(self, error: RateLimitError) -> None:
        """Stop sending until a 429's Retry-After or a 418's ban has passed."""
        seconds = error.retry_after
        if isinstance(error, IpBannedError) and error.banned_until is not None:
            seconds = max(seconds or 0.0, (error.banned_until - datetime.now(UTC)).total_seconds())
        self.config.limiter.block_for(seconds if seconds is not None else 60.0)
        self._ban = error if isinstance(error, IpBannedError) else None

    async def _wait_for_budget(self, endpoint: Endpoint[Any], weight: int) -> BinanceError | None:
        limiter = self.config.limiter
        while True:
            delay = limiter.reserve(weight)
            if delay <= 0:
                return None
            ban = self._ban
            if ban is not None and limiter.blocked_for > 0:
                return IpBannedError(
                    ban.code, f"{ban.msg} (no request sent while the ban lasts)", status_code=ban.status_code,
                    retry_after=limiter.blocked_for, banned_until=ban.banned_until, endpoint=endpoint.label,
                )
            if self.config.rate_limit == "fail" or delay > _LONGEST_BUDGET_WAIT:
                return ClientRateLimitError(
                    f"request weight budget exhausted ({limiter.used}/{limiter.limit} this minute); "
                    f"retry in {delay:.1f} s",
                    retry_after=delay, endpoint=endpoint.label,
                )
            _log.debug("%s waits %.2f s for request weight", endpoint.label, delay)
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        await self.transport.aclose()


def _unknown_outcome(endpoint: Endpoint[Any], cause: str) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        0,
        f"{cause}; the request may or may not have been applied — check the state before resending",
        status_code=0, endpoint=endpoint.label,
    )


def _failure(
    endpoint: Endpoint[R], error: BinanceError, response: HttpResponse | None = None
) -> WebCallResult[R]:
    if response is None:
        return WebCallResult(data=None, error=error, endpoint=endpoint.path, request_method=endpoint.method)
    return WebCallResult(
        data=None, error=error, endpoint=endpoint.path, request_method=endpoint.method,
        status_code=response.status, headers=response.headers, elapsed=response.elapsed,
    )


def _success(endpoint: Endpoint[R], data: R, response: HttpResponse) -> WebCallResult[R]:
    return WebCallResult(
        data=data, error=None, endpoint=endpoint.path, request_method=endpoint.method,
        status_code=response.status, headers=response.headers, elapsed=response.elapsed,
    )


def _log_exchange(method: str, target: str, response: HttpResponse) -> None:
    _log.debug(
        "%s %s -> %d (weight used %s) in %.1f ms", method, redact(target), response.status,
        response.headers.get("x-mbx-used-weight-1m", "?"), response.elapsed * 1000,
    )
