"""income (all pages, csv/json/table, files), margin-history and download against the emulator."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from binance_usdm import BinanceRestClient
from binance_usdm.cli import paging
from binance_usdm.emulator import EmulatorServer
from tests.cli.helpers import Run, admin

Json = Callable[..., Any]


def _client(emu: EmulatorServer) -> BinanceRestClient:
    return BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url)


def test_income_csv_to_file(run: Run, emu: EmulatorServer, tmp_path: Path) -> None:
    target = tmp_path / "income.csv"
    result = run("income", "--since", "30d", "--format", "csv", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    rows = list(csv.reader(target.read_text("utf-8").splitlines()))
    header, body = rows[0], rows[1:]
    assert header == ["time", "symbol", "income_type", "income", "asset", "tran_id", "trade_id", "info"]
    assert re.fullmatch(rf"usdm: wrote {len(body)} income records to .*income\.csv\n", result.stderr)
    assert len(body) > 500  # four weeks of funding, commissions and PnL
    assert not (tmp_path / "income.csv.part").exists()
    keys = [(r[5], r[2]) for r in body]
    assert len(set(keys)) == len(keys)
    assert [r[0] for r in body] == sorted(r[0] for r in body)
    assert all(re.fullmatch(r"-?\d+\.\d{8}", r[3]) for r in body)  # exact wire decimals
    assert all(r[0].endswith("+00:00") for r in body)
    transfer = next(r for r in body if r[2] == "TRANSFER" and r[4] == "USDT")
    assert transfer[3] == "25000.00000000"


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


def test_paging_small_pages_equals_one_big_page(emu: EmulatorServer) -> None:
    end = datetime.now(UTC)
    start = end - timedelta(days=10)
    with _client(emu) as client:
        api = client.usd_futures_api.account
        whole = api.get_income_history(start_time=start, end_time=end, limit=1000).unwrap()
        pages: list[tuple[int, int]] = []
        paged = list(paging.iter_income(api, start, end, page_size=37, on_page=lambda n, ms: pages.append((n, ms))))
    assert 37 < len(whole) < 1000
    assert [(r.tran_id, r.income_type) for r in paged] == [(r.tran_id, r.income_type) for r in whole]
    assert len(pages) > len(whole) // 37 and pages[-1][0] == len(whole)


def test_paging_keeps_records_sharing_a_millisecond_once(emu: EmulatorServer) -> None:
    moment = int((datetime.now(UTC) - timedelta(days=1)).timestamp() * 1000) + 7
    records = [{"incomeType": "CONTEST_REWARD", "income": f"{i}.5", "time": moment, "tranId": 700 + i}
               for i in range(7)]
    records += [{"incomeType": "CONTEST_REWARD", "income": "9", "time": moment + 5, "tranId": 800 + i}
                for i in range(2)]
    admin(emu, "/emulator/income", {"records": records})
    start = datetime.fromtimestamp((moment - 60_000) / 1000, UTC)
    end = datetime.fromtimestamp((moment + 60_000) / 1000, UTC)
    with _client(emu) as client:
        got = list(paging.iter_income(client.usd_futures_api.account, start, end,
                                      income_type="CONTEST_REWARD", page_size=3))
    assert [r.tran_id for r in got] == [700, 701, 702, 703, 704, 705, 706, 800, 801]


def test_margin_history(run: Run, run_json: Json) -> None:
    rows = run_json("margin-history", "ETHUSDT", "--since", "20d")
    assert [(r["type"], r["amount"]) for r in rows][:2] == [(1, "400"), (2, "100")]
    assert rows[0]["time"].endswith("+00:00")
    empty = run("margin-history", "BTCUSDT")
    assert empty.exit_code == 0 and empty.stdout.strip() == "No margin changes for BTCUSDT."
    too_long = run("margin-history", "ETHUSDT", "--since", "40d")  # Binance allows 30 days a query
    assert too_long.exit_code == 1 and "error -4165" in too_long.stderr
    too_long = run("margin-history", "ETHUSDT", "--since", "40d", "--until", "1d")  # caught before sending
    assert too_long.exit_code == 2 and too_long.stderr.startswith("usdm: invalid --until:")


def test_download_transactions_to_file(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "tx.csv"
    result = run("download", "transactions", "--since", "30d", "-o", str(target), "--poll-interval", "0.05")
    assert result.exit_code == 0, result.stderr
    text = target.read_text("utf-8")
    assert text.startswith("time,tranId,symbol,incomeType,income,asset,info,tradeId\n")
    assert len(text.splitlines()) > 500
    assert re.fullmatch(r"usdm: wrote \d+ bytes to .*tx\.csv\n", result.stderr)


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


def test_download_errors(run: Run) -> None:
    missing = run("download", "orders")
    assert missing.exit_code == 2 and "--since is required" in missing.stderr
    unknown = run("download", "orders", "--id", "42")
    assert unknown.exit_code == 1 and "error -1130" in unknown.stderr
    too_long = run("download", "orders", "--since", "400d")
    assert too_long.exit_code == 2 and "invalid" in too_long.stderr


def test_json_output_is_valid_for_history(run: Run) -> None:
    result = run("income", "--since", "2d", "--format", "json")
    records = json.loads(result.stdout)
    assert isinstance(records, list) and records
    assert {"time", "tran_id", "income", "income_type", "asset", "symbol"} <= set(records[0])
