"""The server-clock estimate on its own: when a measurement is due, and what a measurement yields."""

from __future__ import annotations

import time

import msgspec
import pytest

from binance_usdm._wire.clock import ServerClock
from binance_usdm._wire.endpoints import SERVER_TIME


def test_first_signed_call_claims_the_measurement_once() -> None:
    clock = ServerClock()
    assert clock.claim_sync() is True
    assert clock.claim_sync() is False  # concurrent callers use the current offset meanwhile


def test_measurement_is_due_again_after_the_interval() -> None:
    clock = ServerClock(sync_interval=0.05)
    clock.record(server_ms=0, sent_ms=0, received_ms=0)
    assert clock.claim_sync() is False
    time.sleep(0.06)
    assert clock.claim_sync() is True


def test_invalidate_makes_it_due_at_once() -> None:
    clock = ServerClock()
    clock.record(server_ms=0, sent_ms=0, received_ms=0)
    assert clock.claim_sync() is False
    clock.invalidate()
    assert clock.claim_sync() is True


def test_auto_sync_off_never_claims() -> None:
    clock = ServerClock(auto_sync=False)
    assert clock.claim_sync() is False
    clock.invalidate()
    assert clock.claim_sync() is False


def test_offset_is_taken_halfway_through_the_round_trip() -> None:
    clock = ServerClock()
    now_ms = time.time() * 1000
    clock.record(server_ms=int(now_ms) + 5_000, sent_ms=now_ms - 100, received_ms=now_ms + 100)
    assert abs(clock.offset_ms - 5_000) < 1.5
    assert abs(clock.timestamp_ms() - (time.time() * 1000 + 5_000)) < 50


def test_the_server_time_answer_is_read_strictly() -> None:
    assert SERVER_TIME.parse(b'{"serverTime":1499827319559}') == 1499827319559
    assert SERVER_TIME.parse(b'{"serverTime": 7, "extra": "ignored"}') == 7
    for body in (b"{}", b"[]", b"7", b'{"serverTime":"1499827319559"}', b'{"serverTime":true}',
                 b'{"serverTime":1.5}', b'{"serverTime":null}'):
        with pytest.raises(msgspec.ValidationError):
            SERVER_TIME.parse(body)
    with pytest.raises(msgspec.DecodeError):
        SERVER_TIME.parse(b"{")
