"""Account state: credentials, wallet balances, positions and per-symbol settings (no rules here).

The state of one account serializes to a JSON-compatible dict (`to_dict` / `from_dict`), which is
what the persistence layer stores and what scenario files describe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any

import msgspec

from .store import AccountRows

DEFAULT_LEVERAGE = 20
_copy_with = msgspec.structs.replace
#: Makes a named tuple in C (`AccountRows(...)` runs its generated Python `__new__`).
_new_rows = tuple.__new__


@dataclass(slots=True)
class Credential:
    """An API key with either an HMAC secret or an RSA/Ed25519 public key (PEM)."""

    api_key: str
    secret: str | None = field(default=None, repr=False)
    public_key_pem: str | None = None


@dataclass(slots=True)
class Position:
    """A position leg: signed amount (short < 0), entry price and isolated wallet."""

    symbol: str
    side: str
    amount: Decimal
    entry_price: Decimal
    isolated_wallet: Decimal = Decimal(0)
    update_time: int = 0


@dataclass(frozen=True, slots=True)
class SymbolSettings:
    """Per-symbol leverage and margin type (immutable: a change replaces the symbol's entry, so drafts
    share the entries they do not change)."""

    leverage: int = DEFAULT_LEVERAGE
    isolated: bool = False


#: A symbol's settings until a change sets them.
DEFAULT_SETTINGS = SymbolSettings()
#: One settings entry per (leverage, margin type) a change set: entries are immutable, so changes share them.
_SETTINGS: dict[tuple[int, bool], SymbolSettings] = {}


def symbol_settings(leverage: int, isolated: bool) -> SymbolSettings:
    """The settings entry of a leverage and margin type, made once (a change sets a valid leverage,
    1..125, or keeps the one an account holds: a bounded set of entries)."""
    entry = _SETTINGS.get((leverage, isolated))
    if entry is None:
        entry = _SETTINGS[(leverage, isolated)] = SymbolSettings(leverage, isolated)
    return entry


class Account(msgspec.Struct):
    """Everything Binance keeps per USDⓈ-M account that the account endpoints expose. (A struct:
    `settings_draft` copies it in one C call.)"""

    account_id: str
    alias: str
    credentials: list[Credential] = msgspec.field(default_factory=list)
    balances: dict[str, Decimal] = msgspec.field(default_factory=dict)
    balance_times: dict[str, int] = msgspec.field(default_factory=dict)
    positions: dict[tuple[str, str], Position] = msgspec.field(default_factory=dict)
    settings: dict[str, SymbolSettings] = msgspec.field(default_factory=dict)
    dual_side: bool = False
    multi_assets: bool = False
    fee_tier: int = 0
    #: BNB fee discount ("feeBurn"), on by default as on a new Binance account.
    fee_burn: bool = True
    maker_rate: Decimal = Decimal("0.0002")
    taker_rate: Decimal = Decimal("0.0005")
    rpi_rate: Decimal = Decimal("0.00007")
    can_trade: bool = True
    can_deposit: bool = True
    can_withdraw: bool = True
    trading_indicators: dict[str, list[dict[str, Any]]] = msgspec.field(default_factory=dict)
    indicators_time: int = 0
    update_time: int = 0

    def setting(self, symbol: str) -> SymbolSettings:
        """The symbol's settings, created with Binance's defaults (20x, cross) on first use."""
        s = self.settings.get(symbol)
        if s is None:
            s = self.settings[symbol] = SymbolSettings()
        return s

    def open_positions(self, symbol: str | None = None) -> list[Position]:
        """Legs with a non-zero amount, optionally for one symbol."""
        if symbol is None:
            return [p for p in self.positions.values() if p.amount]
        legs = []
        for p in self.positions.values():  # a loop: a comprehension is a call of its own (every leverage change asks)
            if p.symbol == symbol and p.amount:
                legs.append(p)
        return legs

    def draft(self) -> Account:
        """A copy to change without touching this account: its containers and positions are new
        objects; credentials, trading indicators and symbol settings are shared (they are replaced, never
        changed in place). Much cheaper than `copy.deepcopy`, which walks every Decimal."""
        draft = self.settings_draft(self.update_time)
        draft.credentials = list(self.credentials)
        draft.balances = dict(self.balances)
        draft.balance_times = dict(self.balance_times)
        draft.positions = {k: Position(p.symbol, p.side, p.amount, p.entry_price, p.isolated_wallet, p.update_time)
                           for k, p in self.positions.items()}
        return draft

    def settings_draft(self, update_time: int) -> Account:
        """A copy for a change of settings alone, updated at `update_time`: only the settings dict is new
        (the credentials, balances and positions containers and legs are shared, so nothing else may
        change in place)."""
        return _copy_with(self, settings=dict(self.settings), update_time=update_time)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible state (Decimals as strings)."""
        return {
            **self.header_dict(),
            "updateTime": self.update_time,
            "positions": [position_dict(p) for p in self.positions.values()],
            "symbols": {s: settings_dict(v) for s, v in self.settings.items()},
        }

    def header_dict(self) -> dict[str, Any]:
        """`to_dict` without the per-symbol settings, the positions (stored as rows of their own) and the
        update time (a column of its own: most changes move it and nothing else of the header)."""
        return {
            "accountId": self.account_id,
            "alias": self.alias,
            "credentials": [
                {"apiKey": c.api_key, "apiSecret": c.secret, "publicKeyPem": c.public_key_pem}
                for c in self.credentials
            ],
            "balances": {a: str(v) for a, v in self.balances.items()},
            "balanceTimes": self.balance_times,
            "dualSidePosition": self.dual_side,
            "multiAssetsMargin": self.multi_assets,
            "feeTier": self.fee_tier,
            "feeBurn": self.fee_burn,
            "commission": {"maker": str(self.maker_rate), "taker": str(self.taker_rate),
                           "rpi": str(self.rpi_rate)},
            "canTrade": self.can_trade,
            "canDeposit": self.can_deposit,
            "canWithdraw": self.can_withdraw,
            "tradingStatus": {"indicators": self.trading_indicators, "updateTime": self.indicators_time},
        }

    def rows_since(self, old: Account | None) -> AccountRows:
        """What to write to the store to turn `old` (this account's stored state; None when there is
        none) into this state: only the header, settings and positions that differ."""
        if old is None or old is self:
            return AccountRows(self.header_dict(), {s: settings_dict(v) for s, v in self.settings.items()},
                               {k: position_dict(p) for k, p in self.positions.items()}, self.update_time,
                               replace=True)
        was, now = old.settings, self.settings
        symbols: dict[str, dict[str, Any] | None] = {}
        for s, v in now.items():  # a shared entry is unchanged, others compared by field (a loop: no call)
            if (w := was.get(s)) is not v and (w is None or w.leverage != v.leverage or w.isolated != v.isolated):
                symbols[s] = {"leverage": v.leverage, "marginType": "ISOLATED" if v.isolated else "CROSSED"}
        if not was.keys() <= now.keys():
            symbols.update((s, None) for s in was if s not in now)
        before = old.positions
        positions: dict[tuple[str, str], dict[str, Any] | None] = {}
        if self.positions is not before:  # (a settings draft shares the legs: `settings_draft`)
            positions.update((k, position_dict(p)) for k, p in self.positions.items()
                             if before.get(k) is not p and before.get(k) != p)  # a shared leg is unchanged
            if not before.keys() <= self.positions.keys():
                positions.update((k, None) for k in before if k not in self.positions)
        # The header is unchanged when its fields are the same objects (a settings draft shares them all:
        # attribute reads, not the two 17-field tuples of `_header`, which compare it by value otherwise).
        same = (self.account_id is old.account_id and self.alias is old.alias and self.credentials is old.credentials
                and self.balances is old.balances and self.balance_times is old.balance_times
                and self.dual_side is old.dual_side and self.multi_assets is old.multi_assets
                and self.fee_tier is old.fee_tier and self.fee_burn is old.fee_burn
                and self.maker_rate is old.maker_rate and self.taker_rate is old.taker_rate
                and self.rpi_rate is old.rpi_rate and self.can_trade is old.can_trade
                and self.can_deposit is old.can_deposit and self.can_withdraw is old.can_withdraw
                and self.trading_indicators is old.trading_indicators
                and self.indicators_time is old.indicators_time) or _header(self) == _header(old)
        return _new_rows(AccountRows, (None if same else self.header_dict(), symbols, positions,
                                       None if self.update_time == old.update_time else self.update_time, False))

    @classmethod
    def from_dict(cls, d: dict[str, Any], now_ms: int) -> Account:
        """Build an account from `to_dict` output or a scenario entry (missing fields get defaults)."""
        acc = cls(account_id=str(d.get("accountId") or d.get("alias") or "demo"), alias=str(d.get("alias", "demo")))
        for c in d.get("credentials", []):
            acc.credentials.append(Credential(c["apiKey"], c.get("apiSecret"), c.get("publicKeyPem")))
        if "apiKey" in d:
            acc.credentials.append(Credential(d["apiKey"], d.get("apiSecret"), d.get("publicKeyPem")))
        acc.balances = {a: Decimal(str(v)) for a, v in d.get("balances", {}).items()}
        acc.balance_times = {a: int(d.get("balanceTimes", {}).get(a, now_ms)) for a in acc.balances}
        for s, v in d.get("symbols", {}).items():
            acc.settings[s] = SymbolSettings(
                int(v.get("leverage", DEFAULT_LEVERAGE)),
                str(v.get("marginType", "CROSSED")).upper() == "ISOLATED",
            )
        for p in d.get("positions", []):
            pos = Position(
                p["symbol"], p.get("positionSide", "BOTH"), Decimal(str(p["positionAmt"])),
                Decimal(str(p["entryPrice"])), Decimal(str(p.get("isolatedWallet", "0"))),
                int(p.get("updateTime", now_ms)),
            )
            acc.positions[(pos.symbol, pos.side)] = pos
        acc.dual_side = bool(d.get("dualSidePosition", False))
        acc.multi_assets = bool(d.get("multiAssetsMargin", False))
        acc.fee_tier = int(d.get("feeTier", 0))
        acc.fee_burn = bool(d.get("feeBurn", True))
        com = d.get("commission", {})
        acc.maker_rate = Decimal(str(com.get("maker", acc.maker_rate)))
        acc.taker_rate = Decimal(str(com.get("taker", acc.taker_rate)))
        acc.rpi_rate = Decimal(str(com.get("rpi", acc.rpi_rate)))
        acc.can_trade = bool(d.get("canTrade", True))
        acc.can_deposit = bool(d.get("canDeposit", True))
        acc.can_withdraw = bool(d.get("canWithdraw", True))
        ts = d.get("tradingStatus", {})
        acc.trading_indicators = dict(ts.get("indicators", {}))
        acc.indicators_time = int(ts.get("updateTime", 0))
        acc.update_time = int(d.get("updateTime", 0))
        return acc


#: The fields `header_dict` stores, read at once (one tuple to compare).
_header = attrgetter(*(f for f in Account.__struct_fields__ if f not in ("positions", "settings", "update_time")))


def position_dict(p: Position) -> dict[str, Any]:
    """A position leg as stored (`Account.to_dict`'s "positions" items)."""
    return {
        "symbol": p.symbol,
        "positionSide": p.side,
        "positionAmt": str(p.amount),
        "entryPrice": str(p.entry_price),
        "isolatedWallet": str(p.isolated_wallet),
        "updateTime": p.update_time,
    }


def settings_dict(v: SymbolSettings) -> dict[str, Any]:
    """A symbol's settings as stored (`Account.to_dict`'s "symbols" values; `Account.rows_since` writes
    it out itself)."""
    return {"leverage": v.leverage, "marginType": "ISOLATED" if v.isolated else "CROSSED"}
