"""``usdm`` imports only what the command run uses: ``--help`` lists every command from the table in
``cli.main`` without importing one, and ``usdm account`` loads neither the emulator (only its demo
credentials when no key is configured), asyncio, ssl (a plain-HTTP emulator), rich, nor the export
machinery, history, concurrent.futures, the idna codec, logging, dataclasses or (given a key)
pathlib, and builds the parsers of the endpoints it calls only; the script loads that code with the
garbage collector paused and frozen afterwards. Checked in fresh processes (no timings:
benchmarks/bench_startup.py)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import click
import pytest

from binance_usdm.cli.main import COMMANDS, cli
from binance_usdm.emulator import EmulatorServer
from tests.cli.helpers import CLEAN_ENV

WATCHED = ("binance_usdm", "asyncio", "ssl", "rich", "pyarrow", "polars", "urllib.request", "msgspec",
           "concurrent", "encodings.idna", "logging", "dataclasses", "json", "click.shell_completion",
           "pathlib")


def run_usdm(*args: str, env: dict[str, str] | None = None, check: str = "") -> tuple[str, set[str], set[str]]:
    """``usdm ARGS`` in a fresh interpreter, by the script's entry point: its stdout, the watched
    modules it had loaded and the endpoints whose parser it built. ``check``: Python code run after
    the command (it may assert)."""
    code = (
        "import sys\n"
        "from binance_usdm.cli.script import main\n"
        f"sys.argv = ['usdm', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"{check}\n"
        f"loaded = [m for m in sys.modules if m.startswith({WATCHED!r})]\n"
        "import json\n"
        "print(json.dumps(loaded))\n"
        "endpoints = sys.modules.get('binance_usdm._wire.endpoints')\n"
        "table = [e for e in vars(endpoints or sys).values() if isinstance(e, getattr(endpoints, 'Endpoint', ()))]\n"
        "print(json.dumps([e.name for e in table if e.parse != e._parse_first]))\n"
    )
    environ = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    environ.update(env or {})
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=environ)
    assert done.returncode == 0, done.stderr
    *output, modules, parsers = done.stdout.splitlines()
    return "\n".join(output), set(json.loads(modules)), set(json.loads(parsers))


def test_help_lists_every_command_without_importing_any() -> None:
    output, loaded, _ = run_usdm("--help")
    for name, (_, short_help) in COMMANDS.items():
        assert f"  {name} " in output and short_help in " ".join(output.split()), name
    assert loaded == {"binance_usdm", "binance_usdm._lazy", "binance_usdm._version", "binance_usdm.cli",
                      "binance_usdm.cli.script", "binance_usdm.cli.loading", "binance_usdm.cli.main"}


@pytest.mark.parametrize("keyed", [True, False], ids=["api-key", "demo-key"])
def test_account_loads_only_the_blocking_client_and_its_command(emu: EmulatorServer, keyed: bool) -> None:
    """With an API key, or without one (the demo's key, against the running emulator)."""
    assert emu.api_secret is not None
    env = {"BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret} if keyed else {}
    output, loaded, parsers = run_usdm("--base-url", emu.base_url, "account", "--format", "json",
                                       env={**env, "USDM_DEMO_STATE": ""})
    assert json.loads(output)["assets"]
    assert {"binance_usdm.cli.cmd_read", "binance_usdm._sync.client", "msgspec"} <= loaded
    unwanted = ("asyncio", "ssl", "rich", "pyarrow", "polars", "urllib.request", "binance_usdm.emulator.",
                "binance_usdm.export", "binance_usdm._async", "binance_usdm.cli.cmd_history",
                "binance_usdm.cli.cmd_stream", "binance_usdm._sync.history", "binance_usdm.downloads",
                "concurrent", "encodings.idna", "logging", "dataclasses", "pathlib")
    # without a key usdm looks for a config file (pathlib); the environment's key needs none
    allowed = set() if keyed else {"binance_usdm.emulator.demo_credentials", "pathlib"}
    assert {m for m in loaded if m.startswith(unwanted)} == allowed
    assert parsers == {"get_account_info", "get_position_information", "get_position_mode",
                       "get_multi_assets_mode", "get_server_time"}


def test_the_command_table_is_every_command_of_every_module() -> None:
    """Each command module's ``COMMANDS`` are in the table under that module, and nothing else is."""
    found: dict[str, str] = {}
    for module_name in sorted({module for module, _ in COMMANDS.values()}):
        module = importlib.import_module(f"binance_usdm.cli.{module_name}")
        found.update({command.name or "": module_name for command in module.COMMANDS})
    assert found == {name: module for name, (module, _) in COMMANDS.items()}
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None and command.name == name and command.short_help == COMMANDS[name][1]
    assert cli.get_command(click.Context(cli), "nope") is None


FROZEN_CHECK = """\
import gc
from binance_usdm import BinanceRestClient
from binance_usdm.cli import cmd_read, main as cli_main
assert gc.isenabled()
live = {id(o) for o in gc.get_objects()}  # every generation but the frozen one
for loaded in (cli_main.UsdmGroup, cmd_read.account, BinanceRestClient, BinanceRestClient.__init__):
    assert id(loaded) not in live, loaded
"""


def test_the_script_loads_code_without_the_collector_and_freezes_it(emu: EmulatorServer) -> None:
    """click and the group, the command's module and the client are frozen (no collection walks them
    again, the one at exit included); the collector is on for what the command makes. The table
    needs no json, and nothing but completion needs click's completion module."""
    assert emu.api_secret is not None
    env = {"BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret, "USDM_DEMO_STATE": ""}
    output, loaded, _ = run_usdm("--base-url", emu.base_url, "account", env=env, check=FROZEN_CHECK)
    assert output.startswith("Account (") and "\nPositions\n" in output
    assert not {m for m in loaded if m.startswith(("json", "click.shell_completion"))}


def test_loading_changes_nothing_outside_the_script() -> None:
    """In a process that did not start as the script (tests, programs running ``cli``), ``loading()``
    neither pauses the collector nor freezes anything."""
    code = (
        "import gc\n"
        "from binance_usdm.cli.loading import loading\n"
        "with loading():\n"
        "    assert gc.isenabled()\n"
        "    import binance_usdm.cli.main\n"
        "assert gc.get_freeze_count() == 0\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
