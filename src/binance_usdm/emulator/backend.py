"""The exchange: accounts and their rules, history, listen keys and downloads. No HTTP here.

Every mutating method validates against Binance's rules (raising a `Rejection` from the `errors`
catalogue) and prepares its effects in a `Change` (a change of settings alone excepted: below): drafts
(copies) of the accounts it touches, the mark prices it sets and the history rows it adds. Nothing of
it is visible until `Backend._commit`, the commit point of such a mutation, has written all of it to
the store in one transaction; only then are the drafts installed in memory and the state version
bumped (which retires every cached answer). When saving fails, the method raises `CommitFailed` and
leaves no trace: memory, history rows and cached answers stay as they were. So the server
acknowledges only durable changes, and a reader always sees a committed state (accounts are replaced,
never changed in place, once committed).
An in-memory store gets no account rows or mark prices (they are read from a store only at start, so
in memory they live in the backend alone); history rows, orders and metadata go to every store.
A change of settings alone (leverage, margin type, feeBurn) is lighter: its rule validates on the
committed state (under the lock), and its `Account.settings_draft` replaces the account at
`Backend._replace`, a commit point of its own (the same saving, installing and version bump as
`_commit`'s, without a `Change`). A change's domain events (`events.py`) are published right after
its commit point, still under the backend lock, so subscribers see the state just after that change;
they are made only while someone subscribes (`Publisher.listening`).

Group commit (`Backend.group`): the changes made inside one group share one durable transaction (one
fsync for a state file). Each change is still whole or nothing (a savepoint: a failed save undoes
that change alone, `CommitFailed`), and is installed in memory at its commit point so the next change
of the group builds on it; but it is durable only when the group commits. The account rows and mark
prices of a group's changes are written once, just before that commit: each account the group moved
is diffed against its state before the group (a change that touches nothing else, a leverage change,
costs no SQL of its own). `applied` and `durable`
count installed and durable changes: whoever shows state to the outside waits while they differ
(the server holds such answers until the group is durable). The group's events are published after
its commit; when the group's commit fails, the memory state from before the group is restored and
its events are dropped (`CommitFailed`).
The same methods serve the admin API and in-process tests.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal, getcontext, localcontext, setcontext
from typing import Any, TypeVar

from . import errors as e
from . import events, margin
from .accounts import DEFAULT_SETTINGS, Account, Credential, Position, SymbolSettings, settings_dict, symbol_settings
from .clock import Clock
from .downloads import Downloads
from .listenkeys import ListenKeys
from .market import (
    DEFAULT_FUNDING_RATE,
    DEFAULT_MARK_PRICES,
    DEFAULT_SYMBOLS,
    FUNDING_INTERVAL_MS,
    MARGIN_ASSET_PRICE_SYMBOL,
    SymbolInfo,
)
from .orders import OrderBook, check_limit, trade_row
from .params import MAX_LONG
from .snapshot import account_snapshot, max_notional
from .store import IncomeRow, IncomeSelection, MarginRow, Store

#: `Backend._replace`'s marks and events when it has none.
_NO_MARKS: Mapping[str, Decimal] = {}
_NO_EVENTS: tuple[events.DomainEvent, ...] = ()
_V = TypeVar("_V")


class CommitFailed(Exception):
    """Saving a change failed (disk full, I/O error, state file locked...): nothing of it was applied."""


class Rows:
    """What a change adds besides account state and mark prices: history rows and metadata."""

    __slots__ = ("algo_orders", "income", "margin", "meta", "orders", "trades")

    def __init__(self) -> None:
        self.income: list[IncomeRow] = []
        self.margin: list[MarginRow] = []
        #: (account id, order / trade / algo order) rows to insert or replace (`orders.py` shapes).
        self.orders: list[tuple[str, dict[str, Any]]] = []
        self.trades: list[tuple[str, dict[str, Any]]] = []
        self.algo_orders: list[tuple[str, dict[str, Any]]] = []
        self.meta: dict[str, str] = {}

    def __bool__(self) -> bool:
        return bool(self.income or self.margin or self.orders or self.trades or self.algo_orders or self.meta)


class Change:
    """The effects of one mutation, prepared before the commit: nothing here is visible to readers;
    and the mutation's scope (`Backend._change`, a context manager): the backend lock, `margin.CONTEXT`
    (the backend's own copy, `Backend._batch_context`, set on this thread unless the group this runs in
    set it already), the change committed on a clean exit, undone (no commit, the tranId counter
    restored) on any exception.

    `account(acc)` gives the mutation its own copy of an account's committed state to change. (A
    plain class, one object per mutation rather than a generator-based context manager and a change:
    most write requests make one, and a dataclass's default factories cost more; the history rows,
    which most changes do not add, are made on first use: `history()`.)
    """

    __slots__ = ("_backend", "_context", "_tran_id", "accounts", "committed", "events", "marks", "rows")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.accounts: dict[str, Account] = {}
        self.marks: dict[str, Decimal] = {}
        #: Published once the change is committed.
        self.events: list[events.DomainEvent] = []
        #: The committed accounts the drafts are copied from.
        self.committed: Mapping[str, Account] = backend.accounts
        #: History rows and metadata, once `history()` made them.
        self.rows: Rows | None = None

    def __enter__(self) -> Change:
        backend = self._backend
        backend.lock.acquire()
        outer = getcontext()
        if outer is backend._batch_context:  # the group or sequence this runs in set it
            self._context = None
        else:
            setcontext(backend._batch_context)
            self._context = outer
        self._tran_id = backend._tran_id
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        backend = self._backend
        try:
            if kind is not None:
                backend._tran_id = self._tran_id
                return
            try:
                backend._commit(self)
            except BaseException:
                backend._tran_id = self._tran_id
                raise
        finally:
            if self._context is not None:
                setcontext(self._context)
            backend.lock.release()

    def history(self) -> Rows:
        """The history rows and metadata this change adds (made on first use)."""
        rows = self.rows
        if rows is None:
            rows = self.rows = Rows()
        return rows

    def account(self, acc: Account) -> Account:
        """This change's draft of `acc` (a copy of its committed state, made on first use)."""
        account_id = acc.account_id
        draft = self.accounts.get(account_id)
        if draft is None:
            draft = self.accounts[account_id] = self.committed.get(account_id, acc).draft()
        return draft


class _Sequence:
    """Changes run one after another, each committed and published at its own commit point, under the
    backend lock and in `margin.CONTEXT` (the backend's own copy of it, which their `Change`s then
    share): `Backend.group` for in-memory account-only changes (those that found the lock held when
    they arrived: the others run at once, `HttpProtocol.on_message_complete`). A class, and a context
    set rather than a `localcontext` copied per batch. `claimed`: made by `Backend.claim`, the lock held
    already (released at the end, as always)."""

    __slots__ = ("_backend", "_claimed", "_outer")

    def __init__(self, backend: Backend, claimed: bool = False) -> None:
        self._backend = backend
        self._claimed = claimed

    def __enter__(self) -> None:
        backend = self._backend
        if not self._claimed:
            backend.lock.acquire()
        self._outer = getcontext()
        setcontext(backend._batch_context)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        backend = self._backend
        setcontext(self._outer)
        backend.lock.release()


class _Group:
    """`Backend.group`'s block (a class rather than a generator-based context manager: one per write
    batch). Under the backend lock: inside a group already, part of it; else the changes inside share
    one `Store.group` and the backend's batch decimal context, and on a clean exit their account rows
    and marks are written and committed, then their events published; when the block raises or the
    commit fails, memory is restored to its state before the group and the events dropped (a failed
    commit raises `CommitFailed`). Under this thread's `claim` of a store with an account journal
    (`Store.journaling`) there is no SQLite transaction: the account rows are appended to the journal
    as one frame (`Store.append_accounts`), which is the commit. `claimed`: made by `Backend.claim`, which
    holds the lock and the store's claim already; the group's end releases both."""

    __slots__ = ("_backend", "_before", "_claimed", "_journaled", "_nested", "_outer", "_store_group")

    def __init__(self, backend: Backend, claimed: bool = False) -> None:
        self._backend = backend
        self._claimed = claimed

    def __enter__(self) -> None:
        backend = self._backend
        if not self._claimed:
            backend.lock.acquire()
        self._nested = backend._group_events is not None
        if self._nested:
            return
        self._before = (backend.marks, backend._tran_id, backend.funding_through)
        self._journaled = backend.store.journaling  # (the store's claim is this thread's: the lock is held)
        if not self._journaled:
            try:
                self._store_group = backend.store.group()
                self._store_group.__enter__()
            except BaseException:
                self._release()
                raise
        backend._group_events = []
        backend._replaced, backend._replaced_keys = {}, {}
        self._outer = getcontext()
        setcontext(backend._batch_context)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        backend = self._backend
        try:
            if self._nested:
                return
            error = exc
            try:
                if error is None:
                    backend._write_group_state(self._before[0], self._journaled)
            except BaseException as failed:
                error = failed
            finally:
                setcontext(self._outer)
            if not self._journaled:
                try:  # commits after a clean block (raising when the commit fails), else rolls back
                    self._store_group.__exit__(None if error is None else type(error), error, None)
                except BaseException as failed:
                    error = failed
            if error is not None:
                self._undo()
            backend.durable = backend.applied
            published, backend._group_events = backend._group_events, None
            backend._replaced = backend._replaced_keys = None
            if error is None:
                for event in published or ():
                    backend.events.publish(event)
                return
            if isinstance(error, (sqlite3.Error, OSError)):  # OSError: the store's account journal
                raise CommitFailed(f"{type(error).__name__}: {error}") from error
            if error is not exc:
                raise error
        finally:
            self._release()

    def _release(self) -> None:
        """The lock released, and the store's claim when `claimed` (`Store.unclaim`)."""
        backend = self._backend
        try:
            if self._claimed and backend.store.path is not None:
                backend.store.unclaim()
        finally:
            backend.lock.release()

    def _undo(self) -> None:
        """Memory back to its state before the group (what its changes replaced: `Backend._register`)."""
        backend = self._backend
        _put_back(backend.accounts, backend._replaced)
        _put_back(backend._by_key, backend._replaced_keys)
        backend.marks, backend._tran_id, backend.funding_through = self._before
        backend.version += 1  # retire the answers computed from what was undone


def _put_back(table: dict[str, _V], replaced: Mapping[str, _V | None] | None) -> None:
    """Give `table` back, one entry at a time and in place, the entries `replaced` recorded (None: there
    was none). Requests are checked on the event loop without the backend's lock (the API key, the
    account) while a failed group is undone on the storage thread: no entry the two states share goes
    missing meanwhile."""
    for key, old in (replaced or {}).items():
        if old is None:
            table.pop(key, None)
        else:
            table[key] = old


DAY_MS = 24 * 3600 * 1000
INCOME_DEFAULT_WINDOW_MS = 7 * DAY_MS
#: Binance: "Income history only contains data for the last three months" (90 days here; the
#: default of `Backend(income_retention_ms=...)`).
INCOME_RETENTION_MS = 90 * DAY_MS
MARGIN_HISTORY_WINDOW_MS = 30 * DAY_MS

INCOME_TYPES = frozenset((
    "TRANSFER", "WELCOME_BONUS", "REALIZED_PNL", "FUNDING_FEE", "COMMISSION", "INSURANCE_CLEAR",
    "REFERRAL_KICKBACK", "COMMISSION_REBATE", "API_REBATE", "CONTEST_REWARD", "CROSS_COLLATERAL_TRANSFER",
    "OPTIONS_PREMIUM_FEE", "OPTIONS_SETTLE_PROFIT", "INTERNAL_TRANSFER", "AUTO_EXCHANGE",
    "DELIVERED_SETTELMENT", "COIN_SWAP_DEPOSIT", "COIN_SWAP_WITHDRAW", "POSITION_LIMIT_INCREASE_FEE",
    "STRATEGY_UMFUTURES_TRANSFER", "FEE_RETURN", "BFUSD_REWARD", "SPECIAL_FUNDING_FEE",
))
#: Generated trades are numbered from here (or after the account's last trade): Binance-sized ids,
#: clear of the small ids hand-written trades use (a trade with the same id would replace it).
FIRST_GENERATED_TRADE_ID = 1_000_000_000
GENERATE_INTERVALS = {"1h": 3600_000, "4h": 4 * 3600_000, "8h": 8 * 3600_000, "1d": DAY_MS}


#: One interval of one symbol of generated history: its trades (`trade_row` dicts, never changed once
#: made) and its income records as (time, symbol, incomeType, amount, amount text, asset, tradeId).
HistoryPart = tuple[list[dict[str, Any]], list[tuple[int, str, str, Decimal, str, str, str]]]
#: The last generated history of at most `KEEP_GENERATED_ROWS` income records, keyed by everything it
#: depends on: the demo scenario generates the same four weeks at every start and every admin reset
#: (a test run does that hundreds of times, ~6 ms each). tranIds are numbered at each use.
_GENERATED: dict[tuple[Any, ...], list[HistoryPart]] = {}
KEEP_GENERATED_ROWS = 10_000


def generated_rows(symbols: int, days: float, interval: str, trades_per_interval: int) -> int:
    """How many income records `generate_history` writes for these arguments (an upper bound)."""
    step = GENERATE_INTERVALS.get(interval)
    if step is None:
        raise e.INVALID_PARAMETER.reject(name="interval")
    return symbols * (int(days * DAY_MS) // step + 1) * (1 + 2 * trades_per_interval)


@dataclass(frozen=True, slots=True)
class IncomeQuery:
    """Validated `GET /fapi/v1/income` parameters."""

    symbol: str | None = None
    income_type: str | None = None
    start: int | None = None
    end: int | None = None
    limit: int = 100
    page: int = 1


class Backend:
    """State and rules of the emulated exchange."""

    def __init__(
        self,
        store: Store | None = None,
        clock: Clock | None = None,
        symbols: Mapping[str, SymbolInfo] | None = None,
        download_delay_ms: int = 3000,
        income_retention_ms: int = INCOME_RETENTION_MS,
    ) -> None:
        self.store = store or Store()
        self.clock = clock or Clock()
        self.symbols: dict[str, SymbolInfo] = dict(symbols or DEFAULT_SYMBOLS)
        self.marks: dict[str, Decimal] = dict(DEFAULT_MARK_PRICES)
        self.accounts: dict[str, Account] = {}
        self._by_key: dict[str, tuple[Account, Credential]] = {}
        #: The account and credential of an API key, or None (the dict's own `get`: no Python call per
        #: signed request; `_by_key` is only ever changed in place).
        self.lookup_key: Callable[[str], tuple[Account, Credential] | None] = self._by_key.get
        self.listen_keys = ListenKeys(self.clock)
        self.orders = OrderBook(self.store, self.clock)
        self.downloads = Downloads(self.store, self.clock, self.orders, download_delay_ms)
        #: How far back `GET /fapi/v1/income` reaches (Binance: three months).
        self.income_retention_ms = income_retention_ms
        self.lock = threading.RLock()
        #: Bumped by every commit (only there); answers computed from state can be reused while it stands.
        self.version = 0
        #: Committed changes as domain events (`events.py`), published while the lock is still held.
        self.events = events.Publisher()
        #: Changes installed in memory, and how many of them are durable (see `group`).
        self.applied = 0
        self.durable = 0
        self._group_events: list[events.DomainEvent] | None = None
        #: In a group (set with `_group_events`): the accounts and API keys its changes replaced, each with
        #: its entry before the group (None: there was none).
        self._replaced: dict[str, Account | None] | None = None
        self._replaced_keys: dict[str, tuple[Account, Credential] | None] | None = None
        #: The decimal context of changes, groups and `_Sequence`s (one at a time, under the lock: one
        #: copy of `margin.CONTEXT` serves them all; its flags are never read).
        self._batch_context = margin.CONTEXT.copy()
        self._tran_id = self.store.max_tran_id() or 9_689_322_391
        self._load_persisted()
        self.clock.subscribe(self.settle_funding)

    # -- loading and persistence -----------------------------------------------------------------
    def _load_persisted(self) -> None:
        now = self.clock.now_ms()
        for sym, price in self.store.load_marks().items():
            self.marks[sym] = Decimal(price)
        for state in self.store.load_accounts():
            self._register(Account.from_dict(state, now))
        charged = self.store.get_meta("funding_through")
        #: The last funding time charged (funding is charged for funding times after it).
        self.funding_through = int(charged) if charged is not None else now

    @property
    def seeded(self) -> bool:
        """True once a scenario has been loaded into this store."""
        return self.store.get_meta("seeded") == "1"

    def mark_seeded(self) -> None:
        """Remember that the store holds a seeded state (a restart must not re-seed)."""
        self.store.set_meta("seeded", "1")

    def _register(self, acc: Account) -> None:
        """Make `acc` its account's committed state; in a group, first remember the entries it replaces
        (`_replaced`: what a group undoes and writes costs what it changed, not the number of accounts)."""
        account_id = acc.account_id
        replaced, replaced_keys = self._replaced, self._replaced_keys
        before = self.accounts.get(account_id)
        if replaced is not None and account_id not in replaced:
            replaced[account_id] = before
        self.accounts[account_id] = acc
        if before is not None and before.credentials is not acc.credentials:  # (most changes share the list)
            kept = {cred.api_key for cred in acc.credentials}
            for cred in before.credentials:  # a key the account no longer has stops working
                key = cred.api_key
                if key not in kept and key in self._by_key:
                    if replaced_keys is not None and key not in replaced_keys:
                        replaced_keys[key] = self._by_key[key]
                    del self._by_key[key]
        for cred in acc.credentials:
            key = cred.api_key
            if replaced_keys is not None and key not in replaced_keys:
                replaced_keys[key] = self._by_key.get(key)
            self._by_key[key] = (acc, cred)

    def _change(self) -> Change:
        """One mutation: validate and prepare in the `Change`, then it is committed whole, or (on any
        exception, a `Rejection` or a failed save) not at all. Mutations run one at a time, computing
        under `margin.CONTEXT` whatever the calling thread's decimal context is."""
        return Change(self)

    def _commit(self, change: Change) -> None:
        """The commit point: write every effect in one transaction, then make it visible.

        Raises `CommitFailed` (the store rolled back; memory untouched) when saving fails."""
        try:
            # An in-memory store is never read back for account rows and marks; in a group they are
            # written once, when the group commits (`_write_group_state`).
            state = self.store.path is not None and self._group_events is None
            if self.store.path is not None and self._group_events is not None and (change.accounts or change.marks):
                self.store.begin_group()  # the write lock first: installed changes never wait for it
            if (state and (change.accounts or change.marks)) or change.rows:
                self._write(change, state)
        except sqlite3.Error as exc:
            raise CommitFailed(f"{type(exc).__name__}: {exc}") from exc
        self._install(change.accounts.values(), change.marks, change.events)

    def _install(self, accounts: Iterable[Account], marks: Mapping[str, Decimal],
                 published: Sequence[events.DomainEvent]) -> None:
        """A commit point's end, once its effects are saved: the accounts and marks made visible, the
        state version bumped, the events published (in a group: when the group commits)."""
        self.applied += 1  # before installing: a reader who sees the new state sees applied != durable
        if self._group_events is None or self.store.path is None:  # durable now (or never: in memory)
            self.durable = self.applied
        for acc in accounts:
            self._register(acc)
        if marks:
            self.marks = {**self.marks, **marks}
        self.version += 1
        if self._group_events is not None:
            self._group_events += published
            return
        for event in published:
            self.events.publish(event)

    def _replace(self, acc: Account, event: events.DomainEvent | None = None, symbol: str | None = None) -> None:
        """The commit point of a change of account settings alone (under the lock): `acc`, a
        `settings_draft` of the committed state whose settings the rule changed (`symbol`'s alone, when
        given), replaces its account. No `Change`: such a rule validates on the committed state, then
        makes its draft, and in memory (or in a group, which writes the account's rows when it commits)
        nothing is saved here; made at once on a state file (`Store.take_journal`), its rows are its own
        journal frame, appended before it is installed. `event`: its domain event, made only when
        someone listens (`Publisher.listening`)."""
        store = self.store
        if store.journaling and self._group_events is None:  # at once: its own frame
            old = self.accounts.get(acc.account_id)
            try:
                if symbol is None or old is None:
                    store.append_accounts([(acc.account_id, acc.rows_since(old))])
                else:  # what `rows_since` finds, without comparing every symbol
                    store.append_settings(acc.account_id, symbol, settings_dict(acc.settings[symbol]),
                                          None if acc.update_time == old.update_time else acc.update_time)
            except OSError as exc:
                raise CommitFailed(f"{type(exc).__name__}: {exc}") from exc
        elif store.path is not None and not store.journaling:  # (journaling: the group appends the rows)
            if self._group_events is None:  # alone on a state file: its own transaction
                with self._change() as change:
                    change.accounts[acc.account_id] = acc
                    if event is not None:
                        change.events.append(event)
                return
            try:
                store.begin_group()  # the write lock first: installed changes never wait for it
            except sqlite3.Error as exc:
                raise CommitFailed(f"{type(exc).__name__}: {exc}") from exc
        self._install((acc,), _NO_MARKS, _NO_EVENTS if event is None else (event,))

    def _write(self, change: Change, state: bool) -> None:
        """Write a change's effects in one transaction; account rows and marks only with `state` (a
        state file: they are loaded from it at start; in memory they live in memory only)."""
        with self.store.transaction():
            if state:
                for acc in change.accounts.values():
                    self.store.save_account(acc.account_id, acc.rows_since(self.accounts.get(acc.account_id)))
                for symbol, price in change.marks.items():
                    self.store.save_mark(symbol, str(price))
            rows = change.rows
            if rows is None:
                return
            if rows.income:
                self.store.add_income(rows.income)
            if rows.margin:
                self.store.add_margin_history(rows.margin)
            if rows.orders:
                self.store.put_orders(rows.orders)
            if rows.trades:
                self.store.put_trades(rows.trades)
            if rows.algo_orders:
                self.store.put_algo_orders(rows.algo_orders)
            for key, value in rows.meta.items():
                self.store.set_meta(key, value)

    def group(self, *, account_only: bool = False) -> AbstractContextManager[None]:
        """Commit the changes made inside as one durable transaction (module docstring). Raises
        `CommitFailed` when that commit fails: memory is back to its state before the group.
        `account_only`: the changes inside change account state alone (`api.Route.account_only`); in
        memory such a change writes nothing to the store and is durable at its own commit point, so
        there is nothing to group, commit or undo: they run one after another (`_Sequence`)."""
        if account_only and self.store.path is None and self._group_events is None:
            return _Sequence(self)
        return _Group(self)

    def claim(self) -> AbstractContextManager[None] | None:
        """Without waiting: a `group(account_only=True)` for this thread that holds already what it needs,
        the backend's lock and, for a state file, the store (with its account journal, or the file's
        write lock: `Store.claim`); the block's end releases them (one object: the loop's batches take
        this way). None, holding nothing, when any of it is held elsewhere (the group must then run
        where it may wait)."""
        if not self.lock.acquire(False):
            return None
        if self.store.path is None:
            return _Sequence(self, True) if self._group_events is None else _Group(self, True)
        if not self.store.claim():
            self.lock.release()
            return None
        return _Group(self, True)

    def _write_group_state(self, marks: Mapping[str, Decimal], journaled: bool) -> None:
        """At a group's end, before its commit: the account rows and marks its changes moved, each
        diffed once against the state before the group (the state file holds that until now); with
        `journaled` the account rows are appended to the account journal, which is the commit (marks
        cannot be journaled: such a group fails). Only a state file keeps them (module docstring); a
        failure here fails the whole group."""
        store = self.store
        if store.path is None:
            return
        rows = []
        accounts = self.accounts
        for acc_id, old in (self._replaced or {}).items():  # (a loop: a comprehension is a call of its own)
            if (acc := accounts[acc_id]) is not old:
                rows.append((acc_id, acc.rows_since(old)))
        moved = {s: p for s, p in self.marks.items() if marks.get(s) is not p} if self.marks is not marks else {}
        if not rows and not moved:
            return
        if not journaled:
            store.begin_group()  # no savepoint of their own: a failure here fails the group anyway
        for symbol, price in moved.items():  # (refused under a journaling claim, before anything is appended)
            store.save_mark(symbol, str(price))
        if journaled:
            store.append_accounts(rows)
            return
        for account_id, account_rows in rows:
            store.save_account(account_id, account_rows)

    def save(self, acc: Account) -> None:
        """Commit `acc` as its account's state (after changing an `Account` object directly)."""
        with self._change() as change:
            change.accounts[acc.account_id] = acc

    def add_account(self, acc: Account) -> Account:
        """Add (or replace) an account and persist it. `ValueError` when one of its API keys belongs to
        another account."""
        for cred in acc.credentials:
            self._check_key_free(cred.api_key, acc.account_id)
        self.save(acc)
        return acc

    def add_credential(self, account_id: str, cred: Credential, *, only: bool = False) -> None:
        """Give an account another API key (HMAC secret or public key), or with `only` this key instead
        of those it had (which then stop working); `ValueError` when the key belongs to another account."""
        with self._change() as change:
            acc = change.account(self.account(account_id))
            self._check_key_free(cred.api_key, acc.account_id)
            kept = [] if only else [c for c in acc.credentials if c.api_key != cred.api_key]
            acc.credentials = [*kept, cred]

    def _check_key_free(self, api_key: str, account_id: str) -> None:
        """An API key names one account, as on Binance: `ValueError` (naming both accounts, not the key)
        when `api_key` belongs to another account than `account_id`."""
        hit = self._by_key.get(api_key)
        if hit is not None and hit[0].account_id != account_id:
            raise ValueError(f"an API key of account {account_id!r} already belongs to account "
                             f"{hit[0].account_id!r} (each key names one account)")

    def account(self, ref: str | None = None) -> Account:
        """An account by id, alias or API key; the first account when `ref` is None."""
        if ref is None:
            if not self.accounts:
                raise KeyError("no accounts")
            return next(iter(self.accounts.values()))
        if ref in self.accounts:
            return self.accounts[ref]
        hit = self._by_key.get(ref)
        if hit is not None:
            return hit[0]
        for acc in self.accounts.values():
            if acc.alias == ref:
                return acc
        raise KeyError(ref)

    def reset(self) -> None:
        """Forget all state (accounts, history, marks, listen keys)."""
        with self.lock:
            try:
                self.store.clear()
            except sqlite3.Error as exc:
                raise CommitFailed(f"{type(exc).__name__}: {exc}") from exc
            self.accounts.clear()
            self._by_key.clear()
            self.marks = dict(DEFAULT_MARK_PRICES)
            self.listen_keys.reset()
            self.funding_through = self.clock.now_ms()
            self.version += 1

    # -- reference data ----------------------------------------------------------------------------
    def symbol(self, name: str) -> SymbolInfo:
        """A known symbol, else -1121."""
        info = self.symbols.get(name)
        if info is None:
            raise e.BAD_SYMBOL.reject()
        return info

    def mark(self, symbol: str) -> Decimal:
        """The symbol's mark price."""
        return self.marks[symbol]

    def set_mark_price(self, symbol: str, price: Decimal) -> None:
        """Set a mark price (admin)."""
        self.symbol(symbol)
        with self._change() as change:
            change.marks[symbol] = price
            change.events.append(events.MarkChanged(self.clock.now_ms(), symbol))

    def max_notional(self, symbol: str, leverage: int) -> int:
        """The largest notional allowed at `leverage`: cap of the last bracket still allowing it."""
        return max_notional(self.symbol(symbol), leverage)

    # -- rules: settings ---------------------------------------------------------------------------
    def change_leverage(self, acc: Account, symbol: str, leverage: int) -> int:
        """POST /fapi/v1/leverage for a symbol by name (-1121 when unknown), now: `set_leverage`."""
        return self.set_leverage(acc, self.symbol(symbol), leverage, self.clock.now_ms())

    def set_leverage(self, acc: Account, info: SymbolInfo, leverage: int, now: int) -> int:
        """POST /fapi/v1/leverage for a known symbol at server time `now`; returns the maxNotionalValue
        at the new leverage. (A settings change: validated on the committed state, then `_replace`.)"""
        symbol = info.symbol
        with self.lock:
            acc = self.accounts.get(acc.account_id, acc)
            if leverage < 1 or leverage > info.max_leverage:
                raise e.INVALID_LEVERAGE.reject(leverage=leverage)
            settings = acc.settings.get(symbol) or DEFAULT_SETTINGS
            cap = info.caps[leverage]  # `max_notional` of a leverage the symbol allows
            legs = acc.open_positions(symbol)
            if legs:
                with localcontext(margin.CONTEXT):
                    self._check_leverage_of_legs(acc, info, legs, settings, leverage, cap)
            draft = acc.settings_draft(now)
            draft.settings[symbol] = symbol_settings(leverage, settings.isolated)
            self._replace(draft, events.LeverageChanged(acc.account_id, now, symbol, leverage)
                          if self.events.listening else None, symbol)
        return cap

    def _check_leverage_of_legs(self, acc: Account, info: SymbolInfo, legs: list[Position],
                                settings: SymbolSettings, leverage: int, cap: int) -> None:
        """`change_leverage`'s rules for a symbol the account holds legs in, with Binance's codes."""
        mark = self.mark(info.symbol)
        notional = sum((abs(p.amount) * mark for p in legs), margin.ZERO)
        if notional > 0 and notional >= cap:
            # -4028: the current position's notional bracket does not allow this leverage.
            raise e.INVALID_LEVERAGE.reject(leverage=leverage)
        if settings.isolated and leverage < settings.leverage:
            raise e.ISOLATED_LEVERAGE_REJECT_WITH_POSITION.reject()
        if not settings.isolated and leverage < settings.leverage:
            extra = notional / leverage - notional / settings.leverage
            if extra > self.cross_available(acc, info.margin_asset):
                raise e.MIN_LEVERAGE_RATIO.reject()

    def change_margin_type(self, acc: Account, symbol: str, isolated: bool) -> None:
        """POST /fapi/v1/marginType (a settings change: `_replace`)."""
        self.symbol(symbol)
        with self.lock:
            acc = self.accounts.get(acc.account_id, acc)
            settings = acc.settings.get(symbol) or DEFAULT_SETTINGS
            if settings.isolated == isolated:
                raise e.NO_NEED_TO_CHANGE_MARGIN_TYPE.reject()
            if isolated and acc.multi_assets:
                raise e.ISOLATED_UNDER_MULTI_ASSETS.reject()
            if self.orders.open_order_count(acc.account_id, symbol):
                raise e.THERE_EXISTS_OPEN_ORDERS.reject()
            if acc.open_positions(symbol):
                raise e.THERE_EXISTS_QUANTITY.reject()
            now = self.clock.now_ms()
            draft = acc.settings_draft(now)
            draft.settings[symbol] = symbol_settings(settings.leverage, isolated)
            self._replace(draft, events.MarginTypeChanged(acc.account_id, now, symbol)
                          if self.events.listening else None)

    def change_position_mode(self, acc: Account, dual: bool) -> None:
        """POST /fapi/v1/positionSide/dual."""
        with self._change() as change:
            acc = change.account(acc)
            if acc.dual_side == dual:
                raise e.NO_NEED_TO_CHANGE_POSITION_SIDE.reject()
            if self.orders.open_order_count(acc.account_id):
                raise e.POSITION_SIDE_CHANGE_EXISTS_OPEN_ORDERS.reject()
            if acc.open_positions():
                raise e.POSITION_SIDE_CHANGE_EXISTS_QUANTITY.reject()
            acc.dual_side = dual
            acc.positions = {}
            acc.update_time = self.clock.now_ms()

    def change_multi_assets(self, acc: Account, enabled: bool) -> None:
        """POST /fapi/v1/multiAssetsMargin."""
        with self._change() as change:
            acc = change.account(acc)
            if acc.multi_assets == enabled:
                raise e.MULTI_ASSETS_NO_NEED_TO_CHANGE.reject()
            if self.orders.open_order_count(acc.account_id):
                raise e.MULTI_ASSETS_WITH_OPEN_ORDERS.reject()
            if enabled:
                if any(s.isolated for s in acc.settings.values()):
                    raise e.MULTI_ASSETS_WITH_ISOLATED.reject()
                if any(v < 0 for a, v in acc.balances.items() if a in MARGIN_ASSET_PRICE_SYMBOL):
                    raise e.MULTI_ASSETS_NEGATIVE_BALANCE.reject()
            elif acc.open_positions() and self.cross_available(acc, "USDT", single_asset=True) <= 0:
                raise e.MULTI_ASSETS_INSUFFICIENT_MARGIN.reject()
            acc.multi_assets = enabled
            acc.update_time = self.clock.now_ms()
            change.events.append(events.MultiAssetsChanged(acc.account_id, acc.update_time, enabled))

    # -- rules: isolated position margin ---------------------------------------------------------
    def modify_position_margin(
        self, acc: Account, symbol: str, amount: Decimal, type_: int, side: str | None
    ) -> None:
        """POST /fapi/v1/positionMargin: move margin between the cross and the isolated wallet
        (type 1 adds, 2 reduces); every rule of the endpoint, with Binance's code, is here."""
        info = self.symbol(symbol)
        if amount.as_tuple().exponent < -8:  # type: ignore[operator]
            raise e.BAD_PRECISION.reject()
        if type_ not in (1, 2):
            raise e.INVALID_PARAMETER.reject(name="type")
        with self._change() as change:
            acc = change.account(acc)
            if side is None:
                side = "BOTH"
                if acc.dual_side:  # hedge mode requires LONG or SHORT
                    raise e.POSITION_SIDE_NOT_MATCH.reject()
            if side not in ("BOTH", "LONG", "SHORT"):
                raise e.INVALID_POSITION_SIDE.reject()
            if (side == "BOTH") == acc.dual_side:
                raise e.POSITION_SIDE_NOT_MATCH.reject()
            if amount <= 0:
                raise e.AMOUNT_MUST_BE_POSITIVE.reject()
            if not acc.setting(symbol).isolated:
                raise e.ADD_ISOLATED_MARGIN_REJECT.reject()
            pos = acc.positions.get((symbol, side))
            if pos is None or pos.amount == 0:
                raise e.NO_POSITION_MARGIN.reject()
            asset = info.margin_asset
            if type_ == 1:
                if amount > self.cross_available(acc, asset):
                    raise e.CROSS_BALANCE_INSUFFICIENT.reject()
                pos.isolated_wallet += amount
            else:
                mark = self.mark(symbol)
                need = margin.initial_margin(abs(pos.amount) * mark, acc.setting(symbol).leverage)
                upnl = margin.unrealized_pnl(pos.amount, pos.entry_price, mark)
                if amount > pos.isolated_wallet or pos.isolated_wallet - amount + upnl < need:
                    raise e.ISOLATED_BALANCE_INSUFFICIENT.reject()
                pos.isolated_wallet -= amount
            now = self.clock.now_ms()
            pos.update_time = now
            acc.update_time = now
            change.history().margin.append(MarginRow(acc.account_id, symbol, now, type_, "USER_ADJUST", f"{amount:f}",
                                                     asset, side))
            moved = amount if type_ == 1 else -amount
            change.events.append(events.IsolatedMarginMoved(acc.account_id, now, symbol, side, asset, moved))

    # -- margin figures used by the rules ------------------------------------------------------------
    def cross_available(self, acc: Account, asset: str, *, single_asset: bool = False) -> Decimal:
        """Available balance of `asset` (margin arithmetic in `margin`)."""
        snap = account_snapshot(acc, self.symbols, self.marks, force_single_asset=single_asset)
        fig = snap.assets.get(asset)
        return fig.available if fig is not None else Decimal(0)

    # -- history queries -----------------------------------------------------------------------------
    def query_income(self, acc: Account, q: IncomeQuery) -> list[IncomeRow]:
        """GET /fapi/v1/income: ascending (time, tranId), last 7 days by default, records of the
        retention period only (90 days unless configured); `limit` 1..1000, `page` from 1."""
        return self.store.query_income(self._income_selection(acc, q))

    def query_income_json(self, acc: Account, q: IncomeQuery, members: Sequence[tuple[str, str]]) -> str:
        """The records `query_income` returns as a JSON array's text (`Store.query_income_json`)."""
        return self.store.query_income_json(self._income_selection(acc, q), members)

    def _income_selection(self, acc: Account, q: IncomeQuery) -> IncomeSelection:
        """The records an income query asks for, its parameters checked as Binance checks them."""
        if q.symbol is not None:
            self.symbol(q.symbol)
        if q.income_type is not None and q.income_type not in INCOME_TYPES:
            raise e.INVALID_PARAMETER.reject(name="incomeType")
        limit = check_limit(q.limit, 100, 1000)
        if q.page < 1:
            raise e.INVALID_PARAMETER.reject(name="page")
        now = self.clock.now_ms()
        start, end = q.start, q.end
        if start is not None and end is not None and start > end:
            raise e.START_AFTER_END.reject()
        if start is None and end is None:
            start, end = now - INCOME_DEFAULT_WINDOW_MS, now
        elif start is None:
            assert end is not None
            start = end - INCOME_DEFAULT_WINDOW_MS
        elif end is None:
            end = now
        start = max(start, now - self.income_retention_ms)
        offset = min((q.page - 1) * limit, MAX_LONG)  # a page past the end is empty, whatever its number
        return IncomeSelection(acc.account_id, start, end, q.income_type, q.symbol, limit, offset)

    def query_margin_history(
        self, acc: Account, symbol: str, type_: int | None, start: int | None, end: int | None, limit: int | None
    ) -> list[MarginRow]:
        """GET /fapi/v1/positionMargin/history: not older than 30 days, window at most 30 days;
        `limit` default 500, larger values capped at 500."""
        self.symbol(symbol)
        if type_ is not None and type_ not in (1, 2):
            raise e.INVALID_PARAMETER.reject(name="type")
        if limit is not None and limit < 1:
            raise e.INVALID_PARAMETER.reject(name="limit")
        now = self.clock.now_ms()
        if end is None:
            end = now
        if start is None:
            start = end - MARGIN_HISTORY_WINDOW_MS
        if start > end:
            raise e.START_AFTER_END.reject()
        if end - start > MARGIN_HISTORY_WINDOW_MS:
            raise e.INVALID_TIME_INTERVAL.reject()
        start = max(start, now - MARGIN_HISTORY_WINDOW_MS)
        return self.store.query_margin_history(acc.account_id, symbol, start, end, type_, min(limit or 500, 500))

    # -- admin: positions, balances, history -------------------------------------------------------
    def set_position(
        self,
        acc: Account,
        symbol: str,
        amount: Decimal,
        entry_price: Decimal,
        side: str = "BOTH",
        isolated_wallet: Decimal | None = None,
    ) -> Position:
        """Open or replace a position leg; an isolated leg gets its initial margin as wallet by default."""
        self.symbol(symbol)
        with self._change() as change:
            acc = change.account(acc)
            if side not in ("BOTH", "LONG", "SHORT") or (side == "BOTH") == acc.dual_side:
                raise e.POSITION_SIDE_NOT_MATCH.reject()
            settings = acc.setting(symbol)
            if isolated_wallet is None:
                isolated_wallet = (
                    (abs(amount) * entry_price / settings.leverage).quantize(Decimal("0.00000001"))
                    if settings.isolated else Decimal(0)
                )
            now = self.clock.now_ms()
            pos = Position(symbol, side, amount, entry_price, isolated_wallet, now)
            acc.positions[(symbol, side)] = pos
            acc.update_time = now
            change.events.append(events.PositionAdjusted(acc.account_id, now, symbol, side))
        return pos

    def close_position(self, acc: Account, symbol: str, side: str = "BOTH") -> Decimal:
        """Close a leg at the mark price with a taker trade (in `GET /fapi/v1/userTrades`): its realized
        PnL and commission go to the wallet and to income, carrying the trade's id as `tradeId`."""
        with self._change() as change:
            acc = change.account(acc)
            pos = acc.positions.get((symbol, side))
            if pos is None or pos.amount == 0:
                raise ValueError(f"no {side} position in {symbol}")
            mark = self.mark(symbol)
            asset = self.symbol(symbol).margin_asset
            pnl = margin.unrealized_pnl(pos.amount, pos.entry_price, mark).quantize(Decimal("0.00000001"))
            fee = (abs(pos.amount) * mark * acc.taker_rate).quantize(Decimal("0.00000001"))
            now = self.clock.now_ms()
            trade_id = self.store.max_trade_id(acc.account_id) + 1
            close_side = "SELL" if pos.amount > 0 else "BUY"
            change.history().trades.append((acc.account_id, trade_row(
                buyer=close_side == "BUY", commission=str(fee), commission_asset=asset, trade_id=trade_id,
                maker=False, order_id=0, price=str(mark), qty=str(abs(pos.amount)),
                quote_qty=str(abs(pos.amount) * mark), realized_pnl=str(pnl), side=close_side,
                position_side=side, symbol=symbol, time=now)))
            self._stage_income(change, acc, [
                {"symbol": symbol, "incomeType": kind, "income": str(amount), "asset": asset, "time": now,
                 "tradeId": str(trade_id)}
                for kind, amount in (("REALIZED_PNL", pnl), ("COMMISSION", -fee)) if amount
            ], apply_to_wallet=True)
            del acc.positions[(symbol, side)]
            acc.update_time = now
            change.events.append(events.PositionAdjusted(acc.account_id, now, symbol, side, pnl))
        return pnl

    def set_balance(self, acc: Account, asset: str, amount: Decimal, reason: str | None = None) -> None:
        """Set a wallet balance (admin; no income record). The stream shows the change with `reason`
        (default DEPOSIT for an increase, WITHDRAW for a decrease; else one of `events.REASONS`)."""
        if reason is not None and reason not in events.REASONS:
            raise ValueError(f"reason must be one of Binance's ACCOUNT_UPDATE reasons, not {reason!r}")
        with self._change() as change:
            acc = change.account(acc)
            delta = amount - acc.balances.get(asset, Decimal(0))
            now = self.clock.now_ms()
            acc.balances[asset] = amount
            acc.balance_times[asset] = now
            reason = reason or ("WITHDRAW" if delta < 0 else "DEPOSIT")
            change.events.append(events.BalanceAdjusted(acc.account_id, now, asset, delta, reason))

    # -- funding -------------------------------------------------------------------------------------
    def funding_rate(self, symbol: str) -> Decimal:
        """The funding rate charged at each funding time (the `lastFundingRate` premiumIndex shows)."""
        return DEFAULT_FUNDING_RATE

    def settle_funding(self) -> int:
        """Charge every funding time the clock has passed since the last one charged; returns how many
        fees were charged.

        Binance charges funding every 8 hours, at 00:00, 08:00 and 16:00 UTC
        (https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031):
        each open leg pays (rate > 0: longs pay shorts) `positionAmt * markPrice * fundingRate`, recorded
        as a FUNDING_FEE income at the funding time. A cross leg's fee moves the wallet; an isolated
        leg's fee moves the wallet and that leg's isolated wallet.
        """
        now = self.clock.now_ms()
        charged = 0
        if (self.funding_through // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS > now:
            return 0  # nothing due: no lock taken (the stream hub asks every tick)
        with self.lock:
            due = (self.funding_through // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
            while due <= now:
                charged += self._charge_funding(due)
                due += FUNDING_INTERVAL_MS
        return charged

    def _charge_funding(self, time: int) -> int:
        """One funding time as one change: every open leg's fee and income record, and the funding
        time reached, committed together (a failed save charges nothing, so a retry cannot charge a
        leg twice); then one event per fee, in order."""
        with self._change() as change:
            for committed in list(self.accounts.values()):
                for pos in committed.open_positions():
                    info = self.symbols.get(pos.symbol)
                    if info is None:
                        continue
                    acc = change.account(committed)
                    leg = acc.positions[(pos.symbol, pos.side)]
                    fee = -(leg.amount * self.mark(pos.symbol) * self.funding_rate(pos.symbol)).quantize(
                        Decimal("0.00000001"))
                    isolated = acc.setting(pos.symbol).isolated
                    asset = info.margin_asset
                    acc.balances[asset] = acc.balances.get(asset, Decimal(0)) + fee
                    acc.balance_times[asset] = time
                    if isolated:
                        leg.isolated_wallet += fee
                    change.history().income.append(IncomeRow(acc.account_id, time, self.next_tran_id(), pos.symbol,
                                                             "FUNDING_FEE", f"{fee:.8f}", asset, "FUNDING_FEE", ""))
                    wallet = acc.balances[asset]
                    cross = wallet - sum((p.isolated_wallet for p in acc.open_positions()
                                          if acc.setting(p.symbol).isolated
                                          and self.symbol(p.symbol).margin_asset == asset), Decimal(0))
                    change.events.append(events.FundingCharged(acc.account_id, time, pos.symbol, pos.side, asset,
                                                               fee, isolated, wallet, cross))
            change.history().meta["funding_through"] = str(time)
        self.funding_through = time
        return len(change.events)

    def set_open_orders(self, acc: Account, symbol: str, count: int) -> None:
        """Make a symbol hold `count` open orders (placeholders; they drive -4047/-4067/-4170)."""
        self.symbol(symbol)
        with self._change() as change:
            change.history().orders += [(acc.account_id, o)
                                        for o in self.orders.open_count_orders(acc.account_id, symbol, count)]

    def set_fee_burn(self, acc: Account, enabled: bool) -> None:
        """POST /fapi/v1/feeBurn: the BNB fee discount on every symbol (a settings change: `_replace`)."""
        with self.lock:
            committed = self.accounts.get(acc.account_id, acc)
            draft = committed.settings_draft(committed.update_time)
            draft.fee_burn = enabled
            self._replace(draft)

    def set_trading_status(self, acc: Account, indicators: dict[str, list[dict[str, Any]]]) -> None:
        """Set the quantitative-rules indicators shown by apiTradingStatus."""
        with self._change() as change:
            acc = change.account(acc)
            acc.trading_indicators = indicators
            acc.indicators_time = self.clock.now_ms()

    def next_tran_id(self) -> int:
        """A fresh income tranId."""
        self._tran_id += 1
        return self._tran_id

    def _stage_income(
        self, change: Change, acc: Account, records: Iterable[Mapping[str, Any]], *, apply_to_wallet: bool
    ) -> None:
        """Add income rows to `change` (and their amounts to the draft's wallet when `apply_to_wallet`)."""
        now = self.clock.now_ms()
        rows = change.history()
        for r in records:
            income_type = str(r["incomeType"])
            amount = Decimal(str(r["income"]))
            asset = str(r.get("asset", "USDT"))
            rows.income.append(IncomeRow(
                acc.account_id, int(r.get("time", now)), int(r.get("tranId") or self.next_tran_id()),
                str(r.get("symbol", "")), income_type, f"{amount:.8f}", asset,
                str(r.get("info", income_type)), str(r.get("tradeId", "")),
            ))
            if apply_to_wallet:
                acc.balances[asset] = acc.balances.get(asset, Decimal(0)) + amount
                acc.balance_times[asset] = now

    def add_income(
        self, acc: Account, records: Iterable[Mapping[str, Any]], *, apply_to_wallet: bool = False
    ) -> int:
        """Append income records (fields as in the API answer; `time` defaults to now)."""
        with self._change() as change:
            self._stage_income(change, change.account(acc) if apply_to_wallet else acc, records,
                               apply_to_wallet=apply_to_wallet)
        return len(change.history().income)

    def add_margin_history(self, acc: Account, records: Iterable[Mapping[str, Any]]) -> int:
        """Append position-margin change records (fields as in the API answer)."""
        now = self.clock.now_ms()
        with self._change() as change:
            change.history().margin += [
                MarginRow(acc.account_id, str(r["symbol"]), int(r.get("time", now)), int(r["type"]),
                          str(r.get("deltaType", "USER_ADJUST")), str(r["amount"]), str(r.get("asset", "USDT")),
                          str(r.get("positionSide", "BOTH")))
                for r in records
            ]
        return len(change.history().margin)

    def add_orders(self, acc: Account, records: Sequence[Mapping[str, Any]]) -> int:
        """Add or replace orders (fields as `GET /fapi/v1/allOrders` answers them; `orders.order_record`)."""
        self._known_symbols(records)
        with self._change() as change:
            change.history().orders += [(acc.account_id, o) for o in self.orders.new_orders(acc.account_id, records)]
        return len(change.history().orders)

    def add_trades(self, acc: Account, records: Sequence[Mapping[str, Any]]) -> int:
        """Add trades (fields as `GET /fapi/v1/userTrades` answers them)."""
        self._known_symbols(records)
        with self._change() as change:
            change.history().trades += [(acc.account_id, t) for t in self.orders.new_trades(acc.account_id, records)]
        return len(change.history().trades)

    def add_algo_orders(self, acc: Account, records: Sequence[Mapping[str, Any]]) -> int:
        """Add algo (conditional) orders (fields as `GET /fapi/v1/openAlgoOrders` answers them)."""
        self._known_symbols(records)
        with self._change() as change:
            change.history().algo_orders += [(acc.account_id, a)
                                             for a in self.orders.new_algo_orders(acc.account_id, records)]
        return len(change.history().algo_orders)

    def _known_symbols(self, records: Sequence[Mapping[str, Any]]) -> None:
        for r in records:
            self.symbol(str(r.get("symbol")))

    def generate_history(
        self,
        acc: Account,
        symbols: Sequence[str],
        days: float,
        interval: str = "8h",
        trades_per_interval: int = 1,
        seed: int = 7,
        end_ms: int | None = None,
    ) -> int:
        """Bulk history: per symbol and interval a FUNDING_FEE, plus `trades_per_interval` taker trades
        (in `GET /fapi/v1/userTrades`), each giving a COMMISSION income (minus its commission) and a
        REALIZED_PNL income (its realized PnL) with the trade's id as `tradeId`, symbol and time, as on
        Binance, where an income's `tradeId` is the id of the trade that caused it
        (https://developers.binance.com/docs/zh-CN/derivatives/usds-margined-futures/account/rest-api/Get-Income-History).
        Deterministic for a seed. Income moves the wallet, so the net of the records is added to the
        account's balances (the wallet stays its transfers plus income). Returns the income record
        count. All or nothing, like every change."""
        step = GENERATE_INTERVALS.get(interval)
        if step is None:
            raise e.INVALID_PARAMETER.reject(name="interval")
        for s in symbols:
            self.symbol(s)
        end = end_ms if end_ms is not None else self.clock.now_ms()
        first = end - int(days * DAY_MS)
        first -= first % step
        account = acc.account_id
        with self._change() as change:
            draft = change.account(acc)
            trade_id = max(self.store.max_trade_id(account) + 1, FIRST_GENERATED_TRADE_ID)
            key = (tuple(symbols), first, (end - first) // step, step, trades_per_interval, seed, trade_id,
                   draft.taker_rate, tuple((self.mark(s), self.symbols[s]) for s in symbols))
            parts: Iterable[HistoryPart] | None = _GENERATED.get(key)
            if parts is None:
                parts = self._history(symbols, first, end, step, trades_per_interval, seed, draft.taker_rate, trade_id)
                if generated_rows(len(symbols), days, interval, trades_per_interval) <= KEEP_GENERATED_ROWS:
                    _GENERATED.clear()
                    parts = _GENERATED[key] = list(parts)
            rows = change.history()
            for trades, income in parts:
                rows.trades += [(account, trade) for trade in trades]
                for time, sym, kind, amount, text, asset, income_trade in income:
                    rows.income.append(IncomeRow(account, time, self.next_tran_id(), sym, kind, text, asset, kind,
                                                 income_trade))
                    draft.balances[asset] = draft.balances.get(asset, Decimal(0)) + amount
        return len(change.history().income)

    def _history(self, symbols: Sequence[str], first: int, end: int, step: int, trades_per_interval: int,
                 seed: int, taker_rate: Decimal, trade_id: int) -> Iterator[HistoryPart]:
        """`generate_history`'s trades and income records (without account and tranId), in order."""
        rng = random.Random(seed)
        t = first + step
        while t <= end:
            for sym in symbols:
                asset = self.symbols[sym].margin_asset
                trades = []
                rows = [(t, "FUNDING_FEE", Decimal(f"{rng.uniform(-2.5, 2.0):.8f}"), "")]
                for k in range(trades_per_interval):
                    trade_time = t - step + 1 + (k + 1) * (step // (trades_per_interval + 1))
                    trade = self._generated_trade(rng, sym, taker_rate, trade_time, trade_id)
                    trades.append(trade)
                    rows.append((trade_time, "COMMISSION", -Decimal(trade["commission"]), str(trade_id)))
                    rows.append((trade_time, "REALIZED_PNL", Decimal(trade["realizedPnl"]), str(trade_id)))
                    trade_id += 1
                yield trades, [(time, sym, kind, amount, f"{amount:.8f}", asset, income_trade)
                               for time, kind, amount, income_trade in rows if amount]
            t += step

    def _generated_trade(
        self, rng: random.Random, symbol: str, taker_rate: Decimal, time: int, trade_id: int
    ) -> dict[str, Any]:
        """One generated taker trade near the mark price: commission at the taker rate on its quote
        quantity, in the symbol's margin asset, rounded to 8 decimals like every income amount."""
        info = self.symbols[symbol]
        price = (self.mark(symbol) * Decimal(f"{rng.uniform(0.9, 1.1):.6f}")).quantize(Decimal(info.tick_size))
        qty = max((Decimal(f"{rng.uniform(200.0, 5000.0):.2f}") / price).quantize(Decimal(info.step_size)),
                  Decimal(info.min_qty))
        quote = price * qty
        side = rng.choice(("BUY", "SELL"))
        return trade_row(
            buyer=side == "BUY", commission=str((quote * taker_rate).quantize(Decimal("0.00000001"))),
            commission_asset=info.margin_asset, trade_id=trade_id, maker=False, order_id=0,
            price=str(price), qty=str(qty), quote_qty=str(quote), realized_pnl=f"{rng.uniform(-60.0, 75.0):.8f}",
            side=side, position_side="BOTH", symbol=symbol, time=time,
        )

    # -- downloads and listen keys -----------------------------------------------------------------
    def request_download(self, acc: Account, kind: str, start: int, end: int) -> str:
        """GET /fapi/v1/{kind}/asyn."""
        with self.lock:
            return self.downloads.request(acc.account_id, kind, start, end)

    def listen_key_keepalive(self, acc: Account, key: str | None) -> str:
        """PUT /fapi/v1/listenKey; -1125 for an unknown or expired key."""
        live = self.listen_keys.keepalive(acc.account_id, key)
        if live is None:
            raise e.NO_SUCH_LISTEN_KEY.reject()
        return live

    def listen_key_close(self, acc: Account, key: str | None) -> None:
        """DELETE /fapi/v1/listenKey; -1125 for an unknown or expired key."""
        with self.lock:
            live = self.listen_keys.key_of(acc.account_id)
            if live is None or not self.listen_keys.close(acc.account_id, key):
                raise e.NO_SUCH_LISTEN_KEY.reject()
            self.events.publish(events.ListenKeyClosed(acc.account_id, self.clock.now_ms(), live))
