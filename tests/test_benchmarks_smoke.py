"""The client benchmark runs end to end (a smoke run: no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_client.py"


def _run(script: str, *args: str, timeout: float = 300) -> str:
    """What `benchmarks/<script> args` prints, once it exited 0."""
    proc = subprocess.run([sys.executable, str(BENCH.parent / script), *args], capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_quick_benchmark_prints_a_table() -> None:
    out = _run(BENCH.name, "--quick", "--no-peers", "--import-runs", "1")
    assert "account" in out and "leverage" in out and "calls/s" in out
    for label in (
        "FLOOR asyncio Protocol+httptools+msgspec",
        "FLOOR blocking socket+httptools+msgspec",
        "FLOOR asyncio, + timestamp & HMAC per call",
        "FLOOR blocking, + timestamp & HMAC per call",
        "binance_usdm AsyncBinanceRestClient",
        "binance_usdm BinanceRestClient (sync)",
    ):
        rows = [line for line in out.splitlines() if line.startswith(label)]
        assert rows, f"no row for {label}:\n{out}"
        assert not any("error" in row for row in rows), out
    assert "from binance_usdm import BinanceRestClient:" in out
    assert "Targets" in out and "signing floor" in out


def test_profile_breakdown_runs() -> None:
    out = _run("profile_client.py", "--breakdown", "--calls", "30")
    assert "leverage: whole sync call" in out and "limiter.reserve + observe" in out


def test_instruction_count_runner_drives_each_of_our_clients() -> None:
    """The part of count_instructions.py that runs inside valgrind, run here without it."""
    server = subprocess.Popen(
        [sys.executable, str(BENCH.parent / "bench_server.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().split()[1]}"
        for client, loop in (("ours-sync", "-"), ("ours-async", "asyncio"), ("floor-async", "asyncio")):
            _run("count_instructions.py", "--run", url, client, loop, "leverage", "5", timeout=120)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)


def test_signing_benchmark_prints_its_table() -> None:
    out = _run("bench_signing.py", "--number", "100", timeout=120)
    assert "hmac.digest" in out and "binance_usdm HmacSigner" in out


def test_emulator_queries_benchmark_prints_its_tables() -> None:
    out = _run("bench_emulator_queries.py", "--sizes", "3000", "--requests", "2", "--seconds", "0.3")
    assert "| symbol=XRPUSDT (10 records), 90 days | 10," in out, out
    assert "with XRPUSDT income queries" in out and "| 3,000 |" in out, out


def test_startup_benchmark_prints_its_tables() -> None:
    out = _run("bench_startup.py", "--runs", "1", "--no-warm-up")
    for row in ("python -c pass", "usdm --help", "usdm account (API key; emulator running)",
                "usdm account (no key: the demo's; emulator running)", "sync http", "async https", "Targets"):
        assert row in out, out


@pytest.mark.parametrize(("mix", "store"), [("write", "memory"), ("mixed", "state")])
def test_emulator_instruction_runner_answers_every_request(mix: str, store: str) -> None:
    """The run valgrind measures (without valgrind): every request through the in-process connections
    is answered 200 (it exits non-zero otherwise)."""
    assert _run("bench_emulator_instructions.py", "--run", mix, "4", "8", store, timeout=120).strip() == "8"


def test_emulator_bytecodes_by_function() -> None:
    out = _run("bench_emulator_bytecodes.py", "--requests", "4", "--connections", "4", "--top", "60")
    rows = {line.split("|")[1].strip(): line.split("|")[2:] for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("| module") and not line.startswith("| function")}
    assert float(rows["server.py"][0].replace(",", "")) > 100, out
    complete = next(cells for name, cells in rows.items() if name.endswith("on_message_complete"))
    assert float(complete[0]) == 1.0 and float(complete[1].replace(",", "")) > 10, out
