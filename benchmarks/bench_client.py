"""Client benchmark: our async and sync clients against the floor and the existing Python clients.

    python benchmarks/bench_client.py                 # full run (about 1-2 minutes), prints a table
    python benchmarks/bench_client.py --quick         # short smoke run (figures meaningless)
    python benchmarks/bench_client.py --no-peers      # only the floors and our clients
    python benchmarks/bench_client.py --peer-python /tmp/peers-venv/bin/python
    python benchmarks/bench_client.py --quick --first-patterns few   # fewer fresh processes (a smoke run)

The peers (optional; the ``bench`` extra, or a separate virtualenv):

    python -m venv /tmp/peers-venv
    /tmp/peers-venv/bin/pip install python-binance ccxt aiohttp uvloop binance-futures-connector

Everything is measured in one run against the same local keep-alive HTTP/1.1 server
(``bench_server.py``: raw asyncio + httptools, TCP_NODELAY) running in another process. Each client
is measured in its own subprocess (``bench_runners.py``). python-binance and
binance-futures-connector both install a top-level ``binance`` package: whichever is installed last
owns ``binance/__init__.py`` (the connector, in the order above), so python-binance is imported from
``binance.async_client``, which survives that; separate virtualenvs (``--peer-python`` twice) work
too. Peers are looked up in every ``--peer-python`` interpreter in turn, then in this one; a peer
found nowhere is reported as "not installed". binance-futures-connector's ``account()`` calls
``/fapi/v3/account``: the server answers it with the same body as ``/fapi/v2/account``.

Figures are client-side only: CPU µs per call is ``time.process_time`` of the client process
(user + system, all threads), wall µs per call is ``time.perf_counter``; both for sequential
signed calls: account information (``GET /fapi/v2/account``, a 10-asset, 40-position body of about
20 KB) and leverage change (``POST /fapi/v1/leverage``). calls/s are account-information calls at
concurrency 1 (sequential) and at concurrency C (C tasks on one event loop, or C threads). Each
figure is the best of several repetitions, in rounds that interleave the clients in time (other
processes on the machine only ever add time).

A second table is what a user pays for the account answer read three ways (few fields, every
field, to_dict; ``bench_runners.PATTERNS``): ours typed (exact ``Decimal``, UTC ``datetime``), the dict
clients' values as parsed, ccxt's unified balance and positions built from the answer as
``fetch_balance`` and ``fetch_positions(method="account")`` build them; the call and the read
repeated (steady state: values met before), and the first call of a fresh process (the client made
as its users make it, connecting, first use of everything, nothing met before; one process per way
of reading and round, the best of the rounds; ``--first-patterns`` names the ways of reading measured
so, the others print "-"). A third gives the issue's comparison: ours against
json.loads + each peer's per-call work, that is the peer's own call and read (which parse the
answer), as ratios, with the highest ratio over the peers for each of ours.

Exit status: 0, or 1 when the floor or one of our own clients failed (peers' failures are reported
in the table only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import script_entry

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
RUNNER = HERE / "bench_runners.py"
SERVER = HERE / "bench_server.py"

CPU_VS_FLOOR_TARGET = 1.3  # our CPU per call at most 1.3x the floor's
CPU_VS_PEER_TARGET = 1.5  # and at least 1.5x less than the best peer's
IMPORT_TARGET_MS = 150.0


@dataclass
class Row:
    label: str
    client: str  # bench_runners.CLIENTS key
    loop: str  # "asyncio" | "uvloop" | "-" (sync)
    group: str  # "floor" | "signing floor" | "ours" | "peer"
    kind: str  # "async" | "sync"
    result: dict[str, Any] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)  # first_<pattern>_cpu_us: best of the rounds

    @property
    def ok(self) -> bool:
        return self.result.get("status") == "ok"

    def fig(self, key: str) -> float:
        return float(self.result[key])


def build_rows(with_peers: bool) -> list[Row]:
    rows = [
        Row("FLOOR asyncio Protocol+httptools+msgspec", "floor-async", "asyncio", "floor", "async"),
        Row("FLOOR asyncio Protocol+httptools+msgspec", "floor-async", "uvloop", "floor", "async"),
        Row("FLOOR blocking socket+httptools+msgspec", "floor-sync", "-", "floor", "sync"),
        Row("FLOOR asyncio, + timestamp & HMAC per call", "floor-signed-async", "asyncio", "signing floor", "async"),
        Row("FLOOR asyncio, + timestamp & HMAC per call", "floor-signed-async", "uvloop", "signing floor", "async"),
        Row("FLOOR blocking, + timestamp & HMAC per call", "floor-signed-sync", "-", "signing floor", "sync"),
        Row("binance_usdm AsyncBinanceRestClient", "ours-async", "asyncio", "ours", "async"),
        Row("binance_usdm AsyncBinanceRestClient", "ours-async", "uvloop", "ours", "async"),
        Row("binance_usdm BinanceRestClient (sync)", "ours-sync", "-", "ours", "sync"),
    ]
    if with_peers:
        rows += [
            Row("python-binance AsyncClient (aiohttp)", "python-binance", "asyncio", "peer", "async"),
            Row("python-binance AsyncClient (aiohttp)", "python-binance", "uvloop", "peer", "async"),
            Row("python-binance Client (requests, sync)", "python-binance-sync", "-", "peer", "sync"),
            Row("ccxt async binanceusdm (aiohttp)", "ccxt", "asyncio", "peer", "async"),
            Row("ccxt async binanceusdm (aiohttp)", "ccxt", "uvloop", "peer", "async"),
            Row("binance-futures-connector UMFutures (sync)", "connector", "-", "peer", "sync"),
        ]
    return rows


# --- processes --------------------------------------------------------------------------------


def _cpus() -> tuple[int, int] | None:
    """(client CPU, server CPU) when this machine can keep them apart, else None."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[-1]) if len(cpus) >= 2 else None


def on_cpu(role: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` pinning a child to the client's (0) or the server's (1) CPU.

    Where the scheduler puts the two processes moves a small call's CPU time by a third from run to
    run (one core: context switches; two: wake-ups across cores); pinned, the runs agree.
    """
    cpus = _cpus()
    if cpus is None:
        return None
    cpu = cpus[role]
    return lambda: os.sched_setaffinity(0, {cpu})


def start_server() -> tuple[subprocess.Popen[str], str]:
    """The server runs until its stdin closes; it prints ``READY <port>`` once listening."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        preexec_fn=on_cpu(1),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "READY":
        proc.kill()
        raise SystemExit("the benchmark server did not start")
    return proc, f"http://127.0.0.1:{line[1]}"


def stop_server(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _env_for(python: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a first call's lazy imports load .pyc files, as users' do
    if python == sys.executable:  # our package from this checkout even when not installed
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


def measure_once(
    row: Row, url: str, pythons: Sequence[str], args: argparse.Namespace, first: str | None = None,
) -> dict[str, Any]:
    """One runner process for ``row``, trying each interpreter in turn until one has the client;
    with ``first`` (a pattern), the process's first call read that way only."""
    result: dict[str, Any] = {"status": "missing", "detail": "not installed"}
    for python in pythons:
        cmd = [python, str(RUNNER), row.client, url]
        cmd += ["--first", first] if first else [
            "--seconds", str(args.seconds), "--reps", str(args.reps), "--concurrency", str(args.concurrency),
        ]
        if row.loop != "-":
            cmd += ["--loop", row.loop]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.timeout, env=_env_for(python),
                preexec_fn=on_cpu(0),
            )
        except subprocess.TimeoutExpired:
            return {"status": "error", "detail": f"timed out after {args.timeout:.0f} s"}
        except OSError as exc:
            result = {"status": "missing", "detail": f"cannot run {python}: {exc.strerror}"}
            continue
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if not lines:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return {"status": "error", "detail": f"runner failed: {tail}"[:200]}
        result = json.loads(lines[-1])
        if result.get("status") != "missing":
            return result
    return result


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Best of two rounds, figure by figure: least time per call, most calls per second."""
    if old.get("status") != "ok":
        return old if old else new
    if new.get("status") != "ok":
        return new
    merged = dict(old)
    for key, value in new.items():
        if key.endswith("_us"):
            merged[key] = min(value, old[key])
        elif key.startswith("cps_"):
            merged[key] = max(value, old[key])
    merged["rounds"] = old.get("rounds", 1) + 1
    return merged


IMPORT_CLIENT = "from binance_usdm import BinanceRestClient"
"""What a program importing the client runs (``import binance_usdm`` alone loads almost nothing:
its names are imported on first use)."""


def import_time_ms(runs: int) -> tuple[float, float]:
    """Median wall time of a fresh ``python -c IMPORT_CLIENT`` minus that of ``python -c pass``, and
    the median of the import alone."""
    env = _env_for(sys.executable)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # cold process, not cold bytecode: let .pyc files exist
    subprocess.run([sys.executable, "-c", IMPORT_CLIENT], env=env, check=True)

    def once(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        return time.perf_counter() - start

    with_import, bare = [], []
    for _ in range(runs):  # interleaved so that machine noise hits both alike
        with_import.append(once(IMPORT_CLIENT))
        bare.append(once("pass"))
    return (statistics.median(with_import) - statistics.median(bare)) * 1000, statistics.median(
        with_import
    ) * 1000


# --- report -----------------------------------------------------------------------------------


def _num(value: float, width: int) -> str:
    return f"{value:>{width},.0f}"


def render_table(rows: list[Row], concurrency: int) -> str:
    head = (
        f"{'client':<44} {'loop':<8} {'account':>9} {'account':>9} {'leverage':>9} {'leverage':>9}"
        f" {'calls/s':>8} {'calls/s':>8} {'CPU µs':>8}"
    )
    head2 = (
        f"{'':<44} {'':<8} {'CPU µs':>9} {'wall µs':>9} {'CPU µs':>9} {'wall µs':>9}"
        f" {'c=1':>8} {f'c={concurrency}':>8} {f'c={concurrency}':>8}"
    )
    lines = [head, head2, "-" * len(head)]
    for row in rows:
        start = f"{row.label:<44} {row.loop:<8}"
        if row.ok:
            lines.append(
                f"{start} {_num(row.fig('account_cpu_us'), 9)} {_num(row.fig('account_wall_us'), 9)}"
                f" {_num(row.fig('leverage_cpu_us'), 9)} {_num(row.fig('leverage_wall_us'), 9)}"
                f" {_num(row.fig('cps_c1'), 8)} {_num(row.fig('cps_conc'), 8)}"
                f" {_num(row.fig('conc_cpu_us'), 8)}"
                + (" *" if row.result.get("note") else "")
            )
        elif row.result.get("status") == "missing":
            lines.append(f"{start} not installed ({row.result.get('detail', '')})"[:140])
        else:
            lines.append(f"{start} error: {row.result.get('detail', '')}"[:160])
    notes = sorted({str(row.result["note"]) for row in rows if row.ok and row.result.get("note")})
    for note in notes:
        lines.append(f"  * {note}")
    return "\n".join(lines)


PATTERNS = ("few", "every", "to_dict")


def _read_figures(row: Row) -> list[float | None]:
    """The call + read CPU µs of ``row``: repeated, then first call, each few / every / to_dict."""
    return ([row.result.get(f"{p}_cpu_us") for p in PATTERNS]
            + [row.first.get(f"first_{p}_cpu_us") for p in PATTERNS])


def _cell(value: float | None, width: int, fmt: str = ",.0f") -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{fmt}}"


def render_read_table(rows: list[Row]) -> str:
    shown = [row for row in rows if row.ok and row.group in ("ours", "peer")]
    head = (f"{'call + read of the account answer':<44} {'loop':<8} {'repeated:':>9} {'':>7} {'':>8}"
            f" {'first:':>9} {'':>7} {'':>8}")
    head2 = f"{'CPU µs':<44} {'':<8}" + "".join(f" {p:>{9 if i % 3 == 0 else 8}}" for i, p in enumerate(PATTERNS * 2))
    lines = [head, head2, "-" * len(head2)]
    for row in shown:
        lines.append(f"{row.label:<44} {row.loop:<8}" + "".join(
            f" {_cell(v, 9 if i % 3 == 0 else 8)}" for i, v in enumerate(_read_figures(row))))
    lines += ["  " + line for line in textwrap.wrap(
        "few: the available balance and every position's symbol and amount; every: every field of every object;"
        " to_dict: the answer as plain dicts. Ours: typed (exact Decimal, UTC datetime); dict clients: values as"
        " parsed (strings), their to_dict the answer itself; ccxt: its unified balance and positions built from"
        " the answer (markets loaded beforehand, not counted). repeated: best of the rounds; first: a fresh"
        " process's client made as its users make it (python-binance: Client() pings, AsyncClient.create() pings"
        " and reads the server time), its first call and the read, best of the rounds", 104)]
    return "\n".join(lines)


def _peers_of(mine: Row, rows: list[Row]) -> list[Row]:
    """The peers ``mine`` is compared with: every sync peer and the async peers on its event loop
    (asyncio for a sync client)."""
    loop = "asyncio" if mine.loop == "-" else mine.loop
    return [r for r in rows if r.ok and r.group == "peer" and r.loop in ("-", loop)]


def render_read_ratios(rows: list[Row]) -> list[str]:
    """Ours against json.loads + each peer's per-call work (what the peer's user pays: its call, which
    parses the answer with json.loads or orjson, and its read), pattern by pattern."""
    lines = ["Call + read, ours / the peer's (json.loads + its per-call work); below 1.00: ours costs less",
             f"{'':<58}{'repeated:':>9}{'':>8}{'':>8}{'first:':>9}{'':>8}{'':>8}",
             f"{'':<58}" + "".join(f"{p:>{9 if i % 3 == 0 else 8}}" for i, p in enumerate(PATTERNS * 2))]
    verdicts = []
    for mine in (r for r in rows if r.ok and r.group == "ours"):
        ours = _read_figures(mine)
        worst: list[float] = [0.0] * len(ours)
        for peer in _peers_of(mine, rows):
            ratios = [None if a is None or b is None else a / b for a, b in zip(ours, _read_figures(peer), strict=True)]
            worst = [max(w, r or 0.0) for w, r in zip(worst, ratios, strict=True)]
            name = f"{mine.client}/{mine.loop} vs {peer.client}/{peer.loop}"
            lines.append(f"  {name:<56}" + "".join(
                f"{_cell(r, 9 if i % 3 == 0 else 8, '.2f')}" for i, r in enumerate(ratios)))
        for label, picked in (("repeated", slice(0, 3)), ("first call", slice(3, 6))):
            cells = ", ".join(f"{p} {w:.2f}" for p, w in zip(PATTERNS, worst[picked], strict=True))
            verdicts.append(f"  {mine.client}/{mine.loop}, {label}: highest ratio {cells}"
                            f" (below every peer: {_verdict(max(worst[picked]) < 1.0)})")
    return lines + verdicts


def _find(rows: list[Row], group: str, kind: str, loop: str | None) -> list[Row]:
    return [
        r for r in rows
        if r.ok and r.group == group and r.kind == kind and (loop is None or r.loop == loop)
    ]


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def render_targets(rows: list[Row]) -> list[str]:
    lines = [
        f"Targets (CPU µs per call): ours <= {CPU_VS_FLOOR_TARGET}x the floor, and the best peer's"
        f" >= {CPU_VS_PEER_TARGET}x ours"
    ]
    cases = [("async", "asyncio"), ("async", "uvloop"), ("sync", None)]
    for kind, loop in cases:
        ours = _find(rows, "ours", kind, loop)
        if not ours:
            continue
        mine = ours[0]
        floor = _find(rows, "floor", kind, loop)
        peers = _find(rows, "peer", kind, loop)
        if kind == "async" and loop == "uvloop" and not peers:
            peers = _find(rows, "peer", kind, "asyncio")  # compare with what the peers have
        title = f"{kind} ({loop})" if loop else "sync"
        for op in ("account", "leverage"):
            key = f"{op}_cpu_us"
            value = mine.fig(key)
            parts = [f"  {title:<15} {op:<9} ours {value:7.0f}"]
            if floor:
                ratio = value / floor[0].fig(key)
                parts.append(
                    f"floor {floor[0].fig(key):5.0f} -> {ratio:4.2f}x (<= {CPU_VS_FLOOR_TARGET}x:"
                    f" {_verdict(ratio <= CPU_VS_FLOOR_TARGET)})"
                )
            signing = _find(rows, "signing floor", kind, loop)
            if signing:  # for reading the floor ratio: how much of it signing alone takes
                parts.append(f"signing floor {signing[0].fig(key):5.0f} -> {value / signing[0].fig(key):4.2f}x")
            if peers:
                best = min(peers, key=lambda r: r.fig(key))
                gain = best.fig(key) / value
                name = best.client + (f"/{best.loop}" if best.loop != "-" else "")
                parts.append(
                    f"best peer {name} {best.fig(key):5.0f} -> {gain:4.2f}x less"
                    f" (>= {CPU_VS_PEER_TARGET}x: {_verdict(gain >= CPU_VS_PEER_TARGET)})"
                )
            else:
                parts.append("no peer measured")
            lines.append(" | ".join(parts))
    return lines


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (figures meaningless)")
    parser.add_argument("--no-peers", action="store_true", help="skip python-binance, ccxt and the connector")
    parser.add_argument(
        "--peer-python", action="append", default=[], metavar="PATH",
        help="an interpreter to look for peers in (repeatable; this one is tried last)",
    )
    parser.add_argument("--clients", help="comma-separated runner names to keep (e.g. ours-async,floor-async)")
    parser.add_argument("--seconds", type=float, help="duration of one repetition (default 0.1)")
    parser.add_argument("--reps", type=int, help="repetitions per client process (default 3)")
    parser.add_argument("--rounds", type=int, help="client processes per client, interleaved (default 5)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--import-runs", type=int, help="fresh interpreters for the import time (default 9)")
    parser.add_argument(
        "--first-patterns", default=",".join(PATTERNS), metavar="LIST",
        help="comma-separated ways of reading measured in a fresh process per call + read (first: columns);"
        f" default all: {','.join(PATTERNS)}; the others print '-'",
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds allowed per client")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures as JSON")
    args = parser.parse_args(argv)
    first_patterns = [p for p in args.first_patterns.split(",") if p]
    if unknown := sorted(set(first_patterns) - set(PATTERNS)):
        parser.error(f"--first-patterns: unknown {', '.join(unknown)} (known: {', '.join(PATTERNS)})")
    if args.seconds is None:
        args.seconds = 0.02 if args.quick else 0.1
    if args.reps is None:
        args.reps = 1 if args.quick else 3
    if args.rounds is None:
        args.rounds = 1 if args.quick else 5
    if args.import_runs is None:
        args.import_runs = 3 if args.quick else 9

    rows = build_rows(not args.no_peers)
    if args.clients:
        keep = set(args.clients.split(","))
        rows = [row for row in rows if row.client in keep]
    peer_pythons = [*args.peer_python, sys.executable]

    started = time.perf_counter()
    load_before = _load()
    server, url = start_server()
    try:
        # Rounds interleave the clients in time, so that a busy spell of the machine does not
        # fall on one client only; each figure is the best over the rounds.
        for round_no in range(args.rounds):
            for row in rows:
                if row.result and not row.ok:
                    continue  # not installed, or failed: once is enough
                pythons = peer_pythons if row.group == "peer" else [sys.executable]
                row.result = merge(row.result, measure_once(row, url, pythons, args))
                print(
                    f"  round {round_no + 1}: {row.client} ({row.loop}): {row.result.get('status')}",
                    file=sys.stderr,
                )
                if row.ok and row.group in ("ours", "peer"):
                    for pattern in first_patterns:  # the process's first call, one process per way of reading
                        first = measure_once(row, url, pythons, args, first=pattern)
                        key = f"first_{pattern}_cpu_us"
                        if first.get("status") == "ok":
                            row.first[key] = min(first[key], row.first.get(key, float("inf")))
    finally:
        stop_server(server)
    import_ms, import_total_ms = import_time_ms(args.import_runs)
    elapsed = time.perf_counter() - started
    load_after = _load()

    sys.path.insert(0, str(HERE))
    import bench_payloads

    body = len(bench_payloads.account_body())
    print()
    print(
        "binance-usdm client benchmark: one local keep-alive HTTP/1.1 server in another process"
        " (asyncio+httptools, TCP_NODELAY)"
    )
    print(
        f"account body {body:,} bytes (10 assets, 40 positions); client-side figures, best of"
        f" {args.rounds} rounds x {args.reps} runs of ~{args.seconds:g} s; {os.cpu_count()} CPUs"
        + ("" if (cpus := _cpus()) is None else f" (clients on CPU {cpus[0]}, server on CPU {cpus[1]})")
        + f"; Python {sys.version.split()[0]}"
        + ("; QUICK RUN: figures are not meaningful" if args.quick else "")
    )
    print()
    print(render_table(rows, args.concurrency))
    print()
    print(render_read_table(rows))
    print()
    for line in render_read_ratios(rows):
        print(line)
    print()
    for line in render_targets(rows):
        print(line)
    print(
        f"  {IMPORT_CLIENT}: {import_ms:.0f} ms cold (fresh interpreter, minus `python -c pass`;"
        f" {import_total_ms:.0f} ms total) (< {IMPORT_TARGET_MS:.0f} ms:"
        f" {_verdict(import_ms < IMPORT_TARGET_MS)})"
    )
    print(
        f"  (run took {elapsed:.0f} s; 1-minute load average {load_before} before, {load_after} after:"
        f" other processes on the machine inflate every figure)"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "rows": [{"label": r.label, "client": r.client, "loop": r.loop, **r.result, **r.first}
                             for r in rows],
                    "import_ms": import_ms,
                    "account_body_bytes": body,
                },
                indent=2,
            )
        )
    failed = [r for r in rows if r.group != "peer" and r.result.get("status") == "error"]
    return 1 if failed else 0


if __name__ == "__main__":
    script_entry.run(main)
