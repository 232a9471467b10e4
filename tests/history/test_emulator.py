"""The history API against the emulator: generated bulk income, margin changes added through the
admin API, a real download (processing -> completed -> file), the monthly quota. Sync and async."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient
from binance_usdm.emulator import EmulatorServer
from binance_usdm.errors import DownloadQuotaExceeded
from tests.history.conftest import Run, admin

DAY_MS = 86_400_000


def test_income_matches_the_exchange_record_for_record(run_emulator: Run, emulator: EmulatorServer) -> None:
    added = admin(emulator, "/emulator/generate", {
        "symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT"], "days": 20, "interval": "1h", "tradesPerInterval": 2,
    })["added"]
    assert added > 7_000
    now = emulator.clock.now_ms()
    start = now - 25 * DAY_MS
    got = run_emulator(lambda h: h.iter_income(
        datetime.fromtimestamp(start / 1000, UTC), datetime.fromtimestamp(now / 1000, UTC), window=timedelta(days=7)
    ))
    account = emulator.backend.account().account_id
    expected = [(row.tran_id, row.income_type) for row in emulator.backend.store.iter_income(account, start, now)]
    assert [(r.tran_id, r.income_type.value) for r in got] == expected


def test_margin_changes_match_including_identical_neighbours(run_emulator: Run, emulator: EmulatorServer) -> None:
    now = emulator.clock.now_ms()
    base = now - 20 * DAY_MS
    times = [base + (i // 7) * 60_000 for i in range(1_200)]  # seven identical records a minute
    records = [
        {"symbol": "BTCUSDT", "type": 1 + (t // 60_000) % 2, "deltaType": "USER_ADJUST", "amount": "12.5",
         "asset": "USDT", "time": t, "positionSide": "BOTH"}
        for t in times
    ]
    assert admin(emulator, "/emulator/margin-history", {"records": records})["added"] == 1_200
    got = run_emulator(lambda h: h.iter_margin_changes("BTCUSDT", datetime.fromtimestamp((now - 25 * DAY_MS) / 1000, UTC)))
    assert [(r.time.to_ms(), r.type.value, str(r.amount)) for r in got] == [
        (r["time"], r["type"], "12.5") for r in records
    ]


def test_download_waits_then_streams_the_exchange_file(
    run_emulator: Run, emulator: EmulatorServer, tmp_path: Path
) -> None:
    now = datetime.fromtimestamp(emulator.clock.now_ms() / 1000, UTC)
    stages: list[str] = []
    target = tmp_path / "transactions.csv"
    result = run_emulator(lambda h: h.download(
        "transactions", now - timedelta(days=30), now, target, poll_interval=0.05,
        progress=lambda p: stages.append(p.stage),
    ))
    expected = emulator.backend.downloads.csv_bytes(result.link.download_id)
    assert expected is not None and expected.startswith(b"time,tranId,symbol")
    assert target.read_bytes() == expected and result.size == len(expected)
    assert stages[0] == "waiting" and stages[-1] == "done"  # the emulator prepares files for 0.3 s


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_monthly_quota_is_reported_as_such(flavour: str, emulator: EmulatorServer, tmp_path: Path) -> None:
    now = datetime.fromtimestamp(emulator.clock.now_ms() / 1000, UTC)
    start = now - timedelta(days=3)
    options = {"base_url": emulator.base_url, "weight_limit": 10**9}
    if flavour == "sync":
        with BinanceRestClient(emulator.api_key, emulator.api_secret, **options) as client:
            for _ in range(5):
                client.usd_futures_api.account.get_download_id_for_trade_history(start, now).unwrap()
            with pytest.raises(DownloadQuotaExceeded) as info:
                client.usd_futures_api.history.download("trades", start, now, tmp_path / "t.csv")
    else:
        async def main() -> pytest.ExceptionInfo[DownloadQuotaExceeded]:
            async with AsyncBinanceRestClient(emulator.api_key, emulator.api_secret, **options) as client:
                for _ in range(5):
                    (await client.usd_futures_api.account.get_download_id_for_trade_history(start, now)).unwrap()
                with pytest.raises(DownloadQuotaExceeded) as caught:
                    await client.usd_futures_api.history.download("trades", start, now, tmp_path / "t.csv")
                return caught

        info = asyncio.run(main())
    assert info.value.quota == 5
    assert list(tmp_path.iterdir()) == []
