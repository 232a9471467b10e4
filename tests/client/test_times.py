"""Binance's millisecond times as ``UtcDateTime``: exact to the millisecond in every year datetime
holds (a float ``ms / 1000`` alone is 1 ms off in some years after 2242 and before 1700)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from binance_usdm.models import IncomeRecord, UtcDateTime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
YEARS_1_TO_9999 = st.integers(-62_135_596_800_000, 253_402_300_799_999)


@given(YEARS_1_TO_9999)
def test_from_ms_is_exact_in_every_year(ms: int) -> None:
    moment = UtcDateTime.from_ms(ms)
    assert moment == EPOCH + timedelta(milliseconds=ms) and type(moment) is UtcDateTime


def test_a_time_after_2242_reads_exactly_through_the_accessor() -> None:
    body = b'{"incomeType":"TRANSFER","income":"1","asset":"USDT","time":15533899199998,"tranId":1}'
    record = msgspec.json.decode(body, type=IncomeRecord)
    assert record.time == EPOCH + timedelta(milliseconds=15_533_899_199_998)
    assert record.time.microsecond == 998_000  # ms / 1000 alone gives 997999
