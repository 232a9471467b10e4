"""Income queries answered from the positional index (`income_index.py`) equal a plain filter over the
same records, for random records (ties in time and tranId, rare symbols, records older than those
already stored, several accounts) inserted in random batches, and random filters, windows and pages;
also after a rebuild from the state file and after a rolled-back write."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_usdm.emulator.backend import DAY_MS, Backend, IncomeQuery
from binance_usdm.emulator.clock import Clock
from binance_usdm.emulator.scenario import load_scenario, read_scenario
from binance_usdm.emulator.store import IncomeRow, IncomeSelection, Store

ACCOUNTS = ("a1", "a2")
SYMBOLS = ("BTCUSDT", "ETHUSDT", "", "XRPUSDT")
TYPES = ("FUNDING_FEE", "COMMISSION", "TRANSFER")

records = st.builds(
    lambda account, time, tran, symbol, kind, cents: IncomeRow(
        account, time, tran, symbol, kind, f"{cents / 100:.8f}", "USDT", kind, ""),
    st.sampled_from(ACCOUNTS), st.integers(0, 40), st.integers(1, 12), st.sampled_from(SYMBOLS),
    st.sampled_from(TYPES), st.integers(-10**6, 10**6))
batches = st.lists(st.lists(records, min_size=1, max_size=30), min_size=1, max_size=6)
Query = tuple[str, str | None, str | None, int, int, int, int]
queries = st.tuples(
    st.sampled_from(ACCOUNTS), st.sampled_from((None, *SYMBOLS)), st.sampled_from((None, *TYPES)),
    st.integers(-5, 45), st.integers(-5, 45), st.integers(1, 25), st.integers(0, 60))


def reference(stored: list[IncomeRow], q: Query) -> list[IncomeRow]:
    """The answer by definition: the account's records matching the filters, ascending by (time,
    tranId) and, for equal keys, in insertion order; `limit` of them from `offset`."""
    account, symbol, kind, start, end, limit, offset = q
    hits = [r for r in stored if r.account == account and symbol in (None, r.symbol)
            and kind in (None, r.income_type) and start <= r.time <= end]
    hits.sort(key=lambda r: (r.time, r.tran_id))
    return hits[offset:offset + limit]


def ask(store: Store, q: Query) -> list[IncomeRow]:
    account, symbol, kind, start, end, limit, offset = q
    return store.query_income(IncomeSelection(account, start, end, kind, symbol, limit, offset))


@settings(max_examples=100, deadline=None)
@given(batches, st.lists(queries, min_size=1, max_size=12))
def test_indexed_answers_equal_a_plain_filter(batches: list[list[IncomeRow]], qs: list[Query]) -> None:
    store = Store()
    stored: list[IncomeRow] = []
    for batch in batches:
        store.add_income(batch)
        stored += batch
        for q in qs:
            assert ask(store, q) == reference(stored, q)
    for account in ACCOUNTS:
        assert store.count_income(account) == sum(r.account == account for r in stored)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches, st.lists(queries, min_size=1, max_size=8))
def test_a_reopened_state_file_answers_the_same(tmp_path: Path, batches: list[list[IncomeRow]],
                                               qs: list[Query]) -> None:
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "state.db"
    store = Store(str(path))
    stored = [r for batch in batches for r in batch]
    for batch in batches:
        store.add_income(batch)
    live = [ask(store, q) for q in qs]
    store.close()
    reopened = Store(str(path))  # the index is rebuilt from the table
    assert [ask(reopened, q) for q in qs] == live == [reference(stored, q) for q in qs]
    reopened.close()


def test_a_rolled_back_write_leaves_no_row_in_the_index() -> None:
    store = Store()
    kept = [IncomeRow("a1", 10, 1, "BTCUSDT", "COMMISSION", "1", "USDT", "COMMISSION", "")]
    store.add_income(kept)
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as c:
        store.add_income([IncomeRow("a1", 5, 2, "BTCUSDT", "COMMISSION", "2", "USDT", "COMMISSION", "")])
        c.execute("INSERT INTO meta (key, value) VALUES (NULL, NULL)")  # fails: the change rolls back
    assert store.query_income(IncomeSelection("a1", 0, 100, None, None, 10, 0)) == kept
    # the row ids the rolled-back rows had are reused by the next write, which is found
    later = [IncomeRow("a1", 7, 3, "BTCUSDT", "FUNDING_FEE", "3", "USDT", "FUNDING_FEE", "")]
    store.add_income(later)
    assert store.query_income(IncomeSelection("a1", 0, 100, None, "BTCUSDT", 10, 0)) == later + kept
    assert store.count_income("a1") == 2


def test_clear_empties_the_index() -> None:
    store = Store()
    store.add_income([IncomeRow("a1", 10, 1, "BTCUSDT", "COMMISSION", "1", "USDT", "COMMISSION", "")])
    store.clear()
    assert store.query_income(IncomeSelection("a1", 0, 100, None, None, 10, 0)) == []
    assert store.count_income("a1") == 0
    row = IncomeRow("a1", 11, 2, "ETHUSDT", "TRANSFER", "5", "USDT", "TRANSFER", "")
    store.add_income([row])
    assert store.query_income(IncomeSelection("a1", 0, 100, "TRANSFER", "ETHUSDT", 10, 0)) == [row]


def test_every_write_path_reaches_the_index() -> None:
    """Scenario load, admin income, bulk generation, funding fees and a closed position's PnL and fee
    are all found by every filter, as the table itself lists them."""
    b = Backend(clock=Clock(frozen_at_ms=1_800_000_000_000))
    load_scenario(b, read_scenario())
    acc = b.account()
    b.add_income(acc, [{"incomeType": "TRANSFER", "income": "5", "symbol": "", "time": b.clock.now_ms() - DAY_MS}])
    b.generate_history(acc, ["XRPUSDT"], 3, "8h", 2)
    assert b.settle_funding() == 0
    b.clock.advance(2 * 86_400)  # funding times pass: FUNDING_FEE records of the open legs
    leg = next(iter(acc.open_positions()))
    b.close_position(b.account(), leg.symbol, leg.side)  # REALIZED_PNL and COMMISSION
    now = b.clock.now_ms()
    table = list(b.store.iter_income(acc.account_id, 0, now))  # SQL, ordered by (time, tranId)
    kinds = {r.income_type for r in table}
    assert {"TRANSFER", "FUNDING_FEE", "REALIZED_PNL", "COMMISSION"} <= kinds
    for symbol in (None, "XRPUSDT", leg.symbol):
        for kind in (None, *sorted(kinds)):
            expected = [r for r in table if symbol in (None, r.symbol) and kind in (None, r.income_type)
                        and now - 30 * DAY_MS <= r.time]
            got = [r for page in range(1, len(table) // 50 + 3)
                   for r in b.query_income(acc, IncomeQuery(symbol, kind, now - 30 * DAY_MS, now, 50, page))]
            assert got == expected, (symbol, kind)
