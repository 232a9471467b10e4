"""The live account's state, without I/O: a REST snapshot kept current by user data events.

Binance's guidance is the design: take the full state over REST, then update the local copy with
``ACCOUNT_UPDATE`` (which carries only the assets and positions that changed, as absolute values)
and ``ACCOUNT_CONFIG_UPDATE``; events older than the snapshot are ignored; order by ``E``.
https://www.binance.com/en/support/faq/930bf9127f45403182c178e9a174e6fa ("the full information of
assets and positions should be obtained via the related rest endpoints ... and the locally cached
asset or position data can be updated via the event ACCOUNT_UPDATE"),
https://developers.binance.com/docs/derivatives/portfolio-margin/user-data-streams/Connect
("strongly recommend you order your updates using E").

Because the values are absolute, replaying an event the snapshot already contains is harmless; the
shells connect first, take the snapshot while frames wait in the socket, and then apply what arrived,
skipping what is older than the snapshot (with a margin for the clock estimate).

Binance pushes no event when the position mode (Hedge / One-way) changes: that setting is as fresh
as the last snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import msgspec

from binance_usdm.enums import MarginType, PositionSide
from binance_usdm.models.account import AccountAsset
from binance_usdm.models.events import AccountConfigUpdate, AccountUpdate, BalanceUpdate, PositionUpdate, UserEvent
from binance_usdm.models.positions import PositionDetails

SNAPSHOT_MARGIN_MS = 1000
"""Events up to this long before the snapshot's (estimated) server time are still applied."""

ChangeKind = Literal["balance", "position", "leverage", "margin_type", "multi_assets_mode", "position_mode"]
PositionKey = tuple[str, PositionSide]


class Change(msgspec.Struct, frozen=True, gc=False):
    """One value of the account that changed: ``kind``, which one (``key``: the asset, ``"SYMBOL SIDE"``
    for a position, the symbol, or ``""`` for an account setting), ``old`` and ``new``. ``event`` is
    the event that brought it, None when a new REST snapshot found it (after a gap in the stream)."""

    kind: ChangeKind
    key: str
    old: object
    new: object
    event: UserEvent | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one REST read of the account says, as of ``as_of_ms`` (server time at its start)."""

    as_of_ms: int
    balances: dict[str, BalanceUpdate]
    positions: dict[PositionKey, PositionUpdate]
    leverage: dict[str, int]
    margin_type: dict[str, MarginType]
    multi_assets_mode: bool
    position_mode_hedge: bool

    @classmethod
    def from_rest(
        cls,
        as_of_ms: int,
        assets: Iterable[AccountAsset],
        positions: Iterable[PositionDetails],
        *,
        multi_assets_mode: bool,
        hedge_mode: bool,
    ) -> Snapshot:
        """From ``GET /fapi/v3/account`` assets, ``GET /fapi/v2/positionRisk`` (every symbol, with its
        leverage and margin type) and the two mode reads."""
        balances = {
            asset.asset: BalanceUpdate(
                asset=asset.asset,
                wallet_balance_str=asset.wallet_balance_str,
                cross_wallet_balance_str=asset.cross_wallet_balance_str,
            )
            for asset in assets
        }
        held: dict[PositionKey, PositionUpdate] = {}
        leverage: dict[str, int] = {}
        margin_type: dict[str, MarginType] = {}
        for position in positions:
            leverage[position.symbol] = int(position.leverage)
            margin_type[position.symbol] = position.margin_type
            held[(position.symbol, position.position_side)] = PositionUpdate(
                symbol=position.symbol,
                position_amount_str=position.position_amt_str,
                entry_price_str=position.entry_price_str,
                break_even_price_str=position.break_even_price_str,
                unrealized_pnl_str=position.un_realized_profit_str,
                margin_type=position.margin_type,
                isolated_wallet_str=position.isolated_wallet_str or "0",
                position_side=position.position_side,
            )
        return cls(as_of_ms, balances, held, leverage, margin_type, multi_assets_mode, hedge_mode)


def _change_key(key: PositionKey) -> str:
    """A position's ``Change.key``: ``"SYMBOL SIDE"``."""
    return f"{key[0]} {key[1]._value_}"


class AccountState:
    """Balances, positions, per-symbol leverage and margin type, and the account's modes."""

    def __init__(self) -> None:
        self.balances: dict[str, BalanceUpdate] = {}
        self.positions: dict[PositionKey, PositionUpdate] = {}
        self.leverage: dict[str, int] = {}
        self.margin_type: dict[str, MarginType] = {}
        self.multi_assets_mode = False
        self.position_mode_hedge = False
        self.as_of_ms = 0
        self.ready = False
        self._last_event_ms: dict[str, int] = {}

    def reset(self, snapshot: Snapshot) -> list[Change]:
        """Take a new snapshot; the changes it shows against the state so far (none the first time)."""
        changes = self._diff(snapshot) if self.ready else []
        self.balances = dict(snapshot.balances)
        self.positions = dict(snapshot.positions)
        self.leverage = dict(snapshot.leverage)
        self.margin_type = dict(snapshot.margin_type)
        self.multi_assets_mode = snapshot.multi_assets_mode
        self.position_mode_hedge = snapshot.position_mode_hedge
        self.as_of_ms = snapshot.as_of_ms - SNAPSHOT_MARGIN_MS
        self._last_event_ms.clear()
        self.ready = True
        return changes

    def apply(self, event: object) -> list[Change]:
        """Apply one event; the changes it made (none for an event older than the state, and none for
        anything else the stream yields)."""
        if isinstance(event, AccountUpdate):
            return self._account_update(event) if self._is_new(event.event_type, event.event_time_ms) else []
        if isinstance(event, AccountConfigUpdate):
            return self._config_update(event) if self._is_new(event.event_type, event.event_time_ms) else []
        return []

    def _is_new(self, kind: str, moment: int) -> bool:
        if moment < self.as_of_ms or moment < self._last_event_ms.get(kind, 0):
            return False
        self._last_event_ms[kind] = moment
        return True

    def _account_update(self, event: AccountUpdate) -> list[Change]:
        changes = []
        balances = self.balances
        for balance in event.update.balances:
            changes.append(Change("balance", balance.asset, balances.get(balance.asset), balance, event))
            balances[balance.asset] = balance
        positions = self.positions
        margin_types = self.margin_type
        for position in event.update.positions:
            key = (position.symbol, position.position_side)
            changes.append(Change("position", _change_key(key), positions.get(key), position, event))
            positions[key] = position
            old_type = margin_types.get(position.symbol)
            if old_type is not position.margin_type:
                margin_types[position.symbol] = position.margin_type
                changes.append(Change("margin_type", position.symbol, old_type, position.margin_type, event))
        return changes

    def _config_update(self, event: AccountConfigUpdate) -> list[Change]:
        changes = []
        if event.symbol_config is not None:
            symbol, leverage = event.symbol_config.symbol, event.symbol_config.leverage
            changes.append(Change("leverage", symbol, self.leverage.get(symbol), leverage, event))
            self.leverage[symbol] = leverage
        if event.account_config is not None:
            mode = event.account_config.multi_assets_margin
            changes.append(Change("multi_assets_mode", "", self.multi_assets_mode, mode, event))
            self.multi_assets_mode = mode
        return changes

    def _diff(self, snapshot: Snapshot) -> list[Change]:
        changes: list[Change] = []
        for asset in self.balances.keys() | snapshot.balances.keys():
            old, new = self.balances.get(asset), snapshot.balances.get(asset)
            if balance_values(old) != balance_values(new):
                changes.append(Change("balance", asset, old, new))
        for key in self.positions.keys() | snapshot.positions.keys():
            old_position, new_position = self.positions.get(key), snapshot.positions.get(key)
            if position_values(old_position) != position_values(new_position):
                changes.append(Change("position", _change_key(key), old_position, new_position))
        for kind, before, after in (("leverage", self.leverage, snapshot.leverage),
                                    ("margin_type", self.margin_type, snapshot.margin_type)):
            for symbol in before.keys() | after.keys():
                if before.get(symbol) != after.get(symbol):
                    changes.append(Change(kind, symbol, before.get(symbol), after.get(symbol)))  # type: ignore[arg-type]
        if self.multi_assets_mode != snapshot.multi_assets_mode:
            changes.append(Change("multi_assets_mode", "", self.multi_assets_mode, snapshot.multi_assets_mode))
        if self.position_mode_hedge != snapshot.position_mode_hedge:
            changes.append(Change("position_mode", "", self.position_mode_hedge, snapshot.position_mode_hedge))
        return changes

    def values(self) -> dict[str, object]:
        """The state as exact values, for comparing two states (e.g. with a fresh REST read): open
        positions only (a flat one with no isolated margin equals an absent one)."""
        return {
            "balances": {asset: balance_values(balance) for asset, balance in self.balances.items()},
            "positions": {
                key: position_values(position)
                for key, position in self.positions.items()
                if position.position_amount or position.isolated_wallet
            },
            "leverage": dict(self.leverage),
            "margin_type": dict(self.margin_type),
            "multi_assets_mode": self.multi_assets_mode,
            "position_mode_hedge": self.position_mode_hedge,
        }


def balance_values(balance: BalanceUpdate | None) -> tuple[Decimal, Decimal] | None:
    """A balance's wallet and cross wallet balance (what ``ACCOUNT_UPDATE`` keeps current)."""
    return None if balance is None else (balance.wallet_balance, balance.cross_wallet_balance)


def position_values(position: PositionUpdate | None) -> tuple[object, ...] | None:
    """A position's amount, entry price, unrealized PnL, margin type and isolated wallet."""
    if position is None:
        return None
    return (position.position_amount, position.entry_price, position.unrealized_pnl, position.margin_type,
            position.isolated_wallet)
