"""SIGTERM stops the emulator within 2 s in every state: idle, a write waiting for a locked state
file, a long bulk insert, held-open slow connections, a request delayed by an injected latency;
for `python -m binance_usdm.emulator` and for `usdm emulator`."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET
from binance_usdm.emulator.clock import Clock

from .conftest import Client, EmulatorProcess
from .test_atomic_changes import LockHolder

STOP_WITHIN_S = 2.0


def _in_background(fn: Callable[[], object]) -> None:
    """Run a request whose answer the test does not wait for (the server is stopped meanwhile)."""

    def run() -> None:
        with contextlib.suppress(OSError):  # the connection is cut by the stopping server
            fn()

    threading.Thread(target=run, daemon=True).start()
    time.sleep(0.3)  # let it reach the server (the states below are real process states, no clock to move)


def _client(proc: EmulatorProcess) -> Client:
    return Client(proc.base_url, DEMO_API_KEY, Clock().now_ms, secret=DEMO_API_SECRET)


def _idle(proc: EmulatorProcess, held: list[object]) -> None:
    pass


def _locked_write(proc: EmulatorProcess, held: list[object]) -> None:
    holder = LockHolder(proc.state)
    held.append(holder)
    c = _client(proc)
    _in_background(lambda: c.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=3))


def _bulk_insert(proc: EmulatorProcess, held: list[object]) -> None:
    c = _client(proc)
    body = {"symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"], "days": 20_000, "interval": "1h",
            "tradesPerInterval": 10}
    _in_background(lambda: c.raw("POST", "/emulator/generate", "", json.dumps(body),
                                 {"Content-Type": "application/json"}))


def _slow_connections(proc: EmulatorProcess, held: list[object]) -> None:
    for _ in range(100):
        sock = socket.create_connection(("127.0.0.1", proc.port))
        sock.sendall(b"GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\n")  # a head that never completes
        held.append(sock)


def _delayed_request(proc: EmulatorProcess, held: list[object]) -> None:
    c = _client(proc)
    c.admin("/emulator/faults", {"fault": "GET /fapi/v1/time=latency:60000"})
    _in_background(lambda: c.call("GET", "/fapi/v1/time", signed=False))


STATES = {"idle": _idle, "locked-write": _locked_write, "bulk-insert": _bulk_insert,
          "slow-connections": _slow_connections, "delayed-request": _delayed_request}


def _release(held: list[object]) -> None:
    for thing in held:
        if isinstance(thing, LockHolder):
            thing.release()
        elif isinstance(thing, socket.socket):
            thing.close()


def _stops_in_time(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    try:
        proc.wait(timeout=STOP_WITHIN_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        pytest.fail(f"still running {time.monotonic() - t0:.1f} s after SIGTERM")


@pytest.mark.parametrize("state", list(STATES))
def test_sigterm_stops_the_module_entry_point(tmp_path: Path, state: str) -> None:
    held: list[object] = []
    with EmulatorProcess(tmp_path / "state.db") as proc:
        try:
            STATES[state](proc, held)
            _stops_in_time(proc.proc)
        finally:
            _release(held)


@pytest.mark.parametrize("state", ["locked-write", "bulk-insert"])
def test_sigterm_stops_usdm_emulator(tmp_path: Path, state: str) -> None:
    held: list[object] = []
    state_file = tmp_path / "state.db"
    proc = subprocess.Popen([sys.executable, "-c", "from binance_usdm.cli.main import main; main()", "emulator",
                             "--port", "0", "--state", str(state_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert "emulator on http://127.0.0.1:" in line, line
    port = int(line.split("http://127.0.0.1:")[1].split()[0])
    view = EmulatorProcess.__new__(EmulatorProcess)  # the running process, seen through the same helpers
    view.state, view.port, view.proc = state_file, port, proc
    try:
        STATES[state](view, held)
        _stops_in_time(proc)
    finally:
        _release(held)
        proc.stdout.close()
