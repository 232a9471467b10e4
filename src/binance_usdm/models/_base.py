"""Base pieces shared by every model: the struct base class and the millisecond timestamp type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import msgspec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UtcDateTime(datetime):
    """An aware UTC ``datetime`` decoded from one of Binance's millisecond timestamps."""

    @classmethod
    def from_ms(cls, ms: int) -> UtcDateTime:
        """The instant ``ms`` milliseconds after the Unix epoch."""
        moment = _EPOCH + timedelta(milliseconds=ms)
        return cls(
            moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
            moment.microsecond, tzinfo=UTC,
        )

    def to_ms(self) -> int:
        """Milliseconds since the Unix epoch (Binance's wire form)."""
        return to_ms(self)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def decode_hook(kind: type, value: Any) -> Any:
    """msgspec hook: builds ``UtcDateTime`` from millisecond integers."""
    if kind is UtcDateTime and isinstance(value, int | float) and not isinstance(value, bool):
        return UtcDateTime.from_ms(int(value))
    raise NotImplementedError(f"cannot decode {kind!r}")


class Model(msgspec.Struct, rename="camel", kw_only=True):
    """Base of every result model: camelCase on the wire, snake_case in Python."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict with Python names and exact values (Decimal, datetime, enum values)."""
        return {name: _plain(getattr(self, name)) for name in self.__struct_fields__}


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


__all__ = ["Decimal", "Model", "UtcDateTime", "decode_hook", "to_ms"]
