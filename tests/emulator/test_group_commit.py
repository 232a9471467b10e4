"""Group commit: the changes that reach the storage thread together share one durable transaction
(`Backend.group`, `App.run_stored`). Each request is still whole or nothing and is acknowledged only
once its group is durable: every acknowledged change survives kill -9; when a group's commit fails,
every request of it gets Binance's 503 "unknown outcome" and nothing of it is applied
(https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info)."""

from __future__ import annotations

import contextlib
import resource
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer
from binance_usdm.emulator import store as store_module
from binance_usdm.emulator.backend import CommitFailed
from binance_usdm.emulator.clock import Clock
from binance_usdm.emulator.journal import Journal
from binance_usdm.emulator.store import CHECKPOINT_OVERDUE, JOURNAL_SUFFIX

from .conftest import Answer, Client, EmulatorProcess, journal_frames, ok

#: Symbols whose leverage the demo account may raise or lower freely (no position, or a raise).
SYMBOLS = ("BNBUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT", "BTCUSDC")
UNKNOWN_OUTCOME = "Unknown error, please check your request or try again later."


def _client(proc: EmulatorProcess) -> Client:
    return Client(proc.base_url, DEMO_API_KEY, Clock().now_ms, secret=DEMO_API_SECRET)


def _concurrently(proc: EmulatorProcess, work: list[Callable[[Client], list[Answer]]]) -> list[list[Answer]]:
    """Run each piece of work on its own connection, all at once; their answers in order."""
    answers: list[list[Answer]] = [[] for _ in work]
    start = threading.Barrier(len(work))

    def run(i: int) -> None:
        c = _client(proc)
        start.wait()
        answers[i] = work[i](c)
        c.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive(), "a connection's requests did not finish"
    return answers


def _leverages(symbol: str, values: range) -> Callable[[Client], list[Answer]]:
    return lambda c: [c.post("/fapi/v1/leverage", symbol=symbol, leverage=n) for n in values]


def _margin_adds(count: int) -> Callable[[Client], list[Answer]]:
    return lambda c: [c.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="1", type=1) for _ in range(count)]


def _eth(c: Client) -> tuple[Decimal, int]:
    wallet = ok(c.get("/fapi/v2/positionRisk", symbol="ETHUSDT"))[0]["isolatedWallet"]
    return Decimal(wallet), len(ok(c.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT", limit=500)))


def _leverage(c: Client, symbol: str) -> str:
    return str(ok(c.get("/fapi/v2/positionRisk", symbol=symbol))[0]["leverage"])


def test_concurrent_acknowledged_changes_all_survive_kill_9(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "state.db") as proc:
        c = _client(proc)
        wallet, history = _eth(c)
        c.close()
        rounds = range(2, 8)
        answers = _concurrently(proc, [*(_leverages(s, rounds) for s in SYMBOLS), _margin_adds(6), _margin_adds(6)])
        for per_connection in answers:
            assert [a.status for a in per_connection] == [200] * 6, [a.body for a in per_connection]
        proc.restart(kill=True)
        c = _client(proc)
        for s in SYMBOLS:
            assert _leverage(c, s) == str(rounds[-1])
        assert _eth(c) == (wallet + 12, history + 12)
        c.close()


def test_a_group_whose_commit_fails_answers_503_and_applies_nothing(tmp_path: Path) -> None:
    """With the state file unable to grow, every SQLite commit fails: the margin changes answer 503 and
    none is applied. A leverage change goes to the account journal, whose room was made at start, and
    is acknowledged, unless it shared a failing group on the storage thread (503, not applied): what
    a restart after kill -9 shows is each symbol's last acknowledged leverage."""
    with EmulatorProcess(tmp_path / "state.db") as proc:
        c = _client(proc)
        before = [_leverage(c, s) for s in SYMBOLS], _eth(c)
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (1, hard))  # the state file may not grow: writes fail
        answers = _concurrently(proc, [*(_leverages(s, range(3, 6)) for s in SYMBOLS), _margin_adds(3)])
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (hard, hard))
        *leverage_answers, margin_answers = answers
        assert [(a.status, a.body["code"], a.body["msg"]) for a in margin_answers] == [
            (503, -1000, UNKNOWN_OUTCOME)] * 3
        expected = []
        for was, per_connection in zip(before[0], leverage_answers, strict=True):
            assert all(a.status == 200 or (a.status, a.body["msg"]) == (503, UNKNOWN_OUTCOME)
                       for a in per_connection), [a.body for a in per_connection]
            acknowledged = [str(n) for n, a in zip(range(3, 6), per_connection, strict=True) if a.status == 200]
            expected.append(acknowledged[-1] if acknowledged else was)
        assert ([_leverage(c, s) for s in SYMBOLS], _eth(c)) == (expected, before[1])
        c.close()
        proc.restart(kill=True)
        c = _client(proc)
        assert ([_leverage(c, s) for s in SYMBOLS], _eth(c)) == (expected, before[1])
        c.close()


def test_a_change_failing_inside_a_group_is_undone_alone(tmp_path: Path) -> None:
    """A savepoint per change: a change whose save fails leaves no trace, the others of its group commit."""
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        backend = emu.backend
        acc = backend.account()
        backend.store._conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON margin_history "
                                    "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        with backend.group():
            backend.change_leverage(acc, "BNBUSDT", 7)
            with pytest.raises(CommitFailed, match="refused"):
                backend.modify_position_margin(acc, "ETHUSDT", Decimal("5"), 1, None)
            backend.change_leverage(acc, "XRPUSDT", 8)
            assert backend.applied != backend.durable  # installed, not yet durable
        assert backend.applied == backend.durable
        backend.store._conn.execute("DROP TRIGGER refuse")
        eth = backend.account().positions[("ETHUSDT", "BOTH")].isolated_wallet
    with EmulatorServer(state_path=state) as emu:
        acc = emu.backend.account()
        assert (acc.setting("BNBUSDT").leverage, acc.setting("XRPUSDT").leverage) == (7, 8)
        assert acc.positions[("ETHUSDT", "BOTH")].isolated_wallet == eth


def test_a_change_that_aborts_the_transaction_fails_its_whole_group(tmp_path: Path) -> None:
    """Disk full or an I/O error can make SQLite roll back the whole transaction: then the group fails,
    memory is as before it, and no later change of the group is committed on its own."""
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        backend = emu.backend
        acc = backend.account()
        before = acc.to_dict(), backend.store.count_income(acc.account_id), backend.version
        pages = backend.store._conn.execute("PRAGMA page_count").fetchone()[0]
        backend.store._conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # room for small changes only
        records = [{"incomeType": "TRANSFER", "income": "1", "asset": "USDT"} for _ in range(5000)]
        with pytest.raises(CommitFailed), backend.group():
            backend.change_leverage(acc, "BNBUSDT", 7)
            with contextlib.suppress(CommitFailed):
                backend.add_income(acc, records, apply_to_wallet=True)
            with contextlib.suppress(CommitFailed):
                backend.change_leverage(acc, "XRPUSDT", 8)
        assert backend.applied == backend.durable and backend.version > before[2]  # cached answers retired
        assert (backend.account().to_dict(), backend.store.count_income(acc.account_id)) == before[:2]
    with EmulatorServer(state_path=state) as emu:
        acc = emu.backend.account()
        assert (acc.to_dict(), emu.backend.store.count_income(acc.account_id)) == before[:2]


def test_events_of_a_group_are_published_once_it_is_durable(tmp_path: Path) -> None:
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        backend = emu.backend
        seen: list[tuple[int, int]] = []
        backend.events.subscribe(lambda event: seen.append((backend.applied, backend.durable)))
        acc = backend.account()
        with backend.group():
            backend.change_leverage(acc, "BNBUSDT", 7)
            backend.change_leverage(acc, "XRPUSDT", 8)
            assert seen == []
        assert seen == [(backend.applied, backend.applied)] * 2


def test_in_memory_an_account_only_change_runs_on_the_loop_unless_a_batch_holds_the_lock() -> None:
    """In memory a leverage change touches no storage: it is answered while the storage thread is busy
    (no round trip through it), and while a batch holds the backend's lock it waits for that batch on
    the storage thread, never on the loop (which keeps answering the others)."""
    with EmulatorServer() as emu:
        clients = [Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret) for _ in range(2)]
        holding, release = threading.Event(), threading.Event()

        def busy(lock: bool) -> None:
            with emu.backend.lock if lock else contextlib.nullcontext():
                holding.set()
                release.wait(30)  # longer than the client's timeout: a change queued behind it fails

        emu.app.storage.submit(busy, False)
        assert holding.wait(10)
        assert ok(clients[0].post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=9))["leverage"] == 9
        release.set()

        holding.clear()
        release.clear()
        emu.app.storage.submit(busy, True)
        assert holding.wait(10)
        answers: list[Answer] = []
        waiting = threading.Thread(target=lambda: answers.append(
            clients[0].post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=11)))
        waiting.start()
        deadline = time.monotonic() + 10
        while not emu.app._batch_running and time.monotonic() < deadline:  # queued for the storage thread
            time.sleep(0.01)
        assert emu.app._batch_running
        assert ok(clients[1].get("/fapi/v1/time"))["serverTime"] > 0  # the loop is not blocked
        assert not answers  # the change waits for the lock's holder
        release.set()
        waiting.join(10)
        assert ok(answers[0])["leverage"] == 11
        assert emu.backend.account().setting("BNBUSDT").leverage == 11
        for c in clients:
            c.close()


def test_in_memory_an_account_only_change_is_answered_at_once_without_a_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """In memory a leverage change is durable at its own commit point: it is answered as a read is, in
    the callback that received it, with no batch (`App.run_stored`) to share."""
    with EmulatorServer() as emu:
        batched: list[object] = []
        run_stored = emu.app.run_stored
        monkeypatch.setattr(emu.app, "run_stored", lambda *args: (batched.append(args[0]), run_stored(*args))[1])
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        for n in (3, 4):
            assert ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=n))["leverage"] == n
        assert ok(c.post("/fapi/v1/feeBurn", feeBurn="true")) == {"code": 200, "msg": "success"}
        assert batched == []
        assert emu.backend.account().setting("BNBUSDT").leverage == 4
        c.close()


def test_on_a_state_file_an_account_only_change_is_its_own_journal_frame_made_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a state file whose account journal this process writes, a leverage change (or feeBurn) is made
    at once, as in memory, with no batch: its frame is in the journal when it is answered; while another
    thread holds the store it joins a batch instead (answered once that one is done)."""
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        batched: list[object] = []
        run_stored = emu.app.run_stored
        monkeypatch.setattr(emu.app, "run_stored", lambda *args: (batched.append(args[0]), run_stored(*args))[1])
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        for n, frames in ((3, 1), (4, 2)):
            assert ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=n))["leverage"] == n
            assert journal_frames(state).count(b"\n") == frames
        assert ok(c.post("/fapi/v1/feeBurn", feeBurn="false")) == {"code": 200, "msg": "success"}
        assert batched == []
        holding, release = threading.Event(), threading.Event()

        def hold_the_store() -> None:
            with emu.backend.store._lock:
                holding.set()
                release.wait(10)

        holder = threading.Thread(target=hold_the_store)
        holder.start()
        assert holding.wait(10)
        threading.Timer(0.3, release.set).start()
        assert ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=5))["leverage"] == 5
        holder.join(10)
        assert len(batched) == 1
        c.close()
    with EmulatorServer(state_path=state) as emu:
        assert emu.backend.account().setting("BNBUSDT").leverage == 5 and not emu.backend.account().fee_burn


def test_on_a_state_file_an_account_only_change_commits_on_the_loop(tmp_path: Path) -> None:
    """Without --fsync a leverage change's commit is a write of the WAL: it runs on the loop (answered
    while the storage thread is busy), durable once answered; a batch on the storage thread, or another
    process holding the file's write lock, sends it to the storage thread (the loop does not wait)."""
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        holding, release = threading.Event(), threading.Event()

        def busy() -> None:
            holding.set()
            release.wait(30)  # longer than the client's timeout: a change queued behind it fails

        emu.app.storage.submit(busy)
        assert holding.wait(10)
        try:
            assert ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=9))["leverage"] == 9
        finally:
            release.set()
        c.close()
    with EmulatorServer(state_path=state) as emu:
        assert emu.backend.account().setting("BNBUSDT").leverage == 9


def test_commits_on_the_loop_leave_checkpoints_to_another_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own checkpoints are off (one would sync the file inside some commit, on the loop): the
    store asks for a checkpoint on another thread (the server's storage thread) once enough is written;
    when none comes, claims (the loop's way in) are refused, and the next commit, made without one,
    checkpoints. Either way the WAL stays small (each commit here appends two pages). Here another
    process holds the account journal (`journal.py`), so claimed groups commit to SQLite, as they do
    without a journal."""
    state = tmp_path / "state.db"
    rows = 500  # a checkpoint per 500 changed rows instead of 4000: the same behaviour in 1/8 of the commits
    monkeypatch.setattr(store_module, "CHECKPOINT_ROWS", rows)
    holder = Journal(f"{state}{JOURNAL_SUFFIX}")
    assert holder.owned
    with contextlib.closing(holder), EmulatorServer(state_path=state) as emu:
        backend, store = emu.backend, emu.backend.store
        checkpoints: list[bool] = []
        checkpoint = store._checkpoint
        monkeypatch.setattr(store, "_checkpoint", lambda: (checkpoints.append(store._claimed), checkpoint())[1])

        def leverage_changes(count: int, asked: list[bool]) -> int:
            """`count` groups of two leverage changes (2 rows or 3, 2 pages); how many claims were refused."""
            refused = 0
            for i in range(count):
                claimed = backend.claim()
                refused += claimed is None
                with claimed if claimed is not None else backend.group():
                    backend.change_leverage(backend.account(), "BNBUSDT", i % 20 + 1)
                    backend.change_leverage(backend.account(), "XRPUSDT", i % 20 + 1)
                if claimed is not None and store.want_checkpoint() and asked.pop(0):
                    store.checkpoint()
            return refused

        assert leverage_changes(2 * rows, [True] * 100) == 0 and len(checkpoints) >= 3
        assert Path(f"{state}-wal").stat().st_size < 2 * rows * 4200  # 4x that without checkpoints
        checkpoints.clear()
        assert leverage_changes(rows * CHECKPOINT_OVERDUE // 2 + 100, [False]) >= 1
        assert checkpoints and not any(checkpoints)


class _Watched(dict[str, Any]):
    """A table that records, after each change made to it, whether `key` was in it."""

    def __init__(self, table: Mapping[str, Any], key: str) -> None:
        super().__init__(table)
        self.key = key
        self.seen: list[bool] = []

    def _after(self) -> None:
        self.seen.append(self.key in self)

    def clear(self) -> None:
        super().clear()
        self._after()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._after()

    def __setitem__(self, k: str, v: Any) -> None:
        super().__setitem__(k, v)
        self._after()

    def __delitem__(self, k: str) -> None:
        super().__delitem__(k)
        self._after()


def test_undoing_a_group_never_hides_an_account_or_a_key_from_readers_on_the_loop(tmp_path: Path) -> None:
    """Signed requests are checked on the event loop without the backend's lock, while a failed group is
    undone on the storage thread: the account table and the API-key table are put back in place, never
    emptied first (a request checked in between would get -2015 for a valid key)."""
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        backend = emu.backend
        acc = backend.account()
        keys = _Watched(backend._by_key, DEMO_API_KEY)
        accounts = _Watched(backend.accounts, acc.account_id)
        backend._by_key, backend.accounts = keys, accounts
        with pytest.raises(RuntimeError, match="fails"), backend.group():
            backend.change_leverage(acc, "BNBUSDT", 7)
            backend.add_credential(acc.account_id, type(acc.credentials[0])("k-added-in-the-group", "s"))
            raise RuntimeError("the group fails")
        assert keys.seen and all(keys.seen) and accounts.seen and all(accounts.seen)
        assert "k-added-in-the-group" not in keys and dict(accounts) == {acc.account_id: acc}


def test_a_group_among_many_accounts_writes_and_undoes_only_what_it_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group's end handles the accounts its changes replaced, not every account: it writes those
    alone, and a failed group puts back exactly those (an account it made is gone again with its key,
    the others are the very objects they were)."""
    from binance_usdm.emulator.accounts import Account, Credential

    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        backend = emu.backend
        acc = backend.account()
        for i in range(40):
            backend.save(Account(account_id=f"other{i}", alias=f"other{i}"))
        before = dict(backend.accounts)
        written: list[str] = []
        save = store_module.Store.save_account
        monkeypatch.setattr(store_module.Store, "save_account",
                            lambda self, account_id, rows: (written.append(account_id), save(self, account_id, rows))[1])
        with pytest.raises(RuntimeError, match="fails"), backend.group():
            backend.change_leverage(acc, "BNBUSDT", 7)
            backend.save(Account(account_id="made", alias="made", credentials=[Credential("k-made", "s")]))
            raise RuntimeError("the group fails")
        assert backend.accounts == before and all(backend.accounts[k] is v for k, v in before.items())
        assert backend.lookup_key("k-made") is None and written == []
        demo_key = acc.credentials[0].api_key
        with pytest.raises(RuntimeError, match="fails"), backend.group():  # a key taken away comes back
            backend.add_credential(acc.account_id, Credential("k-only", "s"), only=True)
            assert backend.lookup_key(demo_key) is None and backend.lookup_key("k-only") is not None
            raise RuntimeError("the group fails")
        assert backend.lookup_key(demo_key) == (acc, acc.credentials[0]) and backend.lookup_key("k-only") is None
        with backend.group():
            backend.change_leverage(acc, "BNBUSDT", 7)
            backend.change_leverage(backend.account("other7"), "XRPUSDT", 9)
        assert sorted(written) == [acc.account_id, "other7"]
    with EmulatorServer(state_path=state) as emu:
        assert emu.backend.account().setting("BNBUSDT").leverage == 7
        assert emu.backend.account("other7").setting("XRPUSDT").leverage == 9
