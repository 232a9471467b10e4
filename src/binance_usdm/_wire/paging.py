"""How the history iterators walk a time range: windows Binance accepts, the records at a page's
last millisecond (where the next page starts again) and the keys that tell a record seen before.
Pure functions shared by the async and the blocking history iterators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Protocol, TypeVar

from binance_usdm import models as m
from binance_usdm._wire.income_rows import IncomeRow
from binance_usdm.errors import ValidationError

#: Income windows: Binance documents no span limit for USD-M income (its siblings cap at 200 days
#: and 1 year), so a month per window stays well inside any of them for one extra call a month.
INCOME_WINDOW = timedelta(days=30)
#: Margin changes: at most 30 days per query; Binance's default page (its maximum is unconfirmed).
MARGIN_PAGE_SIZE = 500

MarginKey = tuple[str, object, str, str, int, object, object]


class Timed(Protocol):
    """A history record: its time in Binance's milliseconds."""

    @property
    def time_ms(self) -> int: ...


Record = TypeVar("Record", bound=Timed)


def windows(first: int, last: int, span: int) -> Iterable[tuple[int, int]]:
    """Consecutive inclusive millisecond windows of at most ``span`` covering [first, last]."""
    low = first
    while low <= last:
        high = min(low + span - 1, last)
        yield low, high
        low = high + 1


def span_ms(window: timedelta) -> int:
    if not isinstance(window, timedelta):
        raise ValidationError("window", f"must be a timedelta, got {window!r}")
    span = int(window.total_seconds() * 1000)
    if span < 1:
        raise ValidationError("window", f"must be at least 1 ms, got {window}")
    return span


def at_end(page: list[Record], moment: int) -> Iterable[Record]:
    """The records at the end of ``page`` that carry the millisecond ``moment``."""
    for record in reversed(page):
        if record.time_ms != moment:
            return
        yield record


def income_key(record: m.IncomeRecord) -> tuple[int, object]:
    """Binance: tranId is unique within an incomeType for a user."""
    return record.tran_id, record.income_type.value


def income_row_key(row: IncomeRow) -> tuple[int, object]:
    """``income_key`` of an export row (its type is the wire name already)."""
    return row.tran_id, row.income_type


def margin_key(record: m.MarginChange) -> MarginKey:
    return (
        record.symbol, record.type.value, str(record.amount), record.asset, record.time.to_ms(),
        record.position_side.value, None if record.delta_type is None else record.delta_type.value,
    )

