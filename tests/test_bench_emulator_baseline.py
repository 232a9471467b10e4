"""The emulator-vs-aiohttp benchmark: its baselines really check what Binance checks, and the load
generator counts answers and errors (no timing is asserted)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from bench_emulator_baseline import _Measure, start_baseline  # noqa: E402
from emulator_load import LEVERAGE_SYMBOL, LoadResult, Requests, cpu_seconds, machine_ticks, run_load  # noqa: E402

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402


def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, object]]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(raw)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        return resp.status, json.loads(resp.read())


@pytest.mark.parametrize("lean", [False, True], ids=["aiohttp", "lean"])
def test_baseline_verifies_key_timestamp_and_signature(tmp_path: Path, lean: bool) -> None:
    """The aiohttp baseline and its frameworkless twin (`lean_handler.py`) do the same work."""
    if not lean:
        pytest.importorskip("aiohttp")  # here, not at collection: importing it costs every worker ~0.2 s
    state = tmp_path / "baseline.json"
    state.write_text(json.dumps({"account": {"positions": [{"symbol": LEVERAGE_SYMBOL, "leverage": "20"}]},
                                 "maxNotional": {"10": "25000", "11": "25000"}}))
    proc, port = start_baseline(state, lean)
    try:
        good = Requests(port, DEMO_API_KEY, DEMO_API_SECRET)
        assert _exchange(port, good.leverage(11)) == (
            200, {"leverage": 11, "maxNotionalValue": "25000", "symbol": LEVERAGE_SYMBOL})
        status, account = _exchange(port, good.account())
        assert status == 200 and account["positions"] == [{"symbol": LEVERAGE_SYMBOL, "leverage": "11"}]
        assert _exchange(port, Requests(port, DEMO_API_KEY, "another secret").leverage(10))[1]["code"] == -1022
        assert _exchange(port, Requests(port, "another key", DEMO_API_SECRET).leverage(10))[1]["code"] == -2015
        stale = good.signed("POST", "/fapi/v1/leverage", f"symbol={LEVERAGE_SYMBOL}&leverage=10").replace(
            b"timestamp=1", b"timestamp=0", 1)
        assert _exchange(port, stale)[1]["code"] in (-1021, -1022)
        before = cpu_seconds(proc.pid)
        seconds = 0.1  # each connection sends and is answered at least once, however short the run
        run = run_load(proc.pid, port, "mixed", 4, seconds, DEMO_API_KEY, DEMO_API_SECRET)
        after = cpu_seconds(proc.pid)
        assert run.rps > 0 and run.errors == 0
        if machine_ticks() is not None:
            assert run.steal is not None and 0 <= run.steal <= 1
        if before is not None and after is not None:  # Linux: the server's CPU over the run, per answer
            assert run.server_cpu_us is not None
            # /proc counts in ticks: the idle server gains at most one between each pair of readings
            tick = 1 / os.sysconf("SC_CLK_TCK")
            assert after - before - 2 * tick - 1e-9 <= run.server_cpu_us * run.rps * seconds / 1e6 <= after - before + 1e-9
        run = run_load(proc.pid, port, "write", 2, seconds, DEMO_API_KEY, "another secret")
        assert run.errors > 0 and run.errors == round(run.rps * seconds)
        assert run.error_kinds == {"400 -1022": run.errors}
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_measurement_with_too_much_steal_is_repeated_and_the_least_stolen_kept() -> None:
    steals = iter([0.5, 0.3, 0.4, 0.05, 0.01])
    made: list[LoadResult] = []

    def run() -> LoadResult:
        made.append(LoadResult(float(len(made)), 0, {}, None, 0.0, next(steals)))
        return made[-1]

    measure = _Measure(max_steal=0.1, retries=4)
    assert measure(run).steal == 0.05 and len(made) == 4  # under the limit: no more repeats
    assert (measure.made, measure.repeated, measure.over) == (1, 3, 0)
    steals = iter([0.5, 0.3, 0.4])
    made.clear()
    assert _Measure(max_steal=0.1, retries=2)(run).steal == 0.3 and len(made) == 3
    steals = iter([0.2, 0.1])
    made.clear()
    capped = _Measure(max_steal=0.1, retries=1)
    assert capped(run).steal == 0.1 and capped.over == 0  # at the limit is kept
    steals = iter([None])
    made.clear()
    assert _Measure(max_steal=0.1, retries=3)(run).steal is None and len(made) == 1  # unknown: not repeated


def test_machine_ticks_count_the_whole_machine() -> None:
    first = machine_ticks()
    if first is None:
        pytest.skip("no /proc/stat here")
    sum(range(2_000_000))
    second = machine_ticks()
    assert second is not None and second[0] >= first[0] and second[1] >= first[1] and second[1] <= second[0]
