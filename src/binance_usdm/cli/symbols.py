"""Shell completion of symbols from the exchange's own list, cached for a day per endpoint.

The list is every symbol with leverage brackets (``GET /fapi/v1/leverageBracket``: the symbols the
account can trade), fetched once with the invocation's credentials and endpoint and kept in
``$XDG_CACHE_HOME/usdm/`` (``~/.cache/usdm/``). Completion never prints or fails: without a list
(no network, refused key) it offers nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import click

from binance_usdm.cli.config import ConfigError
from binance_usdm.cli.session import Session
from binance_usdm.errors import BinanceError

CACHE_SECONDS = 86_400


def cache_path(endpoint: str) -> Path:
    """Where the symbol list of ``endpoint`` is cached."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.sha256(endpoint.encode()).hexdigest()[:16]
    return Path(base) / "usdm" / f"symbols-{digest}.json"


def _cached(path: Path) -> list[str] | None:
    try:
        if time.time() - path.stat().st_mtime > CACHE_SECONDS:
            return None
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, list) and all(isinstance(item, str) for item in data):
        return data
    return None


def _store(path: Path, symbols: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_text(json.dumps(symbols), "utf-8")
        os.replace(part, path)
    except OSError:
        pass  # an unwritable cache only costs a fetch next time


def known_symbols(ctx: click.Context) -> list[str]:
    """The exchange's symbols for the endpoint this command line would use (cached)."""
    root = ctx.find_root()
    params = root.params
    session = Session(root, base_url=params.get("base_url"), testnet=bool(params.get("testnet")),
                      profile=params.get("profile"), quiet=True)
    try:
        settings = session.settings()
        endpoint = session.base_url or settings.base_url or (
            "testnet" if session.testnet or settings.testnet else "live" if settings.credentials else "demo")
        path = cache_path(endpoint)
        symbols = _cached(path)
        if symbols is None:
            symbols = sorted({item.symbol for item in session.account.get_brackets().unwrap()})
            _store(path, symbols)
    except (BinanceError, ConfigError, OSError):
        return []
    finally:
        if session.has_client():
            session.client().close()
    return symbols
