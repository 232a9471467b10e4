"""The stream against the emulator itself over real sockets: what its state changes push (including
MARGIN_CALL), its own 24-hour cut, and a key that expires on its clock -> new key -> events go on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

from binance_usdm import BinanceRestClient, UserDataStream
from binance_usdm.emulator import EmulatorServer, StreamOptions
from binance_usdm.models.events import AccountConfigUpdate, AccountUpdate, ListenKeyExpired, MarginCall
from binance_usdm.stream import Backoff, Connected, Disconnected, ListenKeyReplaced, Reconnected, StreamItem
from tests.streams.test_live_account import admin

FAST = Backoff(initial=0.01, maximum=0.05)


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(stream=StreamOptions(lifetime_s=600)) as server:  # a "24-hour" cut after 10 minutes
        # 30 minutes before the next funding time: a test advancing the clock by hours always meets
        # a funding fee on the stream, whatever the time of day it runs at
        now, funding_interval = server.clock.now_ms(), 8 * 3600 * 1000
        server.clock.set(now - now % funding_interval + funding_interval - 30 * 60 * 1000)
        yield server


def _next(stream: UserDataStream, *kinds: type) -> StreamItem:
    """The next item, which must be one of ``kinds``. Funding fees are passed over: the emulator, like
    Binance, charges them at 00:00, 08:00 and 16:00 UTC, which a test advancing the clock by hours
    crosses at some times of day."""
    item = next(stream)
    while isinstance(item, AccountUpdate) and str(item.reason) == "FUNDING_FEE":
        item = next(stream)
    assert isinstance(item, kinds), item
    return item


def test_changes_push_events_including_a_margin_call(emu: EmulatorServer) -> None:
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client, \
            client.user_stream(backoff=FAST) as stream:
        _next(stream, Connected)
        client.usd_futures_api.account.change_initial_leverage("BTCUSDT", 8).unwrap()
        config = _next(stream, AccountConfigUpdate)
        assert isinstance(config, AccountConfigUpdate) and config.symbol_config is not None
        assert config.symbol_config.leverage == 8
        # the isolated short (-2.5 at 3520.25, 1180.06 isolated) nears liquidation: margin ratio > 0.8
        admin(emu, "/emulator/mark-price", {"symbol": "ETHUSDT", "price": "3985"})
        watchdog = threading.Timer(15, stream.close)  # ends the iteration if no MARGIN_CALL comes
        watchdog.start()
        try:
            call = next(item for item in stream if isinstance(item, MarginCall))
        finally:
            watchdog.cancel()
        (position,) = call.positions
        assert (position.symbol, str(position.margin_type)) == ("ETHUSDT", "ISOLATED")
        assert position.mark_price == Decimal("3985")


def test_the_servers_connection_cut_and_key_expiry_are_recovered(emu: EmulatorServer) -> None:
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client, \
            client.user_stream(backoff=FAST) as stream:
        _next(stream, Connected)
        emu.clock.advance(601)  # past the connection lifetime, the key still valid (60 minutes)
        cut = _next(stream, Disconnected)
        assert isinstance(cut, Disconnected) and "lifetime" in cut.reason
        _next(stream, Reconnected)
        client.usd_futures_api.account.change_initial_leverage("BTCUSDT", 9).unwrap()
        _next(stream, AccountConfigUpdate)
        emu.clock.advance(2 * 3600)  # nobody kept the key alive: the emulator expires it and says so
        _next(stream, ListenKeyExpired)
        replaced = _next(stream, ListenKeyReplaced)
        assert isinstance(replaced, ListenKeyReplaced) and "expired" in replaced.reason
        _next(stream, Reconnected)
        client.usd_futures_api.account.change_initial_leverage("BTCUSDT", 11).unwrap()
        update = _next(stream, AccountConfigUpdate)
        assert isinstance(update, AccountConfigUpdate) and update.symbol_config is not None
        assert update.symbol_config.leverage == 11


def test_isolated_margin_changes_arrive_as_account_updates(emu: EmulatorServer) -> None:
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client, \
            client.user_stream(backoff=FAST) as stream:
        _next(stream, Connected)
        client.usd_futures_api.account.modify_position_margin("ETHUSDT", 50, 2).unwrap()
        update = _next(stream, AccountUpdate)
        assert isinstance(update, AccountUpdate) and str(update.reason) == "MARGIN_TRANSFER"
