"""The live account mirror against the emulator over real sockets, sync and async: the snapshot, each
event kind applied, the re-snapshot after a gap, and (property) the mirror equals a fresh REST read
whenever the account is quiet, after random sequences of operations."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, MarginType, PositionSide, ServerError, Wait
from binance_usdm._sync.live_account import LiveAccount
from binance_usdm._wire.account_state import AccountState, Change
from binance_usdm.emulator import EmulatorServer
from binance_usdm.models.events import AccountConfigUpdate, AccountUpdate, BalanceUpdate, ListenKeyExpired
from binance_usdm.stream import Backoff, Connected, Disconnected, ListenKeyReplaced, Reconnected

FAST = Backoff(initial=0.01, maximum=0.05)


def admin(emu: EmulatorServer, path: str, body: dict[str, Any] | None = None) -> Any:
    """The emulator's admin API (changes go through its own loop, as a real client's would)."""
    host, port = emu.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", path, json.dumps(body or {}), {"Content-Type": "application/json"})
        answer = connection.getresponse()
        data = json.loads(answer.read() or b"null")
        assert answer.status == 200, (path, data)
        return data
    finally:
        connection.close()


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        # 30 minutes before the next funding time (00/08/16 UTC): a test advancing the clock by hours
        # always meets the funding fees, whatever the time of day it runs at
        now, funding_interval = server.clock.now_ms(), 8 * 3600 * 1000
        server.clock.set(now - now % funding_interval + funding_interval - 30 * 60 * 1000)
        yield server


@pytest.fixture
def client(emu: EmulatorServer) -> Iterator[BinanceRestClient]:
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as rest:
        yield rest


def fresh(account: LiveAccount) -> dict[str, object]:
    state = AccountState()
    state.reset(account.read_snapshot())
    return state.values()


ANY = object()


def until(account: LiveAccount, kind: str, key: str, new: object = ANY) -> list[Change]:
    """Apply updates until a change of (kind, key) (to ``new``, if given) arrives; the changes seen.
    A change that never comes closes the account after 20 s, which ends the loop (a failure); the
    failure says whether the watchdog closed it or it was closed already (by an earlier watchdog)."""
    seen: list[Change] = []
    fired = threading.Event()

    def watchdog_fires() -> None:
        fired.set()
        account.close()

    watchdog = threading.Timer(20, watchdog_fires)
    watchdog.start()
    try:
        for update in account:
            seen += update.changes
            if any(c.kind == kind and c.key == key and (new is ANY or c.new == new) for c in update.changes):
                return seen
    finally:
        watchdog.cancel()
    why = "within 20 s (the watchdog closed the mirror)" if fired.is_set() else "before the mirror ended"
    raise AssertionError(f"no {kind} change of {key} arrived {why}: {seen}")


def test_snapshot_then_every_kind_of_change(emu: EmulatorServer, client: BinanceRestClient) -> None:
    changes: list[Change] = []
    with client.live_account(on_change=changes.append) as account:
        assert account.state.values() == fresh(account)
        assert account.leverage("BTCUSDT") == 10 and account.margin_type("ETHUSDT") is MarginType.ISOLATED
        assert account.balances["USDT"].wallet_balance == Decimal("25000.00000000")
        assert account.position("ETHUSDT") is not None and not account.hedge_mode and not account.multi_assets_mode
        assert set(account.positions) == {("BTCUSDT", PositionSide.BOTH), ("ETHUSDT", PositionSide.BOTH),
                                          ("SOLUSDT", PositionSide.BOTH)}
        # leverage -> ACCOUNT_CONFIG_UPDATE (ac)
        client.usd_futures_api.account.change_initial_leverage("BTCUSDT", 7).unwrap()
        seen = until(account, "leverage", "BTCUSDT", 7)
        assert isinstance(seen[-1].event, AccountConfigUpdate) and seen[-1].old == 10
        # isolated margin added -> ACCOUNT_UPDATE (MARGIN_TRANSFER)
        client.usd_futures_api.account.modify_position_margin("ETHUSDT", Decimal(100), 1).unwrap()
        until(account, "position", "ETHUSDT BOTH")
        position = account.position("ETHUSDT")
        assert position is not None and position.isolated_wallet == Decimal("1280.06250000")
        # margin type of a symbol without a position -> ACCOUNT_UPDATE (MARGIN_TYPE_CHANGE)
        client.usd_futures_api.account.change_margin_type("XRPUSDT", MarginType.ISOLATED).unwrap()
        until(account, "margin_type", "XRPUSDT", MarginType.ISOLATED)
        # an admin balance change -> ACCOUNT_UPDATE
        admin(emu, "/emulator/balances", {"asset": "USDC", "balance": "1234.5"})
        until(account, "balance", "USDC")
        assert account.balances["USDC"].wallet_balance == Decimal("1234.5")
        assert account.state.values() == fresh(account)
    assert [c.kind for c in changes].count("leverage") == 1 and len(changes) >= 4


def test_a_gap_in_the_stream_is_closed_by_a_new_snapshot(emu: EmulatorServer, client: BinanceRestClient) -> None:
    with client.live_account(backoff=FAST) as account:
        assert isinstance(next(account).item, Connected)
        admin(emu, "/emulator/streams/drop")  # the server cuts the connection...
        client.usd_futures_api.account.change_initial_leverage("BNBUSDT", 3).unwrap()  # ...and this event is lost
        dropped = next(account)
        assert isinstance(dropped.item, Disconnected) and dropped.changes == ()
        back = next(account)
        assert isinstance(back.item, Reconnected)
        (found,) = [c for c in back.changes if c.kind == "leverage"]  # the new snapshot found what was missed
        assert (found.key, found.new, found.event) == ("BNBUSDT", 3, None)
        assert account.leverage("BNBUSDT") == 3 and account.state.values() == fresh(account)


def test_a_new_listen_key_and_its_reconnect_are_one_gap_closed_by_one_snapshot(emu: EmulatorServer) -> None:
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client, \
            client.live_account(backoff=FAST) as account:
        assert isinstance(next(account).item, Connected)
        def reads() -> int:
            return len(emu.log.entries(status="200", path="/fapi/v3/account"))

        before = reads()
        emu.clock.advance(2 * 3600)  # nobody kept the key alive: expired, replaced, connected again
        kinds = []
        for update in account:
            if isinstance(update.item, AccountUpdate) and str(update.item.reason) == "FUNDING_FEE":
                continue  # the two hours passed a funding time
            kinds.append(type(update.item))
            if isinstance(update.item, Reconnected):
                break
        assert kinds == [ListenKeyExpired, ListenKeyReplaced, Reconnected]
        assert reads() == before + 1  # one snapshot: 4 reads, not 8
        assert account.state.values() == fresh(account)


def test_refresh_reads_what_binance_pushes_no_event_for(emu: EmulatorServer, client: BinanceRestClient) -> None:
    with client.live_account() as account:
        for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):  # Binance changes the mode of a flat account only
            admin(emu, "/emulator/positions/close", {"symbol": symbol})
        client.usd_futures_api.account.modify_position_mode(True).unwrap()  # Binance pushes no event for it
        assert not account.hedge_mode
        (change,) = [c for c in account.refresh() if c.kind == "position_mode"]
        assert (change.old, change.new, change.event) == (False, True, None)
        assert account.hedge_mode and account.state.values() == fresh(account)


class RacingClient:
    """A client whose first account read happens after another change was made: the change's event
    waits in the socket while the snapshot (which already holds it) is read."""

    def __init__(self, client: BinanceRestClient, race: Any) -> None:
        self._client, self._race = client, race
        self.base_url = client.base_url
        self.usd_futures_api = self
        self.account = self

    @property
    def time_offset_ms(self) -> float:
        return self._client.time_offset_ms  # as measured now (copied once, it stayed the unsynced 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client.usd_futures_api.account, name)

    def get_account_info_v3(self, *, receive_window: int | None = None) -> Any:
        if self._race is not None:
            self._race, race = None, self._race
            race()
        return self._client.usd_futures_api.account.get_account_info_v3(receive_window=receive_window)


def test_events_that_arrive_during_the_snapshot_are_applied_once_and_in_order(
    emu: EmulatorServer, client: BinanceRestClient
) -> None:
    def race() -> None:
        for leverage in (2, 4, 6):
            client.usd_futures_api.account.change_initial_leverage("ADAUSDT", leverage).unwrap()

    with LiveAccount(RacingClient(client, race)) as account:  # type: ignore[arg-type]
        assert account.leverage("ADAUSDT") == 6  # the snapshot has it already
        seen = until(account, "leverage", "ADAUSDT", 6)
        assert [c.new for c in seen if c.key == "ADAUSDT"] == [2, 4, 6]  # replayed in order, ending where REST is
        assert account.state.values() == fresh(account)


def test_first_events_reach_a_mirror_whose_clock_runs_ahead_of_the_server(
    emu: EmulatorServer, client: BinanceRestClient
) -> None:
    """The snapshot is dated by the server's clock, as the client's first calls measured it: dated by the
    unsynced local clock (here 20 minutes ahead), every event of the first 20 minutes was dropped as
    older than the snapshot (this module's fixture set the emulator's clock back in the last half hour
    before a funding time, and test_async_mirror_and_cancellation waited forever)."""
    emu.clock.set(emu.clock.now_ms() - 20 * 60 * 1000)
    with client.live_account() as account:
        client.usd_futures_api.account.change_initial_leverage("XRPUSDT", 11).unwrap()
        (change,) = [c for c in until(account, "leverage", "XRPUSDT", 11) if c.key == "XRPUSDT"]
        assert isinstance(change.event, AccountConfigUpdate)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_mirror_whose_snapshot_fails_closes_its_stream_and_listen_key(emu: EmulatorServer, flavour: str) -> None:
    # the stream connects first, then the snapshot fails: the block never starts, so nothing would
    # close them (a program retrying `live_account()` piled up websockets and listen keys)
    admin(emu, "/emulator/faults", {"fault": "GET /fapi/v3/account=status:500"})
    if flavour == "sync":
        with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as rest:
            with pytest.raises(ServerError), rest.live_account():
                pytest.fail("the block ran")
    else:
        async def run() -> None:
            async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as rest:
                with pytest.raises(ServerError):
                    async with rest.live_account():
                        pytest.fail("the block ran")

        asyncio.run(run())
    assert emu.backend.listen_keys.expiry(emu.backend.account().account_id) is None  # closed
    deadline = time.monotonic() + 10
    while emu.streams.connections()["total"]:  # the server sees the websocket's close
        assert time.monotonic() < deadline, "the websocket stayed open"
        time.sleep(0.01)


def test_async_mirror_and_cancellation(emu: EmulatorServer) -> None:
    async def run() -> None:
        async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as rest:
            async with rest.live_account() as account:
                (await rest.usd_futures_api.account.change_initial_leverage("XRPUSDT", 11)).unwrap()
                async for change in account.changes():
                    if change.kind == "leverage":
                        break
                assert account.leverage("XRPUSDT") == 11 and change.new == 11
                assert isinstance(change.event, AccountConfigUpdate)
                assert (await account.read_snapshot()).leverage["XRPUSDT"] == 11
            task = asyncio.create_task(rest.live_account().run())
            while not emu.backend.listen_keys.expiry(emu.backend.account().account_id):
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert emu.backend.listen_keys.expiry(emu.backend.account().account_id) is None  # closed

    asyncio.run(run())


# --- the property: mirror == REST whenever the account is quiet ----------------------------------------
SYMBOLS = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "XRPUSDT", "DOGEUSDT"]
operations = st.lists(
    st.one_of(
        st.tuples(st.just("leverage"), st.sampled_from(SYMBOLS), st.integers(1, 25)),
        st.tuples(st.just("margin_type"), st.sampled_from(SYMBOLS), st.sampled_from(list(MarginType))),
        st.tuples(st.just("multi_assets"), st.booleans()),
        st.tuples(st.just("balance"), st.sampled_from(["USDT", "USDC", "BNB"]),
                  st.decimals(0, 100_000, places=4)),
        st.tuples(st.just("isolated_margin"), st.sampled_from([1, 2]), st.decimals(1, 50, places=2)),
        st.tuples(st.just("position"), st.sampled_from(["XRPUSDT", "DOGEUSDT"]), st.decimals(-500, 500, places=0)),
        st.tuples(st.just("drop"),),
    ),
    max_size=6,
)


class Quiet:
    """Makes the account quiet and proves the mirror has seen everything: a last change (the BTC
    balance, touched by nothing else) whose event arrives after every earlier one."""

    def __init__(self) -> None:
        self.toggle = False

    def settle(self, emu: EmulatorServer, account: LiveAccount) -> None:
        self.toggle = not self.toggle
        balance = "0.13" if self.toggle else "0.12"
        admin(emu, "/emulator/balances", {"asset": "BTC", "balance": balance})
        for change in reversed(until(account, "balance", "BTC")):
            if change.kind == "balance" and change.key == "BTC":
                assert isinstance(change.new, BalanceUpdate) and change.new.wallet_balance == Decimal(balance)
                break


def perform(emu: EmulatorServer, client: BinanceRestClient, operation: tuple[Any, ...]) -> None:
    api = client.usd_futures_api.account
    kind = operation[0]
    if kind == "leverage":
        api.change_initial_leverage(operation[1], operation[2])  # refusals (brackets) are part of the game
    elif kind == "margin_type":
        api.change_margin_type(operation[1], operation[2])
    elif kind == "multi_assets":
        api.set_multi_assets_mode(operation[1])
    elif kind == "balance":
        admin(emu, "/emulator/balances", {"asset": operation[1], "balance": str(operation[2])})
    elif kind == "isolated_margin":
        api.modify_position_margin("ETHUSDT", operation[2], operation[1])
    elif kind == "position":
        admin(emu, "/emulator/positions", {"symbol": operation[1], "positionAmt": str(operation[2]),
                                           "entryPrice": "1.5" if operation[1] == "XRPUSDT" else "0.25"})
    else:
        admin(emu, "/emulator/streams/drop")


def never_wait(wait: Wait) -> None:
    raise AssertionError(f"the client paused ({wait}): a stalled mirror would trip until()'s watchdog")


def test_property_the_mirror_equals_a_fresh_rest_read_when_quiet() -> None:
    """Each example reads the account over REST (70 weight: 4 endpoints) besides the mirror's own
    re-snapshots, so the examples together pass Binance's 2400 weight a minute: the budget is lifted
    (its rules are tests/emulator/test_rate_limits.py's and tests/resilience's), or the client would
    rightly wait for the next minute while the mirror's re-snapshot outlasts until()'s watchdog, which
    closes the shared mirror and fails every later example."""
    quiet = Quiet()
    with (
        EmulatorServer(weight_limit=10**9) as emu,
        BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url, weight_limit=10**9,
                          on_wait=never_wait) as client,
        client.live_account(backoff=FAST) as account,
    ):

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(operations)
        def check(sequence: list[tuple[Any, ...]]) -> None:
            for operation in sequence:
                perform(emu, client, operation)
            quiet.settle(emu, account)
            assert account.state.values() == fresh(account)

        check()


def test_the_sync_mirror_can_run_in_a_thread_while_another_reads_it(
    emu: EmulatorServer, client: BinanceRestClient
) -> None:
    seen = threading.Event()

    def on_change(change: Change) -> None:
        if change.kind == "leverage" and change.new == 9:
            seen.set()

    account = client.live_account(on_change=on_change)
    account.open()
    runner = threading.Thread(target=account.run)
    runner.start()
    client.usd_futures_api.account.change_initial_leverage("DOGEUSDT", 9).unwrap()
    assert seen.wait(10)
    assert account.leverage("DOGEUSDT") == 9
    account.close()
    runner.join(10)
    assert not runner.is_alive()
