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
from .errors import Rejection
from .margin import is_amount


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


class ScenarioError(ValueError):
    """A scenario value Binance could not hold (the message names the account and the field)."""


def _amount(value: Any, what: str, *, positive: bool = False) -> Decimal:
    """An amount (`margin.is_amount`; `positive`: above zero), else `ScenarioError` naming `what`."""
    amount = Decimal(str(value))
    if not is_amount(amount) or (positive and amount <= 0):
        raise ScenarioError(f"{what} is {value!r}: it must be a finite{' positive' if positive else ''} "
                            "amount below 1e20")
    return amount


def _checked(backend: Backend, entry: dict[str, Any], acc: Account) -> None:
    """Refuse (`ScenarioError`) what no Binance account holds: an unknown symbol, a leverage the symbol
    does not allow, a margin type that is neither CROSSED nor ISOLATED, a balance that is no amount."""
    where = f"account {acc.account_id!r}"
    for symbol, settings in entry.get("symbols", {}).items():
        info = backend.symbols.get(symbol)
        if info is None:
            raise ScenarioError(f"{where}: unknown symbol {symbol!r} in symbols")
        leverage = acc.settings[symbol].leverage
        if not 1 <= leverage <= info.max_leverage:
            raise ScenarioError(f"{where}: leverage {leverage} of {symbol} is not within 1..{info.max_leverage}")
        if str(settings.get("marginType", "CROSSED")).upper() not in ("CROSSED", "ISOLATED"):
            raise ScenarioError(f"{where}: marginType of {symbol} must be CROSSED or ISOLATED")
    for asset, value in entry.get("balances", {}).items():
        _amount(value, f"{where}: the balance of {asset}")


def load_scenario(backend: Backend, data: dict[str, Any]) -> None:
    """Seed the backend (and its store) with a scenario; `ScenarioError` for a value Binance could not
    hold (`_checked`, positions, mark prices), two accounts with one id (an account without `accountId`
    is its `alias`, or "demo") or one API key, or no account at all."""
    now = backend.clock.now_ms()
    if not data.get("accounts"):
        raise ScenarioError("it has no accounts")
    for symbol, price in data.get("markPrices", {}).items():
        if symbol not in backend.symbols:
            raise ScenarioError(f"unknown symbol {symbol!r} in markPrices")
        backend.set_mark_price(symbol, _amount(price, f"the mark price of {symbol}", positive=True))
    seen: set[str] = set()
    for entry in data.get("accounts", []):
        state = {k: v for k, v in entry.items() if k != "positions"}
        acc = Account.from_dict(state, now)
        if acc.account_id in seen:  # (the later entry would silently take over the earlier one)
            raise ScenarioError(f"two accounts are account {acc.account_id!r} (each needs an accountId of its own)")
        seen.add(acc.account_id)
        _checked(backend, entry, acc)
        try:
            backend.add_account(acc)
        except ValueError as exc:  # an API key of another account
            raise ScenarioError(str(exc)) from None
        for p in entry.get("positions", []):
            symbol, side, wallet = p["symbol"], p.get("positionSide", "BOTH"), p.get("isolatedWallet")
            where = f"account {acc.account_id!r}: the {symbol} {side} position's"
            if symbol not in backend.symbols:
                raise ScenarioError(f"account {acc.account_id!r}: unknown symbol {symbol!r} in positions")
            amount = _amount(p["positionAmt"], f"{where} positionAmt")
            entry_price = _amount(p["entryPrice"], f"{where} entryPrice")
            if entry_price < 0 or (amount and not entry_price):
                raise ScenarioError(f"{where} entryPrice must be positive (0 only for an empty leg)")
            try:
                backend.set_position(acc, symbol, amount, entry_price, side,
                                     None if wallet is None else _amount(wallet, f"{where} isolatedWallet"))
            except Rejection as exc:  # a side the account's position mode does not have
                raise ScenarioError(f"account {acc.account_id!r}: the {symbol} position: {exc.msg}") from None
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
