"""Credentials (environment, profiles, none: the embedded demo), errors, help, completion, entry point."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binance_usdm.cli.main import cli
from binance_usdm.cli.session import DEMO_NOTICE
from binance_usdm.emulator import DEMO_API_KEY, EmulatorServer
from tests.cli.helpers import SECRETS, Run, admin, assert_no_secret, invoke

Env = dict[str, str | None]


# --- no credentials: the embedded emulator ------------------------------------------------------
def test_no_credentials_runs_the_embedded_demo_and_says_so_once(isolated_env: Env) -> None:
    result = invoke(["account"], isolated_env)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == DEMO_NOTICE + "\n"
    assert "BTCUSDT" in result.stdout and "Wallet balance" in result.stdout
    data = json.loads(invoke(["positions", "--format", "json"], isolated_env).stdout)
    assert {p["symbol"] for p in data} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}


def test_embedded_demo_keeps_its_state_between_commands(isolated_env: Env, tmp_path: Path) -> None:
    env = {**isolated_env, "USDM_DEMO_STATE": str(tmp_path / "demo.sqlite3")}
    assert invoke(["leverage", "BTCUSDT", "7"], env).exit_code == 0
    rows = json.loads(invoke(["positions", "BTCUSDT", "--format", "json"], env).stdout)
    assert rows[0]["leverage"] == 7
    assert (tmp_path / "demo.sqlite3").exists()


def test_base_url_without_credentials_uses_the_demo_account(emu: EmulatorServer, isolated_env: Env) -> None:
    result = invoke(["--base-url", emu.base_url, "commission", "BTCUSDT"], isolated_env)
    assert result.exit_code == 0
    assert result.stderr.startswith("usdm: no API key: using the demo account at ") and emu.base_url in result.stderr


def test_a_config_file_without_a_default_profile_is_named_with_the_demo_notice(
        emu: EmulatorServer, isolated_env: Env, tmp_path: Path) -> None:
    """Profiles but none called default: the demo is used (no profile was asked for), and the notice
    says why and how to pick one, for the embedded demo and a --base-url alike; `usdm config` too."""
    config = tmp_path / "config.toml"
    config.write_text('[main]\napi_key = "k"\napi_secret = "s"\n[test]\napi_key = "t"\napi_secret = "u"\n')
    env = {**isolated_env, "USDM_CONFIG": str(config)}
    hint = f" ({config} has no default profile, only main, test: pick one with --profile)\n"
    result = invoke(["account"], env)
    assert result.exit_code == 0 and result.stderr == DEMO_NOTICE + hint
    result = invoke(["--base-url", emu.base_url, "commission", "BTCUSDT"], env)
    assert result.exit_code == 0 and result.stderr == f"usdm: no API key: using the demo account at {emu.base_url}{hint}"
    shown = json.loads(invoke(["config", "--format", "json"], env).stdout)
    assert shown["credentials"] == "none: demo account" and f" ({shown['hint']})\n" == hint


def test_testnet_without_credentials_is_a_usage_error(isolated_env: Env) -> None:
    result = invoke(["--testnet", "account"], isolated_env)
    assert result.exit_code == 2 and "--testnet needs an API key" in result.stderr


def test_help_and_completion_do_not_start_anything(isolated_env: Env) -> None:
    result = invoke(["--help"], isolated_env)
    assert result.exit_code == 0 and "no API key" not in result.stderr
    # the exit codes name the commands Ctrl-C ends with 0 (test_stream_cmds, the emulator's own tests)
    assert "events, watch and emulator run until Ctrl-C, which ends them with 0" in " ".join(result.stdout.split())


# --- environment and profiles -------------------------------------------------------------------
def test_custom_credentials_and_no_secret_anywhere(isolated_env: Env) -> None:
    key, secret = "cliTestKey" + "K" * 54, "cliTestSecret" + "S" * 51
    SECRETS.append(secret)
    try:
        with EmulatorServer(api_key=key, api_secret=secret) as emu:
            env = {**isolated_env, "BINANCE_API_KEY": key, "BINANCE_API_SECRET": secret}
            for args in (["account"], ["config"], ["config", "--format", "json"], ["listen-key", "start"]):
                result = invoke(["--base-url", emu.base_url, *args], env)
                assert result.exit_code == 0, result.stderr
            shown = json.loads(invoke(["--base-url", emu.base_url, "config", "--format", "json"], env).stdout)
            assert shown["credentials"] == "environment" and shown["api_key"] == "cliT…KKKK"
            wrong = {**env, "BINANCE_API_SECRET": "w" * 64}
            SECRETS.append("w" * 64)
            refused = invoke(["--base-url", emu.base_url, "balances"], wrong)
            assert refused.exit_code == 1 and "error -1022" in refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1
    finally:
        del SECRETS[1:]


def _write_config(path: Path, text: str) -> dict[str, str]:
    path.write_text(text, "utf-8")
    return {"USDM_CONFIG": str(path)}


def test_profile_from_the_config_file(emu: EmulatorServer, isolated_env: Env, tmp_path: Path) -> None:
    cfg = _write_config(tmp_path / "config.toml", f"""
[emu]
api_key = "{emu.api_key}"
api_secret = "{emu.api_secret}"
base_url = "{emu.base_url}"
recv_window = 10000

[default]
api_key = "{emu.api_key}"
api_secret = "{emu.api_secret}"
base_url = "{emu.base_url}"
""")
    env = {**isolated_env, **cfg}
    chosen = invoke(["--profile", "emu", "balances"], env)
    assert chosen.exit_code == 0 and chosen.stderr == "" and "USDT" in chosen.stdout
    assert invoke(["balances"], {**env, "USDM_PROFILE": "emu"}).exit_code == 0
    default = invoke(["config", "--format", "json"], env)
    assert json.loads(default.stdout)["profile"] == "default"
    assert invoke(["account"], env).stderr == ""  # the default profile: no demo notice
    missing = invoke(["--profile", "nope", "account"], env)
    assert missing.exit_code == 2 and "no profile 'nope'" in missing.stderr and "emu" in missing.stderr


def test_private_key_profile(isolated_env: Env, tmp_path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    (tmp_path / "ed25519.pem").write_bytes(pem)
    key = "edKey" + "E" * 59
    with EmulatorServer(api_key=key, public_key_pem=public) as emu:
        cfg = _write_config(tmp_path / "config.toml", f"""
[ed]
api_key = "{key}"
private_key_file = "ed25519.pem"
base_url = "{emu.base_url}"
""")
        result = invoke(["--profile", "ed", "positions", "--format", "json"], {**isolated_env, **cfg})
        assert result.exit_code == 0, result.stderr
        assert "PRIVATE KEY" not in result.stdout + result.stderr


def test_private_key_pem_text_in_the_environment(isolated_env: Env) -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    key = "edEnvKey" + "E" * 56
    body = pem.splitlines()[1]
    SECRETS.append(body)
    try:
        with EmulatorServer(api_key=key, public_key_pem=public) as emu:
            env = {**isolated_env, "BINANCE_API_KEY": key, "BINANCE_PRIVATE_KEY": pem}
            assert invoke(["--base-url", emu.base_url, "balances"], env).exit_code == 0
            shown = invoke(["--base-url", emu.base_url, "config"], env)
            assert "PEM from BINANCE_PRIVATE_KEY" in shown.stdout
            broken = {**env, "BINANCE_PRIVATE_KEY": pem.replace(body, body[::-1])}
            SECRETS.append(body[::-1])
            failed = invoke(["--base-url", emu.base_url, "balances"], broken)
            assert failed.exit_code == 2 and failed.stderr.startswith("usdm: invalid private_key")
    finally:
        del SECRETS[1:]


@pytest.mark.parametrize(("text", "message"), [
    ("[x\n", "not valid TOML"),
    ('[p]\napi_key = "k"\n', "exactly one of 'api_secret' and 'private_key_file'"),
    ('[p]\napi_key = "k"\napi_secret = "s"\ncolour = true\n', "unknown key(s): colour"),
    ('p = 1\n', "must be a table"),
])
def test_bad_config_is_a_usage_error(isolated_env: Env, tmp_path: Path, text: str, message: str) -> None:
    cfg = _write_config(tmp_path / "config.toml", text)
    result = invoke(["--profile", "p", "account"], {**isolated_env, **cfg})
    assert result.exit_code == 2 and message in result.stderr


def test_half_configured_environment_is_a_usage_error(isolated_env: Env) -> None:
    result = invoke(["account"], {**isolated_env, "BINANCE_API_KEY": DEMO_API_KEY})
    assert result.exit_code == 2 and "neither BINANCE_API_SECRET nor BINANCE_PRIVATE_KEY" in result.stderr


# --- errors -------------------------------------------------------------------------------------
def test_connection_failure_is_one_line_exit_1(isolated_env: Env, run: Run) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run("--base-url", f"http://127.0.0.1:{port}", "balances")
    assert result.exit_code == 1
    assert result.stderr.startswith("usdm: error:") and len(result.stderr.strip().splitlines()) == 1


def test_usage_errors_exit_2(run: Run) -> None:
    assert run("positions", "BTC-USDT").exit_code == 2
    assert run("no-such-command").exit_code == 2
    assert run("--recv-window", "70000", "account").exit_code == 2
    assert run("margin-type", "BTCUSDT", "both").exit_code == 2


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "ftp://127.0.0.1", "https://user:hunter2@host"])
def test_bad_base_url_is_a_usage_error_naming_the_option(isolated_env: Env, url: str) -> None:
    result = invoke(["--base-url", url, "account"], isolated_env)
    assert result.exit_code == 2 and "usdm: invalid --base-url: " in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_recv_window_is_accepted(run: Run) -> None:
    assert run("--recv-window", "10000", "balances").exit_code == 0


# --- help and completion ------------------------------------------------------------------------
def test_every_command_has_help_with_an_example(isolated_env: Env) -> None:
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        result = invoke([name, "--help"], isolated_env)
        assert result.exit_code == 0, name
        assert "Example" in result.stdout, name
    for sub in ("start", "keepalive", "close"):
        assert invoke(["listen-key", sub, "--help"], isolated_env).exit_code == 0


@pytest.mark.parametrize(("shell", "marker"), [("bash", "_USDM_COMPLETE=bash_complete"),
                                               ("zsh", "compdef"), ("fish", "complete")])
def test_completion_scripts(isolated_env: Env, shell: str, marker: str) -> None:
    result = invoke(["completion", shell], isolated_env)
    assert result.exit_code == 0 and marker in result.stdout


def test_completion_answers(isolated_env: Env) -> None:
    env = {**isolated_env, "_USDM_COMPLETE": "bash_complete", "COMP_WORDS": "usdm pos", "COMP_CWORD": "1"}
    result = invoke([], env)
    assert "positions" in result.stdout and "position-mode" in result.stdout
    env = {**env, "COMP_WORDS": "usdm income --type FUN", "COMP_CWORD": "3"}
    assert "FUNDING_FEE" in invoke([], env).stdout


# --- the installed entry point, in a real process -----------------------------------------------
def _usdm() -> list[str]:
    script = shutil.which("usdm", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "binance_usdm.cli"]


def _process_env(isolated_env: Env) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in isolated_env}
    env.update({k: v for k, v in isolated_env.items() if v is not None})
    return env


def test_entry_point_subprocess(emu: EmulatorServer, isolated_env: Env) -> None:
    assert emu.api_secret is not None
    env = {**_process_env(isolated_env), "BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret}
    done = subprocess.run([*_usdm(), "--base-url", emu.base_url, "positions", "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert_no_secret(done.stdout, done.stderr)
    assert {p["symbol"] for p in json.loads(done.stdout)} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    failed = subprocess.run([*_usdm(), "--base-url", emu.base_url, "margin-type", "ETHUSDT", "crossed"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and failed.stderr.startswith("usdm: error -4048")
    assert "Traceback" not in failed.stderr


def test_emulator_command_ends_with_0_on_ctrl_c(isolated_env: Env) -> None:
    proc = subprocess.Popen([*_usdm(), "emulator", "--port", "0"], env=_process_env(isolated_env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith("Binance USD-M emulator on http://127.0.0.1:")
    assert proc.stderr.readline() == "Ctrl-C to stop.\n"  # the banner's last line: serving
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert (proc.returncode, err) == (0, "")  # as `usdm --help` says; no traceback


def test_emulator_command_serves_until_terminated(isolated_env: Env) -> None:
    proc = subprocess.Popen([*_usdm(), "emulator", "--port", "0", "--download-delay", "0.1",
                             "--income-retention-days", "120", "--fault", "GET /fapi/v1/adlQuantile=status:502",
                             "--log-requests"],
                            env=_process_env(isolated_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert banner.startswith("Binance USD-M emulator on http://127.0.0.1:"), banner
        base_url = banner.split()[4]
        stream_line, key_line = proc.stdout.readline(), proc.stdout.readline()
        assert "user data stream: ws://" in stream_line
        assert key_line == "  API key: the demo's, binance_usdm.emulator.DEMO_API_KEY\n"  # 60 columns: named
        result = invoke(["--base-url", base_url, "balances", "--format", "json"], isolated_env)
        assert result.exit_code == 0 and json.loads(result.stdout)
        old = datetime.now(UTC) - timedelta(days=100)  # kept: retention 120 days instead of 90
        admin(base_url, "/emulator/income", {"records": [
            {"incomeType": "TRANSFER", "income": "5", "asset": "USDT", "time": int(old.timestamp() * 1000)}]})
        found = invoke(["--base-url", base_url, "income", "--type", "TRANSFER", "--since", "110d",
                        "--until", "95d", "--format", "json"], isolated_env)
        assert [r["income"] for r in json.loads(found.stdout)] == ["5.00000000"]
        faulted = invoke(["--base-url", base_url, "adl"], isolated_env)
        assert faulted.exit_code == 1 and "error -1000" in faulted.stderr and "adlQuantile" in faulted.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert_no_secret(banner, key_line, out, err)
    # --log-requests: one line per answered Binance request, the injected fault named
    assert "GET /fapi/v1/adlQuantile?" in out and "-> 502 -1000" in out and "fault[GET /fapi/v1/adlQuantile=status:502]" in out
    assert "signature" not in out


def test_emulator_command_refuses_a_bad_fault(isolated_env: Env) -> None:
    result = invoke(["emulator", "--port", "0", "--fault", "GET /fapi/v2/account=explode"], isolated_env)
    assert result.exit_code == 2 and "--fault" in result.stderr
