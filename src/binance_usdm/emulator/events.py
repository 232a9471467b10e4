"""Domain events: what a committed change did to an account, as small facts (no JSON here): named
tuples, immutable and made cheaply (one per change; a frozen dataclass costs several times more).

The backend publishes one of these after each change is committed (and while it still holds its
lock, so subscribers see the state right after that change). `userdata.py` turns them into
Binance's user-data payloads and `stream.py` delivers those; a rule never writes stream JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

_log = logging.getLogger(__name__)

#: The ACCOUNT_UPDATE reason types (`m`) of Binance's documentation
#: (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Balance-and-Position-Update).
REASONS = frozenset((
    "DEPOSIT", "WITHDRAW", "ORDER", "FUNDING_FEE", "WITHDRAW_REJECT", "ADJUSTMENT", "INSURANCE_CLEAR",
    "ADMIN_DEPOSIT", "ADMIN_WITHDRAW", "MARGIN_TRANSFER", "MARGIN_TYPE_CHANGE", "ASSET_TRANSFER",
    "OPTIONS_PREMIUM_FEE", "OPTIONS_SETTLE_PROFIT", "AUTO_EXCHANGE", "COIN_SWAP_DEPOSIT", "COIN_SWAP_WITHDRAW",
))


class LeverageChanged(NamedTuple):
    """`POST /fapi/v1/leverage` set a symbol's leverage."""

    account: str
    time: int
    symbol: str
    leverage: int


class MultiAssetsChanged(NamedTuple):
    """`POST /fapi/v1/multiAssetsMargin` switched Multi-Assets mode."""

    account: str
    time: int
    enabled: bool


class MarginTypeChanged(NamedTuple):
    """`POST /fapi/v1/marginType` switched a symbol between cross and isolated."""

    account: str
    time: int
    symbol: str


class IsolatedMarginMoved(NamedTuple):
    """`POST /fapi/v1/positionMargin` moved `amount` (signed: > 0 added) into an isolated leg."""

    account: str
    time: int
    symbol: str
    side: str
    asset: str
    amount: Decimal


class FundingCharged(NamedTuple):
    """A funding fee (signed: < 0 paid) charged to one leg at the funding time `time`, with the
    asset's wallet and cross wallet balance right after it (one funding time charges every leg in one
    commit, so the account's state after the commit is that after the last fee)."""

    account: str
    time: int
    symbol: str
    side: str
    asset: str
    amount: Decimal
    isolated: bool
    wallet: Decimal
    cross_wallet: Decimal


class BalanceAdjusted(NamedTuple):
    """An admin change of a wallet balance by `change`, for Binance's reason `reason`."""

    account: str
    time: int
    asset: str
    change: Decimal
    reason: str


class PositionAdjusted(NamedTuple):
    """An admin change of a position leg (opened, replaced, or closed with `realized` PnL)."""

    account: str
    time: int
    symbol: str
    side: str
    realized: Decimal = Decimal(0)


class MarkChanged(NamedTuple):
    """A mark price moved (accounts holding the symbol may come near liquidation)."""

    time: int
    symbol: str


class ListenKeyClosed(NamedTuple):
    """`DELETE /fapi/v1/listenKey` closed an account's listen key."""

    account: str
    time: int
    key: str


DomainEvent = (
    LeverageChanged | MultiAssetsChanged | MarginTypeChanged | IsolatedMarginMoved | FundingCharged
    | BalanceAdjusted | PositionAdjusted | MarkChanged | ListenKeyClosed
)
Subscriber = Callable[[DomainEvent], None]


class Publisher:
    """Hands each event to every subscriber, in publication order; a failing subscriber is logged
    and never undoes or blocks the change that was already committed. Subscribing and unsubscribing
    replace the subscriber tuple (safe while another thread publishes)."""

    def __init__(self) -> None:
        self._subscribers: tuple[Subscriber, ...] = ()
        #: Someone is subscribed: while False, a rule may skip making the events of its changes (nobody
        #: would receive them; most changes are made with no stream open).
        self.listening = False

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call `subscriber` with every event published from now on."""
        self._subscribers = (*self._subscribers, subscriber)
        self.listening = True

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop calling `subscriber`."""
        subscribers = list(self._subscribers)
        subscribers.remove(subscriber)
        self._subscribers = tuple(subscribers)
        self.listening = bool(subscribers)

    def publish(self, event: DomainEvent) -> None:
        """Deliver one event to the subscribers."""
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:
                _log.exception("event subscriber failed on %s", type(event).__name__)
