"""The one serialization of results for every output: JSON, JSON lines, CSV, Parquet and ``to_dict``.

The rules, applied by ``Model.to_dict`` (Python values) and by the text forms built on it here and in
``binance_usdm.export``: snake_case field names as the models declare them; numbers exact (a Decimal
as plain text, never through float, never with an exponent); times ISO-8601 UTC with milliseconds
and ``Z`` (``2026-01-01T08:00:00.000Z``); enums as Binance's names for them (their wire values); a
time Binance sends as 0 ("never", e.g. a position never updated) as empty / null.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from binance_usdm.models._base import Model, UtcDateTime, is_unset_time


def iso_utc(moment: datetime) -> str:
    """ISO-8601 with milliseconds (Binance's resolution), UTC written as ``Z``."""
    text = moment.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def time_text(moment: datetime) -> str | None:
    """A time as text; None for Binance's 0 ("never")."""
    return None if is_unset_time(moment) else iso_utc(moment)


_HOUR_MS = 3_600_000
_HOURS: dict[int, str] = {}  # hour since the epoch -> "2026-01-01T08:"
_TWO_DIGITS = [f"{number:02d}" for number in range(60)]
_MILLIS = [f".{number:03d}Z" for number in range(1000)]


def ms_time_text(ms: int) -> str | None:
    """``time_text`` of Binance's millisecond time ``ms``, without making a datetime (exports call
    it for every record: the text of each hour is computed once)."""
    if ms == 0:
        return None
    hour, rest = divmod(ms, _HOUR_MS)
    prefix = _HOURS.get(hour)
    if prefix is None:
        if len(_HOURS) >= 100_000:
            _HOURS.clear()
        prefix = _HOURS[hour] = iso_utc(UtcDateTime.from_ms(hour * _HOUR_MS))[:14]
    return prefix + _TWO_DIGITS[rest // 60_000] + ":" + _TWO_DIGITS[rest // 1000 % 60] + _MILLIS[rest % 1000]


def decimal_text(value: Decimal) -> str:
    """An exact Decimal without exponent: ``0.00000000``, not ``0E-8``."""
    return format(value, "f")


def enum_value(value: Enum) -> Any:
    """An enum as Binance names it (its wire value)."""
    return value.value


def to_plain(value: Any) -> Any:
    """``value`` (a model, list, dict or scalar) as JSON-ready data under the rules above."""
    if isinstance(value, Model):
        return to_plain(value.to_dict())
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    return value


def to_json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON text of ``value`` under the rules above (non-ASCII kept as is)."""
    import json  # loaded by the first JSON written: a table or CSV never needs it (bench_startup.py)

    return json.dumps(to_plain(value), indent=indent, ensure_ascii=False)


__all__ = ["decimal_text", "enum_value", "iso_utc", "ms_time_text", "time_text", "to_json_text", "to_plain"]
