"""Every query a history read sends to SQLite is answered from an index: each statement the store runs
for every documented filter combination of income, margin history, allOrders, userTrades, forceOrders,
open (algo) orders and the download files is checked with EXPLAIN QUERY PLAN, in memory and in a state
file; a full scan of a table (or of the account's whole part of an index) fails the test."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from binance_usdm.emulator.backend import DAY_MS, Backend, IncomeQuery
from binance_usdm.emulator.scenario import load_scenario, read_scenario
from binance_usdm.emulator.store import Store
from binance_usdm.emulator.views import INCOME_MEMBERS

#: The one scan allowed: of the row ids the income index hands to a JSON page (json_each of a parameter,
#: then each row by its rowid).
ROW_IDS = "SCAN k VIRTUAL TABLE"


def run_every_read(b: Backend) -> None:
    """Each read endpoint with each combination of its filters."""
    acc = b.account()
    a = acc.account_id
    now = b.clock.now_ms()
    for symbol, kind, start, end, page in itertools.product(
            (None, "BTCUSDT", "XRPUSDT"), (None, "FUNDING_FEE", "TRANSFER"), (None, now - 30 * DAY_MS),
            (None, now - DAY_MS), (1, 3)):
        b.query_income(acc, IncomeQuery(symbol, kind, start, end, 100, page))
        b.query_income_json(acc, IncomeQuery(symbol, kind, start, end, 100, page), INCOME_MEMBERS)
    for type_, start, end in itertools.product((None, 1, 2), (None, now - 10 * DAY_MS), (None, now)):
        b.query_margin_history(acc, "BTCUSDT", type_, start, end, 100)
    for symbol in ("BTCUSDT", "ETHUSDT"):
        b.orders.all_orders(a, symbol, None, None, None, 500)
        b.orders.all_orders(a, symbol, None, now - 3 * DAY_MS, now, 10)
        b.orders.all_orders(a, symbol, 1, None, None, 500)
        for order_id in (None, 1):
            b.orders.user_trades(a, symbol, order_id, None, None, None, 500)
            b.orders.user_trades(a, symbol, order_id, None, now - DAY_MS, None, 500)
            b.orders.user_trades(a, symbol, order_id, 1, None, None, 500)
    for symbol, kind in itertools.product((None, "ETHUSDT"), (None, "LIQUIDATION", "ADL")):
        b.orders.force_orders(a, symbol, kind, None, None, 50)
    b.orders.open_orders(a)
    b.orders.open_orders(a, "BTCUSDT")
    b.orders.open_order_count(a)
    b.orders.open_order_count(a, "BTCUSDT")
    b.orders.open_algo_orders(a, None, None, None)
    b.orders.open_algo_orders(a, "BTCUSDT", None, None)
    b.orders.export(a, "order", now - 90 * DAY_MS, now)
    b.orders.export(a, "trade", now - 90 * DAY_MS, now)
    list(b.store.iter_income(a, now - 90 * DAY_MS, now))


@pytest.mark.parametrize("where", ["memory", "state file"])
def test_no_history_read_scans(where: str, tmp_path: Path) -> None:
    store = Store(str(tmp_path / "state.db") if where == "state file" else None)
    b = Backend(store)
    load_scenario(b, read_scenario())
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    run_every_read(b)
    store._conn.set_trace_callback(None)
    selects = sorted({s for s in statements if s.startswith("SELECT")})
    assert len(selects) > 40
    for sql in selects:
        for _, _, _, step in store._conn.execute("EXPLAIN QUERY PLAN " + sql):
            if step.startswith(ROW_IDS) and "AS k CROSS JOIN income ON income.rowid = k.value" in sql:
                continue
            assert not step.startswith("SCAN"), (sql, step)
            assert step.startswith(("SEARCH", "USE TEMP B-TREE FOR ORDER BY")), (sql, step)
            # an index searched by account alone reads all of the account's records
            assert not step.endswith("(account=?)"), (sql, step)
    store.close()
