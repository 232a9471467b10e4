"""Lazily converted fields: Binance's wire values kept as sent, read as exact Python values.

Binance sends times as integer milliseconds and most numbers as decimal strings. A model keeps the
wire value (``<name>_ms`` for a time, ``<name>_str`` for a number) and exposes ``<name>`` as an aware
UTC datetime or an exact ``Decimal``, built on access: decoding stays fast (a 20 KB account answer
decodes 3-4x faster than with eager Decimals), and most values of a large answer are never read.

Each accessor is a ``property`` whose getter is made for its one field (``_getter``): reading it costs
one Python call around the ``Decimal`` or ``datetime`` constructor, which is most of the cost
(``benchmarks/bench_typed_read.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from types import FunctionType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from binance_usdm.errors import ResponseValueError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UtcDateTime(datetime):
    """An aware UTC ``datetime`` made from one of Binance's millisecond timestamps."""

    @classmethod
    def from_ms(cls, ms: int) -> UtcDateTime:
        """The instant ``ms`` milliseconds after the Unix epoch (exact to the millisecond)."""
        return cls.fromtimestamp(ms / 1000, UTC)

    def to_ms(self) -> int:
        """Milliseconds since the Unix epoch (Binance's wire form)."""
        return to_ms(self)


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


def decimal_of(value: WireNumber) -> Decimal:
    """Exact: a string or int as written; a float through its shortest repr (the JSON text)."""
    return Decimal(repr(value)) if type(value) is float else Decimal(value)


# Getter templates: ``obj._wire_`` stands for the field's wire attribute (``_getter`` puts its name
# in); ``convert`` is the accessor's full rule, for what the fast path does not take.
def _decimal_getter(obj: Any, convert: Any = None) -> Any:
    value = obj._wire_
    if value.__class__ is str:
        try:
            return Decimal(value)
        except ArithmeticError:
            pass
    return convert(obj, value)


def _optional_decimal_getter(obj: Any, convert: Any = None) -> Any:
    value = obj._wire_
    if value.__class__ is str and value:
        try:
            return Decimal(value)
        except ArithmeticError:
            pass
    return convert(obj, value)


def _time_getter(obj: Any, convert: Any = None) -> Any:
    return _from_timestamp(obj._wire_ / 1000, UTC)


def _optional_time_getter(obj: Any, convert: Any = None) -> Any:
    value = obj._wire_
    if value is None or value < 0:
        return None
    return _from_timestamp(value / 1000, UTC)


def _converted_getter(obj: Any, convert: Any = None) -> Any:
    return convert(obj, obj._wire_)


_from_timestamp = UtcDateTime.fromtimestamp
_PLACEHOLDER = "_wire_"


def _getter(template: Callable[..., Any], name: str, raw: str, convert: Convert) -> Callable[[Any], Any]:
    """``template`` reading the attribute ``raw``: a copy of its code with the placeholder's name
    replaced (no source compiled at import; the attribute read is a plain ``obj.<raw>``)."""
    code = template.__code__
    names = tuple(raw if entry == _PLACEHOLDER else entry for entry in code.co_names)
    code = code.replace(co_names=names, co_name=name, co_qualname=name)
    return FunctionType(code, template.__globals__, name, (convert,))


T = TypeVar("T")


class _WireField(property, Generic[T]):
    """A typed accessor: ``name`` reads the wire field ``name`` + ``suffix`` and converts it to ``T``."""

    suffix = ""
    kind = ""
    _template: Callable[..., Any] = _decimal_getter
    name: str
    raw: str

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.raw = name + self.suffix
        property.__init__(self, _getter(type(self)._template, name, self.raw, self.convert))

    def convert(self, obj: object, value: Any) -> Any:
        """The typed value of ``value``, the wire value of this field of ``obj`` (its exact rule)."""
        raise NotImplementedError

    def _not_a_number(self, obj: object, value: object) -> ResponseValueError:
        return ResponseValueError(type(obj).__name__, self.name, value)

    if TYPE_CHECKING:
        @overload
        def __get__(self, obj: None, owner: type | None = None, /) -> Self: ...
        @overload
        def __get__(self, obj: object, owner: type | None = None, /) -> T: ...
        def __get__(self, obj: object, owner: type | None = None, /) -> Any: ...


class MsTime(_WireField[UtcDateTime]):
    """A required millisecond time, read as ``UtcDateTime``."""

    suffix, kind, _template = "_ms", "time", _time_getter

    def convert(self, obj: object, value: int) -> UtcDateTime:
        return UtcDateTime.from_ms(value)


class OptionalMsTime(_WireField[UtcDateTime | None]):
    """An optional millisecond time; absent, null or negative (Binance's -1) reads as None."""

    suffix, kind, _template = "_ms", "time", _optional_time_getter

    def convert(self, obj: object, value: int | None) -> UtcDateTime | None:
        return None if value is None or value < 0 else UtcDateTime.from_ms(value)


class Dec(_WireField[Decimal]):
    """A required decimal string, read as an exact ``Decimal``."""

    suffix, kind, _template = "_str", "decimal", _decimal_getter

    def convert(self, obj: object, value: WireNumber) -> Decimal:
        try:
            return decimal_of(value)
        except ArithmeticError:  # decimal.InvalidOperation: "" or any other text
            raise self._not_a_number(obj, value) from None


class OptionalDec(_WireField[Decimal | None]):
    """An optional decimal string; absent, null or empty reads as None."""

    suffix, kind, _template = "_str", "decimal", _optional_decimal_getter

    def convert(self, obj: object, value: WireNumber | None) -> Decimal | None:
        if value is None or value == "":  # absent, null, or sent empty
            return None
        try:
            return decimal_of(value)
        except ArithmeticError:
            raise self._not_a_number(obj, value) from None


class Leverage(_WireField[int]):
    """A leverage Binance sends as a string in position answers (``"10"``), read as an ``int`` like
    the leverage of every other answer (``/fapi/v1/leverage``, brackets): one type everywhere."""

    suffix, kind, _template = "_str", "int", _converted_getter

    def convert(self, obj: object, value: WireNumber) -> int:
        try:
            number = decimal_of(value)
            if number != number.to_integral_value():
                raise ArithmeticError
            return int(number)
        except (ArithmeticError, ValueError):  # not a whole number
            raise self._not_a_number(obj, value) from None



__all__ = [
    "Dec",
    "Leverage",
    "MsTime",
    "OptionalDec",
    "OptionalMsTime",
    "UtcDateTime",
    "WireNumber",
    "decimal_of",
    "is_unset_time",
    "to_ms",
]
