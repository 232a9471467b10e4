"""Real clients' futures user-data streams, pointed at the emulator, receive its events unchanged.

Only base URLs change: python-binance's `BinanceSocketManager.futures_user_socket()` (which connects
to `<FSTREAM_URL>private/ws?listenKey=<key>`), binance-futures-connector's `UMFuturesWebsocketClient`
(bare `/ws`, then a SUBSCRIBE naming the key) and ccxt pro's `watch_balance` / `watch_positions`
(`<urls.api.ws.linear>` rewritten to `/private/ws?listenKey=<key>`).

python-binance and the connector both install a top-level `binance` package whose only shared file
is `binance/__init__.py`; importing their submodules works whichever was installed last.
"""

from __future__ import annotations

import asyncio
import json
import queue
import time
from collections.abc import Iterator
from typing import Any

import pytest

from binance_usdm.emulator import Clock, EmulatorServer

from .conftest import Client, ok

T0 = 1_793_577_601_000  # 2026-11-02 00:00:01 UTC, 8 hours before a funding time


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(clock=Clock(frozen_at_ms=T0)) as server:
        yield server


async def test_python_binance_futures_user_socket(emu: EmulatorServer, client: Client) -> None:
    async_client = pytest.importorskip("binance.async_client")
    streams = pytest.importorskip("binance.ws.streams")

    class EmuClient(async_client.AsyncClient):  # type: ignore[misc, name-defined]
        API_URL, MARGIN_API_URL = emu.base_url + "/api", emu.base_url + "/sapi"
        FUTURES_URL, FUTURES_DATA_URL = emu.base_url + "/fapi", emu.base_url + "/futures/data"

    pb = await EmuClient.create(emu.api_key, emu.api_secret)
    try:
        manager = streams.BinanceSocketManager(pb)
        manager.FSTREAM_URL = emu.ws_url + "/"
        socket = manager.futures_user_socket()
        # Its read loop waits this long for a frame before checking whether it should stop, so closing
        # the socket takes up to that long (10 s by default); its recv() keeps waiting past it.
        socket.TIMEOUT = 0.1
        async with socket:
            ok(client.post("/fapi/v1/leverage", symbol="ETHUSDT", leverage=15))
            msg = await asyncio.wait_for(socket.recv(), 5)
            assert msg["e"] == "ACCOUNT_CONFIG_UPDATE" and msg["ac"] == {"s": "ETHUSDT", "l": 15}
            ok(client.admin("/emulator/balances", {"asset": "USDT", "balance": "26000"}))
            msg = await asyncio.wait_for(socket.recv(), 5)
            assert msg["a"]["m"] == "DEPOSIT" and msg["a"]["B"][0]["wb"] == "26000.00000000"
    finally:
        await pb.close_connection()


def test_binance_futures_connector_websocket_client(emu: EmulatorServer, client: Client) -> None:
    websocket_client = pytest.importorskip("binance.websocket.um_futures.websocket_client")
    um_futures = pytest.importorskip("binance.um_futures")
    rest = um_futures.UMFutures(key=emu.api_key, secret=emu.api_secret, base_url=emu.base_url)
    key = rest.new_listen_key()["listenKey"]
    messages: queue.Queue[Any] = queue.Queue()
    ws = websocket_client.UMFuturesWebsocketClient(stream_url=emu.ws_url,
                                                   on_message=lambda _, m: messages.put(json.loads(m)))
    try:
        ws.user_data(listen_key=key, id=7)
        assert messages.get(timeout=5) == {"result": None, "id": 7}
        ok(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=21))  # signed with the emulator's clock
        event = messages.get(timeout=5)
        assert event["e"] == "ACCOUNT_CONFIG_UPDATE" and event["ac"] == {"s": "BTCUSDT", "l": 21}
        rest.close_listen_key(key)
        expired = messages.get(timeout=5)
        assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == key
    finally:
        ws.stop()


async def test_ccxt_pro_watch_balance_and_positions(emu: EmulatorServer, client: Client) -> None:
    ccxt_pro = pytest.importorskip("ccxt.pro")
    emu.clock.unfreeze()  # running from T0; ccxt signs with real time minus its `timeDifference` option
    behind = int(time.time() * 1000) - emu.clock.now_ms()
    ex = ccxt_pro.binanceusdm({"apiKey": emu.api_key, "secret": emu.api_secret, "enableRateLimit": False,
                               "options": {"timeDifference": behind}})
    for name, url in list(ex.urls["api"].items()):
        if isinstance(url, str) and url.startswith("https://"):
            ex.urls["api"][name] = emu.base_url + "/" + url.split("/", 3)[3]
    ex.urls["api"]["ws"]["linear"] = emu.ws_url + "/ws"
    try:
        await ex.load_markets()
        watching = asyncio.ensure_future(ex.watch_balance())
        for _ in range(100):
            if emu.streams.connections().get("demo"):
                break
            await asyncio.sleep(0.02)
        ok(client.admin("/emulator/balances", {"asset": "USDT", "balance": "27000"}))
        balance = await asyncio.wait_for(watching, 5)
        assert balance["USDT"]["total"] == 27000.0
        watching_positions = asyncio.ensure_future(ex.watch_positions())
        await asyncio.sleep(0.1)
        ok(client.admin("/emulator/positions", {"symbol": "BNBUSDT", "positionAmt": "2", "entryPrice": "600"}))
        positions = await asyncio.wait_for(watching_positions, 5)
        bnb = [p for p in positions if p["symbol"] == "BNB/USDT:USDT"]
        assert bnb and bnb[0]["contracts"] == 2.0 and bnb[0]["entryPrice"] == 600.0
    finally:
        await ex.close()
