# GENERATED from binance_usdm/_async/core.py by scripts/gen_sync.py: do not edit.
"""The call pipeline's I/O: budget wait, time sync, send, sleep. What a failure means next is
decided by the sans-I/O :mod:`binance_usdm._wire.policy`."""

from __future__ import annotations

import time
from time import monotonic
from typing import Any, TypeVar

from binance_usdm._http.sync_transport import SyncHttpTransport
from binance_usdm._wire import endpoints
from binance_usdm._wire import validate as check
from binance_usdm._wire.clock import SYSTEM_CLOCK, LocalClock, ServerClock
from binance_usdm._wire.config import ClientConfig
from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.lazy_log import CLIENT_LOG as _log
from binance_usdm._wire.lazy_log import DEBUG
from binance_usdm._wire.limits import MAX_RECV_WINDOW
from binance_usdm._wire.policy import ACK_BODY, CallPolicy, Step, budget_refusal, too_late, within
from binance_usdm._wire.ratelimit import WeightLimiter
from binance_usdm._wire.requests import Query, build
from binance_usdm._wire.responses import answered, log_exchange, parse, unanswered
from binance_usdm._wire.types import SyncTransport, HttpResponse, Timeouts
from binance_usdm._wire.waits import Wait, WaitReason
from binance_usdm.errors import BinanceError, IpBannedError, TransportError
from binance_usdm.result import WebCallResult

R = TypeVar("R")


class Core:
    """Sends calls for one client. Retries only where resending cannot double an effect."""

    def __init__(
        self, config: ClientConfig, transport: SyncTransport | None = None, clock: LocalClock | None = None
    ) -> None:
        """``clock``: the local clock to read the time from and wait with (default: the system's)."""
        self.config = config
        if transport is None:
            transport = SyncHttpTransport(
                config.base_url, proxy=config.proxy, ssl_context=config.ssl_context,
                max_connections=config.max_connections or SyncHttpTransport.DEFAULT_MAX_CONNECTIONS,
                limits=config.limits,
            )
        self.transport: SyncTransport = transport
        self.clock = ServerClock(auto_sync=config.auto_time_sync, sync_interval=config.time_sync_interval,
                                 local=clock or SYSTEM_CLOCK)
        self.limiter = WeightLimiter(self.clock, config.weight_limit)  # counts in the minutes of ``clock``
        self._ban: IpBannedError | None = None

    def call(
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
        policy: CallPolicy | None = None  # made at the first failure
        failed: WebCallResult[R] | None = None  # the attempt a retry or time resync set out to improve on
        deadline = 0.0  # fixed once the weight budget admits the first attempt
        timeouts: Timeouts | None = config.timeouts
        while True:
            # the budget is almost always there: only a refused reservation goes the slow way
            if limiter.reserve(weight) > 0:
                refusal = self._wait_for_budget(endpoint, weight, deadline)
                if refusal is not None:
                    return unanswered(endpoint, refusal)
            if not deadline:
                deadline = monotonic() + config.timeouts.total
            else:  # a later attempt gets what is left of the call's total
                timeouts = within(config.timeouts, deadline, monotonic())
            if signed and clock.claim_sync():
                self.sync_time(deadline)
                timeouts = within(config.timeouts, deadline, monotonic())
            if timeouts is None:
                if failed is not None:  # a backoff or resync ran past the deadline: that failure stands
                    return failed
                return unanswered(endpoint, too_late(endpoint, config.timeouts.total))
            sent_ms = clock.timestamp_ms()
            request = build(
                endpoint, query, key_headers=config.key_headers, signer=config.signer,
                timestamp_ms=sent_ms, recv_window=recv_window,
            )
            response: HttpResponse | None = None
            attempt_began = monotonic()
            try:
                response = self.transport.send(request, timeouts)
            except TransportError as exc:
                exc.endpoint = endpoint.label
                error: BinanceError = exc
            else:
                limiter.observe(response.headers, sent_ms)
                result = parse(endpoint, response, clock)
                if _log.isEnabledFor(DEBUG):
                    log_exchange(request.method, request.target, response)
                if result.error is None:
                    return result
                error = result.error
            if policy is None:
                policy = CallPolicy(endpoint, config.retry, config.rate_limit, config.timeouts.total)
            now = monotonic()
            verdict = policy.after(error, now=now, deadline=deadline,
                                   answered_in=0.0 if response is None else now - attempt_began)
            if verdict.hold is not None:  # a 429 or 418: every call of this client waits
                limiter.block_for(verdict.hold)
                self._ban = verdict.ban
            step = verdict.step
            if step is Step.RETRY or step is Step.RESYNC:
                failed = unanswered(endpoint, error) if response is None else answered(endpoint, response, None, error)
            if step is Step.RETRY:
                if verdict.delay:
                    _log.debug("%s failed (%s); retry %d in %.2f s", endpoint.label, error.message,
                               policy.retries, verdict.delay)
                    if config.on_wait is not None:
                        config.on_wait(Wait("retry", verdict.delay, endpoint.label, error.message))
                    time.sleep(verdict.delay)
                continue
            if step is Step.RESYNC:
                self.sync_time(deadline)
                continue
            if response is None:
                return unanswered(endpoint, verdict.error or error)
            data = endpoint.parse(ACK_BODY) if step is Step.APPLIED else None
            return answered(endpoint, response, data, verdict.error)

    def sync_time(self, deadline: float = 0.0) -> None:
        """Measure the offset to the server's clock (kept as it was if the server does not answer).
        ``deadline`` (``time.monotonic()``): the end of the call that needs it."""
        config = self.config
        timeouts = within(config.timeouts, deadline, monotonic()) if deadline else config.timeouts
        if timeouts is None or self._wait_for_budget(
                endpoints.SERVER_TIME, endpoints.SERVER_TIME.weight, deadline):
            self.clock.invalidate()
            return
        request = build(
            endpoints.SERVER_TIME, "", key_headers=(), signer=None, timestamp_ms=0, recv_window=None
        )
        sent = self.clock.local_ms()
        sent_ms = int(sent + self.clock.offset_ms)  # the same moment on the server's clock
        try:
            response = self.transport.send(request, timeouts)
        except TransportError as exc:
            _log.debug("server time sync failed: %s", exc.message)
            self.clock.invalidate()
            return
        received = self.clock.local_ms()
        self.limiter.observe(response.headers, sent_ms)
        result = parse(endpoints.SERVER_TIME, response, self.clock)
        if result.data is None:
            self.clock.invalidate()
        else:
            self.clock.record(result.data, sent, received)

    def _wait_for_budget(self, endpoint: Endpoint[Any], weight: int, deadline: float) -> BinanceError | None:
        """Reserve ``weight``, waiting (rate_limit "wait") unless the wait would pass ``deadline`` (0: none)."""
        limiter = self.limiter
        while True:
            delay = limiter.reserve(weight)
            if delay <= 0:
                return None
            refusal = budget_refusal(
                endpoint, delay, mode=self.config.rate_limit, blocked_for=limiter.blocked_for, ban=self._ban,
                used=limiter.used, limit=limiter.limit, now=monotonic(), deadline=deadline,
            )
            if refusal is not None:
                return refusal
            _log.debug("%s waits %.2f s for request weight", endpoint.label, delay)
            if self.config.on_wait is not None:
                reason: WaitReason = "rate_limit" if limiter.blocked_for > 0 else "weight"
                self.config.on_wait(Wait(reason, delay, endpoint.label))
            time.sleep(self.clock.local.pass_time(delay))

    def close(self) -> None:
        self.transport.close()
