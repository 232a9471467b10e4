"""``usdm events`` and ``usdm watch`` as real processes against the emulator: JSON lines with exact
decimals, quiet on a closed pipe, the live view at 80 columns, Ctrl-C exits 0 and closes the key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO

from binance_usdm.emulator import EmulatorServer
from tests.cli.helpers import CLEAN_ENV, admin, assert_no_secret


def _env(emu: EmulatorServer, tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CLEAN_ENV}
    env.update({"USDM_CONFIG": str(tmp_path / "none.toml"), "USDM_DEMO_STATE": "", "NO_COLOR": "1",
                "BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret, "COLUMNS": "80"})
    return env


def _usdm(emu: EmulatorServer, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "binance_usdm.cli", "--base-url", emu.base_url, *args],
                            env=_env(emu, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _streams(emu: EmulatorServer) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{emu.base_url}/emulator/streams", timeout=10) as answer:
        return int(json.loads(answer.read())["total"])


def _wait_connected(emu: EmulatorServer, count: int = 1) -> None:
    deadline = time.monotonic() + 20
    while _streams(emu) < count:
        assert time.monotonic() < deadline, "the command never connected"
        time.sleep(0.05)


def _listen_key(emu: EmulatorServer) -> int | None:
    return emu.backend.listen_keys.expiry(emu.backend.account().account_id)


def _read_line(stream: IO[str], timeout: float = 20) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert lines, "no line arrived"
    return lines[0]


def _leverage(emu: EmulatorServer, symbol: str, leverage: int) -> None:
    from binance_usdm import BinanceRestClient

    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
        client.usd_futures_api.account.change_initial_leverage(symbol, leverage).unwrap()


def test_events_prints_json_lines_with_exact_decimals(emu: EmulatorServer, tmp_path: Path) -> None:
    process = _usdm(emu, tmp_path, "events", "-n", "2")
    _wait_connected(emu)
    _leverage(emu, "BTCUSDT", 17)
    admin(emu, "/emulator/balances", {"asset": "USDC", "balance": "1234.50000001"})
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["event_type"] == "ACCOUNT_CONFIG_UPDATE"
    assert first["symbol_config"] == {"symbol": "BTCUSDT", "leverage": 17}
    assert second["event_type"] == "ACCOUNT_UPDATE"
    (usdc,) = [b for b in second["update"]["balances"] if b["asset"] == "USDC"]
    assert usdc["wallet_balance"] == "1234.50000001"  # exact, as a string
    assert "usdm: connected to ws://" in err and "<listenKey>" in err
    assert_no_secret(out, err)
    assert _listen_key(emu) is None  # closed on the way out


def test_events_exits_0_on_ctrl_c_and_closes_the_listen_key(emu: EmulatorServer, tmp_path: Path) -> None:
    process = _usdm(emu, tmp_path, "events", "--no-notices")
    _wait_connected(emu)
    assert _listen_key(emu) is not None
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (0, "", "")  # as `usdm --help` says: no "Aborted!", no traceback
    assert _listen_key(emu) is None


def test_events_is_quiet_when_the_reader_goes_away(emu: EmulatorServer, tmp_path: Path) -> None:
    process = _usdm(emu, tmp_path, "events", "--no-notices")
    _wait_connected(emu)
    assert process.stdout is not None and process.stderr is not None
    _leverage(emu, "BTCUSDT", 15)
    assert json.loads(_read_line(process.stdout))["event_type"] == "ACCOUNT_CONFIG_UPDATE"
    process.stdout.close()  # `usdm events | head -1`
    _leverage(emu, "BTCUSDT", 16)
    assert process.wait(timeout=30) == 0
    assert process.stderr.read() == ""
    assert _listen_key(emu) is None


def test_watch_shows_the_account_a_line_per_event_and_exits_0_on_ctrl_c(emu: EmulatorServer, tmp_path: Path) -> None:
    process = _usdm(emu, tmp_path, "watch")
    assert process.stdout is not None
    lines = [_read_line(process.stdout) for _ in range(2)]
    assert lines[0].startswith("position mode one-way · multi-assets off")
    while "connected to" not in lines[-1]:
        lines.append(_read_line(process.stdout))
    _wait_connected(emu)
    _leverage(emu, "ETHUSDT", 14)
    event = _read_line(process.stdout)
    assert "ACCOUNT_CONFIG_UPDATE ETHUSDT 10x->14x" in event
    lines.append(event)
    summary = "".join(lines)
    assert "BTCUSDT  long    0.15" in summary and "ETHUSDT  short  -2.50" in summary  # usdm positions' layout
    assert "10x  isolated" in summary
    assert all(len(line.rstrip("\n")) <= 80 for line in lines)
    assert _listen_key(emu) is not None
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Aborted" not in err
    assert _listen_key(emu) is None  # Ctrl-C closed the listen key

