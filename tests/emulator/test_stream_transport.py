"""The stream's connection behaviour over raw loopback sockets: Binance's pings and the pong it
expects, slow consumers dropped with bounded memory, and listen keys kept out of every log.

https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams: "The
websocket server will send a ping frame every 3 minutes. If the websocket server does not receive a
pong frame back from the connection within a 10 minute period, the connection will be disconnected.
Unsolicited pong frames are allowed." (scaled down here through `StreamOptions`).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from binance_usdm.emulator import Clock, EmulatorServer, StreamOptions

from .conftest import Client, ok

T0 = 1_793_577_601_000  # 2026-11-02 00:00:01 UTC


class RawClient:
    """A websocket client over a plain asyncio connection (the library's sans-I/O protocol), which
    can decline to answer pings."""

    def __init__(self, url: str, *, answer_pings: bool) -> None:
        self.url = url
        self.answer_pings = answer_pings
        self.protocol = ClientProtocol(parse_uri(url))

    async def open(self) -> None:
        uri = parse_uri(self.url)
        self.reader, self.writer = await asyncio.open_connection(uri.host, uri.port)
        self.protocol.send_request(self.protocol.connect())
        self._write()
        while not self.protocol.events_received():
            self.protocol.receive_data(await self.reader.read(65536))
            self._write()

    def _write(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.writer.write(data)

    async def frames(self, seconds: float) -> list[Frame]:
        """Frames received within `seconds` (until the connection ends)."""
        out: list[Frame] = []
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                data = await asyncio.wait_for(self.reader.read(65536), left)
            except TimeoutError:
                break
            if not data:
                self.protocol.receive_eof()
                break
            self.protocol.receive_data(data)
            out += [e for e in self.protocol.events_received() if isinstance(e, Frame)]
            if out and out[-1].opcode is Opcode.CLOSE:
                break
            if self.answer_pings:
                self._write()
            else:
                self.protocol.data_to_send()  # the pongs the library queued are never sent
        return out


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    options = StreamOptions(ping_interval_s=0.05, pong_timeout_s=0.3)
    with EmulatorServer(clock=Clock(frozen_at_ms=T0), stream=options) as server:
        yield server


@pytest.fixture
def key(client: Client) -> str:
    listen_key: str = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
    return listen_key


async def test_server_pings_and_a_client_that_pongs_stays(emu: EmulatorServer, key: str) -> None:
    ws = RawClient(f"{emu.ws_url}/ws/{key}", answer_pings=True)
    await ws.open()
    frames = await ws.frames(0.8)
    pings = [f for f in frames if f.opcode is Opcode.PING]
    assert len(pings) >= 4  # one per 0.05 s, for longer than the 0.3 s pong deadline
    assert not [f for f in frames if f.opcode is Opcode.CLOSE]
    assert emu.streams.connections()["total"] == 1


async def test_a_client_that_never_pongs_is_disconnected(emu: EmulatorServer, key: str) -> None:
    ws = RawClient(f"{emu.ws_url}/ws/{key}", answer_pings=False)
    await ws.open()
    frames = await ws.frames(3)
    close = [f for f in frames if f.opcode is Opcode.CLOSE]
    assert [f.opcode for f in frames if f.opcode is not Opcode.PING] == [Opcode.CLOSE]
    assert close[0].data[:2] == (1008).to_bytes(2, "big")
    assert emu.streams.connections()["total"] == 0


async def test_unsolicited_pongs_keep_a_connection(emu: EmulatorServer, key: str) -> None:
    ws = RawClient(f"{emu.ws_url}/ws/{key}", answer_pings=False)
    await ws.open()
    for _ in range(10):
        ws.protocol.send_pong(b"")
        ws._write()
        await ws.frames(0.08)
    assert emu.streams.connections()["total"] == 1


def _upgrade(port: int, path: str) -> socket.socket:
    """A blocking socket with a tiny receive buffer that completed the handshake and reads no more."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    nonce = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {nonce}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101")
    return sock


def test_slow_consumer_is_dropped_and_memory_stays_bounded(key: str) -> None:
    limit = 16 * 1024
    options = StreamOptions(max_buffer=limit, send_buffer=16 * 1024)
    with EmulatorServer(clock=Clock(frozen_at_ms=T0), stream=options) as emu:
        listen_key = ok(Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
                        .call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
        slow = _upgrade(emu.port, f"/ws/{listen_key}")
        acc = emu.backend.account()
        largest = 0
        for i in range(5_000):
            emu.backend.set_balance(acc, "USDT", Decimal(25_000 + i))
            if i % 20 == 0:
                sessions = list(emu.streams._sessions)
                if not sessions:
                    break
                largest = max(largest, sessions[0].transport.get_write_buffer_size())
        else:
            pytest.fail("the slow consumer was never dropped")
        assert largest <= limit + 1024
        deadline = time.monotonic() + 5
        while emu.streams.connections()["total"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emu.streams.connections()["total"] == 0
        slow.settimeout(5)
        with pytest.raises(ConnectionResetError):  # aborted: a reset once the buffered data is read
            while slow.recv(65536):
                pass
        slow.close()


async def test_listen_keys_never_reach_a_log(emu: EmulatorServer, client: Client, key: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("websockets", "binance_usdm", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with connect(f"{emu.ws_url}/private/ws?listenKey={key}") as a, connect(f"{emu.ws_url}/ws") as b:
        await b.send('{"method":"SUBSCRIBE","params":["' + key + '"],"id":1}')
        await b.send("{not json " + key)
        ok(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=3))
        ok(client.call("DELETE", "/fapi/v1/listenKey", signed=False))
        for ws in (a, b):
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
            except Exception:  # noqa: S110 - read until the server closes
                pass
    emulator_side = [r for r in caplog.records if not r.name.startswith("websockets.client")]
    assert {"binance_usdm.emulator.stream"} <= {r.name for r in emulator_side}  # the loggers were live
    assert all(key not in r.getMessage() and key not in (r.exc_text or "") for r in emulator_side)


def test_the_websocket_library_is_loaded_with_the_first_stream_only() -> None:
    """An emulator that serves REST alone never imports `websockets` (~15 ms of every start); the first
    stream opened loads it, and that stream works. In a fresh interpreter, whose own client is a raw
    socket."""
    import subprocess
    import sys

    code = """
import socket, sys
from binance_usdm.emulator import EmulatorServer
with EmulatorServer() as emu:
    host, port = emu.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"GET /fapi/v1/time HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
    print("websockets" in sys.modules)
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"GET /ws/not-a-key HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n")
        print(s.recv(4096).split(b"\\r\\n")[0].decode(), "websockets" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False", "HTTP/1.1 101 Switching Protocols True"]
