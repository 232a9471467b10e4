"""The demo account is coherent, as a Binance account is: each asset's wallet balance is the sum of its
income (TRANSFER deposits plus realized PnL, commissions, funding fees), and each listed trade's commission
is a COMMISSION income record carrying its id, symbol and time
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


def test_demo_wallet_is_its_income_and_listed_trades_are_their_income(emu: EmulatorServer, client: Client) -> None:
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
    trades = ok(client.get("/fapi/v1/userTrades", symbol="BTCUSDT", startTime=now - 15 * DAY, endTime=now - 9 * DAY))
    trades += ok(client.get("/fapi/v1/userTrades", symbol="ETHUSDT", startTime=now - 12 * DAY, endTime=now - 5 * DAY))
    assert len(trades) == 2
    for t in trades:
        r = linked[("COMMISSION", str(t["id"]))]
        assert (r["symbol"], r["time"], Decimal(r["income"]), r["asset"]) == (
            t["symbol"], t["time"], -Decimal(t["commission"]), t["commissionAsset"])
        assert Decimal(t["realizedPnl"]) == 0 and ("REALIZED_PNL", str(t["id"])) not in linked
