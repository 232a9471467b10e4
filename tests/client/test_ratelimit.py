"""The client's weight budget on its own: minutes of the server's clock, the server's count, holds.

The limiter reads the wall clock plus the server-clock offset; the tests move that offset to cross
minute boundaries without waiting.
"""

from __future__ import annotations

import time

import pytest

from binance_usdm._http.headers import Headers
from binance_usdm._wire.clock import ServerClock
from binance_usdm._wire.ratelimit import READ_INTERVAL, WATCH_SHARE, WeightLimiter


def _limiter(limit: int) -> tuple[WeightLimiter, ServerClock]:
    clock = ServerClock()
    # start 30 s into a minute of the server's clock, so the test never straddles a boundary by itself
    now_ms = time.time() * 1000
    clock.offset_ms = (now_ms // 60_000) * 60_000 + 30_000 - now_ms
    return WeightLimiter(clock, limit), clock


def _weight(used: int) -> Headers:
    return Headers(f"\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: {used}\r\n".encode())


def test_reserves_until_the_limit_then_asks_to_wait_for_the_next_minute() -> None:
    limiter, _ = _limiter(10)
    assert [limiter.reserve(5), limiter.reserve(5)] == [0.0, 0.0]
    assert limiter.used == 10
    wait = limiter.reserve(1)
    assert 29.0 < wait <= 30.1  # half a minute left, plus a small margin past the boundary
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


def test_adopts_the_servers_count_only_when_higher() -> None:
    limiter, clock = _limiter(100)
    limiter.reserve(10)
    sent = clock.timestamp_ms()
    limiter.observe(_weight(40), sent)  # other processes on this IP used weight too
    assert limiter.used == 40
    time.sleep(READ_INTERVAL)
    limiter.observe(_weight(5), sent)  # an older answer: ours is already higher
    assert limiter.used == 40
    for headers in (Headers(), _weight(-3)):  # no header, or not a number: nothing learnt
        time.sleep(READ_INTERVAL)
        limiter.observe(headers, sent)
        assert limiter.used == 40
    clock.offset_ms += 60_000
    limiter.reserve(1)
    time.sleep(READ_INTERVAL)
    limiter.observe(_weight(7), clock.timestamp_ms())  # an answer in the new minute
    assert limiter.used == 7


def test_far_from_the_limit_the_count_is_read_at_most_every_interval() -> None:
    limiter, clock = _limiter(1000)
    limiter.reserve(1)
    limiter.observe(_weight(100), clock.timestamp_ms())
    limiter.observe(_weight(300), clock.timestamp_ms())  # just after: not read
    assert limiter.used == 100
    time.sleep(READ_INTERVAL)
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
    assert 1.9 < limiter.blocked_for <= 2.0
    assert 1.9 < limiter.reserve(1) <= 2.0
    assert limiter.used == 0


@pytest.mark.parametrize("offset_ms", [0.0, -45_000.0, 45_000.0])
def test_minutes_follow_the_servers_clock(offset_ms: float) -> None:
    clock = ServerClock()
    clock.offset_ms = offset_ms
    limiter = WeightLimiter(clock, 10)
    limiter.reserve(10)
    wait = limiter.reserve(1)
    server_now = time.time() + offset_ms / 1000
    assert abs((server_now + wait - 0.05) % 60) < 0.5 or abs((server_now + wait - 0.05) % 60 - 60) < 0.5
