"""The base of every result model: camelCase wire names, ``to_dict`` and ``repr``.

Fields that Binance sends as decimal strings or millisecond times are kept as sent and converted on
access (``binance_usdm.models._fields``). ``to_dict`` is generated once per model type: one function
reading each wire field once and converting it inline.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from operator import attrgetter
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
        return (_TO_DICT.get(type(self)) or _first_to_dict)(self)

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
COMPILE_AFTER = 100
"""A model type's ``to_dict`` reads through the accessors for its first objects and is compiled
(``_compile_to_dict``) from the next on. Compiling costs ~0.3-0.5 ms per model, most of a process's
first ``to_dict``, and each compiled call then saves a few µs: repaid after about a hundred objects."""
_READ_THROUGH: dict[type[Model], int] = {}  # objects of a model type made plain through the accessors


def _first_to_dict(model: Model) -> dict[str, Any]:
    """``to_dict`` of a model type not compiled yet."""
    kind = type(model)
    count = _READ_THROUGH.get(kind, 0)
    if count < COMPILE_AFTER:
        _READ_THROUGH[kind] = count + 1
        return _by_accessors(model)
    return _compile_to_dict(kind)(model)


def _compile_to_dict(kind: type[Model]) -> Callable[[Model], dict[str, Any]]:
    """``kind``'s ``to_dict`` as one generated function, one expression per field: a shared value met
    before is a table lookup; a decimal text or time met for the first time is converted and kept
    inline (the accessors' rules and bounded tables, without a Python call per value); anything rarer
    (empty, null, a bare JSON number, a leverage, a full table) takes the accessor's getter. A model
    that shares no values converts inline. A text that is no number (or a time out of range) raises
    inline: ``to_dict`` then reads the accessors, which raise the field's ``ResponseValueError``."""
    lazy = lazy_fields(kind)
    steps, entries = [], []
    namespace: dict[str, Any] = {
        "plain": _plain, "exact": _fields._exact_decimal, "utc": utc_from_ms, "by_accessors": _by_accessors,
        "decimals": _fields._DECIMALS, "keep_decimal": _fields._DECIMALS.setdefault, "times": _fields._TIMES,
        "keep_time": _fields._TIMES.setdefault, "shared": _fields,
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
        get, read, convert = f"get{index}", f"read{index}", f"convert{index}"
        if accessor.shared:
            namespace[get], namespace[read] = accessor.table.get, accessor.fget
            if accessor.kind == "decimal":  # a miss of the common form (the wire value read again: the
                # hit path stores nothing) converted and kept without a call
                shared = (f"x if (x := {get}({wire})) is not None else keep_decimal(v, exact(v))"
                          f" if type(v := {wire}) is str and v and len(v) <= {_fields.LONGEST}"
                          f" and len(decimals) < shared.LIMIT else {read}(o)")
            elif accessor.kind == "time":  # 0 is Binance's "never": None
                shared = (f"None if (v := {wire}) == 0 else x if (x := {get}(v)) is not None"
                          f" else keep_time(v, utc(v)) if type(v) is int and v > 0 and len(times) < shared.LIMIT"
                          f" else {read}(o)")
            else:  # a leverage: few values, met again at once
                shared = f"x if (x := {get}({wire})) is not None else {read}(o)"
            entries.append(f"{accessor.name!r}: {shared}")
            continue
        # values that rarely repeat: converted inline, no table
        value = f"x{index}"
        namespace[convert] = accessor.convert
        entries.append(f"{accessor.name!r}: {value}")
        if accessor.kind == "decimal":
            steps.append(f"{value} = exact(v) if type(v := {wire}) is str and v else {convert}(o, v)")
        elif accessor.kind == "time":
            steps.append(f"{value} = None if (v := {wire}) == 0 else utc(v) if type(v) is int and v > 0"
                         f" else {convert}(o, v)")
        else:
            steps.append(f"{value} = {convert}(o, {wire})")
    body = "".join(f"        {step}\n" for step in steps)
    source = ("def to_dict(o):\n    try:\n" + body + "        return {\n"
              + "".join(f"            {entry},\n" for entry in entries)
              + "        }\n    except (ArithmeticError, ValueError):\n        return by_accessors(o)\n")
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


def _by_accessors(model: Model) -> dict[str, Any]:
    """``to_dict`` read through the accessors: each converts its field or raises its typed error (the
    first objects of a model type, and an object whose compiled ``to_dict`` met a value that is no
    number). The values read in one C call; only those that may not be plain already go through
    ``_plain``."""
    names, read, fixes = _READ_PLANS.get(type(model)) or _read_plan(type(model))
    values = read(model)
    if fixes:
        values = list(values)
        for index in fixes:
            values[index] = _plain(values[index])
    return dict(zip(names, values, strict=True))


_READ_PLANS: dict[type[Model], tuple[tuple[str, ...], Callable[[Model], Any], tuple[int, ...]]] = {}


def _read_plan(kind: type[Model]) -> tuple[tuple[str, ...], Callable[[Model], Any], tuple[int, ...]]:
    """``kind``'s public names, a getter of their values (a tuple) and the indexes of the values that
    may need ``_plain`` (times, enums, nested models and containers, any type not known plain)."""
    names = public_fields(kind)
    lazy = lazy_fields(kind)
    declared: dict[str, Any] = {}
    for klass in reversed(kind.__mro__):  # the annotations as written: cheap, unlike resolving them
        declared.update(vars(klass).get("__annotations__", {}))
    fixes = tuple(
        index for index, field in enumerate(kind.__struct_fields__)
        if (lazy[field].kind == "time" if field in lazy else not _is_plain(declared.get(field)))
    )
    read = attrgetter(*names) if len(names) > 1 else lambda model: (getattr(model, names[0]),)
    _READ_PLANS[kind] = plan = (names, read, fixes)
    return plan


def _is_plain(annotation: Any) -> bool:
    """A declared type whose values ``to_dict`` keeps as they are: numbers, text, flags (optional or not)."""
    members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    return all(member is NoneType or (isinstance(member, type) and issubclass(member, _SCALARS)
                                      and not issubclass(member, Enum)) for member in members)


def _value_source(annotation: Any, wire: str) -> str:
    """The expression ``to_dict`` holds for a field kept as decoded: as is (numbers, text, flags),
    an enum's value, or ``plain`` for anything else (nested models, lists, dicts)."""
    if _is_plain(annotation):
        return wire
    members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    kinds = [member for member in members if member is not NoneType]
    if len(kinds) == 1 and isinstance(kinds[0], type) and issubclass(kinds[0], Enum):
        return f"None if (v := {wire}) is None else v._value_" if NoneType in members else f"{wire}._value_"
    return f"plain({wire})"


_AS_IS = frozenset((str, int, float, bool, Decimal, NoneType))
"""What ``_plain`` returns as it is, known by its exact class: a plain isinstance check against a
model or an enum class asks its metaclass (~1,500 instructions), a read-through ``to_dict`` makes
hundreds of values plain."""


def _plain(value: Any) -> Any:
    if value.__class__ in _AS_IS:
        return value
    if isinstance(value, datetime):
        return None if is_unset_time(value) else value
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Enum):
        return value.value
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
