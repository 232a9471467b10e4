"""The client's policies against the emulator: a shared weight budget across concurrent calls (wait
or fail fast), 429 Retry-After, 418 bans, -1021 resync once, "no need to change" after a lost
answer, nothing resent that may have moved money, and deadlines that retries cannot stretch."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm import (
    AsyncBinanceRestClient,
    BinanceRestClient,
    IpBannedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    Timeouts,
    TimestampError,
    Wait,
)
from binance_usdm.emulator import EmulatorServer
from binance_usdm.errors import ClientRateLimitError, ConnectError, InvalidRequestError
from tests.resilience.conftest import MARGIN, READ, SLACK, TIMEOUTS, client_options, emulator, margin_state, run_ops
from tests.virtual_clock import VirtualClock

IP = "127.0.0.1"


@pytest.fixture
def small() -> Iterator[EmulatorServer]:
    """An emulator allowing 50 weight per minute, like the clients below."""
    with emulator(weight_limit=50) as server:
        yield server


def _gather(emu: EmulatorServer, n: int, **options: Any) -> tuple[list[Any], float]:
    """`n` concurrent get_account_info calls (weight 5) on one async client, after a clock sync."""

    async def main() -> tuple[list[Any], float]:
        async with AsyncBinanceRestClient(**client_options(emu, weight_limit=50, **options)) as client:
            await client.usd_futures_api.exchange_data.sync_time()
            account = client.usd_futures_api.account
            started = time.monotonic()
            results = await asyncio.gather(*(account.get_account_info() for _ in range(n)))
            return list(results), time.monotonic() - started

    return asyncio.run(main())


def test_concurrent_async_calls_share_the_budget_and_fail_fast(small: EmulatorServer) -> None:
    results, elapsed = _gather(small, 50, rate_limit="fail")
    ok = [r for r in results if r.success]
    refused = [r.error for r in results if not r.success]
    assert len(ok) >= 9  # 1 (time) + 9 x 5 fit in 50; more only if a minute boundary passed meanwhile
    assert refused and all(isinstance(e, ClientRateLimitError) and e.retry_after > 0 for e in refused)
    assert small.limiter.used(IP) <= 50  # the server never saw the budget broken
    assert elapsed < 10  # refused at once: waiting would mean up to a minute


def test_concurrent_threads_share_the_budget(small: EmulatorServer) -> None:
    with BinanceRestClient(**client_options(small, weight_limit=50, rate_limit="fail")) as client:
        client.usd_futures_api.exchange_data.sync_time()
        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(lambda _: client.usd_futures_api.account.get_account_info(), range(30)))
    refused = [r.error for r in results if not r.success]
    assert len(results) - len(refused) >= 9
    assert refused and all(isinstance(e, ClientRateLimitError) for e in refused)
    assert not any(isinstance(r.error, RateLimitError) for r in results)


def test_concurrent_async_calls_wait_for_the_next_minute(small: EmulatorServer) -> None:
    now = small.clock.now_ms() / 1000
    small.clock.advance(60 - now % 60 - 1.0)  # the emulator's minute ends in 1 s; the client syncs to it
    results, elapsed = _gather(small, 14)
    assert all(r.success for r in results), [r.error for r in results if not r.success]
    assert 0.7 < elapsed < 10  # 9 went at once, 5 waited ~1 s for the minute to turn (not a whole minute)
    assert small.limiter.used(IP) == 25  # the new minute's weight: never a 429


def test_429_fail_fast_holds_calls_for_retry_after(fresh: EmulatorServer) -> None:
    emu, clock = fresh, VirtualClock(fresh.clock.advance)
    with BinanceRestClient(**client_options(emu, rate_limit="fail", clock=clock)) as client:
        account = client.usd_futures_api.account
        assert account.get_brackets("BTCUSDT").success
        emu.faults.add("GET /fapi/v2/account=rate_limit:1,count=1")
        first = account.get_account_info().error
        used = emu.limiter.used(IP)
        held = account.get_balances().error
        clock.advance(0.5)
        still_held = account.get_balances().error
        assert emu.limiter.used(IP) == used  # neither was sent
        clock.advance(0.55)
        assert account.get_balances().success
    assert isinstance(first, RateLimitError) and first.retry_after == 1.0
    assert isinstance(held, ClientRateLimitError) and 0.9 < held.retry_after <= 1.0
    assert isinstance(still_held, ClientRateLimitError) and 0 < still_held.retry_after <= 0.5
    assert clock.waits == []  # failing fast never waits


def test_429_is_waited_out_for_its_retry_after(fresh: EmulatorServer, kind: str) -> None:
    clock = VirtualClock(fresh.clock.advance)
    [(result, elapsed)] = run_ops(kind, fresh, [READ], lambda: fresh.faults.add("GET /fapi/v2/account=rate_limit:1"
                                                                               ",count=1"), clock=clock)
    assert result.success and elapsed <= TIMEOUTS.total + SLACK
    assert clock.waits == [pytest.approx(1.0, abs=0.1)]  # the Retry-After, on the client's clock


def test_418_stops_every_call_until_the_ban_ends(fresh: EmulatorServer) -> None:
    emu = fresh

    clock = VirtualClock(emu.clock.advance)

    async def main() -> None:
        async with AsyncBinanceRestClient(**client_options(emu, clock=clock)) as client:
            account = client.usd_futures_api.account
            assert (await account.get_brackets("BTCUSDT")).success
            emu.faults.add("GET /fapi/v2/account=ban:1,count=1")
            banned = (await account.get_account_info()).error
            assert isinstance(banned, IpBannedError) and banned.banned_until is not None
            used = emu.limiter.used(IP)
            held = await asyncio.gather(*(account.get_balances() for _ in range(10)), account.get_account_info())
            assert all(isinstance(r.error, IpBannedError) and "no request sent" in r.error.msg for r in held)
            assert emu.limiter.used(IP) == used
            clock.advance(1.1)
            assert (await account.get_account_info()).success

    asyncio.run(main())


def test_timestamp_error_resyncs_and_retries_once(fresh: EmulatorServer, kind: str) -> None:
    emu = fresh
    faults: list[Any] = []
    # the account path sees a skewed clock that /fapi/v1/time does not show: the resync cannot help
    [(result, _)] = run_ops(kind, emu, [READ], lambda: faults.extend(emu.faults.extend(
        ["GET /fapi/v2/account=skew:10000", "GET /fapi/v1/time=latency:0"])))
    assert isinstance(result.error, TimestampError)
    skew, time_calls = faults
    assert (skew.fired, time_calls.fired) == (2, 1)


def test_a_resync_that_overruns_the_total_reports_the_timestamp_error(fresh: EmulatorServer, kind: str) -> None:
    """A -1021 makes the client measure the server's clock again; when that measurement takes what was
    left of the call's total, the call reports the -1021 it got, not a timeout."""
    emu = fresh
    slow_time = ["GET /fapi/v2/account=skew:10000", "GET /fapi/v1/time=latency:1500"]
    [(result, elapsed)] = run_ops(kind, emu, [READ], lambda: emu.faults.extend(slow_time),
                                  timeouts=Timeouts(connect=0.5, read=2.0, total=1.0))
    assert isinstance(result.error, TimestampError), result.error
    assert result.status_code == 400 and result.error.code == -1021 and elapsed <= 1.0 + SLACK


SETTINGS = {
    "margin-type": ("change_margin_type", ("XRPUSDT", "ISOLATED"), "POST /fapi/v1/marginType", -4046),
    "position-mode": ("modify_position_mode", (True,), "POST /fapi/v1/positionSide/dual", -4059),
    "multi-assets": ("set_multi_assets_mode", (False,), "POST /fapi/v1/multiAssetsMargin", -4171),
}


def _arrange(emu: EmulatorServer, setting: str) -> None:
    backend = emu.backend
    acc = backend.account()
    if setting == "position-mode":
        for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
            backend.close_position(acc, symbol)
    if setting == "multi-assets":
        acc.multi_assets = True
        backend.save(acc)


def _state(emu: EmulatorServer, setting: str) -> object:
    acc = emu.backend.account()
    return {"margin-type": lambda: acc.setting("XRPUSDT").isolated, "position-mode": lambda: acc.dual_side,
            "multi-assets": lambda: acc.multi_assets}[setting]()


@pytest.mark.parametrize("fault", ["drop_after,count=1", "unknown,applied=true,count=1"])
@pytest.mark.parametrize("setting", list(SETTINGS))
def test_setting_applied_by_a_lost_attempt_reports_success(
    fresh: EmulatorServer, kind: str, setting: str, fault: str
) -> None:
    name, args, path, _ = SETTINGS[setting]
    _arrange(fresh, setting)
    before = _state(fresh, setting)
    [(result, elapsed)] = run_ops(kind, fresh, [(name, args)], lambda: fresh.faults.add(f"{path}={fault}"))
    assert result.success, result.error  # the retry met "no need to change"
    assert result.data is not None and result.data.code == 200
    assert _state(fresh, setting) != before and elapsed <= TIMEOUTS.total + SLACK


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_no_need_to_change_without_a_lost_answer_is_reported(fresh: EmulatorServer, setting: str) -> None:
    name, args, _, code = SETTINGS[setting]
    _arrange(fresh, setting)
    [(_, _), (result, _)] = run_ops("sync", fresh, [(name, args), (name, args)])
    assert isinstance(result.error, InvalidRequestError) and result.error.code == code


def test_money_moving_write_never_sent_is_retried_and_reported_as_not_sent(kind: str) -> None:
    with socket.socket() as probe:
        probe.bind((IP, 0))
        port = probe.getsockname()[1]
    options = {"api_key": "k", "api_secret": "s", "base_url": f"http://{IP}:{port}", "timeouts": TIMEOUTS,
               "retry": RetryPolicy(max_retries=2, backoff_base=0.05), "auto_time_sync": False}
    name, args = MARGIN
    started = time.monotonic()
    if kind == "sync":
        with BinanceRestClient(**options) as client:
            result = getattr(client.usd_futures_api.account, name)(*args)
    else:
        async def main() -> Any:
            async with AsyncBinanceRestClient(**options) as client:
                return await getattr(client.usd_futures_api.account, name)(*args)

        result = asyncio.run(main())
    assert isinstance(result.error, ConnectError) and not result.error.request_sent
    assert time.monotonic() - started <= TIMEOUTS.total + SLACK


def test_backoff_never_stretches_a_call_past_its_total(fresh: EmulatorServer, kind: str) -> None:
    slow = RetryPolicy(max_retries=5, backoff_base=1.0, backoff_max=1.0)
    [(result, elapsed)] = run_ops(kind, fresh, [READ], lambda: fresh.faults.add("GET /fapi/v2/account=status:500"),
                                  retry=slow)
    assert isinstance(result.error, ServerError) and elapsed <= TIMEOUTS.total + SLACK


def test_a_backoff_that_overruns_the_total_reports_the_answer_it_retried(fresh: EmulatorServer, kind: str) -> None:
    """The policy retries only when the backoff ends in time; when the wait runs late anyway (a loaded
    machine; here the `on_wait` hook blocks until the total has passed), the call reports the server's
    answer that it retried, not a timeout that would say nothing was sent."""
    def late(wait: Wait) -> None:
        time.sleep(TIMEOUTS.total)

    quick = RetryPolicy(max_retries=5, backoff_base=0.05, backoff_max=0.05)
    [(result, _)] = run_ops(kind, fresh, [READ], lambda: fresh.faults.add("GET /fapi/v2/account=status:500"),
                            retry=quick, on_wait=late)
    assert isinstance(result.error, ServerError), result.error
    assert result.status_code == 500 and result.error.status_code == 500


def test_outcome_unknown_can_be_checked_in_the_margin_history(fresh: EmulatorServer, kind: str) -> None:
    """What the docs tell users to do after OutcomeUnknownError: look the change up, do not resend."""
    before, _ = margin_state(fresh)
    ops = [MARGIN, ("get_margin_change_history", ("ETHUSDT",))]
    [(lost, _), (history, _)] = run_ops(kind, fresh, ops, lambda: fresh.faults.add(
        "POST /fapi/v1/positionMargin=drop_after,count=1"))
    assert lost.error is not None and "check the state" in lost.error.msg
    assert history.success and len(history.data) == before + 1
    assert history.data[-1].amount == Decimal("10")
