"""The client benchmark runs end to end (a smoke run: no timing is asserted)."""

from __future__ import annotations

import os
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
    # the shortest repetitions, a concurrency of 5 (not 50) and one way of reading in fresh processes (not
    # three): every row is still measured and printed
    out = _run(BENCH.name, "--quick", "--no-peers", "--import-runs", "1", "--seconds", "0.005", "--concurrency", "5",
               "--first-patterns", "few")
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
    reads = out.split("call + read of the account answer", 1)[1].split("\n\n", 1)[0].splitlines()
    ours = [line.split()[-6:] for line in reads if line.startswith("binance_usdm ")]
    assert len(ours) == 3, out  # async on asyncio and uvloop, sync: repeated few/every/to_dict, first few only
    assert all(cell != "-" for cells in ours for cell in cells[:4]) and all(cells[4:] == ["-", "-"] for cells in ours), out


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


def test_journal_append_benchmark_prints_its_table(tmp_path: Path) -> None:
    out = _run("bench_journal_append.py", "--frames", "200", "--dir", str(tmp_path), timeout=120)
    assert "| os.write, O_APPEND" in out and "| `Journal.append`" in out and out.count("\n| ") == 6, out
    assert not list(tmp_path.iterdir())  # its files are gone


def test_a_benchmark_whose_reader_goes_away_ends_quietly(tmp_path: Path) -> None:
    """`python benchmarks/x.py | head -1`: the reader closes the pipe after the first line; the script's
    next print meets a broken pipe, and it ends with 0 and nothing on stderr (no traceback)."""
    proc = subprocess.Popen([sys.executable, str(BENCH.parent / "bench_journal_append.py"), "--frames", "2000",
                             "--dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})  # each line written as printed
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"2,000 lines")
    proc.stdout.close()
    assert (proc.wait(60), proc.stderr.read()) == (0, b"")
    assert list(tmp_path.iterdir()) == []  # its temporary files removed on the way out


def test_every_benchmark_script_ends_through_script_entry() -> None:
    """A script run directly exits through `script_entry.run` (its exit code; quietly on a broken pipe)."""
    scripts = [p for p in BENCH.parent.glob("*.py") if 'if __name__ == "__main__":' in p.read_text()]
    assert len(scripts) > 20
    for script in scripts:
        assert script.read_text().endswith('if __name__ == "__main__":\n    script_entry.run(main)\n'), script.name


def test_emulator_queries_benchmark_prints_its_tables() -> None:
    out = _run("bench_emulator_queries.py", "--sizes", "3000", "--requests", "2", "--seconds", "0.05")
    assert "| symbol=XRPUSDT (10 records), 90 days | 10," in out, out
    assert "with XRPUSDT income queries" in out and "| 3,000 |" in out, out


def test_emulator_pairs_benchmark_compares_two_builds_pair_by_pair() -> None:
    src = BENCH.parent.parent / "src"  # this checkout against itself, on a state file
    out = _run("bench_emulator_pairs.py", "--before", str(src), "--state", "--pairs", "2", "--seconds", "0.2",
               "--warm-up", "0.1", "--max-steal", "100")
    assert "--state file; 2 pairs of 0.2 s, 2 with at most 100 % steal" in out, out
    rows = [line for line in out.splitlines() if line.startswith(("| before |", "| this checkout |"))]
    assert len(rows) == 2 and all(row.endswith("| 0 |") for row in rows), out  # no errors
    assert "this checkout - before, per pair: median" in out and "lower in" in out, out


@pytest.mark.parametrize(("script", "option"), [("bench_emulator_pairs.py", "--before"),
                                                ("bench_emulator_baseline.py", "--before"),
                                                ("bench_emulator_instructions.py", "--before"),
                                                ("bench_emulator_queries.py", "--src"),
                                                ("bench_startup.py", "--src")])
def test_a_before_without_the_emulator_is_refused(script: str, option: str, tmp_path: Path) -> None:
    # (else the installed package runs as "before": this checkout compared with itself)
    proc = subprocess.run([sys.executable, str(BENCH.parent / script), option, str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and f"{tmp_path}: no binance_usdm emulator there" in proc.stderr, proc.stderr


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


#: What valgrind 3.19's callgrind printed for `python -c pass` with --cache-sim=yes --branch-sim=yes
#: (the lines around are part of the report).
CALLGRIND_REPORT = """\
==8666== For interactive control, run 'callgrind_control -h'.
==8666== Events    : Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim
==8666== Collected : 39044241 10520382 5777820 309669 528644 98618 11420 21556 37017 6254770 400862 885261 210045
==8666==
==8666== I   refs:      39,044,241
"""


def test_callgrind_events_are_read_by_name() -> None:
    """`--cache-sim` tables read callgrind's events by name, not by position; a report without them (a
    run that failed) reads as None."""
    sys.path.insert(0, str(BENCH.parent))
    try:
        import callgrind
    finally:
        sys.path.remove(str(BENCH.parent))
    events = callgrind.events_of(CALLGRIND_REPORT)
    assert events is not None and len(events) == 13
    assert (events["Ir"], events["I1mr"], events["D1mr"], events["D1mw"], events["Bcm"], events["Bim"]) == (
        39044241, 309669, 528644, 98618, 400862, 210045)
    assert callgrind.events_of("==1== Events    : Ir\n==1== Collected : 12345\n") == {"Ir": 12345}
    assert callgrind.events_of("valgrind: command not found") is None
    assert callgrind.events_of("==1== Events    : Ir Dr\n==1== Collected : 12345\n") is None


def test_emulator_bytecodes_by_function() -> None:
    out = _run("bench_emulator_bytecodes.py", "--requests", "4", "--connections", "4", "--top", "60")
    rows = {line.split("|")[1].strip(): line.split("|")[2:] for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("| module") and not line.startswith("| function")}
    assert float(rows["server.py"][0].replace(",", "")) > 100, out
    complete = next(cells for name, cells in rows.items() if name.endswith("on_message_complete"))
    assert float(complete[0]) == 1.0 and float(complete[1].replace(",", "")) > 10, out
