"""The client's weight budget on its own: minutes of the server's clock, the server's count, holds.

The limiter reads the client's local clock plus the server-clock offset; the tests freeze a virtual
local clock half-way through a minute and move it (or the offset) to cross minute boundaries.
"""

from __future__ import annotations

import pytest

from binance_usdm._http.headers import Headers
from binance_usdm._wire.clock import ServerClock
from binance_usdm._wire.ratelimit import READ_INTERVAL, WATCH_SHARE, WeightLimiter
from tests.virtual_clock import VirtualClock

HALF_MINUTE = 1_700_000_010.0  # 30 s into a minute (1_699_999_980 is a multiple of 60)


def _limiter(limit: int, at: float = HALF_MINUTE) -> tuple[WeightLimiter, ServerClock]:
    clock = ServerClock(local=VirtualClock(at=at))
    return WeightLimiter(clock, limit), clock


def _weight(used: int) -> Headers:
    return Headers(f"\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: {used}\r\n".encode())


def test_reserves_until_the_limit_then_asks_to_wait_for_the_next_minute() -> None:
    limiter, _ = _limiter(10)
    assert [limiter.reserve(5), limiter.reserve(5)] == [0.0, 0.0]
    assert limiter.used == 10
    wait = limiter.reserve(1)
    assert wait == pytest.approx(30.05)  # half a minute left, plus a small margin past the boundary
    assert limiter.used == 10  # a refused reservation counts nothing


def test_a_single_call_heavier_than_the_limit_still_goes_in_an_empty_minute() -> None:
    limiter, _ = _limiter(10)
    assert limiter.reserve(50) == 0.0 and limiter.used == 50


def test_a_new_minute_starts_from_zero() -> None:
    limiter, clock = _limiter(10)
    limiter.reserve(10)
    clock.offset_ms += 60_000
    assert limiter.used == 0
    assert limiter.reserve(10) == 0.0 and limiter.used == 10


def _pass(clock: ServerClock, seconds: float) -> None:
    """Let ``seconds`` pass on the limiter's local clock (a frozen virtual one: exactly that much)."""
    assert isinstance(clock.local, VirtualClock)
    clock.local.advance(seconds)


def test_adopts_the_servers_count_only_when_higher() -> None:
    limiter, clock = _limiter(100)
    limiter.reserve(10)
    sent = clock.timestamp_ms()
    limiter.observe(_weight(40), sent)  # other processes on this IP used weight too
    assert limiter.used == 40
    _pass(clock, READ_INTERVAL)
    limiter.observe(_weight(5), sent)  # an older answer: ours is already higher
    assert limiter.used == 40
    for headers in (Headers(), _weight(-3)):  # no header, or not a number: nothing learnt
        _pass(clock, READ_INTERVAL)
        limiter.observe(headers, sent)
        assert limiter.used == 40
    clock.offset_ms += 60_000
    limiter.reserve(1)
    _pass(clock, READ_INTERVAL)
    limiter.observe(_weight(7), clock.timestamp_ms())  # an answer in the new minute
    assert limiter.used == 7


def test_far_from_the_limit_the_count_is_read_at_most_every_interval() -> None:
    limiter, clock = _limiter(1000)
    limiter.reserve(1)
    limiter.observe(_weight(100), clock.timestamp_ms())
    limiter.observe(_weight(300), clock.timestamp_ms())  # just after: not read
    assert limiter.used == 100
    _pass(clock, READ_INTERVAL / 2)
    limiter.observe(_weight(200), clock.timestamp_ms())  # still within the interval: not read
    assert limiter.used == 100
    _pass(clock, READ_INTERVAL)
    limiter.observe(_weight(300), clock.timestamp_ms())  # the next answer carries the newer count
    assert limiter.used == 300


def test_near_the_limit_every_answer_is_read() -> None:
    limiter, clock = _limiter(1000)
    limiter.reserve(1)
    limiter.observe(_weight(int(1000 * WATCH_SHARE)), clock.timestamp_ms())
    for used in (850, 900, 990):
        limiter.observe(_weight(used), clock.timestamp_ms())
        assert limiter.used == used
    assert limiter.reserve(20) > 0  # and the budget follows the server's count


def test_an_answer_to_a_request_of_the_previous_minute_is_not_the_new_minutes_count() -> None:
    limiter, clock = _limiter(2400)
    limiter.reserve(1)
    sent_before = clock.timestamp_ms()
    clock.offset_ms += 60_000  # the minute changes while the request is under way
    assert limiter.reserve(1) == 0.0
    limiter.observe(_weight(2390), sent_before)  # the old minute's count, arriving late
    assert limiter.used == 1
    assert limiter.reserve(100) == 0.0  # not held back by the old minute's weight


def test_block_for_holds_every_reservation() -> None:
    limiter, _ = _limiter(1000)
    limiter.block_for(2.0)
    assert limiter.blocked_for == pytest.approx(2.0)
    assert limiter.reserve(1) == pytest.approx(2.0)
    assert limiter.used == 0


@pytest.mark.parametrize(("offset_ms", "left"), [(0.0, 30.0), (-45_000.0, 15.0), (20_000.0, 10.0)])
def test_minutes_follow_the_servers_clock(offset_ms: float, left: float) -> None:
    limiter, clock = _limiter(10)  # 30 s into a minute on the local clock
    clock.offset_ms = offset_ms
    limiter.reserve(10)
    assert limiter.reserve(1) == pytest.approx(left + 0.05)  # to the end of the server's minute


def test_a_held_call_goes_once_the_local_clock_has_passed_the_wait() -> None:
    local = VirtualClock(at=HALF_MINUTE)
    limiter = WeightLimiter(ServerClock(local=local), 10)
    limiter.reserve(10)
    local.pass_time(limiter.reserve(1))  # what the client does with the wait: let it pass
    assert limiter.reserve(1) == 0.0 and limiter.used == 1
    limiter.block_for(3.0)
    assert local.pass_time(limiter.reserve(1)) == 0.0  # a virtual clock leaves nothing to sleep
    assert limiter.reserve(1) == 0.0 and local.waits == [pytest.approx(30.05), pytest.approx(3.0)]
