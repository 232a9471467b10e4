"""The base of every result model: camelCase wire names, ``to_dict`` and ``repr``.

Fields that Binance sends as decimal strings or millisecond times are kept as sent and converted on
access (``binance_usdm.models._fields``). ``to_dict`` is generated once per model type: one function
reading each wire field once and converting it inline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from types import NoneType, UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

import msgspec

from binance_usdm.errors import ResponseValueError
from binance_usdm.models import _fields
from binance_usdm.models._fields import (
    Dec,
    Leverage,
    MsTime,
    OptionalDec,
    OptionalMsTime,
    UtcDateTime,
    WireNumber,
    _WireField,
    is_unset_time,
    to_ms,
    utc_from_ms,
)


def wire_name(field: str) -> str:
    """The wire (camelCase) name of a field; a lazy field's ``_str`` / ``_ms`` suffix is not sent."""
    for suffix in ("_str", "_ms"):
        if field.endswith(suffix):
            field = field[: -len(suffix)]
            break
    first, *rest = field.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


class Model(msgspec.Struct, rename=wire_name, kw_only=True):
    """Base of every result model: camelCase on the wire, snake_case in Python."""

    shares_values: ClassVar[bool] = True
    """False for a model whose values rarely repeat (history records): its accessors and ``to_dict``
    convert every read and keep nothing in the tables of shared values (``models._fields``), which
    a long export would otherwise churn at a cost per record."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict with Python names and exact values: Decimal, UTC datetimes (None for Binance's
        0, "never"), enums as Binance's names (the rules of ``binance_usdm.serialize``)."""
        kind = type(self)
        return (_TO_DICT.get(kind) or _compile_to_dict(kind))(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(_shown(self, name) for name in public_fields(type(self)))})"


@cache
def lazy_fields(kind: type[Model]) -> dict[str, _WireField[Any]]:
    """A model's wire-field names (``<name>_ms``, ``<name>_str``) mapped to their descriptors."""
    return {
        value.raw: value
        for klass in kind.__mro__
        for value in vars(klass).values()
        if isinstance(value, _WireField)
    }


@cache
def public_fields(kind: type[Model]) -> tuple[str, ...]:
    """A model's field names as Python code reads them (``entry_price``, not ``entry_price_str``)."""
    lazy = lazy_fields(kind)
    return tuple(lazy[name].name if name in lazy else name for name in kind.__struct_fields__)


def _shown(model: Model, name: str) -> str:
    """``name=value`` for a repr, which never raises: a value that is not a number shows as received."""
    try:
        return f"{name}={getattr(model, name)!r}"
    except ResponseValueError as exc:
        return f"{name}=<not a number: {exc.value!r}>"


_TO_DICT: dict[type[Model], Callable[[Model], dict[str, Any]]] = {}
_SCALARS = (str, int, float, Decimal)  # bool is an int


def _compile_to_dict(kind: type[Model]) -> Callable[[Model], dict[str, Any]]:
    """``kind``'s ``to_dict`` as one generated function reading each wire field once: a value met
    before is a table lookup; a decimal text or time met for the first time is converted and kept
    inline (the accessors' rules and tables, without a Python call per value); anything rarer (empty,
    null, a bare JSON number, a leverage) takes the accessor's ``convert``. A text that is no number
    raises ``ArithmeticError`` inline: ``to_dict`` then reads the accessors, which raise the field's
    ``ResponseValueError``."""
    lazy = lazy_fields(kind)
    steps, entries = [], []
    namespace: dict[str, Any] = {
        "plain": _plain, "exact": _fields._exact_decimal, "decimals": _fields._DECIMALS, "times": _fields._TIMES,
        "utc": utc_from_ms, "shared": _fields, "by_accessors": _by_accessors,
    }
    for index, field in enumerate(msgspec.structs.fields(kind)):
        wire = f"o.{field.name}"
        accessor = lazy.get(field.name)
        item = _model_of_list(field.type)
        if item is not None and item is not kind:  # a list of models: each item's own to_dict, called directly
            namespace[f"dict{index}"], namespace[f"kind{index}"] = _TO_DICT.get(item) or _compile_to_dict(item), item
            entries.append(f"{field.name!r}: [dict{index}(x) if type(x) is kind{index} else plain(x) for x in {wire}]")
            continue
        if accessor is None:
            entries.append(f"{field.name!r}: {_value_source(field.type, wire)}")
            continue
        value, get, convert = f"x{index}", f"get{index}", f"convert{index}"
        namespace[get], namespace[convert] = accessor.table.get, accessor.convert
        entries.append(f"{accessor.name!r}: {value}")
        lookup = [f"if ({value} := {get}({wire})) is None:", f"    v = {wire}"]  # the wire value after a miss only
        if not accessor.shared and accessor.kind == "decimal":  # values that rarely repeat: no table
            steps += [f"{value} = exact(v) if type(v := {wire}) is str and v else {convert}(o, v)"]
        elif not accessor.shared and accessor.kind == "time":
            steps += [f"{value} = None if (v := {wire}) == 0 else utc(v) if type(v) is int and v > 0"
                      f" else {convert}(o, v)"]
        elif not accessor.shared:
            steps += [f"{value} = {convert}(o, {wire})"]
        elif accessor.kind == "decimal":
            steps += [*lookup, f"    if type(v) is str and v and len(v) <= {_fields.LONGEST}:",
                      f"        {value} = exact(v)", *_kept("decimals", value),
                      "    else:", f"        {value} = {convert}(o, v)"]
        elif accessor.kind == "time":  # 0 is Binance's "never": None
            steps += [f"if (v := {wire}) == 0:", f"    {value} = None", f"elif ({value} := {get}(v)) is None:",
                      "    if type(v) is int and v > 0:",
                      f"        {value} = utc(v)", *_kept("times", value), "    else:",
                      f"        {value} = {convert}(o, v)"]
        else:  # a leverage: few values, met again at once
            steps += [*lookup, f"    {value} = {convert}(o, v)"]
    body = "".join(f"        {step}\n" for step in steps)
    source = ("def to_dict(o):\n"
              + (f"    try:\n{body}    except (ArithmeticError, ValueError):\n        return by_accessors(o)\n"
                 if steps else "")
              + "    return {\n" + "".join(f"        {entry},\n" for entry in entries) + "    }\n")
    exec(compile(source, f"<{kind.__qualname__}.to_dict>", "exec"), namespace)  # noqa: S102 - our own source
    function: Callable[[Model], dict[str, Any]] = namespace["to_dict"]
    _TO_DICT[kind] = function
    return function


def _model_of_list(annotation: Any) -> type[Model] | None:
    """``K`` for a field of type ``list[K]`` where ``K`` is a model; else None."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, Model):
            return item
    return None


def _kept(table: str, value: str) -> list[str]:
    """The source lines keeping ``value`` in ``table`` at ``v`` as the accessors keep it (bounded)."""
    return [f"        if len({table}) >= shared.LIMIT:", f"            {table}.clear()",
            f"        {table}[v] = {value}"]


def _by_accessors(model: Model) -> dict[str, Any]:
    """``to_dict`` read through the accessors: each converts its field or raises its typed error."""
    return {name: _plain(getattr(model, name)) for name in public_fields(type(model))}


def _value_source(annotation: Any, wire: str) -> str:
    """The expression ``to_dict`` holds for a field kept as decoded: as is (numbers, text, flags),
    an enum's value, or ``plain`` for anything else (nested models, lists, dicts)."""
    members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    optional = NoneType in members
    kinds = [member for member in members if member is not NoneType]
    if all(isinstance(member, type) for member in kinds):
        if len(kinds) == 1 and issubclass(kinds[0], Enum):
            return f"None if (v := {wire}) is None else v._value_" if optional else f"{wire}._value_"
        if all(issubclass(member, _SCALARS) and not issubclass(member, Enum) for member in kinds):
            return wire
    return f"plain({wire})"


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime) and is_unset_time(value):
        return None
    return value


__all__ = [
    "Dec",
    "Decimal",
    "Leverage",
    "Model",
    "MsTime",
    "OptionalDec",
    "OptionalMsTime",
    "UtcDateTime",
    "WireNumber",
    "is_unset_time",
    "lazy_fields",
    "public_fields",
    "to_ms",
    "wire_name",
]
