"""The emulator's own CPU instructions per request, in process, counted by valgrind (repeatable).

Run: `python benchmarks/bench_emulator_instructions.py [--requests 160] [--before OTHER_CHECKOUT/src]
[--cache-sim]`.

On a loaded machine the server CPU per request that `bench_emulator_baseline.py` reads from /proc
moves by 30 % and more from run to run; the user-space instructions the emulator executes per request
move by about 1 %. Here the emulator's request pipeline (`server.HttpProtocol` and everything behind
it: parsing, authentication, the change and its commit, the answer) runs in one process under
``valgrind --tool=callgrind``, fed by `--connections` in-process connections (no sockets, so no kernel
work and no load generator is counted): each connection has one request in flight, and all of them
send in the same loop turn, as a busy server sees them. The loads are those of the baseline
benchmark (`emulator_load.MIXES`): leverage changes, 3 account reads : 1 leverage change, account
reads; in memory and on a `--state` file. Beside them, the same harness feeds `lean_handler.py`'s
connections (the aiohttp baseline's work without a framework): the floor the emulator is measured
against; and `bench_server.py`'s (fixed answers: httptools and this harness alone, what every server
row includes). The figure is (run with N requests - run with none) / N.

Instructions are not time: since all connections send in one loop turn, a `--state` batch holds all
of them, while a real load at 8 connections makes batches of about 4, and code run once per batch
misses the caches and the branch predictor more per instruction than the per-request path.
`--cache-sim` adds callgrind's simulated first-level cache misses and mispredicted branches per
request (use a small `--connections` to see a small batch's share).
Needs valgrind, which runs Python about 50 times slower (a few minutes for the whole table; more
with `--cache-sim`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_server
import callgrind
import lean_handler
from emulator_load import LEVERAGE_SYMBOL, LEVERAGES, MIXES, Requests, _next_request, checkout_src

WARMUP_ROUNDS = 5
MEMORY, STATE, LEAN, FLOOR = "in memory", "--state file", "lean handler", "fixed answers"
#: The servers measured, by the name the hidden `--run` argument takes.
SERVERS = {"memory": MEMORY, "state": STATE, "lean": LEAN, "floor": FLOOR}


class _Transport(asyncio.Transport):
    """What `HttpProtocol` writes to: hands each answer to `answered`."""

    def __init__(self, answered: Callable[[bytes], None]) -> None:
        super().__init__()
        self.answered = answered
        self.closing = False

    def write(self, data: Any) -> None:
        self.answered(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8765)}.get(name, default)


async def _serve(mix: str, connections: int, requests: int, server: str) -> int:
    """`requests` requests (after the warm-up) through `connections` in-process connections to `server`
    (one of `SERVERS`); returns how many were answered 200."""
    from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET
    from binance_usdm.emulator.embedded import EmulatorServer
    from binance_usdm.emulator.server import HttpProtocol

    with tempfile.TemporaryDirectory() as tmp:
        emu = EmulatorServer(state_path=Path(tmp) / "state.sqlite3" if server == STATE else None, weight_limit=10**9)
        loop = asyncio.get_running_loop()
        emu.streams.start(loop, emu.app.storage)
        buffer = memoryview(bytearray(65536))
        next_request = _next_request(mix, Requests(8765, DEMO_API_KEY, DEMO_API_SECRET))  # one sequence for all

        waiting: list[asyncio.Future[bytes] | None] = [None] * connections

        def answered(i: int, data: bytes) -> None:
            fut = waiting[i]
            if fut is not None and not fut.done():
                fut.set_result(data)

        def emulator_connection() -> asyncio.BufferedProtocol:
            return HttpProtocol(emu.app, buffer)

        make = emulator_connection
        if server == LEAN:
            exchange = await _lean_exchange(emulator_connection, DEMO_API_KEY, DEMO_API_SECRET)
            buffer = bench_server._BUFFER  # where the benchmark server's connections read from
            make = lambda: lean_handler._Connection(exchange)  # noqa: E731
        elif server == FLOOR:
            buffer = bench_server._BUFFER
            make = bench_server._Connection
        protocols = []
        for i in range(connections):
            protocol = make()
            protocol.connection_made(_Transport(lambda data, i=i: answered(i, data)))
            protocols.append(protocol)

        async def one(i: int) -> bool:
            data = next_request()
            waiting[i] = loop.create_future()
            buffer[:len(data)] = data
            protocols[i].buffer_updated(len(data))
            answer = await waiting[i]  # type: ignore[misc]
            return answer.startswith(b"HTTP/1.1 200 ")

        async def round_() -> int:
            return sum(await asyncio.gather(*(one(i) for i in range(connections))))

        for _ in range(WARMUP_ROUNDS):
            await round_()
        ok = 0
        for _ in range(requests // connections):
            ok += await round_()
        emu.app.storage.shutdown(wait=True)
        emu.backend.store.close()
        return ok


async def _lean_exchange(connect: Callable[[], asyncio.BufferedProtocol], api_key: str,
                         secret: str) -> lean_handler._Exchange:
    """The lean handler's state, from the emulator's own answers (as `bench_emulator_baseline` makes it)."""
    requests = Requests(8765, api_key, secret)
    answers = []
    for raw in (*(requests.leverage(n) for n in LEVERAGES), requests.account()):
        done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        protocol = connect()
        protocol.connection_made(_Transport(done.set_result))
        buffer = memoryview(protocol.get_buffer(len(raw)))
        buffer[:len(raw)] = raw
        protocol.buffer_updated(len(raw))
        answers.append(json.loads((await done).partition(b"\r\n\r\n")[2]))
    state = {"account": answers[-1], "maxNotional": {str(a["leverage"]): a["maxNotionalValue"] for a in answers[:-1]}}
    return lean_handler._Exchange(state, api_key, secret)


def run(mix: str, connections: int, requests: int, server: str) -> int:
    """One measured run (what valgrind runs); returns the requests answered 200."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_serve(mix, connections, requests, server))
    return uvloop.run(_serve(mix, connections, requests, server))


def per_request(src: Path | None, mix: str, connections: int, requests: int, server: str,
                cache_sim: bool = False) -> dict[str, float] | None:
    """callgrind's events per request (`callgrind.per_call_events`)."""
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    return callgrind.per_call_events(
        lambda n: [sys.executable, __file__, "--run", mix, str(connections), str(n), server], requests, env, cache_sim)


def _count(events: dict[str, float] | None, names: tuple[str, ...] = ("Ir",)) -> str:
    return "failed" if events is None else f"{round(sum(events[n] for n in names)):,}"


#: `--cache-sim` columns: (heading, callgrind's events summed).
SIMULATED = (("L1 instruction misses", ("I1mr",)), ("L1 data misses", ("D1mr", "D1mw")),
             ("mispredicted branches", ("Bcm", "Bim")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=160, help="measured requests per cell (default 160)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--mixes", nargs="+", choices=MIXES, default=list(MIXES))
    ap.add_argument("--before", type=checkout_src, metavar="SRC",
                    help="also measure the emulator of another checkout's src/")
    ap.add_argument("--cache-sim", action="store_true",
                    help="also simulate the caches and the branch predictor (misses and mispredictions per request; "
                         "a batch's one-off code shows there more than in its instructions)")
    ap.add_argument("--run", nargs=4, metavar=("MIX", "CONNECTIONS", "REQUESTS", "SERVER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        mix, connections, requests, server = args.run
        ok = run(mix, int(connections), int(requests), SERVERS[server])
        if ok != int(requests) // int(connections) * int(connections):
            raise SystemExit(f"only {ok} of the requests were answered 200")
        print(ok)
        return
    if not callgrind.available():
        raise SystemExit("valgrind is not installed")
    print(f"emulator instructions per request, in process ({args.connections} connections, {args.requests} "
          f"requests after {WARMUP_ROUNDS} warm-up rounds; leverage changes on {LEVERAGE_SYMBOL})\n")
    if args.cache_sim:
        _simulated_table(args)
        return
    print("| load | server | " + ("before | now | now / before |" if args.before else "instructions/request |"))
    print("|---|---|" + ("---|---|---|" if args.before else "---|"))
    for mix in args.mixes:
        for key, server in SERVERS.items():
            now = per_request(None, mix, args.connections, args.requests, key)
            if args.before is None or server in (LEAN, FLOOR):  # (the same code in both runs)
                now_only = f"| {_count(now)} | |" if args.before else f"{_count(now)} |"
                print(f"| {mix} | {server} | {now_only}")
                continue
            before = per_request(args.before, mix, args.connections, args.requests, key)
            ratio = f"{now['Ir'] / before['Ir']:.2f}x" if now and before else "-"
            print(f"| {mix} | {server} | {_count(before)} | {_count(now)} | {ratio} |")


def _simulated_table(args: argparse.Namespace) -> None:
    """Instructions and the simulated caches' and branch predictor's events per request, a row per server
    (and per server of `--before`)."""
    print("| load | server | instructions | " + " | ".join(h for h, _ in SIMULATED) + " |")
    print("|---|---|---|" + "---|" * len(SIMULATED))
    for mix in args.mixes:
        for key, server in SERVERS.items():
            runs = [(server, None)]
            if args.before is not None and server not in (LEAN, FLOOR):
                runs.insert(0, (f"{server} (before)", args.before))
            for label, src in runs:
                events = per_request(src, mix, args.connections, args.requests, key, cache_sim=True)
                cells = [_count(events)] + [_count(events, names) for _, names in SIMULATED]
                print(f"| {mix} | {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    script_entry.run(main)
