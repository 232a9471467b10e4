"""The emulator stream benchmark runs end to end (a smoke run: no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_stream_emulator.py"


def test_stream_benchmark_delivers_every_event_and_prints_a_table() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--streams", "3", "--consumers", "1", "--rate", "40", "--seconds", "0.5"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert re.search(r"events delivered / expected\s+60 / 60", out), out
    assert re.search(r"streams with every event in order\s+3 / 3", out), out
    assert "delivery latency p99 / max ms" in out and "emulator CPU per change" in out
