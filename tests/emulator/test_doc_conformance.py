"""Answer details checked against Binance's USDⓈ-M documentation (fields, types, number formats)."""

from __future__ import annotations

from .conftest import Client, ok


def test_leverage_bracket_has_no_notional_coef_by_default(client: Client) -> None:
    # Binance doc: notionalCoef "only appears when user's symbol bracket is adjusted".
    for rows in (ok(client.get("/fapi/v1/leverageBracket")), ok(client.get("/fapi/v1/leverageBracket",
                                                                             symbol="BTCUSDT"))):
        for row in rows:
            assert list(row) == ["symbol", "brackets"]
            first = row["brackets"][0]
            assert list(first) == ["bracket", "initialLeverage", "notionalCap", "notionalFloor",
                                   "maintMarginRatio", "cum"]
            assert all(isinstance(first[k], int) for k in ("bracket", "initialLeverage", "notionalCap",
                                                           "notionalFloor"))
            assert isinstance(first["maintMarginRatio"], float)


def test_position_risk_v2_zero_figures(client: Client) -> None:
    # Binance doc example for an empty leg: "notional": "0", "isolatedWallet": "0",
    # "isolatedMargin": "0.00000000", "unRealizedProfit": "0.00000000", "liquidationPrice": "0".
    empty = ok(client.get("/fapi/v2/positionRisk", symbol="ADAUSDT"))[0]
    assert empty["notional"] == "0" and empty["isolatedWallet"] == "0"
    assert empty["isolatedMargin"] == "0.00000000" and empty["unRealizedProfit"] == "0.00000000"
    assert empty["entryPrice"] == "0.0" and empty["breakEvenPrice"] == "0.0" and empty["updateTime"] == 0
    # a cross position has no isolated wallet: "0", its notional keeps eight decimals
    btc = ok(client.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]
    assert btc["isolatedWallet"] == "0" and btc["notional"] == "14250.00000000"


def test_adl_quantile_keys_in_hedge_mode(client: Client) -> None:
    for sym in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        ok(client.admin("/emulator/positions/close", {"symbol": sym}))
    ok(client.post("/fapi/v1/positionSide/dual", dualSidePosition="true"))
    # BTCUSDT is cross: both legs open, winning long and losing short
    for side, amt, entry in (("LONG", "0.1", "80000"), ("SHORT", "-0.1", "90000")):
        ok(client.admin("/emulator/positions", {"symbol": "BTCUSDT", "positionAmt": amt, "entryPrice": entry,
                                                "positionSide": side}))
    # ETHUSDT is isolated: one long leg
    ok(client.admin("/emulator/positions", {"symbol": "ETHUSDT", "positionAmt": "1", "entryPrice": "3300",
                                            "positionSide": "LONG"}))
    rows = {r["symbol"]: r["adlQuantile"] for r in ok(client.get("/fapi/v1/adlQuantile"))}
    # Binance: crossed in hedge mode -> "HEDGE" sign and one value shown for LONG and SHORT
    btc = rows["BTCUSDT"]
    assert set(btc) == {"LONG", "SHORT", "HEDGE"} and btc["HEDGE"] == 0
    assert btc["LONG"] == btc["SHORT"] >= 2
    # Binance: isolated in hedge mode -> LONG / SHORT / BOTH
    eth = rows["ETHUSDT"]
    assert set(eth) == {"LONG", "SHORT", "BOTH"} and eth["SHORT"] == 0 and eth["BOTH"] == 0 and eth["LONG"] >= 1
