"""Client CPU and wall time per call of our HTTP transports against the floor and other stacks.

    python benchmarks/bench_transport.py [-n CALLS] [--repeat R]

A keep-alive HTTP/1.1 server (raw asyncio protocol, TCP_NODELAY, a fixed ~2 KB JSON body) runs in
ANOTHER process on 127.0.0.1. Each client makes N sequential signed-looking GET /fapi/v2/account
calls and decodes the body with msgspec. CPU is ``time.process_time`` of the client process only.
The "floor" is a minimal asyncio (buffered) Protocol + httptools exchange sending pre-built request bytes:
an estimate of the least any Python asyncio client can spend, not a product.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httptools
import msgspec
import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from binance_usdm._http import AsyncHttpTransport, HttpRequest, SyncHttpTransport, Timeouts

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

HOST = "127.0.0.1"
TARGET = (
    "/fapi/v2/account?recvWindow=5000&timestamp=1732406400000"
    "&signature=3c9d1f0e8b7a6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"
)
HEADERS = [("X-MBX-APIKEY", "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A")]


# --------------------------------------------------------------------------------------- server
def _body() -> bytes:
    asset = {
        "asset": "USDT",
        "walletBalance": "23.72469206",
        "unrealizedProfit": "0.00000000",
        "marginBalance": "23.72469206",
        "maintMargin": "0.00000000",
        "initialMargin": "0.00000000",
        "positionInitialMargin": "0.00000000",
        "openOrderInitialMargin": "0.00000000",
        "crossWalletBalance": "23.72469206",
        "crossUnPnl": "0.00000000",
        "availableBalance": "23.72469206",
        "maxWithdrawAmount": "23.72469206",
        "marginAvailable": True,
        "updateTime": 1625474304765,
    }
    position = {
        "symbol": "BTCUSDT",
        "initialMargin": "0",
        "maintMargin": "0",
        "unrealizedProfit": "0.00000000",
        "positionInitialMargin": "0",
        "openOrderInitialMargin": "0",
        "leverage": "100",
        "isolated": True,
        "entryPrice": "0.00000",
        "maxNotional": "250000",
        "positionSide": "BOTH",
        "positionAmt": "0",
        "updateTime": 0,
    }
    account = {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
        "totalInitialMargin": "0.00000000",
        "totalMaintMargin": "0.00000000",
        "totalWalletBalance": "23.72469206",
        "totalUnrealizedProfit": "0.00000000",
        "totalMarginBalance": "23.72469206",
        "totalPositionInitialMargin": "0.00000000",
        "totalOpenOrderInitialMargin": "0.00000000",
        "totalCrossWalletBalance": "23.72469206",
        "totalCrossUnPnl": "0.00000000",
        "availableBalance": "23.72469206",
        "maxWithdrawAmount": "23.72469206",
        "assets": [asset, {**asset, "asset": "BUSD"}],
        "positions": [position, {**position, "symbol": "ETHUSDT"}, {**position, "symbol": "BNBUSDT"}],
    }
    return json.dumps(account, separators=(",", ":")).encode()


# Roughly what fapi.binance.com sends besides the essentials (CDN and security headers).
BINANCE_EXTRA_HEADERS = (
    b"Connection: keep-alive\r\nServer: Tengine\r\nx-mbx-uuid: 1f0e8b7a-6d5c-4b3a-2918-0f7e6d5c4b3a\r\n"
    b"x-mbx-used-weight: 5\r\nx-response-time: 3ms\r\n"
    b"Strict-Transport-Security: max-age=31536000; includeSubdomains\r\nX-Frame-Options: SAMEORIGIN\r\n"
    b"X-Xss-Protection: 1; mode=block\r\nX-Content-Type-Options: nosniff\r\n"
    b"Content-Security-Policy: default-src 'self'\r\nX-Content-Security-Policy: default-src 'self'\r\n"
    b"X-WebKit-CSP: default-src 'self'\r\nCache-Control: no-cache, no-store, must-revalidate\r\n"
    b"Pragma: no-cache\r\nExpires: 0\r\nAccess-Control-Allow-Origin: *\r\n"
    b"Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\nX-Cache: Miss from cloudfront\r\n"
    b"Via: 1.1 0123456789abcdef.cloudfront.net (CloudFront)\r\nX-Amz-Cf-Pop: NRT57-P3\r\n"
    b"X-Amz-Cf-Id: aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghijklmno==\r\n"
)


def serve(port: int, binance_headers: bool) -> None:
    body = _body()
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"X-MBX-USED-WEIGHT-1M: 5\r\nDate: Sun, 24 Nov 2024 00:00:00 GMT\r\n"
        + (BINANCE_EXTRA_HEADERS if binance_headers else b"")
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )

    class Server(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.transport: Any = transport
            self.buf = b""

        def data_received(self, data: bytes) -> None:
            # GET requests without bodies: one answer per blank line
            buf = self.buf + data
            count = buf.count(b"\r\n\r\n")
            if count:
                self.transport.write(reply * count)
                buf = buf[buf.rindex(b"\r\n\r\n") + 4 :]
            self.buf = buf

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Server, HOST, port, backlog=128)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    if uvloop is not None:
        uvloop.run(main())
    else:
        asyncio.run(main())


# --------------------------------------------------------------------------------------- clients
def bench_sync(n: int, url: str) -> None:
    request = HttpRequest("GET", TARGET, HEADERS)
    timeouts = Timeouts()
    decode = msgspec.json.decode
    with SyncHttpTransport(url) as t:
        send = t.send
        for _ in range(n):
            resp = send(request, timeouts)
            decode(resp.body)


async def bench_async(n: int, url: str) -> None:
    request = HttpRequest("GET", TARGET, HEADERS)
    timeouts = Timeouts()
    decode = msgspec.json.decode
    async with AsyncHttpTransport(url) as t:
        send = t.send
        for _ in range(n):
            resp = await send(request, timeouts)
            decode(resp.body)


async def bench_floor(n: int, url: str) -> None:
    port = int(url.rsplit(":", 1)[1])
    raw = (
        f"GET {TARGET} HTTP/1.1\r\nHost: {HOST}:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in HEADERS) + "\r\n"
    ).encode()
    loop = asyncio.get_running_loop()

    buffer = memoryview(bytearray(65536))  # see bench_runners' floor: no 256 KB allocation per read

    class Floor(asyncio.BufferedProtocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpResponseParser(self)
            self.chunks: list[bytes] = []
            self.fut: asyncio.Future[bytes] | None = None

        def on_body(self, body: bytes) -> None:
            self.chunks.append(body)

        def on_message_complete(self) -> None:
            assert self.fut is not None
            self.fut.set_result(b"".join(self.chunks))

        def get_buffer(self, sizehint: int) -> memoryview:
            return buffer

        def buffer_updated(self, nbytes: int) -> None:
            self.parser.feed_data(buffer[:nbytes])

    transport, proto = await loop.create_connection(Floor, HOST, port)
    decode = msgspec.json.decode
    for _ in range(n):
        proto.chunks = []
        proto.fut = loop.create_future()
        transport.write(raw)
        decode(await proto.fut)
    transport.close()


def bench_urllib3(n: int, url: str) -> None:
    import urllib3

    port = int(url.rsplit(":", 1)[1])
    pool = urllib3.HTTPConnectionPool(HOST, port, maxsize=1)
    headers = dict(HEADERS)
    decode = msgspec.json.decode
    for _ in range(n):
        resp = pool.request("GET", TARGET, headers=headers)
        decode(resp.data)
    pool.close()


async def bench_aiohttp(n: int, url: str) -> None:
    import aiohttp

    headers = dict(HEADERS)
    decode = msgspec.json.decode
    async with aiohttp.ClientSession(url) as session:
        for _ in range(n):
            async with session.get(TARGET, headers=headers) as resp:
                decode(await resp.read())


# --------------------------------------------------------------------------------------- driver
def measure_sync(fn: Callable[[int, str], None], n: int, url: str) -> tuple[float, float]:
    fn(max(50, n // 10), url)  # warm-up
    cpu, wall = time.process_time(), time.perf_counter()
    fn(n, url)
    return (time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6


def measure_async(fn: Callable[[int, str], Awaitable[None]], n: int, url: str, use_uvloop: bool) -> tuple[float, float]:
    async def run() -> tuple[float, float]:
        await fn(max(50, n // 10), url)
        cpu, wall = time.process_time(), time.perf_counter()
        await fn(n, url)
        return (time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6

    factory = uvloop.new_event_loop if use_uvloop and uvloop is not None else None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(run())


def _have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="sequential calls per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds (best CPU kept)")
    parser.add_argument(
        "--binance-headers",
        action="store_true",
        help="answer with ~25 headers like fapi.binance.com (default: 4 essential headers)",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.binance_headers)
        return

    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)] + (["--binance-headers"] if args.binance_headers else []),
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != b"ready":
            raise SystemExit("benchmark server did not start")
        url = f"http://{HOST}:{port}"
        n = args.n

        cases: list[tuple[str, Callable[[], tuple[float, float]]]] = [
            ("floor: asyncio Protocol + httptools", lambda: measure_async(bench_floor, n, url, False)),
        ]
        if uvloop is not None:
            cases.append(("floor + uvloop", lambda: measure_async(bench_floor, n, url, True)))
        cases += [
            ("binance-usdm SyncHttpTransport", lambda: measure_sync(bench_sync, n, url)),
            ("binance-usdm AsyncHttpTransport", lambda: measure_async(bench_async, n, url, False)),
        ]
        if uvloop is not None:
            cases.append(("binance-usdm AsyncHttpTransport + uvloop", lambda: measure_async(bench_async, n, url, True)))
        if _have("urllib3"):
            cases.append(("urllib3 sync", lambda: measure_sync(bench_urllib3, n, url)))
        if _have("aiohttp"):
            cases.append(("aiohttp", lambda: measure_async(bench_aiohttp, n, url, False)))
            if uvloop is not None:
                cases.append(("aiohttp + uvloop", lambda: measure_async(bench_aiohttp, n, url, True)))

        # Interleaved rounds (every stack once per round), best CPU per stack: robust to noise.
        best: dict[str, tuple[float, float]] = {}
        for round_no in range(args.repeat):
            for name, run in cases:
                cpu, wall = run()
                if name not in best or cpu < best[name][0]:
                    best[name] = (cpu, wall)
            print(f"  round {round_no + 1}/{args.repeat} done", file=sys.stderr)
        results = [(name, *best[name]) for name, _ in cases]
        floor_cpu = results[0][1]
        headers = "~25 Binance-like" if args.binance_headers else "4"
        print(
            f"\n{n} sequential GET calls, ~{len(_body())} B JSON body, {headers} response headers, "
            f"msgspec decode, best of {args.repeat} interleaved rounds\n"
        )
        print(f"| {'stack':<42} | {'CPU µs/call':>11} | {'wall µs/call':>12} | {'CPU vs floor':>12} |")
        print(f"|{'-' * 44}|{'-' * 13}:|{'-' * 14}:|{'-' * 14}:|")
        for name, cpu, wall in results:
            print(f"| {name:<42} | {cpu:>11.1f} | {wall:>12.1f} | {cpu / floor_cpu:>11.2f}x |")
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    script_entry.run(main)
