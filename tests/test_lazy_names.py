"""Importing the package loads nothing but its version: every public name (of ``binance_usdm`` and
``binance_usdm._http``) is imported on first use, and the blocking client never loads asyncio.
What a process loads is checked in a fresh interpreter (no timings here: benchmarks/bench_startup.py)."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import binance_usdm

HEAVY = ("asyncio", "ssl", "msgspec", "urllib.request", "http.client", "rich", "pyarrow", "polars", "click",
         "binance_usdm.emulator", "binance_usdm.export", "binance_usdm.cli")


def loaded_after(code: str) -> set[str]:
    """The modules of HEAVY (and of the package) that a fresh interpreter has loaded after ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps([m for m in sys.modules if m.startswith(('binance_usdm', *{HEAVY!r}))]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_package_loads_only_its_version() -> None:
    assert loaded_after("import binance_usdm") == {"binance_usdm", "binance_usdm._lazy", "binance_usdm._version"}


def test_the_blocking_client_loads_neither_asyncio_nor_the_rest() -> None:
    """Nor ssl for a plain-HTTP origin (the local emulator)."""
    loaded = loaded_after(
        "from binance_usdm import BinanceRestClient\n"
        "BinanceRestClient('k', 's', base_url='http://127.0.0.1:1').close()"
    )
    assert "binance_usdm._sync.client" in loaded
    assert not loaded & {"asyncio", "ssl", "urllib.request", "http.client", "rich", "pyarrow", "polars", "click"}
    assert not {m for m in loaded if m.startswith(("binance_usdm._async", "binance_usdm.emulator",
                                                    "binance_usdm.export", "binance_usdm.cli"))}


def test_the_async_client_loads_what_it_needs() -> None:
    loaded = loaded_after("from binance_usdm import AsyncBinanceRestClient")
    assert {"asyncio", "binance_usdm._async.client"} <= loaded
    assert "binance_usdm._sync.core" not in loaded and "binance_usdm.emulator" not in loaded


def _declared(package: ModuleType) -> dict[str, str]:
    """Name -> module, from the package's ``if TYPE_CHECKING:`` imports (what type checkers read)."""
    tree = ast.parse(Path(package.__file__ or "").read_text())
    guard = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    return {alias.name: node.module or "" for node in guard.body if isinstance(node, ast.ImportFrom)
            for alias in node.names}


@pytest.mark.parametrize("name", ["binance_usdm", "binance_usdm._http"])
def test_lazy_names_are_the_public_names_and_resolve(name: str) -> None:
    package = importlib.import_module(name)
    exported = {n: module for module, names in package._EXPORTS.items() for n in names}
    assert exported == _declared(package)  # what type checkers see is what runs
    assert set(package.__all__) - {"__version__"} == set(exported)
    for public in package.__all__:
        value = getattr(package, public)
        assert value is getattr(importlib.import_module(exported.get(public, name)), public)
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        package.Nope  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {name} import Nope")  # noqa: S102


def test_star_import_and_submodules_still_work() -> None:
    namespace: dict[str, object] = {}
    exec("from binance_usdm import *", namespace)  # noqa: S102
    assert namespace["BinanceRestClient"] is binance_usdm.BinanceRestClient
    from binance_usdm import models

    assert models.AccountInfo.__module__ == "binance_usdm.models.account"
