"""Scenario files: the starting state of the emulator (JSON; the demo ships as `scenarios/demo.json`).

Every key, and a complete example, is documented in the emulator README ("Scenario files"). Record
times are absolute (`time`, ms) or relative to the load time (`ageSeconds`). A position on an
isolated symbol without `isolatedWallet` gets its initial margin (entry notional / leverage).
"""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from .accounts import Account
from .backend import Backend


def read_scenario(path: str | Path | None = None) -> dict[str, Any]:
    """A scenario file's content; the shipped demo when `path` is None."""
    if path is None:
        text = resources.files(__package__).joinpath("scenarios/demo.json").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _timed(records: list[dict[str, Any]], now: int) -> list[dict[str, Any]]:
    out = []
    for r in records:
        r = dict(r)
        if "ageSeconds" in r:
            r["time"] = now - int(float(r.pop("ageSeconds")) * 1000)
        r.setdefault("time", now)
        out.append(r)
    return out


def load_scenario(backend: Backend, data: dict[str, Any]) -> None:
    """Seed the backend (and its store) with a scenario; `ValueError` for two accounts with one id (an
    account without `accountId` is its `alias`, or "demo") or one API key (`Backend.add_account`)."""
    now = backend.clock.now_ms()
    for symbol, price in data.get("markPrices", {}).items():
        backend.set_mark_price(symbol, Decimal(str(price)))
    seen: set[str] = set()
    for entry in data.get("accounts", []):
        state = {k: v for k, v in entry.items() if k != "positions"}
        acc = Account.from_dict(state, now)
        if acc.account_id in seen:  # (the later entry would silently take over the earlier one)
            raise ValueError(f"two accounts are account {acc.account_id!r} (each needs an accountId of its own)")
        seen.add(acc.account_id)
        backend.add_account(acc)
        for p in entry.get("positions", []):
            wallet = p.get("isolatedWallet")
            backend.set_position(
                acc, p["symbol"], Decimal(str(p["positionAmt"])), Decimal(str(p["entryPrice"])),
                p.get("positionSide", "BOTH"), None if wallet is None else Decimal(str(wallet)),
            )
        for gen in entry.get("generate", []):
            backend.generate_history(
                acc, gen["symbols"], float(gen.get("days", 7)), gen.get("interval", "8h"),
                int(gen.get("tradesPerInterval", 1)), int(gen.get("seed", 7)))
        backend.add_income(acc, _timed(entry.get("income", []), now))
        backend.add_margin_history(acc, _timed(entry.get("marginHistory", []), now))
        backend.add_orders(acc, _timed(entry.get("orders", []), now))
        backend.add_trades(acc, _timed(entry.get("trades", []), now))
        backend.add_algo_orders(acc, _timed(entry.get("algoOrders", []), now))
        for symbol, settings in entry.get("symbols", {}).items():
            if settings.get("openOrders"):
                backend.set_open_orders(acc, symbol, int(settings["openOrders"]))
    backend.mark_seeded()
