"""The emulator's user data stream over real loopback websockets: URL forms, requests, lifecycle.

Binance's pages: https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Connect
(URL, 60-minute key, 24-hour cut), .../user-data-streams/Event-User-Data-Stream-Expired (listenKeyExpired,
"E" as a string), .../websocket-market-streams/Live-Subscribing-Unsubscribing-to-streams (SUBSCRIBE answers).
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from binance_usdm.emulator import DEMO_API_KEY, Clock, EmulatorServer, StreamOptions
from binance_usdm.emulator.__main__ import main as emulator_main

from .conftest import Client, ok

TIMEOUT = 5.0
#: 2026-11-02 00:00:01 UTC: the next funding time is 8 hours away, so moving the clock by minutes
#: charges no funding in between.
T0 = 1_793_577_601_000


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(clock=Clock(frozen_at_ms=T0)) as server:
        yield server


@pytest.fixture
def key(client: Client) -> str:
    listen_key: str = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
    return listen_key


async def recv(ws: ClientConnection) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def closed(ws: ClientConnection) -> ConnectionClosed:
    with pytest.raises(ConnectionClosed) as info:
        await asyncio.wait_for(ws.recv(), TIMEOUT)
    return info.value


def set_leverage(client: Client, leverage: int, symbol: str = "BTCUSDT") -> None:
    ok(client.post("/fapi/v1/leverage", symbol=symbol, leverage=leverage))


@pytest.fixture
async def stream(emu: EmulatorServer, key: str) -> AsyncIterator[ClientConnection]:
    async with connect(f"{emu.ws_url}/ws/{key}") as ws:
        yield ws


@pytest.mark.parametrize("form", ["/ws/{k}", "/private/ws/{k}", "/private/ws?listenKey={k}", "/ws/{k}?listenKey={k}"])
async def test_raw_url_forms_deliver_the_leverage_event(emu: EmulatorServer, client: Client, key: str,
                                                        form: str) -> None:
    async with connect(emu.ws_url + form.format(k=key)) as ws:
        set_leverage(client, 7)
        event = await recv(ws)
    assert list(event) == ["e", "E", "T", "ac"]
    assert event["e"] == "ACCOUNT_CONFIG_UPDATE" and event["ac"] == {"s": "BTCUSDT", "l": 7}
    assert event["T"] <= event["E"] <= emu.clock.now_ms()


@pytest.mark.parametrize("path", ["/stream?streams={k}", "/private/stream?streams={k}"])
async def test_combined_stream_wraps_payloads(emu: EmulatorServer, client: Client, key: str, path: str) -> None:
    async with connect(emu.ws_url + path.format(k=key)) as ws:
        set_leverage(client, 9)
        event = await recv(ws)
    assert list(event) == ["stream", "data"]
    assert event["stream"] == key and event["data"]["ac"] == {"s": "BTCUSDT", "l": 9}


async def test_bare_ws_then_subscribe_is_answered_like_binance(emu: EmulatorServer, client: Client, key: str) -> None:
    async with connect(emu.ws_url + "/ws") as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [key], "id": 17}))
        assert await recv(ws) == {"result": None, "id": 17}
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 18}))
        assert await recv(ws) == {"result": [key], "id": 18}
        await ws.send(json.dumps({"method": "GET_PROPERTY", "params": ["combined"], "id": 19}))
        assert await recv(ws) == {"result": False, "id": 19}
        set_leverage(client, 11)
        assert (await recv(ws))["ac"]["l"] == 11
        await ws.send(json.dumps({"method": "SET_PROPERTY", "params": ["combined", True], "id": 20}))
        assert await recv(ws) == {"result": None, "id": 20}
        set_leverage(client, 12)
        assert (await recv(ws))["stream"] == key
        await ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": [key], "id": 21}))
        assert await recv(ws) == {"result": None, "id": 21}
        set_leverage(client, 13)
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 22}))
        assert await recv(ws) == {"result": [], "id": 22}  # the leverage event was not delivered


@pytest.mark.parametrize(("message", "code"), [
    ("not json", 3),
    (json.dumps({"method": "SUBSCRIBE", "params": ["x"], "id": "a"}), 2),
    (json.dumps({"method": "FETCH", "params": [], "id": 1}), 2),
    (json.dumps({"method": "GET_PROPERTY", "params": ["speed"], "id": 1}), 0),
    (json.dumps({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 1}), 1),
])
async def test_bad_requests_get_binance_error_codes(emu: EmulatorServer, message: str, code: int) -> None:
    async with connect(emu.ws_url + "/ws") as ws:
        await ws.send(message)
        answer = await recv(ws)
        assert answer["code"] == code and answer["msg"]
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 5}))
        assert await recv(ws) == {"result": [], "id": 5}  # the connection stays usable


async def test_an_unknown_key_opens_a_silent_stream(emu: EmulatorServer, client: Client, key: str) -> None:
    async with connect(f"{emu.ws_url}/ws/notakey") as silent, connect(f"{emu.ws_url}/ws/{key}") as live:
        set_leverage(client, 5)
        assert (await recv(live))["ac"]["l"] == 5
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(silent.recv(), 0.2)


async def test_other_paths_are_not_streams(emu: EmulatorServer) -> None:
    with pytest.raises(Exception, match="rejected WebSocket connection"):
        async with connect(emu.ws_url + "/fapi/v1/ping"):
            pass


async def test_delete_pushes_listen_key_expired_and_closes(emu: EmulatorServer, client: Client,
                                                           stream: ClientConnection, key: str) -> None:
    ok(client.call("DELETE", "/fapi/v1/listenKey", signed=False))
    event = await recv(stream)
    assert event == {"e": "listenKeyExpired", "E": event["E"], "listenKey": key}
    assert isinstance(event["E"], str) and int(event["E"]) <= emu.clock.now_ms()
    assert (await closed(stream)).rcvd is not None


async def test_key_expires_after_60_minutes_on_the_emulator_clock(emu: EmulatorServer, client: Client,
                                                                  stream: ClientConnection, key: str) -> None:
    emu.clock.advance(59 * 60)
    set_leverage(client, 6)
    assert (await recv(stream))["ac"]["l"] == 6  # still valid after 59 minutes
    ok(client.call("PUT", "/fapi/v1/listenKey", signed=False))  # keepalive: 60 more minutes
    emu.clock.advance(59 * 60)
    set_leverage(client, 8)
    assert (await recv(stream))["ac"]["l"] == 8
    emu.clock.advance(61)
    event = await recv(stream)
    assert event["e"] == "listenKeyExpired" and event["listenKey"] == key
    assert int(event["E"]) == emu.clock.now_ms()
    await closed(stream)


async def test_new_key_after_expiry_streams_again(emu: EmulatorServer, client: Client,
                                                  stream: ClientConnection, key: str) -> None:
    emu.clock.advance(3601)
    assert (await recv(stream))["e"] == "listenKeyExpired"
    new = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
    assert new != key
    async with connect(f"{emu.ws_url}/ws/{new}") as ws:
        set_leverage(client, 4)
        assert (await recv(ws))["ac"]["l"] == 4


async def test_connection_is_cut_at_its_lifetime_on_the_emulator_clock(client: Client) -> None:
    with EmulatorServer(clock=Clock(frozen_at_ms=T0), stream=StreamOptions(lifetime_s=600)) as emu:
        key = ok(Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
                 .call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
        async with connect(f"{emu.ws_url}/ws/{key}") as ws:
            emu.clock.advance(599)
            emu.backend.change_leverage(emu.backend.account(), "BTCUSDT", 3)
            assert (await recv(ws))["ac"]["l"] == 3
            emu.clock.advance(1)
            assert (await closed(ws)).rcvd is not None


async def test_admin_drop_closes_every_stream(emu: EmulatorServer, client: Client, key: str) -> None:
    async with connect(f"{emu.ws_url}/ws/{key}") as a, connect(f"{emu.ws_url}/stream?streams={key}") as b:
        await asyncio.sleep(0)
        assert ok(client.admin("/emulator/streams", method="GET")) == {"demo": 2, "total": 2}
        assert ok(client.admin("/emulator/streams/drop")) == {"closed": 2}
        await closed(a)
        await closed(b)
    assert ok(client.admin("/emulator/streams", method="GET")) == {"total": 0}


async def test_stopping_the_server_closes_its_streams(client: Client) -> None:
    emu = EmulatorServer(clock=Clock(frozen_at_ms=T0)).start()
    key = ok(Client(emu.base_url, emu.api_key, emu.clock.now_ms).call("POST", "/fapi/v1/listenKey",
                                                                     signed=False))["listenKey"]
    async with connect(f"{emu.ws_url}/ws/{key}") as ws:
        await asyncio.get_running_loop().run_in_executor(None, emu.stop)
        assert (await closed(ws)).rcvd.code == 1001  # type: ignore[union-attr]


async def test_every_stream_of_the_account_gets_every_event(emu: EmulatorServer, client: Client, key: str) -> None:
    async with connect(f"{emu.ws_url}/ws/{key}") as a, connect(f"{emu.ws_url}/private/ws/{key}") as b:
        for lev in (2, 3, 4):
            set_leverage(client, lev)
        for ws in (a, b):
            assert [(await recv(ws))["ac"]["l"] for _ in range(3)] == [2, 3, 4]


async def test_changes_make_events_only_while_a_stream_holds_a_key(emu: EmulatorServer, client: Client,
                                                                   key: str) -> None:
    """With no stream open the backend has no subscriber (a change makes no event); a stream opened
    then, and again after every stream closed, hears the next change."""
    events = emu.backend.events
    assert not events.listening
    set_leverage(client, 5)
    for lev in (6, 7):
        async with connect(f"{emu.ws_url}/ws/{key}") as ws:
            assert events.listening
            set_leverage(client, lev)
            assert (await recv(ws))["ac"] == {"s": "BTCUSDT", "l": lev}
        for _ in range(100):  # the server sees the close a little later
            if not events.listening:
                break
            await asyncio.sleep(0.01)
        assert not events.listening


async def test_multi_assets_change_pushes_ai(emu: EmulatorServer, client: Client, stream: ClientConnection) -> None:
    acc = emu.backend.account()
    for symbol, s in acc.settings.items():
        if s.isolated:
            emu.backend.close_position(acc, symbol)
            await recv(stream)
            emu.backend.change_margin_type(acc, symbol, False)
            await recv(stream)
    ok(client.post("/fapi/v1/multiAssetsMargin", multiAssetsMargin="true"))
    event = await recv(stream)
    assert list(event) == ["e", "E", "T", "ai"] and event["ai"] == {"j": True}


def test_balance_set_without_server_loop_is_harmless() -> None:
    emu = EmulatorServer()
    emu.backend.set_balance(emu.backend.account(), "USDT", Decimal(5))
    emu.backend.store.close()


async def test_command_line_stream_lifetime(capsys: pytest.CaptureFixture[str]) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--stream-lifetime", "60"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        assert proc.stdout.readline().strip() == f"user data stream: ws{base_url[4:]}/ws/<listenKey>"
        c = Client(base_url, DEMO_API_KEY, lambda: 0)
        key = ok(c.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
        async with connect(f"ws{base_url[4:]}/ws/{key}") as ws:
            ok(c.admin("/emulator/clock", {"advance": 59}))
            with pytest.raises(TimeoutError):  # still open: no close within 0.3 s, at most data (the 59 s
                while True:  # passed a funding time when run in the minute before one: a funding fee event)
                    await asyncio.wait_for(ws.recv(), 0.3)
            ok(c.admin("/emulator/clock", {"advance": 1}))
            await closed(ws)
        c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with pytest.raises(SystemExit) as refused:  # checked before serving: no second interpreter needed
        emulator_main(["--stream-lifetime", "0"])
    assert refused.value.code == 2 and "--stream-lifetime must be positive" in capsys.readouterr().err


def test_usdm_emulator_refuses_a_non_positive_stream_lifetime() -> None:
    from click.testing import CliRunner

    from binance_usdm.cli.main import cli

    result = CliRunner().invoke(cli, ["emulator", "--port", "0", "--stream-lifetime", "0"])
    assert result.exit_code == 2 and "--stream-lifetime" in result.output


def test_a_check_after_the_storage_thread_stopped_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """A check of the running clock that comes after the storage thread was shut down (`stop` does
    that once the loop's thread has had a second to close: under load a check can still fire) skips
    funding instead of raising out of its timer callback (asyncio's "Exception in callback")."""
    with EmulatorServer() as emu:
        loop = emu._loop
        assert loop is not None
        emu.app.storage.shutdown(wait=True)
        loop.call_soon_threadsafe(emu.streams._tick)  # a tick due now
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result(5)  # runs after it (FIFO)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
