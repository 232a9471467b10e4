"""SQLite storage: account state, income and margin-change history, downloads, orders and trades.

One connection, in memory by default or a state file in WAL mode, where a change is durable once
`transaction()` (or, for a batch of changes, `group()`) returns: the server answers only after the
commit, so an acknowledged change survives a kill -9. How durable (SQLite's `synchronous`,
https://www.sqlite.org/pragma.html#pragma_synchronous): by default NORMAL, where a commit has handed
its WAL pages to the operating system, which keeps them when the process dies (kill -9, a crash), but
a power loss or an operating-system crash may roll back the last commits (the file stays consistent);
with `fsync=True` FULL, where every commit also waits for the disk, so commits survive power loss too.
An account is a header row plus rows per symbol setting and per position, so a change writes only
what it changed (`AccountRows`).
Checkpoints (copying the WAL back into the database file, syncing both: milliseconds) never run in a
commit of SQLite's own choosing (`wal_autocheckpoint` is off), so a commit made under `claim` (the
server's event loop) stays a plain write of the WAL. After `CHECKPOINT_ROWS` changed rows,
`want_checkpoint` asks for `checkpoint` on another thread (`checkpoints_elsewhere`: the server's
storage thread): it copies the WAL beside the commits that go on, on a connection of its own, then
what they added meanwhile with the store held, so no commit comes between and the next one starts
the WAL again from its beginning. Without such a thread, or when it is late (`CHECKPOINT_OVERDUE`
times that many rows: claims are refused then), the first commit made without a claim checkpoints,
with the store still held.
The account journal (`journal.py`, a state file without `fsync`): a batch made under `claim` (the
server's event loop: account-state changes alone), or one such change made at once under
`take_journal`, appends its account rows there, one frame, instead of committing an SQLite
transaction (`append_accounts`, `append_settings`, which keep the rows they appended in memory,
merged per account, until they are folded). What the state file holds is then its account rows plus
the journal's frames numbered above the `journal_seq` it records. The first transaction that begins
afterwards, whatever it writes (and `checkpoint`, every `JOURNAL_FOLD_FRAMES` frames), first writes
the rows of those frames (the writer's own, kept merged as appended: no reading back, unless another
process folded some of them meanwhile) and that sequence number: so rows written later are never
overwritten by an older frame at a restart, which folds what a killed process left. The journal is
emptied once a fold is committed (a frame still there is at or below `journal_seq`).
Another process on the same file (or one with `fsync`, which appends nothing) folds the frames it
reads in the journal at the start of each of its own transactions, so its commits go after them; the
writer then folds only the frames above the `journal_seq` it finds.
Income queries go through `IncomeIndex` (row ids per filter in answer order, kept in step with the
table by every write and rebuilt after a rollback), so an income query reads only the rows of its
answer; the other history tables have SQL indexes matching their queries.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar

from .income_index import IncomeIndex
from .journal import Journal

_T = TypeVar("_T")
_log = logging.getLogger(__name__)
#: How long a write waits for a state file locked by another process before it fails (seconds).
BUSY_TIMEOUT_S = 5.0
_BUSY_POLL_S = 0.02
_ABORT_CHECK_ROWS = 1024
#: Rows changed in a state file (SQLite's `total_changes`) after which a checkpoint is due (module
#: docstring). A leverage change writes 2 rows in 2 pages: a checkpoint per ~2000, a WAL of ~16 MB.
#: Its part with the store held lasts about two syncs of the disk when the WAL was copied beside the
#: commits first, so fewer checkpoints stop commits less often (measured with commits going on beside
#: them: 1000 rows, checkpointed with the store held throughout: 14-15 µs of commit stopped per batch
#: on average; 4000 rows, copied beside the commits first: 2-3 µs).
CHECKPOINT_ROWS = 4000
#: A claim is refused once this many times `CHECKPOINT_ROWS` rows wait for a checkpoint.
CHECKPOINT_OVERDUE = 4
#: The account journal's file: the state file's path and this (module docstring).
JOURNAL_SUFFIX = "-accounts"
#: Frames appended to the account journal after which `want_checkpoint` asks for a fold (a leverage
#: change made at once is a frame of its own, ~110 bytes: `FIRST_SIZE` of `journal.py` holds that many).
JOURNAL_FOLD_FRAMES = 6000


class IncomeSelection(NamedTuple):
    """Which income records a query asks for: the account's records in [start, end] (ms), of one
    incomeType and symbol when given, ascending by (time, tranId), from the `offset`-th on, at most
    `limit`."""

    account: str
    start: int
    end: int
    income_type: str | None
    symbol: str | None
    limit: int
    offset: int


class IncomeRow(NamedTuple):
    """One income record, as stored (the `income` table's columns, in order)."""

    account: str
    time: int
    tran_id: int
    symbol: str
    income_type: str
    income: str
    asset: str
    info: str
    trade_id: str


class MarginRow(NamedTuple):
    """One position-margin change record, as stored (the `margin_history` table's columns, in order)."""

    account: str
    symbol: str
    time: int
    type: int
    delta_type: str
    amount: str
    asset: str
    position_side: str


class DownloadRow(NamedTuple):
    """One download request, as stored (the `downloads` table's columns after the id)."""

    account: str
    kind: str
    start_time: int
    end_time: int
    created: int
    ready_at: int


class AccountRows(NamedTuple):
    """What to write of one account: its header (every field but per-symbol settings and positions;
    None: unchanged), settings by symbol ({"leverage", "marginType"}) and positions by (symbol, side)
    to upsert (None: delete), each in `Account.to_dict`'s shape.
    `replace`: the account's stored rows are deleted first (a new or replaced account)."""

    header: dict[str, Any] | None
    symbols: dict[str, dict[str, Any] | None]
    positions: dict[tuple[str, str], dict[str, Any] | None]
    #: The account's updateTime (None: unchanged).
    update_time: int | None = None
    replace: bool = False


#: A journal frame's sequence number and its accounts' rows.
_Frame = tuple[int, list[tuple[str, AccountRows]]]


class StoreClosed(sqlite3.OperationalError):
    """The store is closing: work still running on it is abandoned (rolled back)."""


def _journal_rows(entry: list[Any]) -> tuple[str, AccountRows]:
    """An entry of a journal frame (`Store.append_accounts`) as an account id and its rows."""
    account_id, header, symbols, positions, update_time, replace = entry
    return str(account_id), AccountRows(header, symbols, {(s, side): state for s, side, state in positions}
                                        if positions else {}, update_time, bool(replace))


class _Pending:
    """The account rows of journal frames not folded yet, of one account, merged: what writing them
    one after another would write, in one write (`_Unfolded`)."""

    __slots__ = ("deletes", "header", "positions", "replace", "symbols", "update_time")

    def __init__(self, rows: AccountRows) -> None:
        self.header, self.update_time, self.replace = rows.header, rows.update_time, rows.replace
        self.symbols, self.positions = dict(rows.symbols), dict(rows.positions)
        #: Whether a row is deleted (a leverage change deletes none: `merge` then checks nothing).
        self.deletes = None in rows.symbols.values() or None in rows.positions.values()

    def merge(self, rows: AccountRows) -> bool:
        """Take `rows` (written after these) in; False, taking nothing, when one write would not leave
        the rows in the same order: `rows` replaces the account (its rows go after every other row),
        or adds back a row these delete (a new row goes to the end, an upsert keeps the row's place).
        (The rows unpacked once: a field of a named tuple read by name is a descriptor call.)"""
        header, symbols, positions, update_time, replace = rows
        if replace:
            return False
        if self.deletes:
            if _adds_back(self.symbols, symbols) or _adds_back(self.positions, positions):
                return False
        elif None in symbols.values() or None in positions.values():
            self.deletes = True
        if header is not None:
            self.header = header
        if update_time is not None:
            self.update_time = update_time
        self.symbols.update(symbols)
        self.positions.update(positions)
        return True

    def rows(self) -> AccountRows:
        """The merged rows."""
        return AccountRows(self.header, self.symbols, self.positions, self.update_time, self.replace)


class _Unfolded:
    """Journal frames not folded yet, their account rows merged as they come (`_Pending`): what writing
    them one after another would write, in as few writes; `frames` of them, numbered `first` to `last`.
    (Merged at once rather than kept as frames: the writer's memory stays flat between folds.)"""

    __slots__ = ("first", "frames", "last", "latest", "pending")

    def __init__(self, frames: Iterable[_Frame] = ()) -> None:
        self.first = self.last = self.frames = 0
        #: Each account's rows in write order, and the last of them per account (the one merged into).
        self.pending: list[tuple[str, _Pending]] = []
        self.latest: dict[str, _Pending] = {}
        for seq, entries in frames:
            self.add(seq, entries)

    def add(self, seq: int, entries: list[tuple[str, AccountRows]]) -> None:
        """Take the frame numbered `seq` (above the others) in."""
        if not self.frames:
            self.first = seq
        self.last = seq
        self.frames += 1
        latest = self.latest
        for account_id, rows in entries:
            merged = latest.get(account_id)
            if merged is None or not merged.merge(rows):
                latest[account_id] = merged = _Pending(rows)
                self.pending.append((account_id, merged))


    def add_settings(self, seq: int, account_id: str, symbol: str, row: dict[str, Any], update_time: int | None,
                     ) -> None:
        """`add` of the frame numbered `seq` that sets one symbol's settings row of one account (and its
        update time; None: unchanged), merged without making its rows when the account's rows delete
        nothing (`_Pending.merge`)."""
        merged = self.latest.get(account_id)
        if merged is None or merged.deletes:
            self.add(seq, [(account_id, AccountRows(None, {symbol: row}, {}, update_time, False))])
            return
        self.last = seq  # (a pending account: `first` is set)
        self.frames += 1
        merged.symbols[symbol] = row
        if update_time is not None:
            merged.update_time = update_time


def _adds_back(before: Mapping[Any, Any], after: Mapping[Any, Any]) -> bool:
    """Whether `after` writes a row `before` deletes."""
    return any(value is not None and key in before and before[key] is None for key, value in after.items())


def _apply(by_id: dict[str, dict[str, Any]], account_id: str, rows: AccountRows) -> None:
    """Apply an account's rows to `load_accounts`' states, as writing them would (an account written
    anew goes last, a new row to the end of its account's)."""
    if rows.replace:
        by_id.pop(account_id, None)
        by_id[account_id] = {"symbols": {}, "positions": []}
    state = by_id.get(account_id)
    if state is None:
        return
    if rows.header is not None:
        state.update(rows.header)
    if rows.update_time is not None:
        state["updateTime"] = rows.update_time
    for symbol, settings in rows.symbols.items():  # a changed row keeps its place, a new one goes last
        if settings is None:
            state["symbols"].pop(symbol, None)
        else:
            state["symbols"][symbol] = settings
    legs = {(p["symbol"], p.get("positionSide", "BOTH")): p for p in state["positions"]}
    for key, leg in rows.positions.items():
        if leg is None:
            legs.pop(key, None)
        else:
            legs[key] = leg
    state["positions"] = list(legs.values())

#: SQL of an order's `clientOrderId` and of a trade's `orderId` (indexed expressions: queries use them verbatim).
_CLIENT_ID = "json_extract(data, '$.clientOrderId')"
_ORDER_ID = "json_extract(data, '$.orderId')"
#: Force orders (liquidation, ADL) by their client id, as `orders.py` describes them.
_LIQUIDATION = f"{_CLIENT_ID} GLOB 'autoclose-*'"
_ADL = f"{_CLIENT_ID} = 'adl_autoclose'"
_FORCED = f"({_LIQUIDATION} OR {_ADL})"
#: An order not shown by allOrders for sure: closed unfilled (an executedQty of only signs, zeros and
#: points is zero) before the given time. Exotic spellings of zero are left to the caller's check.
_HIDDEN_UNFILLED = ("(status IN ('CANCELED', 'EXPIRED') AND time < ? "
                    "AND rtrim(ltrim(json_extract(data, '$.executedQty'), '+-'), '0.') = '')")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY, state TEXT NOT NULL, update_time INTEGER);
CREATE TABLE IF NOT EXISTS account_symbols (
    account TEXT NOT NULL, symbol TEXT NOT NULL, leverage INTEGER NOT NULL, margin_type TEXT NOT NULL,
    PRIMARY KEY (account, symbol));
CREATE TABLE IF NOT EXISTS account_positions (
    account TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (account, symbol, side));
CREATE TABLE IF NOT EXISTS marks (symbol TEXT PRIMARY KEY, price TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS income (
    account TEXT NOT NULL, time INTEGER NOT NULL, tran_id INTEGER NOT NULL, symbol TEXT NOT NULL,
    income_type TEXT NOT NULL, income TEXT NOT NULL, asset TEXT NOT NULL, info TEXT NOT NULL,
    trade_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS income_by_time ON income (account, time, tran_id);
DROP INDEX IF EXISTS income_by_type;
CREATE TABLE IF NOT EXISTS margin_history (
    account TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL, type INTEGER NOT NULL,
    delta_type TEXT NOT NULL, amount TEXT NOT NULL, asset TEXT NOT NULL, position_side TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS margin_by_time ON margin_history (account, symbol, time);
CREATE INDEX IF NOT EXISTS margin_by_type ON margin_history (account, symbol, type, time);
CREATE TABLE IF NOT EXISTS downloads (
    download_id TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL, start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL, created INTEGER NOT NULL, ready_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS downloads_by_account ON downloads (account, kind, created);
CREATE TABLE IF NOT EXISTS orders (
    account TEXT NOT NULL, order_id INTEGER NOT NULL, symbol TEXT NOT NULL, status TEXT NOT NULL,
    time INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account, order_id));
CREATE INDEX IF NOT EXISTS orders_by_symbol ON orders (account, symbol, order_id);
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (account, status, symbol);
CREATE INDEX IF NOT EXISTS orders_by_time ON orders (account, symbol, time, order_id);
CREATE INDEX IF NOT EXISTS orders_by_account_time ON orders (account, time, order_id);
CREATE INDEX IF NOT EXISTS orders_forced ON orders (account, time, order_id) WHERE {_FORCED};
CREATE TABLE IF NOT EXISTS trades (
    account TEXT NOT NULL, trade_id INTEGER NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (account, trade_id));
CREATE INDEX IF NOT EXISTS trades_by_time ON trades (account, symbol, time, trade_id);
CREATE INDEX IF NOT EXISTS trades_by_id ON trades (account, symbol, trade_id);
CREATE INDEX IF NOT EXISTS trades_by_order ON trades (account, symbol, {_ORDER_ID}, time, trade_id);
CREATE INDEX IF NOT EXISTS trades_by_account_time ON trades (account, time, trade_id);
CREATE TABLE IF NOT EXISTS algo_orders (
    account TEXT NOT NULL, algo_id INTEGER NOT NULL, symbol TEXT NOT NULL, status TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (account, algo_id));
CREATE INDEX IF NOT EXISTS algo_orders_by_status ON algo_orders (account, status, symbol, algo_id);
"""


class _Group:
    """`Store.group`'s block (a class: one per write batch; a generator-based context manager costs
    about twice as much)."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        store._grouped = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        store = self._store
        try:
            store._end_group(kind is None)
        finally:
            store._grouped = False
            store._depth = 0
            store._income_written = False
            store._lock.release()


class Store:
    """Thread-safe wrapper around one SQLite connection.

    A state file locked by another process makes a write wait up to `busy_timeout` seconds (polling,
    so that `close` can cut the wait short), then fail with `sqlite3.OperationalError`.
    """

    def __init__(self, path: str | None = None, busy_timeout: float = BUSY_TIMEOUT_S, fsync: bool = False) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        #: True when a commit only hands its pages to the operating system (in memory, or a state file
        #: without `fsync`): a small one costs tens of microseconds and may run under `claim`.
        self.commits_quickly = not (path and fsync)
        self._lock = threading.RLock()
        self._closing = threading.Event()
        #: `_closing` set (a plain attribute: `claim` and `want_checkpoint`, once per batch, read it
        #: without the call `Event.is_set` is).
        self._closed = False
        self._conn = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None,
                                     timeout=_BUSY_POLL_S)
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")  # module docstring
            self._conn.execute("PRAGMA wal_autocheckpoint=0")  # module docstring: `_checkpoint`
        self._conn.executescript(_SCHEMA)
        if "update_time" not in {r[1] for r in self._conn.execute("PRAGMA table_info(accounts)")}:
            self._conn.execute("ALTER TABLE accounts ADD COLUMN update_time INTEGER")  # an older file
        # From here no statement waits inside SQLite for another process's lock: `_begin` polls (without
        # the store's lock), and `claim` gives up at once.
        self._conn.execute("PRAGMA busy_timeout=0")
        self._checkpointed = self._conn.total_changes
        #: Set by whoever runs `checkpoint` when `want_checkpoint` asks (the server): commits then
        #: checkpoint themselves only when that is late.
        self.checkpoints_elsewhere = False
        self._checkpoint_asked = False
        self._depth = 0
        self._grouped = False
        self._claimed = False
        #: None when it must be rebuilt from the table (after a rolled-back income write).
        self._income_index: IncomeIndex | None = None
        self._income_written = False
        self._income()
        #: The account journal (module docstring): a state file without `fsync` only.
        self._journal: Journal | None = None
        self._journal_id = ""
        #: The last frame appended (or folded), and the frames this process appended since its last
        #: fold (what the journal holds above its last fold: `_fold` folds them from here).
        self._seq = 0
        self._appended = _Unfolded()
        #: Claimed for a batch whose account rows go to the account journal (`append_accounts`): that
        #: batch writes nothing else. And whether the transaction under way folds the journal.
        self.journaling = False
        self._folding = False
        #: Whether this process appends to the account journal (it holds its lock, without `fsync`, and
        #: could make room in it at start: `claim`, `take_journal`), and whether the frames it appended are
        #: due to be folded (`want_checkpoint`).
        self.journal_writable = False
        self.fold_due = False
        if path:
            try:
                self._open_journal(path, append=not fsync)
            except BaseException:  # it cannot be opened (`OSError`): no store
                self._conn.close()
                raise

    def closing(self) -> None:
        """Abandon the work running on the store from other threads (it raises `StoreClosed`, or
        SQLite's "interrupted", and rolls back); new work is refused. `close` follows."""
        self._closed = True
        self._closing.set()
        self._conn.interrupt()

    def close(self, timeout: float = 1.0) -> None:
        """Close the connection, after `closing`, folding the account journal first when it can
        without waiting. Gives up waiting for work still running on it after `timeout` seconds (the
        process is ending; SQLite's journal keeps the file consistent, the account journal is folded
        at the next start)."""
        self.closing()
        if self._lock.acquire(timeout=timeout):
            try:
                if self._appended.frames and not self._depth:
                    self._fold_now()
                self._conn.close()
            finally:
                self._lock.release()
                if self._journal is not None:
                    self._journal.close()

    def _open_journal(self, path: str, *, append: bool) -> None:
        """Open the account journal; as its writer, fold what it holds (the batches of a process that
        ended without folding them) and empty it, appending to it afterwards only when `append` (not
        with `fsync`); else it is only read (`load_accounts`, and `_fold` before each transaction)."""
        journal = Journal(path + JOURNAL_SUFFIX)
        if not journal.owned:
            self._journal = journal
            return
        try:
            journal_id, self._seq = self.get_meta("journal"), self._folded_seq()
            frames = self._read_frames(journal, journal_id, self._seq) if journal_id else []
            if journal_id is None or frames:  # (no other process writes either: the journal is ours)
                with self.transaction() as c:
                    if journal_id is None:
                        journal_id = secrets.token_hex(8)
                        c.execute("INSERT INTO meta (key, value) VALUES ('journal', ?)", (journal_id,))
                    self._write_frames(_Unfolded(frames))
                if frames:
                    self._seq = frames[-1][0]
        except BaseException:  # reading it failed (`OSError`): no store
            journal.close()
            raise
        self._journal, self._journal_id = journal, journal_id
        try:  # emptied: the writer maps it now, with room for frames (a full disk, no memory maps: it is not)
            if append:
                journal.make_room()
            else:
                journal.clear()
        except OSError as exc:  # its frames are folded (skipped at a restart): still this process's (its
            # lock held, so no other process appends frames it would not fold), never appended to
            _log.warning("emulator account journal %s not emptied, not appended to: %s", journal.path, exc)
            return
        self.journal_writable = append

    def _folded_seq(self) -> int:
        """The last journal frame the account rows hold."""
        return int(self.get_meta("journal_seq") or 0)

    @staticmethod
    def _read_frames(journal: Journal, journal_id: str, after: int) -> list[_Frame]:
        """The frames of the journal file numbered above `after`, their entries as account rows."""
        return [(seq, [_journal_rows(entry) for entry in entries]) for seq, entries in journal.read(journal_id, after)]

    def _fold(self) -> None:
        """In a transaction just begun: write the rows of the journal's frames above the last one the
        state file holds, and the last one's sequence number (module docstring); the journal is emptied
        once that commits (`_committed`). The writer takes them from what it appended (the journal holds
        nothing else above its last fold), another process reads them from the journal. A frame another
        process folded meanwhile (it folds what it reads before its own commits) is skipped, so a frame
        never goes over a later commit of another process: when that happened, the writer reads the
        frames above it back from the journal (its merged rows cannot be split)."""
        journal = self._journal
        assert journal is not None
        self._folding = True  # the writer empties the journal at commit, even when another process folded it all
        folded = self._folded_seq()
        if journal.owned and self._appended.first > folded:  # (all of them: no other process folded any)
            self._write_frames(self._appended)
            return
        journal_id = self.get_meta("journal")
        if journal_id is not None:
            self._write_frames(_Unfolded(self._read_frames(journal, journal_id, folded)))

    def _write_frames(self, frames: _Unfolded) -> None:
        """Write the merged account rows of journal frames, in order, and the last frame's sequence
        number (in a transaction)."""
        if not frames.frames:
            return
        for account_id, merged in frames.pending:
            self._save_rows(self._conn, account_id, merged.rows())
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('journal_seq', ?)",
                           (str(frames.last),))

    def _fold_now(self) -> None:
        """Fold the pending frames in a transaction of their own (without waiting for another
        process: a failure is logged, they stay pending)."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._fold()
                self._conn.execute("COMMIT")
            except BaseException:
                self._folding = False
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._committed()
        except sqlite3.Error as exc:
            _log.warning("emulator account journal not folded: %s", exc)

    def abortable(self, rows: Iterable[_T]) -> Iterator[_T]:
        """`rows`, raising `StoreClosed` once the store is closing (for long bulk inserts)."""
        for n, row in enumerate(rows):
            if n % _ABORT_CHECK_ROWS == 0 and self._closing.is_set():
                raise StoreClosed("the store is closing")
            yield row

    def _begin(self) -> None:
        """Begin a write transaction (waiting for another process's lock), folding the account journal."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            if self._closing.is_set():
                raise StoreClosed("the store is closing")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            self._lock.release()  # wait without the connection: reads on it go on meanwhile
            try:
                self._closing.wait(_BUSY_POLL_S)
            finally:
                self._lock.acquire()
        self._begun()

    def _begun(self) -> None:
        """After BEGIN IMMEDIATE: fold the account journal's frames (rolled back when that fails)."""
        if self._journal is None or (self._journal.owned and not self._appended.frames):
            return  # (the writer folds only when it appended: another process folds what it reads)
        try:
            self._fold()
        except BaseException:
            self._folding = False
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction: committed when the outermost block exits without error, rolled back
        (nothing written) when it raises or when the commit itself fails. A block inside another is a
        savepoint: when it raises, only its own writes are undone and the outer block goes on."""
        with self._lock:
            if self.journaling:  # `claim`ed for a batch of account rows, which go to the journal
                raise sqlite3.OperationalError("a batch under claim writes account rows to the journal only")
            if self._grouped:
                self.begin_group()
            outer = self._depth == 0
            if outer:
                self._begin()  # holds the lock only while trying, not while waiting for another process
            else:
                self._conn.execute("SAVEPOINT inner")
            self._depth += 1
            try:
                yield self._conn
                if outer:
                    self._conn.execute("COMMIT")
                    self._committed()
                else:
                    self._conn.execute("RELEASE inner")
            except BaseException:
                if outer:
                    self._folding = False
                if outer and self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                elif not outer and self._conn.in_transaction:
                    self._conn.execute("ROLLBACK TO inner")
                    self._conn.execute("RELEASE inner")
                if self._income_written:
                    self._income_index = None  # it may hold rows the rollback removed
                raise
            finally:
                self._depth -= 1
                if outer:
                    self._income_written = False

    def begin_group(self) -> None:
        """In a group: begin its transaction now, if no write began it yet (for a state file this waits
        for the file's write lock, or raises as a write would); then what is written is part of it."""
        if self.journaling:  # a batch under `claim` (this thread's: the backend's lock is held), whose
            return  # account rows go to the journal
        with self._lock:
            if self._grouped and self._depth == 0:  # the group's transaction, committed by `group`
                self._begin()
                self._depth = 1
            elif self._grouped and not self._conn.in_transaction:
                # SQLite rolled the whole group back on an earlier error (disk full, I/O error): the
                # group fails, and nothing may be committed on its own meanwhile.
                raise sqlite3.OperationalError("the group's transaction was rolled back by an earlier error")

    def claim(self) -> bool:
        """Without waiting, hold a state file for a `group` of account-row writes this thread runs
        next: the store's lock and, with an account journal this process writes, nothing more (the
        group's rows are appended there: module docstring), else the file's write lock (the group's
        transaction begun). False, holding nothing, when another thread or process holds what it
        needs, or a checkpoint is due (module docstring). `unclaim` after."""
        if self.path is None or not self._lock.acquire(False):
            return False
        if self._depth or self._closed \
                or self._conn.total_changes - self._checkpointed >= CHECKPOINT_OVERDUE * CHECKPOINT_ROWS:
            self._lock.release()
            return False
        if self.journal_writable:
            self.journaling = True
        else:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._begun()
            except (sqlite3.Error, OSError):  # locked by another process, or failing (reading the account
                # journal too): a group on the storage thread reports it
                self._lock.release()
                return False
            self._depth = 1  # the group's transaction, committed by `group`
        self._claimed = True
        return True

    def take_journal(self) -> bool:
        """Without waiting, hold the account journal this process writes for one change made at once on
        this thread, outside any group, its own frame (`append_settings`, `append_accounts`): the store's
        lock, nothing more. False, holding nothing, when there is no such journal, another thread holds
        the store, or a fold is overdue. `release_journal` after."""
        if not self.journal_writable or not self._lock.acquire(False):
            return False
        if self._depth or self._closed or self._appended.frames >= CHECKPOINT_OVERDUE * JOURNAL_FOLD_FRAMES:
            self._lock.release()
            return False
        self.journaling = True
        return True

    def release_journal(self) -> None:
        """Release what `take_journal` took."""
        self.journaling = False
        self._lock.release()

    def unclaim(self) -> None:
        """Release what `claim` took (rolling back a transaction no group committed)."""
        try:
            if self._depth and not self._grouped:
                self._depth = 0
                self._folding = False
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
        finally:
            self.journaling = False
            self._claimed = False
            self._lock.release()

    def want_checkpoint(self) -> bool:
        """True, once, when a checkpoint (or a fold of the account journal) is due: the caller then runs
        `checkpoint` on another thread. (Without the store's lock, which a long read may hold: False
        once the store is closing.)"""
        if self.path is None or self._checkpoint_asked or self._closed:
            return False
        try:
            if (self._conn.total_changes - self._checkpointed < CHECKPOINT_ROWS
                    and self._appended.frames < JOURNAL_FOLD_FRAMES):
                return False
        except sqlite3.ProgrammingError:  # closed meanwhile
            return False
        self._checkpoint_asked = True
        return True

    def checkpoint(self) -> None:
        """Fold the account journal, then copy the WAL into the database file (module docstring): first
        beside the commits, on a connection of its own (syncing the WAL, copying, syncing the file: the
        long part), then what they added meanwhile, with the store held."""
        with self._lock:
            if self._appended.frames and not self._closing.is_set():
                self._fold_now()
        try:
            helper = sqlite3.connect(self.path or ":memory:", isolation_level=None, timeout=0)
            try:
                helper.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                helper.close()
        except sqlite3.Error as exc:
            _log.warning("emulator state file checkpoint failed: %s", exc)
        with self._lock:
            if not self._closing.is_set():  # else the connection is closed, or about to be
                self._checkpoint()

    def _committed(self) -> None:
        """After a commit: the folded journal frames are no longer pending (the journal is emptied);
        unless made under `claim`, checkpoint when one is due (late, when another thread runs them)."""
        if self._folding:
            self._folding = False
            self._appended = _Unfolded()
            self.fold_due = False
            if self._journal is not None and self._journal.owned:
                try:
                    self._journal.clear()
                except OSError as exc:  # its frames are folded: a restart skips them
                    _log.warning("emulator account journal not emptied: %s", exc)
        if self.path is None or self._claimed:
            return
        due = CHECKPOINT_ROWS * (CHECKPOINT_OVERDUE if self.checkpoints_elsewhere else 1)
        if self._conn.total_changes - self._checkpointed >= due:
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the WAL into the database file, the store held (module docstring). The commits before
        are durable already: a failure here is logged, and the WAL is copied at the next checkpoint."""
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            _log.warning("emulator state file checkpoint failed: %s", exc)
        self._checkpointed = self._conn.total_changes
        self._checkpoint_asked = False

    def group(self) -> _Group:
        """Group commit: the transactions of this thread inside are savepoints of one transaction,
        begun by the first write (or by `claim`) and committed (one sync of a state file) when the block
        exits; when the block raises or the commit fails, all of it is rolled back. Other threads wait."""
        return _Group(self)

    def _end_group(self, ok: bool) -> None:
        """`group`'s end: commit (`ok`: the block exited cleanly) or roll back; rolled back too when
        the commit fails (which raises). The store's lock is still held."""
        if not ok:
            self._roll_back_group()
            return
        try:
            if self._depth:
                self._conn.execute("COMMIT")
                self._committed()
        except BaseException:
            self._roll_back_group()
            raise

    def append_accounts(self, rows: list[tuple[str, AccountRows]]) -> None:
        """The account rows of a batch under `claim` (`journaling`): one frame of the account journal,
        durable once this returns (raises `OSError`, nothing appended). An entry of the frame is
        [account id, header, symbols, [[symbol, side, position], ...], update time, replace] (JSON
        values; loops rather than comprehensions, which are calls of their own: a frame per batch)."""
        assert self._journal is not None and self.journaling
        entries = []
        for account_id, (header, symbols, positions, update_time, replace) in rows:
            legs = []
            for (symbol, side), state in positions.items():
                legs.append([symbol, side, state])
            entries.append([account_id, header, symbols, legs, update_time, replace])
        seq = self._seq + 1
        self._journal.append(self._journal_id, seq, entries)
        self._seq = seq
        appended = self._appended
        appended.add(seq, rows)
        if appended.frames >= JOURNAL_FOLD_FRAMES:
            self.fold_due = True

    def append_settings(self, account_id: str, symbol: str, row: dict[str, Any], update_time: int | None) -> None:
        """`append_accounts` of one account's rows that set one symbol's settings row and its update time
        (None: unchanged), without making the rows: the frame of a leverage change made at once."""
        assert self._journal is not None and self.journaling
        seq = self._seq + 1
        self._journal.append(self._journal_id, seq, [[account_id, None, {symbol: row}, [], update_time, False]])
        self._seq = seq
        appended = self._appended
        appended.add_settings(seq, account_id, symbol, row, update_time)
        if appended.frames >= JOURNAL_FOLD_FRAMES:
            self.fold_due = True

    def _roll_back_group(self) -> None:
        self._folding = False
        if self._depth and self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        if self._income_written:
            self._income_index = None  # it may hold rows the rollback removed

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """The connection to write with: part of the transaction under way on this thread, else a
        transaction of its own."""
        with self._lock:
            if self._depth:
                yield self._conn
                return
        with self.transaction() as c:
            yield c

    # -- meta, accounts, marks -------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A metadata value."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value."""
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def save_account(self, account_id: str, rows: AccountRows) -> None:
        """Write what changed of an account (upserts keep the rows' order, as the account's dicts do)."""
        with self._write() as c:
            self._save_rows(c, account_id, rows)

    @staticmethod
    def _save_rows(c: sqlite3.Connection, account_id: str, rows: AccountRows) -> None:
        """`save_account`'s statements, on `c`."""
        if rows.replace:
            for table in ("accounts", "account_symbols", "account_positions"):
                c.execute(f"DELETE FROM {table} WHERE account = ?", (account_id,))  # noqa: S608 - fixed names
        if rows.header is not None:
            c.execute("INSERT INTO accounts (account, state) VALUES (?, ?) "
                      "ON CONFLICT (account) DO UPDATE SET state = excluded.state",
                      (account_id, json.dumps(rows.header)))
        if rows.update_time is not None:
            c.execute("UPDATE accounts SET update_time = ? WHERE account = ?", (rows.update_time, account_id))
        for symbol, state in rows.symbols.items():
            if state is None:
                c.execute("DELETE FROM account_symbols WHERE account = ? AND symbol = ?", (account_id, symbol))
            else:
                c.execute("INSERT INTO account_symbols VALUES (?, ?, ?, ?) ON CONFLICT (account, symbol) "
                          "DO UPDATE SET leverage = excluded.leverage, margin_type = excluded.margin_type",
                          (account_id, symbol, state["leverage"], state["marginType"]))
        for (symbol, side), state in rows.positions.items():
            if state is None:
                c.execute("DELETE FROM account_positions WHERE account = ? AND symbol = ? AND side = ?",
                          (account_id, symbol, side))
            else:
                c.execute("INSERT INTO account_positions VALUES (?, ?, ?, ?) "
                          "ON CONFLICT (account, symbol, side) DO UPDATE SET state = excluded.state",
                          (account_id, symbol, side, json.dumps(state)))

    def load_accounts(self) -> list[dict[str, Any]]:
        """All stored account states, each as one dict (`Account.to_dict`'s shape). A state file
        written before settings and positions had rows of their own is converted on the way. The
        account journal's frames not folded yet (written by another process on the same file) are
        applied to them."""
        with self._lock:
            while True:
                snapshot = not self._conn.in_transaction
                if snapshot:
                    self._conn.execute("BEGIN")  # one snapshot of the rows and the journal frames they hold
                try:
                    folded = self._folded_seq()
                    accounts = [(r[0], json.loads(r[1]), r[2]) for r in
                                self._conn.execute("SELECT account, state, update_time FROM accounts ORDER BY rowid")]
                    symbols = self._conn.execute(
                        "SELECT account, symbol, leverage, margin_type FROM account_symbols ORDER BY rowid").fetchall()
                    positions = self._conn.execute(
                        "SELECT account, state FROM account_positions ORDER BY rowid").fetchall()
                    journal_id = self.get_meta("journal")
                finally:
                    if snapshot:
                        self._conn.execute("COMMIT")
                if self._journal is None or self._journal.owned or journal_id is None:
                    frames: list[_Frame] = []  # none, or folded when this store opened
                    break
                frames = self._read_frames(self._journal, journal_id, folded)
                if self._folded_seq() == folded:  # else the writer folded (and emptied) it meanwhile: again
                    break
        by_id: dict[str, dict[str, Any]] = {}
        for account_id, state, update_time in accounts:
            if update_time is not None:
                state["updateTime"] = update_time
            if "symbols" in state or "positions" in state:  # the older layout: one JSON document
                self.save_account(account_id, AccountRows(
                    {k: v for k, v in state.items() if k not in ("symbols", "positions")},
                    dict(state.get("symbols", {})),
                    {(p["symbol"], p.get("positionSide", "BOTH")): p for p in state.get("positions", [])},
                    replace=True))
            by_id[account_id] = {**state, "symbols": dict(state.get("symbols", {})),
                                 "positions": list(state.get("positions", []))}
        for account_id, symbol, leverage, margin_type in symbols:
            if account_id in by_id:
                by_id[account_id]["symbols"][symbol] = {"leverage": leverage, "marginType": margin_type}
        for account_id, state in positions:
            if account_id in by_id:
                by_id[account_id]["positions"].append(json.loads(state))
        for _, entries in frames:
            for account_id, rows in entries:
                _apply(by_id, account_id, rows)
        return list(by_id.values())

    def save_mark(self, symbol: str, price: str) -> None:
        """Store a mark price."""
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO marks (symbol, price) VALUES (?, ?)", (symbol, price))

    def load_marks(self) -> dict[str, str]:
        """All stored mark prices."""
        with self._lock:
            return dict(self._conn.execute("SELECT symbol, price FROM marks").fetchall())

    def clear(self) -> None:
        """Delete everything (admin reset)."""
        with self._write() as c:
            for table in ("accounts", "account_symbols", "account_positions", "marks", "income",
                          "margin_history", "downloads", "orders", "trades", "algo_orders"):
                c.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            # the account journal's id and last frame folded stay: its folded frames stay skipped
            c.execute("DELETE FROM meta WHERE key NOT IN ('journal', 'journal_seq')")
            self._income_written = True
            self._income_index = None

    # -- income --------------------------------------------------------------------------------
    def max_tran_id(self) -> int:
        """The highest tranId stored (0 when none)."""
        with self._lock:
            row = self._conn.execute("SELECT MAX(tran_id) FROM income").fetchone()
        return int(row[0] or 0)

    def add_income(self, rows: Sequence[IncomeRow]) -> None:
        """Insert income records (executemany; fast for bulk loads) and index them."""
        with self._write() as c:
            self._income_written = True
            before = self._max_income_rowid(c)
            c.executemany("INSERT INTO income VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.abortable(rows))
            if self._income_index is not None:
                if self._max_income_rowid(c) == before + len(rows):  # row ids before+1 .. before+len
                    self._income_index.add(before + 1, rows)
                else:
                    self._income_index = None

    @staticmethod
    def _max_income_rowid(c: sqlite3.Connection) -> int:
        return int(c.execute("SELECT MAX(rowid) FROM income").fetchone()[0] or 0)

    def _income(self) -> IncomeIndex:
        """The income index (built from the table when it is not in step)."""
        index = self._income_index
        if index is None:
            index = self._income_index = IncomeIndex.build(
                self._conn.execute("SELECT rowid, time, tran_id FROM income ORDER BY rowid"),
                self._conn.execute("SELECT rowid, account, symbol, income_type FROM income "
                                   "ORDER BY account, time, tran_id, rowid"))
        return index

    def query_income(self, selection: IncomeSelection) -> list[IncomeRow]:
        """The selected records: row ids from the income index, rows by rowid."""
        with self._lock:
            ids = self._selected_ids(selection)
            if not ids:
                return []
            rows = {r[0]: IncomeRow._make(r[1:]) for r in self._conn.execute(
                f"SELECT rowid, * FROM income WHERE rowid IN ({', '.join('?' * len(ids))})", ids)}  # noqa: S608
        return [rows[i] for i in ids]

    def query_income_json(self, selection: IncomeSelection, members: Sequence[tuple[str, str]]) -> str:
        """The records `query_income` returns, as the text of a JSON array of objects built by SQLite
        (`json_object`, no Python object per record): `members` are each object's (key, column) pairs
        in order. The index's row ids drive the join (CROSS JOIN: their order is the loop's order)."""
        columns = [column for _, column in members]
        if not set(columns) <= set(IncomeRow._fields):
            raise ValueError(f"not income columns: {sorted(set(columns) - set(IncomeRow._fields))}")
        pairs = ", ".join(f"?, {column}" for column in columns)
        sql = (f"SELECT count(*), group_concat(json_object({pairs}), ',') "  # noqa: S608 - columns checked above
               "FROM json_each(?) AS k CROSS JOIN income ON income.rowid = k.value")
        with self._lock:
            ids = self._selected_ids(selection)
            if not ids:
                return "[]"
            found, text = self._conn.execute(sql, (*(key for key, _ in members), str(ids))).fetchone()  # a JSON array
        if found != len(ids):
            raise LookupError(f"the income index names {len(ids) - found} row(s) the table does not hold")
        return f"[{text}]"

    def _selected_ids(self, s: IncomeSelection) -> list[int]:
        """The selected records' row ids, in answer order (under the lock)."""
        return self._income().select((s.account, s.symbol, s.income_type), s.start, s.end, s.offset, s.limit)

    def count_income(self, account: str) -> int:
        """How many income records the account has."""
        with self._lock:
            return self._income().count(account)

    def iter_income(self, account: str, start: int, end: int) -> Iterator[IncomeRow]:
        """All records of a window, ascending (for CSV exports)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM income WHERE account = ? AND time >= ? AND time <= ? ORDER BY time, tran_id",
                (account, start, end)).fetchall()
        return map(IncomeRow._make, rows)

    # -- margin history ----------------------------------------------------------------------------
    def add_margin_history(self, rows: Iterable[MarginRow]) -> None:
        """Insert position-margin change records."""
        with self._write() as c:
            c.executemany("INSERT INTO margin_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def query_margin_history(
        self, account: str, symbol: str, start: int, end: int, type_: int | None, limit: int
    ) -> list[MarginRow]:
        """Records of one symbol in [start, end], ascending by time."""
        sql = ("SELECT * FROM margin_history "
               "WHERE account = ? AND symbol = ? AND time >= ? AND time <= ?")
        args: list[Any] = [account, symbol, start, end]
        if type_ is not None:
            sql += " AND type = ?"
            args.append(type_)
        sql += " ORDER BY time, rowid LIMIT ?"
        args.append(limit)
        with self._lock:
            return list(map(MarginRow._make, self._conn.execute(sql, args)))

    # -- downloads and exported records ----------------------------------------------------------
    def add_download(self, download_id: str, row: DownloadRow) -> None:
        """Record a download request."""
        with self._write() as c:
            c.execute("INSERT INTO downloads VALUES (?, ?, ?, ?, ?, ?, ?)", (download_id, *row))

    def get_download(self, download_id: str) -> DownloadRow | None:
        """A download request by id."""
        with self._lock:
            row = self._conn.execute(
                "SELECT account, kind, start_time, end_time, created, ready_at FROM downloads "
                "WHERE download_id = ?", (download_id,)).fetchone()
        return None if row is None else DownloadRow._make(row)

    def count_downloads(self, account: str, kind: str, since: int) -> int:
        """Download requests of a kind made since `since` (monthly quota)."""
        with self._lock:
            return int(self._conn.execute(
                "SELECT COUNT(*) FROM downloads WHERE account = ? AND kind = ? AND created >= ?",
                (account, kind, since)).fetchone()[0])

    # -- orders, trades, algo orders ---------------------------------------------------------------
    def _max(self, sql: str, account: str) -> int:
        with self._lock:
            return int(self._conn.execute(sql, (account,)).fetchone()[0] or 0)

    def max_order_id(self, account: str) -> int:
        """The highest orderId of the account (0 when none)."""
        return self._max("SELECT MAX(order_id) FROM orders WHERE account = ?", account)

    def max_trade_id(self, account: str) -> int:
        """The highest trade id of the account (0 when none)."""
        return self._max("SELECT MAX(trade_id) FROM trades WHERE account = ?", account)

    def max_algo_id(self, account: str) -> int:
        """The highest algoId of the account (0 when none)."""
        return self._max("SELECT MAX(algo_id) FROM algo_orders WHERE account = ?", account)

    def put_orders(self, rows: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Insert or replace (account, order) rows (by orderId)."""
        with self._write() as c:
            c.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?)",
                          ((account, o["orderId"], o["symbol"], o["status"], o["time"], json.dumps(o))
                           for account, o in rows))

    def _select(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [json.loads(r[0]) for r in rows]

    def _take(self, sql: str, args: Sequence[Any], limit: int,
              keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """The first `limit` records of a query that `keep` accepts (read no further)."""
        out: list[dict[str, Any]] = []
        with self._lock:
            for (data,) in self._conn.execute(sql, args):
                record = json.loads(data)
                if keep(record):
                    out.append(record)
                    if len(out) == limit:
                        break
        return out

    def query_orders(self, account: str, symbol: str | None, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
        """Orders of these statuses by orderId (in one symbol, or in all)."""
        sql = (f"SELECT data FROM orders INDEXED BY orders_by_status "  # noqa: S608 - placeholders
               f"WHERE account = ? AND status IN ({', '.join('?' * len(statuses))})")
        args: list[Any] = [account, *statuses]
        if symbol is not None:
            sql += " AND symbol = ?"
            args.append(symbol)
        return self._select(sql + " ORDER BY order_id", args)

    def shown_orders(self, account: str, symbol: str, *, start: int, end: int, since: int, unfilled_since: int,
                     limit: int, keep: Callable[[dict[str, Any]], bool], from_id: int | None = None,
                     ) -> list[dict[str, Any]]:
        """allOrders: orders created at `since` or later, minus those closed unfilled before
        `unfilled_since`, that `keep` accepts: from `from_id` up the first `limit` by orderId, else the
        last `limit` of [start, end] (returned ascending)."""
        sql = (f"SELECT data FROM orders WHERE account = ? AND symbol = ? AND time >= ? "  # noqa: S608
               f"AND NOT {_HIDDEN_UNFILLED}")
        args: list[Any] = [account, symbol, since, unfilled_since]
        if from_id is not None:
            return self._take(sql + " AND order_id >= ? ORDER BY order_id", [*args, from_id], limit, keep)
        sql += " AND time >= ? AND time <= ? ORDER BY order_id DESC"
        return self._take(sql, [*args, start, end], limit, keep)[::-1]

    def forced_orders(self, account: str, symbol: str | None, kind: str | None, start: int, end: int,
                      limit: int) -> list[dict[str, Any]]:
        """forceOrders: the last `limit` liquidation (`kind` LIQUIDATION) and/or ADL orders of [start, end]
        by orderId, ascending."""
        forced = {"LIQUIDATION": _LIQUIDATION, "ADL": _ADL, None: _FORCED}[kind]
        sql = f"SELECT data FROM orders WHERE account = ? AND {forced} AND time >= ? AND time <= ?"  # noqa: S608
        args: list[Any] = [account, start, end]
        if symbol is not None:
            sql += " AND symbol = ?"
            args.append(symbol)
        return self._select(sql + " ORDER BY order_id DESC LIMIT ?", [*args, limit])[::-1]

    def export_orders(self, account: str, start: int, end: int) -> list[dict[str, Any]]:
        """Orders of [start, end] ascending by (time, orderId) (the download file)."""
        return self._select("SELECT data FROM orders WHERE account = ? AND time >= ? AND time <= ? "
                            "ORDER BY time, order_id", [account, start, end])

    def count_orders(self, account: str, symbol: str | None, statuses: tuple[str, ...]) -> int:
        """How many orders of these statuses (in one symbol, or in all)."""
        marks = ", ".join("?" * len(statuses))
        sql = f"SELECT COUNT(*) FROM orders INDEXED BY orders_by_status WHERE account = ? AND status IN ({marks})"  # noqa: S608
        args: list[Any] = [account, *statuses]
        if symbol is not None:
            sql += " AND symbol = ?"
            args.append(symbol)
        with self._lock:
            return int(self._conn.execute(sql, args).fetchone()[0])

    def put_trades(self, rows: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Insert or replace (account, trade) rows (by id)."""
        with self._write() as c:
            c.executemany("INSERT OR REPLACE INTO trades VALUES (?, ?, ?, ?, ?)",
                          ((account, t["id"], t["symbol"], t["time"], json.dumps(t)) for account, t in rows))

    def query_trades(self, account: str, symbol: str, order_id: int | None, *, limit: int,
                     from_id: int | None = None, start: int = 0, end: int = 0) -> list[dict[str, Any]]:
        """userTrades (of one order when `order_id` is given): from `from_id` up the first `limit` by id,
        else the last `limit` of [start, end] by (time, id), returned ascending."""
        sql = "SELECT data FROM trades WHERE account = ? AND symbol = ?"
        args: list[Any] = [account, symbol]
        if order_id is not None:  # an order's few trades, whatever the other trades of the symbol
            sql = f"SELECT data FROM trades INDEXED BY trades_by_order WHERE account = ? AND symbol = ? AND {_ORDER_ID} = ?"  # noqa: S608,E501
            args.append(order_id)
        if from_id is not None:
            return self._select(sql + " AND trade_id >= ? ORDER BY trade_id LIMIT ?", [*args, from_id, limit])
        sql += " AND time >= ? AND time <= ? ORDER BY time DESC, trade_id DESC LIMIT ?"
        return self._select(sql, [*args, start, end, limit])[::-1]

    def export_trades(self, account: str, start: int, end: int) -> list[dict[str, Any]]:
        """Trades of [start, end] ascending by (time, id) (the download file)."""
        return self._select("SELECT data FROM trades WHERE account = ? AND time >= ? AND time <= ? "
                            "ORDER BY time, trade_id", [account, start, end])

    def put_algo_orders(self, rows: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Insert or replace (account, algo order) rows (by algoId)."""
        with self._write() as c:
            c.executemany("INSERT OR REPLACE INTO algo_orders VALUES (?, ?, ?, ?, ?)",
                          ((account, a["algoId"], a["symbol"], a["algoStatus"], json.dumps(a)) for account, a in rows))

    def query_algo_orders(self, account: str, symbol: str | None, status: str) -> list[dict[str, Any]]:
        """Algo orders of a status by algoId (in one symbol, or in all)."""
        sql = "SELECT data FROM algo_orders INDEXED BY algo_orders_by_status WHERE account = ? AND status = ?"
        args: list[Any] = [account, status]
        if symbol is not None:
            sql += " AND symbol = ?"
            args.append(symbol)
        return self._select(sql + " ORDER BY algo_id", args)
