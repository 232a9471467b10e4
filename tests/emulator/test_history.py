"""Income history: window, filters, limits, pages, retention; bulk generation."""

from __future__ import annotations

from binance_usdm.emulator import EmulatorServer

from .conftest import Client, err, kept_transfers, ok

DAY = 86_400_000


def test_default_window_is_last_7_days_ascending(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    rows = ok(client.get("/fapi/v1/income", limit=1000))
    assert rows and all(now - 7 * DAY <= r["time"] <= now for r in rows)
    keys = [(r["time"], r["tranId"]) for r in rows]
    assert keys == sorted(keys)
    assert list(rows[0]) == ["symbol", "incomeType", "income", "asset", "info", "time", "tranId", "tradeId"]
    assert len(ok(client.get("/fapi/v1/income"))) == 100  # default limit


def test_filters_and_pages(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    start = now - 27 * DAY
    funding = ok(client.get("/fapi/v1/income", incomeType="FUNDING_FEE", symbol="ETHUSDT", startTime=start,
                            limit=1000))
    assert funding and {(r["incomeType"], r["symbol"]) for r in funding} == {("FUNDING_FEE", "ETHUSDT")}
    transfers = ok(client.get("/fapi/v1/income", incomeType="TRANSFER", startTime=now - 30 * DAY))
    assert [r["asset"] for r in transfers] == ["USDT", "USDC", "BNB", "BTC", "USDT"]  # deposits, then one out
    all_rows = ok(client.get("/fapi/v1/income", startTime=start, endTime=now, limit=1000))
    page2 = ok(client.get("/fapi/v1/income", startTime=start, endTime=now, limit=50, page=2))
    assert page2 == all_rows[50:100]
    # inclusive bounds
    t = all_rows[10]["time"]
    same = ok(client.get("/fapi/v1/income", startTime=t, endTime=t, limit=1000))
    assert same and {r["time"] for r in same} == {t}


def test_income_rejections(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    assert err(client.get("/fapi/v1/income", limit=1001), -1130) == "Data sent for parameter 'limit' is not valid."
    err(client.get("/fapi/v1/income", limit=0), -1130)
    err(client.get("/fapi/v1/income", startTime=now, endTime=now - 1), -1023)
    err(client.get("/fapi/v1/income", incomeType="NOPE"), -1130)
    err(client.get("/fapi/v1/income", symbol="NOPEUSDT"), -1121)
    err(client.get("/fapi/v1/income", startTime="yesterday"), -1100)


def test_retention_three_months(emu: EmulatorServer, client: Client) -> None:
    assert kept_transfers(client, emu.clock.now_ms(), 100, 80) == [80]


def test_retention_is_a_setting() -> None:
    with EmulatorServer(income_retention_ms=400 * DAY) as emu:
        client = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        assert kept_transfers(client, emu.clock.now_ms(), 420, 380, 100) == [380, 100]
        client.close()
    assert emu.backend.income_retention_ms == 400 * DAY


def test_bulk_generation_and_indexed_queries(emu: EmulatorServer, client: Client) -> None:
    acc = emu.backend.account()
    before = emu.backend.store.count_income(acc.account_id)
    # 90 days of 1h intervals, 2 symbols, per interval 1 funding fee + 3 trades x (commission, pnl):
    # tens of thousands of rows, enough for the queries below to need the index (speed: benchmarks/)
    n = emu.backend.generate_history(acc, ["BTCUSDT", "ETHUSDT"], 90, "1h", 3)
    assert n == 90 * 24 * 2 * (1 + 3 * 2)
    assert emu.backend.store.count_income(acc.account_id) == before + n
    for shape in ({}, {"incomeType": "FUNDING_FEE"}, {"symbol": "BTCUSDT", "limit": 1000},
                  {"startTime": emu.clock.now_ms() - 60 * DAY, "limit": 1000}):
        assert len(ok(client.get("/fapi/v1/income", **shape))) > 0
