"""``--since`` / ``--until`` values: ISO dates and datetimes (UTC when naive) or ``7d``-style ages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$", re.IGNORECASE)
if TYPE_CHECKING:  # click >= 8.2 types ParamType as a generic; 8.1 cannot subscript it at run time
    _ParamTypeDatetime = click.ParamType[datetime, Any]
else:
    _ParamTypeDatetime = click.ParamType

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """An aware UTC datetime from ``2024-05-01``, ``2024-05-01T12:00``, ``...+02:00``, ``now``, or an
    age before now: ``90s``, ``30m``, ``12h``, ``7d``, ``2w``. Raises ``ValueError``."""
    now = now or datetime.now(UTC)
    value = text.strip()
    if value.lower() == "now":
        return now
    age = _AGE.match(value)
    if age:
        seconds = float(age.group(1)) * _UNITS[age.group(2).lower()]
        try:
            moment = now - timedelta(seconds=seconds)
        except OverflowError:
            moment = EARLIEST - timedelta(days=1)
        return _checked(text, moment)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO date/datetime (2024-05-01, 2024-05-01T12:30) "
            "nor an age like 7d, 12h, 30m"
        ) from None
    if moment.tzinfo is None:
        return _checked(text, moment.replace(tzinfo=UTC))
    return _checked(text, moment.astimezone(UTC))


def _checked(text: str, moment: datetime) -> datetime:
    """``moment``, unless it is before the Unix epoch (Binance's times are milliseconds since it: a
    negative startTime is refused by the server)."""
    if moment < EARLIEST:
        raise ValueError(f"{text!r} is before 1970-01-01, the earliest time Binance accepts")
    return moment


class TimeParam(_ParamTypeDatetime):
    """Click type for ``--since`` / ``--until``."""

    name = "TIME"

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        try:
            return parse_time(str(value), self._clock() if self._clock else None)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


TIME = TimeParam()
