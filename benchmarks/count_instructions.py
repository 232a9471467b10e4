"""Client-side CPU instructions per call, counted by valgrind (repeatable, unlike timings).

    python benchmarks/count_instructions.py [--calls 2000] [--op leverage] [--only ours-sync ...]
                                            [--peer-python /tmp/peers-venv/bin/python]

Timings on a shared machine move by 10-30 % from run to run; the number of user-space instructions
a client executes per call moves by well under 1 % (the kernel's share, about the same for every
client, is not counted).
Each client runs twice under ``valgrind --tool=callgrind`` against ``bench_server.py`` (in its own,
unmeasured process): once with only the warm-up calls and once with ``--calls`` more; the difference
divided by ``--calls`` is the cost of one call. Needs valgrind (``apt install valgrind``), which
runs Python about 50 times slower: our clients and the floors take about 5 minutes, the peers
(``--peer-python``) 10 more.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import os
import sys
import time
from pathlib import Path
from typing import Any

import callgrind
import script_entry

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
WARMUP = 50

# (label, runner name in bench_runners.CLIENTS, event loop)
ROWS = [
    ("FLOOR blocking socket+httptools+msgspec", "floor-sync", "-"),
    ("binance_usdm BinanceRestClient (sync)", "ours-sync", "-"),
    ("FLOOR asyncio Protocol+httptools+msgspec", "floor-async", "asyncio"),
    ("binance_usdm AsyncBinanceRestClient", "ours-async", "asyncio"),
    ("FLOOR asyncio Protocol+httptools+msgspec", "floor-async", "uvloop"),
    ("binance_usdm AsyncBinanceRestClient", "ours-async", "uvloop"),
    ("python-binance AsyncClient", "python-binance", "asyncio"),
    ("ccxt binanceusdm (async)", "ccxt", "asyncio"),
    ("binance-futures-connector", "connector", "-"),
]
PEERS = {"python-binance", "ccxt", "connector"}


class StoppedClock:
    """The local clock our clients run on here (``clock=``): it stands still.

    Our client reads the server's used-weight header at most every 50 ms of its clock (finding the
    header costs ~10k instructions). Natively that is once in about a thousand calls; under valgrind,
    50 times slower and slower still on a loaded machine, it was once in 2-10 calls, so the count moved
    with the machine's load by several thousand instructions. On a clock that stands still it is
    read once, as good as never per call, as natively.
    """

    def __init__(self) -> None:
        self.time = itertools.repeat(time.time()).__next__  # called in C, like time.time

    def pass_time(self, seconds: float) -> float:
        return seconds


def run_calls(url: str, client: str, loop: str, op: str, calls: int) -> None:
    """Inside valgrind: open ``client``, warm up, then make ``calls`` more calls of ``op``."""
    sys.path.insert(0, str(HERE))
    from bench_runners import CLIENTS

    kind, opener, _ = CLIENTS[client]
    if client.startswith("ours"):
        opener = functools.partial(opener, clock=StoppedClock())
    index = 0 if op == "account" else 1
    if kind == "sync":
        triple = opener(url)
        for _ in range(WARMUP + calls):
            triple[index]()
        triple[2]()
        return

    async def main() -> None:
        triple: Any = await opener(url)
        for _ in range(WARMUP + calls):
            await triple[index]()
        await triple[2]()

    if loop == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def count(python: str, url: str, client: str, loop: str, op: str, calls: int) -> int | None:
    """Instructions per call (None when the client is not installed there or failed)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return callgrind.per_call(lambda n: [python, __file__, "--run", url, client, loop, op, str(n)], calls, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--peer-python", action="append", default=[])
    parser.add_argument("--op", choices=["account", "leverage"], action="append")
    parser.add_argument("--only", choices=sorted({row[1] for row in ROWS}), action="append",
                        help="measure only these clients (repeatable)")
    parser.add_argument("--run", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        url, client, loop, op, calls = args.run
        run_calls(url, client, loop, op, int(calls))
        return 0
    if not callgrind.available():
        raise SystemExit("valgrind is not installed")
    from bench_client import start_server, stop_server

    ops = args.op or ["account", "leverage"]
    proc, url = start_server()
    results: dict[tuple[str, str, str], int | None] = {}
    try:
        for label, client, loop in ROWS:
            if args.only and client not in args.only:
                continue
            pythons = [*args.peer_python, sys.executable] if client in PEERS else [sys.executable]
            for op in ops:
                per_call = None
                for python in pythons:
                    per_call = count(python, url, client, loop, op, args.calls)
                    if per_call is not None:
                        break
                results[(client, loop, op)] = per_call
                shown = "not installed" if per_call is None else f"{per_call:,}"
                print(f"  {label} [{loop}] {op}: {shown}", file=sys.stderr)
    finally:
        stop_server(proc)
    print(f"\nuser-space instructions per signed call (valgrind, {args.calls} calls after {WARMUP} warm-up)\n")
    print(f"{'client':44} {'loop':8}" + "".join(f"{op:>12}" for op in ops))
    print("-" * (53 + 12 * len(ops)))
    for label, client, loop in ROWS:
        if args.only and client not in args.only:
            continue
        cells = [results.get((client, loop, op)) for op in ops]
        print(f"{label:44} {loop:8}" + "".join(f"{'-' if c is None else f'{c:,}':>12}" for c in cells))
    print()
    for floor, ours, loop in (("floor-sync", "ours-sync", "-"), ("floor-async", "ours-async", "asyncio"),
                              ("floor-async", "ours-async", "uvloop")):
        for op in ops:
            f, o = results.get((floor, loop, op)), results.get((ours, loop, op))
            if f and o:
                print(f"  {ours} [{loop}] {op}: {o / f:.2f}x the floor's instructions")
    return 0


if __name__ == "__main__":
    script_entry.run(main)
