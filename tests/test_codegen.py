"""The blocking client is generated from the async one; the checked-in copy must be current."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient

ROOT = Path(__file__).resolve().parent.parent


def test_sync_twin_is_up_to_date() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_sync.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_sync_and_async_surfaces_match() -> None:
    sync_api = BinanceRestClient("k", "s").usd_futures_api
    async_api = AsyncBinanceRestClient("k", "s").usd_futures_api
    for area in (name for name in dir(sync_api) if not name.startswith("_")):
        sync_ops = {n for n in dir(getattr(sync_api, area)) if not n.startswith("_")}
        async_ops = {n for n in dir(getattr(async_api, area)) if not n.startswith("_")}
        assert sync_ops == async_ops, area
        for name in sync_ops:
            sync_sig = inspect.signature(getattr(getattr(sync_api, area), name))
            async_sig = inspect.signature(getattr(getattr(async_api, area), name))
            assert list(sync_sig.parameters) == list(async_sig.parameters), name
            assert inspect.iscoroutinefunction(getattr(getattr(async_api, area), name)) or name.startswith("iter")


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_sync", ROOT / "scripts" / "gen_sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_rule_that_matches_nothing_fails_the_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = load_generator()
    stale = (re.compile(r"\bAsyncGoneAway\b", re.MULTILINE), "GoneAway")
    monkeypatch.setattr(gen, "RULES", [*gen.RULES, (stale[0].pattern, stale[1])])
    monkeypatch.setattr(gen, "_COMPILED", [*gen._COMPILED, stale])
    with pytest.raises(SystemExit, match=r"match nothing.*AsyncGoneAway"):
        gen.generated()


def code_only(source: str) -> str:
    """``source`` without its docstrings and comments."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body[0] = ast.Pass()
    return ast.unparse(tree)


def test_every_rule_renames_code_not_prose() -> None:
    """Each rule matches the async code itself, not only its docstrings or comments: prose is
    written to be true of both twins, so no rule depends on its wording."""
    gen = load_generator()
    code = "\n".join(code_only(path.read_text()) for path in sorted(gen.SOURCE.glob("*.py")))
    for pattern, _ in gen._COMPILED:
        assert pattern.search(code), pattern.pattern
