"""iter_margin_changes against the scripted exchange: 30-day windows, the 500-record page, identical
records sharing a millisecond at a page edge. Sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from binance_usdm import MarginChangeDirection
from binance_usdm.errors import BinanceError, ValidationError
from binance_usdm.models import MarginChange
from tests.history.conftest import Run
from tests.history.exchange import DAY_MS, Exchange
from tests.history.test_income import T0, at

MARGIN = "/fapi/v1/positionMargin/history"


def margin_rows(times: list[int], symbol: str = "BTCUSDT") -> list[dict[str, Any]]:
    """Margin changes at ``times``; records in one millisecond repeat (no ids, so only counting tells them apart)."""
    rows = [
        {"symbol": symbol, "type": 1 + (t % 2), "deltaType": "USER_ADJUST", "amount": f"{t % 5 + 1}.5",
         "asset": "USDT", "time": t, "positionSide": "BOTH"}
        for t in sorted(times)
    ]
    return rows


def as_wire(records: list[MarginChange]) -> list[tuple[Any, ...]]:
    return [(r.symbol, r.type.value, str(r.amount), r.time.to_ms()) for r in records]


def expected(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["symbol"], r["type"], r["amount"], r["time"]) for r in rows]


def test_identical_records_at_page_edges_are_all_yielded_once(run: Run, exchange: Exchange) -> None:
    times: list[int] = []
    t = T0
    for _ in range(3):  # 420 distinct milliseconds then 150 identical records: every edge cuts the tie
        times += range(t, t + 420)
        t += 420
        times += [t] * 150
        t += 1
    exchange.margin = margin_rows(times)
    got = run(lambda h: h.iter_margin_changes("BTCUSDT", at(T0), at(t)))
    assert as_wire(got) == expected(exchange.margin)
    assert all(c["limit"] == "500" for c in exchange.calls(MARGIN))


def test_seventy_days_take_three_windows_of_at_most_thirty_days(run: Run, exchange: Exchange) -> None:
    window = 30 * DAY_MS
    times = [T0 + k * window + d for k in range(3) for d in (-1, 0, 1) if k * window + d >= 0]
    times += [T0 + i * 3_600_000 for i in range(0, 70 * 24, 5)]
    exchange.margin = margin_rows([t for t in times if t <= T0 + 70 * DAY_MS])
    got = run(lambda h: h.iter_margin_changes("BTCUSDT", at(T0), at(T0 + 70 * DAY_MS)))
    assert as_wire(got) == expected(exchange.margin)
    windows = {(int(c["startTime"]), int(c["endTime"])) for c in exchange.calls(MARGIN)}
    assert all(high - low < window for low, high in windows)
    assert {high for _, high in windows} == {T0 + window - 1, T0 + 2 * window - 1, T0 + 70 * DAY_MS}


def test_type_and_symbol_filters(run: Run, exchange: Exchange) -> None:
    exchange.margin = margin_rows([T0 + i for i in range(20)]) + margin_rows([T0], "ETHUSDT")
    got = run(lambda h: h.iter_margin_changes("btcusdt", at(T0), at(T0 + 100), type=MarginChangeDirection.REDUCE))
    assert len(got) == 10 and {r.type for r in got} == {MarginChangeDirection.REDUCE}
    assert exchange.calls(MARGIN)[0]["type"] == "2"


def test_more_than_a_page_in_one_millisecond_is_an_error_not_a_gap(run: Run, exchange: Exchange) -> None:
    exchange.margin = margin_rows([T0] * 10 + [T0 + 1] * 600)
    with pytest.raises(BinanceError, match="share the millisecond"):
        run(lambda h: h.iter_margin_changes("BTCUSDT", at(T0), at(T0 + 10)))


def test_bad_arguments_fail_at_the_call(run: Run, exchange: Exchange) -> None:
    def call(h: Any) -> None:
        with pytest.raises(ValidationError):
            h.iter_margin_changes("BTCUSDT", at(T0), type=3)
        with pytest.raises(ValidationError):
            h.iter_margin_changes("BTCUSDT", at(T0), at(T0 - 1))

    run(call)
    assert exchange.requests == []
