"""Helpers for the CLI tests: run ``usdm`` in-process, check outputs for secrets, arrange state."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner, Result

from binance_usdm.cli.main import cli
from binance_usdm.emulator import DEMO_API_SECRET, EmulatorServer

SECRETS = [DEMO_API_SECRET]
"""Strings that must never appear in any output (tests add the secrets they configure)."""

Run = Callable[..., Result]

CLEAN_ENV: dict[str, str | None] = {
    "BINANCE_API_KEY": None,
    "BINANCE_API_SECRET": None,
    "BINANCE_PRIVATE_KEY": None,
    "BINANCE_PRIVATE_KEY_PASSPHRASE": None,
    "USDM_PROFILE": None,
    "USDM_BASE_URL": None,
    "USDM_CONFIG": None,
    "NO_COLOR": "1",
}


def assert_no_secret(*texts: str) -> None:
    """No configured secret in any of ``texts``."""
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, "a secret was echoed"


def invoke(args: list[str], env: dict[str, str | None]) -> Result:
    """Run ``usdm ARGS`` in-process; checks that no secret was printed and nothing crashed."""
    result = CliRunner().invoke(cli, args, env=env, prog_name="usdm")
    assert_no_secret(result.stdout, result.stderr)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stderr
    return result


def admin(emu: EmulatorServer | str, path: str, body: dict[str, Any]) -> Any:
    """POST to the admin API (``/emulator/...``) of an emulator or of the one at a base URL."""
    base_url = emu if isinstance(emu, str) else emu.base_url
    request = urllib.request.Request(  # noqa: S310 - the emulator's http URL
        f"{base_url}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return json.loads(response.read())
