"""Every lazily converted field is a pair, the wire value (``entry_price_str``, ``update_time_ms``)
and its typed accessor (``entry_price = Dec()``); every model of the package is held to the pairing
here: kind (decimal or time) and optionality agree, and no accessor reads a field that is not there.

(Deriving the pair from one declaration needs a ``msgspec.StructMeta`` subclass, and msgspec decodes
the instances of such classes more slowly: +740 instructions per struct, +17 % on the 21 KB account
answer under valgrind. Decoding speed is what the lazy fields are for, so the pairs stay written out.)"""

from __future__ import annotations

import inspect

import msgspec
import pytest

import binance_usdm.models as models_package
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
