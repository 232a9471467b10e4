"""Base pieces shared by every model: the struct base class and millisecond timestamps.

Binance sends times as integer milliseconds. A model keeps the wire integer in ``<name>_ms`` and
exposes ``<name>`` as an aware UTC datetime, built on access: decoding stays fast, and most times
in a large answer are never looked at.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, Self, overload

import msgspec

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


def to_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


class _MsField:
    """Shared part of the time descriptors: ``name`` reads the integer field ``name_ms``."""

    __slots__ = ("name", "raw")

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.raw = f"{name}_ms"


class MsTime(_MsField):
    """A required millisecond time, read as ``UtcDateTime``."""

    @overload
    def __get__(self, obj: None, owner: type) -> Self: ...
    @overload
    def __get__(self, obj: object, owner: type) -> UtcDateTime: ...
    def __get__(self, obj: object | None, owner: type) -> Self | UtcDateTime:
        if obj is None:
            return self
        return UtcDateTime.from_ms(getattr(obj, self.raw))


class OptionalMsTime(_MsField):
    """An optional millisecond time; absent, null or negative (Binance's -1) reads as None."""

    @overload
    def __get__(self, obj: None, owner: type) -> Self: ...
    @overload
    def __get__(self, obj: object, owner: type) -> UtcDateTime | None: ...
    def __get__(self, obj: object | None, owner: type) -> Self | UtcDateTime | None:
        if obj is None:
            return self
        value = getattr(obj, self.raw)
        return None if value is None or value < 0 else UtcDateTime.from_ms(value)


class Model(msgspec.Struct, rename="camel", kw_only=True):
    """Base of every result model: camelCase on the wire, snake_case in Python."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict with Python names and exact values (Decimal, UTC datetimes, enum values)."""
        return {public: _plain(getattr(self, public)) for public in public_fields(type(self))}


@cache
def public_fields(kind: type[Model]) -> tuple[str, ...]:
    """A model's field names, with each ``<name>_ms`` time shown as its datetime ``<name>``."""
    times = {
        value.raw: value.name
        for klass in kind.__mro__
        for value in vars(klass).values()
        if isinstance(value, _MsField)
    }
    return tuple(times.get(name, name) for name in kind.__struct_fields__)


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


def ms_field(wire_name: str) -> Any:
    """The optional integer field behind an ``OptionalMsTime``, named as on the wire."""
    return msgspec.field(default=None, name=wire_name)


__all__ = ["Decimal", "Model", "MsTime", "OptionalMsTime", "UtcDateTime", "ms_field", "public_fields", "to_ms"]
