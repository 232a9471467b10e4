"""The call policy: after a failed attempt, what the call does next. Sans-I/O: the clients' cores send,
sleep and read the clocks, and ask this module what a failure means.

    (attempt so far, outcome, endpoint) -> retry after a delay | resync the clock, then retry
                                           | report the error | unknown outcome | already applied

Resending is decided by the endpoint's ``retry_safe`` (reads, and settings that set an absolute
value): a request that moves money is never resent once it may have reached Binance. A 429 was
refused before execution (Binance: "a 429 will be returned when either rate limit is violated"), so
it is resent after its ``Retry-After`` when that fits; a 418 ban is reported. Every wait fits in the
call's total deadline. How long a 429 or 418 holds the client is the error's ``retry_after``
(``binance_usdm._wire.responses`` reads it from the answer and caps it). https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import msgspec

from binance_usdm._wire.config import RateLimitMode, RetryPolicy
from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.types import Timeouts
from binance_usdm.errors import (
    ApiError,
    BinanceError,
    CertificateError,
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

#: The body of Binance's plain acknowledgement, the answer an already-applied setting stands for.
ACK_BODY = b'{"code":200,"msg":"success"}'
#: The longest wait for the client's own weight budget: a minute boundary (anything longer is a ban).
LONGEST_BUDGET_WAIT = 61.0
#: How long to hold every call after a 429 that names no Retry-After.
DEFAULT_HOLD = 60.0


class Step(Enum):
    """What the call does after a failed attempt."""

    RETRY = "retry"  # send again after ``delay`` seconds (a 429's wait runs through the weight budget)
    RESYNC = "resync"  # measure the server's clock, then send again
    REPORT = "report"  # end with ``error``: the answer's own, or the last failure
    UNKNOWN = "unknown"  # end with ``error``: the request may have been applied; nothing is resent
    APPLIED = "applied"  # end with success: an earlier attempt that looked lost did apply the setting


class Next(msgspec.Struct, frozen=True):
    """The policy's verdict. ``hold``: seconds to hold every call of the client first (a 429's
    Retry-After, a 418's ban), ``ban``: the 418 that set it (None after any other answer)."""

    step: Step
    delay: float = 0.0
    error: BinanceError | None = None
    hold: float | None = None
    ban: IpBannedError | None = None


class CallPolicy:
    """The retry state of one call: made at its first failure, asked after each one."""

    __slots__ = ("endpoint", "maybe_applied", "mode", "resynced", "retries", "retry", "total")

    def __init__(self, endpoint: Endpoint[Any], retry: RetryPolicy, mode: RateLimitMode, total: float = 0.0) -> None:
        """``total``: the call's total timeout (its deadline minus ``total`` is when it began), for
        the duration a timeout's message states; 0 leaves the message as the transport wrote it."""
        self.endpoint = endpoint
        self.retry = retry
        self.mode = mode
        self.total = total
        self.retries = 0  # resends made so far
        self.resynced = False  # the clock was measured again after a -1021
        self.maybe_applied = False  # an earlier attempt may have reached Binance and been applied

    def after(self, error: BinanceError, *, now: float, deadline: float, answered_in: float = 0.0) -> Next:
        """The next step after an attempt that ended in ``error`` (a ``TransportError`` when there
        was no answer). ``now``, ``deadline``: ``time.monotonic()`` values; ``answered_in``: seconds the
        attempt took to get its answer (0 when there was none): a resend is made only when at least
        that long is left after its backoff (else it would end as a timeout, losing the server's
        answer)."""
        endpoint = self.endpoint
        if isinstance(error, TransportError):
            if isinstance(error, RequestTimeout) and self.total:
                self._restate(error, now - (deadline - self.total))
            if error.request_sent and not endpoint.retry_safe:
                return Next(Step.UNKNOWN, error=unknown_outcome(endpoint, error.message))
            if isinstance(error, CertificateError):  # it would be rejected again
                return Next(Step.REPORT, error=error)
            return self._backoff(error, now, deadline, maybe_applied=error.request_sent)
        if isinstance(error, TimestampError) and endpoint.signed and not self.resynced:
            self.resynced = True
            return Next(Step.RESYNC)
        if isinstance(error, RateLimitError):
            return self._rate_limited(error, now, deadline)
        if isinstance(error, ServerError | ResponseParseError):  # the answer was lost or garbled
            if endpoint.retry_safe:
                return self._backoff(error, now, deadline, maybe_applied=True, need=answered_in)
            if isinstance(error, OutcomeUnknownError):
                return Next(Step.REPORT, error=error)
            return Next(Step.UNKNOWN, error=unknown_outcome(endpoint, error.message))
        if self.maybe_applied and isinstance(error, ApiError) and error.code in endpoint.already_applied:
            return Next(Step.APPLIED)
        return Next(Step.REPORT, error=error)

    def _restate(self, error: RequestTimeout, spent: float) -> None:
        """Add the call's own duration to a timeout's message: the transport states only its attempt's
        share of the total (after retries or a time sync, what was left of it). If the call goes on,
        the message is never seen."""
        tries = f"{self.retries + 1} attempts" if self.retries else "1 attempt"
        error.message = f"{error.message}; the call ran {spent:.1f} s in all ({tries})"
        error.args = (error.message,)

    def _backoff(self, error: BinanceError, now: float, deadline: float, *, maybe_applied: bool,
                 need: float = 0.0) -> Next:
        """Retry after a backoff when one is left and it ends at least ``need`` seconds before the
        deadline; else report."""
        if self.retries >= self.retry.max_retries:
            return Next(Step.REPORT, error=error)
        delay = self.retry.delay(self.retries + 1)
        if now + delay + need >= deadline:
            return Next(Step.REPORT, error=error)
        self.retries += 1
        self.maybe_applied = self.maybe_applied or maybe_applied
        return Next(Step.RETRY, delay=delay)

    def _rate_limited(self, error: RateLimitError, now: float, deadline: float) -> Next:
        ban = error if isinstance(error, IpBannedError) else None
        hold = DEFAULT_HOLD if error.retry_after is None else error.retry_after
        wait = error.retry_after or 0.0
        if (
            ban is None
            and self.mode == "wait"
            and self.retries < self.retry.max_retries
            and wait <= self.retry.max_retry_after
            and now + wait < deadline
        ):
            self.retries += 1
            return Next(Step.RETRY, hold=hold)  # refused before execution: resending is safe
        return Next(Step.REPORT, error=error, hold=hold, ban=ban)


def budget_refusal(
    endpoint: Endpoint[Any],
    delay: float,
    *,
    mode: RateLimitMode,
    blocked_for: float,
    ban: IpBannedError | None,
    used: int,
    limit: int,
    now: float,
    deadline: float,
) -> BinanceError | None:
    """Whether a call whose weight does not fit for ``delay`` seconds waits (None) or is refused (the
    error to report). ``blocked_for``: seconds calls are still held after a 429/418; ``deadline``
    (``time.monotonic()``, 0 for none): the end of the call that waits."""
    if ban is not None and blocked_for > 0:
        return IpBannedError(
            ban.code, f"{ban.msg} (no request sent while the ban lasts)", status_code=ban.status_code,
            retry_after=blocked_for, banned_until=ban.banned_until, endpoint=endpoint.label,
        )
    if mode == "wait" and delay <= LONGEST_BUDGET_WAIT and not (deadline and now + delay >= deadline):
        return None
    if blocked_for > 0:
        why = f"calls are held after a 429 (Retry-After); retry in {delay:.1f} s"
    else:
        why = f"request weight budget exhausted ({used}/{limit} this minute); retry in {delay:.1f} s"
    return ClientRateLimitError(why, retry_after=delay, endpoint=endpoint.label)


def within(timeouts: Timeouts, deadline: float, now: float) -> Timeouts | None:
    """``timeouts`` with ``total`` cut to what is left before ``deadline``; None when nothing is left."""
    left = deadline - now
    return Timeouts(timeouts.connect, timeouts.read, left) if left > 0 else None


def too_late(endpoint: Endpoint[Any], total: float) -> RequestTimeout:
    """The error of a call whose total deadline passed before it could send (again)."""
    return RequestTimeout(
        f"no time left to send the request within the total timeout of {total:g} s",
        request_sent=False, endpoint=endpoint.label,
    )


def unknown_outcome(endpoint: Endpoint[Any], cause: str) -> OutcomeUnknownError:
    """The error of a call that must not be resent although it may have been applied."""
    return OutcomeUnknownError(
        0,
        f"{cause}; the request may or may not have been applied — check the state before resending",
        status_code=0, endpoint=endpoint.label,
    )
