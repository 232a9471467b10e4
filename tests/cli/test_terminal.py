"""What a person sees on a terminal of 80 and 60 columns, and what a script sees through pipes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from binance_usdm.emulator import EmulatorServer
from tests.cli.helpers import CLEAN_ENV, admin, invoke
from tests.cli.terminal import columns, on_terminal, process_on_terminal

WIDTHS = (80, 60)
TABLE_COMMANDS = [
    ["account"], ["positions", "--all"], ["balances", "--all"], ["brackets", "BTCUSDT"],
    ["income", "--since", "60d"], ["margin-history", "ETHUSDT"], ["config"], ["commission", "BTCUSDT"],
]


@pytest.fixture
def terminal_env(emu: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of an interactive shell pointed at the emulator (colour allowed, no $COLUMNS)."""
    env = {
        "XDG_CONFIG_HOME": str(tmp_path), "USDM_DEMO_STATE": "", "USDM_BASE_URL": emu.base_url,
        "BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret,
    }
    for name, value in {**CLEAN_ENV, "NO_COLOR": None, "COLUMNS": None, **env}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return env


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("args", TABLE_COMMANDS, ids=lambda args: args[0])
def test_every_table_fits_the_terminal(terminal_env: dict[str, str], args: list[str], columns: int) -> None:
    screen = on_terminal(args, columns)
    assert screen.exit_code == 0, screen.text
    assert screen.longest_line() <= columns, screen.raw


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("args", [["position-margin", "ETHUSDT", "add", "10"], ["leverage", "BTCUSDT", "10"],
                                  ["config", "--reset-demo"]], ids=lambda args: args[0])
def test_messages_fit_the_terminal(terminal_env: dict[str, str], args: list[str], columns: int) -> None:
    """Result lines and notes on stderr are broken at spaces (they were up to 90 wide)."""
    screen = on_terminal(args, columns)
    assert screen.exit_code == 0, screen.text
    assert screen.longest_line() <= columns, screen.raw


@pytest.mark.parametrize("columns", WIDTHS)
def test_positions_keep_one_line_per_position_and_name_what_is_hidden(
    terminal_env: dict[str, str], columns: int
) -> None:
    screen = on_terminal(["positions"], columns)
    rows = [line for line in screen.lines if line.split(" ")[0].endswith("USDT")]
    assert [row.split()[:2] for row in rows] == [["BTCUSDT", "long"], ["ETHUSDT", "short"], ["SOLUSDT", "long"]]
    hidden = screen.text[screen.text.index("Hidden at this width:"):].replace("\n", " ")
    assert "NOTIONAL" in hidden and "ISOLATED MARGIN" in hidden


def test_a_symbol_of_wide_characters_keeps_the_columns_in_line(emu: EmulatorServer,
                                                                 terminal_env: dict[str, str]) -> None:
    """币安人生USDT takes 12 terminal columns for its 8 characters: the rows still line up."""
    admin(emu, "/emulator/positions", {"symbol": "币安人生USDT", "positionAmt": "12000", "entryPrice": "0.14"})
    screen = on_terminal(["positions"], 80)
    rows = [line for line in screen.lines if line.split(" ")[0].endswith("USDT")]
    assert [row.split()[0] for row in rows] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "币安人生USDT"]
    sides = {columns(row[:row.index(side)]) for row, side in zip(rows, ("long", "short", "long", "long"), strict=True)}
    assert len(sides) == 1  # the SIDE column starts at one terminal column in every row
    assert max(columns(line) for line in screen.lines) <= 80


@pytest.mark.parametrize("columns", WIDTHS)
def test_an_error_line_with_wide_characters_fits_the_terminal(terminal_env: dict[str, str], columns: int) -> None:
    """'ＢＴＣ' is 3 characters in 6 columns: the error line was broken by characters and ran over."""
    screen = on_terminal(["leverage", "\uff22\uff34\uff23USDT", "3"], columns)
    assert screen.exit_code == 2 and "look-alike" in screen.text
    assert screen.longest_line() <= columns, screen.raw


def test_a_wide_terminal_shows_every_column(terminal_env: dict[str, str]) -> None:
    screen = on_terminal(["positions"], 160)
    assert "ISOLATED MARGIN" in screen.text and "Hidden" not in screen.text


def test_one_style_per_screen_and_numbers_aligned_to_the_column(terminal_env: dict[str, str]) -> None:
    screen = on_terminal(["account"], 80)
    assert "─" not in screen.raw  # no boxed table beside plain ones
    assert "\x1b[1mAssets\x1b[0m" in screen.raw and "\x1b[1mPositions\x1b[0m" in screen.raw
    sizes = [line.split()[2] for line in screen.lines if line.startswith(("BTCUSDT", "ETHUSDT", "SOLUSDT"))]
    assert sizes == ["0.15", "-2.50", "40.00"]


def test_a_table_too_narrow_for_its_columns_is_stacked(terminal_env: dict[str, str]) -> None:
    screen = on_terminal(["positions"], 30)
    assert screen.longest_line() <= 30
    assert "SYMBOL" in screen.text and "BTCUSDT" in screen.text


def test_no_progress_residue_before_the_income_table(terminal_env: dict[str, str]) -> None:
    screen = on_terminal(["income", "--since", "60d", "--limit", "50"], 80)
    assert screen.exit_code == 0
    assert "━" in screen.raw  # the bar was drawn while the records came in
    assert "━" not in screen.text and "%" not in screen.text  # and is gone from the screen
    assert screen.text.startswith("TIME (UTC)")
    assert "Totals, 50 records from " in screen.text


def test_a_note_printed_while_the_progress_bar_runs_stays_whole_above_the_table(
    terminal_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BINANCE_API_KEY", "BINANCE_API_SECRET"):  # the demo notice comes once the bar is drawn
        monkeypatch.delenv(name)
    screen = on_terminal(["income", "--since", "60d", "--limit", "50"], 80)
    assert screen.exit_code == 0, screen.text
    assert screen.lines[0].startswith("usdm: no API key: using the demo account"), screen.text
    assert screen.lines[1].startswith("TIME (UTC)"), screen.text
    assert "━" not in screen.text and "%" not in screen.text


def test_piped_output_keeps_every_column_and_no_colour(run: object, emu: EmulatorServer) -> None:
    from tests.cli.helpers import invoke

    env = {**CLEAN_ENV, "BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret,
           "USDM_DEMO_STATE": "", "COLUMNS": "40"}
    result = invoke(["--base-url", emu.base_url, "positions"], env)
    assert "ISOLATED MARGIN" in result.stdout and "\x1b[" not in result.stdout


# --- long-running commands on a terminal -----------------------------------------------------------
def _terminal_process_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV and k not in ("COLUMNS", "LINES", "NO_COLOR")}
    return {**env, **extra}


@pytest.mark.parametrize("key", [None, "K" * 64])
def test_the_emulator_banner_fits_60columns(tmp_path: Path, key: str | None) -> None:
    """A 64-character API key made the banner's key line 75 wide: it is named (demo) or shortened."""
    credentials = [] if key is None else ["--api-key", key, "--api-secret", "S" * 64, "--keep-demo-key"]
    screen = process_on_terminal(
        [sys.executable, "-m", "binance_usdm.cli", "emulator", "--port", "0", "--state", "s.db",
         "--fault", "GET /fapi/v1/adlQuantile=status:502", *credentials],
        60, "Ctrl-C to stop.", _terminal_process_env(), stop=signal.SIGTERM, cwd=str(tmp_path))
    assert screen.exit_code == 0, screen.raw
    assert screen.longest_line() <= 60, screen.raw
    text = screen.text
    assert "  dashboard: http://127.0.0.1:" in text and "  fault 1: GET /fapi/v1/adlQuantile=status:502" in text
    assert "  state:   s.db" in text
    if key is None:
        assert "DEMO_API_KEY" in text and "DEMO_API_SECRET" in text
    else:
        assert "KKKKKKKKKKKK…KKKKKKKK (as given)" in text and "the demo key works too" in text
        assert "S" * 8 not in text


@pytest.mark.parametrize("columns", WIDTHS)
def test_watch_fits_the_terminal_with_the_other_tables_layout(emu: EmulatorServer, tmp_path: Path,
                                                              columns: int) -> None:
    env = _terminal_process_env(XDG_CONFIG_HOME=str(tmp_path), USDM_DEMO_STATE="", BINANCE_API_KEY=emu.api_key,
                                BINANCE_API_SECRET=emu.api_secret)
    screen = process_on_terminal([sys.executable, "-m", "binance_usdm.cli", "--base-url", emu.base_url, "watch"],
                                 columns, "connected to", env, stop=b"\x03")  # Ctrl-C typed
    assert screen.exit_code == 0, screen.raw
    assert screen.longest_line() <= columns, screen.raw
    rows = [line.split() for line in screen.lines if line.split(" ")[0] in ("BTCUSDT", "ETHUSDT", "SOLUSDT")]
    # one-way legs by the sign of their size (not BOTH), decimals aligned down the column like `usdm positions`
    assert [row[:3] for row in rows] == [["BTCUSDT", "long", "0.15"], ["ETHUSDT", "short", "-2.50"],
                                         ["SOLUSDT", "long", "40.00"]]
    assert [line.split()[:2] for line in screen.lines if line.startswith("USDT ")] == [["USDT", "25000.00"]]
    assert screen.text.count("position mode one-way") == 1  # each redraw in place


@pytest.mark.parametrize("args", [["position-margin", "ETHUSDT", "add", "-1"],
                                  ["position-margin", "ETHUSDT", "add", "1e999999"], ["income", "--since", "100000d"],
                                  ["emulator", "--reset"]])
def test_errors_fit_60_columns_on_a_terminal_and_stay_one_line_on_a_pipe(terminal_env: dict[str, str],
                                                                          args: list[str]) -> None:
    screen = on_terminal(args, 60)
    assert screen.exit_code == 2 and screen.longest_line() <= 60, screen.raw
    piped = invoke(args, {})  # stderr is not a terminal here, as through a pipe
    error = piped.stderr.splitlines()[-1]
    assert piped.exit_code == 2 and len(error) > 60  # one line for scripts
    assert " ".join(screen.text.split()).endswith(" ".join(error.split()))  # the same words


# --- exit codes through real pipes and signals ---------------------------------------------------
def _usdm(emu: EmulatorServer, tmp_path: Path, *args: str, **popen: object) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env.update(XDG_CONFIG_HOME=str(tmp_path), USDM_DEMO_STATE="", BINANCE_API_KEY=emu.api_key,
               BINANCE_API_SECRET=emu.api_secret, NO_COLOR="1")
    return subprocess.Popen([sys.executable, "-m", "binance_usdm.cli", "--base-url", emu.base_url, *args],
                            env=env, stderr=subprocess.PIPE, **popen)  # type: ignore[call-overload]


@pytest.mark.parametrize("args", [["positions", "--all"], ["brackets", "--format", "json"]])
def test_a_closed_pipe_ends_quietly_with_0(emu: EmulatorServer, tmp_path: Path, args: list[str]) -> None:
    proc = _usdm(emu, tmp_path, *args, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # `| head -1`
    _, err = proc.communicate(timeout=60)
    assert first and proc.returncode == 0, err
    assert b"Error" not in err and b"Exception" not in err and b"Traceback" not in err


def test_ctrl_c_exits_130_without_aborted_and_the_download_id_is_already_known(tmp_path: Path) -> None:
    with EmulatorServer(download_delay_ms=600_000) as emu:
        proc = _usdm(emu, tmp_path, "download", "transactions", "--since", "30d", stdout=subprocess.DEVNULL)
        assert proc.stderr is not None
        line = proc.stderr.readline()  # printed before the wait, though stderr is a pipe
        assert b"download id " in line and b"resume with --id" in line
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert b"Aborted" not in err and b"Traceback" not in err


def test_usage_and_api_errors_exit_2_and_1(emu: EmulatorServer, tmp_path: Path) -> None:
    usage = _usdm(emu, tmp_path, "leverage", "BTCUSDT", "x", stdout=subprocess.PIPE)
    usage.communicate(timeout=60)
    api = _usdm(emu, tmp_path, "margin-type", "NOSUCHUSDT", "isolated", stdout=subprocess.PIPE)
    _, err = api.communicate(timeout=60)
    assert (usage.returncode, api.returncode) == (2, 1), err
