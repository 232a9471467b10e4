"""The emulator's Python bytecodes per request, by function: where the request pipeline's work goes.

Run: `python benchmarks/bench_emulator_bytecodes.py [--mix write] [--server memory] [--requests 320] [--top 40]`.

`bench_emulator_instructions.py` counts the instructions of a whole request (valgrind, minutes);
this counts the bytecodes each Python function of the emulator executes per request in the same
in-process harness (its `_serve`: in-process connections, no sockets), with ``sys.settrace``
opcode events: repeatable to the bytecode, in seconds, and per function (valgrind sees CPython's
evaluation loop as one function). A run with no measured requests is subtracted, so start-up and
warm-up cancel out (after a first, uncounted run: the process's one-time work). Only the emulator's
own functions are counted: not the loop (asyncio's here; uvloop's C code would not show), nor code
without a file (dataclasses' generated ``__init__``). A bytecode is not a fixed cost (a call or an
allocation costs more than a load): read the table as where the work is, and confirm a change with
the instruction counts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_emulator_instructions

#: (file name, first line, function name): a function's key in the counts.
Key = tuple[str, int, str]


def count(mix: str, server: str, requests: int, connections: int) -> tuple[Counter[Key], Counter[Key]]:
    """Bytecodes and calls per function over one harness run of `requests` measured requests."""
    ops: Counter[Key] = Counter()
    calls: Counter[Key] = Counter()

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        if "binance_usdm/emulator/" not in code.co_filename:
            return None
        frame.f_trace_opcodes = True
        key = (Path(code.co_filename).name, code.co_firstlineno, code.co_name)
        calls[key] += 1

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "opcode":
                ops[key] += 1
            return local

        return local

    sys.settrace(trace)
    threading.settrace(trace)  # batches that run on the storage thread
    try:
        asyncio.run(bench_emulator_instructions._serve(mix, connections, requests, server))
    finally:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
    return ops, calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mix", choices=("write", "read", "mixed"), default="write")
    ap.add_argument("--server", choices=("memory", "state"), default="memory")
    ap.add_argument("--requests", type=int, default=320, help="measured requests (default 320)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--top", type=int, default=40, help="functions shown (default 40)")
    args = ap.parse_args()
    server = bench_emulator_instructions.SERVERS[args.server]
    count(args.mix, server, args.requests, args.connections)  # the process's one-time work (imports, caches)
    base_ops, base_calls = count(args.mix, server, 0, args.connections)
    ops, calls = count(args.mix, server, args.requests, args.connections)
    ops.subtract(base_ops)
    calls.subtract(base_calls)
    n = args.requests
    modules: Counter[str] = Counter()
    for key, v in ops.items():
        modules[key[0]] += v
    print(f"emulator bytecodes per request ({args.mix}, {server}, {args.connections} connections, {n} requests): "
          f"{sum(modules.values()) / n:,.0f}\n")
    print("| module | bytecodes/request |\n|---|---|")
    for module, v in modules.most_common():
        if v / n >= 1:
            print(f"| {module} | {v / n:,.1f} |")
    print("\n| function | calls/request | bytecodes/request |\n|---|---|---|")
    for (module, line, name), v in ops.most_common(args.top):
        print(f"| {module}:{line} {name} | {calls[(module, line, name)] / n:.2f} | {v / n:,.1f} |")


if __name__ == "__main__":
    script_entry.run(main)
