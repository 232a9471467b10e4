"""Fixtures: an emulator per test and a runner that invokes the real ``usdm`` commands against it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from binance_usdm.emulator import EmulatorServer
from tests.cli.helpers import CLEAN_ENV, Run, invoke


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    """A fresh demo emulator; history files are ready 0.1 s after they are requested."""
    with EmulatorServer(download_delay_ms=100) as server:
        yield server


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str | None]:
    """Environment without credentials, with a missing config file and an in-memory demo state."""
    return {**CLEAN_ENV, "XDG_CONFIG_HOME": str(tmp_path / "config"), "USDM_DEMO_STATE": ""}


@pytest.fixture
def run(emu: EmulatorServer, isolated_env: dict[str, str | None]) -> Run:
    """``run(*args)``: ``usdm --base-url <emulator> ARGS`` with the demo key in the environment."""
    env = {**isolated_env, "BINANCE_API_KEY": emu.api_key, "BINANCE_API_SECRET": emu.api_secret}

    def call(*args: str, extra_env: dict[str, str | None] | None = None) -> Result:
        return invoke(["--base-url", emu.base_url, *args], {**env, **(extra_env or {})})

    return call


@pytest.fixture
def run_json(run: Run) -> Callable[..., Any]:
    """``run_json(*args)``: run with ``--format json``, expect success, return the decoded JSON."""

    def call(*args: str) -> Any:
        result = run(*args, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return call
