"""Leverage, margin type, position mode and multi-assets mode: rules and their visibility."""

from __future__ import annotations

from decimal import Decimal

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.clock import Clock
from binance_usdm.emulator.market import DEFAULT_SYMBOLS
from binance_usdm.emulator.snapshot import max_notional

from .conftest import Client, err, ok


def _risk(client: Client, symbol: str) -> dict[str, str]:
    rows = ok(client.get("/fapi/v2/positionRisk", symbol=symbol))
    assert len(rows) == 1
    row: dict[str, str] = rows[0]
    return row


def test_max_notional_is_the_cap_of_the_last_bracket_allowing_the_leverage() -> None:
    for info in DEFAULT_SYMBOLS.values():
        for leverage in range(-2, info.max_leverage + 3):
            allowing = [b.notional_cap for b in info.brackets if b.initial_leverage >= leverage]
            assert max_notional(info, leverage) == max(allowing, default=0), (info.symbol, leverage)


def test_leverage_change_visible_everywhere(client: Client) -> None:
    a = ok(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=25))
    assert a == {"leverage": 25, "maxNotionalValue": "70000000", "symbol": "BTCUSDT"}
    risk = _risk(client, "BTCUSDT")
    assert risk["leverage"] == "25" and risk["maxNotionalValue"] == "70000000"
    # initial margin = notional / leverage: 0.15 * 95000 / 25 = 570
    pos = next(p for p in ok(client.get("/fapi/v2/account"))["positions"] if p["symbol"] == "BTCUSDT")
    assert pos["leverage"] == "25" and pos["initialMargin"] == "570.00000000"
    v3 = next(p for p in ok(client.get("/fapi/v3/account"))["positions"] if p["symbol"] == "BTCUSDT")
    assert v3["initialMargin"] == "570.00000000"
    # leverage without a position: any value up to bracket 1's initialLeverage
    assert ok(client.post("/fapi/v1/leverage", symbol="ADAUSDT", leverage=50))["maxNotionalValue"] == "5000"


def test_leverage_rejections(emu: EmulatorServer, client: Client) -> None:
    assert err(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=0), -4028) == "Leverage 0 is not valid"
    err(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=126), -4028)
    err(client.post("/fapi/v1/leverage", symbol="ADAUSDT", leverage=75), -4028)  # ADA max 50x
    err(client.post("/fapi/v1/leverage", symbol="NOPEUSDT", leverage=5), -1121)
    err(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage="x"), -1100)
    assert "'leverage'" in err(client.post("/fapi/v1/leverage", symbol="BTCUSDT"), -1102)
    assert "'symbol'" in err(client.post("/fapi/v1/leverage", leverage=5), -1102)
    # a 20M notional position sits in bracket 5 (25x): 50x is not allowed for it
    emu.backend.set_position(emu.backend.account(), "BTCUSDT", Decimal("210.5"), Decimal("95000"))
    emu.backend.set_balance(emu.backend.account(), "USDT", Decimal("10000000"))
    err(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=50), -4028)
    assert ok(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=25))["leverage"] == 25
    # isolated with a position: no reduction
    msg = err(client.post("/fapi/v1/leverage", symbol="ETHUSDT", leverage=5), -4161)
    assert msg.startswith("Leverage reduction is not supported")


def test_leverage_reduction_needs_margin(emu: EmulatorServer, client: Client) -> None:
    emu.backend.set_balance(emu.backend.account(), "USDT", Decimal("2000"))
    err(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=1), -2028)


def test_margin_type_rules(emu: EmulatorServer, client: Client) -> None:
    assert ok(client.post("/fapi/v1/marginType", symbol="BNBUSDT", marginType="ISOLATED")) == {
        "code": 200, "msg": "success"}
    assert _risk(client, "BNBUSDT")["marginType"] == "isolated"
    assert err(client.post("/fapi/v1/marginType", symbol="BNBUSDT", marginType="ISOLATED"),
               -4046) == "No need to change margin type."
    # refused with an open position (BTCUSDT is a cross long in the demo)
    assert err(client.post("/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED"),
               -4048) == "Margin type cannot be changed if there exists position."
    client.admin("/emulator/open-orders", {"symbol": "XRPUSDT", "count": 2})
    assert err(client.post("/fapi/v1/marginType", symbol="XRPUSDT", marginType="ISOLATED"),
               -4047) == "Margin type cannot be changed if there exists open orders."
    err(client.post("/fapi/v1/marginType", symbol="XRPUSDT", marginType="BOTH"), -1130)
    # v3 positionRisk lists a symbol with open orders even without a position
    assert any(r["symbol"] == "XRPUSDT" for r in ok(client.get("/fapi/v3/positionRisk")))


def test_position_mode_rules(emu: EmulatorServer, client: Client) -> None:
    assert ok(client.get("/fapi/v1/positionSide/dual")) == {"dualSidePosition": False}
    assert err(client.post("/fapi/v1/positionSide/dual", dualSidePosition="false"),
               -4059) == "No need to change position side."
    assert err(client.post("/fapi/v1/positionSide/dual", dualSidePosition="true"),
               -4068) == "Position side cannot be changed if there exists position."
    for sym in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        ok(client.admin("/emulator/positions/close", {"symbol": sym}))
    client.admin("/emulator/open-orders", {"symbol": "DOGEUSDT", "count": 1})
    err(client.post("/fapi/v1/positionSide/dual", dualSidePosition="true"), -4067)
    client.admin("/emulator/open-orders", {"symbol": "DOGEUSDT", "count": 0})
    err(client.post("/fapi/v1/positionSide/dual", dualSidePosition="maybe"), -1130)
    assert ok(client.post("/fapi/v1/positionSide/dual", dualSidePosition="True"))["code"] == 200
    assert ok(client.get("/fapi/v1/positionSide/dual")) == {"dualSidePosition": True}
    sides = [r["positionSide"] for r in ok(client.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))]
    assert sides == ["LONG", "SHORT"]


def test_multi_assets_rules(emu: EmulatorServer, client: Client) -> None:
    assert ok(client.get("/fapi/v1/multiAssetsMargin")) == {"multiAssetsMargin": False}
    err(client.post("/fapi/v1/multiAssetsMargin", multiAssetsMargin="false"), -4171)
    # ETHUSDT is isolated in the demo
    err(client.post("/fapi/v1/multiAssetsMargin", multiAssetsMargin="true"), -4167)
    ok(client.admin("/emulator/positions/close", {"symbol": "ETHUSDT"}))
    ok(client.post("/fapi/v1/marginType", symbol="ETHUSDT", marginType="CROSSED"))
    client.admin("/emulator/open-orders", {"symbol": "ETHUSDT", "count": 3})
    err(client.post("/fapi/v1/multiAssetsMargin", multiAssetsMargin="true"), -4170)
    client.admin("/emulator/open-orders", {"symbol": "ETHUSDT", "count": 0})
    single = ok(client.get("/fapi/v2/account"))
    assert ok(client.post("/fapi/v1/multiAssetsMargin", multiAssetsMargin="true"))["code"] == 200
    multi = ok(client.get("/fapi/v2/account"))
    assert multi["multiAssetsMargin"] is True
    # totals now count USDC, BNB and BTC at their USD value
    assert float(multi["totalWalletBalance"]) > float(single["totalWalletBalance"]) + 1500
    err(client.post("/fapi/v1/marginType", symbol="ADAUSDT", marginType="ISOLATED"), -4168)
    assert ok(client.post("/fapi/v1/multiAssetsMargin", multiAssetsMargin="False"))["code"] == 200


def test_brackets_commission_and_trading_status(client: Client) -> None:
    every = ok(client.get("/fapi/v1/leverageBracket"))
    assert {b["symbol"] for b in every} >= {"BTCUSDT", "ETHUSDT"}
    one = ok(client.get("/fapi/v1/leverageBracket", symbol="BTCUSDT"))
    assert isinstance(one, list) and len(one) == 1
    b = one[0]["brackets"]
    assert b[0] == {"bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0,
                    "maintMarginRatio": 0.004, "cum": 0.0}
    assert b[1]["cum"] == 50.0
    err(client.get("/fapi/v1/leverageBracket", symbol="FOO"), -1121)
    assert ok(client.get("/fapi/v1/commissionRate", symbol="BTCUSDT")) == {
        "symbol": "BTCUSDT", "makerCommissionRate": "0.0002", "takerCommissionRate": "0.0005",
        "rpiCommissionRate": "0.00007"}
    err(client.get("/fapi/v1/commissionRate"), -1102)
    assert ok(client.get("/fapi/v1/apiTradingStatus"))["indicators"] == {}
    ind = {"BTCUSDT": [{"isLocked": True, "plannedRecoverTime": 1545741270000, "indicator": "UFR",
                        "value": 0.05, "triggerValue": 0.995}]}
    ok(client.admin("/emulator/trading-status", {"indicators": ind}))
    a = client.get("/fapi/v1/apiTradingStatus", symbol="BTCUSDT")
    assert ok(a)["indicators"] == ind
    assert ok(client.get("/fapi/v1/apiTradingStatus", symbol="ETHUSDT"))["indicators"] == {}


def test_weights_per_endpoint(client: Client) -> None:
    def used(a: object) -> int:
        return int(a.headers["x-mbx-used-weight-1m"])  # type: ignore[attr-defined]

    base = used(client.call("GET", "/fapi/v1/ping", signed=False))
    assert used(client.get("/fapi/v1/apiTradingStatus", symbol="BTCUSDT")) == base + 1
    assert used(client.get("/fapi/v1/apiTradingStatus")) == base + 11
    assert used(client.get("/fapi/v1/income")) == base + 41
    assert used(client.get("/fapi/v1/positionSide/dual")) == base + 71


def test_adl_quantile(client: Client) -> None:
    rows = ok(client.get("/fapi/v1/adlQuantile"))
    assert {r["symbol"] for r in rows} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    eth = ok(client.get("/fapi/v1/adlQuantile", symbol="ETHUSDT"))
    assert eth[0]["adlQuantile"]["LONG"] == 0 and set(eth[0]["adlQuantile"]) == {"LONG", "SHORT", "BOTH"}
    assert 1 <= eth[0]["adlQuantile"]["SHORT"] <= 4


class _TickingClock(Clock):
    """A clock that moves 1 ms on every read (and only then): a second read in a request shows."""

    def __init__(self, start_ms: int) -> None:
        super().__init__(frozen_at_ms=start_ms)
        self.last_ms = start_ms

    def now_ms(self) -> int:
        self.last_ms += 1
        return self.last_ms


def test_a_leverage_change_records_the_time_its_request_was_dispatched_at() -> None:
    """The change's update time is the clock read the request log shows for it (one read per request),
    and a skew fault shifts only what the request sees, not when its change happened."""
    clock = _TickingClock(1_700_000_000_000)
    with EmulatorServer(clock=clock, faults=["POST /fapi/v1/leverage=skew:3000"]) as emu:
        c = Client(emu.base_url, emu.api_key, lambda: clock.now_ms() + 3000, secret=emu.api_secret)
        assert ok(c.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=9))["leverage"] == 9
        entry = emu.log.entries(path="/fapi/v1/leverage")[-1]
        assert emu.backend.account().update_time == entry.time
