"""Start-up costs, each in fresh processes: the ``usdm`` command and making a client.

    python benchmarks/bench_startup.py [--runs 10] [--quick] [--no-warm-up] [--src DIR]

Processes: ``python -c pass`` (the interpreter's own start), ``usdm --help``, ``usdm account``
against an emulator this script starts (with the emulator's API key, and without one: the demo key)
and the client imports; the commands run in turn, one warm-up each, so that load drifting over the
run hits all alike. Wall and CPU (user + system of the child, from ``wait4``) milliseconds, median
of ``--runs``; CPU is what a loaded machine distorts least.

Clients: in each fresh process the time to create the first and the later clients (sync, async;
an ``http://`` loopback URL and ``https://fapi.binance.com``, never contacted), median over the
processes.

``--src DIR`` measures another checkout's ``src`` (e.g. ``git archive``'d main) with this
interpreter, for before/after figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import script_entry

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))
from emulator_load import checkout_src

USDM = "import sys\nfrom binance_usdm.cli.script import main\nsys.exit(main())"
"""What the installed ``usdm`` script runs."""

CREATE = """\
import json, sys, time
kind, url, later = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter(), time.process_time()
if kind == "sync":
    from binance_usdm import BinanceRestClient as Client
else:
    from binance_usdm import AsyncBinanceRestClient as Client
imported = time.perf_counter(), time.process_time()
times = []
for _ in range(1 + later):
    wall, cpu = time.perf_counter(), time.process_time()
    Client("k", "s", base_url=url)
    times.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
print(json.dumps({"import": [(imported[0] - started[0]) * 1000, (imported[1] - started[1]) * 1000],
                  "first": times[0], "later": [statistics.median(t[i] for t in times[1:]) for i in (0, 1)]}))
""".replace("import json, sys, time", "import json, statistics, sys, time")

CLIENT_URLS = {"http": "http://127.0.0.1:8765", "https": "https://fapi.binance.com"}


@dataclass(frozen=True)
class Run:
    """One finished process: wall and CPU milliseconds, its stdout."""

    wall_ms: float
    cpu_ms: float
    stdout: str


def environment(src: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment with ``src`` first on the path, no credentials, no proxy, no colour."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BINANCE_", "USDM_")) and not k.lower().endswith("_proxy")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # cold process, not cold bytecode
    env.update({"PYTHONPATH": str(src), "NO_COLOR": "1", "USDM_DEMO_STATE": "", **(extra or {})})
    return env


def run_process(argv: Sequence[str], env: Mapping[str, str]) -> Run:
    """Run ``argv`` to its end: its wall time and the CPU time the kernel accounted to it (this
    process's reaped children before and after; the emulator is a thread of this process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[:4])} failed ({done.returncode}): "
                         f"{done.stderr.decode(errors='replace')[-500:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Run(wall * 1000, cpu * 1000, done.stdout.decode())


def interleaved(commands: Mapping[str, tuple[Sequence[str], Mapping[str, str]]], runs: int,
                warm_up: bool = True) -> dict[str, list[Run]]:
    """Each command ``runs`` times after one warm-up (unless not ``warm_up``), taking turns."""
    for argv, env in commands.values() if warm_up else ():
        run_process(argv, env)
    results: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            results[name].append(run_process(argv, env))
    return results


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def measure_processes(src: Path, runs: int, warm_up: bool = True) -> dict[str, list[Run]]:
    """The command lines of the first table, against an emulator running in this process."""
    from binance_usdm.emulator import EmulatorServer

    with EmulatorServer() as emu:
        assert emu.api_secret is not None
        plain = environment(src)
        keyed = environment(src, {"BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret})
        python = sys.executable
        account = [python, "-c", USDM, "--base-url", emu.base_url, "account"]
        return interleaved({
            "python -c pass": ([python, "-c", "pass"], plain),
            "usdm --help": ([python, "-c", USDM, "--help"], plain),
            "usdm account (API key; emulator running)": (account, keyed),
            "usdm account (no key: the demo's; emulator running)": (account, plain),
            "import binance_usdm": ([python, "-c", "import binance_usdm"], plain),
        }, runs, warm_up)


def measure_clients(src: Path, runs: int, later: int = 10, warm_up: bool = True) -> dict[str, dict[str, list[float]]]:
    """Per kind and scheme: the medians over ``runs`` processes of [wall, cpu] ms for the import,
    the first client and the later ones."""
    env = environment(src)
    commands = {f"{kind} {scheme}": ([sys.executable, "-c", CREATE, kind, url, str(later)], env)
                for kind in ("sync", "async") for scheme, url in CLIENT_URLS.items()}
    figures: dict[str, dict[str, list[float]]] = {}
    for name, results in interleaved(commands, runs, warm_up).items():
        answers = [json.loads(run.stdout.splitlines()[-1]) for run in results]
        figures[name] = {part: [statistics.median(a[part][i] for a in answers) for i in (0, 1)]
                         for part in ("import", "first", "later")}
    return figures


def render(processes: dict[str, list[Run]], clients: dict[str, dict[str, list[float]]], runs: int) -> str:
    bare = statistics.median(run.wall_ms for run in processes["python -c pass"])
    width = max(map(len, processes)) + 2
    lines = [f"Fresh processes, median of {runs} (taking turns; CPU = user + system of the process)", "",
             f"{'command':<{width}}{'wall ms':>9}{'CPU ms':>9}{'wall - pass':>13}"]
    for name, results in processes.items():
        wall = statistics.median(run.wall_ms for run in results)
        cpu = statistics.median(run.cpu_ms for run in results)
        lines.append(f"{name:<{width}}{wall:>9.1f}{cpu:>9.1f}{wall - bare:>13.1f}")
    lines += ["", f"Making a client: ms wall / CPU, medians over {runs} processes (later: median of 10 more)", "",
              f"{'client':<14}{'import':>16}{'first client':>16}{'later clients':>16}"]
    for name, parts in clients.items():
        cells = "".join(f"{f'{parts[p][0]:.2f} / {parts[p][1]:.2f}':>16}" for p in ("import", "first", "later"))
        lines.append(f"{name:<14}{cells}")
    help_ms = statistics.median(run.wall_ms for run in processes["usdm --help"])
    account_ms = statistics.median(run.wall_ms for run in processes["usdm account (API key; emulator running)"])
    later_ms = max(parts["later"][0] for parts in clients.values())
    lines += ["", "Targets (issue 16; wall, on a quiet machine):",
              f"  usdm --help <= 80 ms: {help_ms:.0f} ms", f"  usdm account <= 150 ms: {account_ms:.0f} ms",
              f"  later clients <= 1 ms: {later_ms:.2f} ms (slowest kind)"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per figure (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 runs: a smoke run")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="no warm-up process per command: a smoke run (the first runs meet cold caches)")
    parser.add_argument("--src", type=checkout_src, default=SRC,
                        help="the checkout's src to measure (default: this one)")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else args.runs
    src = args.src.resolve()
    before = load()
    processes = measure_processes(src, runs, not args.no_warm_up)
    clients = measure_clients(src, runs, warm_up=not args.no_warm_up)
    print(f"binance-usdm start-up ({src}); load average {before} before, {load()} after")
    print(render(processes, clients, runs))
    return 0


if __name__ == "__main__":
    script_entry.run(main)
