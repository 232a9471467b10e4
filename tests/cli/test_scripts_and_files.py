"""Bad input refused as usage errors, files in the format their name says, one serialization, the
emulator command's failures, the demo state, and the config file's rules."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from binance_usdm import models as m
from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer, StartupError, remove_state
from binance_usdm.emulator.__main__ import main as emulator_main
from binance_usdm.enums import IncomeType, MarginType, PositionSide
from binance_usdm.export import export
from binance_usdm.serialize import to_json_text
from tests.cli.helpers import Run, invoke

Env = dict[str, str | None]
Json = Callable[..., Any]


# --- values the server would refuse, refused first -----------------------------------------------
def test_a_negative_number_argument_gets_a_helpful_message(run: Run) -> None:
    result = run("position-margin", "ETHUSDT", "add", "-1")
    assert result.exit_code == 2
    assert "-1 reads as an option" in result.stderr and "No such option" not in result.stderr


def test_since_before_1970_is_a_usage_error_naming_the_option(run: Run) -> None:
    result = run("income", "--since", "100000d")
    assert result.exit_code == 2 and "'--since'" in result.stderr and "before 1970" in result.stderr
    assert run("income", "--since", "99999999999d").exit_code == 2  # too far for a date at all


# --- -o FILE: the format of its extension -----------------------------------------------------------
def test_output_file_format_comes_from_its_extension(run: Run, tmp_path: Path) -> None:
    for name in ("income.parquet", "income.csv", "income.jsonl", "income.json"):
        result = run("income", "--since", "40d", "--limit", "30", "-o", str(tmp_path / name))
        assert result.exit_code == 0, result.stderr
        assert result.stderr.strip().endswith(f"wrote 30 income records to {tmp_path / name}")
    import pyarrow.parquet as pq  # here, not at collection: it costs every worker ~0.2 s

    table = pq.read_table(tmp_path / "income.parquet")
    with (tmp_path / "income.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    lines = [json.loads(line) for line in (tmp_path / "income.jsonl").read_text().splitlines()]
    array = json.loads((tmp_path / "income.json").read_text())
    assert table.num_rows == len(rows) == len(lines) == len(array) == 30
    # one serialization: the same names and texts in every text format
    assert list(rows[0]) == list(lines[0]) == list(array[0]) == table.column_names
    assert [r["time"] for r in rows] == [r["time"] for r in lines] == [r["time"] for r in array]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"]) for r in array)
    assert [r["income"] for r in rows] == [r["income"] for r in array]


def test_a_format_the_extension_contradicts_is_refused(run: Run, tmp_path: Path) -> None:
    result = run("income", "--format", "csv", "-o", str(tmp_path / "x.parquet"))
    assert result.exit_code == 2 and "does not match the extension" in result.stderr
    unknown = run("income", "-o", str(tmp_path / "x.dat"))
    assert unknown.exit_code == 2 and "cannot tell the format" in unknown.stderr
    assert not list(tmp_path.iterdir())


def test_to_dict_json_and_exports_agree_and_a_zero_time_is_null(tmp_path: Path) -> None:
    record = m.PositionDetails(
        symbol="BNBUSDT", position_side=PositionSide.BOTH, position_amt_str="0", entry_price_str="0.0",
        mark_price_str="600", un_realized_profit_str="0.00000000", liquidation_price_str="0",
        leverage_str="20", margin_type=MarginType.CROSSED, isolated_margin_str="0", update_time_ms=0,
    )
    assert record.to_dict()["update_time"] is None
    data = json.loads(to_json_text(record))
    assert data["update_time"] is None and data["un_realized_profit"] == "0.00000000"
    assert data["margin_type"] == MarginType.CROSSED.value and data["position_side"] == "BOTH"
    export([record], tmp_path / "p.jsonl")
    assert json.loads((tmp_path / "p.jsonl").read_text()) == data
    income = m.IncomeRecord(symbol="", income_type=IncomeType.TRANSFER, income_str="5", asset="USDT",
                            time_ms=1_700_000_000_123, tran_id=1)
    export([income], tmp_path / "i.csv")
    with (tmp_path / "i.csv").open(newline="") as stream:
        assert next(csv.DictReader(stream))["time"] == json.loads(to_json_text(income))["time"]


def test_positions_json_shows_never_updated_as_null(run_json: Json) -> None:
    rows = {p["symbol"]: p for p in run_json("positions", "--all")}
    assert rows["BNBUSDT"]["update_time"] is None  # Binance sends 0
    assert rows["BTCUSDT"]["update_time"].endswith("Z")


# --- the emulator command ----------------------------------------------------------------------------
def _banner(args: list[str]) -> list[str]:
    """The first lines the emulator command prints, its port replaced by PORT."""
    proc = subprocess.Popen([*args, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while not lines or not lines[-1].startswith("  try:"):
            lines.append(re.sub(r":\d+", ":PORT", proc.stdout.readline().rstrip("\n")))
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    assert proc.returncode == 0
    return lines


def test_usdm_emulator_and_python_m_are_one_program() -> None:
    usdm = str(Path(sys.executable).with_name("usdm"))
    from_usdm = _banner([usdm, "emulator"])
    assert from_usdm == _banner([sys.executable, "-m", "binance_usdm.emulator"])
    assert from_usdm[0] == "Binance USD-M emulator on http://127.0.0.1:PORT"
    assert DEMO_API_SECRET not in "\n".join(from_usdm)


@pytest.mark.parametrize(("content", "problem"), [
    (b"not json", "not JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"accounts": [{"balances": 5}]}', "wrong shape"),
    (b'{"accounts": [{"positions": [{"symbol": "BTCUSDT"}]}]}', "wrong shape (missing field"),
    (b'{"accounts": [{"accountId": "a", "apiKey": "K1", "apiSecret": "s"}, '
     b'{"accountId": "b", "apiKey": "K1", "apiSecret": "t"}]}',
     "an API key of account 'b' already belongs to account 'a' (each key names one account)"),
    (b'{"accounts": [{"alias": "x", "balances": {"USDT": "5"}}, {"alias": "x"}]}', "two accounts are account 'x'"),
    (b'{"accounts": []}', ": it has no accounts"),
    (b'{"accounts": [{"accountId": "a", "symbols": {"BTCUSDT": {"leverage": 0}}}]}',
     "account 'a': leverage 0 of BTCUSDT is not within 1..125"),
    (b'{"accounts": [{"accountId": "a", "symbols": {"BTCUSDT": {"marginType": "CROSS"}}}]}',
     "account 'a': marginType of BTCUSDT must be CROSSED or ISOLATED"),
    (b'{"accounts": [{"accountId": "a", "balances": {"USDT": "NaN"}}]}',
     "account 'a': the balance of USDT is 'NaN': it must be a finite amount below 1e20"),
    (b'{"accounts": [{"accountId": "a", "positions": [{"symbol": "BTCUSDT", "positionAmt": "1", "entryPrice": "0"}]}]}',
     "the BTCUSDT BOTH position's entryPrice must be positive"),
    (b'{"accounts": [{"accountId": "a", "positions": [{"symbol": "BTCUSDT", "positionSide": "LONG", '
     b'"positionAmt": "1", "entryPrice": "9"}]}]}', "account 'a': the BTCUSDT position: Order's position side"),
    (b'{"markPrices": {"BTCUSDT": "-1"}, "accounts": [{"accountId": "a"}]}',
     "the mark price of BTCUSDT is '-1': it must be a finite positive amount"),
])
def test_a_bad_scenario_file_is_one_line_and_exit_2(
    isolated_env: Env, tmp_path: Path, content: bytes, problem: str
) -> None:
    """A file that is no scenario, or one whose values no Binance account holds (they answered -1000 to
    every account read before), is refused at start with one line naming the file and what is wrong."""
    scenario = tmp_path / "scenario.json"
    scenario.write_bytes(content)
    result = invoke(["emulator", "--port", "0", "--scenario", str(scenario)], isolated_env)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and str(scenario) in result.stderr and problem in result.stderr


def test_a_bad_state_path_or_file_is_one_line_and_exit_2(isolated_env: Env, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database\n" * 100)
    for state, problem in [(text, "not an SQLite database"),
                           (tmp_path / "missing" / "x.db", f"directory {tmp_path / 'missing'} does not exist"),
                           (tmp_path, "is a directory")]:
        result = invoke(["emulator", "--port", "0", "--state", str(state)], isolated_env)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.count("\n") == 1 and str(state) in result.stderr and problem in result.stderr
    assert text.read_text().startswith("hello")  # reported, not replaced
    with pytest.raises(SystemExit) as refused:  # python -m's main: refused before serving, not a traceback
        emulator_main(["--port", "0", "--state", str(text)])
    assert refused.value.code == 2 and "not an SQLite database" in capsys.readouterr().err


def test_reset_starts_a_state_file_again_from_the_scenario(tmp_path: Path) -> None:
    state = tmp_path / "emu.db"
    with EmulatorServer(state_path=state) as emu:
        emu.backend.account().dual_side = True
        emu.backend.save(emu.backend.account())
    with EmulatorServer(state_path=state) as emu:
        assert emu.backend.account().dual_side is True  # kept across restarts
    with EmulatorServer(state_path=state, reset=True) as emu:
        assert emu.backend.account().dual_side is False
    garbage = tmp_path / "garbage.db"
    garbage.write_text("garbage, not a database\n" * 100)
    with pytest.raises(StartupError, match="not an SQLite database"):
        EmulatorServer(state_path=garbage)
    with EmulatorServer(state_path=garbage, reset=True) as emu:
        assert emu.backend.account().dual_side is False


def test_given_credentials_replace_the_demo_key_unless_kept() -> None:
    with EmulatorServer(api_key="K" * 64, api_secret="S" * 64, keep_demo_key=False) as emu:
        assert emu.backend.lookup_key("K" * 64) is not None
        assert emu.backend.lookup_key(DEMO_API_KEY) is None
    with EmulatorServer(api_key="K" * 64, api_secret="S" * 64, keep_demo_key=True) as emu:
        assert emu.backend.lookup_key(DEMO_API_KEY) is not None


def test_a_given_key_that_is_not_usable_is_one_line_and_exit_2(isolated_env: Env, tmp_path: Path) -> None:
    """A key of another account of the scenario (Binance's keys name one account each: it was moved to
    the first account silently), a public key file that holds no PEM key, an empty one (it was taken as
    a key that verifies nothing): refused before serving, naming what was wrong, never the key itself.
    A refused state file is released at once: the same file starts right after."""
    scenario = tmp_path / "two.json"
    scenario.write_text(json.dumps({"accounts": [{"accountId": "a", "apiKey": "KA" * 32, "apiSecret": "s"},
                                                 {"accountId": "b", "apiKey": "KB" * 32, "apiSecret": "t"}]}))
    taken = ["emulator", "--port", "0", "--scenario", str(scenario), "--api-key", "KB" * 32, "--api-secret", "x"]
    bad, empty = tmp_path / "bad.pem", tmp_path / "empty.pem"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    empty.write_text("")
    for args, problem in [(taken, "the API key given: an API key of account 'a' already belongs to account 'b'"),
                          (["emulator", "--port", "0", "--api-key", "K" * 64, "--public-key", str(bad)],
                           "the public key given: "),
                          (["emulator", "--port", "0", "--api-key", "K" * 64, "--public-key", str(empty)],
                           "the public key given: ")]:
        result = invoke(args, isolated_env)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.count("\n") == 1 and problem in result.stderr
        assert args[args.index("--api-key") + 1] not in result.stderr
    state = tmp_path / "state.db"
    with pytest.raises(StartupError, match="the API key given"):
        EmulatorServer(scenario=str(scenario), state_path=state, api_key="KB" * 32, api_secret="x")
    assert remove_state(state)  # not "in use by a running emulator": the refused one let the file go


def test_usdm_emulator_with_a_key_refuses_the_demo_key(isolated_env: Env) -> None:
    usdm = str(Path(sys.executable).with_name("usdm"))
    proc = subprocess.Popen([usdm, "emulator", "--port", "0", "--api-key", "K" * 64, "--api-secret", "S" * 64],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().split()[4]
        demo = invoke(["--base-url", base_url, "balances"], isolated_env)  # no key: the demo's
        assert demo.exit_code == 1 and "-2015" in demo.stderr
        mine = invoke(["--base-url", base_url, "balances"],
                      {**isolated_env, "BINANCE_API_KEY": "K" * 64, "BINANCE_API_SECRET": "S" * 64})
        assert mine.exit_code == 0, mine.stderr
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


# --- the embedded demo's state ----------------------------------------------------------------------
def test_a_corrupt_demo_state_is_reported_then_reset(isolated_env: Env, tmp_path: Path) -> None:
    state = tmp_path / "demo.sqlite3"
    state.write_text("corrupt")
    env = {**isolated_env, "USDM_DEMO_STATE": str(state)}
    failed = invoke(["account"], env)
    assert failed.exit_code == 2
    assert str(state) in failed.stderr and "usdm config --reset-demo" in failed.stderr
    assert state.read_text() == "corrupt"
    reset = invoke(["config", "--reset-demo"], env)
    assert reset.exit_code == 0 and "removed" in reset.stderr
    assert invoke(["account"], env).exit_code == 0
    assert invoke(["leverage", "BTCUSDT", "3"], env).exit_code == 0
    invoke(["config", "--reset-demo"], env)
    assert json.loads(invoke(["positions", "BTCUSDT", "--format", "json"], env).stdout)[0]["leverage"] == 10
    assert sqlite3.connect(state).execute("SELECT count(*) FROM meta").fetchone()[0] > 0


def test_resetting_the_demo_state_is_refused_while_a_demo_runs_on_it(isolated_env: Env, tmp_path: Path) -> None:
    """A `usdm watch` on the embedded demo writes its state file: `config --reset-demo` from another
    terminal says so (exit 1) instead of deleting the files under it."""
    state = tmp_path / "demo.sqlite3"
    env = {**isolated_env, "USDM_DEMO_STATE": str(state)}
    with EmulatorServer(state_path=state):
        refused = invoke(["config", "--reset-demo"], env)
        assert refused.exit_code == 1 and state.exists(), refused.stderr
        assert f"cannot remove {state}: in use by a running emulator (stop it first)" in refused.stderr
    assert invoke(["config", "--reset-demo"], env).exit_code == 0 and not state.exists()


# --- configuration ------------------------------------------------------------------------------------
def test_a_missing_usdm_config_file_is_an_error_not_the_demo(isolated_env: Env, tmp_path: Path) -> None:
    result = invoke(["account"], {**isolated_env, "USDM_CONFIG": str(tmp_path / "absent.toml")})
    assert result.exit_code == 2 and "USDM_CONFIG names" in result.stderr and "absent.toml" in result.stderr
    assert "demo" not in result.stderr


def test_config_lists_only_the_rows_that_apply(isolated_env: Env, emu: EmulatorServer) -> None:
    demo = invoke(["config"], isolated_env).stdout
    assert "Demo state" in demo and "API key" not in demo and "Auth" not in demo and "recvWindow" not in demo
    keyed = invoke(["config"], {**isolated_env, "BINANCE_API_KEY": emu.api_key,
                                "BINANCE_API_SECRET": emu.api_secret}).stdout
    assert "API key" in keyed and "Auth" in keyed and "Demo state" not in keyed and " -\n" not in keyed


# --- completion ---------------------------------------------------------------------------------------
def test_symbol_completion_comes_from_the_exchange_and_is_cached(
    isolated_env: Env, emu: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from binance_usdm.cli.symbols import cache_path

    env = {**isolated_env, "XDG_CACHE_HOME": str(tmp_path / "cache"), "BINANCE_API_KEY": emu.api_key,
           "BINANCE_API_SECRET": emu.api_secret, "USDM_BASE_URL": emu.base_url,
           "_USDM_COMPLETE": "bash_complete", "COMP_WORDS": "usdm leverage B", "COMP_CWORD": "2"}
    first = invoke([], env)
    assert first.stdout.split() == ["plain,BNBUSDT", "plain,BTCUSDC", "plain,BTCUSDT"]
    assert first.stderr == ""  # nothing printed into the shell
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cached = cache_path(emu.base_url)
    assert json.loads(cached.read_text()) == sorted(
        item.symbol for item in emu_brackets(emu))
    cached.write_text(json.dumps(["BTCUSDT", "BANANAUSDT"]))  # the cache answers, not a fixed list
    assert invoke([], env).stdout.split() == ["plain,BTCUSDT", "plain,BANANAUSDT"]
    offline = {**env, "USDM_BASE_URL": "http://127.0.0.1:9", "XDG_CACHE_HOME": str(tmp_path / "empty")}
    assert invoke([], offline).stdout.strip() == ""


def emu_brackets(emu: EmulatorServer) -> list[m.SymbolBracket]:
    """The emulator's symbols, through the client."""
    from binance_usdm import BinanceRestClient

    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
        return client.usd_futures_api.account.get_brackets().unwrap()


# --- waits explained ----------------------------------------------------------------------------------
def test_a_429_wait_is_explained_on_stderr(run: Run, emu: EmulatorServer) -> None:
    emu.faults.add("GET /fapi/v2/balance=rate_limit:1,count=1")
    result = run("balances")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"usdm: waiting \d\.\d s: Binance asked to slow down \(429/418 Retry-After\) "
                     r"\(GET /fapi/v2/balance\)", result.stderr), result.stderr
    assert "USDT" in result.stdout


def test_a_429_too_long_to_wait_out_says_how_long_binance_asks_to_wait(run: Run, emu: EmulatorServer) -> None:
    emu.faults.add("GET /fapi/v2/balance=rate_limit:45,count=1")  # longer than the client waits out (10 s)
    result = run("balances")
    assert result.exit_code == 1
    assert "error -1003: " in result.stderr and "(Binance asks to wait 45 s) (GET /fapi/v2/balance)" in result.stderr, \
        result.stderr


def test_a_ban_shows_its_end_as_a_readable_time(run: Run, emu: EmulatorServer) -> None:
    emu.faults.add("GET /fapi/v2/balance=ban:120,count=1")
    result = run("balances")
    assert result.exit_code == 1
    assert re.search(r"banned until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", result.stderr), result.stderr
    assert not re.search(r"\d{13}", result.stderr)


def test_the_client_says_what_it_waits_for(emu: EmulatorServer) -> None:
    from binance_usdm import BinanceRestClient, RetryPolicy, Wait
    from binance_usdm.cli.session import explain_wait

    waits: list[Wait] = []
    emu.faults.add("GET /fapi/v2/balance=status:503,count=1")
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url, on_wait=waits.append,
                           retry=RetryPolicy(backoff_base=0.01)) as client:
        assert client.usd_futures_api.account.get_balances().error is None
    assert [(w.reason, w.endpoint) for w in waits] == [("retry", "GET /fapi/v2/balance")]
    assert 0 < waits[0].seconds <= 0.01 and waits[0].cause
    assert explain_wait(Wait("weight", 48.2, "GET /fapi/v1/income")) == (
        "waiting 48 s for this minute's request-weight budget (GET /fapi/v1/income)")
    assert explain_wait(Wait("retry", 2, "GET /fapi/v2/account", "HTTP 503")) == (
        "HTTP 503; retrying GET /fapi/v2/account in 2.0 s")


@pytest.mark.parametrize(("amount", "problem"), [
    ("1e999999", "no sign, exponent"), ("123456789012345678901", "more than 20 digits"),
    ("1.123456789", "more than 8 decimals"), ("0", "positive"), ("1e5", "decimal number"),
])
def test_amounts_binance_would_refuse_are_usage_errors_naming_amount(run: Run, amount: str, problem: str) -> None:
    result = run("position-margin", "ETHUSDT", "add", amount)
    assert result.exit_code == 2 and result.stderr.startswith("usdm: invalid AMOUNT: ")
    assert problem in result.stderr and len(result.stderr) < 300


def test_leverage_is_an_integer_in_every_model() -> None:
    from binance_usdm.errors import ResponseValueError

    def position(leverage: str) -> m.PositionDetails:
        return m.PositionDetails(
            symbol="BTCUSDT", position_side=PositionSide.BOTH, position_amt_str="0", entry_price_str="0",
            mark_price_str="1", un_realized_profit_str="0", liquidation_price_str="0", leverage_str=leverage,
            margin_type=MarginType.CROSSED, isolated_margin_str="0",
        )

    assert position("20").leverage == 20 and type(position("20").leverage) is int
    assert position("20").to_dict()["leverage"] == 20
    with pytest.raises(ResponseValueError):
        _ = position("7.5").leverage
