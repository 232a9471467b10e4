"""Every state change pushes what Binance pushes, in Binance's field order and number formats.

Pages (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/...):
Event-Balance-and-Position-Update, Event-Account-Configuration-Update-previous-Leverage-Update,
Event-Margin-Call. The demo account: 25000 USDT, cross long 0.150 BTCUSDT @ 91250.5 (mark 95000),
isolated short 2.500 ETHUSDT @ 3520.25 with 1180.0625 isolated wallet (mark 3400), cross long 40
SOLUSDT @ 228.4 (mark 240).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from binance_usdm.emulator import Clock, EmulatorServer

from .conftest import Client, ok

T0 = 1_793_577_601_000  # 2026-11-02 00:00:01 UTC
NEXT_FUNDING = 1_793_606_400_000  # 08:00 UTC the same day
ACCOUNT_UPDATE_KEYS = ["e", "E", "T", "a"]
POSITION_KEYS = ["s", "pa", "ep", "bep", "cr", "up", "mt", "iw", "ps"]


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(clock=Clock(frozen_at_ms=T0)) as server:
        yield server


@pytest.fixture
async def ws(emu: EmulatorServer, client: Client) -> AsyncIterator[ClientConnection]:
    key = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
    async with connect(f"{emu.ws_url}/ws/{key}") as conn:
        yield conn


async def recv(ws: ClientConnection) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def nothing(ws: ClientConnection) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), 0.2)


def account_update(event: Any, reason: str) -> tuple[list[Any], list[Any]]:
    assert list(event) == ACCOUNT_UPDATE_KEYS and event["e"] == "ACCOUNT_UPDATE"
    assert list(event["a"]) == ["m", "B", "P"] and event["a"]["m"] == reason
    for b in event["a"]["B"]:
        assert list(b) == ["a", "wb", "cw", "bc"]
    for p in event["a"]["P"]:
        assert list(p) == POSITION_KEYS
    return event["a"]["B"], event["a"]["P"]


async def test_margin_type_change(emu: EmulatorServer, client: Client, ws: ClientConnection) -> None:
    ok(client.post("/fapi/v1/marginType", symbol="XRPUSDT", marginType="ISOLATED"))
    event = await recv(ws)
    balances, positions = account_update(event, "MARGIN_TYPE_CHANGE")
    assert event["T"] == event["E"] == T0
    assert balances == [{"a": "USDT", "wb": "25000.00000000", "cw": "23819.93750000", "bc": "0"}]
    assert positions == [{"s": "XRPUSDT", "pa": "0", "ep": "0.00000", "bep": "0", "cr": "0", "up": "0",
                          "mt": "isolated", "iw": "0.00000000", "ps": "BOTH"}]


async def test_isolated_margin_add_and_remove(emu: EmulatorServer, client: Client, ws: ClientConnection) -> None:
    ok(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="100", type=1))
    balances, positions = account_update(await recv(ws), "MARGIN_TRANSFER")
    assert balances == [{"a": "USDT", "wb": "25000.00000000", "cw": "23719.93750000", "bc": "0"}]
    assert positions == [{"s": "ETHUSDT", "pa": "-2.500", "ep": "3520.25000", "bep": "3518.489875", "cr": "0",
                          "up": "300.62500", "mt": "isolated", "iw": "1280.06250000", "ps": "BOTH"}]
    ok(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="50.5", type=2))
    balances, positions = account_update(await recv(ws), "MARGIN_TRANSFER")
    assert balances[0]["cw"] == "23770.43750000" and positions[0]["iw"] == "1229.56250000"


async def test_funding_fees_at_the_funding_time(emu: EmulatorServer, client: Client) -> None:
    emu.clock.set(NEXT_FUNDING - 1)
    key = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
    async with connect(f"{emu.ws_url}/ws/{key}") as ws:
        await funding_at_the_funding_time(emu, client, ws)


async def funding_at_the_funding_time(emu: EmulatorServer, client: Client, ws: ClientConnection) -> None:
    await nothing(ws)
    emu.clock.advance(0.001)  # 08:00:00.000 UTC: one fee per open leg (rate 0.0001 x amount x mark)
    fees = [await recv(ws) for _ in range(3)]
    assert {f["T"] for f in fees} == {NEXT_FUNDING} and all(f["E"] == NEXT_FUNDING for f in fees)
    by_bc = {account_update(f, "FUNDING_FEE")[0][0]["bc"]: f["a"] for f in fees}
    assert set(by_bc) == {"-1.42500000", "0.85000000", "-0.96000000"}  # BTC long, ETH short, SOL long
    assert by_bc["-1.42500000"]["P"] == [] and by_bc["-0.96000000"]["P"] == []  # cross: balance only
    eth = by_bc["0.85000000"]["P"]  # isolated: balance and that leg, its isolated wallet moved
    assert [(p["s"], p["iw"]) for p in eth] == [("ETHUSDT", "1180.91250000")]
    assert [f["a"]["B"][0]["wb"] for f in fees] == ["24998.57500000", "24999.42500000", "24998.46500000"]
    assert [f["a"]["B"][0]["cw"] for f in fees] == ["23818.51250000", "23818.51250000", "23817.55250000"]
    income = ok(client.get("/fapi/v1/income", incomeType="FUNDING_FEE", startTime=NEXT_FUNDING))
    assert sorted((r["symbol"], r["income"], r["time"]) for r in income) == [
        ("BTCUSDT", "-1.42500000", NEXT_FUNDING), ("ETHUSDT", "0.85000000", NEXT_FUNDING),
        ("SOLUSDT", "-0.96000000", NEXT_FUNDING)]
    balance = {b["asset"]: b for b in ok(client.get("/fapi/v2/balance"))}["USDT"]
    assert balance["balance"] == "24998.46500000"
    ok(client.call("PUT", "/fapi/v1/listenKey", signed=False))
    emu.clock.advance(3599)
    await nothing(ws)  # the next funding time is 8 hours away


async def test_funding_jump_charges_each_passed_time_once(emu: EmulatorServer, client: Client) -> None:
    emu.clock.set(NEXT_FUNDING + 2 * 8 * 3600_000 + 5)
    emu.clock.set(NEXT_FUNDING + 2 * 8 * 3600_000 + 9)
    times = [r["time"] for r in ok(client.get("/fapi/v1/income", incomeType="FUNDING_FEE", startTime=T0))]
    assert sorted(set(times)) == [NEXT_FUNDING + i * 8 * 3600_000 for i in range(3)]
    assert len(times) == 9


async def test_admin_balance_change(emu: EmulatorServer, client: Client, ws: ClientConnection) -> None:
    ok(client.admin("/emulator/balances", {"asset": "USDT", "balance": "25500"}))
    balances, positions = account_update(await recv(ws), "DEPOSIT")
    assert balances == [{"a": "USDT", "wb": "25500.00000000", "cw": "24319.93750000", "bc": "500.00000000"}]
    assert positions == []
    ok(client.admin("/emulator/balances", {"asset": "USDT", "balance": "25400"}))
    assert account_update(await recv(ws), "WITHDRAW")[0][0]["bc"] == "-100.00000000"
    ok(client.admin("/emulator/balances", {"asset": "USDC", "balance": "1600", "reason": "ADMIN_DEPOSIT"}))
    assert account_update(await recv(ws), "ADMIN_DEPOSIT")[0][0]["a"] == "USDC"
    bad = client.admin("/emulator/balances", {"asset": "USDC", "balance": "1", "reason": "GIFT"})
    assert bad.status == 400 and "reason" in bad.body["error"]


async def test_admin_position_open_and_close(emu: EmulatorServer, client: Client, ws: ClientConnection) -> None:
    ok(client.admin("/emulator/positions", {"symbol": "BNBUSDT", "positionAmt": "3", "entryPrice": "600"}))
    _, positions = account_update(await recv(ws), "ORDER")
    assert positions == [{"s": "BNBUSDT", "pa": "3.00", "ep": "600.00000", "bep": "600.3", "cr": "0",
                          "up": "120.00000", "mt": "cross", "iw": "0.00000000", "ps": "BOTH"}]
    ok(client.admin("/emulator/positions/close", {"symbol": "BNBUSDT"}))
    balances, positions = account_update(await recv(ws), "ORDER")
    assert positions == [{"s": "BNBUSDT", "pa": "0", "ep": "0.00000", "bep": "0", "cr": "120.00000000", "up": "0",
                          "mt": "cross", "iw": "0.00000000", "ps": "BOTH"}]
    assert balances[0]["wb"] == "25119.04000000"  # + 120 PnL - 0.96 taker commission


async def test_margin_call_when_marks_push_cross_margin_near_liquidation(
        emu: EmulatorServer, client: Client, ws: ClientConnection) -> None:
    ok(client.admin("/emulator/balances", {"asset": "USDT", "balance": "3000"}))
    await recv(ws)
    ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "90000"}))
    await nothing(ws)
    ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "75000"}))
    call = await recv(ws)
    assert list(call) == ["e", "E", "cw", "p"] and call["e"] == "MARGIN_CALL" and call["E"] == T0
    assert call["cw"] == "1819.93750000"
    assert call["p"] == [
        {"s": "BTCUSDT", "ps": "BOTH", "pa": "0.15", "mt": "CROSSED", "iw": "0", "mp": "75000",
         "up": "-2437.575", "mm": "45"},
        {"s": "SOLUSDT", "ps": "BOTH", "pa": "40", "mt": "CROSSED", "iw": "0", "mp": "240", "up": "464",
         "mm": "62.4"}]
    ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "74000"}))
    await nothing(ws)  # still at risk: one call per crossing
    ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "95000"}))
    ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "75000"}))
    assert (await recv(ws))["e"] == "MARGIN_CALL"  # crossed again


async def test_a_margin_call_is_rendered_only_for_listening_accounts(emu: EmulatorServer, client: Client) -> None:
    """Another account listens while the marks push this one past the ratio: nothing is rendered (nor
    remembered) for this one, so its first stream hears the call at the account's next change."""
    other = emu.backend.add_account(type(emu.backend.account()).from_dict({"accountId": "other", "alias": "o",
                                                                           "balances": {"USDT": "1"}}, T0))
    async with connect(f"{emu.ws_url}/ws/{emu.backend.listen_keys.create(other.account_id)}") as others:
        ok(client.admin("/emulator/balances", {"asset": "USDT", "balance": "3000"}))
        ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "75000"}))  # at risk, unheard
        key = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
        async with connect(f"{emu.ws_url}/ws/{key}") as ws:
            ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "74000"}))
            call = await recv(ws)
            assert call["e"] == "MARGIN_CALL" and [p["mp"] for p in call["p"]] == ["74000", "240"]
            ok(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": "73000"}))
            await nothing(ws)  # still at risk: one call per crossing
        await nothing(others)


async def test_margin_call_of_an_isolated_leg(emu: EmulatorServer, client: Client, ws: ClientConnection) -> None:
    ok(client.admin("/emulator/mark-price", {"symbol": "ETHUSDT", "price": "3975"}))
    call = await recv(ws)
    assert list(call) == ["e", "E", "p"]  # no cw for an isolated margin call
    assert call["p"] == [{"s": "ETHUSDT", "ps": "BOTH", "pa": "-2.5", "mt": "ISOLATED", "iw": "1180.0625",
                          "mp": "3975", "up": "-1136.875", "mm": "39.75"}]


async def test_events_reach_only_the_account_s_streams(emu: EmulatorServer, client: Client,
                                                       ws: ClientConnection) -> None:
    other = emu.backend.add_account(type(emu.backend.account()).from_dict({"accountId": "other", "alias": "o",
                                                                           "balances": {"USDT": "1"}}, T0))
    emu.backend.set_balance(other, "USDT", Decimal(2))
    await nothing(ws)
