"""Text from a server reaches the terminal as text: an escape sequence, a bell or a bidi override in
a symbol, an income record's info or Binance's error message is shown as its escape, never sent to
the terminal (which would let the server retitle the window, recolour or hide output)."""

from __future__ import annotations

import json
import time

import pytest

from tests.cli.helpers import invoke
from tests.scripted_server import Reply, Request, ScriptedServer, not_found

HOSTILE = "x\x1b]0;PWNED\x07y\x1b[31mRED\u202eevil"
SHOWN = "x\\x1b]0;PWNED\\x07y\\x1b[31mRED\\u202eevil"
KEY, SECRET = "hostileKey" + "K" * 54, "hostileSecret" + "S" * 51


def _time(request: Request) -> Reply:
    if request.path == "/fapi/v1/time":
        return Reply(body=b'{"serverTime":%d}' % (time.time() * 1000))
    return not_found(request)


@pytest.fixture
def hostile(isolated_env: dict[str, str | None]) -> tuple[ScriptedServer, dict[str, str | None]]:
    with ScriptedServer(_time) as server:
        yield server, {**isolated_env, "BINANCE_API_KEY": KEY, "BINANCE_API_SECRET": SECRET}


def _terminal_safe(text: str) -> None:
    assert not any(c in text for c in ("\x1b", "\x07", "\u202e")), repr(text)


def test_a_table_shows_control_characters_as_escapes(hostile: tuple[ScriptedServer, dict[str, str | None]]) -> None:
    server, env = hostile
    record = {"symbol": HOSTILE, "incomeType": "TRANSFER", "income": "5.00000000", "asset": "USDT",
              "info": HOSTILE, "time": int(time.time() * 1000) - 1000, "tranId": 1, "tradeId": ""}
    server.route("GET", "/fapi/v1/income", Reply(body=json.dumps([record]).encode()), Reply(body=b"[]"))
    result = invoke(["--base-url", server.base_url, "income", "--since", "1d"], env)
    assert result.exit_code == 0, result.stderr
    _terminal_safe(result.stdout)
    assert SHOWN in result.stdout


def test_an_error_message_shows_control_characters_as_escapes(
    hostile: tuple[ScriptedServer, dict[str, str | None]]
) -> None:
    server, env = hostile
    body = json.dumps({"code": -1121, "msg": f"Invalid symbol.{HOSTILE}"}).encode()
    server.route("POST", "/fapi/v1/leverage", Reply(400, body))
    result = invoke(["--base-url", server.base_url, "leverage", "BTCUSDT", "5"], env)
    assert result.exit_code == 1
    _terminal_safe(result.stderr)
    assert f"error -1121: Invalid symbol.{SHOWN}" in result.stderr
