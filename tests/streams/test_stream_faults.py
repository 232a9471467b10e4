"""The user data stream over real loopback sockets, sync and async: listen keys from the emulator's
REST API, the websocket from a scripted server (``scripted_ws``) that produces what a real server
rarely does on demand: every event kind, garbage, unknown types, drops, the 24-hour cut (a close
frame), refused handshakes, ``listenKeyExpired``."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, ConnectError
from binance_usdm._wire.stream_policy import Backoff
from binance_usdm.emulator import EmulatorServer
from binance_usdm.models.events import (
    AccountConfigUpdate,
    AccountUpdate,
    GenericEvent,
    ListenKeyExpired,
    MarginCall,
    OrderTradeUpdate,
    TradeLite,
)
from binance_usdm.models.notices import Connected, Disconnected, ListenKeyReplaced, MessageSkipped, Reconnected
from tests.streams import samples
from tests.streams.scripted_ws import ScriptedStream, scripted_stream

FAST = Backoff(initial=0.01, maximum=0.05)


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def ws() -> Iterator[ScriptedStream]:
    with scripted_stream() as server:
        yield server


def _client(emu: EmulatorServer) -> BinanceRestClient:
    return BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url)


def _live_key(emu: EmulatorServer) -> int | None:
    return emu.backend.listen_keys.expiry(emu.backend.account().account_id)


def _key_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


EXPECTED_KINDS = [AccountUpdate, AccountConfigUpdate, AccountConfigUpdate, MarginCall, OrderTradeUpdate, TradeLite,
                  GenericEvent]


def test_sync_every_event_kind_and_what_is_not_an_event(emu: EmulatorServer, ws: ScriptedStream) -> None:
    with _client(emu) as client, client.user_stream(stream_url=ws.url, backoff=FAST) as stream:
        assert isinstance(next(stream), Connected)
        ws.wait_connections(1)
        assert ws.paths[0].startswith("/private/ws/")  # Binance's current route by default
        for sample in samples.ALL[:-1]:
            ws.push(sample)
        ws.push("not json at all")
        ws.push({"result": None, "id": 1})  # a subscription answer carries no event
        ws.push({"stream": "key", "data": samples.TRADE_LITE})  # the combined-stream envelope
        ws.push({"e": "ACCOUNT_UPDATE", "E": 1})  # a known type of the wrong shape
        items = [next(stream) for _ in range(len(EXPECTED_KINDS) + 3)]
    assert [type(item) for item in items[: len(EXPECTED_KINDS)]] == EXPECTED_KINDS
    update = items[0]
    assert isinstance(update, AccountUpdate)
    assert update.balances[0].wallet_balance == Decimal("122624.12345678")
    assert update.positions[1].isolated_wallet == Decimal("13200.70726908")
    assert isinstance(items[-3], MessageSkipped) and "malformed" in items[-3].problem
    assert isinstance(items[-2], TradeLite)
    assert isinstance(items[-1], MessageSkipped) and "ACCOUNT_UPDATE" in items[-1].problem
    assert _live_key(emu) is None  # closing the stream closed the key


def test_async_drop_and_24_hour_cut_reconnect_and_events_keep_flowing(emu: EmulatorServer, ws: ScriptedStream) -> None:
    async def run() -> None:
        async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
            async with client.user_stream(stream_url=ws.url, route="legacy", backoff=FAST) as stream:
                assert isinstance(await anext(stream), Connected)
                await asyncio.to_thread(ws.wait_connections, 1)
                assert ws.paths[0].startswith("/ws/")
                ws.drop_all()  # no close frame: the network died
                dropped = await anext(stream)
                assert isinstance(dropped, Disconnected) and "without a close frame" in dropped.reason
                back = await anext(stream)
                assert isinstance(back, Reconnected) and back.attempts == 1 and back.gap.total_seconds() >= 0
                await asyncio.to_thread(ws.wait_connections, 2)
                ws.push(samples.LEVERAGE_UPDATE)
                assert isinstance(await anext(stream), AccountConfigUpdate)
                await asyncio.to_thread(ws.close_all, 1001, "24h")  # what the 24-hour cut looks like
                cut = await anext(stream)
                assert isinstance(cut, Disconnected) and "1001" in cut.reason
                assert isinstance(await anext(stream), Reconnected)
                await asyncio.to_thread(ws.wait_connections, 3)
                ws.push(samples.MARGIN_CALL)
                assert isinstance(await anext(stream), MarginCall)
                assert len({_key_of(path) for path in ws.paths}) == 1  # the same key throughout
            assert _live_key(emu) is None

    asyncio.run(run())


def test_sync_listen_key_expired_gets_a_new_key_and_events_keep_flowing(emu: EmulatorServer, ws: ScriptedStream) -> None:
    with _client(emu) as client, client.user_stream(stream_url=ws.url, backoff=FAST) as stream:
        assert isinstance(next(stream), Connected)
        ws.wait_connections(1)
        emu.clock.advance(2 * 3600)  # nobody kept the key alive: Binance expired it...
        ws.push(samples.LISTEN_KEY_EXPIRED)  # ...and said so on the stream
        assert isinstance(next(stream), ListenKeyExpired)
        replaced = next(stream)
        assert isinstance(replaced, ListenKeyReplaced) and "expired" in replaced.reason
        assert isinstance(next(stream), Reconnected)
        ws.wait_connections(2)
        assert _key_of(ws.paths[0]) != _key_of(ws.paths[1])
        ws.push(samples.ORDER_TRADE_UPDATE)
        assert isinstance(next(stream), OrderTradeUpdate)


def test_keepalive_finding_the_key_gone_replaces_it(emu: EmulatorServer, ws: ScriptedStream) -> None:
    now = [0.0]
    with _client(emu) as client:
        stream = client.user_stream(stream_url=ws.url, backoff=FAST, clock=lambda: now[0])
        with stream:
            assert isinstance(next(stream), Connected)
            before = _live_key(emu)
            emu.clock.advance(600)
            now[0] += 30 * 60  # a keepalive is due (every 30 minutes)
            ws.push(samples.TRADE_LITE)
            assert isinstance(next(stream), TradeLite)  # the keepalive went out before reading
            after = _live_key(emu)
            assert before is not None and after is not None and after - before >= 600_000
            emu.clock.advance(2 * 3600)  # the key is gone: -1125 on the next keepalive
            now[0] += 30 * 60
            replaced = next(stream)
            assert isinstance(replaced, ListenKeyReplaced) and "-1125" in replaced.reason
            assert isinstance(next(stream), Reconnected)
            ws.wait_connections(2)
            assert _key_of(ws.paths[0]) != _key_of(ws.paths[1])


def test_refused_handshakes_back_off_and_ask_for_the_key_again(emu: EmulatorServer, ws: ScriptedStream) -> None:
    with _client(emu) as client, client.user_stream(stream_url=ws.url, backoff=FAST) as stream:
        assert isinstance(next(stream), Connected)
        ws.wait_connections(1)
        ws.refuse_next = 2
        ws.close_all()
        assert isinstance(next(stream), Disconnected)
        refusals = [next(stream), next(stream)]
        assert all(isinstance(item, Disconnected) and "HTTP 404" in item.reason for item in refusals)
        assert all(isinstance(item, Disconnected) and 0 < item.retry_in <= FAST.maximum for item in refusals)
        back = next(stream)
        assert isinstance(back, Reconnected) and back.attempts == 3
        ws.push(samples.TRADE_LITE)
        assert isinstance(next(stream), TradeLite)


def test_a_first_connection_that_fails_raises_and_closes_the_key(emu: EmulatorServer, ws: ScriptedStream) -> None:
    ws.refuse_next = 1
    with _client(emu) as client:
        stream = client.user_stream(stream_url=ws.url)
        with pytest.raises(ConnectError, match="HTTP 404") as info:
            stream.open()
    assert "<listenKey>" in str(info.value)
    assert _live_key(emu) is None


def test_callback_form_and_close_from_the_callback(emu: EmulatorServer, ws: ScriptedStream) -> None:
    seen: list[object] = []
    with _client(emu) as client:
        stream = client.user_stream(stream_url=ws.url)

        def handle(item: object) -> None:
            seen.append(item)
            if isinstance(item, Connected):
                ws.wait_connections(1)
                ws.push(samples.ACCOUNT_UPDATE)
            else:
                stream.close()

        stream.run(handle)
    assert [type(item) for item in seen] == [Connected, AccountUpdate]
    assert _live_key(emu) is None


def test_cancelling_the_task_closes_socket_and_key(emu: EmulatorServer, ws: ScriptedStream) -> None:
    async def run() -> None:
        async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
            connected = asyncio.Event()

            async def consume() -> None:
                async with client.user_stream(stream_url=ws.url) as stream:
                    async for item in stream:
                        if isinstance(item, Connected):
                            connected.set()

            task = asyncio.create_task(consume())
            await connected.wait()
            assert _live_key(emu) is not None
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert _live_key(emu) is None
            await asyncio.to_thread(ws.wait_closed)

    asyncio.run(run())


@contextmanager
def _stalling_endpoint() -> Iterator[tuple[str, threading.Event]]:
    """A websocket URL whose server accepts the connection and never answers the handshake, and an
    event set once it accepted one. (Not `tests.scripted_server`'s `Hang`: its HTTP parser ends the
    connection on an upgrade request, which the client sees as a refused handshake.)"""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    accepted, stop = threading.Event(), threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            accepted.set()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        server.join(5)
        for connection in held:
            connection.close()
        listener.close()


def test_ctrl_c_while_the_stream_connects_closes_the_key(emu: EmulatorServer) -> None:
    main = threading.get_ident()  # (signal handlers are set from the main thread: pytest runs tests there)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with _stalling_endpoint() as (url, accepted), _client(emu) as client:
            stream = client.user_stream(stream_url=url)

            def press_ctrl_c() -> None:
                if accepted.wait(10):
                    signal.pthread_kill(main, signal.SIGINT)

            interrupter = threading.Thread(target=press_ctrl_c)
            interrupter.start()
            with pytest.raises(KeyboardInterrupt), stream:
                pytest.fail("connected to a server that never answers")
            interrupter.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert accepted.is_set()
    assert _live_key(emu) is None


def test_cancelling_the_task_while_the_stream_connects_closes_the_key(emu: EmulatorServer) -> None:
    async def run(url: str, accepted: threading.Event) -> None:
        async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
            async def consume() -> None:
                async with client.user_stream(stream_url=url):
                    pytest.fail("connected to a server that never answers")

            task = asyncio.create_task(consume())
            assert await asyncio.to_thread(accepted.wait, 10)
            assert _live_key(emu) is not None
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert _live_key(emu) is None

    with _stalling_endpoint() as (url, accepted):
        asyncio.run(run(url, accepted))


def test_the_listen_key_never_shows(emu: EmulatorServer, ws: ScriptedStream, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with _client(emu) as client, client.user_stream(stream_url=ws.url, backoff=FAST) as stream:
        shown = [repr(stream), repr(next(stream))]
        ws.wait_connections(1)
        key = _key_of(ws.paths[0])
        ws.drop_all()
        shown += [repr(next(stream)), repr(next(stream))]
        ws.push(samples.LISTEN_KEY_EXPIRED | {"listenKey": key})
        expired = next(stream)
        shown += [repr(expired), str(expired.to_dict()), repr(client.user_stream())]
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("binance_usdm"))
    assert "GET /private/ws/<redacted>" in logged  # the websocket library's handshake lines, redacted
    for text in [*shown, logged]:
        assert key not in text
