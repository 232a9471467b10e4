"""Argument checks run before anything is sent; each failure is a ValidationError naming the argument."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import TypeVar
from urllib.parse import quote

from binance_usdm._wire.limits import MAX_AMOUNT_DECIMALS, MAX_AMOUNT_DIGITS
from binance_usdm.errors import ValidationError
from binance_usdm.models._base import to_ms

E = TypeVar("E", bound=Enum)

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_AMOUNT_TEXT = re.compile(rf"[0-9]{{1,{MAX_AMOUNT_DIGITS}}}(?:\.[0-9]{{1,{MAX_AMOUNT_DECIMALS}}})?")


def symbol(value: object, name: str = "symbol") -> str:
    """A non-empty symbol of letters, digits and '_', ASCII letters upper-cased: Binance's symbols are
    upper case, and some are not ASCII (``币安人生USDT``; quarterly contracts: ``BTCUSDT_260327``).
    In a query string it goes through `params_of`, or `symbol_query`."""
    if type(value) is str and value.isalnum() and value.isascii() and value.isupper():
        return value  # already as Binance writes it: the usual case
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(name, f"must be a non-empty symbol such as 'BTCUSDT', got {value!r}")
    text = value.strip().translate(_ASCII_UPPER)  # other letters as given: Binance lists them so
    if not text.replace("_", "").isalnum():
        raise ValidationError(name, f"must contain only letters, digits or '_', got {value!r}")
    if not text.isascii() and _look_alike(text):
        raise ValidationError(name, f"has full-width or other look-alike characters, got {value!r}")
    return text


def _look_alike(text: str) -> bool:
    """Whether `text` has compatibility characters ('ＢＴＣUSDT' is not BTCUSDT); Binance's non-ASCII
    symbols are CJK names, which NFKC leaves as they are."""
    import unicodedata  # (a symbol beyond ASCII is rare: not imported with the client)

    return unicodedata.normalize("NFKC", text) != text


def symbol_query(value: object, name: str = "symbol") -> str:
    """`symbol` as a query string carries it (and the signature covers it): a symbol that is not
    ASCII percent-encoded as UTF-8."""
    text = symbol(value, name)
    return text if text.isascii() else quote(text, safe="")


def optional_symbol(value: object, name: str = "symbol") -> str | None:
    return None if value is None else symbol(value, name)


def integer(value: object, name: str, low: int, high: int) -> int:
    """An ``int`` (not a bool) within ``low..high``. A subclass (an ``IntEnum``, numpy-like wrappers)
    is taken by its integer value: its own ``str``/``format`` never reaches the query string."""
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(name, f"must be an integer, got {_shown(value)}")
        value = int.__int__(value)
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


def amount(value: object, name: str) -> str:
    """A strictly positive amount as its exact wire text: a ``Decimal``, an ``int`` or a plain ASCII
    decimal string (``"12.5"``), with at most 20 digits before the point and 8 after it.

    Binance refuses a DECIMAL parameter outside ``^([0-9]{1,20})(\\.[0-9]{1,20})?$`` with -1100 ILLEGAL_CHARS
    (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code; its message names
    the pattern, as quoted in https://github.com/ccxt/binance-api-node/issues/181) and margin assets
    carry 8 decimals. Everything else is refused before sending, never rounded: floats
    (``0.1`` is not 0.1), exponents (``"1e5"``), digit separators (``"1_000"``), non-ASCII digits,
    spaces, signs.
    """
    if type(value) is str:
        if not _AMOUNT_TEXT.fullmatch(value):
            raise ValidationError(name, f"must be a decimal number such as '12.5' (digits and at most one "
                                        f"point, no sign, exponent or spaces), got {_shown(value)}")
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(int.__int__(value))
    else:
        raise ValidationError(name, f"must be a Decimal, an int or a decimal string such as '12.5', "
                                    f"got {type(value).__name__} {_shown(value)}")
    if not number.is_finite() or number <= 0:
        raise ValidationError(name, f"must be a positive number, got {_shown(value)}")
    if number.adjusted() >= MAX_AMOUNT_DIGITS:  # before looking at the digits: there may be a million
        raise ValidationError(name, f"has more than {MAX_AMOUNT_DIGITS} digits before the point: {_shown(value)}")
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    end = len(digits)
    while exponent < 0 and digits[end - 1] == 0:  # trailing zeros after the point say nothing
        end -= 1
        exponent += 1
    if exponent < -MAX_AMOUNT_DECIMALS:
        raise ValidationError(name, f"has more than {MAX_AMOUNT_DECIMALS} decimals: {_shown(value)}")
    text = "".join(map(str, digits[:end]))
    if exponent >= 0:
        return text + "0" * exponent
    point = len(text) + exponent  # digits before the point
    if point <= 0:
        return f"0.{'0' * -point}{text}"
    return f"{text[:point]}.{text[point:]}"


def _shown(value: object) -> str:
    """``repr(value)``, cut short: an error message never carries a megabyte of argument."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


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
    """A datetime from the Unix epoch on: Binance's times are unsigned milliseconds (a LONG parameter
    with a minus sign is refused with -1100)."""
    if not isinstance(value, datetime):
        raise ValidationError(name, f"must be a datetime, got {type(value).__name__}")
    if to_ms(value) < 0:
        raise ValidationError(name, f"must not be before 1970-01-01 UTC, got {value.isoformat()}")
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
