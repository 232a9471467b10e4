"""The read endpoints a bot calls on start, answered from orders and trades the admin API arranges.

Pages (parameters, windows, weights, shapes):
https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Current-All-Open-Orders
https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Query-Current-Open-Order
https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/All-Orders
https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Account-Trade-List
https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Users-Force-Orders
https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Current-All-Algo-Open-Orders
https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Query-Rate-Limit
https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-BNB-Burn-Status
https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Toggle-BNB-Burn-On-Futures-Trade
"""

from __future__ import annotations

from typing import Any

import pytest

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.scenario import read_scenario

from .conftest import Client, err, ok

DAY = 86_400_000
ORDER_FIELDS = ["avgPrice", "clientOrderId", "cumQuote", "executedQty", "orderId", "origQty", "origType", "price",
                "reduceOnly", "side", "positionSide", "status", "stopPrice", "closePosition", "symbol", "time",
                "timeInForce", "type", "updateTime", "workingType", "priceProtect", "priceMatch",
                "selfTradePreventionMode", "goodTillDate"]
TRADE_FIELDS = ["buyer", "commission", "commissionAsset", "id", "maker", "orderId", "price", "qty", "quoteQty",
                "realizedPnl", "side", "positionSide", "symbol", "time"]


def add(client: Client, kind: str, *records: dict[str, Any]) -> None:
    assert ok(client.admin(f"/emulator/{kind}", {"records": list(records)}))["added"] == len(records)


def weight(client: Client, path: str, **params: Any) -> int:
    before = int(client.get("/fapi/v1/time").headers["x-mbx-used-weight-1m"])
    answer = client.get(path, **params)
    assert answer.status == 200, answer.body
    return int(answer.headers["x-mbx-used-weight-1m"]) - before


def test_open_orders_from_the_admin_api(client: Client) -> None:
    add(client, "orders",
        {"symbol": "BTCUSDT", "orderId": 11, "clientOrderId": "a", "price": "80000", "origQty": "0.010"},
        {"symbol": "BTCUSDT", "orderId": 12, "status": "FILLED", "executedQty": "0.010"},
        {"symbol": "ETHUSDT", "orderId": 13, "status": "PARTIALLY_FILLED", "side": "SELL", "type": "TRAILING_STOP_MARKET",
         "activatePrice": "3600", "priceRate": "0.3"})
    every = ok(client.get("/fapi/v1/openOrders"))
    assert [o["orderId"] for o in every] == [11, 13]
    assert list(every[0]) == ORDER_FIELDS
    assert every[0]["price"] == "80000" and every[0]["status"] == "NEW" and every[0]["type"] == "LIMIT"
    assert {"activatePrice", "priceRate"} <= set(every[1])  # only on TRAILING_STOP_MARKET orders
    assert [o["orderId"] for o in ok(client.get("/fapi/v1/openOrders", symbol="ETHUSDT"))] == [13]
    err(client.get("/fapi/v1/openOrders", symbol="NOPEUSDT"), -1121)


def test_open_orders_weigh_1_with_a_symbol_and_40_without(client: Client) -> None:
    assert weight(client, "/fapi/v1/openOrders", symbol="BTCUSDT") == 1
    assert weight(client, "/fapi/v1/openOrders") == 40
    assert weight(client, "/fapi/v1/openAlgoOrders", symbol="BTCUSDT") == 1
    assert weight(client, "/fapi/v1/openAlgoOrders") == 40


def test_read_weights(client: Client) -> None:
    add(client, "orders", {"symbol": "BTCUSDT", "orderId": 5})
    assert weight(client, "/fapi/v1/openOrder", symbol="BTCUSDT", orderId=5) == 1
    assert weight(client, "/fapi/v1/allOrders", symbol="BTCUSDT") == 5
    assert weight(client, "/fapi/v1/userTrades", symbol="BTCUSDT") == 5
    assert weight(client, "/fapi/v1/forceOrders", symbol="BTCUSDT") == 20
    assert weight(client, "/fapi/v1/forceOrders") == 50
    assert weight(client, "/fapi/v1/rateLimit/order") == 1
    assert weight(client, "/fapi/v1/feeBurn") == 30


def test_open_order_by_id_or_client_id(client: Client) -> None:
    add(client, "orders", {"symbol": "BTCUSDT", "orderId": 21, "clientOrderId": "mine"},
        {"symbol": "BTCUSDT", "orderId": 22, "clientOrderId": "done", "status": "CANCELED"})
    assert ok(client.get("/fapi/v1/openOrder", symbol="BTCUSDT", orderId=21))["clientOrderId"] == "mine"
    assert ok(client.get("/fapi/v1/openOrder", symbol="BTCUSDT", origClientOrderId="mine"))["orderId"] == 21
    # "If the queried order has been filled or cancelled, the error message "Order does not exist" will be returned."
    assert err(client.get("/fapi/v1/openOrder", symbol="BTCUSDT", orderId=22), -2013) == "Order does not exist."
    err(client.get("/fapi/v1/openOrder", symbol="ETHUSDT", orderId=21), -2013)
    err(client.get("/fapi/v1/openOrder", symbol="BTCUSDT", orderId=21, origClientOrderId="other"), -2013)
    # "Either orderId or origClientOrderId must be sent."
    assert "orderId" in err(client.get("/fapi/v1/openOrder", symbol="BTCUSDT"), -1102)
    err(client.get("/fapi/v1/openOrder", orderId=21), -1102)


def test_all_orders_window_limit_and_visibility(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    add(client, "orders",
        # "order create time + 90 days < current time"
        {"symbol": "SOLUSDT", "orderId": 1, "time": now - 91 * DAY, "status": "FILLED", "executedQty": "1"},
        {"symbol": "SOLUSDT", "orderId": 2, "time": now - 9 * DAY, "status": "FILLED", "executedQty": "1"},
        # "order status is CANCELED or EXPIRED AND order has NO filled trade AND created time + 3 days < current time"
        {"symbol": "SOLUSDT", "orderId": 3, "time": now - 4 * DAY, "status": "CANCELED"},
        {"symbol": "SOLUSDT", "orderId": 4, "time": now - 4 * DAY, "status": "CANCELED", "executedQty": "0.5"},
        {"symbol": "SOLUSDT", "orderId": 5, "time": now - 2 * DAY, "status": "FILLED", "executedQty": "1"},
        {"symbol": "SOLUSDT", "orderId": 6, "time": now - DAY},
        {"symbol": "SOLUSDT", "orderId": 7, "time": now - 1000})
    ids = lambda rows: [o["orderId"] for o in rows]  # noqa: E731
    # default: the recent 7 days; "Otherwise most recent orders are returned"
    assert ids(ok(client.get("/fapi/v1/allOrders", symbol="SOLUSDT"))) == [4, 5, 6, 7]
    assert ids(ok(client.get("/fapi/v1/allOrders", symbol="SOLUSDT", limit=2))) == [6, 7]
    # "If orderId is set, it will get orders >= that orderId"
    assert ids(ok(client.get("/fapi/v1/allOrders", symbol="SOLUSDT", orderId=2, limit=2))) == [2, 4]
    assert ids(ok(client.get("/fapi/v1/allOrders", symbol="SOLUSDT", orderId=5))) == [5, 6, 7]
    assert ids(ok(client.get("/fapi/v1/allOrders", symbol="SOLUSDT", startTime=now - 10 * DAY,
                             endTime=now - 8 * DAY))) == [2]
    err(client.get("/fapi/v1/allOrders", symbol="SOLUSDT", startTime=now - 8 * DAY, endTime=now), -1127)
    err(client.get("/fapi/v1/allOrders", symbol="SOLUSDT", startTime=now, endTime=now - 1), -1023)
    err(client.get("/fapi/v1/allOrders", symbol="SOLUSDT", limit=1001), -1130)
    err(client.get("/fapi/v1/allOrders"), -1102)


def test_user_trades(emu: EmulatorServer, client: Client) -> None:
    # BNBUSDT: a symbol without demo trades
    now = emu.clock.now_ms()
    add(client, "trades",
        {"symbol": "BNBUSDT", "id": 100, "orderId": 1, "price": "90000", "qty": "0.001", "time": now - 3 * DAY},
        {"symbol": "BNBUSDT", "id": 101, "orderId": 2, "side": "SELL", "time": now - DAY},
        {"symbol": "BNBUSDT", "id": 102, "orderId": 2, "side": "SELL", "time": now - 1},
        {"symbol": "BNBUSDT", "id": 99, "orderId": 0, "time": now - 8 * DAY})
    rows = ok(client.get("/fapi/v1/userTrades", symbol="BNBUSDT"))
    assert [t["id"] for t in rows] == [100, 101, 102]  # "If startTime and endTime are both not sent ... last 7 days"
    assert list(rows[0]) == TRADE_FIELDS and rows[0]["buyer"] is True and rows[1]["buyer"] is False
    assert [t["id"] for t in ok(client.get("/fapi/v1/userTrades", symbol="BNBUSDT", orderId=2))] == [101, 102]
    assert [t["id"] for t in ok(client.get("/fapi/v1/userTrades", symbol="BNBUSDT", fromId=100, limit=2))] == [100, 101]
    assert [t["id"] for t in ok(client.get("/fapi/v1/userTrades", symbol="BNBUSDT", limit=1))] == [102]
    # "The parameter fromId cannot be sent with startTime or endTime."
    err(client.get("/fapi/v1/userTrades", symbol="BNBUSDT", fromId=100, startTime=now - DAY), -1128)
    # "The time between startTime and endTime cannot be longer than 7 days."
    err(client.get("/fapi/v1/userTrades", symbol="BNBUSDT", startTime=now - 8 * DAY, endTime=now), -1127)
    err(client.get("/fapi/v1/userTrades", symbol="BNBUSDT", limit=0), -1130)


def test_force_orders(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    add(client, "orders",
        {"symbol": "BTCUSDT", "orderId": 31, "clientOrderId": "autoclose-1596107620040000020", "status": "FILLED",
         "executedQty": "0.001", "timeInForce": "IOC", "side": "SELL", "time": now - DAY},
        {"symbol": "ETHUSDT", "orderId": 32, "clientOrderId": "adl_autoclose", "status": "FILLED",
         "executedQty": "0.1", "time": now - 2 * DAY},
        {"symbol": "ETHUSDT", "orderId": 33, "clientOrderId": "autoclose-1", "status": "FILLED",
         "executedQty": "0.1", "time": now - 9 * DAY},
        {"symbol": "ETHUSDT", "orderId": 34, "clientOrderId": "mine", "time": now - DAY})
    ids = lambda rows: [o["orderId"] for o in rows]  # noqa: E731
    # "If autoCloseType is not sent, orders with both of the types will be returned"
    assert sorted(ids(ok(client.get("/fapi/v1/forceOrders")))) == [31, 32]
    assert ids(ok(client.get("/fapi/v1/forceOrders", autoCloseType="ADL"))) == [32]
    assert ids(ok(client.get("/fapi/v1/forceOrders", autoCloseType="LIQUIDATION", symbol="BTCUSDT"))) == [31]
    # "If startTime is not sent, data within 7 days before endTime can be queried"
    assert ids(ok(client.get("/fapi/v1/forceOrders", symbol="ETHUSDT", endTime=now - 3 * DAY))) == [33]
    err(client.get("/fapi/v1/forceOrders", autoCloseType="OTHER"), -1130)
    err(client.get("/fapi/v1/forceOrders", limit=101), -1130)  # "Default 50; max 100."


def test_open_algo_orders(client: Client) -> None:
    add(client, "algo-orders",
        {"symbol": "BNBUSDT", "algoId": 2148627, "orderType": "TAKE_PROFIT", "triggerPrice": "750.000",
         "price": "750.000", "quantity": "0.01"},
        {"symbol": "BNBUSDT", "algoId": 2148628, "algoStatus": "CANCELED"},
        {"symbol": "ETHUSDT", "algoId": 2148629})
    rows = ok(client.get("/fapi/v1/openAlgoOrders"))
    assert [a["algoId"] for a in rows] == [2148627, 2148629]
    first = rows[0]
    assert first["algoType"] == "CONDITIONAL" and first["algoStatus"] == "NEW" and first["icebergQuantity"] is None
    assert list(first)[:4] == ["algoId", "clientAlgoId", "algoType", "orderType"]
    assert [a["algoId"] for a in ok(client.get("/fapi/v1/openAlgoOrders", symbol="ETHUSDT"))] == [2148629]
    assert ok(client.get("/fapi/v1/openAlgoOrders", algoId=2148628)) == []
    assert ok(client.get("/fapi/v1/openAlgoOrders", algoType="VP")) == []


def test_order_rate_limit_matches_exchange_info(client: Client) -> None:
    limits = ok(client.get("/fapi/v1/rateLimit/order"))
    assert {(r["rateLimitType"], r["interval"]) for r in limits} == {("ORDERS", "SECOND"), ("ORDERS", "MINUTE")}
    info = ok(client.call("GET", "/fapi/v1/exchangeInfo", signed=False))
    assert limits == [r for r in info["rateLimits"] if r["rateLimitType"] == "ORDERS"]


def test_fee_burn_get_and_toggle(client: Client) -> None:
    assert ok(client.get("/fapi/v1/feeBurn")) == {"feeBurn": True}
    assert ok(client.post("/fapi/v1/feeBurn", feeBurn="false")) == {"code": 200, "msg": "success"}
    assert ok(client.get("/fapi/v1/feeBurn")) == {"feeBurn": False}
    assert ok(client.get("/fapi/v2/account"))["feeBurn"] is False
    err(client.post("/fapi/v1/feeBurn", feeBurn="maybe"), -1130)
    err(client.post("/fapi/v1/feeBurn"), -1102)


def test_open_orders_drive_the_rules_and_the_v3_account(client: Client) -> None:
    """GET /fapi/v3/account lists symbols "with position or open orders" (Binance's page, change log
    2024-07-24): https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Account-Information-V3"""
    symbols = lambda: {p["symbol"] for p in ok(client.get("/fapi/v3/account"))["positions"]}  # noqa: E731
    assert symbols() == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    add(client, "orders", {"symbol": "XRPUSDT", "orderId": 41})
    assert symbols() == {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"}
    xrp = next(p for p in ok(client.get("/fapi/v3/account"))["positions"] if p["symbol"] == "XRPUSDT")
    assert xrp["positionAmt"] == "0.0" and xrp["positionSide"] == "BOTH"
    assert {p["symbol"] for p in ok(client.get("/fapi/v3/positionRisk"))} == symbols()
    err(client.post("/fapi/v1/marginType", symbol="XRPUSDT", marginType="ISOLATED"), -4047)
    add(client, "orders", {"symbol": "XRPUSDT", "orderId": 41, "status": "CANCELED"})  # same id: replaced
    assert "XRPUSDT" not in symbols()
    ok(client.post("/fapi/v1/marginType", symbol="XRPUSDT", marginType="ISOLATED"))


def test_open_order_count_makes_placeholder_orders(client: Client) -> None:
    ok(client.admin("/emulator/open-orders", {"symbol": "DOGEUSDT", "count": 3}))
    assert len(ok(client.get("/fapi/v1/openOrders", symbol="DOGEUSDT"))) == 3
    ok(client.admin("/emulator/open-orders", {"symbol": "DOGEUSDT", "count": 1}))
    assert len(ok(client.get("/fapi/v1/openOrders", symbol="DOGEUSDT"))) == 1
    assert client.admin("/emulator/open-orders", {"symbol": "DOGEUSDT", "count": 201}).status == 400


def test_scenario_creates_orders_trades_and_algo_orders() -> None:
    scenario = read_scenario()
    account = scenario["accounts"][0]
    account["symbols"]["XRPUSDT"] = {"openOrders": 2}
    account["algoOrders"] = [{"symbol": "BTCUSDT", "triggerPrice": "99000", "ageSeconds": 60}]
    with EmulatorServer(scenario=scenario) as emu:
        client = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        assert len(ok(client.get("/fapi/v1/openOrders", symbol="XRPUSDT"))) == 2
        assert ok(client.get("/fapi/v1/openAlgoOrders"))[0]["triggerPrice"] == "99000"
        now = emu.clock.now_ms()  # read once: two reads a millisecond apart make the window over 7 days
        filled = ok(client.get("/fapi/v1/allOrders", symbol="BTCUSDT", startTime=now - 15 * DAY,
                               endTime=now - 8 * DAY))
        assert [o["clientOrderId"] for o in filled] == ["demo-btc-1"]
        trades = ok(client.get("/fapi/v1/userTrades", symbol="BTCUSDT", orderId=8389765519123112471,
                               startTime=now - 15 * DAY, endTime=now - 8 * DAY))
        assert [(t["id"], t["price"], t["commission"]) for t in trades] == [(5323476301, "91250.50", "6.84378750")]
        client.close()


@pytest.mark.parametrize("record", [
    {"orderId": 1},                                     # no symbol
    {"symbol": "NOPEUSDT"},                             # unknown symbol
    {"symbol": "BTCUSDT", "status": "OPEN"},            # not one of Binance's statuses
    {"symbol": "BTCUSDT", "price": "NaN"},              # not a finite decimal
    {"symbol": "BTCUSDT", "origQty": "1e999"},
    {"symbol": "BTCUSDT", "time": -5},
    {"symbol": "BTCUSDT", "reduceOnly": "yes"},
])
def test_bad_order_records_are_refused_whole(client: Client, record: dict[str, Any]) -> None:
    answer = client.admin("/emulator/orders", {"records": [{"symbol": "BTCUSDT", "orderId": 77}, record]})
    assert answer.status == 400
    assert ok(client.get("/fapi/v1/openOrders", symbol="BTCUSDT")) == []


def test_get_parameters_in_a_form_body_are_not_read(client: Client) -> None:
    """"For GET endpoints, parameters must be sent as a query string": a GET signed in its body misses its
    mandatory timestamp (-1102), as a POST signed in its body does not.
    https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info"""
    msg = err(client.call("GET", "/fapi/v2/balance", in_body=True), -1102)
    assert "'timestamp'" in msg
    err(client.call("GET", "/fapi/v1/commissionRate", {"symbol": "BTCUSDT"}, in_body=True), -1102)
    ok(client.call("POST", "/fapi/v1/feeBurn", {"feeBurn": "true"}, in_body=True))
