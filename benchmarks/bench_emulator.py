"""Emulator benchmark: signed account-info throughput and income-history queries on 1M records.

Run: `python benchmarks/bench_emulator.py [--seconds 5] [--connections 16] [--records 1000000]`.

1. Throughput: the emulator runs in a separate process (one core: a single asyncio thread); a
   load-generator process keeps `--connections` keep-alive connections busy with freshly signed
   `GET /fapi/v2/account` requests (HMAC-SHA256) and counts answers per second, and the emulator
   process's CPU time per answer (user + system, from /proc on Linux): on a shared machine requests/s
   follow the load, CPU per request much less.
2. Income history: an in-memory store filled with ~1,000,000 income records for one account
   (a year of hourly funding fees and trades on 4 symbols), then the median time of several query
   shapes, in-process through the backend and over HTTP.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_load import LoadResult, free_port, run_load, start_emulator

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer
from binance_usdm.emulator.backend import DAY_MS, IncomeQuery


def _signed_path(path: str, query: str = "") -> str:
    q = (query + "&" if query else "") + f"timestamp={int(time.time() * 1000)}"
    sig = hmac.new(DEMO_API_SECRET.encode(), q.encode(), hashlib.sha256).hexdigest()
    return f"{path}?{q}&signature={sig}"


def bench_throughput(seconds: float, connections: int) -> LoadResult:
    """Signed v2 account requests against a one-process emulator (`emulator_load.run_load`)."""
    port = free_port()
    server = start_emulator(port)
    try:
        return run_load(server.pid, port, "read", connections, seconds, DEMO_API_KEY, DEMO_API_SECRET)
    finally:
        server.terminate()
        server.wait(10)


def _median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_income(records: int, runs: int) -> list[tuple[str, float, float, int]]:
    """Median query times (backend, HTTP) for several shapes over ~`records` income records."""
    rows: list[tuple[str, float, float, int]] = []
    with EmulatorServer(weight_limit=10**9) as emu:
        b = emu.backend
        acc = b.account()
        symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"]
        per_tick = len(symbols)
        trades = max(0, round((records / (365 * 24 * per_tick) - 1) / 2))
        t = time.perf_counter()
        n = b.generate_history(acc, symbols, 365, "1h", trades)
        gen_s = time.perf_counter() - t
        total = b.store.count_income(acc.account_id)
        print(f"generated {n:,} records in {gen_s:.1f} s ({n / gen_s:,.0f}/s); account holds {total:,}\n")
        now = b.clock.now_ms()
        shapes: list[tuple[str, dict[str, Any]]] = [
            ("default (last 7 days, limit 100)", {}),
            ("last 7 days, limit 1000", {"limit": 1000}),
            ("incomeType=FUNDING_FEE, limit 1000", {"income_type": "FUNDING_FEE", "limit": 1000}),
            ("symbol=BTCUSDT, 30 days, limit 1000",
             {"symbol": "BTCUSDT", "start": now - 30 * DAY_MS, "end": now, "limit": 1000}),
            ("startTime 89 days ago, limit 1000", {"start": now - 89 * DAY_MS, "limit": 1000}),
            ("1-hour window", {"start": now - 30 * DAY_MS, "end": now - 30 * DAY_MS + 3_600_000}),
            ("7 days, limit 100, page 20", {"page": 20}),
            ("REALIZED_PNL, ETHUSDT, 90 days", {"income_type": "REALIZED_PNL", "symbol": "ETHUSDT",
                                                "start": now - 90 * DAY_MS, "limit": 1000}),
        ]
        http_names = {"symbol": "symbol", "income_type": "incomeType", "start": "startTime", "end": "endTime",
                      "limit": "limit", "page": "page"}
        conn = http.client.HTTPConnection("127.0.0.1", emu.port)
        for name, kw in shapes:
            q = IncomeQuery(**kw)
            count = len(b.query_income(acc, q))

            def in_backend(q: IncomeQuery = q) -> None:
                b.query_income(acc, q)

            backend_ms = _median_ms(in_backend, runs)
            query = "&".join(f"{http_names[k]}={v}" for k, v in kw.items())

            def over_http(query: str = query) -> None:
                conn.request("GET", _signed_path("/fapi/v1/income", query), headers={"X-MBX-APIKEY": DEMO_API_KEY})
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 200

            rows.append((name, backend_ms, _median_ms(over_http, runs), count))
        conn.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    res = bench_throughput(args.seconds, args.connections)
    rps, errors, cpu_us = res.rps, res.errors, res.server_cpu_us
    print("| signed GET /fapi/v2/account (HMAC), emulator on one core | requests/s | emulator CPU us/request |")
    print("|---|---|---|")
    print(f"| {args.connections} keep-alive connections, {args.seconds:.0f} s | {rps:,.0f} |"
          + (f" ({errors} errors)" if errors else "") + (" n/a |" if cpu_us is None else f" {cpu_us:.0f} |"))
    print()
    rows = bench_income(args.records, args.runs)
    print("| income query shape | rows | backend median ms | HTTP median ms (signed) |")
    print("|---|---|---|---|")
    for name, backend_ms, http_ms, count in rows:
        print(f"| {name} | {count} | {backend_ms:.2f} | {http_ms:.2f} |")


if __name__ == "__main__":
    main()
