"""The call pipeline: budget, time sync, build, send, parse, and the retry policy."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from time import monotonic
from typing import Any, TypeVar

from binance_usdm._http import AsyncHttpTransport
from binance_usdm._wire import endpoints
from binance_usdm._wire import validate as check
from binance_usdm._wire.clock import ServerClock, local_ms
from binance_usdm._wire.config import ClientConfig
from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.limits import MAX_RECV_WINDOW
from binance_usdm._wire.ratelimit import WeightLimiter
from binance_usdm._wire.requests import Query, build, redact
from binance_usdm._wire.responses import answered, parse
from binance_usdm._wire.types import AsyncTransport, HttpResponse, Timeouts
from binance_usdm.errors import (
    ApiError,
    BinanceError,
    ClientRateLimitError,
    IpBannedError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeout,
    ResponseParseError,
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
        if transport is None:
            transport = AsyncHttpTransport(
                config.base_url, proxy=config.proxy, ssl_context=config.ssl_context,
                max_connections=config.max_connections or AsyncHttpTransport.DEFAULT_MAX_CONNECTIONS,
            )
        self.transport: AsyncTransport = transport
        self.clock = ServerClock(auto_sync=config.auto_time_sync, sync_interval=config.time_sync_interval)
        self.limiter = WeightLimiter(self.clock, config.weight_limit)  # counts in the minutes of ``clock``
        self._ban: IpBannedError | None = None

    async def call(
        self,
        endpoint: Endpoint[R],
        query: Query,
        recv_window: int | None = None,
        weight: int | None = None,
    ) -> WebCallResult[R]:
        """Run one operation and return its result (never raises for API or transport failures;
        a bad ``recv_window`` raises ``ValidationError`` before anything is sent).

        ``timeouts.total`` bounds the call from its first send: every attempt, backoff, Retry-After
        wait and time resync fits in it. A wait for the client's own weight budget comes before it.
        """
        config = self.config
        limiter = self.limiter
        clock = self.clock
        signed = endpoint.signed
        weight = weight or endpoint.weight
        if recv_window is None:
            recv_window = config.recv_window
        else:
            check.integer(recv_window, "receive_window", 1, MAX_RECV_WINDOW)
        attempt = 0
        resynced = False
        maybe_applied = False
        deadline = 0.0  # fixed once the weight budget admits the first attempt
        timeouts: Timeouts | None = config.timeouts
        while True:
            # the budget is almost always there: only a refused reservation goes the slow way
            if limiter.reserve(weight) > 0:
                refusal = await self._wait_for_budget(endpoint, weight, deadline)
                if refusal is not None:
                    return _failure(endpoint, refusal)
            if not deadline:
                deadline = monotonic() + config.timeouts.total
            else:  # a later attempt gets what is left of the call's total
                timeouts = _within(config.timeouts, deadline)
            if signed and clock.claim_sync():
                await self.sync_time(deadline)
                timeouts = _within(config.timeouts, deadline)
            if timeouts is None:
                return _failure(endpoint, _late(endpoint, config.timeouts.total))
            sent_ms = clock.timestamp_ms()
            request = build(
                endpoint, query, key_headers=config.key_headers, signer=config.signer,
                timestamp_ms=sent_ms, recv_window=recv_window,
            )
            try:
                response = await self.transport.send(request, timeouts)
            except TransportError as exc:
                exc.endpoint = endpoint.label
                if exc.request_sent and not endpoint.retry_safe:
                    return _failure(endpoint, _unknown_outcome(endpoint, exc.message))
                delay = self._backoff(attempt, deadline)
                if delay is None:
                    return _failure(endpoint, exc)
                attempt += 1
                maybe_applied = maybe_applied or exc.request_sent
                _log.debug("%s failed (%s); retry %d in %.2f s", endpoint.label, exc.message, attempt, delay)
                await asyncio.sleep(delay)
                continue
            limiter.observe(response.headers, sent_ms)
            result = parse(endpoint, response)
            if _log.isEnabledFor(logging.DEBUG):
                _log_exchange(request.method, request.target, response)
            error = result.error
            if error is None:
                return result
            if isinstance(error, TimestampError) and not resynced and signed:
                resynced = True
                await self.sync_time(deadline)
                continue
            if isinstance(error, RateLimitError):
                self._hold(error)
                wait = error.retry_after or 0.0
                policy = config.retry
                if (
                    not isinstance(error, IpBannedError)
                    and config.rate_limit == "wait"
                    and attempt < policy.max_retries
                    and wait <= policy.max_retry_after
                    and monotonic() + wait < deadline
                ):
                    attempt += 1
                    continue  # a 429 was refused before execution: resending is safe
                return result
            if isinstance(error, ServerError | ResponseParseError):  # the answer was lost or garbled
                if not endpoint.retry_safe:
                    if isinstance(error, OutcomeUnknownError):
                        return result
                    return answered(endpoint, response, None, _unknown_outcome(endpoint, error.message))
                maybe_applied = True
                delay = self._backoff(attempt, deadline)
                if delay is None:
                    return result
                attempt += 1
                _log.debug("%s failed (%s); retry %d in %.2f s", endpoint.label, error.message, attempt, delay)
                await asyncio.sleep(delay)
                continue
            if maybe_applied and isinstance(error, ApiError) and error.code in endpoint.already_applied:
                # an earlier attempt that looked lost did apply the setting
                return answered(endpoint, response, endpoint.parse(_ACK_BODY), None)
            return result

    async def sync_time(self, deadline: float = 0.0) -> None:
        """Measure the offset to the server's clock (kept as it was if the server does not answer).
        ``deadline`` (``time.monotonic()``): the end of the call that needs it."""
        config = self.config
        timeouts = _within(config.timeouts, deadline) if deadline else config.timeouts
        if timeouts is None or await self._wait_for_budget(
                endpoints.SERVER_TIME, endpoints.SERVER_TIME.weight, deadline):
            self.clock.invalidate()
            return
        request = build(
            endpoints.SERVER_TIME, "", key_headers=(), signer=None, timestamp_ms=0, recv_window=None
        )
        sent = local_ms()
        sent_ms = int(sent + self.clock.offset_ms)  # the same moment on the server's clock
        try:
            response = await self.transport.send(request, timeouts)
        except TransportError as exc:
            _log.debug("server time sync failed: %s", exc.message)
            self.clock.invalidate()
            return
        received = local_ms()
        self.limiter.observe(response.headers, sent_ms)
        result = parse(endpoints.SERVER_TIME, response)
        if result.data is None:
            self.clock.invalidate()
        else:
            self.clock.record(result.data, sent, received)

    def _backoff(self, attempt: int, deadline: float) -> float | None:
        """The pause before the next retry; None when no retry is left or it would end past the deadline."""
        policy = self.config.retry
        if attempt >= policy.max_retries:
            return None
        delay = policy.delay(attempt + 1)
        return delay if monotonic() + delay < deadline else None

    def _hold(self, error: RateLimitError) -> None:
        """Stop sending until a 429's Retry-After or a 418's ban has passed."""
        seconds = error.retry_after
        if isinstance(error, IpBannedError) and error.banned_until is not None:
            seconds = max(seconds or 0.0, (error.banned_until - datetime.now(UTC)).total_seconds())
        self.limiter.block_for(seconds if seconds is not None else 60.0)
        self._ban = error if isinstance(error, IpBannedError) else None

    async def _wait_for_budget(self, endpoint: Endpoint[Any], weight: int, deadline: float) -> BinanceError | None:
        """Reserve ``weight``, waiting (rate_limit "wait") unless the wait would pass ``deadline`` (0: none)."""
        limiter = self.limiter
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
            if (
                self.config.rate_limit == "fail"
                or delay > _LONGEST_BUDGET_WAIT
                or (deadline and monotonic() + delay >= deadline)
            ):
                if limiter.blocked_for > 0:
                    why = f"calls are held after a 429 (Retry-After); retry in {delay:.1f} s"
                else:
                    why = (f"request weight budget exhausted ({limiter.used}/{limiter.limit} this minute); "
                           f"retry in {delay:.1f} s")
                return ClientRateLimitError(why, retry_after=delay, endpoint=endpoint.label)
            _log.debug("%s waits %.2f s for request weight", endpoint.label, delay)
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        await self.transport.aclose()


def _within(timeouts: Timeouts, deadline: float) -> Timeouts | None:
    """``timeouts`` with ``total`` cut to what is left before ``deadline``; None when nothing is left."""
    left = deadline - monotonic()
    return Timeouts(timeouts.connect, timeouts.read, left) if left > 0 else None


def _late(endpoint: Endpoint[Any], total: float) -> RequestTimeout:
    return RequestTimeout(
        f"no time left to send the request within the total timeout of {total:g} s",
        request_sent=False, endpoint=endpoint.label,
    )


def _unknown_outcome(endpoint: Endpoint[Any], cause: str) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        0,
        f"{cause}; the request may or may not have been applied — check the state before resending",
        status_code=0, endpoint=endpoint.label,
    )


def _failure(endpoint: Endpoint[R], error: BinanceError) -> WebCallResult[R]:
    """A call that ended without an answer to report."""
    return WebCallResult(data=None, error=error, endpoint=endpoint.path, request_method=endpoint.method)


def _log_exchange(method: str, target: str, response: HttpResponse) -> None:
    _log.debug(
        "%s %s -> %d (weight used %s) in %.1f ms", method, redact(target), response.status,
        response.headers.get("x-mbx-used-weight-1m", "?"), response.elapsed * 1000,
    )
