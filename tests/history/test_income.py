"""iter_income against the scripted exchange: windows, page edges inside one millisecond, full
millisecond pages, filters, errors, the weight budget, laziness. Sync and async."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, IncomeType
from binance_usdm.errors import ClientRateLimitError, InvalidRequestError, ValidationError
from binance_usdm.models import IncomeRecord
from binance_usdm.models._base import UtcDateTime
from tests.history.conftest import API_KEY, API_SECRET, Run, runner
from tests.history.exchange import DAY_MS, Exchange, income_rows

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
INCOME = "/fapi/v1/income"


def at(ms: int) -> datetime:
    return UtcDateTime.from_ms(ms)


def keys(records: list[IncomeRecord]) -> list[tuple[int, str]]:
    return [(r.tran_id, r.income_type.value) for r in records]


def wire_keys(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(r["tranId"], r["incomeType"]) for r in rows]


def test_ties_straddling_page_edges_yield_every_record_once(run: Run, exchange: Exchange) -> None:
    times: list[int] = []
    t = T0
    for _ in range(4):  # 650 distinct milliseconds, then 400 records in one: every edge cuts a tie
        times += range(t, t + 650)
        t += 650
        times += [t] * 400
        t += 1
    exchange.income = income_rows(times)
    got = run(lambda h: h.iter_income(at(T0), at(t)))
    assert keys(got) == wire_keys(exchange.income)
    calls = exchange.calls(INCOME)
    assert all(c["limit"] == "1000" and "page" not in c for c in calls)
    assert len(calls) <= len(times) // 600 + 1  # each page re-reads at most its last tie


def test_full_page_inside_one_millisecond_uses_page_numbers(run: Run, exchange: Exchange) -> None:
    tied = T0 + 5_000
    times = [T0 + i for i in range(10)] + [tied] * 2_500 + [tied + 1 + i for i in range(10)]
    exchange.income = income_rows(times)
    got = run(lambda h: h.iter_income(at(T0), at(T0 + DAY_MS)))
    assert keys(got) == wire_keys(exchange.income)
    paged = [c for c in exchange.calls(INCOME) if "page" in c]
    assert [c["page"] for c in paged] == ["2", "3"]
    assert all(c["startTime"] == c["endTime"] == str(tied) for c in paged)


def test_exactly_full_millisecond_page_at_window_end(run: Run, exchange: Exchange) -> None:
    end = T0 + 100
    exchange.income = income_rows([T0] * 5 + [end] * 2_000 + [end + 1])
    got = run(lambda h: h.iter_income(at(T0), at(end)))
    assert keys(got) == wire_keys(exchange.income[:-1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.integers(0, 40), max_size=60),
    page_size=st.integers(1, 7),
    window_ms=st.integers(1, 50),
)
def test_any_layout_of_ties_pages_and_windows(
    exchange: Exchange, offsets: list[int], page_size: int, window_ms: int
) -> None:
    exchange.income = income_rows(T0 + o for o in offsets)
    run = runner("sync", exchange.base_url)
    got = run(lambda h: h.iter_income(at(T0), at(T0 + 40), page_size=page_size,
                                      window=timedelta(milliseconds=window_ms)))
    assert keys(got) == wire_keys(exchange.income)


def test_long_range_splits_into_contiguous_windows(run: Run, exchange: Exchange) -> None:
    window = 30 * DAY_MS
    edges = [T0 + k * window for k in range(4)]
    times = [e + d for e in edges for d in (-1, 0, 1)] + [T0 + i * 3_600_000 for i in range(0, 2_400, 7)]
    exchange.income = income_rows(t for t in times if T0 <= t <= T0 + 100 * DAY_MS)
    got = run(lambda h: h.iter_income(at(T0), at(T0 + 100 * DAY_MS)))
    assert keys(got) == wire_keys(exchange.income)
    ends = sorted({int(c["endTime"]) for c in exchange.calls(INCOME)})
    assert ends == [T0 + window - 1, T0 + 2 * window - 1, T0 + 3 * window - 1, T0 + 100 * DAY_MS]
    first_starts = sorted({min(int(c["startTime"]) for c in exchange.calls(INCOME)
                               if int(c["endTime"]) == e) for e in ends})
    assert first_starts == [T0, T0 + window, T0 + 2 * window, T0 + 3 * window]


def test_filters_go_on_the_wire(run: Run, exchange: Exchange) -> None:
    exchange.income = income_rows(T0 + i for i in range(30))
    got = run(lambda h: h.iter_income(at(T0), at(T0 + 60), symbol="btcusdt", income_type="funding_fee"))
    assert {r.income_type for r in got} == {IncomeType.FUNDING_FEE} and len(got) == 10
    call = exchange.calls(INCOME)[0]
    assert call["symbol"] == "BTCUSDT" and call["incomeType"] == "FUNDING_FEE"


def test_end_defaults_to_now(run: Run, exchange: Exchange) -> None:
    now = int(datetime.now(UTC).timestamp() * 1000)
    exchange.income = income_rows([now - 3_600_000, now + 3_600_000])
    got = run(lambda h: h.iter_income(at(now - DAY_MS)))
    assert keys(got) == wire_keys(exchange.income[:1])


def test_failure_raises_the_typed_error(run: Run, exchange: Exchange) -> None:
    exchange.income = income_rows(T0 + i for i in range(2_500))
    exchange.fail[INCOME] = (400, {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."})
    exchange.fail_after = 1
    with pytest.raises(InvalidRequestError) as info:
        run(lambda h: h.iter_income(at(T0), at(T0 + DAY_MS)))
    assert info.value.code == -1130


def test_weight_budget_is_respected(flavour: str, exchange: Exchange) -> None:
    exchange.income = income_rows(T0 + i for i in range(5_000))
    run = runner(flavour, exchange.base_url, weight_limit=60, rate_limit="fail")  # two income calls
    with pytest.raises(ClientRateLimitError):
        run(lambda h: h.iter_income(at(T0), at(T0 + DAY_MS)))
    assert len(exchange.calls(INCOME)) == 2


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"income_type": "NOT_A_KIND"}, "income_type"),
        ({"window": timedelta(0)}, "window"),
        ({"end_time": at(T0 - 1)}, "start_time"),
        ({"symbol": ""}, "symbol"),
    ],
)
def test_bad_arguments_fail_at_the_call(
    flavour: str, exchange: Exchange, kwargs: dict[str, Any], parameter: str
) -> None:
    def call(h: Any) -> None:
        with pytest.raises(ValidationError) as info:
            h.iter_income(at(T0), **kwargs)  # raised before iterating
        assert info.value.parameter == parameter

    runner(flavour, exchange.base_url)(call)
    assert exchange.requests == []


def test_records_stream_page_by_page_sync(exchange: Exchange) -> None:
    exchange.income = income_rows(T0 + i for i in range(5_000))
    with BinanceRestClient(API_KEY, API_SECRET, base_url=exchange.base_url, auto_time_sync=False) as client:
        records = client.usd_futures_api.history.iter_income(at(T0), at(T0 + DAY_MS))
        assert exchange.requests == []
        first = next(iter(records))
        assert first.tran_id == 1000 and len(exchange.calls(INCOME)) == 1


def test_records_stream_page_by_page_async(exchange: Exchange) -> None:
    exchange.income = income_rows(T0 + i for i in range(5_000))

    async def main() -> None:
        async with AsyncBinanceRestClient(API_KEY, API_SECRET, base_url=exchange.base_url,
                                          auto_time_sync=False) as client:
            records = client.usd_futures_api.history.iter_income(at(T0), at(T0 + DAY_MS))
            assert exchange.requests == []
            first = await anext(aiter(records))
            assert first.tran_id == 1000 and len(exchange.calls(INCOME)) == 1

    asyncio.run(main())


@pytest.mark.parametrize("window", [timedelta(0), 3600, None, "30d"])
def test_bad_window_is_a_validation_error(run: Run, exchange: Exchange, window: Any) -> None:
    with pytest.raises(ValidationError, match="window"):
        run(lambda h: h.iter_income(at(T0), at(T0 + 86_400_000), window=window))
    assert exchange.requests == []
