"""The Parquet memory benchmark runs its export steps on tiny exports (a smoke run: no figure is asserted;
the floor steps are five more pyarrow start-ups, left to the benchmark's own runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_parquet_memory.py"


def test_tiny_exports_print_their_rows() -> None:
    pytest.importorskip("pyarrow")
    pytest.importorskip("arro3.io")
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "1000", "--export-only"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = [line.split("  ")[0] for line in proc.stdout.splitlines()[2:] if "MB" in line]
    assert steps == [
        "export 1,000 rows, arro3", "export 1,000 rows, pyarrow", "export 1,000 rows, export() of models"
    ], proc.stdout
    export = proc.stdout.splitlines()[3].split()
    assert export[-3].endswith("MB") and float(export[-1]) > 0, proc.stdout  # growth and CPU per row
