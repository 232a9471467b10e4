"""The stream's decisions without sockets: steps, keepalive schedule, backoff, notices."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from binance_usdm import ApiError, ServerError, ValidationError
from binance_usdm._wire.stream_policy import (
    Backoff,
    Connect,
    KeepAlive,
    ListenKeyState,
    ObtainKey,
    Receive,
    StreamPolicy,
    Wait,
)
from binance_usdm._wire.stream_urls import default_route, shown_url, stream_base, stream_url
from binance_usdm.models.notices import Connected, Disconnected, ListenKeyReplaced, Reconnected

WALL = datetime(2026, 12, 1, tzinfo=UTC)


class Clocks:
    def __init__(self) -> None:
        self.now = 100.0

    def wall(self) -> datetime:
        return WALL + timedelta(seconds=self.now)


def _policy(clocks: Clocks, **options: object) -> StreamPolicy:
    return StreamPolicy("wss://x", "private", clock=lambda: clocks.now, wall_clock=clocks.wall,
                        rng=random.Random(7), **options)  # type: ignore[arg-type]


def _open(policy: StreamPolicy, clocks: Clocks, key: str = "K1") -> None:
    assert policy.next_step(clocks.now) == ObtainKey()
    assert policy.key_obtained(policy.key.adopt(key, clocks.now)) is None
    assert policy.next_step(clocks.now) == Connect("wss://x/private/ws/" + key)
    assert isinstance(policy.connected(clocks.now), Connected)


def test_reads_until_the_keepalive_is_due_then_keeps_alive() -> None:
    clocks = Clocks()
    policy = _policy(clocks)
    _open(policy, clocks)
    assert policy.next_step(clocks.now) == Receive(1800.0)
    clocks.now += 1799
    assert policy.next_step(clocks.now) == Receive(1.0)
    clocks.now += 1
    assert policy.next_step(clocks.now) == KeepAlive()
    assert policy.key.kept_alive(None, clocks.now)
    assert policy.next_step(clocks.now) == Receive(1800.0)


def test_a_failed_keepalive_is_retried_within_a_minute_and_minus_1125_replaces_the_key() -> None:
    clocks = Clocks()
    policy = _policy(clocks)
    _open(policy, clocks)
    clocks.now += 1800
    assert policy.key.kept_alive(ServerError(-1001, "down", status_code=503), clocks.now)
    assert policy.next_step(clocks.now) == Receive(60.0)
    clocks.now += 60
    assert not policy.key.kept_alive(ApiError(-1125, "This listenKey does not exist.", status_code=400), clocks.now)
    policy.key_gone(clocks.now)
    assert policy.next_step(clocks.now) == ObtainKey()
    notice = policy.key_obtained(policy.key.adopt("K2", clocks.now))
    assert isinstance(notice, ListenKeyReplaced) and "-1125" in notice.reason
    assert policy.next_step(clocks.now) == Connect("wss://x/private/ws/K2")
    back = policy.connected(clocks.now + 0.5)
    assert isinstance(back, Reconnected) and back.attempts == 1


def test_drops_back_off_exponentially_with_jitter_and_report_the_gap() -> None:
    clocks = Clocks()
    policy = _policy(clocks, backoff=Backoff(initial=1, maximum=8))
    _open(policy, clocks)
    dropped = policy.dropped("closed with code 1001", clocks.now)
    assert isinstance(dropped, Disconnected) and 0.5 <= dropped.retry_in <= 1
    step = policy.next_step(clocks.now)
    assert isinstance(step, Wait) and step.seconds == pytest.approx(dropped.retry_in)
    delays = [dropped.retry_in]
    for attempt in range(1, 6):
        clocks.now += delays[-1]
        assert isinstance(policy.next_step(clocks.now), Connect)
        failed = policy.connect_failed("timed out", clocks.now, refused=False)
        assert isinstance(failed, Disconnected)
        ceiling = min(8, 2**attempt)
        assert ceiling / 2 <= failed.retry_in <= ceiling
        delays.append(failed.retry_in)
    clocks.now += delays[-1]
    back = policy.connected(clocks.now)
    assert isinstance(back, Reconnected) and back.attempts == 6
    assert back.gap.total_seconds() == pytest.approx(sum(delays), abs=1e-5)
    assert policy.dropped("again", clocks.now).retry_in <= 1  # the count starts over once connected


def test_a_refused_handshake_or_expiry_asks_for_the_key_again() -> None:
    clocks = Clocks()
    policy = _policy(clocks)
    _open(policy, clocks)
    policy.dropped("x", clocks.now)
    clocks.now += 1
    policy.connect_failed("the server answered HTTP 400", clocks.now, refused=True)
    clocks.now += 5
    assert policy.next_step(clocks.now) == ObtainKey()
    assert policy.key_obtained(policy.key.adopt("K1", clocks.now)) is None  # the same key: nothing replaced
    policy.key_expired(clocks.now)
    assert policy.next_step(clocks.now) == ObtainKey()  # at once, no backoff
    notice = policy.key_obtained(policy.key.adopt("K3", clocks.now))
    assert isinstance(notice, ListenKeyReplaced) and "expired" in notice.reason


def test_key_request_failures_back_off() -> None:
    clocks = Clocks()
    policy = _policy(clocks)
    _open(policy, clocks)
    policy.key_expired(clocks.now)
    notice = policy.key_failed(ServerError(-1001, "down", status_code=503), clocks.now)
    assert isinstance(notice, Disconnected) and "listen key request failed" in notice.reason
    assert isinstance(policy.next_step(clocks.now), Wait)


def test_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="interval"):
        ListenKeyState(0)
    with pytest.raises(ValidationError, match="interval"):
        ListenKeyState(3601)
    with pytest.raises(ValidationError, match="backoff"):
        Backoff(initial=5, maximum=1)
    with pytest.raises(ValidationError, match="backoff"):
        Backoff(multiplier=0.5)
    assert "K1" not in repr(ListenKeyState()) and "redacted" not in repr(ListenKeyState())
    state = ListenKeyState()
    state.adopt("K1", 0)
    assert "K1" not in repr(state)


@pytest.mark.parametrize(
    ("rest", "stream", "route"),
    [
        # https://developers.binance.info/docs/derivatives/usds-margined-futures/websocket-market-streams
        ("https://fapi.binance.com", "wss://fstream.binance.com", "private"),
        ("https://testnet.binancefuture.com/", "wss://fstream.binancefuture.com", "legacy"),
        ("http://127.0.0.1:8765", "ws://127.0.0.1:8765", "private"),
        ("https://proxy.example:8443/binance", "wss://proxy.example:8443/binance", "private"),
    ],
)
def test_stream_urls(rest: str, stream: str, route: str) -> None:
    assert stream_base(rest) == stream
    assert default_route(stream) == route


def test_stream_url_routes_and_shown_url() -> None:
    assert stream_url("wss://fstream.binance.com", "K", "private") == "wss://fstream.binance.com/private/ws/K"
    assert stream_url("wss://fstream.binance.com", "K", "legacy") == "wss://fstream.binance.com/ws/K"
    assert shown_url("ws://h:1", "private") == "ws://h:1/private/ws/<listenKey>"
    with pytest.raises(ValidationError, match="base_url"):
        stream_base("ftp://nowhere")
