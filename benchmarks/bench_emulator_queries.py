"""Emulator history queries at 100k, 1M and 2M income records: the server's CPU time per request for
each filter combination of `GET /fapi/v1/income`, and the p50/p99 latency of concurrent signed
`GET /fapi/v2/account` calls, alone and while sparse-symbol income queries run.

Run: `python benchmarks/bench_emulator_queries.py [--sizes 100000,1000000,2000000] [--state] [--quick]
[--src OTHER_CHECKOUT/src]`.

For each size the emulator runs as its own process, seeded by a scenario whose `generate` entry writes
the records in one bulk insert (a year's worth of hourly funding fees and trades on 4 symbols, squeezed
into 90 days), plus 10 XRPUSDT records (the sparse symbol) and the demo account's own history. Every
query shape is sent `--requests` times on one keep-alive connection; the table shows the emulator
process's CPU time per request (all its threads, from /proc schedstat: on a shared machine wall time
follows the load, CPU time much less) and the median round trip. Then a separate load process keeps
`--connections` connections busy with account calls for `--seconds`, first alone, then while this
process sends sparse-symbol income queries back to back. `--state` runs the emulator on a state file.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import script_entry
from emulator_load import Requests, checkout_src, start_emulator

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET
from binance_usdm.emulator.scenario import read_scenario

DAY_MS = 86_400_000
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"]
SPARSE = "XRPUSDT"
DAYS = 90
TICKS = DAYS * 24 + 1  # hourly intervals generate_history writes per symbol


def cpu_s(pid: int) -> float | None:
    """CPU seconds of all of a process's threads, to the nanosecond (Linux /proc schedstat; None elsewhere)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        total = 0
        for task in tasks:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError):
        return None
    return total / 1e9


def scenario(records: int) -> dict[str, Any]:
    """The demo scenario with ~`records` generated income records and 10 sparse-symbol ones."""
    data = read_scenario()
    acc = data["accounts"][0]
    trades = max(0, round((records / (len(SYMBOLS) * TICKS) - 1) / 2))
    acc["generate"] = [{"symbols": SYMBOLS, "days": DAYS, "interval": "1h", "tradesPerInterval": trades}]
    acc["income"] = acc.get("income", []) + [
        {"symbol": SPARSE, "incomeType": "FUNDING_FEE", "income": "-0.125", "asset": "USDT",
         "ageSeconds": (1 + 8 * k) * 86_400 + 3600} for k in range(10)]
    return data


def shapes(now: int, records: int) -> list[tuple[str, str]]:
    """(name, query string) of each filter combination measured."""
    since = f"startTime={now - (DAYS - 1) * DAY_MS}"
    deep = max(1, records * 8 // 10_000)  # about 80 % into the window's records
    return [
        ("no filter (last 7 days, limit 100)", ""),
        ("90 days, limit 1000", f"{since}&limit=1000"),
        (f"symbol={SYMBOLS[0]}, 90 days, limit 1000", f"symbol={SYMBOLS[0]}&{since}&limit=1000"),
        (f"symbol={SPARSE} (10 records), 90 days", f"symbol={SPARSE}&{since}&limit=1000"),
        ("incomeType=FUNDING_FEE, 90 days, limit 1000", f"incomeType=FUNDING_FEE&{since}&limit=1000"),
        ("incomeType=TRANSFER (sparse type), 90 days", f"incomeType=TRANSFER&{since}&limit=1000"),
        (f"symbol={SPARSE}&incomeType=FUNDING_FEE, 90 days", f"symbol={SPARSE}&incomeType=FUNDING_FEE&{since}"),
        (f"symbol={SYMBOLS[1]}&incomeType=COMMISSION, 30-day window",
         f"symbol={SYMBOLS[1]}&incomeType=COMMISSION&startTime={now - 40 * DAY_MS}&endTime={now - 10 * DAY_MS}"
         "&limit=1000"),
        ("90 days, limit 1000, page 2", f"{since}&limit=1000&page=2"),
        ("90 days, limit 1000, a page 80 % into the window", f"{since}&limit=1000&page={deep}"),
        ("1-hour window, 30 days ago", f"startTime={now - 30 * DAY_MS}&endTime={now - 30 * DAY_MS + 3_600_000}"),
    ]


def signed_path(path: str, query: str = "") -> str:
    """`path?query&timestamp=..&signature=..` signed with the demo account's secret."""
    q = (query + "&" if query else "") + f"timestamp={int(time.time() * 1000)}"
    return f"{path}?{q}&signature={hmac.new(DEMO_API_SECRET.encode(), q.encode(), hashlib.sha256).hexdigest()}"


def _get(conn: http.client.HTTPConnection, path: str, query: str) -> bytes:
    conn.request("GET", signed_path(path, query), headers={"X-MBX-APIKEY": DEMO_API_KEY})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"{path}?{query}: HTTP {resp.status} {body[:200]!r}")
    return body


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _account_worker(port: int, deadline: float, latencies: list[float]) -> None:
    conn_reader, writer = await asyncio.open_connection("127.0.0.1", port)
    requests = Requests(port, DEMO_API_KEY, DEMO_API_SECRET)
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        writer.write(requests.account())
        length = 0
        await conn_reader.readline()
        while (line := await conn_reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await conn_reader.readexactly(length)
        latencies.append((time.perf_counter() - t) * 1000)
    writer.close()


def account_load(port: int, seconds: float, connections: int) -> None:
    """Load process entry: account calls on `connections` connections; prints `count p50 p99` (ms)."""
    latencies: list[float] = []

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_account_worker(port, deadline, latencies) for _ in range(connections)))

    asyncio.run(main())
    print(len(latencies), _percentile(latencies, 0.5), _percentile(latencies, 0.99))


def _account_latency(port: int, seconds: float, connections: int,
                     conn: http.client.HTTPConnection | None, sparse: str) -> tuple[float, float, float]:
    """p50 and p99 (ms) of account calls, and the sparse queries per second sent meanwhile on `conn`."""
    load = subprocess.Popen(
        [sys.executable, __file__, "--account-load", str(port), "--seconds", str(seconds),
         "--connections", str(connections)], stdout=subprocess.PIPE, text=True)
    sent = 0
    t = time.perf_counter()
    while conn is not None and load.poll() is None:
        _get(conn, "/fapi/v1/income", sparse)
        sent += 1
    out, _ = load.communicate(timeout=seconds + 60)
    _, p50, p99 = out.split()
    return float(p50), float(p99), sent / (time.perf_counter() - t)


def run_size(records: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Start an emulator holding ~`records` income records and measure every shape."""
    path = workdir / f"scenario-{records}.json"
    path.write_text(json.dumps(scenario(records)), "utf-8")
    started = time.perf_counter()
    server, port = start_emulator(workdir / f"state-{records}.sqlite3" if args.state else None, args.src,
                                  scenario=path)
    try:
        load_s = time.perf_counter() - started
        load_cpu = cpu_s(server.pid)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        now = json.loads(_get(conn, "/fapi/v1/time", ""))["serverTime"]
        results: dict[str, tuple[int, float, float]] = {}
        for name, query in shapes(now, records):
            rows = len(json.loads(_get(conn, "/fapi/v1/income", query)))
            walls = []
            cpu_before = cpu_s(server.pid)
            for _ in range(args.requests):
                t = time.perf_counter()
                _get(conn, "/fapi/v1/income", query)
                walls.append((time.perf_counter() - t) * 1000)
            cpu_after = cpu_s(server.pid)
            cpu_ms = float("nan") if cpu_before is None or cpu_after is None else (
                (cpu_after - cpu_before) * 1000 / args.requests)
            results[name] = (rows, cpu_ms, statistics.median(walls))
        sparse = dict(shapes(now, records))[f"symbol={SPARSE} (10 records), 90 days"]
        idle = _account_latency(port, args.seconds, args.connections, None, sparse)
        busy = _account_latency(port, args.seconds, args.connections, conn, sparse)
        conn.close()
        return {"load_s": load_s, "load_cpu": load_cpu, "shapes": results, "idle": idle, "busy": busy}
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000,2000000", help="income record counts, comma-separated")
    ap.add_argument("--requests", type=int, default=200, help="requests per query shape")
    ap.add_argument("--seconds", type=float, default=5.0, help="duration of each account-latency phase")
    ap.add_argument("--connections", type=int, default=8, help="connections of the account load")
    ap.add_argument("--state", action="store_true", help="run the emulator on a state file (--state)")
    ap.add_argument("--src", type=checkout_src, help="run the emulator from another checkout's src/ (before a change)")
    ap.add_argument("--quick", action="store_true", help="small sizes, few requests (a smoke run)")
    ap.add_argument("--account-load", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.account_load:
        account_load(args.account_load, args.seconds, args.connections)
        return
    if args.quick:
        args.sizes, args.requests, args.seconds = "5000,20000", 5, 0.5
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, emulator "
          f"{'on a state file' if args.state else 'in memory'}{f' from {args.src}' if args.src else ''}, "
          f"{args.requests} requests per shape\n")
    with tempfile.TemporaryDirectory() as tmp:
        runs = {n: run_size(n, args, Path(tmp)) for n in sizes}
    first, last = sizes[0], sizes[-1]
    print("| GET /fapi/v1/income | " + " | ".join(f"{n:,} records: rows, server CPU ms, median ms"
                                                   for n in sizes) + f" | CPU {last:,} / {first:,} |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for name in runs[first]["shapes"]:
        cells = []
        for n in sizes:
            rows, cpu, wall = runs[n]["shapes"][name]
            cells.append(f"{rows}, {cpu:.2f}, {wall:.2f}")
        ratio = runs[last]["shapes"][name][1] / runs[first]["shapes"][name][1] if runs[first]["shapes"][name][1] else 0
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    print()
    print(f"| records | start-up with the bulk load: wall s, emulator CPU s | account p50 / p99 ms alone "
          f"| account p50 / p99 ms with {SPARSE} income queries | income queries/s meanwhile |")
    print("|---|---|---|---|---|")
    for n in sizes:
        r = runs[n]
        cpu = "n/a" if r["load_cpu"] is None else f"{r['load_cpu']:.1f}"
        print(f"| {n:,} | {r['load_s']:.1f}, {cpu} | {r['idle'][0]:.1f} / {r['idle'][1]:.1f} | "
              f"{r['busy'][0]:.1f} / {r['busy'][1]:.1f} | {r['busy'][2]:.1f} |")


if __name__ == "__main__":
    script_entry.run(main)
