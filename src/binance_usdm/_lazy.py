"""Lazy public names of a package (PEP 562): ``from binance_usdm import X`` imports X's module only
then, so a program (or the ``usdm`` CLI) pays at start-up for what it uses, not for everything the
package offers. Type checkers read the package's ``if TYPE_CHECKING:`` imports instead."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    namespace: dict[str, Any], exports: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the package whose ``globals()`` is ``namespace`` and
    whose public names are ``exports`` (module -> the names it defines). A name's module is imported
    on the name's first access; the value is then kept in the package."""
    package = namespace["__name__"]
    home = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__
