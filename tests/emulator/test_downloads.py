"""Asynchronous downloads: id, processing, completed, CSV, quotas and windows."""

from __future__ import annotations

import csv
import io

import pytest

from binance_usdm.downloads import MONTHLY_QUOTA
from binance_usdm.emulator import EmulatorServer
from binance_usdm.enums import HistoryKind

from .conftest import Client, err, fetch, ok

DAY = 86_400_000


def test_income_download_flow(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    emu.clock.freeze()
    a = ok(client.get("/fapi/v1/income/asyn", startTime=now - 30 * DAY, endTime=now))
    assert list(a) == ["avgCostTimestampOfLast30d", "downloadId"] and len(a["downloadId"]) == 18
    st = ok(client.get("/fapi/v1/income/asyn/id", downloadId=a["downloadId"]))
    assert st == {"downloadId": a["downloadId"], "status": "processing", "url": "", "notified": False,
                  "expirationTimestamp": -1, "isExpired": None}
    emu.clock.advance(2.5)
    done = ok(client.get("/fapi/v1/income/asyn/id", downloadId=a["downloadId"]))
    assert done["status"] == "completed" and done["notified"] is True and done["isExpired"] is None
    assert done["expirationTimestamp"] == emu.clock.now_ms() - 500 + 7 * DAY
    assert done["url"].startswith(emu.base_url + "/emulator/downloads/")
    status, ctype, data = fetch(done["url"])
    assert status == 200 and ctype == "text/csv"
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows[0] == ["time", "tranId", "symbol", "incomeType", "income", "asset", "info", "tradeId"]
    assert len(rows) > 100
    # same id through the order endpoint: not this kind
    err(client.get("/fapi/v1/order/asyn/id", downloadId=a["downloadId"]), -1130)
    # expiry after 7 days
    emu.clock.advance(7 * 86400)
    assert ok(client.get("/fapi/v1/income/asyn/id", downloadId=a["downloadId"]))["isExpired"] is True
    assert fetch(done["url"])[0] == 404


def test_order_and_trade_downloads_use_scenario_records(emu: EmulatorServer, client: Client) -> None:
    emu.clock.freeze()
    now = emu.clock.now_ms()
    files = {}
    for kind in ("order", "trade"):
        a = ok(client.get(f"/fapi/v1/{kind}/asyn", startTime=now - 20 * DAY, endTime=now))
        emu.clock.advance(3)
        url = ok(client.get(f"/fapi/v1/{kind}/asyn/id", downloadId=a["downloadId"]))["url"]
        files[kind] = list(csv.reader(io.StringIO(fetch(url)[2].decode())))
    orders, trades = files["order"], files["trade"]
    assert orders[0][0] == "orderId" and [r[0] for r in orders[1:]] == ["8389765519123112471", "8389765519123112472"]
    # the two listed trades and the generated ones of the window (the demo's history), by time
    in_window = emu.backend.store.export_trades("demo", now - 20 * DAY, now)
    assert trades[0][0] == "id" and [int(r[0]) for r in trades[1:]] == [t["id"] for t in in_window]
    assert {5323476301, 2417751091} < {t["id"] for t in in_window} and len(in_window) > 150


def test_download_rules(emu: EmulatorServer, client: Client) -> None:
    emu.limiter.limit = 100_000  # each request weighs 1000, rejected ones too
    now = emu.clock.now_ms()
    assert "'startTime'" in err(client.get("/fapi/v1/trade/asyn", endTime=now), -1102)
    assert "'endTime'" in err(client.get("/fapi/v1/trade/asyn", startTime=now), -1102)
    err(client.get("/fapi/v1/trade/asyn", startTime=now, endTime=now - 1), -1023)
    err(client.get("/fapi/v1/trade/asyn", startTime=now - 366 * DAY, endTime=now), -1127)
    err(client.get("/fapi/v1/trade/asyn/id"), -1102)
    err(client.get("/fapi/v1/trade/asyn/id", downloadId="123"), -1130)


def test_monthly_quota(client: Client, emu: EmulatorServer) -> None:
    emu.limiter.limit = 100_000
    now = emu.clock.now_ms()
    for _ in range(5):
        ok(client.get("/fapi/v1/trade/asyn", startTime=now - DAY, endTime=now))
    msg = err(client.get("/fapi/v1/trade/asyn", startTime=now - DAY, endTime=now), -1000)
    assert "5 times per month" in msg
    ok(client.get("/fapi/v1/order/asyn", startTime=now - DAY, endTime=now))  # separate quota


@pytest.mark.parametrize(("kind", "quota"), [("order", 10), ("trade", 5), ("income", 5)])
def test_monthly_quotas_are_binances(client: Client, emu: EmulatorServer, kind: str, quota: int) -> None:
    """"Request Limitation is 10 times per month" (orders), "5 times per month" (trades and transactions),
    "shared by front end download page and rest api":
    https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-Download-Id-For-Futures-Order-History
    .../Get-Download-Id-For-Futures-Trade-History, .../Get-Download-Id-For-Futures-Transaction-History.
    The client's own figure (named in DownloadQuotaExceeded) states the same."""
    emu.limiter.limit = 100_000
    now = emu.clock.now_ms()
    for _ in range(quota):
        ok(client.get(f"/fapi/v1/{kind}/asyn", startTime=now - DAY, endTime=now))
    assert f"{quota} times per month" in err(client.get(f"/fapi/v1/{kind}/asyn", startTime=now - DAY, endTime=now),
                                             -1000)
    history_kind = {"order": HistoryKind.ORDERS, "trade": HistoryKind.TRADES, "income": HistoryKind.TRANSACTIONS}
    assert MONTHLY_QUOTA[history_kind[kind]] == quota
