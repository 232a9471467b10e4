"""Lazily converted fields: Binance's wire values kept as sent, read as exact Python values.

Binance sends times as integer milliseconds and most numbers as decimal strings. A model keeps the
wire value (``<name>_ms`` for a time, ``<name>_str`` for a number) and exposes ``<name>`` as an aware
UTC datetime or an exact ``Decimal``, built on access: decoding stays fast (a 20 KB account answer
decodes 3-4x faster than with eager Decimals), and most values of a large answer are never read.

Each accessor is a ``property`` whose getter is made for its one field (``_getter``). Values are
shared: a wire value met before (the same text, the same millisecond) reads as the object made then,
from a bounded table, so reading it costs a dict lookup instead of a ``Decimal`` or ``datetime``
constructor, which is most of the cost of a read (``benchmarks/bench_typed_read.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Clamped,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Underflow,
)
from types import FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar, cast, overload

from binance_usdm.errors import ResponseValueError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_DAY_MS = 86_400_000


class UtcDateTime(datetime):
    """An aware UTC ``datetime`` made from one of Binance's millisecond timestamps (no attributes of
    its own: one instance is shared by every read of the same time)."""

    __slots__ = ()

    @classmethod
    def from_ms(cls, ms: int) -> UtcDateTime:
        """The instant ``ms`` milliseconds after the Unix epoch (exact to the millisecond, in every
        year ``datetime`` holds; beyond, ``ValueError`` or ``OverflowError``)."""
        return utc_from_ms(ms)

    def to_ms(self) -> int:
        """Milliseconds since the Unix epoch (Binance's wire form)."""
        return to_ms(self)


# A datetime subclass made by ``fromtimestamp`` or ``datetime + timedelta`` goes through the
# subclass's constructor with eight arguments, twice with a tzinfo (about 3x a plain datetime's
# cost); made from datetime's pickled form (date and time in 10 bytes, and the tzinfo) it takes
# datetime's own fast path. The date's 4 bytes are kept per day (few days recur).
_from_pickled = cast("Callable[[bytes, tzinfo], UtcDateTime]", UtcDateTime)
_DATES: dict[int, bytes] = {}  # a day since the epoch -> year (2 bytes), month, day


def utc_from_ms(ms: int) -> UtcDateTime:
    """``UtcDateTime.from_ms``: integer arithmetic only, so exact in every year."""
    day, ms = divmod(ms, _DAY_MS)
    day_bytes = _DATES.get(day) or _date_bytes(day)
    second, milli = divmod(ms, 1000)
    minute, second = divmod(second, 60)
    hour, minute = divmod(minute, 60)
    micro = milli * 1000
    return _from_pickled(day_bytes + bytes((hour, minute, second, micro >> 16, micro >> 8 & 255, micro & 255)), UTC)


def _date_bytes(day: int) -> bytes:
    moment = date.fromordinal(_EPOCH_ORDINAL + day)  # ValueError / OverflowError beyond years 1-9999
    kept = bytes((moment.year >> 8, moment.year & 255, moment.month, moment.day))
    if len(_DATES) >= LIMIT:
        _DATES.clear()
    _DATES[day] = kept
    return kept


def is_unset_time(moment: datetime) -> bool:
    """True for the epoch itself: Binance sends 0 for a time that never happened (a position never
    updated); every output shows it as empty / null."""
    return moment == _EPOCH


def to_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


WireNumber = str | int | float  # Binance sends decimal strings; a bare JSON number is taken too
Convert = Callable[[Any, Any], Any]  # (model, wire value) -> typed value: an accessor's exact rule

# Decimal text is read in a context of its own, so the result never depends on the caller's thread
# context: unlimited precision and exponents, and every signal that would make a value differ from
# its text (rounded, out of range, clamped) or no number at all raises instead of being flagged.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN,
                 traps=[InvalidOperation, Inexact, Rounded, Overflow, Underflow, Clamped])


def decimal_of(value: WireNumber) -> Decimal:
    """Exact: a string or int as written; a float through its shortest repr (the JSON text).
    Anything else (empty, spaces, ``1_0``, words) raises ``ArithmeticError``."""
    return _EXACT.create_decimal(repr(value) if type(value) is float else value)


# --- shared values -------------------------------------------------------------------------------
# Decimal, datetime and int are immutable, so one object can stand for every occurrence of the same
# wire value: a v2 account lists every symbol with mostly the same numbers ("0", each leverage), and
# an account polled again sends back most of the values of the last answer. An accessor looks the
# wire value up first and converts only what it has not met; each table is bounded (LIMIT entries,
# then it starts over; text longer than LONGEST is converted but not kept), so hostile or endless
# input costs time, never memory. A plain dict: its get and set are atomic, so threads share it safely.
LIMIT = 2048
LONGEST = 40
_DECIMALS: dict[str, Decimal] = {}  # the exact Decimal of a decimal text
_TIMES: dict[int, UtcDateTime] = {}  # the instant of a non-negative millisecond time
_LEVERAGES: dict[str, int] = {}  # the int of a leverage text


def forget_shared_values() -> None:
    """Empty the tables of shared values (a benchmark's cold start; tests)."""
    for table in (_DECIMALS, _TIMES, _LEVERAGES, _DATES):
        table.clear()


# Getter templates: ``obj._wire_`` stands for the field's wire attribute, ``_lookup_`` for its table's
# ``get`` and ``_convert_`` for its full rule (``_getter`` puts the field's own in; as globals of the
# getter, not default arguments, which would cost every call): the shared value when there is one,
# the common wire form converted inline, anything else through ``_convert_``.
def _lookup_(wire: Any) -> Any:
    raise NotImplementedError("a getter template's placeholder (_getter)")


def _convert_(obj: Any, wire: Any) -> Any:
    raise NotImplementedError("a getter template's placeholder (_getter)")


# (A value met before is the shortest path: the wire value is read again after a miss.)
def _shared_getter(obj: Any) -> Any:
    if (value := _lookup_(obj._wire_)) is not None:
        return value
    return _convert_(obj, obj._wire_)


def _decimal_getter(obj: Any) -> Any:
    if (number := _lookup_(obj._wire_)) is not None:
        return number
    value = obj._wire_
    if value.__class__ is str and len(value) <= LONGEST:
        try:
            number = _exact_decimal(value)
        except ArithmeticError:
            return _convert_(obj, value)
        if len(_DECIMALS) >= shared.LIMIT:
            _DECIMALS.clear()
        _DECIMALS[value] = number
        return number
    return _convert_(obj, value)


def _time_getter(obj: Any) -> Any:
    if (moment := _lookup_(obj._wire_)) is not None:
        return moment
    ms = obj._wire_
    if ms.__class__ is int and ms >= 0:
        try:
            moment = utc_from_ms(ms)
        except (ValueError, OverflowError):
            return _convert_(obj, ms)
        if len(_TIMES) >= shared.LIMIT:
            _TIMES.clear()
        _TIMES[ms] = moment
        return moment
    return _convert_(obj, ms)


# The getters of a model whose values rarely repeat (``Model.shares_values``): converted on every
# read, never kept.
def _own_getter(obj: Any) -> Any:
    return _convert_(obj, obj._wire_)


def _own_decimal_getter(obj: Any) -> Any:
    value = obj._wire_
    if value.__class__ is str and value:
        try:
            return _exact_decimal(value)
        except ArithmeticError:
            pass
    return _convert_(obj, value)


def _own_time_getter(obj: Any) -> Any:
    ms = obj._wire_
    if ms.__class__ is int and ms >= 0:
        try:
            return utc_from_ms(ms)
        except (ValueError, OverflowError):
            pass
    return _convert_(obj, ms)


_exact_decimal = _EXACT.create_decimal
_PLACEHOLDER = "_wire_"
shared = sys.modules[__name__]  # ``shared.LIMIT``: the bound as it is now (tests lower it)


def _getter(template: Callable[..., Any], name: str, raw: str, convert: Convert,
            table: dict[Any, Any]) -> Callable[[Any], Any]:
    """``template`` for field ``name``, reading the attribute ``raw``: a copy of its code with the
    placeholder's name replaced (no source compiled at import; the read is a plain ``obj.<raw>``),
    run in a namespace of its own where ``_lookup_`` and ``_convert_`` are the field's."""
    code = template.__code__
    names = tuple(raw if entry == _PLACEHOLDER else entry for entry in code.co_names)
    code = code.replace(co_names=names, co_name=name, co_qualname=name)
    module = template.__globals__
    namespace = {key: module[key] for key in ("__builtins__", *code.co_names) if key in module}
    namespace.update(_lookup_=table.get, _convert_=convert)
    return FunctionType(code, namespace, name)


T = TypeVar("T")


class _WireField(property, Generic[T]):
    """A typed accessor: ``name`` reads the wire field ``name`` + ``suffix`` and converts it to ``T``
    (its ``convert``), sharing the values of ``table``."""

    suffix = ""
    kind = ""
    table: ClassVar[dict[Any, Any]]
    _template: Callable[..., Any] = _shared_getter
    _own_template: Callable[..., Any] = _own_getter
    name: str
    raw: str

    shared = True

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.raw = name + self.suffix
        self.shared = getattr(owner, "shares_values", True)
        template = type(self)._template if self.shared else type(self)._own_template
        property.__init__(self, _getter(template, name, self.raw, self.convert, self.table))

    def convert(self, obj: object, value: Any) -> Any:
        """The typed value of ``value``, the wire value of this field of ``obj`` (its exact rule);
        a value that can be shared is added to ``table`` (unless the model shares no values)."""
        raise NotImplementedError

    def _not_a_number(self, obj: object, value: object) -> ResponseValueError:
        return ResponseValueError(type(obj).__name__, self.name, value)

    def _not_a_time(self, obj: object, value: object) -> ResponseValueError:
        return ResponseValueError(type(obj).__name__, self.name, value, "a time")

    if TYPE_CHECKING:
        @overload
        def __get__(self, obj: None, owner: type | None = None, /) -> Self: ...
        @overload
        def __get__(self, obj: object, owner: type | None = None, /) -> T: ...
        def __get__(self, obj: object, owner: type | None = None, /) -> Any: ...


def _keep(table: dict[Any, Any], wire: Any, value: Any) -> None:
    if len(table) >= LIMIT:
        table.clear()
    table[wire] = value


# The accessors' full rules (``_decimal`` keeps its value inline: a call is a fair part of its cost).
def _time(obj: object, ms: int, field: _WireField[Any]) -> UtcDateTime:
    try:
        moment = utc_from_ms(ms)
    except (ArithmeticError, ValueError, TypeError):  # beyond the years datetime holds
        raise field._not_a_time(obj, ms) from None
    if ms.__class__ is int and ms >= 0 and field.shared:
        _keep(_TIMES, ms, moment)
    return moment


def _decimal(obj: object, value: WireNumber, field: _WireField[Any]) -> Decimal:
    try:
        number = _exact_decimal(repr(value) if value.__class__ is float else value)
    except ArithmeticError:  # decimal.InvalidOperation: "" or any other text
        raise field._not_a_number(obj, value) from None
    if value.__class__ is str and len(value) <= LONGEST and field.shared:
        if len(_DECIMALS) >= LIMIT:
            _DECIMALS.clear()
        _DECIMALS[value] = number
    return number


class MsTime(_WireField[UtcDateTime]):
    """A required millisecond time, read as ``UtcDateTime``."""

    suffix, kind, table, _template, _own_template = "_ms", "time", _TIMES, _time_getter, _own_time_getter

    def convert(self, obj: object, value: int) -> UtcDateTime:
        return _time(obj, value, self)


class OptionalMsTime(_WireField[UtcDateTime | None]):
    """An optional millisecond time; absent, null or negative (Binance's -1) reads as None."""

    suffix, kind, table, _template, _own_template = "_ms", "time", _TIMES, _time_getter, _own_time_getter

    def convert(self, obj: object, value: int | None) -> UtcDateTime | None:
        return None if value is None or value < 0 else _time(obj, value, self)


class Dec(_WireField[Decimal]):
    """A required decimal string, read as an exact ``Decimal``."""

    suffix, kind, table, _template = "_str", "decimal", _DECIMALS, _decimal_getter
    _own_template = _own_decimal_getter

    def convert(self, obj: object, value: WireNumber) -> Decimal:
        return _decimal(obj, value, self)


class OptionalDec(_WireField[Decimal | None]):
    """An optional decimal string; absent, null or empty reads as None."""

    suffix, kind, table, _template = "_str", "decimal", _DECIMALS, _decimal_getter
    _own_template = _own_decimal_getter

    def convert(self, obj: object, value: WireNumber | None) -> Decimal | None:
        if value is None or value == "":  # absent, null, or sent empty
            return None
        return _decimal(obj, value, self)


class Leverage(_WireField[int]):
    """A leverage Binance sends as a string in position answers (``"10"``), read as an ``int`` like
    the leverage of every other answer (``/fapi/v1/leverage``, brackets): one type everywhere."""

    suffix, kind, table = "_str", "int", _LEVERAGES

    def convert(self, obj: object, value: WireNumber) -> int:
        try:
            number = decimal_of(value)
            if number != number.to_integral_value():
                raise ArithmeticError
            leverage = int(number)
        except (ArithmeticError, ValueError):  # not a whole number
            raise self._not_a_number(obj, value) from None
        if value.__class__ is str and len(value) <= LONGEST and self.shared:
            _keep(_LEVERAGES, value, leverage)
        return leverage


__all__ = [
    "Dec",
    "Leverage",
    "MsTime",
    "OptionalDec",
    "OptionalMsTime",
    "UtcDateTime",
    "WireNumber",
    "decimal_of",
    "forget_shared_values",
    "is_unset_time",
    "to_ms",
    "utc_from_ms",
]
