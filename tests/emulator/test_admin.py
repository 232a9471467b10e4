"""The admin API: marks, positions, balances, history records, clock, reset."""

from __future__ import annotations

from decimal import Decimal

from binance_usdm.emulator import EmulatorServer

from .conftest import Client, ok


def test_state_and_mark_price(emu: EmulatorServer, client: Client) -> None:
    state = ok(client.admin("/emulator/state", method="GET"))
    assert state["accounts"][0]["apiKeys"] == [emu.api_key]
    ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "100000"}))
    risk = ok(client.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]
    assert risk["markPrice"] == "100000.00000000"
    assert risk["unRealizedProfit"] == "1312.42500000"  # 0.15 * (100000 - 91250.5)
    assert client.admin("/emulator/mark-price", {"symbol": "NOPE", "price": "1"}).status == 400
    assert client.admin("/emulator/nothing").status == 404
    assert client.admin("/emulator/balances", {"asset": "USDT"}).status == 400


def test_positions_balances_and_close(emu: EmulatorServer, client: Client) -> None:
    ok(client.admin("/emulator/balances", {"asset": "USDT", "balance": "50000"}))
    ok(client.admin("/emulator/positions", {"symbol": "XRPUSDT", "positionAmt": "-1000", "entryPrice": "1.5"}))
    xrp = next(p for p in ok(client.get("/fapi/v3/positionRisk")) if p["symbol"] == "XRPUSDT")
    assert xrp["positionAmt"] == "-1000.0" and xrp["unRealizedProfit"] == "50.00000000"
    pnl = ok(client.admin("/emulator/positions/close", {"symbol": "XRPUSDT"}))["realizedPnl"]
    assert Decimal(pnl) == Decimal(50)
    bal = next(b for b in ok(client.get("/fapi/v2/balance")) if b["asset"] == "USDT")
    assert Decimal(bal["balance"]) == Decimal(50000) + 50 - Decimal("0.725")  # taker fee 0.05 % of 1450
    income = ok(client.get("/fapi/v1/income", symbol="XRPUSDT"))
    assert [(r["incomeType"], r["income"]) for r in income] == [("REALIZED_PNL", "50.00000000"),
                                                                  ("COMMISSION", "-0.72500000")]
    # the closing trade is in the trade history, and both records name it (income `tradeId` = trade `id`)
    [trade] = ok(client.get("/fapi/v1/userTrades", symbol="XRPUSDT"))
    assert {r["tradeId"] for r in income} == {str(trade["id"])} and trade["time"] == income[0]["time"]
    assert (trade["side"], trade["qty"], trade["price"], trade["realizedPnl"], trade["commission"]) == (
        "BUY", "1000", "1.45000000", "50.00000000", "0.72500000")


def test_history_records_and_clock(emu: EmulatorServer, client: Client) -> None:
    t = ok(client.admin("/emulator/clock", {"freeze": True}))["time"]
    assert ok(client.admin("/emulator/clock", {"advance": 3600}))["time"] == t + 3_600_000
    ok(client.admin("/emulator/income", {"records": [
        {"symbol": "BTCUSDT", "incomeType": "INSURANCE_CLEAR", "income": "-1.5", "asset": "USDT"}]}))
    rows = ok(client.get("/fapi/v1/income", incomeType="INSURANCE_CLEAR"))
    assert rows[0]["income"] == "-1.50000000" and rows[0]["time"] == t + 3_600_000
    ok(client.admin("/emulator/margin-history", {"records": [
        {"symbol": "SOLUSDT", "type": 2, "amount": "3", "deltaType": "TRADE"}]}))
    assert ok(client.get("/fapi/v1/positionMargin/history", symbol="SOLUSDT"))[0]["deltaType"] == "TRADE"


def test_reset_restores_scenario(emu: EmulatorServer, client: Client) -> None:
    ok(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=30))
    ok(client.admin("/emulator/reset"))
    assert ok(client.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]["leverage"] == "10"


def test_in_process_backend_api(emu: EmulatorServer, client: Client) -> None:
    b = emu.backend
    acc = b.account()
    b.set_mark_price("SOLUSDT", Decimal(200))
    assert ok(client.get("/fapi/v2/positionRisk", symbol="SOLUSDT"))[0]["unRealizedProfit"] == "-1136.00000000"
    b.set_open_orders(acc, "SOLUSDT", 1)
    a = client.post("/fapi/v1/marginType", symbol="SOLUSDT", marginType="ISOLATED")
    assert a.status == 400 and a.code == -4047
