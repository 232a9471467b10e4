"""The call policy, without sockets: every outcome on every kind of endpoint, at every retry state.

The first tests pin each rule with one case; the exhaustive ones walk the whole cross product of
(endpoint kind, outcome, retries made, earlier attempt maybe applied, time left, rate-limit mode)
and check the properties that must hold everywhere (a request that moves money is never resent
once it may have arrived, no retry runs past the deadline or the retry budget, ...).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from binance_usdm._wire import endpoints as ep
from binance_usdm._wire.config import RetryPolicy
from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.policy import (
    DEFAULT_HOLD,
    LONGEST_BUDGET_WAIT,
    CallPolicy,
    Next,
    Step,
    budget_refusal,
    too_late,
    unknown_outcome,
    within,
)
from binance_usdm._wire.types import Timeouts
from binance_usdm.errors import (
    AuthenticationError,
    BinanceError,
    ClientRateLimitError,
    ConnectError,
    InvalidRequestError,
    IpBannedError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeout,
    ResponseParseError,
    ServerError,
    TimestampError,
    TransportError,
)

READ = ep.GET_ACCOUNT_INFO  # signed, safe to resend
SETTING = ep.CHANGE_MARGIN_TYPE  # signed, safe to resend, -4046 "no need to change margin type"
MONEY = ep.MODIFY_POSITION_MARGIN  # moves money: never resent once it may have arrived
PUBLIC = ep.SERVER_TIME  # unsigned
ENDPOINTS = [READ, SETTING, MONEY, PUBLIC]
NOW = 1000.0
WALL_MS = 1_800_000_000_000.0
RETRY = RetryPolicy(max_retries=2, backoff_base=0.25, backoff_max=4.0, max_retry_after=10.0)


def outcomes() -> dict[str, BinanceError]:
    """One of each kind of failure a call can end an attempt with."""
    banned_until = datetime.fromtimestamp(WALL_MS / 1000 + 120, UTC)
    return {
        "connect refused": ConnectError("connection refused"),
        "timeout before sending": RequestTimeout("connect timed out", request_sent=False),
        "timeout after sending": RequestTimeout("read timed out", request_sent=True),
        "connection dropped": TransportError("closed early", request_sent=True),
        "-1021": TimestampError(-1021, "Timestamp outside recvWindow", status_code=400),
        "429 retry-after 1": RateLimitError(-1003, "Too many requests", status_code=429, retry_after=1.0),
        "429 retry-after 30": RateLimitError(-1003, "Too many requests", status_code=429, retry_after=30.0),
        "429 no retry-after": RateLimitError(-1003, "Too many requests", status_code=429, retry_after=None),
        # as responses.error_from makes it: retry_after is how long the ban still lasts
        "418": IpBannedError(-1003, "banned", status_code=418, retry_after=120.0, banned_until=banned_until),
        "500": ServerError(-1000, "internal error", status_code=500),
        "503 unknown": OutcomeUnknownError(-1007, "Timeout waiting for response", status_code=503),
        "garbled": ResponseParseError("cannot decode", status_code=200, excerpt="{"),
        "-4046": InvalidRequestError(-4046, "No need to change margin type.", status_code=400),
        "-2015": AuthenticationError(-2015, "Invalid API-key", status_code=401),
        "-1102": InvalidRequestError(-1102, "Mandatory parameter missing", status_code=400),
    }


def policy(endpoint: Endpoint[Any], *, retries: int = 0, maybe_applied: bool = False,
           resynced: bool = False, mode: str = "wait", retry: RetryPolicy = RETRY) -> CallPolicy:
    made = CallPolicy(endpoint, retry, "wait" if mode == "wait" else "fail")
    made.retries, made.maybe_applied, made.resynced = retries, maybe_applied, resynced
    return made


def after(made: CallPolicy, error: BinanceError, *, left: float = 30.0) -> Next:
    return made.after(error, now=NOW, deadline=NOW + left)


def test_the_endpoints_used_here_are_what_their_security_says() -> None:
    """``signed`` follows the security type; the repr names the endpoint, its route and weight."""
    assert [e.signed for e in ENDPOINTS] == [True, True, True, False]
    assert repr(READ) == "Endpoint(get_account_info: GET /fapi/v2/account, weight 5, USER_DATA)"
    assert repr(PUBLIC) == "Endpoint(get_server_time: GET /fapi/v1/time, weight 1, NONE)"


# --- one case per rule ----------------------------------------------------------------------------
def test_a_transport_failure_of_a_safe_call_is_retried_after_a_backoff() -> None:
    made = policy(READ)
    verdict = after(made, outcomes()["timeout after sending"])
    assert verdict.step is Step.RETRY and 0 <= verdict.delay <= 0.25  # full jitter up to base * 2**0
    assert made.retries == 1 and made.maybe_applied


def test_a_failure_before_sending_leaves_nothing_maybe_applied() -> None:
    made = policy(SETTING)
    assert after(made, outcomes()["connect refused"]).step is Step.RETRY
    assert not made.maybe_applied


def test_a_sent_request_that_moves_money_is_never_resent() -> None:
    verdict = after(policy(MONEY), outcomes()["connection dropped"])
    assert verdict.step is Step.UNKNOWN
    assert isinstance(verdict.error, OutcomeUnknownError)
    assert "may or may not have been applied" in verdict.error.msg
    assert verdict.error.endpoint == MONEY.label


def test_a_request_that_moves_money_and_never_left_is_retried() -> None:
    assert after(policy(MONEY), outcomes()["connect refused"]).step is Step.RETRY


def test_no_retry_is_left_after_max_retries() -> None:
    error = outcomes()["500"]
    verdict = after(policy(READ, retries=RETRY.max_retries), error)
    assert verdict == Next(Step.REPORT, error=error)


def test_no_retry_whose_backoff_would_end_past_the_deadline() -> None:
    slow = RetryPolicy(max_retries=2, backoff_base=5.0, backoff_max=5.0)
    zero = RetryPolicy(max_retries=2, backoff_base=0.0, backoff_max=0.0)
    error = outcomes()["500"]
    assert after(policy(READ, retry=zero), error, left=0.001).step is Step.RETRY
    assert after(policy(READ, retry=zero), error, left=0.0).step is Step.REPORT
    # full jitter draws from [0, 5]: only a deadline beyond 5 s admits every draw
    assert all(after(policy(READ, retry=slow), error, left=5.01).step is Step.RETRY for _ in range(50))


def test_a_timestamp_error_resyncs_once_for_a_signed_call() -> None:
    made = policy(READ)
    error = outcomes()["-1021"]
    assert after(made, error) == Next(Step.RESYNC)
    assert made.resynced and made.retries == 0
    assert after(made, error) == Next(Step.REPORT, error=error)


def test_a_timestamp_error_of_an_unsigned_call_is_reported() -> None:
    error = outcomes()["-1021"]
    assert after(policy(PUBLIC), error) == Next(Step.REPORT, error=error)


def test_a_429_holds_every_call_and_is_resent_after_its_retry_after() -> None:
    made = policy(MONEY)  # refused before execution: even a request that moves money is resent
    verdict = after(made, outcomes()["429 retry-after 1"])
    assert verdict == Next(Step.RETRY, hold=1.0)
    assert made.retries == 1


def test_a_429_is_reported_when_its_wait_is_too_long_or_mode_is_fail() -> None:
    long_wait = outcomes()["429 retry-after 30"]
    assert after(policy(READ), long_wait) == Next(Step.REPORT, error=long_wait, hold=30.0)
    short = outcomes()["429 retry-after 1"]
    assert after(policy(READ, mode="fail"), short) == Next(Step.REPORT, error=short, hold=1.0)
    assert after(policy(READ), short, left=1.0).step is Step.REPORT  # would end at the deadline


def test_a_429_without_retry_after_holds_a_minute() -> None:
    assert after(policy(READ), outcomes()["429 no retry-after"]).hold == DEFAULT_HOLD


def test_a_418_is_reported_and_holds_until_the_ban_ends() -> None:
    ban = outcomes()["418"]
    assert isinstance(ban, IpBannedError)
    verdict = after(policy(READ), ban)
    assert verdict.step is Step.REPORT and verdict.ban is ban and verdict.error is ban
    assert verdict.hold == pytest.approx(120.0)


def test_a_server_error_of_a_request_that_moves_money_is_an_unknown_outcome() -> None:
    verdict = after(policy(MONEY), outcomes()["500"])
    assert verdict.step is Step.UNKNOWN and isinstance(verdict.error, OutcomeUnknownError)
    assert "internal error" in verdict.error.msg
    garbled = after(policy(MONEY), outcomes()["garbled"])
    assert garbled.step is Step.UNKNOWN


def test_binances_own_unknown_outcome_is_reported_as_it_came() -> None:
    error = outcomes()["503 unknown"]
    assert after(policy(MONEY), error) == Next(Step.REPORT, error=error)


def test_a_server_error_of_a_safe_setting_marks_it_maybe_applied() -> None:
    made = policy(SETTING)
    assert after(made, outcomes()["500"]).step is Step.RETRY
    assert made.maybe_applied


def test_already_applied_after_a_lost_attempt_is_success() -> None:
    error = outcomes()["-4046"]
    assert after(policy(SETTING, maybe_applied=True), error) == Next(Step.APPLIED)
    # on a first attempt the same answer is the caller's mistake, reported as it came
    assert after(policy(SETTING), error) == Next(Step.REPORT, error=error)
    # and another endpoint's code is never taken for it
    assert after(policy(READ, maybe_applied=True), error) == Next(Step.REPORT, error=error)


def test_any_other_answer_is_reported() -> None:
    for name in ("-2015", "-1102"):
        error = outcomes()[name]
        assert after(policy(SETTING, maybe_applied=True), error) == Next(Step.REPORT, error=error)


# --- the whole cross product ----------------------------------------------------------------------
CASES = list(itertools.product(
    ENDPOINTS, outcomes(), range(RETRY.max_retries + 1), (False, True), (False, True), (0.0, 0.5, 30.0),
    ("wait", "fail"),
))


def test_every_outcome_at_every_state() -> None:
    for case in CASES:  # one test, not 4000: the loop takes milliseconds
        check_case(*case)


def check_case(
    endpoint: Endpoint[Any], name: str, retries: int, maybe_applied: bool, resynced: bool, left: float, mode: str,
) -> None:
    error = outcomes()[name]
    made = policy(endpoint, retries=retries, maybe_applied=maybe_applied, resynced=resynced, mode=mode)
    verdict = after(made, error, left=left)
    step = verdict.step
    may_have_arrived = isinstance(error, ServerError | ResponseParseError) or (
        isinstance(error, TransportError) and error.request_sent)
    ends = step in (Step.REPORT, Step.UNKNOWN, Step.APPLIED)
    # the call ends with an error exactly when it reports, and only then carries one
    assert (verdict.error is not None) == (step in (Step.REPORT, Step.UNKNOWN))
    # a request that moves money is never resent once it may have arrived
    if not endpoint.retry_safe and may_have_arrived:
        assert step in (Step.UNKNOWN, Step.REPORT)
        assert isinstance(verdict.error, OutcomeUnknownError)
    # a retry stays within the retry budget and ends before the deadline
    if step is Step.RETRY:
        assert retries < RETRY.max_retries and made.retries == retries + 1
        assert verdict.delay >= 0 and NOW + max(verdict.delay, 0.0) < NOW + left
    else:
        assert made.retries == retries
    # resync: only for a -1021 of a signed call, once
    assert (step is Step.RESYNC) == (isinstance(error, TimestampError) and endpoint.signed and not resynced)
    # already applied: only after an attempt that may have applied it, for the endpoint's own code
    assert (step is Step.APPLIED) == (
        maybe_applied and isinstance(error, InvalidRequestError) and error.code in endpoint.already_applied
    )
    # every rate-limit answer holds the client's calls; only a 418 records a ban, and a ban ends the call
    assert (verdict.hold is not None) == isinstance(error, RateLimitError)
    assert (verdict.ban is not None) == isinstance(error, IpBannedError)
    if isinstance(error, IpBannedError):
        assert step is Step.REPORT
    if mode == "fail" and isinstance(error, RateLimitError):
        assert ends
    # a failure that did not end the call is one of the three ways on
    assert ends or step in (Step.RETRY, Step.RESYNC)


def test_a_call_failing_the_same_way_ends_within_the_retry_budget() -> None:
    for endpoint, name in itertools.product(ENDPOINTS, outcomes()):
        check_repeated(endpoint, name)


def check_repeated(endpoint: Endpoint[Any], name: str) -> None:
    made = policy(endpoint, retry=RetryPolicy(max_retries=3, backoff_base=0.0, backoff_max=0.0))
    steps = []
    for _ in range(10):
        steps.append(after(made, outcomes()[name]).step)
        if steps[-1] not in (Step.RETRY, Step.RESYNC):
            break
    assert steps[-1] in (Step.REPORT, Step.UNKNOWN, Step.APPLIED)
    assert steps.count(Step.RETRY) <= 3 and steps.count(Step.RESYNC) <= 1


# --- the weight budget ----------------------------------------------------------------------------
def refusal(delay: float, *, mode: str = "wait", blocked_for: float = 0.0, ban: IpBannedError | None = None,
            left: float = 0.0) -> BinanceError | None:
    return budget_refusal(READ, delay, mode="wait" if mode == "wait" else "fail", blocked_for=blocked_for,
                          ban=ban, used=2400, limit=2400, now=NOW, deadline=NOW + left if left else 0.0)


def test_a_short_budget_wait_is_waited() -> None:
    assert refusal(12.0) is None
    assert refusal(LONGEST_BUDGET_WAIT) is None
    assert refusal(12.0, left=12.5) is None


def test_a_budget_wait_is_refused_in_fail_mode_past_a_minute_or_past_the_deadline() -> None:
    for error in (refusal(1.0, mode="fail"), refusal(LONGEST_BUDGET_WAIT + 1), refusal(12.0, left=12.0)):
        assert isinstance(error, ClientRateLimitError) and error.retry_after > 0
        assert "2400/2400" in error.message
    held = refusal(5.0, mode="fail", blocked_for=5.0)
    assert isinstance(held, ClientRateLimitError) and "held after a 429" in held.message


def test_a_ban_refuses_without_sending_while_it_lasts() -> None:
    ban = IpBannedError(-1003, "banned", status_code=418, retry_after=None,
                        banned_until=datetime.now(UTC) + timedelta(minutes=2))
    error = refusal(100.0, blocked_for=100.0, ban=ban)
    assert isinstance(error, IpBannedError) and error.retry_after == 100.0
    assert "no request sent while the ban lasts" in error.msg and error.endpoint == READ.label
    assert refusal(1.0, ban=ban) is None  # the ban is over: a budget wait like any other


# --- deadlines ------------------------------------------------------------------------------------
def test_within_cuts_the_total_to_what_is_left() -> None:
    timeouts = Timeouts(connect=5, read=10, total=30)
    assert within(timeouts, NOW + 7.5, NOW) == Timeouts(5, 10, 7.5)
    assert within(timeouts, NOW, NOW) is None


def test_the_errors_name_the_endpoint() -> None:
    late = too_late(READ, 30)
    assert late.endpoint == READ.label and not late.request_sent and "30 s" in late.message
    assert unknown_outcome(MONEY, "dropped").endpoint == MONEY.label


def test_a_resend_needs_as_long_left_as_the_failed_answer_took() -> None:
    """A retry that would have less time than the failed attempt took to be answered is not made: it
    would end as a timeout and lose the server's own error (a load-dependent failure seen in CI)."""
    quick = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.001)
    error = outcomes()["500"]
    assert policy(READ, retry=quick).after(error, now=NOW, deadline=NOW + 0.05, answered_in=0.01).step is Step.RETRY
    late = policy(READ, retry=quick).after(error, now=NOW, deadline=NOW + 0.05, answered_in=0.06)
    assert late == Next(Step.REPORT, error=error)
