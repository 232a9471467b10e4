"""Argument checks run before anything is sent; each failure is a ValidationError naming the argument."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TypeVar

from binance_usdm.errors import ValidationError
from binance_usdm.models._base import to_ms

E = TypeVar("E", bound=Enum)


def symbol(value: object, name: str = "symbol") -> str:
    """A non-empty symbol of ASCII letters, digits and '_', upper-cased (Binance symbols are upper
    case); safe to put in a query string as it is."""
    if type(value) is str and value.isalnum() and value.isascii() and value.isupper():
        return value  # already as Binance writes it: the usual case
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(name, f"must be a non-empty symbol such as 'BTCUSDT', got {value!r}")
    text = value.strip().upper()
    if not text.isascii() or not text.replace("_", "").isalnum():
        raise ValidationError(name, f"must contain only letters, digits or '_', got {value!r}")
    return text


def optional_symbol(value: object, name: str = "symbol") -> str | None:
    return None if value is None else symbol(value, name)


def integer(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValidationError(name, f"must be between {low} and {high}, got {value}")
    return value


def seconds(value: object, name: str, *, zero: bool = False, option: str | None = None) -> float:
    """A finite number of seconds, positive (or at least 0 with ``zero``). ``option``: the argument
    ``name`` is a field of (``timeouts``), named by the error instead."""
    if (isinstance(value, bool) or not isinstance(value, int | float) or not value < math.inf
            or not (value >= 0 if zero else value > 0)):
        problem = f"must be a finite number of seconds {'>= 0' if zero else '> 0'}, got {value!r}"
        raise ValidationError(option or name, f"{name} {problem}" if option else problem)
    return value


def optional_integer(value: object, name: str, low: int, high: int) -> int | None:
    return None if value is None else integer(value, name, low, high)


def positive_decimal(value: object, name: str) -> Decimal:
    """A strictly positive, finite amount; floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, bool):
        raise ValidationError(name, f"must be a number, got {value!r}")
    try:
        amount = Decimal(str(value)) if isinstance(value, float | int | str) else value
    except InvalidOperation:
        raise ValidationError(name, f"must be a number, got {value!r}") from None
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError(name, f"must be a finite number, got {value!r}")
    if amount <= 0:
        raise ValidationError(name, f"must be positive, got {value}")
    return amount


def enum_member(kind: type[E], value: object, name: str) -> E:
    """Accept a member, its wire value, or its name (case-insensitive for names)."""
    if isinstance(value, kind):
        return value
    for member in kind:
        if member.value == value or (isinstance(value, str) and member.name == value.upper()):
            return member
    allowed = ", ".join(str(member.value) for member in kind)
    raise ValidationError(name, f"must be one of {allowed}; got {value!r}")


def boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(name, f"must be True or False, got {value!r}")
    return value


def flag(value: object, name: str) -> str:
    """A bool as Binance's wire text, ``true`` or ``false``."""
    return "true" if boolean(value, name) else "false"


def moment(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(name, f"must be a datetime, got {type(value).__name__}")
    return value


def time_range(
    start: datetime | None, end: datetime | None, *, max_span: timedelta | None = None
) -> None:
    """Start not after end, and the span within ``max_span`` when both are given."""
    if start is not None:
        moment(start, "start_time")
    if end is not None:
        moment(end, "end_time")
    if start is None or end is None:
        return
    start_ms, end_ms = to_ms(start), to_ms(end)
    if start_ms > end_ms:
        raise ValidationError("start_time", f"{start.isoformat()} is after end_time {end.isoformat()}")
    if max_span is not None and end_ms - start_ms > max_span.total_seconds() * 1000:
        raise ValidationError("end_time", f"the time range may span at most {max_span.days} days")


def text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(name, f"must be a non-empty string, got {value!r}")
    return value.strip()
