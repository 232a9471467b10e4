"""The peer export benchmark runs end to end on a tiny history (a smoke run: no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_export_peers.py"


def test_quick_run_prints_the_ratio_table() -> None:
    jobs = ["ours sync csv", "ccxt csv"]
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--records", "2500", "--rounds", "1", "--jobs", ",".join(jobs)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {job: line[len(job):].split() for job in jobs for line in proc.stdout.splitlines() if line.startswith(job)}
    assert set(rows) == set(jobs), proc.stdout
    assert rows["ours sync csv"][0] == rows["ccxt csv"][0] and int(rows["ccxt csv"][0]) >= 2500, proc.stdout
    assert rows["ours sync csv"][-1] == "ccxt", proc.stdout  # "<ratio>x ccxt": compared with the only CSV peer
