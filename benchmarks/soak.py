"""Soak: many concurrent sync and async callers against the emulator with random faults, then proof.

    python benchmarks/soak.py [--seconds 60] [--sync-callers 8] [--async-callers 64] [--fault-p 0.03]
                              [--seed 1]

The emulator runs in its own process (so this process's memory and file descriptors are the
client's alone). Once it answers, faults are installed, each firing with probability ``--fault-p``
on every request: latency, 5xx, 503 "unknown" (applied or not), -1007 timeouts, a gateway's HTML,
drops before and after the change is applied (FIN and reset), malformed and truncated bodies.
Callers mix ``modify_position_margin`` (every call a unique amount, so each history row names its
call), ``change_initial_leverage`` and position reads for ``--seconds``. Then the faults go and the
outcome is proved; every violation is printed and makes the exit status 1:

- every call ended in a ``WebCallResult`` (nothing raised) whose error is a ``BinanceError``;
- no call outlived its total timeout (plus ``--slack`` for a busy machine's scheduling);
- no margin change was applied twice (its amount is in the margin history at most once); every
  acknowledged change is there once, every refused or unsent one is not; an unknown outcome is
  reconciled from the history;
- the isolated wallet equals its start plus the applied changes;
- the clients leave no connection or file descriptor behind, and memory stays flat.

The figures are printed as a table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import script_entry

SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))

from binance_usdm import (
    AsyncBinanceRestClient,
    BinanceError,
    BinanceRestClient,
    ClientRateLimitError,
    ConnectError,
    InvalidRequestError,
    OutcomeUnknownError,
    RetryPolicy,
    Timeouts,
    TransportError,
    WebCallResult,
)
from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET

SYMBOL = "ETHUSDT"  # the demo account's isolated position
TIMEOUTS = Timeouts(connect=1.0, read=1.0, total=2.5)
RETRY = RetryPolicy(max_retries=2, backoff_base=0.02, backoff_max=0.2, max_retry_after=1.0)
FAULTS = [
    "*=latency:40", "*=status:502", "*=unknown", "*=unknown,applied=true", "*=timeout", "*=html:504",
    "*=drop_before", "*=drop_before:rst", "*=drop_after", "*=drop_after:rst", "*=malformed",
    "*=truncated:body", "*=truncated:close",
]
BASE = Decimal("0.01")
STEP = Decimal("0.00000001")


MARGIN_OUTCOMES = ("ack", "absent", "unknown")


@dataclass
class Tally:
    """What the callers saw (from several threads, under a lock). Kept compact, so that the run's
    memory figure is the client's: call times in a histogram of milliseconds, margin changes as
    the index of their amount (``STEP`` units above 0.01; negative for a reduction) in one array
    per outcome."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter[str] = field(default_factory=Counter)
    millis: list[int] = field(default_factory=lambda: [0] * 60_001)  # calls per millisecond of duration
    longest: float = 0.0
    escaped: list[str] = field(default_factory=list)
    margin: dict[str, array[int]] = field(default_factory=lambda: {o: array("q") for o in MARGIN_OUTCOMES})

    def record(self, op: str, result: object, took: float, amount: Decimal | None = None, kind: int = 0) -> None:
        error = getattr(result, "error", None)
        if not isinstance(result, WebCallResult) or not (error is None or isinstance(error, BinanceError)):
            with self.lock:
                self.escaped.append(f"{op}: not a result: {result!r}")
            return
        name = "ok" if error is None else type(error).__name__
        with self.lock:
            self.outcomes[f"{op} {name}"] += 1
            self.millis[min(int(took * 1000), 60_000)] += 1
            self.longest = max(self.longest, took)
            if amount is not None:
                index = int((amount - BASE) / STEP)
                self.margin[_margin_outcome(error)].append(index if kind == 1 else -index)

    def margin_changes(self) -> list[tuple[Decimal, int, str]]:
        """(amount, type, outcome) of every margin change."""
        return [(BASE + abs(i) * STEP, 1 if i > 0 else 2, outcome)
                for outcome, indexes in self.margin.items() for i in indexes]

    def percentile(self, share: float) -> float:
        """Seconds (to the millisecond) within which ``share`` of the calls ended."""
        wanted, seen = share * sum(self.millis), 0
        for ms, count in enumerate(self.millis):
            seen += count
            if seen >= wanted:
                return ms / 1000
        return self.longest


def _margin_outcome(error: BinanceError | None) -> str:
    """ack: applied; absent: refused by Binance or never sent; unknown: may or may not have been applied."""
    if error is None:
        return "ack"
    if isinstance(error, OutcomeUnknownError):
        return "unknown"
    if isinstance(error, InvalidRequestError | ClientRateLimitError | ConnectError):
        return "absent"
    if isinstance(error, TransportError) and not error.request_sent:
        return "absent"
    return "unknown"  # anything else that may have reached the server


class Caller:
    """Picks the next operation; every margin change gets an amount no other call uses."""

    def __init__(self, amounts: itertools.count[int], seed: int) -> None:
        self.amounts = amounts
        self.rng = random.Random(seed)

    def next(self) -> tuple[str, tuple[Any, ...], Decimal | None, int]:
        roll = self.rng.random()
        if roll < 0.5:
            kind = 1 if self.rng.random() < 0.55 else 2
            amount = BASE + next(self.amounts) * STEP
            return "modify_position_margin", (SYMBOL, amount, kind), amount, kind
        if roll < 0.8:
            return "change_initial_leverage", ("BTCUSDT", self.rng.randint(5, 20)), None, 0
        return "get_position_information", (SYMBOL,), None, 0


def sync_caller(client: BinanceRestClient, caller: Caller, tally: Tally, until: float) -> None:
    account = client.usd_futures_api.account
    while time.monotonic() < until:
        op, args, amount, kind = caller.next()
        started = time.monotonic()
        try:
            result: object = getattr(account, op)(*args)
        except Exception as exc:  # the contract says this never happens: count it
            result = exc
        tally.record(op, result, time.monotonic() - started, amount, kind)


async def async_caller(client: AsyncBinanceRestClient, caller: Caller, tally: Tally, until: float) -> None:
    account = client.usd_futures_api.account
    while time.monotonic() < until:
        op, args, amount, kind = caller.next()
        started = time.monotonic()
        try:
            result: object = await getattr(account, op)(*args)
        except Exception as exc:
            result = exc
        tally.record(op, result, time.monotonic() - started, amount, kind)


# --- the emulator, in its own process -------------------------------------------------------------
class Emulator:
    def __init__(self, seed: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--weight-limit", "1000000000",
             "--fault-seed", str(seed)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(SRC)},
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "emulator on " not in line:
            self.proc.kill()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.base_url = line.split("emulator on ", 1)[1].strip()
        self.host, port = self.base_url.removeprefix("http://").split(":")
        self.port = int(port)

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None)
            answer = conn.getresponse()
            data = answer.read()
            if answer.status != 200:
                raise RuntimeError(f"{method} {path}: {answer.status} {data[:200]!r}")
            return json.loads(data)
        finally:
            conn.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- the run ----------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    problems: list[str] = []
    emu = Emulator(args.seed)
    options: dict[str, Any] = {
        "api_key": DEMO_API_KEY, "api_secret": DEMO_API_SECRET, "base_url": emu.base_url,
        "timeouts": TIMEOUTS, "retry": RETRY, "weight_limit": 10**7,
    }
    try:
        fds_before = open_fds()
        with BinanceRestClient(**options) as probe:
            wallet_start = probe.usd_futures_api.account.get_position_information(SYMBOL).unwrap()[0].isolated_wallet
        started_at = datetime.now(UTC)
        emu.admin("POST", "/emulator/faults", {"faults": [f"{spec},p={args.fault_p}" for spec in FAULTS]})

        tally = Tally()
        amounts = itertools.count(1)
        until = time.monotonic() + args.seconds
        memory: list[float] = []
        sync_client = BinanceRestClient(**options)
        async_client_box: list[AsyncBinanceRestClient] = []

        async def async_side() -> None:
            client = AsyncBinanceRestClient(**options)
            async_client_box.append(client)
            await asyncio.gather(*(async_caller(client, Caller(amounts, args.seed * 1000 + i), tally, until)
                                   for i in range(args.async_callers)))

        threads = [threading.Thread(target=sync_caller, args=(sync_client, Caller(amounts, args.seed * 100 + i),
                                                              tally, until)) for i in range(args.sync_callers)]
        threads.append(threading.Thread(target=asyncio.run, args=(async_side(),)))
        began = time.monotonic()
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            memory.append(rss_mb())
            time.sleep(min(0.5, args.seconds / 8))
        for thread in threads:
            thread.join()
        ran = time.monotonic() - began
        faults = emu.admin("GET", "/emulator/faults")["faults"]
        emu.admin("DELETE", "/emulator/faults")

        # pools: every open connection is idle again (no slot lost), then closed
        sync_pool = sync_client._core.transport
        if sync_pool._open != len(sync_pool._idle):  # type: ignore[attr-defined]
            problems.append(f"sync pool: {sync_pool._open} open but {len(sync_pool._idle)} idle")  # type: ignore[attr-defined]
        sync_client.close()
        async_client = async_client_box[0]
        async_pool = async_client._core.transport
        if async_pool._open != len(async_pool._idle):  # type: ignore[attr-defined]
            problems.append(f"async pool: {async_pool._open} open but {len(async_pool._idle)} idle")  # type: ignore[attr-defined]
        asyncio.run(async_client.aclose())  # its connections belong to a finished loop: closed here

        # reconcile the money from Binance's own record, as a user would
        with BinanceRestClient(**options) as checker:
            history = list(checker.usd_futures_api.history.iter_margin_changes(
                SYMBOL, started_at - timedelta(seconds=5)))
            wallet_end = checker.usd_futures_api.account.get_position_information(SYMBOL).unwrap()[0].isolated_wallet
        seen = Counter(record.amount for record in history)
        expected = wallet_start
        margin_counts: Counter[str] = Counter()
        for amount, kind, outcome in tally.margin_changes():
            times = seen[amount]
            if times > 1:
                problems.append(f"margin change {amount} applied {times} times")
                margin_counts["twice"] += 1
            if outcome == "ack" and times != 1:
                problems.append(f"acknowledged margin change {amount} is in the history {times} times")
            if outcome == "absent" and times:
                problems.append(f"refused or unsent margin change {amount} was applied")
            label = outcome if outcome != "unknown" else ("unknown, applied" if times else "unknown, not applied")
            margin_counts[label] += 1
            if times:
                expected += amount if kind == 1 else -amount
        if wallet_end != expected:
            problems.append(f"isolated wallet {wallet_end} != start {wallet_start} + applied changes = {expected}")

        gc.collect()
        fds_after = open_fds()
        deadline = time.monotonic() + 3
        while fds_after > fds_before and time.monotonic() < deadline:
            time.sleep(0.05)
            gc.collect()
            fds_after = open_fds()
        if fds_after > fds_before:
            problems.append(f"file descriptors: {fds_before} before, {fds_after} after")
        problems += [f"escaped: {text}" for text in tally.escaped[:10]]
        longest = tally.longest
        if longest > TIMEOUTS.total + args.slack:
            problems.append(f"a call took {longest:.2f} s (total timeout {TIMEOUTS.total} s + slack {args.slack} s)")
        warm = memory[len(memory) // 4] if memory else 0.0
        growth = (memory[-1] - warm) if memory else 0.0
        if growth > args.max_growth_mb:
            problems.append(f"memory grew {growth:.1f} MB after warm-up (bound {args.max_growth_mb} MB)")

        calls = sum(tally.outcomes.values())
        report(args, ran, calls, tally, margin_counts, faults, wallet_start, wallet_end, expected,
               fds_before, fds_after, memory, growth, len(history))
    finally:
        emu.stop()
    for problem in problems:
        print(f"FAILED: {problem}")
    print("soak: OK" if not problems else f"soak: {len(problems)} problem(s)")
    return 1 if problems else 0


def report(args: argparse.Namespace, ran: float, calls: int, tally: Tally, margin: Counter[str],
           faults: list[dict[str, Any]], wallet_start: Decimal, wallet_end: Decimal, expected: Decimal,
           fds_before: int, fds_after: int, memory: list[float], growth: float, history: int) -> None:
    print(f"soak: {ran:.1f} s, {args.sync_callers} sync threads + {args.async_callers} async tasks, "
          f"fault probability {args.fault_p} each ({len(FAULTS)} kinds), seed {args.seed}")
    print(f"calls: {calls} ({calls / ran:.0f}/s); escaped exceptions: {len(tally.escaped)}")
    print(f"call time: median {tally.percentile(0.5):.3f} s, p99 {tally.percentile(0.99):.3f} s, "
          f"max {tally.longest:.3f} s (total timeout {TIMEOUTS.total} s)")
    print("\noutcome                                                   calls")
    for key, count in sorted(tally.outcomes.items()):
        print(f"  {key:<55} {count:>6}")
    print("\nmargin changes (unique amounts)                           calls")
    for key in ("ack", "absent", "unknown, applied", "unknown, not applied"):
        print(f"  {key:<55} {margin.get(key, 0):>6}")
    print(f"  {'applied more than once':<55} {margin.get('twice', 0):>6}")
    print(f"  margin history rows read back: {history}")
    print(f"isolated wallet: start {wallet_start}, end {wallet_end}, start + applied {expected}")
    fired = sum(int(f.get("fired", 0)) for f in faults)
    print(f"faults fired: {fired} (" + ", ".join(f"{f['spec'].split(',')[0].removeprefix('*=')} {f.get('fired', 0)}"
                                              for f in faults) + ")")
    print(f"file descriptors: {fds_before} before the clients, {fds_after} after")
    if memory:
        quarters = " / ".join(f"{memory[min(len(memory) - 1, len(memory) * q // 4)]:.1f}" for q in (1, 2, 3, 4))
        print(f"memory (RSS): {memory[0]:.1f} MB at start; {quarters} MB at each quarter of the run "
              f"({growth:+.1f} MB after the first)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sync-callers", type=int, default=8)
    parser.add_argument("--async-callers", type=int, default=64)
    parser.add_argument("--fault-p", type=float, default=0.03, help="probability of each fault kind per request")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slack", type=float, default=1.0, help="seconds a call may exceed its total timeout")
    parser.add_argument("--max-growth-mb", type=float, default=8.0, help="RSS growth allowed after warm-up")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    script_entry.run(main)
