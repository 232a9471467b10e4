"""A change is applied whole or not at all: when saving fails, the request leaves no trace.

The store is made to fail for real: the emulator runs as its own process with a state file and its
file-size limit (RLIMIT_FSIZE) is lowered, so that SQLite's next write fails with an I/O error
(SQLITE_IOERR_WRITE); SQLite's page limit is reached (SQLITE_FULL, "database or disk is full"); or
another process holds the state file's write lock.
Binance answers a request whose execution status is unknown with 503 "Unknown error, please check
your request or try again later." (https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info);
the emulator does the same, and the state then shows that nothing was applied.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer
from binance_usdm.emulator.clock import Clock

from .conftest import Answer, Client, EmulatorProcess, err, ok

UNKNOWN_OUTCOME = "Unknown error, please check your request or try again later."


@pytest.fixture
def proc(tmp_path: Path) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(tmp_path / "state.db") as p:
        yield p


def _client(proc: EmulatorProcess) -> Client:
    return Client(proc.base_url, DEMO_API_KEY, Clock().now_ms, secret=DEMO_API_SECRET)


def _eth(c: Client) -> tuple[str, int]:
    """ETHUSDT's isolated wallet and the length of its margin-change history."""
    wallet = ok(c.get("/fapi/v2/positionRisk", symbol="ETHUSDT"))[0]["isolatedWallet"]
    return wallet, len(ok(c.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT")))


def _disk_full(proc: EmulatorProcess, full: bool) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (1 if full else hard, hard))


def test_failed_save_leaves_no_trace_in_memory_history_or_cache(proc: EmulatorProcess) -> None:
    c = _client(proc)
    before = _eth(c)  # also caches the positionRisk answer
    _disk_full(proc, True)
    msg = err(c.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="25", type=1), -1000, 503)
    assert msg == UNKNOWN_OUTCOME
    assert _eth(c) == before  # reads: neither the change nor a stale answer
    _disk_full(proc, False)
    ok(c.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=11))  # the next, unrelated, write
    assert _eth(c) == before  # did not carry the failed change along
    ok(c.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="25", type=1))  # resending applies it once
    wallet, history = _eth(c)
    assert (wallet, history) != before and history == before[1] + 1
    c.close()
    proc.restart()
    c = _client(proc)
    assert _eth(c) == (wallet, history)
    assert ok(c.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]["leverage"] == "11"
    c.close()


def test_failed_save_of_a_closing_position_keeps_wallet_position_and_income(proc: EmulatorProcess) -> None:
    c = _client(proc)
    balance = ok(c.get("/fapi/v2/balance"))
    income = ok(c.get("/fapi/v1/income"))
    _disk_full(proc, True)
    answer = c.admin("/emulator/positions/close", {"symbol": "BTCUSDT"})
    assert answer.status == 503, answer.body
    _disk_full(proc, False)
    assert ok(c.get("/fapi/v2/balance")) == balance
    assert ok(c.get("/fapi/v1/income")) == income
    assert ok(c.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]["positionAmt"] == "0.150"
    c.close()


def test_a_full_database_applies_nothing(tmp_path: Path) -> None:
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        before = ok(c.raw("GET", "/emulator/state"))
        pages = emu.backend.store._conn.execute("PRAGMA page_count").fetchone()[0]
        emu.backend.store._conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow
        records = [{"incomeType": "TRANSFER", "income": "1", "asset": "USDT"} for _ in range(5000)]
        answer = c.admin("/emulator/income", {"records": records})
        assert answer.status == 503 and "full" in answer.body["error"], answer.body
        assert ok(c.raw("GET", "/emulator/state"))["accounts"] == before["accounts"]
        c.close()


@pytest.mark.parametrize(("name", "value", "legal"), [
    ("leverage", "7\n", "^[0-9]{1,20}$"),
    ("leverage", "7\r\n", "^[0-9]{1,20}$"),
])
def test_integer_with_a_trailing_newline_is_refused(client: Client, name: str, value: str, legal: str) -> None:
    msg = err(client.post("/fapi/v1/leverage", symbol="BTCUSDT", **{name: value}), -1100)
    assert msg == f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    assert ok(client.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]["leverage"] == "10"


@pytest.mark.parametrize("value", ["\u0667", "\u00b2", "7\u0660", "+7", "-7", " 7", "7.0", "1" * 21, str(2**63)])
def test_integer_beyond_ascii_digits_or_a_long_is_refused(client: Client, value: str) -> None:
    """Digits of other scripts (int() reads them), signs, spaces, more than 20 digits, 2^63: -1100."""
    msg = err(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=value), -1100)
    assert msg == "Illegal characters found in parameter 'leverage'; legal range is '^[0-9]{1,20}$'."
    err(client.get("/fapi/v1/income", recvWindow=value), -1100)
    assert ok(client.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]["leverage"] == "10"


@pytest.mark.parametrize("amount", ["1\n", "1.5\n", "\n1"])
def test_decimal_with_a_newline_is_refused(client: Client, amount: str) -> None:
    err(client.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount=amount, type=1), -1100)


def test_income_limit_and_page_with_a_trailing_newline_are_refused(client: Client) -> None:
    err(client.get("/fapi/v1/income", limit="5\n"), -1100)
    err(client.get("/fapi/v1/income", page="1\n"), -1100)
    err(client.get("/fapi/v1/income", recvWindow="5000\n"), -1100)


class LockHolder:
    """Another process holding the state file's write lock (BEGIN IMMEDIATE) until released."""

    def __init__(self, state: Path) -> None:
        code = ("import sqlite3, sys\n"
                "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                "c.execute('BEGIN IMMEDIATE')\n"
                "print('locked', flush=True)\n"
                "sys.stdin.readline()\n"
                "c.execute('ROLLBACK')\n")
        self.proc = subprocess.Popen([sys.executable, "-c", code, str(state)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        assert self.proc.stdout is not None and self.proc.stdout.readline() == b"locked\n"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"\n")
            self.proc.stdin.close()
            self.proc.wait(10)


def _waiting_for_the_store(emu: EmulatorServer) -> None:
    """Return once a change holds the backend's change lock (it is waiting for the state file)."""
    deadline = time.monotonic() + 10
    while emu.backend.lock.acquire(blocking=False):
        emu.backend.lock.release()
        assert time.monotonic() < deadline, "the change never started"
        time.sleep(0.01)


def test_a_locked_state_file_does_not_stall_the_event_loop(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state, busy_timeout=30) as emu:
        writer = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        wallet = Decimal(_eth(writer)[0])
        holder = LockHolder(state)
        try:
            result: list[Answer] = []
            thread = threading.Thread(target=lambda: result.append(
                writer.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="25", type=1)))
            thread.start()
            _waiting_for_the_store(emu)
            reader = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
            assert ok(reader.call("GET", "/fapi/v1/ping", signed=False)) == {}
            assert Decimal(ok(reader.get("/fapi/v2/positionRisk", symbol="ETHUSDT"))[0]["isolatedWallet"]) == wallet
            assert thread.is_alive() and not result  # the write still waits, the loop answered meanwhile
        finally:
            holder.release()
        thread.join(10)
        ok(result[0])  # it waited for the lock, then applied
        assert Decimal(ok(reader.get("/fapi/v2/positionRisk", symbol="ETHUSDT"))[0]["isolatedWallet"]) == wallet + 25
        writer.close()
        reader.close()


def test_a_leverage_change_needs_no_lock_of_the_state_file(tmp_path: Path) -> None:
    """A change of account state alone goes to the account journal (`journal.py`), not to SQLite: it is
    answered while another process holds the state file's write lock, and survives kill -9."""
    state = tmp_path / "state.db"
    with EmulatorProcess(state) as proc:
        c = Client(proc.base_url, DEMO_API_KEY, Clock().now_ms, secret=DEMO_API_SECRET)
        holder = LockHolder(state)
        try:
            assert ok(c.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=12))["leverage"] == 12
        finally:
            holder.release()
        c.close()
        proc.restart(kill=True)
        c = Client(proc.base_url, DEMO_API_KEY, Clock().now_ms, secret=DEMO_API_SECRET)
        assert ok(c.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]["leverage"] == "12"
        c.close()


def test_a_write_that_cannot_get_the_lock_is_503_and_not_applied(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state, busy_timeout=0.3) as emu:
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        before = _eth(c)
        holder = LockHolder(state)
        try:
            msg = err(c.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="25", type=1), -1000, 503)
            assert msg == UNKNOWN_OUTCOME
            assert _eth(c) == before
        finally:
            holder.release()
        ok(c.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="25", type=1))
        assert _eth(c)[1] == before[1] + 1
        c.close()
