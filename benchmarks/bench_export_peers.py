"""History export against the peers: every income record of a year, paged out of one emulator and
written to a file, by our client and by the peer clients doing the same job as their users would.

Run: ``python benchmarks/bench_export_peers.py [--records 552596] [--rounds 3] [--quick]``.

One emulator process (``python -m binance_usdm.emulator``, request-weight limit lifted, 400 days of
income kept) is loaded through its admin API with about ``--records`` income records (a year of
hourly funding fees and 4 trades an hour per symbol, ``POST /emulator/generate``). Then, in each of
``--rounds`` rounds, every job runs once, in a fresh child process, in a rotated order (load on a
shared machine drifts; rotation spreads it over every job). A job is timed end to end: client
creation, every page, the file closed. Imports come before the clock (they are the same once per
process for every client). Each child reports wall seconds, its CPU seconds (user + system, all
threads), its peak RSS and the RSS it had before the job began.

The jobs:

- ours: ``history.export_income(path, start, end)`` of the sync and the asyncio client, writing
  CSV, JSON lines and Parquet (the path the README documents and ``usdm income -o FILE`` takes);
- peers, paging ``GET /fapi/v1/income`` with ``limit=1000`` by time as a user must (Binance:
  "If the number of data between startTime and endTime is larger than limit, response will be
  return as startTime+limit", https://developers.binance.com/docs/binance_link/link-and-trade/futures/Get-Income-History):
  the next page starts at the last record's millisecond, and the records of that millisecond
  already written are skipped by (tranId, incomeType), unique per user
  (https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-Income-History).
  Starting at the last millisecond + 1 would lose the records sharing it (funding fees of several
  symbols share their hour). Writers: the ``csv`` module (a header, then each record's values as
  received), and for Parquet python-binance's records through pandas (``DataFrame.to_parquet``
  with pyarrow, once at the end, as a pandas user writes it).

The table shows rows/s (median of the rounds), CPU µs per row, the peak RSS and its growth during the
job, and for each of our jobs the ratio to the fastest peer writing the same format (CSV peers for
CSV and JSON lines: the issue's yardstick). Every job must write the same number of rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import history_emulator
import script_entry

DAY_MS = 86_400_000
YEAR_DAYS = 366  # the most one generate request covers
RECORDS_PER_SYMBOL_DAY = 24 * (1 + 2 * 4)  # hourly funding fee + 4 trades (commission + realized PnL)
PAGE = 1000
OURS = [f"ours {flavour} {fmt}" for fmt in ("csv", "jsonl", "parquet") for flavour in ("sync", "async")]
PEERS = ["ccxt csv", "connector csv", "python-binance csv", "python-binance+pandas parquet"]


# --- the emulator -------------------------------------------------------------------------------
def _load(base_url: str, records: int) -> tuple[int, int]:
    """Generate about ``records`` income records over the last year; the window to export."""
    from binance_usdm.emulator.market import DEFAULT_SYMBOLS

    symbols = [name for name in DEFAULT_SYMBOLS if name.endswith("USDT")]
    per_symbol = (YEAR_DAYS * 24 + 1) * RECORDS_PER_SYMBOL_DAY // 24
    needed = max(1, math.ceil(records / per_symbol))
    if needed > len(symbols):
        raise SystemExit(f"at most {len(symbols) * per_symbol} records ({YEAR_DAYS} days of {len(symbols)} symbols)")
    left = records
    for symbol in symbols[:needed]:  # one request per symbol stays under the emulator's cap per request
        days = min(YEAR_DAYS, left / RECORDS_PER_SYMBOL_DAY)
        left -= history_emulator.admin(base_url, "/emulator/generate", {
            "symbols": [symbol], "days": round(days, 3), "interval": "1h", "tradesPerInterval": 4,
        })["added"]
    end_ms = history_emulator.admin(base_url, "/emulator/clock", {})["time"]
    return end_ms - (YEAR_DAYS + 1) * DAY_MS, end_ms


# --- the jobs (each runs in its own child process) ----------------------------------------------
def _ours(flavour: str, fmt: str, url: str, start_ms: int, end_ms: int, out: str) -> Callable[[], int]:
    import asyncio

    from binance_usdm import AsyncBinanceRestClient, BinanceRestClient
    from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET
    from binance_usdm.models import UtcDateTime

    if fmt == "parquet":  # the Parquet library the export uses, imported before the clock like every peer's
        from binance_usdm.export_formats import arro3_modules, pyarrow_modules

        if arro3_modules() is None:
            pyarrow_modules()
    start, end = UtcDateTime.from_ms(start_ms), UtcDateTime.from_ms(end_ms)
    options: dict[str, Any] = {"base_url": url, "weight_limit": 10**12}

    def sync_job() -> int:
        with BinanceRestClient(DEMO_API_KEY, DEMO_API_SECRET, **options) as client:
            return client.usd_futures_api.history.export_income(out, start, end)

    async def async_job() -> int:
        async with AsyncBinanceRestClient(DEMO_API_KEY, DEMO_API_SECRET, **options) as client:
            return await client.usd_futures_api.history.export_income(out, start, end)

    return sync_job if flavour == "sync" else lambda: asyncio.run(async_job())


def _pages(fetch: Callable[[int], list[dict[str, Any]]], start_ms: int) -> Iterator[dict[str, Any]]:
    """A user's paging by time: restart at the last record's millisecond, skip what was written."""
    cursor = start_ms
    seen: set[tuple[Any, Any]] = set()
    while True:
        page = fetch(cursor)
        for record in page:
            if (record["tranId"], record["incomeType"]) not in seen:
                yield record
        if len(page) < PAGE:
            return
        newest = page[-1]["time"]
        if newest == cursor:
            raise SystemExit("a full page inside one millisecond: the peers' paging cannot go on")
        seen = {(r["tranId"], r["incomeType"]) for r in page if r["time"] == newest}
        cursor = newest


def _write_csv(records: Iterator[dict[str, Any]], out: str) -> int:
    count = 0
    with open(out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        for record in records:
            if count == 0:
                writer.writerow(record.keys())
            writer.writerow(record.values())
            count += 1
    return count


def _peer(name: str, url: str, start_ms: int, end_ms: int, out: str) -> Callable[[], int]:
    from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET

    if name == "ccxt csv":
        import ccxt

        def ccxt_job() -> int:
            exchange = ccxt.binanceusdm({"apiKey": DEMO_API_KEY, "secret": DEMO_API_SECRET,
                                         "enableRateLimit": False})
            api_urls = exchange.urls["api"]
            for key, value in list(api_urls.items()):
                if isinstance(value, str) and value.startswith("https://fapi.binance.com"):
                    api_urls[key] = url + value[len("https://fapi.binance.com"):]

            def fetch(cursor: int) -> list[dict[str, Any]]:
                return exchange.fapiPrivateGetIncome(  # type: ignore[no-any-return]
                    {"startTime": cursor, "endTime": end_ms, "limit": PAGE})

            return _write_csv(_pages(fetch, start_ms), out)

        return ccxt_job
    if name == "connector csv":
        from binance.um_futures import UMFutures

        def connector_job() -> int:
            client = UMFutures(key=DEMO_API_KEY, secret=DEMO_API_SECRET, base_url=url)

            def fetch(cursor: int) -> list[dict[str, Any]]:
                return client.get_income_history(  # type: ignore[no-any-return]
                    startTime=cursor, endTime=end_ms, limit=PAGE)

            return _write_csv(_pages(fetch, start_ms), out)

        return connector_job
    from binance.client import Client

    def python_binance() -> Client:
        client = Client(DEMO_API_KEY, DEMO_API_SECRET, ping=False)
        client.FUTURES_URL = f"{url}/fapi"
        return client

    def fetcher(client: Client) -> Callable[[int], list[dict[str, Any]]]:
        def fetch(cursor: int) -> list[dict[str, Any]]:
            return client.futures_income_history(  # type: ignore[no-any-return]
                startTime=cursor, endTime=end_ms, limit=PAGE)
        return fetch

    if name == "python-binance csv":
        return lambda: _write_csv(_pages(fetcher(python_binance()), start_ms), out)
    import pandas

    def pandas_job() -> int:
        frame = pandas.DataFrame(list(_pages(fetcher(python_binance()), start_ms)))
        frame.to_parquet(out, engine="pyarrow", index=False)
        return len(frame)

    return pandas_job


def _child(job: str, url: str, start_ms: int, end_ms: int, out: str) -> None:
    """Run one job; print one JSON line of figures."""
    if job.startswith("ours "):
        _, flavour, fmt = job.split()
        run = _ours(flavour, fmt, url, start_ms, end_ms, out)
    else:
        run = _peer(job, url, start_ms, end_ms, out)
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "baseline_kb": before.ru_maxrss,
                      "peak_kb": after.ru_maxrss, "bytes": os.path.getsize(out)}))


# --- the run ------------------------------------------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, from /proc (0 where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(job: str, emulator: int, url: str, start_ms: int, end_ms: int, out: str) -> dict[str, Any]:
    served = _cpu_seconds(emulator)
    child = subprocess.run(
        [sys.executable, __file__, "--child", job, url, str(start_ms), str(end_ms), out],
        capture_output=True, text=True, timeout=3600,
    )
    if child.returncode != 0:
        raise SystemExit(f"{job} failed:\n{child.stdout}{child.stderr}")
    os.remove(out)
    figures = dict(json.loads(child.stdout.strip().splitlines()[-1]))
    figures["emulator_cpu"] = _cpu_seconds(emulator) - served
    return figures


def _reference(job: str) -> str:
    fmt = job.rsplit(" ", 1)[1]
    return "parquet" if fmt == "parquet" else "csv"


def _table(results: dict[str, list[dict[str, Any]]], jobs: list[str]) -> None:
    rate = {job: statistics.median(r["rows"] / r["seconds"] for r in results[job]) for job in jobs}
    fastest: dict[str, str] = {}
    for job in jobs:
        if not job.startswith("ours "):
            fmt = _reference(job)
            if fmt not in fastest or rate[job] > rate[fastest[fmt]]:
                fastest[fmt] = job
    head = (f"{'job':<31} {'rows':>8} {'rows/s':>8} {'min..max':>15} {'CPU µs/row':>10} {'peak RSS':>9} "
            f"{'growth':>7} {'emulator µs/row':>15} {'vs fastest peer':>24}")
    print(head)
    print("-" * len(head))
    for job in jobs:
        runs = results[job]
        rates = [r["rows"] / r["seconds"] for r in runs]
        cpu = statistics.median(r["cpu"] / r["rows"] * 1e6 for r in runs)
        peak = max(r["peak_kb"] for r in runs) / 1024
        growth = max(r["peak_kb"] - r["baseline_kb"] for r in runs) / 1024
        served = statistics.median(r["emulator_cpu"] / r["rows"] * 1e6 for r in runs)
        versus = ""
        if job.startswith("ours ") and _reference(job) in fastest:
            peer = fastest[_reference(job)]
            versus = f"{rate[job] / rate[peer]:.2f}x {peer.split()[0]}"
        print(f"{job:<31} {runs[0]['rows']:>8} {rate[job]:>8,.0f} {min(rates):>7,.0f}..{max(rates):<7,.0f} "
              f"{cpu:>10.2f} {peak:>7.1f}MB {growth:>5.1f}MB {served:>15.2f} {versus:>24}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, help="income records to load (default 552596; --quick: 50000)")
    parser.add_argument("--rounds", type=int, help="rounds of every job (default 3; --quick: 2)")
    parser.add_argument("--quick", action="store_true", help="about 50k records, 2 rounds")
    parser.add_argument("--jobs", default="", help="comma-separated subset of the jobs (default: all)")
    parser.add_argument("--child", nargs=5, metavar=("JOB", "URL", "START", "END", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        job, url, start, end, out = args.child
        _child(job, url, int(start), int(end), out)
        return
    records = args.records or (50_000 if args.quick else 552_596)
    rounds = args.rounds or (2 if args.quick else 3)
    jobs = [*OURS, *PEERS]
    if args.jobs:
        jobs = [job for job in jobs if job in {name.strip() for name in args.jobs.split(",")}]
        if not jobs:
            raise SystemExit(f"no such job; the jobs are: {', '.join([*OURS, *PEERS])}")
    process, url = history_emulator.start()
    try:
        began = time.perf_counter()
        start_ms, end_ms = _load(url, records)
        print(f"emulator {url}: loaded in {time.perf_counter() - began:.1f} s; "
              f"{len(jobs)} jobs x {rounds} rounds, each in a fresh process; load: {os.getloadavg()[0]:.1f}")
        results: dict[str, list[dict[str, Any]]] = {job: [] for job in jobs}
        with tempfile.TemporaryDirectory() as scratch:
            for round_ in range(rounds):
                order = jobs[round_ % len(jobs):] + jobs[:round_ % len(jobs)]
                for job in order:
                    out = os.path.join(scratch, "out." + job.rsplit(" ", 1)[1])
                    results[job].append(_run(job, process.pid, url, start_ms, end_ms, out))
        counts = {job: {r["rows"] for r in runs} for job, runs in results.items()}
        if len(set().union(*counts.values())) != 1:
            raise SystemExit(f"the jobs wrote different row counts: {counts}")
        print(f"load average after the run: {os.getloadavg()[0]:.1f}\n")
        _table(results, jobs)
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    script_entry.run(main)
