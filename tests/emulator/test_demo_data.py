"""The demo account is coherent, as a Binance account is, over ALL its records: each asset's wallet
balance is the sum of its income (TRANSFER deposits plus realized PnL, commissions, funding fees), and
every trade's commission and non-zero realized PnL are COMMISSION / REALIZED_PNL income records
carrying its id as `tradeId` ("the original trade id that caused the flow",
https://developers.binance.com/docs/zh-CN/derivatives/usds-margined-futures/account/rest-api/Get-Income-History),
its symbol and time, while every such income record comes from a trade in `GET /fapi/v1/userTrades`.
Read over loopback HTTP from a real EmulatorServer."""

from __future__ import annotations

import decimal
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator import backend as backend_module
from binance_usdm.emulator.backend import Backend
from binance_usdm.emulator.clock import Clock
from binance_usdm.emulator.scenario import load_scenario, read_scenario

from .conftest import Client, ok

DAY = 86_400_000
TRADE_KINDS = ("COMMISSION", "REALIZED_PNL")


def all_income(client: Client, now: int) -> list[dict[str, Any]]:
    """Every income record of the last 90 days (Binance's retention), page by page."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = ok(client.get("/fapi/v1/income", startTime=now - 90 * DAY, endTime=now, limit=1000, page=page))
        rows += batch
        if len(batch) < 1000:
            return rows
        page += 1


def all_trades(client: Client, symbol: str, since: int, now: int) -> list[dict[str, Any]]:
    """Every trade of `symbol` from `since` (7-day windows, Binance's limit)."""
    trades: list[dict[str, Any]] = []
    for start in range(since, now + 1, 7 * DAY):
        batch = ok(client.get("/fapi/v1/userTrades", symbol=symbol, startTime=start,
                              endTime=min(start + 7 * DAY - 1, now), limit=1000))
        assert len(batch) < 1000
        trades += batch
    return trades


def test_demo_wallet_is_its_income_and_trades_are_its_realized_pnl(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    income = all_income(client, now)
    assert len(income) == emu.backend.store.count_income("demo")  # every record the demo has
    wallet = {b["asset"]: Decimal(b["balance"]) for b in ok(client.get("/fapi/v3/balance"))}

    by_asset: dict[str, Decimal] = defaultdict(Decimal)
    for r in income:
        by_asset[r["asset"]] += Decimal(r["income"])
    assert {"TRANSFER", "REALIZED_PNL", "COMMISSION", "FUNDING_FEE"} <= {r["incomeType"] for r in income}
    assert {a: v for a, v in wallet.items() if v} == {a: v for a, v in by_asset.items() if v}
    assert wallet["USDT"] == 25000  # the figure the README and the other tests show
    assert sum(Decimal(r["income"]) for r in income if r["incomeType"] != "TRANSFER" and r["asset"] == "USDT")

    from_trades = [r for r in income if r["incomeType"] in TRADE_KINDS]
    assert all(r["tradeId"] for r in from_trades)
    links = Counter((r["incomeType"], r["tradeId"]) for r in from_trades)
    assert max(links.values()) == 1  # one COMMISSION and at most one REALIZED_PNL per trade
    linked = {(r["incomeType"], r["tradeId"]): r for r in from_trades}

    symbols = [s["symbol"] for s in ok(client.get("/fapi/v1/exchangeInfo", signed=False))["symbols"]]
    since = min(r["time"] for r in income)
    trades = [t for s in symbols for t in all_trades(client, s, since, now)]
    assert len(trades) == len(emu.backend.store.export_trades("demo", 0, now)) > 250
    expected = set()
    for t in trades:
        for kind, amount in (("COMMISSION", -Decimal(t["commission"])), ("REALIZED_PNL", Decimal(t["realizedPnl"]))):
            if not amount:
                continue
            expected.add((kind, str(t["id"])))
            r = linked[(kind, str(t["id"]))]
            assert (r["symbol"], r["time"], Decimal(r["income"])) == (t["symbol"], t["time"], amount)
            if kind == "COMMISSION":
                assert r["asset"] == t["commissionAsset"]
    assert set(linked) == expected  # no trade income without its trade


def _demo_amounts() -> tuple[dict[str, Decimal], list[tuple[str, ...]]]:
    """The demo's wallet and its trades' amounts, loaded in the calling thread (as `EmulatorServer()` does)."""
    backend = Backend()
    load_scenario(backend, read_scenario())
    acc = backend.account()
    trades = backend.store.export_trades(acc.account_id, 0, backend.clock.now_ms())
    backend.store.close()
    return dict(acc.balances), [(t["price"], t["qty"], t["commission"], t["realizedPnl"]) for t in trades]


def test_demo_data_does_not_depend_on_the_callers_decimal_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """ccxt sets ROUND_HALF_UP on its thread; an emulator created there afterwards wrote other commissions
    (its wallet drifted from its income by a few 1e-8). The emulator computes under its own context."""
    monkeypatch.setattr(backend_module, "KEEP_GENERATED_ROWS", 0)  # generated each time, not reused
    plain = _demo_amounts()
    with decimal.localcontext(prec=6, rounding=decimal.ROUND_UP):
        assert _demo_amounts() == plain
        assert decimal.getcontext().prec == 6  # the caller's context is left as it was


def _stored(backend: Backend) -> tuple[list[Any], list[Any], dict[str, Decimal]]:
    rows = backend.store._conn.execute("SELECT * FROM income ORDER BY rowid").fetchall()
    trades = backend.store._conn.execute("SELECT * FROM trades ORDER BY rowid").fetchall()
    return rows, trades, dict(backend.account().balances)


def test_reused_history_is_the_history_generated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last generated history is reused (the demo's, at every start and reset): what it stores, tranIds
    included, and the wallet it leaves are those of a generation from scratch, also after a reset."""
    EmulatorServer(clock=Clock(frozen_at_ms=1_700_000_123_456)).backend.store.close()  # generates it
    emu = EmulatorServer(clock=Clock(frozen_at_ms=1_700_000_123_456))
    reused = [_stored(emu.backend)]
    emu.reset()
    reused.append(_stored(emu.backend))
    monkeypatch.setattr(backend_module, "KEEP_GENERATED_ROWS", 0)
    emu = EmulatorServer(clock=Clock(frozen_at_ms=1_700_000_123_456))
    fresh = [_stored(emu.backend)]
    emu.reset()
    fresh.append(_stored(emu.backend))
    assert reused == fresh
    assert max(row[2] for row in reused[0][0]) < min(row[2] for row in reused[1][0])  # tranIds go on after a reset
