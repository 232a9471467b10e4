"""Emulator stream benchmark: one account, many open user data streams, settings changing fast.

Run: `python benchmarks/bench_stream_emulator.py [--streams 100] [--rate 100] [--seconds 10]`.

The emulator runs in its own process (one asyncio thread, as `python -m binance_usdm.emulator`).
`--consumers` processes share `--streams` websockets on the account's listen key (`/ws/<listenKey>`);
the main process, over one keep-alive connection, changes BTCUSDT's leverage `--rate` times a second
(a fresh signed `POST /fapi/v1/leverage` each time) and records when each REST answer arrived; every
stream records when each `ACCOUNT_CONFIG_UPDATE` arrived (`time.perf_counter`, the system-wide
monotonic clock on Linux, so the processes' readings compare).

Printed: the REST answer time with no stream open (baseline) and with the streams open; for the
streams, the events delivered against those expected (every change to every stream, in order) and
the delivery latency (event received - REST answer received; negative when the event came first);
the emulator process's CPU use. Target (issue 12): p99 delivery latency under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import selectors
import socket
import subprocess
import sys
import time
from typing import Any

import script_entry
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rest:
    """One keep-alive HTTP/1.1 connection to the emulator."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def call(self, method: str, path: str, query: str = "", signed: bool = False) -> Any:
        if signed:
            query = (query + "&" if query else "") + f"timestamp={int(time.time() * 1000)}"
            query += "&signature=" + hmac.new(DEMO_API_SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()
        target = path + ("?" + query if query else "")
        self.writer.write(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-MBX-APIKEY: {DEMO_API_KEY}\r\n"
                          "Content-Length: 0\r\n\r\n".encode())
        status = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = json.loads(await self.reader.readexactly(length))
        if b" 200 " not in status:
            raise RuntimeError(f"{method} {path}: {status!r} {body}")
        return body


def _leverage(i: int) -> int:
    return 20 + i % 50  # never the same twice in a row; always valid for the demo's BTCUSDT position


async def _drive(rest: Rest, count: int, rate: float, first: int = 0) -> tuple[list[float], list[float]]:
    """`count` leverage changes paced at `rate` per second: when each answer arrived, and each
    request's round trip (ms)."""
    answered: list[float] = []
    durations: list[float] = []
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        before = time.perf_counter()
        await rest.call("POST", "/fapi/v1/leverage", f"symbol=BTCUSDT&leverage={_leverage(first + i)}", signed=True)
        answered.append(time.perf_counter())
        durations.append((answered[-1] - before) * 1000)
    return answered, durations


def _consume(port: int, key: str, streams: int, count: int, ready: Any, results: Any) -> None:
    """A consumer process: `streams` websockets read with the library's sans-I/O client protocol over
    plain sockets and one selector (lighter than an asyncio client per socket); puts each stream's
    arrival times and leverage values on `results`."""
    selector = selectors.DefaultSelector()
    got: list[tuple[list[float], list[int]]] = []
    for i in range(streams):
        proto = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/ws/{key}"), max_size=None)
        sock = socket.create_connection(("127.0.0.1", port))
        proto.send_request(proto.connect())
        sock.sendall(b"".join(proto.data_to_send()))
        while not proto.events_received():
            proto.receive_data(sock.recv(65536))
        got.append(([], []))
        selector.register(sock, selectors.EVENT_READ, (i, proto))
    ready.wait()
    done = 0
    deadline = time.monotonic() + 60 + count / 10
    while done < streams and time.monotonic() < deadline:
        for sel_key, _ in selector.select(timeout=1):
            i, proto = sel_key.data
            data = sel_key.fileobj.recv(262144)  # type: ignore[union-attr]
            now = time.perf_counter()
            proto.receive_data(data)
            arrivals, levels = got[i]
            for frame in proto.events_received():
                if isinstance(frame, Frame) and frame.opcode is Opcode.TEXT:
                    event = json.loads(frame.data)
                    if event.get("e") == "ACCOUNT_CONFIG_UPDATE":
                        arrivals.append(now)
                        levels.append(event["ac"]["l"])
            if proto.data_to_send():
                pass  # pongs are not needed within the run (pings come every 3 minutes)
            if len(arrivals) >= count:
                selector.unregister(sel_key.fileobj)
                sel_key.fileobj.close()  # type: ignore[union-attr]
                done += 1
    results.put(got)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(port: int, pid: int, streams: int, consumers: int, rate: float,
              seconds: float) -> list[tuple[str, str]]:
    """Baseline REST run, then the streamed run; the table rows."""
    rest = Rest(port)
    await rest.open()
    key = (await rest.call("POST", "/fapi/v1/listenKey"))["listenKey"]
    count = int(rate * seconds)
    _, rest_alone = await _drive(rest, min(count, 300), rate, first=1)

    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Barrier(consumers + 1), ctx.Queue()
    shares = [streams // consumers + (i < streams % consumers) for i in range(consumers)]
    procs = [ctx.Process(target=_consume, args=(port, key, n, count, ready, results)) for n in shares if n]
    for proc in procs:
        proc.start()
    await asyncio.get_running_loop().run_in_executor(None, ready.wait)
    cpu0, wall0 = _cpu_seconds(pid), time.perf_counter()
    answered, rest_with = await _drive(rest, count, rate)
    achieved = count / (answered[-1] - wall0)
    cpu_used = _cpu_seconds(pid) - cpu0
    cpu = cpu_used / (time.perf_counter() - wall0) * 100
    got = [item for _ in procs for item in results.get(timeout=120 + count / 10)]
    for proc in procs:
        proc.join()
    arrivals = [a for a, _ in got]
    levels = [lv for _, lv in got]

    expected = [_leverage(i) for i in range(count)]
    delivered = sum(len(a) for a in arrivals)
    in_order = sum(lv == expected[:len(lv)] for lv in levels)
    latency = [(a - answered[k]) * 1000 for arr in arrivals for k, a in enumerate(arr)]
    return [
        ("streams (one account)", f"{streams}"),
        ("settings changes", f"{count} at {achieved:.0f}/s (asked {rate:.0f}/s)"),
        ("REST answer, no stream open: p50 / p99 ms", f"{_pct(rest_alone, .5):.2f} / {_pct(rest_alone, .99):.2f}"),
        (f"REST answer, {streams} streams open: p50 / p99 ms",
         f"{_pct(rest_with, .5):.2f} / {_pct(rest_with, .99):.2f}"),
        ("events delivered / expected", f"{delivered} / {count * streams}"),
        ("streams with every event in order", f"{in_order} / {streams}"),
        ("delivery latency p50 / p90 ms", f"{_pct(latency, .5):.2f} / {_pct(latency, .9):.2f}"),
        ("delivery latency p99 / max ms (target p99 < 20)", f"{_pct(latency, .99):.2f} / {max(latency):.2f}"),
        ("emulator CPU while streaming", f"{cpu:.0f}% of one core"),
        ("emulator CPU per change (REST call + fan-out)", f"{cpu_used / count * 1e6:.0f} µs"),
        ("machine load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--streams", type=int, default=100)
    ap.add_argument("--rate", type=float, default=100.0, help="settings changes per second")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--consumers", type=int, default=4, help="processes sharing the streams")
    args = ap.parse_args()
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "binance_usdm.emulator", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        rows = asyncio.run(run(port, server.pid, args.streams, args.consumers, args.rate, args.seconds))
    finally:
        server.terminate()
        server.wait()
    width = max(len(k) for k, _ in rows)
    print(f"\nEmulator user data stream (one emulator process; {os.cpu_count()} CPUs on this machine)")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")


if __name__ == "__main__":
    script_entry.run(main)
