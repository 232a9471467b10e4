"""``AsyncLiveAccount``: the account mirrored live, a REST snapshot kept current by the user data stream.

It connects the stream first, then reads the snapshot (v3 account, v2 position risk with every
symbol's leverage and margin type, position mode, Multi-Assets mode) while the stream's frames wait
in the socket, then applies what arrived, skipping what the snapshot already holds. After every
reconnect (a new listen key is followed by one too: one snapshot closes both) or unreadable frame it
reads a new snapshot, since events may be lost, and reports what that snapshot changed. The rules
are ``binance_usdm._wire.account_state``'s.

Iterating it yields an ``Update`` per stream item (the event or notice and the changes it made); the
state (``balances``, ``positions``, ``leverage``, ``margin_type``, the modes) is current as of the
last update consumed, so keep iterating it (or ``run()`` it) while you read the state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from binance_usdm._async.lifecycle import AsyncSource
from binance_usdm._async.listen_key import AsyncClientLike
from binance_usdm._async.user_stream import AsyncUserDataStream, StreamItem
from binance_usdm._wire.account_state import AccountState, Change, PositionKey, Snapshot
from binance_usdm.enums import MarginType, PositionSide
from binance_usdm.errors import BinanceError
from binance_usdm.models.events import BalanceUpdate, PositionUpdate
from binance_usdm.models.notices import MessageSkipped, Reconnected

SNAPSHOT_RETRY = 5.0
"""Seconds between attempts to read a snapshot that failed."""

_log = logging.getLogger("binance_usdm.stream")


class AsyncMirrorClient(AsyncClientLike, Protocol):
    """What the mirror needs of a client: the stream's needs and the server clock offset."""

    @property
    def time_offset_ms(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Update:
    """One stream item (event or notice) and the changes it made to the mirror."""

    item: StreamItem
    changes: tuple[Change, ...]


class AsyncLiveAccount(AsyncSource[Update]):
    """The account, live. Options for the stream (``route``, ``stream_url``, ``backoff``, ...) pass on
    to ``AsyncUserDataStream``; ``on_change`` is called with every change as it is applied."""

    def __init__(
        self, client: AsyncMirrorClient, *, on_change: Callable[[Change], object] | None = None, **stream: Any
    ) -> None:
        self._client = client
        self._account = client.usd_futures_api.account
        self.stream = AsyncUserDataStream(client, **stream)
        self.state = AccountState()
        self._on_change = on_change
        self._snapshot_due = False
        self._snapshot_failed_at: float | None = None

    # --- the state ----------------------------------------------------------------------------------
    @property
    def balances(self) -> dict[str, BalanceUpdate]:
        """Each asset's wallet and cross wallet balance."""
        return self.state.balances

    @property
    def positions(self) -> dict[PositionKey, PositionUpdate]:
        """Open positions by (symbol, side)."""
        return {key: position for key, position in self.state.positions.items() if position.position_amount}

    def leverage(self, symbol: str) -> int | None:
        """The symbol's leverage."""
        return self.state.leverage.get(symbol)

    def margin_type(self, symbol: str) -> MarginType | None:
        """The symbol's margin type."""
        return self.state.margin_type.get(symbol)

    @property
    def multi_assets_mode(self) -> bool:
        return self.state.multi_assets_mode

    @property
    def hedge_mode(self) -> bool:
        """Hedge (True) or One-way (False) position mode, as of the last snapshot: Binance pushes no
        event for it."""
        return self.state.position_mode_hedge

    def position(self, symbol: str, side: PositionSide = PositionSide.BOTH) -> PositionUpdate | None:
        return self.state.positions.get((symbol, side))

    # --- running it -----------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect the stream, then read the snapshot (raises if either fails)."""
        if self.state.ready:
            return
        await self.stream.open()
        await self.refresh()

    async def next_item(self) -> Update:
        """The next stream item, applied: the item and the changes it made."""
        await self.open()
        item = await self.stream.next_item()
        if isinstance(item, (Reconnected, MessageSkipped)):  # a ListenKeyReplaced precedes a Reconnected
            self._snapshot_due = True
        changes: list[Change] = []
        if self._snapshot_due and self._may_retry_snapshot():
            try:
                changes = await self.refresh()
            except BinanceError as exc:  # REST is down: keep applying events, try again later
                self._snapshot_failed_at = self.stream.clock()
                _log.warning("the live account could not read a new snapshot: %s", exc)
        changes += self.state.apply(item)
        if self._on_change is not None:
            for change in changes:
                self._on_change(change)
        return Update(item, tuple(changes))

    async def changes(self) -> AsyncIterator[Change]:
        """Every change, one at a time."""
        async for update in self:
            for change in update.changes:
                yield change

    async def run(self) -> None:
        """Keep the mirror current until it is closed (changes go to ``on_change``); the stream and its
        listen key are closed when it returns, also when it is cancelled or interrupted."""
        try:
            async for _ in self:
                pass
        finally:
            await self.aclose()

    async def read_snapshot(self) -> Snapshot:
        """The account as REST sees it now (the mirror is not changed): v3 account, v2 position risk,
        position mode, Multi-Assets mode."""
        started = time.time()
        account = self._account
        assets = (await account.get_account_info_v3()).unwrap().assets
        positions = (await account.get_position_information()).unwrap()
        hedge = (await account.get_position_mode()).unwrap().dual_side_position
        multi = (await account.get_multi_assets_mode()).unwrap().multi_assets_margin
        # the server's time at the start, by the offset the reads measured: a client's first call
        # syncs its clock, and with the offset from before it (none) an account whose local clock is
        # ahead of the server's dropped the events of its first minutes as older than the snapshot
        as_of_ms = int(started * 1000 + self._client.time_offset_ms)
        return Snapshot.from_rest(as_of_ms, assets, positions, multi_assets_mode=multi, hedge_mode=hedge)

    async def refresh(self) -> list[Change]:
        """Read a new snapshot now (e.g. after changing the position mode); the changes it shows."""
        snapshot = await self.read_snapshot()
        self._snapshot_due = False
        self._snapshot_failed_at = None
        return self.state.reset(snapshot)

    def _may_retry_snapshot(self) -> bool:
        failed = self._snapshot_failed_at
        return failed is None or self.stream.clock() - failed >= SNAPSHOT_RETRY

    async def aclose(self) -> None:
        """Close the stream and its listen key."""
        await self.stream.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.state.balances)} assets, {len(self.positions)} open positions)"
