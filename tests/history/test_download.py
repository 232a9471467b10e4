"""The download flow against the scripted exchange: request, poll with backoff, stream to disk;
timeouts, resuming, quota and span errors, expired links, file-server failures. Sync and async."""

from __future__ import annotations

import asyncio
import io
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from binance_usdm import AsyncBinanceRestClient, HistoryKind
from binance_usdm.downloads import DownloadProgress
from binance_usdm.errors import (
    DownloadError,
    DownloadQuotaExceeded,
    DownloadTimeout,
    InvalidRequestError,
    TransportError,
    ValidationError,
)
from tests.history.conftest import API_KEY, API_SECRET, Run
from tests.history.exchange import FILE_PATH, Exchange

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 3, 1, tzinfo=UTC)
FAST = {"poll_interval": 0.01, "max_poll_interval": 0.02}


def body(size: int) -> bytes:
    return os.urandom(size)


def test_processing_then_completed_streams_the_file(run: Run, exchange: Exchange, tmp_path: Path) -> None:
    ex = exchange
    ex.link_states = ["processing", "processing", "completed"]
    ex.file_body = body(1_000_003)
    events: list[DownloadProgress] = []
    target = tmp_path / "orders.csv"
    result = run(lambda h: h.download("orders", START, END, target, progress=events.append, **FAST))
    assert target.read_bytes() == ex.file_body
    assert result.path == target and result.size == len(ex.file_body)
    assert result.link.download_id == "777" and result.link.ready
    assert list(tmp_path.iterdir()) == [target]  # no .part left behind
    [request] = ex.calls("/fapi/v1/order/asyn")
    assert (request["startTime"], request["endTime"]) == ("1767225600000", "1772323200000")
    assert len(ex.calls("/fapi/v1/order/asyn/id")) == 3
    stages = [e.stage for e in events]
    assert stages[:2] == ["waiting", "waiting"] and stages[-1] == "done"
    downloading = [e for e in events if e.stage == "downloading"]
    assert downloading[-1].bytes_done == downloading[-1].bytes_total == len(ex.file_body)
    assert [e.bytes_done for e in downloading] == sorted(e.bytes_done for e in downloading)


@pytest.mark.parametrize("kind", [HistoryKind.TRADES, "transactions", "income"])
def test_kinds_pick_their_endpoints(run: Run, exchange: Exchange, kind: Any) -> None:
    exchange.file_body = b"a,b\n1,2\n"
    sink = io.BytesIO()
    result = run(lambda h: h.download(kind, START, END, sink, **FAST))
    assert sink.getvalue() == b"a,b\n1,2\n" and result.path is None and result.size == 8
    path = "/fapi/v1/trade/asyn" if kind is HistoryKind.TRADES else "/fapi/v1/income/asyn"
    assert len(exchange.calls(path)) == 1 and len(exchange.calls(path + "/id")) == 1


def test_polling_backs_off_exponentially(
    flavour: str, run: Run, exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    exchange.link_states = ["processing"] * 6 + ["completed"]
    slept: list[float] = []
    if flavour == "sync":
        real_sleep = time.sleep
        monkeypatch.setattr(time, "sleep", lambda s: (slept.append(s), real_sleep(0))[1])
    else:
        real_async_sleep = asyncio.sleep

        async def fake_sleep(seconds: float) -> None:
            slept.append(seconds)
            await real_async_sleep(0)

        monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    run(lambda h: h.download("trades", START, END, io.BytesIO(), poll_interval=1.0, max_poll_interval=8.0))
    assert slept == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_timeout_carries_the_id_and_fetch_download_resumes(
    run: Run, exchange: Exchange, tmp_path: Path
) -> None:
    exchange.link_states = ["processing"]
    target = tmp_path / "trades.csv"
    with pytest.raises(DownloadTimeout) as info:
        run(lambda h: h.download("trades", START, END, target, timeout=0.05, **FAST))
    assert info.value.download_id == "777" and "fetch_download" in str(info.value)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    exchange.link_states = ["completed"]
    exchange.file_body = b"id,qty\n1,2\n"
    result = run(lambda h: h.fetch_download(HistoryKind.TRADES, info.value.download_id, target, **FAST))
    assert target.read_bytes() == b"id,qty\n1,2\n" and result.size == 11
    assert len(exchange.calls("/fapi/v1/trade/asyn")) == 1  # resuming spent no quota


def test_span_over_a_year_is_refused_before_calling(run: Run, exchange: Exchange, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="365 days"):
        run(lambda h: h.download("orders", START, START + timedelta(days=366), tmp_path / "x.csv"))
    assert exchange.requests == []


@pytest.mark.parametrize(
    ("destination", "match"),
    [("missing-dir/x.csv", "does not exist"), (".", "is a directory"), (object(), "binary file object")],
)
def test_unusable_destination_is_refused_before_spending_quota(
    run: Run, exchange: Exchange, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    destination: Any, match: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError, match=match):
        run(lambda h: h.download("orders", START, END, destination))
    assert exchange.requests == []


@pytest.mark.parametrize(
    "kwargs", [
        {"poll_interval": 0}, {"poll_interval": 5, "max_poll_interval": 1}, {"timeout": -1},
        # wrong types used to fail with TypeError; a progress that is not callable, after spending quota
        {"poll_interval": None}, {"timeout": "60"}, {"max_poll_interval": float("inf")},
        {"timeout": float("nan")}, {"progress": "yes"},
    ]
)
def test_bad_polling_arguments(run: Run, exchange: Exchange, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        run(lambda h: h.download("orders", START, END, io.BytesIO(), **kwargs))
    assert exchange.requests == []


def test_monthly_quota_refusal_is_a_typed_error(run: Run, exchange: Exchange) -> None:
    exchange.fail["/fapi/v1/trade/asyn"] = (
        400, {"code": -1000, "msg": "Request limit of 5 times per month reached for trade downloads."}
    )
    with pytest.raises(DownloadQuotaExceeded) as info:
        run(lambda h: h.download("trades", START, END, io.BytesIO()))
    assert isinstance(info.value, InvalidRequestError) and info.value.quota == 5
    assert "monthly quota of 5" in str(info.value)
    assert exchange.calls("/fapi/v1/trade/asyn/id") == []


def test_other_refusals_pass_through_unchanged(run: Run, exchange: Exchange) -> None:
    exchange.fail["/fapi/v1/income/asyn"] = (400, {"code": -1127, "msg": "Lookup interval is too big."})
    with pytest.raises(InvalidRequestError) as info:
        run(lambda h: h.download("income", START, END, io.BytesIO()))
    assert not isinstance(info.value, DownloadQuotaExceeded) and info.value.code == -1127


def test_expired_link(run: Run, exchange: Exchange) -> None:
    exchange.expired = True
    with pytest.raises(DownloadError, match="expired") as info:
        run(lambda h: h.fetch_download("orders", "777", io.BytesIO(), **FAST))
    assert info.value.download_id == "777"


def test_file_server_refusal_leaves_no_file(run: Run, exchange: Exchange, tmp_path: Path) -> None:
    exchange.file_status = 403
    target = tmp_path / "orders.csv"
    with pytest.raises(DownloadError, match="HTTP 403") as info:
        run(lambda h: h.fetch_download("orders", "777", target, **FAST))
    assert info.value.download_id == "777"
    assert FILE_PATH not in str(info.value) and list(tmp_path.iterdir()) == []


def test_truncated_file_is_a_transport_error_and_leaves_no_file(
    run: Run, exchange: Exchange, tmp_path: Path
) -> None:
    exchange.file_body, exchange.file_cut = body(300_000), 100_000
    with pytest.raises(TransportError, match=r"download from 127\.0\.0\.1"):
        run(lambda h: h.fetch_download("orders", "777", tmp_path / "orders.csv", **FAST))
    assert list(tmp_path.iterdir()) == []


def test_async_download_does_not_block_the_loop(exchange: Exchange, tmp_path: Path) -> None:
    ex = exchange
    ex.file_body, ex.file_chunk, ex.file_chunk_delay = body(200_000), 20_000, 0.02
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def main() -> int:
        async with AsyncBinanceRestClient(API_KEY, API_SECRET, base_url=exchange.base_url,
                                          auto_time_sync=False) as client:
            task = asyncio.create_task(ticker())
            result = await client.usd_futures_api.history.download("orders", START, END, tmp_path / "o.csv", **FAST)
            task.cancel()
            return result.size

    assert asyncio.run(main()) == 200_000
    assert ticks >= 10  # the transfer took ~0.2 s and the loop kept running


def test_async_cancel_stops_the_transfer_and_cleans_up(exchange: Exchange, tmp_path: Path) -> None:
    ex = exchange
    ex.file_body, ex.file_chunk, ex.file_chunk_delay = body(2_000_000), 10_000, 0.01
    target = tmp_path / "o.csv"

    async def main() -> None:
        async with AsyncBinanceRestClient(API_KEY, API_SECRET, base_url=exchange.base_url,
                                          auto_time_sync=False) as client:
            task = asyncio.create_task(client.usd_futures_api.history.download("orders", START, END, target, **FAST))
            while not (tmp_path / "o.csv.part").exists():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())  # waits for the worker thread, which stops at its next chunk
    assert list(tmp_path.iterdir()) == []
