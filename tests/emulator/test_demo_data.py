"""The demo account is coherent, as a Binance account is: each asset's wallet balance is the sum of its
income (TRANSFER deposits plus realized PnL, commissions, funding fees), and every trade's commission
and realized PnL are COMMISSION / REALIZED_PNL income records carrying its id, symbol and time
(https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-Income-History:
`tradeId` "trade id, if existing"). Read over loopback HTTP from a real EmulatorServer."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from binance_usdm.emulator import EmulatorServer

from .conftest import Client, ok

DAY = 86_400_000


def all_income(client: Client, now: int) -> list[dict[str, Any]]:
    """Every income record of the last 90 days (page by page)."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = ok(client.get("/fapi/v1/income", startTime=now - 90 * DAY, endTime=now, limit=1000, page=page))
        rows += batch
        if len(batch) < 1000:
            return rows
        page += 1


def all_trades(client: Client, symbol: str, now: int) -> list[dict[str, Any]]:
    """Every trade of `symbol` in the last 35 days (7-day windows, Binance's limit)."""
    trades: list[dict[str, Any]] = []
    for start in range(now - 35 * DAY, now, 7 * DAY):
        batch = ok(client.get("/fapi/v1/userTrades", symbol=symbol, startTime=start,
                              endTime=min(start + 7 * DAY - 1, now), limit=1000))
        assert len(batch) < 1000
        trades += batch
    return trades


def test_demo_wallet_is_its_income_and_trades_are_its_realized_pnl(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    income = all_income(client, now)
    wallet = {b["asset"]: Decimal(b["balance"]) for b in ok(client.get("/fapi/v3/balance"))}

    by_asset: dict[str, Decimal] = defaultdict(Decimal)
    kinds: set[str] = set()
    for r in income:
        by_asset[r["asset"]] += Decimal(r["income"])
        kinds.add(r["incomeType"])
    assert {"TRANSFER", "REALIZED_PNL", "COMMISSION", "FUNDING_FEE"} <= kinds
    assert {a: v for a, v in wallet.items() if v} == {a: v for a, v in by_asset.items() if v}
    assert sum(Decimal(r["income"]) for r in income if r["incomeType"] != "TRANSFER" and r["asset"] == "USDT")

    linked = {(r["incomeType"], r["tradeId"]): r for r in income if r["tradeId"]}
    trades = [t for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT") for t in all_trades(client, s, now)]
    assert len(trades) > 80
    expected = set()
    for t in trades:
        for kind, amount in (("COMMISSION", -Decimal(t["commission"])), ("REALIZED_PNL", Decimal(t["realizedPnl"]))):
            if not amount:
                continue
            expected.add((kind, str(t["id"])))
            r = linked[(kind, str(t["id"]))]
            assert (r["symbol"], r["time"], Decimal(r["income"])) == (t["symbol"], t["time"], amount)
            if kind == "COMMISSION":
                assert r["asset"] == t["commissionAsset"]
    trade_kinds = {"COMMISSION", "REALIZED_PNL"}
    assert {k for k in linked if k[0] in trade_kinds} == expected
    assert all(r["tradeId"] for r in income if r["incomeType"] in trade_kinds)
