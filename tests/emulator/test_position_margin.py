"""Isolated position margin: add/reduce rules, history, balances; margin arithmetic."""

from __future__ import annotations

from decimal import Decimal

from binance_usdm.emulator import EmulatorServer, margin
from binance_usdm.emulator.market import DEFAULT_SYMBOLS

from .conftest import Client, err, ok


def _eth(client: Client) -> dict[str, str]:
    row: dict[str, str] = ok(client.get("/fapi/v2/positionRisk", symbol="ETHUSDT"))[0]
    return row


def _usdt(client: Client) -> dict[str, str]:
    return next(b for b in ok(client.get("/fapi/v2/balance")) if b["asset"] == "USDT")


def test_add_and_reduce_margin(emu: EmulatorServer, client: Client) -> None:
    before, bal_before = _eth(client), _usdt(client)
    a = ok(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="250.5", type=1))
    assert a == {"amount": 250.5, "code": 200, "msg": "Successfully modify position margin.", "type": 1}
    after, bal_after = _eth(client), _usdt(client)
    assert Decimal(after["isolatedWallet"]) - Decimal(before["isolatedWallet"]) == Decimal("250.5")
    assert Decimal(bal_before["crossWalletBalance"]) - Decimal(bal_after["crossWalletBalance"]) == Decimal("250.5")
    assert bal_after["balance"] == bal_before["balance"]  # the wallet includes isolated margin
    assert Decimal(after["liquidationPrice"]) > Decimal(before["liquidationPrice"])  # short: further away
    ok(client.call("POST", "/fapi/v1/positionMargin", {"symbol": "ETHUSDT", "amount": "100", "type": 2},
                   in_body=True))
    assert Decimal(_eth(client)["isolatedWallet"]) == Decimal(before["isolatedWallet"]) + Decimal("150.5")
    hist = ok(client.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT"))
    assert [(h["type"], h["amount"]) for h in hist[-2:]] == [(1, "250.5"), (2, "100")]
    assert hist[-1]["deltaType"] == "USER_ADJUST" and hist[-1]["positionSide"] == "BOTH"
    assert hist[-1]["asset"] == "USDT"
    only_adds = ok(client.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT", type=1))
    assert {h["type"] for h in only_adds} == {1}
    v3 = next(p for p in ok(client.get("/fapi/v3/account"))["positions"] if p["symbol"] == "ETHUSDT")
    assert v3["isolatedWallet"] == _eth(client)["isolatedWallet"]


def test_position_margin_rejections(emu: EmulatorServer, client: Client) -> None:
    assert err(client.post("/fapi/v1/positionMargin", symbol="BTCUSDT", amount="10", type=1),
               -4049) == "Add margin only support for isolated position."
    ok(client.post("/fapi/v1/marginType", symbol="BNBUSDT", marginType="ISOLATED"))
    assert err(client.post("/fapi/v1/positionMargin", symbol="BNBUSDT", amount="10", type=1),
               -4054) == "Cannot add position margin: position is 0."
    assert err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="0", type=1),
               -4055) == "Amount must be positive."
    assert err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="1000000", type=1),
               -4050) == "Cross balance insufficient."
    # reducing below the initial margin (850) of the position
    assert err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="700", type=2),
               -4051) == "Isolated balance insufficient."
    err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="1", type=3), -1130)
    err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="1.123456789", type=1), -1111)
    err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="abc", type=1), -1100)
    err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", type=1), -1102)
    err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="1", type=1, positionSide="LONG"), -4061)
    err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="1", type=1, positionSide="UP"), -4060)


def test_hedge_mode_requires_position_side(emu: EmulatorServer, client: Client) -> None:
    for sym in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        ok(client.admin("/emulator/positions/close", {"symbol": sym}))
    ok(client.post("/fapi/v1/positionSide/dual", dualSidePosition="true"))
    ok(client.admin("/emulator/positions", {"symbol": "ETHUSDT", "positionAmt": "1", "entryPrice": "3300",
                                            "positionSide": "LONG"}))
    err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="5", type=1), -4061)
    ok(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="5", type=1, positionSide="LONG"))
    long_leg = next(r for r in ok(client.get("/fapi/v2/positionRisk", symbol="ETHUSDT"))
                    if r["positionSide"] == "LONG")
    assert long_leg["isolatedWallet"] == "335.00000000"  # 1 * 3300 / 10 + 5
    hist = ok(client.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT"))
    assert hist[-1]["positionSide"] == "LONG"


def test_margin_history_window_rules(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    day = 86_400_000
    err(client.get("/fapi/v1/positionMargin/history"), -1102)
    err(client.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT", startTime=now - 31 * day, endTime=now),
        -4165)
    err(client.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT", startTime=now, endTime=now - day), -1023)
    demo = ok(client.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT"))
    assert [h["type"] for h in demo] == [1, 2]
    assert ok(client.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT", limit=1)) == demo[:1]
    recent = ok(client.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT", startTime=now - 5 * day))
    assert [h["type"] for h in recent] == [2]


def test_margin_arithmetic() -> None:
    btc = DEFAULT_SYMBOLS["BTCUSDT"].brackets
    # bracket cum is continuous: MM at a boundary is equal from both sides
    assert margin.maint_margin(Decimal(50_000), btc) == Decimal(50_000) * Decimal("0.005") - Decimal(50)
    assert margin.maint_margin(Decimal(49_999), btc) == Decimal(49_999) * Decimal("0.004")
    assert margin.maint_margin(Decimal(1_000_000), btc) == Decimal(1_000_000) * Decimal("0.0065") - 950
    assert margin.initial_margin(Decimal(14_250), 10) == Decimal("1425")
    assert margin.unrealized_pnl(Decimal("-2.5"), Decimal("3520.25"), Decimal(3400)) == Decimal("300.625")
    # isolated short: LP = (WB + cum + |q| E) / (|q| MMR + |q|)
    lp = margin.liquidation_price(Decimal("-2.5"), Decimal("3520.25"), Decimal("1180.0625"),
                                  DEFAULT_SYMBOLS["ETHUSDT"].brackets, Decimal(3400))
    assert lp.quantize(Decimal("0.01")) == Decimal("3976.37")
    # isolated long at 10x: liquidated a bit less than 10 % below entry
    lp_long = margin.liquidation_price(Decimal(1), Decimal(100_000), Decimal(10_000), btc, Decimal(100_000))
    assert Decimal(90_000) < lp_long < Decimal(91_000)
    f = margin.asset_figures(Decimal(1000), Decimal(100), Decimal(-50), Decimal(-20), Decimal(300),
                             Decimal(200), Decimal(10))
    assert f.cross_wallet == 900 and f.available == 680 and f.max_withdraw == 680
    assert f.margin_balance == 950
