"""The client benchmark runs end to end (a smoke run: no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_client.py"


def test_quick_benchmark_prints_a_table() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--no-peers", "--import-runs", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "account" in out and "leverage" in out and "calls/s" in out
    for label in (
        "FLOOR asyncio Protocol+httptools+msgspec",
        "FLOOR blocking socket+httptools+msgspec",
        "binance_usdm AsyncBinanceRestClient",
        "binance_usdm BinanceRestClient (sync)",
    ):
        rows = [line for line in out.splitlines() if line.startswith(label)]
        assert rows, f"no row for {label}:\n{out}"
        assert not any("error" in row for row in rows), out
    assert "import binance_usdm:" in out
    assert "Targets" in out
