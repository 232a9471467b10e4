"""SQLite storage: account state, income and margin-change history, downloads, exported records.

One connection, in memory by default or a state file (WAL, `synchronous=FULL`) so that a change is
durable once `transaction()` returns: the server answers only after the commit, so an acknowledged
change survives a kill -9. History tables are indexed on (account, time, tranId) and
(account, incomeType, time, tranId), so a query reads only the rows of its window.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

IncomeRow = tuple[str, int, int, str, str, str, str, str, str]
"""(account, time, tranId, symbol, incomeType, income, asset, info, tradeId)."""

MarginRow = tuple[str, str, int, int, str, str, str, str]
"""(account, symbol, time, type, deltaType, amount, asset, positionSide)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS marks (symbol TEXT PRIMARY KEY, price TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS income (
    account TEXT NOT NULL, time INTEGER NOT NULL, tran_id INTEGER NOT NULL, symbol TEXT NOT NULL,
    income_type TEXT NOT NULL, income TEXT NOT NULL, asset TEXT NOT NULL, info TEXT NOT NULL,
    trade_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS income_by_time ON income (account, time, tran_id);
CREATE INDEX IF NOT EXISTS income_by_type ON income (account, income_type, time, tran_id);
CREATE TABLE IF NOT EXISTS margin_history (
    account TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL, type INTEGER NOT NULL,
    delta_type TEXT NOT NULL, amount TEXT NOT NULL, asset TEXT NOT NULL, position_side TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS margin_by_time ON margin_history (account, symbol, time);
CREATE TABLE IF NOT EXISTS downloads (
    download_id TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL, start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL, created INTEGER NOT NULL, ready_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS downloads_by_account ON downloads (account, kind, created);
CREATE TABLE IF NOT EXISTS records (
    account TEXT NOT NULL, kind TEXT NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_time ON records (account, kind, time);
"""


class Store:
    """Thread-safe wrapper around one SQLite connection."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A (re-entrant) transaction: committed when the outermost block exits without error."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    # -- meta, accounts, marks -------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A metadata value."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def save_account(self, account_id: str, state: dict[str, Any]) -> None:
        """Store an account's state."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO accounts (account, state) VALUES (?, ?)",
                      (account_id, json.dumps(state)))

    def load_accounts(self) -> list[dict[str, Any]]:
        """All stored account states."""
        with self._lock:
            rows = self._conn.execute("SELECT state FROM accounts ORDER BY rowid").fetchall()
        return [json.loads(r[0]) for r in rows]

    def save_mark(self, symbol: str, price: str) -> None:
        """Store a mark price."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO marks (symbol, price) VALUES (?, ?)", (symbol, price))

    def load_marks(self) -> dict[str, str]:
        """All stored mark prices."""
        with self._lock:
            return dict(self._conn.execute("SELECT symbol, price FROM marks").fetchall())

    def clear(self) -> None:
        """Delete everything (admin reset)."""
        with self.transaction() as c:
            for table in ("meta", "accounts", "marks", "income", "margin_history", "downloads", "records"):
                c.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    # -- income --------------------------------------------------------------------------------
    def max_tran_id(self) -> int:
        """The highest tranId stored (0 when none)."""
        with self._lock:
            row = self._conn.execute("SELECT MAX(tran_id) FROM income").fetchone()
        return int(row[0] or 0)

    def add_income(self, rows: Iterable[IncomeRow]) -> None:
        """Insert income records (executemany; fast for bulk loads)."""
        with self.transaction() as c:
            c.executemany("INSERT INTO income VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def query_income(
        self,
        account: str,
        start: int,
        end: int,
        income_type: str | None,
        symbol: str | None,
        limit: int,
        offset: int,
    ) -> list[tuple[Any, ...]]:
        """Records in [start, end] ascending by (time, tranId), through the index."""
        sql = ["SELECT symbol, income_type, income, asset, info, time, tran_id, trade_id FROM income",
               "WHERE account = ?"]
        args: list[Any] = [account]
        if income_type is not None:
            sql.append("AND income_type = ?")
            args.append(income_type)
        sql.append("AND time >= ? AND time <= ?")
        args += [start, end]
        if symbol is not None:
            sql.append("AND symbol = ?")
            args.append(symbol)
        sql.append("ORDER BY time, tran_id LIMIT ? OFFSET ?")
        args += [limit, offset]
        with self._lock:
            return self._conn.execute(" ".join(sql), args).fetchall()

    def count_income(self, account: str) -> int:
        """How many income records the account has."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM income WHERE account = ?", (account,))
                       .fetchone()[0])

    def iter_income(self, account: str, start: int, end: int) -> Iterator[tuple[Any, ...]]:
        """All records of a window, ascending (for CSV exports)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT time, tran_id, symbol, income_type, income, asset, info, trade_id FROM income "
                "WHERE account = ? AND time >= ? AND time <= ? ORDER BY time, tran_id",
                (account, start, end)).fetchall()
        yield from rows

    # -- margin history ----------------------------------------------------------------------------
    def add_margin_history(self, rows: Iterable[MarginRow]) -> None:
        """Insert position-margin change records."""
        with self.transaction() as c:
            c.executemany("INSERT INTO margin_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def query_margin_history(
        self, account: str, symbol: str, start: int, end: int, type_: int | None, limit: int
    ) -> list[tuple[Any, ...]]:
        """Records of one symbol in [start, end], ascending by time."""
        sql = ("SELECT symbol, type, delta_type, amount, asset, time, position_side FROM margin_history "
               "WHERE account = ? AND symbol = ? AND time >= ? AND time <= ?")
        args: list[Any] = [account, symbol, start, end]
        if type_ is not None:
            sql += " AND type = ?"
            args.append(type_)
        sql += " ORDER BY time, rowid LIMIT ?"
        args.append(limit)
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # -- downloads and exported records ----------------------------------------------------------
    def add_download(self, download_id: str, account: str, kind: str, start: int, end: int,
                     created: int, ready_at: int) -> None:
        """Record a download request."""
        with self.transaction() as c:
            c.execute("INSERT INTO downloads VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (download_id, account, kind, start, end, created, ready_at))

    def get_download(self, download_id: str) -> tuple[str, str, int, int, int, int] | None:
        """(account, kind, start, end, created, ready_at) of a download."""
        with self._lock:
            row = self._conn.execute(
                "SELECT account, kind, start_time, end_time, created, ready_at FROM downloads "
                "WHERE download_id = ?", (download_id,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), int(row[2]), int(row[3]),
                                         int(row[4]), int(row[5]))

    def count_downloads(self, account: str, kind: str, since: int) -> int:
        """Download requests of a kind made since `since` (monthly quota)."""
        with self._lock:
            return int(self._conn.execute(
                "SELECT COUNT(*) FROM downloads WHERE account = ? AND kind = ? AND created >= ?",
                (account, kind, since)).fetchone()[0])

    def add_records(self, account: str, kind: str, rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Store order/trade records (time, fields) for the download exports."""
        with self.transaction() as c:
            c.executemany("INSERT INTO records VALUES (?, ?, ?, ?)",
                          ((account, kind, t, json.dumps(d)) for t, d in rows))

    def query_records(self, account: str, kind: str, start: int, end: int) -> list[dict[str, Any]]:
        """Order/trade records of a window, ascending by time."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT data FROM records WHERE account = ? AND kind = ? AND time >= ? AND time <= ? "
                "ORDER BY time, rowid", (account, kind, start, end)).fetchall()
        return [json.loads(r[0]) for r in rows]
