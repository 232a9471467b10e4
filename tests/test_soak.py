"""A short soak (benchmarks/soak.py): concurrent sync and async callers against the emulator with
random faults; the script proves its own invariants (every call a result within its total timeout,
no margin change applied twice, the wallet equal to the applied changes, no leaked connection or
file descriptor, flat memory) and exits 1 on any violation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parent.parent / "benchmarks" / "soak.py"


def test_short_soak_proves_the_result_contract_under_faults() -> None:
    proc = subprocess.run(
        [sys.executable, str(SOAK), "--seconds", "1", "--sync-callers", "4", "--async-callers", "16",
         "--fault-p", "0.04", "--seed", "7", "--slack", "2.0"],
        capture_output=True, text=True, timeout=120,
    )
    out = proc.stdout
    assert proc.returncode == 0 and "soak: OK" in out, out + proc.stderr
    assert "escaped exceptions: 0" in out
    fired = int(out.split("faults fired: ", 1)[1].split()[0])
    calls = int(out.split("calls: ", 1)[1].split()[0])
    assert calls > 100 and fired > 10, out  # the faults did fire on a real load
    for line in ("applied more than once", "isolated wallet: start", "file descriptors:", "memory (RSS):"):
        assert line in out, out
