"""History benchmark: one year of income history from the emulator to CSV, at two sizes.

Run: ``python benchmarks/bench_history.py [--flavour sync|async|both]``.

For each size the emulator runs as its own process (``python -m binance_usdm.emulator`` with the
request-weight limit lifted, so the figures are the client's and the emulator's speed, not
Binance's budget), is filled through its admin API with a year of hourly funding fees and trades
(``POST /emulator/generate``), and a fresh child process exports
``history.iter_income(<one year>)`` to CSV. The child reports wall time, the calls it made (a
counting transport), and its peak RSS (``ru_maxrss``) next to the RSS it had before exporting:
peak memory must not grow with the record count.

The calls are compared with the floor ``ceil(records / 1000)`` and with floor + windows (each
30-day window may end on a partial page). Binance keeps three months of income; the benchmark's
emulator keeps 400 days (``--income-retention-days 400``), because what is measured here is the
client's windowing and paging over a year.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from typing import Any

import history_emulator
import script_entry

INCOME_WEIGHT = 30
BINANCE_WEIGHT_PER_MINUTE = 2400
DAY_MS = 86_400_000
SIZES = (("small", 2), ("large", 7))  # symbols: 1 funding fee + 4 trades (commission + PnL) an hour each
TRADES_PER_HOUR = 4




def _child(base_url: str, start_ms: int, end_ms: int, out: str, flavour: str) -> None:
    """Child process: export the year to CSV; print one JSON line of figures."""
    import asyncio

    from binance_usdm import AsyncBinanceRestClient, BinanceRestClient
    from binance_usdm._http import AsyncHttpTransport, HttpRequest, HttpResponse, SyncHttpTransport, Timeouts
    from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET
    from binance_usdm.export import export, export_async
    from binance_usdm.models import UtcDateTime

    calls = [0]
    start, end = UtcDateTime.from_ms(start_ms), UtcDateTime.from_ms(end_ms)
    options: dict[str, Any] = {"base_url": base_url, "weight_limit": 10**12}

    class CountingSync(SyncHttpTransport):
        def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
            calls[0] += request.target.startswith("/fapi/v1/income?")
            return super().send(request, timeouts)

    class CountingAsync(AsyncHttpTransport):
        async def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
            calls[0] += request.target.startswith("/fapi/v1/income?")
            return await super().send(request, timeouts)

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    if flavour == "sync":
        with BinanceRestClient(DEMO_API_KEY, DEMO_API_SECRET, transport=CountingSync(base_url), **options) as client:
            records = export(client.usd_futures_api.history.iter_income(start, end), out)
    else:
        async def main() -> int:
            async with AsyncBinanceRestClient(
                DEMO_API_KEY, DEMO_API_SECRET, transport=CountingAsync(base_url), **options
            ) as client:
                return await export_async(client.usd_futures_api.history.iter_income(start, end), out)

        records = asyncio.run(main())
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": records, "seconds": seconds, "calls": calls[0], "baseline_kb": baseline,
                      "peak_kb": peak, "csv_bytes": os.path.getsize(out)}))


def _measure(symbols: int, flavours: list[str], out: str) -> list[dict[str, Any]]:
    process, base_url = history_emulator.start()
    try:
        from binance_usdm.emulator.market import DEFAULT_SYMBOLS

        names = [name for name in DEFAULT_SYMBOLS if name.endswith("USDT")][:symbols]
        began = time.perf_counter()
        added = history_emulator.admin(base_url, "/emulator/generate", {
            "symbols": names, "days": 365, "interval": "1h", "tradesPerInterval": TRADES_PER_HOUR,
        })["added"]
        fill = time.perf_counter() - began
        end_ms = history_emulator.admin(base_url, "/emulator/clock", {})["time"]
        start_ms = end_ms - 365 * DAY_MS
        rows = []
        for flavour in flavours:
            child = subprocess.run(
                [sys.executable, __file__, "--child", base_url, str(start_ms), str(end_ms), out, flavour],
                capture_output=True, text=True, check=True,
            )
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            windows = math.ceil((end_ms - start_ms + 1) / (30 * DAY_MS))
            figures.update(flavour=flavour, generated=added, fill_seconds=fill, windows=windows,
                           floor=math.ceil(figures["records"] / 1000))
            rows.append(figures)
        return rows
    finally:
        process.terminate()
        process.wait(timeout=30)
        if os.path.exists(out):
            os.remove(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flavour", choices=["sync", "async", "both"], default="both")
    parser.add_argument("--out", default="bench_history_income.csv", help="scratch CSV path (removed after)")
    parser.add_argument("--child", nargs=5, metavar=("URL", "START", "END", "OUT", "FLAVOUR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, start, end, out, flavour = args.child
        _child(url, int(start), int(end), out, flavour)
        return
    flavours = ["sync", "async"] if args.flavour == "both" else [args.flavour]
    rows = [row for _, symbols in SIZES for row in _measure(symbols, flavours, args.out)]
    head = (f"{'records':>9} {'client':>6} {'seconds':>8} {'rec/s':>8} {'calls':>6} {'floor':>6} "
            f"{'+windows':>8} {'RSS before':>10} {'peak RSS':>9} {'growth':>7} {'CSV MB':>7}")
    print("One year of income history (hourly funding + 4 trades/hour per symbol) -> CSV, emulator in its own process")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['records']:>9,} {r['flavour']:>6} {r['seconds']:>8.2f} {r['records'] / r['seconds']:>8,.0f} "
              f"{r['calls']:>6} {r['floor']:>6} {r['floor'] + r['windows']:>8} "
              f"{r['baseline_kb'] / 1024:>8.1f}MB {r['peak_kb'] / 1024:>7.1f}MB "
              f"{(r['peak_kb'] - r['baseline_kb']) / 1024:>5.1f}MB {r['csv_bytes'] / 2**20:>7.1f}")
    largest = rows[-1]
    minutes = largest["calls"] * INCOME_WEIGHT / BINANCE_WEIGHT_PER_MINUTE
    print(f"\ncalls: /fapi/v1/income requests made; floor = ceil(records/1000); +windows = floor + "
          f"{largest['windows']} windows of 30 days.")
    print(f"On Binance each call weighs {INCOME_WEIGHT}: {largest['calls']} calls need >= {minutes:.1f} minutes "
          f"of a {BINANCE_WEIGHT_PER_MINUTE}/min budget (the client waits for it by itself).")


if __name__ == "__main__":
    script_entry.run(main)
