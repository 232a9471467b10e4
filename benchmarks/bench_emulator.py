"""Emulator benchmark: signed account-info throughput.

Run: `python benchmarks/bench_emulator.py [--seconds 5] [--connections 16]`.

The emulator runs in a separate process (one core: a single asyncio thread); a load-generator
process keeps `--connections` keep-alive connections busy with freshly signed `GET /fapi/v2/account`
requests (HMAC-SHA256) and counts answers per second, and the emulator process's CPU time per answer
(user + system, from /proc on Linux): on a shared machine requests/s follow the load, CPU per request
much less. History queries at 100k-2M records: `bench_emulator_queries.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_load import LoadResult, run_load, start_emulator

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET


def bench_throughput(seconds: float, connections: int) -> LoadResult:
    """Signed v2 account requests against a one-process emulator (`emulator_load.run_load`)."""
    server, port = start_emulator()
    try:
        return run_load(server.pid, port, "read", connections, seconds, DEMO_API_KEY, DEMO_API_SECRET)
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    res = bench_throughput(args.seconds, args.connections)
    rps, errors, cpu_us = res.rps, res.errors, res.server_cpu_us
    print("| signed GET /fapi/v2/account (HMAC), emulator on one core | requests/s | emulator CPU us/request |")
    print("|---|---|---|")
    print(f"| {args.connections} keep-alive connections, {args.seconds:.0f} s | {rps:,.0f} |"
          + (f" ({errors} errors)" if errors else "") + (" n/a |" if cpu_us is None else f" {cpu_us:.0f} |"))


if __name__ == "__main__":
    script_entry.run(main)
