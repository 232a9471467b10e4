"""`GET /fapi/v1/income` pages built by SQLite (`Store.query_income_json`, `views.verbatim_json`) are
byte for byte what msgspec makes of the same records, for every record kind, filter, window, `page=`
and `limit`, and for any text in the records (quotes, backslashes, control characters and non-ASCII
text take msgspec's path)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_usdm.emulator import EmulatorServer, views
from binance_usdm.emulator.backend import DAY_MS, Backend, IncomeQuery
from binance_usdm.emulator.clock import Clock
from binance_usdm.emulator.store import IncomeRow, IncomeSelection, Store

from .conftest import Client

#: The server's encoder of answers (emulator/server.py).
ENCODER = msgspec.json.Encoder(decimal_format="string")
ACCOUNTS = ("a1", "a2")
PLAIN = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"\\')


def encoded(rows: list[IncomeRow]) -> bytes:
    """The answer as the emulator encoded it before pages were built by SQLite."""
    return ENCODER.encode([{
        "symbol": r.symbol, "incomeType": r.income_type, "income": r.income, "asset": r.asset, "info": r.info,
        "time": r.time, "tranId": r.tran_id, "tradeId": r.trade_id,
    } for r in rows])


def page(store: Store, q: tuple[str, str | None, str | None, int, int, int, int]) -> bytes | None:
    account, symbol, kind, start, end, limit, offset = q
    selection = IncomeSelection(account, start, end, kind, symbol, limit, offset)
    raw = views.verbatim_json(store.query_income_json(selection, views.INCOME_MEMBERS))
    return None if raw is None else ENCODER.encode(raw)


texts = st.one_of(st.text(PLAIN, max_size=12), st.text(max_size=8), st.sampled_from(("", "BTCUSDT", "\x7f")))
records = st.builds(
    IncomeRow, st.sampled_from(ACCOUNTS), st.integers(0, 40), st.integers(-2**63, 2**63 - 1),
    st.sampled_from(("BTCUSDT", "", "ETHUSDT")), st.sampled_from(("FUNDING_FEE", "COMMISSION", "TRANSFER")),
    texts, texts, texts, texts)
queries = st.tuples(
    st.sampled_from(ACCOUNTS), st.sampled_from((None, "BTCUSDT", "", "ETHUSDT")),
    st.sampled_from((None, "FUNDING_FEE", "COMMISSION", "TRANSFER")), st.integers(-5, 45), st.integers(-5, 45),
    st.integers(1, 25), st.integers(0, 60))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(records, min_size=1, max_size=25), min_size=1, max_size=4),
       st.lists(queries, min_size=1, max_size=10))
def test_pages_built_by_sqlite_are_msgspecs_bytes(batches: list[list[IncomeRow]], qs: list[Any]) -> None:
    """Batches of older records after newer ones: row id order is not the answer's order."""
    store = Store()
    for batch in batches:
        store.add_income(batch)
    for q in qs:
        account, symbol, kind, start, end, limit, offset = q
        selection = IncomeSelection(account, start, end, kind, symbol, limit, offset)
        rows = store.query_income(selection)
        text = store.query_income_json(selection, views.INCOME_MEMBERS)
        assert json.loads(text) == json.loads(encoded(rows))
        fast = page(store, q)
        assert fast is None or fast == encoded(rows)
        if all(set(value) <= set(PLAIN) for r in rows for value in (r.symbol, r.income, r.asset, r.info, r.trade_id)):
            assert fast is not None  # plain text is never left to the slower path


def test_every_character_takes_the_exact_path() -> None:
    """One record per code point in `info` (the Basic Multilingual Plane's first 8,192 and the edges
    above): each page of one record is sent verbatim only when that is msgspec's text, and it is for
    every plain character."""
    chars = [chr(c) for c in (*range(0x2000), 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF)]
    store = Store()
    store.add_income([IncomeRow("a1", 1, n, "BTCUSDT", "TRANSFER", "1", "USDT", ch, "") for n, ch in enumerate(chars)])
    for offset, ch in enumerate(chars):
        fast = page(store, ("a1", None, None, 0, 2, 1, offset))
        rows = store.query_income(IncomeSelection("a1", 0, 2, None, None, 1, offset))
        assert fast is None or fast == encoded(rows), hex(ord(ch))
        assert fast is not None or ch not in PLAIN


def test_the_endpoint_answers_todays_bytes_for_every_kind_filter_and_page() -> None:
    """Scenario, bulk history, funding fees, closed positions and odd admin texts, through HTTP."""
    with EmulatorServer(clock=Clock(frozen_at_ms=1_800_000_000_000), weight_limit=10**9) as emu:
        b: Backend = emu.backend
        acc = b.account()
        now = b.clock.now_ms()
        b.add_income(acc, [{"incomeType": "TRANSFER", "income": "5", "symbol": "", "time": now - DAY_MS,
                            "info": info} for info in ('say "hi"', "back\\slash", "tab\t", "π", "plain")])
        b.generate_history(acc, ["XRPUSDT"], 3, "8h", 2)
        b.clock.advance(2 * 86_400)
        leg = next(iter(acc.open_positions()))
        b.close_position(b.account(), leg.symbol, leg.side)
        client = Client(emu.base_url, emu.api_key, b.clock.now_ms, secret=emu.api_secret)
        kinds = sorted({r.income_type for r in b.store.iter_income(acc.account_id, 0, b.clock.now_ms())})
        assert {"TRANSFER", "FUNDING_FEE", "REALIZED_PNL", "COMMISSION"} <= set(kinds)
        start = b.clock.now_ms() - 30 * DAY_MS
        for symbol in (None, "XRPUSDT", leg.symbol):
            for kind in (None, *kinds):
                for limit, pages in ((None, 1), (1000, 1), (7, 4), (1, 2)):
                    for number in range(1, pages + 1):
                        params = {"symbol": symbol, "incomeType": kind, "startTime": start, "limit": limit,
                                  "page": number if pages > 1 else None, "timestamp": b.clock.now_ms()}
                        query = urlencode({k: v for k, v in params.items() if v is not None})
                        client.conn.request("GET", f"/fapi/v1/income?{query}&signature={client.sign(query)}",
                                            headers={"X-MBX-APIKEY": emu.api_key})
                        answer = client.conn.getresponse()
                        body = answer.read()
                        assert answer.status == 200, body
                        rows = b.query_income(acc, IncomeQuery(symbol, kind, start, None, limit or 100, number))
                        assert body == encoded(rows), (symbol, kind, limit, number)
        client.close()


def test_only_text_without_escapes_or_non_ascii_is_sent_verbatim() -> None:
    """Whatever another SQLite version escapes (or not) is left to msgspec."""
    assert views.verbatim_json('[{"info":"a/b ~"}]') == msgspec.Raw(b'[{"info":"a/b ~"}]')
    assert views.verbatim_json("[]") == msgspec.Raw(b"[]")
    for escaped in ('[{"info":"\\u00e9"}]', '[{"info":"\\/"}]', '[{"info":"\\""}]', '[{"info":"é"}]'):
        assert views.verbatim_json(escaped) is None


def test_members_name_only_income_columns() -> None:
    """The columns are written into the SQL: anything but the table's own is refused."""
    store = Store()
    with pytest.raises(ValueError, match="not income columns"):
        store.query_income_json(IncomeSelection("a1", 0, 1, None, None, 10, 0),
                                [("time", "time"), ("x", "1); DROP TABLE income; --")])


def test_a_row_missing_from_the_table_is_an_error_not_a_shorter_page() -> None:
    store = Store()
    store.add_income([IncomeRow("a1", t, t, "BTCUSDT", "TRANSFER", "1", "USDT", "", "") for t in range(1, 4)])
    store._conn.execute("DELETE FROM income WHERE tran_id = 2")  # behind the index's back
    with pytest.raises(LookupError, match="1 row"):
        store.query_income_json(IncomeSelection("a1", 0, 9, None, None, 10, 0), views.INCOME_MEMBERS)
