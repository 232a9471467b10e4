"""Every lazily converted field is a pair, the wire value (``entry_price_str``, ``update_time_ms``)
and its typed accessor (``entry_price = Dec()``); every model of the package is held to the pairing
here: kind (decimal or time) and optionality agree, and no accessor reads a field that is not there.

(Deriving the pair from one declaration needs a ``msgspec.StructMeta`` subclass, and msgspec decodes
the instances of such classes more slowly: +740 instructions per struct, +17 % on the 21 KB account
answer under valgrind. Decoding speed is what the lazy fields are for, so the pairs stay written out.)"""

from __future__ import annotations

import inspect
import typing
from decimal import Decimal
from enum import Enum
from types import NoneType, UnionType
from typing import Any, Union

import msgspec
import pytest

import binance_usdm.models as models_package
from binance_usdm.errors import ResponseValueError
from binance_usdm.models import _base, events
from binance_usdm.models._base import Dec, Leverage, Model, MsTime, OptionalDec, OptionalMsTime

# (required, optional) accessor kinds per wire suffix; a leverage string is read as an int (Leverage)
SUFFIX_KINDS = {"_str": (Dec | Leverage, OptionalDec), "_ms": (MsTime, OptionalMsTime)}
# a wire value kept raw on purpose or not yet typed by its owner (the stream's order update: 0 = none)
RAW_ONLY = {("OrderUpdate", "good_till_ms")}


def all_models() -> list[type[Model]]:
    found: set[type[Model]] = set()
    for module in (models_package, *[getattr(models_package, n) for n in ("account", "positions", "settings",
                                                                           "history", "streams")], events):
        found.update(c for c in vars(module).values() if inspect.isclass(c) and issubclass(c, Model))
    return sorted(found - {Model}, key=lambda c: c.__name__)


MODELS = all_models()


def test_every_model_is_found() -> None:
    names = {model.__name__ for model in MODELS}
    assert {"PositionDetails", "PositionV3", "AccountPosition", "AccountInfo", "IncomeRecord",
            "BalanceUpdate"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_wire_fields_and_typed_accessors_pair_up(model: type[Model]) -> None:
    wire = {field.name: field for field in msgspec.structs.fields(model)}
    for name, field in wire.items():
        suffix = next((s for s in SUFFIX_KINDS if name.endswith(s)), None)
        if suffix is None or (model.__name__, name) in RAW_ONLY:
            continue
        accessor = inspect.getattr_static(model, name.removesuffix(suffix), None)
        required_kind, optional_kind = SUFFIX_KINDS[suffix]
        assert isinstance(accessor, required_kind | optional_kind), f"{model.__name__}.{name} has no accessor"
        assert accessor.raw == name
        optional = field.default is None
        assert isinstance(accessor, optional_kind) == optional, f"{model.__name__}.{name}: optional {optional}"
    for klass in model.__mro__:
        for attribute, value in vars(klass).items():
            if isinstance(value, _base._WireField):
                assert value.raw in wire, f"{model.__name__}.{attribute} reads a wire field it does not have"


# --- to_dict: the generated function gives what the accessors give, for every model ----------------
def _example(annotation: Any, variant: int, name: str) -> Any:
    """A value of ``annotation`` for field ``name``; ``variant`` picks among the wire forms Binance
    sends or has sent (decimal text, a bare JSON number, empty, null, 0 and -1 for times)."""
    members = typing.get_args(annotation) if typing.get_origin(annotation) in (Union, UnionType) else ()
    if members:
        if NoneType in members and variant % 4 == 3:
            return None
        if str in members and int in members and float in members:  # a wire number
            return ["12.50000000", 7, 0.1, "-0.00000001"][variant % 4]
        return _example(next(m for m in members if m is not NoneType), variant, name)
    origin = typing.get_origin(annotation)
    if origin is list:
        return [_example(typing.get_args(annotation)[0], variant + i, name) for i in range(2)]
    if origin is dict:
        return {"BTCUSDT": _example(typing.get_args(annotation)[1], variant, name)}
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return _instance(annotation, variant)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)[variant % len(annotation)]
    if annotation is bool:
        return variant % 2 == 0
    if annotation is int:
        return [1_700_000_000_123, 0, -1, 42][variant % 4] if name.endswith("_ms") else 42 + variant
    simple = {str: f"text{variant}", float: 1.25, Decimal: Decimal("0.00000100")}
    return simple.get(annotation, f"text{variant}")


def _instance(model: type[Model], variant: int) -> Model:
    values = {}
    for field in msgspec.structs.fields(model):
        value = _example(field.type, variant, field.name)
        lazy = _base.lazy_fields(model).get(field.name)
        if isinstance(lazy, Leverage):
            value = str(5 + variant)
        elif isinstance(lazy, OptionalDec) and variant % 4 == 2:
            value = ""  # an optional number Binance sent empty
        values[field.name] = value
    return model(**values)


def _by_accessors(model: Model) -> dict[str, Any]:
    """What ``to_dict`` must give: every public field read through its accessor, made plain."""
    return {public: _base._plain(getattr(model, public)) for public in _base.public_fields(type(model))}


@pytest.mark.parametrize("model", [m for m in MODELS if m.to_dict is Model.to_dict], ids=lambda m: m.__name__)
def test_to_dict_gives_the_typed_accessors_values(model: type[Model]) -> None:
    compiled = _base._compile_to_dict(model)
    for variant in range(8):
        instance = _instance(model, variant)
        expected = _by_accessors(instance)
        for made in (compiled(instance), _base._by_accessors(instance)):  # compiled, and the first objects'
            assert made == expected
            assert [type(v) for v in made.values()] == [type(v) for v in expected.values()]


@pytest.fixture
def uncompiled(monkeypatch: pytest.MonkeyPatch) -> None:
    """No to_dict compiled yet, compiled after the third object of a model type."""
    monkeypatch.setattr(_base, "_TO_DICT", {})
    monkeypatch.setattr(_base, "_READ_THROUGH", {})
    monkeypatch.setattr(_base, "COMPILE_AFTER", 3)


@pytest.mark.usefixtures("uncompiled")
def test_to_dict_is_compiled_after_the_first_objects_and_gives_the_same() -> None:
    kind = models_package.AccountInfo
    instances = [_instance(kind, variant) for variant in range(8)]
    first = [instance.to_dict() for instance in instances[:3]]
    assert kind not in _base._TO_DICT
    later = [instance.to_dict() for instance in instances]
    assert kind in _base._TO_DICT
    compiled = _base._TO_DICT[kind]
    assert (first, later) == ([compiled(i) for i in instances[:3]], [compiled(i) for i in instances])


@pytest.mark.parametrize("compiled", [False, True], ids=["first objects", "compiled"])
def test_a_number_that_is_not_one_fails_to_dict_as_the_accessor_does(compiled: bool, uncompiled: None) -> None:
    position = _instance(models_package.AccountPosition, 0)
    if compiled:
        _base._compile_to_dict(models_package.AccountPosition)
    position.entry_price_str = "n/a"
    with pytest.raises(ResponseValueError, match="entry_price"):
        position.to_dict()
