"""income (all pages, table/json/csv/jsonl/parquet, files), margin-history and download against the emulator."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from binance_usdm import BinanceRestClient
from binance_usdm.emulator import EmulatorServer
from binance_usdm.export import export
from tests.cli.helpers import Run, admin

Json = Callable[..., Any]


def _client(emu: EmulatorServer) -> BinanceRestClient:
    return BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url)


def test_income_csv_to_file(run: Run, emu: EmulatorServer, tmp_path: Path) -> None:
    target = tmp_path / "income.csv"
    result = run("income", "--since", "30d", "--format", "csv", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    rows = list(csv.DictReader(target.read_text("utf-8").splitlines()))
    assert list(rows[0]) == ["symbol", "income_type", "income", "asset", "time", "tran_id", "info", "trade_id"]
    assert re.fullmatch(rf"usdm: wrote {len(rows)} income records to .*income\.csv\n", result.stderr)
    assert len(rows) > 500  # four weeks of funding, commissions and PnL
    assert not (tmp_path / "income.csv.part").exists()
    keys = [(r["tran_id"], r["income_type"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
    assert all(re.fullmatch(r"-?\d+\.\d{8}", r["income"]) for r in rows)  # exact wire decimals
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"]) for r in rows)
    transfer = next(r for r in rows if r["income_type"] == "TRANSFER" and r["asset"] == "USDT")
    assert transfer["income"] == "25000.00000000"


def test_income_csv_to_stdout_is_the_export_format(run: Run, emu: EmulatorServer, tmp_path: Path) -> None:
    since = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    result = run("income", "--since", since, "--symbol", "ETHUSDT", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    with _client(emu) as client:
        records = list(client.usd_futures_api.history.iter_income(datetime.fromisoformat(since), symbol="ETHUSDT"))
    expected = tmp_path / "expected.csv"
    export(records, expected)
    assert records and result.stdout == expected.read_text("utf-8")


def test_income_jsonl(run: Run) -> None:
    result = run("income", "--since", "2d", "--format", "jsonl", "--limit", "5")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5
    assert list(lines[0]) == ["symbol", "income_type", "income", "asset", "time", "tran_id", "info", "trade_id"]
    assert all(isinstance(r["income"], str) and r["time"].endswith("Z") for r in lines)


def test_income_parquet(run: Run, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "income.parquet"
    result = run("income", "--since", "10d", "--format", "parquet", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(target)
    assert re.fullmatch(rf"usdm: wrote {table.num_rows} income records to .*income\.parquet\n", result.stderr)
    assert table.num_rows > 100 and str(table.schema.field("income").type) == "decimal128(38, 18)"
    assert not (tmp_path / "income.parquet.part").exists()


def test_income_parquet_needs_a_file_and_pyarrow(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    to_stdout = run("income", "--format", "parquet")
    assert to_stdout.exit_code == 2 and "give -o FILE" in to_stdout.stderr
    for module in ("pyarrow", "pyarrow.parquet", "arro3", "arro3.core", "arro3.io"):  # importing them now fails
        monkeypatch.setitem(sys.modules, module, None)
    target = tmp_path / "income.parquet"
    missing = run("income", "--format", "parquet", "-o", str(target))
    assert missing.exit_code == 2, missing.stderr
    assert "pyarrow" in missing.stderr and "binance-usdm[parquet]" in missing.stderr
    assert list(tmp_path.iterdir()) == []


def test_income_json_matches_the_client(run_json: Json, emu: EmulatorServer) -> None:
    since = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    data = run_json("income", "--since", since, "--type", "funding_fee", "--symbol", "ETHUSDT")
    with _client(emu) as client:
        direct = client.usd_futures_api.account.get_income_history(
            "ETHUSDT", "FUNDING_FEE", datetime.fromisoformat(since), limit=1000
        ).unwrap()
    assert [(d["tran_id"], d["income"]) for d in data] == [(r.tran_id, f"{r.income:f}") for r in direct]
    assert data and all(d["income_type"] == "FUNDING_FEE" and d["symbol"] == "ETHUSDT" for d in data)


def test_income_table_limit_and_totals(run: Run) -> None:
    result = run("income", "--since", "30d", "--limit", "4")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["TIME", "(UTC)", "SYMBOL"]
    assert lines[5] == ""  # header + 4 records, then the totals table
    assert lines[6].startswith("Totals, 4 records from")


def test_income_usage_errors(run: Run) -> None:
    assert run("income", "--since", "yesterday-ish").exit_code == 2
    reversed_window = run("income", "--since", "1d", "--until", "2d")
    assert reversed_window.exit_code == 2 and "is after --until" in reversed_window.stderr
    assert run("income", "--format", "xml").exit_code == 2


def test_a_window_older_than_binance_keeps_says_so(run: Run) -> None:
    """A window from 100 days ago came back empty without a word on why; Binance keeps three months of
    income (the download has older records) and 30 days of margin changes."""
    old = run("income", "--since", "100d", "--until", "95d")
    since = (datetime.now(UTC) - timedelta(days=100)).strftime("%Y-%m-%d")
    assert old.exit_code == 0 and old.stdout.startswith("No income records from ")
    assert ("usdm: Binance keeps three months of income history; for older records: usdm download "
            f"transactions --since {since}") in " ".join(old.stderr.split())
    assert "Binance keeps" not in run("income", "--since", "89d").stderr
    margin = run("margin-history", "ETHUSDT", "--since", "40d")
    assert "usdm: Binance keeps 30 days of margin changes; older ones are not returned" in margin.stderr
    assert "Binance keeps" not in run("margin-history", "ETHUSDT", "--since", "29d").stderr


def test_paging_small_pages_equals_one_big_page(emu: EmulatorServer) -> None:
    end = datetime.now(UTC)
    start = end - timedelta(days=10)
    with _client(emu) as client:
        whole = client.usd_futures_api.account.get_income_history(start_time=start, end_time=end, limit=1000).unwrap()
        paged = list(client.usd_futures_api.history.iter_income(start, end, page_size=37))
    assert 37 < len(whole) < 1000
    assert [(r.tran_id, r.income_type) for r in paged] == [(r.tran_id, r.income_type) for r in whole]


def test_income_keeps_records_sharing_a_millisecond_once(run: Run, emu: EmulatorServer) -> None:
    """Full pages (1000) that end inside a millisecond, and one millisecond with more than a page."""
    first = int((datetime.now(UTC) - timedelta(days=2)).timestamp() * 1000)
    times = [first + i for i in range(995)] + [first + 1000] * 10 + [first + 2000] * 1002 + [first + 3000] * 2
    records = [{"incomeType": "CONTEST_REWARD", "income": "1.5", "time": t, "tranId": 50_000 + i}
               for i, t in enumerate(times)]
    admin(emu, "/emulator/income", {"records": records})
    result = run("income", "--type", "CONTEST_REWARD", "--since", "3d", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    got = [int(r["tran_id"]) for r in csv.DictReader(io.StringIO(result.stdout))]
    assert got == [50_000 + i for i in range(len(times))]


def test_income_limit_stops_early(run: Run, emu: EmulatorServer) -> None:
    result = run("income", "--since", "30d", "--limit", "3", "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    limited = [json.loads(line)["tran_id"] for line in result.stdout.splitlines()]
    everything = run("income", "--since", "30d", "--format", "jsonl")
    assert limited == [json.loads(line)["tran_id"] for line in everything.stdout.splitlines()[:3]]


def test_margin_history(run: Run, run_json: Json) -> None:
    rows = run_json("margin-history", "ETHUSDT", "--since", "20d")
    assert [(r["type"], r["amount"]) for r in rows][:2] == [(1, "400"), (2, "100")]
    assert rows[0]["time"].endswith("Z")
    empty = run("margin-history", "BTCUSDT")
    assert empty.exit_code == 0 and empty.stdout.strip() == "No margin changes for BTCUSDT."
    # Binance allows 30 days a query and keeps 30 days: longer windows are split, older days are empty
    assert run_json("margin-history", "ETHUSDT", "--since", "40d") == run_json("margin-history", "ETHUSDT")
    assert run_json("margin-history", "ETHUSDT", "--since", "40d", "--limit", "1") == rows[:1]
    unknown = run("margin-history", "NOPEUSDT")
    assert unknown.exit_code == 1 and "error -1121" in unknown.stderr
    reversed_window = run("margin-history", "ETHUSDT", "--since", "1d", "--until", "2d")
    assert reversed_window.exit_code == 2 and "is after --until" in reversed_window.stderr


def test_download_transactions_to_file(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "tx.csv"
    result = run("download", "transactions", "--since", "30d", "-o", str(target), "--poll-interval", "0.05")
    assert result.exit_code == 0, result.stderr
    text = target.read_text("utf-8")
    assert text.startswith("time,tranId,symbol,incomeType,income,asset,info,tradeId\n")
    assert len(text.splitlines()) > 500
    assert re.fullmatch(r"usdm: download id (\d+) \(resume with --id \1\)\nusdm: wrote \d+ bytes to .*tx\.csv\n",
                        result.stderr)


def test_download_orders_to_stdout(run: Run) -> None:
    result = run("download", "orders", "--since", "30d", "--poll-interval", "0.05")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["clientOrderId"] for r in rows} >= {"demo-btc-1", "demo-eth-1"}


def test_download_timeout_then_resume_by_id(emu: EmulatorServer, run: Run, tmp_path: Path) -> None:
    with EmulatorServer(download_delay_ms=60_000) as slow:
        env = {"BINANCE_API_KEY": slow.api_key, "BINANCE_API_SECRET": slow.api_secret}
        waited = run("--base-url", slow.base_url, "download", "trades", "--since", "7d", "--timeout", "0",
                     extra_env=env)
        assert waited.exit_code == 1
        found = re.search(r"resume with --id (\d+)", waited.stderr)
        assert found, waited.stderr
        admin(slow, "/emulator/clock", {"advance": 61})
        target = tmp_path / "trades.csv"
        resumed = run("--base-url", slow.base_url, "download", "trades", "--id", found.group(1),
                      "-o", str(target), extra_env=env)
        assert resumed.exit_code == 0, resumed.stderr
        assert target.read_text("utf-8").startswith("id,orderId,symbol")


def test_download_quota_is_named(run: Run) -> None:
    with EmulatorServer(download_delay_ms=0) as emu:
        env = {"BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret}
        args = ("--base-url", emu.base_url, "download", "trades", "--since", "7d", "--poll-interval", "0.05")
        # mid-month on the emulator's clock, so that the quota's calendar month cannot turn meanwhile
        emu.clock.set(int(datetime.now(UTC).replace(day=15).timestamp() * 1000))
        for _ in range(5):  # trades: five requests a month
            # a request weighs 1000 of the minute's 2400: each run in a new minute of the server's clock
            # (which the client's budget follows) instead of the client waiting for the minute to turn
            emu.clock.advance(60)
            assert run(*args, extra_env=env).exit_code == 0
        emu.clock.advance(60)
        refused = run(*args, extra_env=env)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("usdm: error -1000:") and "monthly quota of 5 requests" in refused.stderr


def test_download_errors(run: Run) -> None:
    missing = run("download", "orders")
    assert missing.exit_code == 2 and "--since is required" in missing.stderr
    unknown = run("download", "orders", "--id", "42")
    assert unknown.exit_code == 1 and "error -1130" in unknown.stderr
    too_long = run("download", "orders", "--since", "400d")
    assert too_long.exit_code == 2 and "invalid" in too_long.stderr
    no_dir = run("download", "orders", "--since", "1d", "-o", "/nonexistent-dir/orders.csv")
    assert no_dir.exit_code == 2 and no_dir.stderr.startswith("usdm: invalid --output:")


def test_json_output_is_valid_for_history(run: Run) -> None:
    result = run("income", "--since", "2d", "--format", "json")
    records = json.loads(result.stdout)
    assert isinstance(records, list) and records
    assert {"time", "tran_id", "income", "income_type", "asset", "symbol"} <= set(records[0])
