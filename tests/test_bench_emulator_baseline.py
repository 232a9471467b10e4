"""The emulator-vs-aiohttp benchmark: its baseline really checks what Binance checks, and the load
generator counts answers and errors (no timing is asserted)."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from emulator_load import LEVERAGE_SYMBOL, Requests, free_port, run_load  # noqa: E402

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET  # noqa: E402


def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, object]]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(raw)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        return resp.status, json.loads(resp.read())


def test_baseline_verifies_key_timestamp_and_signature(tmp_path: Path) -> None:
    pytest.importorskip("aiohttp")  # here, not at collection: importing it costs every worker ~0.2 s
    state = tmp_path / "baseline.json"
    state.write_text(json.dumps({"account": {"positions": [{"symbol": LEVERAGE_SYMBOL, "leverage": "20"}]},
                                 "maxNotional": {"10": "25000", "11": "25000"}}))
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(BENCHMARKS / "bench_emulator_baseline.py"), "--serve-baseline",
                             str(port), str(state)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"READY"
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
        run = run_load(proc.pid, port, "mixed", 4, 0.3, DEMO_API_KEY, DEMO_API_SECRET)
        assert run.rps > 0 and run.errors == 0
        assert run.server_cpu_us is None or run.server_cpu_us >= 0  # /proc counts in 10 ms ticks
        run = run_load(proc.pid, port, "write", 2, 0.2, DEMO_API_KEY, "another secret")
        assert run.errors > 0 and run.errors == round(run.rps * 0.2)
        assert run.error_kinds == {"400 -1022": run.errors}
    finally:
        proc.terminate()
        proc.wait(10)
