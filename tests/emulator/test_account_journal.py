"""The account journal (`journal.py`): on a state file without --fsync a batch of account-state changes
(a leverage change, feeBurn) is appended there, one frame, instead of an SQLite transaction. What a
restart loads is exactly what was acknowledged: the journal's frames are folded into the state file's
rows (at the next transaction, every `JOURNAL_FOLD_FRAMES` frames, at close, at the next start), an
older frame never overwrites a later write, and a frame cut short by a kill is ignored."""

from __future__ import annotations

import contextlib
import errno
import os
import random
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer, StartupError, remove_state
from binance_usdm.emulator import journal as journal_module
from binance_usdm.emulator import store as store_module
from binance_usdm.emulator.backend import CommitFailed
from binance_usdm.emulator.clock import Clock
from binance_usdm.emulator.journal import Frame, Journal
from binance_usdm.emulator.store import JOURNAL_SUFFIX, AccountRows, Store

from .conftest import Client, EmulatorProcess, journal_frames, ok

UNKNOWN_OUTCOME = "Unknown error, please check your request or try again later."


def _client(base_url: str) -> Client:
    return Client(base_url, DEMO_API_KEY, Clock().now_ms, secret=DEMO_API_SECRET)


def _journal(state: Path | str) -> Path:
    return Path(f"{state}{JOURNAL_SUFFIX}")


def _disk_full(fd: int, data: bytes, offset: int) -> int:
    """`os.pwrite` on a full disk."""
    raise OSError(errno.ENOSPC, "No space left on device")


def _seen(c: Client) -> Any:
    """What the account's endpoints show (settings, update times, feeBurn)."""
    return ok(c.get("/fapi/v2/account")), ok(c.get("/fapi/v2/positionRisk")), ok(c.get("/fapi/v1/feeBurn"))


def _leverage(c: Client, symbol: str) -> str:
    return str(ok(c.get("/fapi/v2/positionRisk", symbol=symbol))[0]["leverage"])


def _journal_then_kill(state: Path, leverage: int) -> None:
    """A process on `state` sets BNBUSDT's leverage (a journal frame), then is killed -9."""
    with EmulatorProcess(state) as proc:
        c = _client(proc.base_url)
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=leverage))
        c.close()
        proc.kill()


def _leverage_after_kill_9(proc: EmulatorProcess) -> str:
    """BNBUSDT's leverage once `proc` was killed (-9) and started again."""
    proc.restart(kill=True)
    c = _client(proc.base_url)
    try:
        return _leverage(c, "BNBUSDT")
    finally:
        c.close()


def test_journaled_and_folded_changes_survive_kill_9_exactly(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with EmulatorProcess(state) as proc:
        c = _client(proc.base_url)
        for n in (3, 4, 5):
            ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=n))
        ok(c.post("/fapi/v1/feeBurn", feeBurn="false"))
        assert journal_frames(state)  # appended there, not yet in the state file's rows
        # SQLite (not an account-only change): folds them first, so a restart cannot replay them over it
        ok(c.post("/fapi/v1/marginType", symbol="BNBUSDT", marginType="ISOLATED"))
        assert not journal_frames(state)
        ok(c.post("/fapi/v1/leverage", symbol="XRPUSDT", leverage=9))
        assert journal_frames(state)
        acknowledged = _seen(c)
        c.close()
        with EmulatorServer(state_path=state) as other:  # another process on the file reads the journal
            assert not other.backend.store._journal or not other.backend.store._journal.owned
            assert other.backend.account().setting("XRPUSDT").leverage == 9
        proc.restart(kill=True)
        assert not journal_frames(state)  # folded at start
        c = _client(proc.base_url)
        assert _seen(c) == acknowledged
        bnb = ok(c.get("/fapi/v2/positionRisk", symbol="BNBUSDT"))[0]
        assert (bnb["leverage"], bnb["marginType"], _leverage(c, "XRPUSDT")) == ("5", "isolated", "9")
        c.close()


def test_a_frame_cut_short_by_a_kill_is_ignored(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with EmulatorProcess(state) as proc:
        c = _client(proc.base_url)
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=7))
        acknowledged = _seen(c)
        c.close()
        proc.kill()
        frame = journal_frames(state)
        assert frame.count(b"\n") == 1 and b'",1,[' in frame  # frame 1
        later = frame.replace(b'",1,[', b'",2,[').replace(b'"leverage":7', b'"leverage":8')
        with _journal(state).open("r+b") as f:  # after it, in the room the file was grown by
            f.seek(len(frame))
            f.write(later)  # a complete frame 2 whose checksum fails
            f.write(frame.replace(b'",1,[', b'",3,[')[:-1])  # a frame 3 that checks, without its end of line
        proc.restart()
        c = _client(proc.base_url)
        assert _seen(c) == acknowledged and _leverage(c, "BNBUSDT") == "7"
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=10))  # appended to an emptied journal
        c.close()
        assert _leverage_after_kill_9(proc) == "10"


def test_a_frame_that_checks_but_has_another_shape_ends_the_journal(tmp_path: Path) -> None:
    """A line whose checksum holds but whose payload is not [journal id, number, [entries]] (no writer of
    ours makes one) is read as the end of the journal, as a frame that does not check is: no crash."""
    path = tmp_path / "j"
    journal = Journal(str(path))
    for payload in (b"5", b'["id","2",[]]', b'["id",2,5]', b'{"id":2}', b'["id",2]'):
        lines = [b'["id",1,[{"a":1}]]', payload, b'["id",3,[]]']  # a frame that checks after it
        path.write_bytes(b"".join(b"%08x %s\n" % (zlib.crc32(line), line) for line in lines) + bytes(64))
        assert journal.read("id") == [Frame(1, [{"a": 1}])], payload
    journal.close()


def test_a_frame_already_folded_is_skipped(tmp_path: Path) -> None:
    """A process killed between a fold's commit and emptying the journal leaves folded frames there: the
    state file records the last frame folded, and a restart skips those (else leverage 7 would be back)."""
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        c = _client(emu.base_url)
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=7))
        stale = journal_frames(state)
        emu.backend.store.checkpoint()  # folds it
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=9))
        c.close()
    assert not journal_frames(state)  # folded at close
    _journal(state).write_bytes(stale)
    with EmulatorServer(state_path=state) as emu:
        assert emu.backend.account().setting("BNBUSDT").leverage == 9


def test_the_journal_is_folded_after_so_many_frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "JOURNAL_FOLD_FRAMES", 5)
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        backend, store = emu.backend, emu.backend.store
        for n in range(1, 6):
            assert not store.want_checkpoint()
            claimed = backend.claim()
            assert claimed is not None
            with claimed:
                backend.change_leverage(backend.account(), "BNBUSDT", n)
        assert store.want_checkpoint()
        store.checkpoint()
        assert not journal_frames(store.path or "")
        assert store.load_accounts()[0]["symbols"]["BNBUSDT"]["leverage"] == 5
        assert store.get_meta("journal_seq") == "5"


def test_changes_made_at_once_ask_for_their_fold_after_so_many_frames(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change made at once is a frame of its own: after `JOURNAL_FOLD_FRAMES` of them the server has
    the storage thread fold the journal into the state file (no batch ever asks), and the journal is
    emptied; the state file alone then holds the last change."""
    monkeypatch.setattr(store_module, "JOURNAL_FOLD_FRAMES", 3)
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        c = _client(emu.base_url)
        for n in (2, 3):
            ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=n))
        assert journal_frames(state).count(b"\n") == 2
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=4))  # the third frame: a fold is due
        deadline = time.monotonic() + 10
        while journal_frames(state) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not journal_frames(state)
        assert emu.backend.store.get_meta("journal_seq") == "3"
        assert emu.backend.store.load_accounts()[0]["symbols"]["BNBUSDT"]["leverage"] == 4
        c.close()


def test_a_claimed_group_that_moves_a_mark_price_fails_whole(tmp_path: Path) -> None:
    """A group under a claim with the journal has no SQLite transaction: a mark price moved inside it
    cannot be journaled, so the group fails (`CommitFailed`) with memory back as before it, nothing
    appended, and the next claimed group is journaled as usual."""
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        backend = emu.backend
        leverage, mark = backend.account().setting("BNBUSDT").leverage, backend.mark("BNBUSDT")
        claimed = backend.claim()
        assert claimed is not None
        with pytest.raises(CommitFailed), claimed:
            backend.change_leverage(backend.account(), "BNBUSDT", leverage + 1)
            backend.set_mark_price("BNBUSDT", mark + 1)
        assert (backend.account().setting("BNBUSDT").leverage, backend.mark("BNBUSDT")) == (leverage, mark)
        assert backend.applied == backend.durable
        assert not journal_frames(tmp_path / "state.db")
        claimed = backend.claim()
        assert claimed is not None
        with claimed:
            backend.change_leverage(backend.account(), "BNBUSDT", leverage + 2)
        assert journal_frames(tmp_path / "state.db")
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        assert (emu.backend.account().setting("BNBUSDT").leverage, emu.backend.mark("BNBUSDT")) == (leverage + 2, mark)


def _claim_and_release(emu: EmulatorServer, claims: list[bool]) -> None:
    """Whether this thread claims the backend without waiting (released at once)."""
    group = emu.backend.claim()
    claims.append(group is not None)
    if group is not None:
        with group:
            pass


def test_a_claimed_group_releases_its_claim_when_it_ends(tmp_path: Path) -> None:
    """`Backend.claim` hands back the group itself: the group's end releases the backend's lock and the
    store's claim, whether it commits or fails, so another thread claims next without waiting."""
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        backend = emu.backend
        for fails in (False, True):
            claimed = backend.claim()
            assert claimed is not None
            with contextlib.suppress(CommitFailed), claimed:
                backend.change_leverage(backend.account(), "BNBUSDT", 3)
                if fails:  # a mark price cannot be journaled: the group fails
                    backend.set_mark_price("BNBUSDT", backend.mark("BNBUSDT") + 1)
            elsewhere: list[bool] = []
            thread = threading.Thread(target=_claim_and_release, args=(emu, elsewhere))
            thread.start()
            thread.join(10)
            assert elsewhere == [True]


def test_a_journal_left_by_another_state_file_is_ignored(tmp_path: Path) -> None:
    """Frames name the state file they belong to: another file at the same path does not take them."""
    state, other = tmp_path / "state.db", tmp_path / "other.db"
    with EmulatorServer(state_path=other):
        pass
    with EmulatorProcess(state) as proc:
        c = _client(proc.base_url)
        default = _leverage(c, "BNBUSDT")
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=7))
        c.close()
        proc.kill()
        for suffix in ("", "-wal", "-shm"):  # the other file takes its place; the journal stays
            Path(f"{state}{suffix}").unlink(missing_ok=True)
            if Path(f"{other}{suffix}").exists():
                Path(f"{other}{suffix}").rename(f"{state}{suffix}")
        proc.restart()
        c = _client(proc.base_url)
        assert _leverage(c, "BNBUSDT") == default
        c.close()


def test_a_failed_append_answers_503_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An append the journal cannot grow for (a full disk) answers 503 with nothing applied and nothing
    appended; the next one, with room again, is appended, and a restart loads it."""
    monkeypatch.setattr(journal_module, "FIRST_SIZE", 1024)  # room for a few frames
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        c = _client(emu.base_url)
        with monkeypatch.context() as m:
            m.setattr(os, "pwrite", _disk_full)
            for leverage in range(2, 30):  # until a frame needs more room than the file has
                answer = c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=leverage)
                if answer.status != 200:
                    break
            appended = journal_frames(state)
        assert (answer.status, answer.body["msg"]) == (503, UNKNOWN_OUTCOME)
        assert 2 < leverage < 30 and appended.count(b"\n") == leverage - 2
        assert _leverage(c, "BNBUSDT") == str(leverage - 1)  # the last change acknowledged
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=40))
        assert journal_frames(state).startswith(appended) and journal_frames(state).count(b"\n") == leverage - 1
        c.close()
    with EmulatorServer(state_path=state) as emu:
        assert emu.backend.account().setting("BNBUSDT").leverage == 40


def test_an_append_that_needs_more_room_than_the_file_can_take_appends_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file grows (zeros written) before a frame goes into its map: when growing fails (a full disk),
    the append raises and the frames before it are all the journal holds; a later append grows it."""
    monkeypatch.setattr(journal_module, "FIRST_SIZE", 256)
    monkeypatch.setattr(journal_module, "_ZEROS_PIECE", 100)  # zeros written 100 bytes at a time
    journal = Journal(str(tmp_path / "j"))
    journal.append("id", 1, ["a" * 100])
    with monkeypatch.context() as m:
        m.setattr(os, "pwrite", _disk_full)
        with pytest.raises(OSError, match="No space left"):
            journal.append("id", 2, ["b" * 300])
    assert journal.read("id") == [Frame(1, ["a" * 100])]
    journal.append("id", 3, ["c" * 300])
    journal.append("id", 4, ["d" * 1000])
    assert journal.read("id") == [Frame(1, ["a" * 100]), Frame(3, ["c" * 300]), Frame(4, ["d" * 1000])]
    assert (tmp_path / "j").stat().st_size == 2048  # 256, twice that, then twice until 1,400 bytes fit
    journal.clear()
    assert journal.read("id") == [] and (tmp_path / "j").read_bytes() == bytes(2048)
    journal.append("id", 5, [])
    assert journal.read("id") == [Frame(5, [])]
    journal.close()


def test_the_journal_is_read_a_piece_at_a_time_up_to_its_room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader reads the frames across pieces, stops at the room after them (zeros), and reads a file
    without room (as a journal was before it had any) to its end, whatever its length."""
    monkeypatch.setattr(journal_module, "_READ_PIECE", 16)
    path = tmp_path / "j"
    writer = Journal(str(path))
    frames = [Frame(seq, [f"{seq}" * seq]) for seq in range(1, 9)]
    for frame in frames:
        writer.append("id", frame.seq, frame.entries)
    reader = Journal(str(path))
    assert reader.read("id") == frames and path.stat().st_size == journal_module.FIRST_SIZE
    writer.close()
    data = path.read_bytes().split(b"\0", 1)[0]
    for length in (len(data), 16 * (len(data) // 16)):  # cut at a piece's end: the last line incomplete
        path.write_bytes(data[:length])
        assert reader.read("id") == [f for f in frames if data.index(b",%d,[" % f.seq) < data.rfind(b"\n", 0, length)]
    reader.close()


def test_a_journal_that_cannot_be_mapped_is_left_for_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a file system that cannot map the journal, the writer finds out at start and commits its
    account rows to SQLite: no change fails for it, nothing is lost, the journal stays empty."""
    path = str(tmp_path / "state.db")
    settings = {"leverage": 5, "marginType": "CROSSED"}

    def unmappable(*_: Any) -> None:
        raise OSError(errno.ENODEV, "No such device")

    with monkeypatch.context() as m:
        m.setattr(journal_module.mmap, "mmap", unmappable)
        store = Store(path)
    store.save_account("a", AccountRows({"accountId": "a"}, {"AUSDT": settings}, {}, 1, replace=True))
    assert store.claim() and not store.journaling
    store.unclaim()
    _journaled(store, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": 4}}, {}, 4))  # SQLite
    store.close()
    assert not journal_frames(path)
    state = _stored_state(path)
    assert (state["symbols"], state["updateTime"]) == ({"AUSDT": {**settings, "leverage": 4}}, 4)


def test_changes_after_a_reset_survive_kill_9(tmp_path: Path) -> None:
    """An admin reset folds the journal, then forgets everything but the journal's id and last frame
    folded: the frames written after it still belong to the state file."""
    state = tmp_path / "state.db"
    with EmulatorProcess(state) as proc:
        c = _client(proc.base_url)
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=7))
        ok(c.raw("POST", "/emulator/reset"))
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=8))
        assert journal_frames(state)
        c.close()
        assert _leverage_after_kill_9(proc) == "8"


def _journaled(store: Store, account_id: str, rows: AccountRows) -> None:
    """One batch under `claim`: `rows` appended to the journal (as `Backend.group` does when the claim
    is `journaling`), else written in the claim's SQLite transaction."""
    assert store.claim()
    try:
        if store.journaling:
            store.append_accounts([(account_id, rows)])
        else:
            with store.group():
                store.save_account(account_id, rows)
    finally:
        store.unclaim()


def _stored_state(path: str) -> dict[str, Any]:
    """The one account's state as a process opening the state file at `path` loads it."""
    store = Store(path)
    try:
        [state] = store.load_accounts()
    finally:
        store.close()
    return state


def test_rows_come_back_in_the_order_writing_them_one_by_one_gives(tmp_path: Path) -> None:
    """A symbol deleted by one batch and added back by a later one is a new row, after the others, both
    when another process reads the journal and once it is folded (not merged into one upsert, which
    would keep the row's old place)."""
    path = str(tmp_path / "state.db")
    settings = {"leverage": 5, "marginType": "CROSSED"}
    store = Store(path)
    store.save_account("a", AccountRows({"accountId": "a"}, {"AUSDT": settings, "XUSDT": settings, "BUSDT": settings},
                                        {}, 1, replace=True))
    _journaled(store, "a", AccountRows(None, {"XUSDT": None}, {}, 2))
    _journaled(store, "a", AccountRows(None, {"XUSDT": {**settings, "leverage": 9}}, {}, 3))
    _journaled(store, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": 7}}, {}, 4))
    expected = {"AUSDT": {**settings, "leverage": 7}, "BUSDT": settings, "XUSDT": {**settings, "leverage": 9}}
    reader = Store(path)  # another process's view: the journal's frames applied to the rows
    [state] = reader.load_accounts()
    assert list(state["symbols"].items()) == list(expected.items()) and state["updateTime"] == 4
    reader.close()
    store.close()  # folds
    assert not journal_frames(tmp_path / "state.db")
    state = _stored_state(path)
    assert list(state["symbols"].items()) == list(expected.items()) and state["updateTime"] == 4


def test_a_later_commit_of_another_process_is_not_overwritten_by_an_older_frame(tmp_path: Path) -> None:
    """Two processes on one state file: the first writes the journal, the second commits to SQLite. A
    change the second acknowledges after a frame of the first is what a later start sees, whether the
    first folds its frame at a clean stop or it was killed and the next start folds it."""
    state = tmp_path / "state.db"
    with EmulatorProcess(state) as first, EmulatorProcess(state) as second:
        a, b = _client(first.base_url), _client(second.base_url)
        ok(a.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=5))  # a frame of the first
        ok(b.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=7))  # later, committed by the second
        ok(a.post("/fapi/v1/leverage", symbol="XRPUSDT", leverage=4))  # another symbol: kept too
        a.close(), b.close()
        first.kill()  # its frames are left in the journal
        second.stop()
        first.restart()  # folds them
        c = _client(first.base_url)
        assert (_leverage(c, "BNBUSDT"), _leverage(c, "XRPUSDT")) == ("7", "4")
        ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=8))  # a frame again; the second commits after
        second.restart()
        b = _client(second.base_url)
        assert _leverage(b, "BNBUSDT") == "8"
        ok(b.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=9))
        b.close()
        first.restart()  # a clean stop: folds its frame
        c.close()
        c = _client(first.base_url)
        assert _leverage(c, "BNBUSDT") == "9"
        c.close()


@pytest.mark.parametrize("order", ["journal-then-fsync", "fsync-then-journal"])
def test_a_start_with_fsync_keeps_the_frames_a_killed_process_left(tmp_path: Path, order: str) -> None:
    """--fsync writes no frames, but the frames a process without it left (killed) are the state
    file's: a start with --fsync loads them, and a later start without it does not replay them over
    what was committed with --fsync meanwhile."""
    state = tmp_path / "state.db"
    _journal_then_kill(state, 7)
    with EmulatorProcess(state, "--fsync") as proc:
        c = _client(proc.base_url)
        assert _leverage(c, "BNBUSDT") == "7"
        if order == "fsync-then-journal":
            ok(c.post("/fapi/v1/leverage", symbol="BNBUSDT", leverage=9))
        c.close()
        proc.kill()
    with EmulatorProcess(state) as proc:
        c = _client(proc.base_url)
        assert _leverage(c, "BNBUSDT") == ("7" if order == "journal-then-fsync" else "9")
        c.close()


_SYMBOLS = ("XRPUSDT", "ADAUSDT", "DOGEUSDT")


def _setting(c: Client, symbol: str) -> tuple[str, str]:
    """A symbol's (leverage, marginType) as a process shows it."""
    risk = ok(c.get("/fapi/v2/positionRisk", symbol=symbol))[0]
    return str(risk["leverage"]), str(risk["marginType"])


@pytest.mark.parametrize(("processes", "seed"), [(1, 1), (2, 3)])
def test_a_random_stream_of_changes_killed_at_random_moments(tmp_path: Path, processes: int, seed: int) -> None:
    """Leverage changes (journal frames), margin type changes and balance changes (SQLite commits, each
    folding the journal first) sent to one or two processes on one state file, which are killed (-9) at
    random moments, some with a change in flight, and started again. A symbol's settings row holds
    what the process that wrote it last acknowledged (a change in flight at a kill: before or after
    it); every start sees exactly that."""
    rng = random.Random(seed)
    state = tmp_path / "state.db"
    procs = [EmulatorProcess(state) for _ in range(processes)]
    clients = [_client(p.base_url) for p in procs]
    expected = {symbol: {_setting(clients[0], symbol)} for symbol in _SYMBOLS}  # what a start may see

    def check(c: Client) -> None:
        for symbol in _SYMBOLS:
            seen = _setting(c, symbol)
            assert seen in expected[symbol], (symbol, seen, expected[symbol])
            expected[symbol] = {seen}

    try:
        for _ in range(40):
            n = rng.randrange(processes)
            c, symbol, action = clients[n], rng.choice(_SYMBOLS), rng.random()
            leverage, margin_type = _setting(c, symbol)
            if action < 0.6:
                params: dict[str, Any] = {"symbol": symbol, "leverage": rng.randint(1, 20)}
                path, after = "/fapi/v1/leverage", (str(params["leverage"]), margin_type)
            elif action < 0.8:
                other = "CROSSED" if margin_type == "isolated" else "ISOLATED"
                params = {"symbol": symbol, "marginType": other}
                path, after = "/fapi/v1/marginType", (leverage, other.lower().replace("crossed", "cross"))
            else:
                ok(c.admin("/emulator/balances", {"asset": "USDT", "balance": str(rng.randint(1000, 9000))}))
                continue
            if rng.random() < 0.05:  # killed with the change in flight (sent, not answered)
                query = urlencode({**params, "timestamp": c.now()})
                c.conn.request("POST", f"{path}?{query}&signature={c.sign(query)}",
                               headers={"X-MBX-APIKEY": DEMO_API_KEY})
                expected[symbol] = {*expected[symbol], after}
                c.close()
                procs[n].restart(kill=True)
                clients[n] = c = _client(procs[n].base_url)
                check(c)
                continue
            ok(c.post(path, **params))
            assert _setting(c, symbol) == after
            expected[symbol] = {after}
            if rng.random() < 0.05:
                c.close()
                procs[n].restart(kill=True)
                clients[n] = c = _client(procs[n].base_url)
                check(c)
        for c, p in zip(clients, procs, strict=True):
            c.close()
            p.kill()
        procs[0].restart()
        clients[0] = _client(procs[0].base_url)
        check(clients[0])
    finally:
        for c, p in zip(clients, procs, strict=True):
            c.close()
            p.stop()


def _journaled_settings(store: Store, account_id: str, symbol: str, leverage: int, update_time: int | None) -> None:
    """One change made at once (`take_journal`): `symbol`'s settings row and the update time, a frame."""
    assert store.take_journal()
    try:
        store.append_settings(account_id, symbol, {"leverage": leverage, "marginType": "CROSSED"}, update_time)
    finally:
        store.release_journal()


def test_settings_frames_fold_as_writing_their_rows_one_by_one(tmp_path: Path) -> None:
    """A change made at once appends its symbol's settings row without the rows of a diff; merged with
    the frames before it, it folds to what writing every frame's rows in turn gives: an upsert keeps a
    row's place, a row a pending frame deleted comes back after the others, an update time of None
    keeps the one before. Another process reads the same from the journal before the fold."""
    path = str(tmp_path / "state.db")
    settings = {"leverage": 5, "marginType": "CROSSED"}
    store = Store(path)
    store.save_account("a", AccountRows({"accountId": "a"}, {"AUSDT": settings, "XUSDT": settings, "BUSDT": settings},
                                        {}, 1, replace=True))
    _journaled_settings(store, "a", "AUSDT", 6, 2)  # no frame pending for "a": a new pending entry
    _journaled_settings(store, "a", "BUSDT", 7, None)  # merged into it
    _journaled(store, "a", AccountRows(None, {"XUSDT": None}, {}, 3))
    _journaled_settings(store, "a", "XUSDT", 9, 4)  # added back after a delete: not merged
    _journaled_settings(store, "a", "AUSDT", 8, None)
    assert store._appended.frames == 5 and len(store._appended.pending) == 2
    expected = {"AUSDT": {**settings, "leverage": 8}, "BUSDT": {**settings, "leverage": 7},
                "XUSDT": {**settings, "leverage": 9}}
    reader = Store(path)
    [state] = reader.load_accounts()
    reader.close()
    assert list(state["symbols"].items()) == list(expected.items()) and state["updateTime"] == 4
    store.close()  # folds
    assert not journal_frames(tmp_path / "state.db")
    state = _stored_state(path)
    assert list(state["symbols"].items()) == list(expected.items()) and state["updateTime"] == 4


def test_changes_made_at_once_are_refused_while_their_fold_is_overdue(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`take_journal` refuses once `CHECKPOINT_OVERDUE` times `JOURNAL_FOLD_FRAMES` frames wait for a
    fold (the changes then go to a batch, which folds first): the frames kept merged in memory stay
    bounded; a fold frees it again."""
    monkeypatch.setattr(store_module, "JOURNAL_FOLD_FRAMES", 2)
    store = Store(str(tmp_path / "state.db"))
    store.save_account("a", AccountRows({"accountId": "a"}, {}, {}, 1, replace=True))
    for n in range(store_module.CHECKPOINT_OVERDUE * 2):
        _journaled_settings(store, "a", "AUSDT", n + 1, None)
    assert store.want_checkpoint() and not store.take_journal() and not store.journaling
    store.checkpoint()
    assert store.take_journal()
    store.release_journal()
    store.close()
    assert _stored_state(str(tmp_path / "state.db"))["symbols"]["AUSDT"]["leverage"] == 8


def test_a_change_made_at_once_waits_for_nothing_held_elsewhere(tmp_path: Path) -> None:
    """`take_journal` holds the store only when no other thread does (a read, a fold on the storage
    thread), else refuses at once, holding nothing; released, it is free again."""
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        store = emu.backend.store
        taken: list[bool] = []
        thread = threading.Thread(target=lambda: taken.append(store.take_journal()))
        with store._lock:  # what a read on the storage thread holds
            thread.start()
            thread.join(10)
        assert taken == [False] and not store.journaling
        assert store.take_journal() and store.journaling
        store.release_journal()
        thread = threading.Thread(target=lambda: (taken.append(store.take_journal()), store.release_journal()))
        thread.start()
        thread.join(10)
        assert taken == [False, True] and not store.journaling


def test_the_writer_empties_a_journal_another_process_folded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames another process folded (committing to SQLite after them) are still the writer's to cut
    off: its next fold empties the journal, which else would grow for as long as the other process
    folds first."""
    monkeypatch.setattr(store_module, "JOURNAL_FOLD_FRAMES", 3)
    path = str(tmp_path / "state.db")
    settings = {"leverage": 5, "marginType": "CROSSED"}
    writer, other = Store(path), Store(path)
    writer.save_account("a", AccountRows({"accountId": "a"}, {"AUSDT": settings}, {}, 1, replace=True))
    for n in range(2, 5):
        _journaled(writer, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": n}}, {}, n))
    other.save_account("a", AccountRows(None, {"BUSDT": settings}, {}, 5))  # folds frames 1-3 first
    assert other.get_meta("journal_seq") == "3"
    assert writer.want_checkpoint()
    writer.checkpoint()
    assert not journal_frames(tmp_path / "state.db") and not writer.want_checkpoint()
    _journaled(writer, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": 9}}, {}, 6))
    other.close()
    writer.close()
    state = _stored_state(path)
    assert state["symbols"] == {"AUSDT": {**settings, "leverage": 9}, "BUSDT": settings} and state["updateTime"] == 6


def test_the_writer_folds_what_it_appended_without_reading_the_journal_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer folds its frames from the rows it appended, merged as they came: it reads nothing back,
    and what it writes is what writing them one by one gives."""
    path = str(tmp_path / "state.db")
    settings = {"leverage": 5, "marginType": "CROSSED"}
    writer = Store(path)
    writer.save_account("a", AccountRows({"accountId": "a"}, {"AUSDT": settings, "BUSDT": settings}, {}, 1, replace=True))
    _journaled(writer, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": 2}}, {}, 2))
    _journaled(writer, "a", AccountRows(None, {"BUSDT": {**settings, "leverage": 3}}, {}, 3))
    _journaled(writer, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": 4}}, {}, None))
    with monkeypatch.context() as patched:
        patched.setattr(Journal, "read", lambda *_: pytest.fail("the writer read its journal back"))
        writer.checkpoint()
    assert writer.get_meta("journal_seq") == "3" and not journal_frames(tmp_path / "state.db")
    writer.close()
    state = _stored_state(path)
    assert (state["symbols"], state["updateTime"]) == ({"AUSDT": {**settings, "leverage": 4},
                                                         "BUSDT": {**settings, "leverage": 3}}, 3)


def test_frames_another_process_folded_are_not_written_again_by_the_writer(tmp_path: Path) -> None:
    """When another process folded some of the writer's frames (it folds what it reads before its own
    commits), the writer folds only the frames above them, read back from the journal: never over that
    process's later commit."""
    path = str(tmp_path / "state.db")
    settings = {"leverage": 5, "marginType": "CROSSED"}
    writer, other = Store(path), Store(path)
    writer.save_account("a", AccountRows({"accountId": "a"}, {"AUSDT": settings}, {}, 1, replace=True))
    _journaled(writer, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": 2}, "BUSDT": settings}, {}, 2))
    other.save_account("a", AccountRows(None, {"BUSDT": {**settings, "leverage": 3}}, {}, 3))  # folds frame 1 first
    _journaled(writer, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": 4}}, {}, 4))
    writer.checkpoint()  # folds frame 2 alone, read back from the journal
    assert writer.get_meta("journal_seq") == "2"
    other.close()
    writer.close()
    assert not journal_frames(tmp_path / "state.db")
    assert _stored_state(path)["symbols"] == {"AUSDT": {**settings, "leverage": 4}, "BUSDT": {**settings, "leverage": 3}}
    assert _stored_state(path)["updateTime"] == 4


def test_a_journal_that_cannot_be_opened_refuses_the_start(tmp_path: Path) -> None:
    """Without its journal a process would load the state file without the frames there and later
    commit under them: the start is refused, naming the journal, instead of a traceback (or running
    without it)."""
    state = tmp_path / "state.db"
    _journal(state).mkdir()  # not a file it can open
    with pytest.raises(StartupError, match=f"state file {state}: {_journal(state)}: Is a directory"):
        EmulatorServer(state_path=state)
    for args in ((), ("--fsync",), ("--reset",)):  # --reset: it cannot be removed either
        r = subprocess.run([sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--state", str(state), *args],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and str(_journal(state)) in r.stderr, r.stderr


def test_a_claim_that_cannot_read_the_journal_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that does not write the journal reads it before each commit: when that read fails, a
    claim is refused (the batch then runs on the storage thread, which reports the error) and holds
    nothing (the store was left locked: every later write would have waited forever)."""
    path = str(tmp_path / "state.db")
    writer, reader = Store(path), Store(path)
    settings = {"leverage": 5, "marginType": "CROSSED"}
    writer.save_account("a", AccountRows({"accountId": "a"}, {"AUSDT": settings}, {}, 1, replace=True))
    _journaled(writer, "a", AccountRows(None, {"AUSDT": {**settings, "leverage": 6}}, {}, 2))

    def failing(fd: int, size: int, offset: int) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    with monkeypatch.context() as m:
        m.setattr(os, "pread", failing)
        assert not reader.claim()
        with pytest.raises(OSError, match="Input/output error"):  # a write fails, rolled back
            reader.save_account("a", AccountRows(None, {"BUSDT": settings}, {}, 3))
    free = threading.Thread(target=lambda: reader.save_account("a", AccountRows(None, {"BUSDT": settings}, {}, 3)))
    free.start()
    free.join(5)
    assert not free.is_alive()  # the store was not left held
    writer.close()
    [state] = reader.load_accounts()
    assert state["symbols"] == {"AUSDT": {**settings, "leverage": 6}, "BUSDT": settings}
    reader.close()


@pytest.mark.parametrize("fsync", [False, True], ids=["mapped", "fsync"])
def test_a_journal_that_cannot_be_emptied_at_start_stays_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              fsync: bool) -> None:
    """A process that folded the journal at start but cannot empty it keeps it (its lock) and writes
    its changes to SQLite: had it let the journal go, another process would append frames there that
    it does not fold before its own commits, and fold them later over those. (The writer empties the
    journal through its memory map, one with `--fsync`, which appends nothing, by truncating it.)"""
    state = tmp_path / "state.db"
    _journal_then_kill(state, 6)
    path = str(state)
    settings = {"leverage": 5, "marginType": "CROSSED"}

    def failing(*_: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    with monkeypatch.context() as m:
        if fsync:
            m.setattr(os, "ftruncate", failing)
        else:
            m.setattr(journal_module.mmap, "mmap", failing)
        first = Store(path, fsync=fsync)  # folds frame 1, cannot empty the journal
    assert journal_frames(state)  # still there
    assert first.load_accounts()[0]["symbols"]["BNBUSDT"]["leverage"] == 6
    second = Store(path)
    _journaled(second, "demo", AccountRows(None, {"BNBUSDT": {**settings, "leverage": 8}}, {}, 1))  # SQLite
    _journaled(first, "demo", AccountRows(None, {"BNBUSDT": {**settings, "leverage": 9}}, {}, 2))  # SQLite, later
    second.close()
    first.close()
    with EmulatorServer(state_path=state) as emu:
        assert emu.backend.account().setting("BNBUSDT").leverage == 9


def test_a_reset_is_refused_while_an_emulator_writes_the_state_file(tmp_path: Path) -> None:
    """Deleting a state file under the emulator writing it would lose what it writes next (to files no
    longer there) and start a new file beside them: `--reset` and `remove_state` refuse, naming the
    journal whose lock that emulator holds, and work once it has stopped."""
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        acc = emu.backend.account()
        emu.backend.change_leverage(acc, "BNBUSDT", 7)
        with pytest.raises(StartupError, match=f"state file {state}: {_journal(state)}: in use by a running emulator"):
            EmulatorServer(state_path=state, reset=True)
        with pytest.raises(OSError) as refused:
            remove_state(state)
        assert refused.value.errno == errno.EBUSY and refused.value.filename == str(_journal(state))
        r = subprocess.run([sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--state", str(state),
                            "--reset"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "in use by a running emulator" in r.stderr, r.stderr
        assert state.exists() and _journal(state).exists()
    with EmulatorServer(state_path=state) as emu:  # nothing was removed: the change is there
        assert emu.backend.account().settings["BNBUSDT"].leverage == 7
    assert remove_state(state) and not state.exists() and not _journal(state).exists()
