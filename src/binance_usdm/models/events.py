"""User data stream events: what Binance pushes on a listen key's websocket, typed.

Each event keeps Binance's wire values and converts on access, like the REST models (exact
``Decimal``, aware UTC datetimes, enums that survive values added later). Binance's field names are
single letters, so every field names its wire key. Payloads as documented by Binance:

- ``ACCOUNT_UPDATE``: https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Balance-and-Position-Update
- ``ACCOUNT_CONFIG_UPDATE``: https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Account-Configuration-Update-previous-Leverage-Update
- ``MARGIN_CALL``: https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Margin-Call
- ``listenKeyExpired``: https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-User-Data-Stream-Expired
  (one version of that page shows ``E`` as a string; both forms are read)
- ``ORDER_TRADE_UPDATE``: https://developers.binance.com/docs/derivatives/portfolio-margin/user-data-streams/Event-Futures-Order-update
- ``TRADE_LITE``: https://www.binance.com/en/square/post/12769697924561 (launch announcement, 2024-09-03)

Any other event type decodes to ``GenericEvent`` with its raw payload (``decode_event``), never an
error: Binance adds event types over time (e.g. ``STRATEGY_UPDATE``, ``GRID_UPDATE``).
"""

from typing import Any, ClassVar

import msgspec
from msgspec import field

from binance_usdm.enums import MarginType, PositionSide, WireEnum
from binance_usdm.models._base import Dec, Model, MsTime, OptionalDec, UtcDateTime, WireNumber

REDACTED = "<redacted>"


class AccountUpdateReason(WireEnum):
    """Why an ``ACCOUNT_UPDATE`` was pushed (field ``m``)."""

    DEPOSIT = "DEPOSIT"
    WITHDRAW = "WITHDRAW"
    ORDER = "ORDER"
    FUNDING_FEE = "FUNDING_FEE"
    WITHDRAW_REJECT = "WITHDRAW_REJECT"
    ADJUSTMENT = "ADJUSTMENT"
    INSURANCE_CLEAR = "INSURANCE_CLEAR"
    ADMIN_DEPOSIT = "ADMIN_DEPOSIT"
    ADMIN_WITHDRAW = "ADMIN_WITHDRAW"
    MARGIN_TRANSFER = "MARGIN_TRANSFER"
    MARGIN_TYPE_CHANGE = "MARGIN_TYPE_CHANGE"
    ASSET_TRANSFER = "ASSET_TRANSFER"
    OPTIONS_PREMIUM_FEE = "OPTIONS_PREMIUM_FEE"
    OPTIONS_SETTLE_PROFIT = "OPTIONS_SETTLE_PROFIT"
    AUTO_EXCHANGE = "AUTO_EXCHANGE"
    COIN_SWAP_DEPOSIT = "COIN_SWAP_DEPOSIT"
    COIN_SWAP_WITHDRAW = "COIN_SWAP_WITHDRAW"


class Event(Model, tag_field="e", kw_only=True):
    """Base of the typed events: the event type (``e``) and event time (``E``)."""

    event_type: ClassVar[str]
    event_time_ms: int = field(name="E")
    event_time = MsTime()


class TransactedEvent(Event, kw_only=True):
    """An event that also carries the matching engine's transaction time (``T``)."""

    transaction_time_ms: int = field(name="T")
    transaction_time = MsTime()


class BalanceUpdate(Model, kw_only=True):
    """One asset in an ``ACCOUNT_UPDATE`` (only the assets that changed are pushed)."""

    asset: str = field(name="a")
    wallet_balance_str: WireNumber = field(name="wb")
    wallet_balance = Dec()
    cross_wallet_balance_str: WireNumber = field(name="cw")
    cross_wallet_balance = Dec()
    balance_change_str: WireNumber = field(name="bc", default="0")
    balance_change = Dec()
    """The change except PnL and commission."""


class PositionUpdate(Model, kw_only=True):
    """One position in an ``ACCOUNT_UPDATE`` (only the positions that changed are pushed)."""

    symbol: str = field(name="s")
    position_amount_str: WireNumber = field(name="pa")
    position_amount = Dec()
    entry_price_str: WireNumber = field(name="ep")
    entry_price = Dec()
    break_even_price_str: WireNumber | None = field(name="bep", default=None)
    break_even_price = OptionalDec()
    accumulated_realized_str: WireNumber = field(name="cr", default="0")
    accumulated_realized = Dec()
    """Pre-fee accumulated realized profit."""
    unrealized_pnl_str: WireNumber = field(name="up")
    unrealized_pnl = Dec()
    margin_type: MarginType = field(name="mt")
    isolated_wallet_str: WireNumber = field(name="iw", default="0")
    isolated_wallet = Dec()
    position_side: PositionSide = field(name="ps", default=PositionSide.BOTH)


class AccountUpdateData(Model, kw_only=True):
    """The ``a`` object of an ``ACCOUNT_UPDATE``: the reason, changed balances, changed positions."""

    reason: AccountUpdateReason = field(name="m")
    balances: list[BalanceUpdate] = field(name="B", default_factory=list)
    positions: list[PositionUpdate] = field(name="P", default_factory=list)


class AccountUpdate(TransactedEvent, tag="ACCOUNT_UPDATE", kw_only=True):
    """Balances and/or positions changed (``ACCOUNT_UPDATE``)."""

    event_type = "ACCOUNT_UPDATE"
    update: AccountUpdateData = field(name="a")

    @property
    def reason(self) -> AccountUpdateReason:
        return self.update.reason

    @property
    def balances(self) -> list[BalanceUpdate]:
        return self.update.balances

    @property
    def positions(self) -> list[PositionUpdate]:
        return self.update.positions


class SymbolConfig(Model, kw_only=True):
    """A symbol's new leverage (``ac`` of an ``ACCOUNT_CONFIG_UPDATE``)."""

    symbol: str = field(name="s")
    leverage: int = field(name="l")


class AccountConfig(Model, kw_only=True):
    """The account's new Multi-Assets mode (``ai`` of an ``ACCOUNT_CONFIG_UPDATE``)."""

    multi_assets_margin: bool = field(name="j")


class AccountConfigUpdate(TransactedEvent, tag="ACCOUNT_CONFIG_UPDATE", kw_only=True):
    """A symbol's leverage (``symbol_config``) or the Multi-Assets mode (``account_config``) changed."""

    event_type = "ACCOUNT_CONFIG_UPDATE"
    symbol_config: SymbolConfig | None = field(name="ac", default=None)
    account_config: AccountConfig | None = field(name="ai", default=None)


class MarginCallPosition(Model, kw_only=True):
    """One position at risk in a ``MARGIN_CALL``."""

    symbol: str = field(name="s")
    position_side: PositionSide = field(name="ps")
    position_amount_str: WireNumber = field(name="pa")
    position_amount = Dec()
    margin_type: MarginType = field(name="mt")
    isolated_wallet_str: WireNumber = field(name="iw", default="0")
    isolated_wallet = Dec()
    mark_price_str: WireNumber = field(name="mp")
    mark_price = Dec()
    unrealized_pnl_str: WireNumber = field(name="up")
    unrealized_pnl = Dec()
    maintenance_margin_str: WireNumber = field(name="mm")
    maintenance_margin = Dec()


class MarginCall(Event, tag="MARGIN_CALL", kw_only=True):
    """The account's positions are near liquidation (``MARGIN_CALL``; risk guidance only)."""

    event_type = "MARGIN_CALL"
    cross_wallet_balance_str: WireNumber | None = field(name="cw", default=None)
    cross_wallet_balance = OptionalDec()
    """Only pushed with a crossed position's margin call."""
    positions: list[MarginCallPosition] = field(name="p", default_factory=list)


class ListenKeyExpired(Model, tag_field="e", tag="listenKeyExpired", kw_only=True):
    """The listen key expired: no more events on it (``listenKeyExpired``). The key is never shown."""

    event_type: ClassVar[str] = "listenKeyExpired"
    event_time_raw: int | str = field(name="E")
    listen_key: str = field(name="listenKey", default="")

    @property
    def event_time_ms(self) -> int:
        return int(self.event_time_raw)

    @property
    def event_time(self) -> UtcDateTime:
        return UtcDateTime.from_ms(self.event_time_ms)

    def to_dict(self) -> dict[str, Any]:
        return {"event_time": self.event_time, "listen_key": REDACTED}

    def __repr__(self) -> str:
        return f"ListenKeyExpired(event_time={self.event_time!r}, listen_key={REDACTED!r})"


class OrderUpdate(Model, kw_only=True):
    """The ``o`` object of an ``ORDER_TRADE_UPDATE``."""

    symbol: str = field(name="s")
    client_order_id: str = field(name="c")
    side: str = field(name="S")
    order_type: str = field(name="o")
    time_in_force: str = field(name="f")
    original_quantity_str: WireNumber = field(name="q")
    original_quantity = Dec()
    original_price_str: WireNumber = field(name="p")
    original_price = Dec()
    average_price_str: WireNumber = field(name="ap")
    average_price = Dec()
    stop_price_str: WireNumber | None = field(name="sp", default=None)
    stop_price = OptionalDec()
    execution_type: str = field(name="x")
    order_status: str = field(name="X")
    order_id: int = field(name="i")
    last_filled_quantity_str: WireNumber = field(name="l")
    last_filled_quantity = Dec()
    filled_quantity_str: WireNumber = field(name="z")
    filled_quantity = Dec()
    last_filled_price_str: WireNumber = field(name="L")
    last_filled_price = Dec()
    commission_asset: str | None = field(name="N", default=None)
    commission_str: WireNumber | None = field(name="n", default=None)
    commission = OptionalDec()
    trade_time_ms: int = field(name="T")
    trade_time = MsTime()
    trade_id: int = field(name="t", default=0)
    bids_notional_str: WireNumber | None = field(name="b", default=None)
    bids_notional = OptionalDec()
    asks_notional_str: WireNumber | None = field(name="a", default=None)
    asks_notional = OptionalDec()
    is_maker: bool = field(name="m", default=False)
    is_reduce_only: bool = field(name="R", default=False)
    working_type: str | None = field(name="wt", default=None)
    original_order_type: str | None = field(name="ot", default=None)
    position_side: PositionSide = field(name="ps", default=PositionSide.BOTH)
    close_position: bool = field(name="cp", default=False)
    realized_profit_str: WireNumber = field(name="rp", default="0")
    realized_profit = Dec()
    price_protect: bool = field(name="pP", default=False)
    self_trade_prevention: str | None = field(name="V", default=None)
    price_match: str | None = field(name="pm", default=None)
    good_till_ms: int = field(name="gtd", default=0)


class OrderTradeUpdate(TransactedEvent, tag="ORDER_TRADE_UPDATE", kw_only=True):
    """An order was created, changed, filled or ended (``ORDER_TRADE_UPDATE``)."""

    event_type = "ORDER_TRADE_UPDATE"
    order: OrderUpdate = field(name="o")


class TradeLite(TransactedEvent, tag="TRADE_LITE", kw_only=True):
    """A fill, with fewer fields and less latency than ``ORDER_TRADE_UPDATE`` (``TRADE_LITE``)."""

    event_type = "TRADE_LITE"
    symbol: str = field(name="s")
    original_quantity_str: WireNumber = field(name="q")
    original_quantity = Dec()
    original_price_str: WireNumber = field(name="p")
    original_price = Dec()
    is_maker: bool = field(name="m")
    client_order_id: str = field(name="c")
    side: str = field(name="S")
    last_filled_price_str: WireNumber = field(name="L")
    last_filled_price = Dec()
    last_filled_quantity_str: WireNumber = field(name="l")
    last_filled_quantity = Dec()
    trade_id: int = field(name="t")
    order_id: int = field(name="i")


class GenericEvent(msgspec.Struct, frozen=True):
    """An event type this library does not type (yet): its type, time and raw payload."""

    event_type: str
    event_time_ms: int | None
    payload: dict[str, Any]

    @property
    def event_time(self) -> UtcDateTime | None:
        return None if self.event_time_ms is None else UtcDateTime.from_ms(self.event_time_ms)

    def to_dict(self) -> dict[str, Any]:
        return {"event_type": self.event_type, "event_time": self.event_time, "payload": self.payload}


TypedEvent = AccountUpdate | AccountConfigUpdate | MarginCall | ListenKeyExpired | OrderTradeUpdate | TradeLite
UserEvent = TypedEvent | GenericEvent
"""Whatever ``decode_event`` returns."""

EVENT_TYPES: dict[str, type[TypedEvent]] = {
    kind.event_type: kind
    for kind in (AccountUpdate, AccountConfigUpdate, MarginCall, ListenKeyExpired, OrderTradeUpdate, TradeLite)
}

_typed = msgspec.json.Decoder(TypedEvent)
_loose = msgspec.json.Decoder(dict[str, Any])


class UndecodableEvent(ValueError):
    """A frame that is not an event: not JSON, not an object, or a known event type of the wrong shape."""

    def __init__(self, problem: str, size: int) -> None:
        super().__init__(f"undecodable stream message ({size} bytes): {problem}")
        self.problem = problem
        self.size = size


def decode_event(frame: bytes | str) -> UserEvent | None:
    """One websocket frame -> its event. ``None`` for a frame that carries no event (a subscription
    answer such as ``{"result":null,"id":1}``); a combined-stream envelope ``{"stream":..,"data":..}``
    is unwrapped. Raises ``UndecodableEvent`` for anything else that cannot be read."""
    try:
        return _typed.decode(frame)
    except msgspec.DecodeError:
        pass
    try:
        payload = _loose.decode(frame)
    except msgspec.DecodeError as exc:
        raise UndecodableEvent(str(exc), len(frame)) from None
    return _from_payload(payload, len(frame))


def _from_payload(payload: dict[str, Any], size: int) -> UserEvent | None:
    data = payload.get("data")
    if isinstance(data, dict) and "stream" in payload:  # the combined-stream envelope
        payload = data
    kind = payload.get("e")
    if not isinstance(kind, str):
        if "result" in payload or "id" in payload:
            return None
        raise UndecodableEvent("no event type", size)
    if kind in EVENT_TYPES:
        try:
            return msgspec.convert(payload, EVENT_TYPES[kind], from_attributes=False)
        except msgspec.ValidationError as exc:
            raise UndecodableEvent(f"{kind}: {exc}", size) from None
    moment = payload.get("E")
    return GenericEvent(kind, moment if isinstance(moment, int) else None, payload)


__all__ = [
    "EVENT_TYPES",
    "AccountConfig",
    "AccountConfigUpdate",
    "AccountUpdate",
    "AccountUpdateData",
    "AccountUpdateReason",
    "BalanceUpdate",
    "Event",
    "GenericEvent",
    "ListenKeyExpired",
    "MarginCall",
    "MarginCallPosition",
    "OrderTradeUpdate",
    "OrderUpdate",
    "PositionUpdate",
    "SymbolConfig",
    "TradeLite",
    "TransactedEvent",
    "TypedEvent",
    "UndecodableEvent",
    "UserEvent",
    "decode_event",
]
