"""The stream benchmarks run end to end (smoke runs: no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "benchmarks"


def _run(script: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_decoding_and_mirror_benchmark_prints_its_tables() -> None:
    out = _run("bench_stream_decode.py", "--events", "300")
    for row in ("ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE", "ACCOUNT_CONFIG_UPDATE", "apply (decoded events)",
                "decode + apply (frames)"):
        assert any(line.startswith(row) for line in out.splitlines()), out
    assert "json.loads -> dict" in out


def test_peers_benchmark_receives_every_event_with_each_client() -> None:
    out = _run("bench_stream_peers.py", "--events", "50", "--skip", "python-binance")
    rows = [line for line in out.splitlines() if line.startswith(("binance-usdm", "python-binance", "binance-futures"))]
    assert len(rows) == 3, out
    assert all(" 50 " in line for line in rows), out
