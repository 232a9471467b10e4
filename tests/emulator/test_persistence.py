"""State files: restart restores state; an acknowledged change survives kill -9."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer
from binance_usdm.emulator.accounts import Account, Credential, Position, SymbolSettings, settings_dict
from binance_usdm.emulator.clock import Clock
from binance_usdm.emulator.store import CHECKPOINT_ROWS, JOURNAL_SUFFIX, IncomeRow, Store

from .conftest import Client, EmulatorProcess, ok


def test_restart_restores_state(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        ok(c.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=33))
        ok(c.post("/fapi/v1/positionMargin", symbol="ETHUSDT", amount="12.5", type=1))
        ok(c.admin("/emulator/mark-price", {"symbol": "ETHUSDT", "price": "3333"}))
        income_count = emu.backend.store.count_income("demo")
    with EmulatorServer(state_path=state) as emu:
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        assert ok(c.get("/fapi/v2/positionRisk", symbol="BTCUSDT"))[0]["leverage"] == "33"
        eth = ok(c.get("/fapi/v2/positionRisk", symbol="ETHUSDT"))[0]
        assert eth["isolatedWallet"] == "1192.56250000" and eth["markPrice"] == "3333.00000000"
        assert emu.backend.store.count_income("demo") == income_count  # not re-seeded
        hist = ok(c.get("/fapi/v1/positionMargin/history", symbol="ETHUSDT"))
        assert hist[-1]["amount"] == "12.5"


@pytest.mark.parametrize("args", [(), ("--fsync",)], ids=["default", "fsync"])
def test_change_survives_kill_9(tmp_path: Path, args: tuple[str, ...]) -> None:
    clock = Clock()
    with EmulatorProcess(tmp_path / "state.db", *args) as proc:
        c = Client(proc.base_url, DEMO_API_KEY, clock.now_ms, secret=DEMO_API_SECRET)
        ok(c.post("/fapi/v1/leverage", symbol="SOLUSDT", leverage=7))
        journal = Path(f"{proc.state}{JOURNAL_SUFFIX}")
        assert (journal.stat().st_size > 0) == (not args)  # the account journal: no frame with --fsync
        ok(c.post("/fapi/v1/marginType", symbol="ADAUSDT", marginType="ISOLATED"))
        c.close()
        proc.restart(kill=True)
        c = Client(proc.base_url, DEMO_API_KEY, clock.now_ms, secret=DEMO_API_SECRET)
        assert ok(c.get("/fapi/v2/positionRisk", symbol="SOLUSDT"))[0]["leverage"] == "7"
        assert ok(c.get("/fapi/v2/positionRisk", symbol="ADAUSDT"))[0]["marginType"] == "isolated"
        c.close()


def test_a_state_file_syncs_to_disk_per_commit_only_with_fsync(tmp_path: Path) -> None:
    """SQLite's synchronous setting: NORMAL by default (a commit is in the OS's hands: it survives the
    process dying, not a power loss), FULL with fsync (every commit waits for the disk).
    https://www.sqlite.org/pragma.html#pragma_synchronous"""
    normal, full = 1, 2
    for fsync, expected in ((False, normal), (True, full)):
        store = Store(str(tmp_path / f"{fsync}.db"), fsync=fsync)
        try:
            assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == expected
        finally:
            store.close()
    r = subprocess.run([sys.executable, "-m", "binance_usdm.emulator", "--fsync"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "--fsync needs --state" in r.stderr


def test_a_state_file_of_the_older_layout_is_converted(tmp_path: Path) -> None:
    """Files written when an account was one JSON document (settings and positions inside) still load,
    and a change saved afterwards keeps the rest of the account."""
    state = tmp_path / "state.db"
    with EmulatorServer(state_path=state) as emu:
        acc = emu.backend.account()
        old_layout = json.dumps(acc.to_dict())
        legs = {k: (p.amount, p.entry_price) for k, p in acc.positions.items()}
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        ok(c.post("/fapi/v1/leverage", symbol="SOLUSDT", leverage=9))
        c.close()
    with sqlite3.connect(state) as db:  # rewrite it as the older layout stored it
        db.execute("DELETE FROM account_symbols")
        db.execute("DELETE FROM account_positions")
        db.execute("UPDATE accounts SET state = ?", (old_layout,))
        db.execute("ALTER TABLE accounts DROP COLUMN update_time")
    with EmulatorServer(state_path=state) as emu:
        acc = emu.backend.account()
        assert {k: (p.amount, p.entry_price) for k, p in acc.positions.items()} == legs
        assert acc.setting("SOLUSDT").leverage != 9  # the older document's value
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        ok(c.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=4))
        c.close()
    with EmulatorServer(state_path=state) as emu:
        acc = emu.backend.account()
        assert {k: (p.amount, p.entry_price) for k, p in acc.positions.items()} == legs
        assert acc.setting("BTCUSDT").leverage == 4
        assert json.loads(old_layout)["symbols"]["ETHUSDT"] == settings_dict(acc.setting("ETHUSDT"))


def _unlike_a_new_account() -> Account:
    """An account whose every field differs from a new account's."""
    acc = Account("a1", "alias", [Credential("k", "s")], {"USDT": Decimal("5")}, {"USDT": 7},
                  {("BTCUSDT", "BOTH"): Position("BTCUSDT", "BOTH", Decimal("1"), Decimal("2"), Decimal("3"), 4)},
                  {"BTCUSDT": SymbolSettings(7, True)}, True, True, 3, False, Decimal("0.1"), Decimal("0.2"),
                  Decimal("0.3"), False, False, False, {"BTCUSDT": [{"i": "UFR"}]}, 8, 9)
    assert all(getattr(acc, f.name) != getattr(Account("x", "y"), f.name) for f in msgspec.structs.fields(Account))
    return acc


def test_a_draft_copies_every_field_and_shares_no_mutable_state() -> None:
    acc = _unlike_a_new_account()
    draft = acc.draft()
    assert draft == acc
    draft.balances["USDT"] = Decimal(0)
    draft.positions[("BTCUSDT", "BOTH")].amount = Decimal(0)
    draft.settings["BTCUSDT"] = SymbolSettings(1, True)  # immutable: a change replaces the entry
    draft.balance_times["USDT"] = 0
    assert acc.balances["USDT"] == 5 and acc.positions[("BTCUSDT", "BOTH")].amount == 1
    assert acc.settings["BTCUSDT"].leverage == 7 and acc.balance_times["USDT"] == 7
    rows = draft.rows_since(acc)
    assert rows.header is not None and set(rows.symbols) == {"BTCUSDT"} and set(rows.positions) == {("BTCUSDT", "BOTH")}
    assert acc.draft().rows_since(acc) == (None, {}, {}, None, False)  # nothing changed: nothing to write
    draft = acc.draft()
    draft.update_time += 1
    assert draft.rows_since(acc) == (None, {}, {}, acc.update_time + 1, False)  # a column of its own


def test_rows_since_writes_the_header_when_any_header_field_changed() -> None:
    """A settings draft shares every header field (rows_since then writes no header), but one of them
    replaced, whichever, makes rows_since write the header (fails when the same-objects shortcut leaves a
    field out)."""
    acc, new = _unlike_a_new_account(), Account("x", "y")
    assert acc.settings_draft(acc.update_time).rows_since(acc).header is None
    for f in msgspec.structs.fields(Account):
        if f.name in ("positions", "settings", "update_time"):
            continue
        draft = acc.settings_draft(acc.update_time)
        setattr(draft, f.name, getattr(new, f.name))
        assert draft.rows_since(acc).header == draft.header_dict(), f.name


def test_a_checkpoint_is_asked_for_once_and_never_of_a_closed_store(tmp_path: Path) -> None:
    """The server asks on its loop, without the store's lock, after every batch: a store closed meanwhile
    (shutdown) answers no, and a checkpoint job still queued for it does nothing."""
    store = Store(str(tmp_path / "state.db"))
    store.checkpoints_elsewhere = True
    store.add_income([IncomeRow("a", n, n, "", "TRANSFER", "1", "USDT", "", "") for n in range(CHECKPOINT_ROWS)])
    assert store.want_checkpoint() and not store.want_checkpoint()
    store.close()
    store._checkpoint_asked = False
    assert not store.want_checkpoint()
    store.checkpoint()


def test_given_credentials_replace_the_demo_key_of_a_state_file_too(tmp_path: Path) -> None:
    """A state file started before with the demo key kept it when started again with a key of one's own
    (only in memory was it replaced): the public demo key went on working; and after an admin reset."""
    state = tmp_path / "emu.db"
    with EmulatorServer(state_path=state) as emu:
        assert emu.backend.lookup_key(DEMO_API_KEY) is not None
    with EmulatorServer(state_path=state, api_key="K" * 64, api_secret="S" * 64, keep_demo_key=False) as emu:
        demo = Client(emu.base_url, DEMO_API_KEY, emu.clock.now_ms, secret=DEMO_API_SECRET)
        own = Client(emu.base_url, "K" * 64, emu.clock.now_ms, secret="S" * 64)
        assert demo.get("/fapi/v3/balance").code == -2015 and own.get("/fapi/v3/balance").status == 200
        emu.reset()
        assert demo.get("/fapi/v3/balance").code == -2015 and own.get("/fapi/v3/balance").status == 200
        demo.close()
        own.close()
    with EmulatorServer(state_path=state) as emu:  # what the file holds now
        assert emu.api_key == "K" * 64 and emu.backend.lookup_key(DEMO_API_KEY) is None
