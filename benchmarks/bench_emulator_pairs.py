"""Two builds of the emulator in alternating pairs of runs: the paired difference of their server CPU.

Run: `python benchmarks/bench_emulator_pairs.py --before OTHER_CHECKOUT/src [--state] [--mix write]
[--connections 8] [--pairs 50] [--seconds 1] [--max-steal 3]`.

On a shared machine the server CPU per request read from /proc moves by 20 % and more from one run to
the next (the hypervisor gives the CPUs to other guests, their work evicts the caches), so a change
worth 1-2 µs per request (a few %) hides in it; `bench_emulator_baseline.py`'s medians of three runs
cannot show it, and the instructions `bench_emulator_instructions.py` counts in process miss what the
caches and branch predictor add in a real server. Here the emulator of another checkout (`--before`)
and this checkout's run side by side on the same load (`emulator_load.py`), one after the other, their
order alternating from pair to pair, and only the pairs during which the hypervisor took at most
`--max-steal` of the machine are kept. The table gives each build's median over those runs and the
median of the pairs' differences (this checkout - before) with its quartiles. How many pairs a
difference needs: one build against itself (`--before` its own src/), on this 2-core machine, 19 quiet
pairs of 1 s on a state file at 8 connections, gave quartiles of -5.3 and +4.1 µs; the median of n
such pairs then moves by about 9/sqrt(n) µs (50 pairs: 1.3 µs; a 1 µs change needs a few hundred).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulator_load import MIXES, LoadResult, checkout_src, run_load, start_emulator

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET

BEFORE, THIS = "before", "this checkout"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=checkout_src, required=True, metavar="SRC", help="the other checkout's src/")
    ap.add_argument("--state", action="store_true", help="both on a --state file (default: in memory)")
    ap.add_argument("--mix", choices=MIXES, default="write", help="the load (default write: leverage changes)")
    ap.add_argument("--connections", type=int, default=8, help="keep-alive connections (default 8)")
    ap.add_argument("--pairs", type=int, default=50, help="pairs of runs (default 50)")
    ap.add_argument("--seconds", type=float, default=1.0, help="seconds per run (default 1)")
    ap.add_argument("--warm-up", type=float, default=1.0, metavar="SECONDS",
                    help="a run of each server before the pairs (default 1: a server's first second is not its "
                         "steady state)")
    ap.add_argument("--max-steal", type=float, default=3.0, metavar="PCT",
                    help="keep the pairs whose two runs lost at most PCT %% of the machine to steal (default 3)")
    args = ap.parse_args()
    pairs: list[dict[str, LoadResult]] = []
    with tempfile.TemporaryDirectory() as tmp:
        servers = {name: start_emulator(Path(tmp) / f"{n}.sqlite3" if args.state else None, src=src)
                   for n, (name, src) in enumerate(((BEFORE, args.before), (THIS, None)))}
        try:
            def run(name: str, seconds: float) -> LoadResult:
                proc, port = servers[name]
                return run_load(proc.pid, port, args.mix, args.connections, seconds, DEMO_API_KEY, DEMO_API_SECRET)

            for name in servers:
                run(name, args.warm_up)
            for i in range(args.pairs):
                order = (BEFORE, THIS) if i % 2 == 0 else (THIS, BEFORE)
                pairs.append({name: run(name, args.seconds) for name in order})
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(10)
    _report(pairs, args)


def _report(pairs: list[dict[str, LoadResult]], args: argparse.Namespace) -> None:
    """The table: each build over the kept pairs, then their paired difference."""
    limit = args.max_steal / 100
    quiet = [p for p in pairs if all(r.steal is not None and r.steal <= limit and r.server_cpu_us is not None
                                     for r in p.values())]
    where = "--state file" if args.state else "in memory"
    print(f"{args.mix} load, {args.connections} connections, {where}; {len(pairs)} pair{'s' * (len(pairs) != 1)} "
          f"of {args.seconds:g} s, {len(quiet)} with at most {args.max_steal:g} % steal\n")
    if not quiet:
        print(f"no pair ran with at most {args.max_steal:g} % steal: run again when the machine is quieter (or "
              "raise --max-steal)")
        return
    print("| build | server CPU µs/req (median) | req/s (median) | errors |")
    print("|---|---|---|---|")
    for name in (BEFORE, THIS):
        runs = [p[name] for p in quiet]
        print(f"| {name} | {statistics.median(_cpu(r) for r in runs):.1f} | "
              f"{statistics.median(r.rps for r in runs):,.0f} | {sum(r.errors for r in runs)} |")
    diffs = [_cpu(p[THIS]) - _cpu(p[BEFORE]) for p in quiet]
    low, _, high = statistics.quantiles(diffs, n=4) if len(diffs) > 1 else (diffs[0], None, diffs[0])
    lower = sum(d < 0 for d in diffs)
    print(f"\n{THIS} - {BEFORE}, per pair: median {statistics.median(diffs):+.2f} µs/req, quartiles "
          f"{low:+.2f} / {high:+.2f}; {THIS} lower in {lower} of {len(diffs)} pairs")


def _cpu(result: LoadResult) -> float:
    assert result.server_cpu_us is not None  # (kept pairs have it)
    return result.server_cpu_us


if __name__ == "__main__":
    script_entry.run(main)
