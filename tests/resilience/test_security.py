"""Signatures and secrets: every tampered field of a signed request is refused (-1022), a replay
outside recvWindow is refused (-1021), and no secret reaches logs, reprs, errors or CLI output."""

from __future__ import annotations

import asyncio
import base64
import http.client
import logging
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, RetryPolicy
from binance_usdm._wire import endpoints
from binance_usdm._wire.config import ClientConfig
from binance_usdm._wire.requests import build, params_of
from binance_usdm._wire.signing import HmacSigner, Signer, load_private_key_signer
from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.accounts import Credential
from tests.resilience.conftest import TIMEOUTS, leverage_of

HMAC_KEY = "hmacKey" + secrets.token_hex(28)
HMAC_SECRET = "hmacSecret" + secrets.token_hex(27)


def _pems(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> tuple[str, str]:
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


ED_PRIVATE, ED_PUBLIC = _pems(ed25519.Ed25519PrivateKey.generate())
RSA_PRIVATE, RSA_PUBLIC = _pems(rsa.generate_private_key(public_exponent=65537, key_size=2048))
KEYS = {
    "hmac": (HMAC_KEY, HmacSigner(HMAC_SECRET)),
    "ed25519": ("edKey" + secrets.token_hex(29), load_private_key_signer(ED_PRIVATE)),
    "rsa": ("rsaKey" + secrets.token_hex(29), load_private_key_signer(RSA_PRIVATE)),
}
PUBLIC = {"ed25519": ED_PUBLIC, "rsa": RSA_PUBLIC}


def _pem_body(pem: str) -> list[str]:
    """The base64 lines of a PEM: none may appear anywhere."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


SECRETS = [HMAC_SECRET, *_pem_body(ED_PRIVATE), *_pem_body(RSA_PRIVATE)]


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a secret leaked into: {text[:200]!r}"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    """An emulator knowing the HMAC, Ed25519 and RSA keys above (on the demo account)."""
    with EmulatorServer(api_key=HMAC_KEY, api_secret=HMAC_SECRET) as server:
        account = server.backend.account().account_id
        for name, pem in PUBLIC.items():
            server.backend.add_credential(account, Credential(KEYS[name][0], None, pem))
        yield server


def _signed(emu: EmulatorServer, key: str, leverage: int = 20, recv_window: int = 5000) -> tuple[str, str]:
    """(API key, target) of a signed POST /fapi/v1/leverage built by the client's own code."""
    api_key, signer = KEYS[key]
    request = build(endpoints.CHANGE_INITIAL_LEVERAGE, params_of(symbol="BTCUSDT", leverage=leverage),
                    key_headers=(("X-MBX-APIKEY", api_key),), signer=signer, timestamp_ms=emu.clock.now_ms(),
                    recv_window=recv_window)
    return api_key, request.target


def _send(emu: EmulatorServer, api_key: str, target: str, body: str = "") -> tuple[int, Any]:
    import json

    conn = http.client.HTTPConnection(emu.host, emu.port, timeout=5)
    try:
        headers = {"X-MBX-APIKEY": api_key}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request("POST", target, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _replace(target: str, name: str, value: str) -> str:
    path, _, query = target.partition("?")
    parts = [f"{name}={value}" if p.startswith(f"{name}=") else p for p in query.split("&")]
    return f"{path}?{'&'.join(parts)}"


def _field(target: str, name: str) -> str:
    return next(p for p in target.partition("?")[2].split("&") if p.startswith(f"{name}=")).partition("=")[2]


def _flip(text: str) -> str:
    """Change the first character: always significant (the last base64 ones may be padding bits,
    and hex is compared case-insensitively)."""
    return ("b" if text[0].lower() == "a" else "a") + text[1:]


def _tampered(target: str) -> dict[str, tuple[str, str]]:
    """Every way to alter a signed request: (target, form body)."""
    ts = int(_field(target, "timestamp"))
    cut = target.index("&signature=")
    return {
        "symbol": (_replace(target, "symbol", "ETHUSDT"), ""),
        "leverage": (_replace(target, "leverage", "21"), ""),
        "recvWindow": (_replace(target, "recvWindow", "6000"), ""),
        "timestamp": (_replace(target, "timestamp", str(ts - 1)), ""),
        "signature": (_replace(target, "signature", _flip(_field(target, "signature"))), ""),
        "signature-removed-char": (target[:-1], ""),
        "param-added-before-signature": (f"{target[:cut]}&positionSide=BOTH{target[cut:]}", ""),
        "param-added-after-signature": (f"{target}&positionSide=BOTH", ""),
        "param-added-in-body": (target, "positionSide=BOTH"),
        "param-moved-to-body": (_replace(target, "leverage", "").replace("&leverage=&", "&"),
                                f"leverage={_field(target, 'leverage')}"),
    }


@pytest.mark.parametrize("key", list(KEYS))
def test_untampered_request_is_accepted(emu: EmulatorServer, key: str) -> None:
    status, body = _send(emu, *_signed(emu, key, leverage=15))
    assert (status, body["leverage"]) == (200, 15)


@pytest.mark.parametrize("field", list(_tampered("/x?symbol=A&leverage=1&recvWindow=1&timestamp=1&signature=ab")))
@pytest.mark.parametrize("key", list(KEYS))
def test_tampered_request_is_rejected(emu: EmulatorServer, key: str, field: str) -> None:
    before = leverage_of(emu, "BTCUSDT")
    api_key, target = _signed(emu, key, leverage=before + 1 if before < 100 else before - 1)
    altered, body = _tampered(target)[field]
    status, answer = _send(emu, api_key, altered, body)
    assert (status, answer) == (400, {"code": -1022, "msg": "Signature for this request is not valid."})
    assert leverage_of(emu, "BTCUSDT") == before


@pytest.mark.parametrize("key", list(KEYS))
def test_replay_outside_recv_window_is_rejected(emu: EmulatorServer, key: str) -> None:
    api_key, target = _signed(emu, key, leverage=12, recv_window=2000)
    assert _send(emu, api_key, target)[0] == 200
    assert _send(emu, api_key, target)[0] == 200  # like Binance: within recvWindow a replay is accepted
    emu.clock.advance(2.5)
    try:
        status, answer = _send(emu, api_key, target)
    finally:
        emu.clock.advance(-2.5)
    assert (status, answer["code"]) == (400, -1021)


def _client_kwargs(emu: EmulatorServer, key: str) -> dict[str, Any]:
    options: dict[str, Any] = {"api_key": KEYS[key][0], "base_url": emu.base_url, "timeouts": TIMEOUTS,
                               "retry": RetryPolicy(max_retries=1, backoff_base=0.01)}
    if key == "hmac":
        options["api_secret"] = HMAC_SECRET
    else:
        options["private_key"] = ED_PRIVATE if key == "ed25519" else RSA_PRIVATE
    return options


def _exercise(client: Any) -> list[Any]:
    """Successes and failures of several kinds; returns the results."""
    account = client.usd_futures_api.account
    return [account.get_account_info(), account.change_initial_leverage("BTCUSDT", 9),
            account.modify_position_margin("ETHUSDT", "1", 1), account.get_balances()]


@pytest.mark.parametrize("key", list(KEYS))
def test_secrets_stay_out_of_logs_reprs_and_errors(
    emu: EmulatorServer, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu.faults.extend(["POST /fapi/v1/positionMargin=drop_after,count=1", "GET /fapi/v2/balance=status:502"])
    try:
        with BinanceRestClient(**_client_kwargs(emu, key)) as client:
            results = _exercise(client)
            texts = [repr(client), repr(client._config.signer), client._config.describe()]

        async def main() -> list[Any]:
            async with AsyncBinanceRestClient(**_client_kwargs(emu, key)) as aclient:
                texts.append(repr(aclient))
                account = aclient.usd_futures_api.account
                return [await account.get_account_info(), await account.get_balances()]

        results += asyncio.run(main())
        wrong = dict(_client_kwargs(emu, key), api_secret="x" * 64, private_key=None) if key == "hmac" else None
        if wrong is not None:
            with BinanceRestClient(**wrong) as client:
                results.append(client.usd_futures_api.account.get_account_info())
    finally:
        emu.faults.clear()
    errors = [r.error for r in results if r.error is not None]
    assert len(errors) >= 3  # outcome unknown, 502 after retries, (bad signature)
    for item in (*results, *errors):
        texts += [repr(item), str(item)]
    assert "signature=<redacted>" in caplog.text and not re.search(r"signature=(?!<redacted>)", caplog.text)
    assert_clean(caplog.text, *texts)


def test_key_loading_errors_do_not_echo_the_key() -> None:
    from binance_usdm.errors import ValidationError

    broken = ED_PRIVATE.replace("MC4CAQAw", "MC4CAQAx")
    for private_key, passphrase in ((broken, None), (ED_PRIVATE, "no passphrase expected")):
        with pytest.raises(ValidationError) as caught:
            BinanceRestClient(api_key="k", private_key=private_key, private_key_passphrase=passphrase)
        assert_clean(str(caught.value), repr(caught.value))
        assert "no passphrase expected" not in str(caught.value)
    config_repr = repr(ClientConfig.create(
        api_key=HMAC_KEY, api_secret=HMAC_SECRET, private_key=None, private_key_passphrase=None, base_url=None,
        testnet=False, recv_window=None, timeouts=None, retry=None, auto_time_sync=True, time_sync_interval=3600,
        rate_limit="wait", weight_limit=2400, proxy=None, ssl_context=None))
    assert_clean(config_repr)


def test_proxy_password_stays_out_of_reprs() -> None:
    proxy = "http://user:proxy-pass-123@127.0.0.1:3128"
    secret = base64.b64encode(b"user:proxy-pass-123").decode()
    with BinanceRestClient(HMAC_KEY, HMAC_SECRET, proxy=proxy) as client:
        route = client._core.transport._proxy  # type: ignore[attr-defined]
        texts = [repr(client), repr(client._config), repr(route), str(route)]
    for text in texts:
        assert "proxy-pass-123" not in text and secret not in text
    assert route.authorization == f"Basic {secret}"  # still sent to the proxy


def _signer_reprs() -> list[str]:
    signers: list[Signer] = [KEYS[k][1] for k in KEYS]
    return [repr(s) for s in signers]


def test_signer_reprs_hide_keys() -> None:
    assert_clean(*_signer_reprs())


CLI_COMMANDS = [
    ["account"], ["positions"], ["balances"], ["config"], ["leverage", "BTCUSDT", "8"],
    ["position-margin", "ETHUSDT", "add", "1"], ["margin-history", "ETHUSDT"], ["income", "--since", "1d"],
]


@pytest.mark.parametrize("key", ["hmac", "ed25519"])
def test_cli_output_has_no_secret(
    emu: EmulatorServer, key: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cli = pytest.importorskip("binance_usdm.cli.main").cli
    caplog.set_level(logging.DEBUG)
    env: dict[str, str | None] = {
        "BINANCE_API_KEY": KEYS[key][0], "BINANCE_API_SECRET": None, "BINANCE_PRIVATE_KEY": None,
        "BINANCE_PRIVATE_KEY_PASSPHRASE": None, "USDM_PROFILE": None, "USDM_BASE_URL": None, "NO_COLOR": "1",
        "USDM_CONFIG": str(tmp_path / "none.toml"), "USDM_DEMO_STATE": "",
    }
    if key == "hmac":
        env["BINANCE_API_SECRET"] = HMAC_SECRET
    else:
        pem = tmp_path / "key.pem"
        pem.write_text(ED_PRIVATE)
        env["BINANCE_PRIVATE_KEY"] = str(pem)
    runner = CliRunner()
    outputs = []
    emu.faults.add("POST /fapi/v1/positionMargin=drop_after,count=1")  # an "outcome unknown" message too
    try:
        for args in [*CLI_COMMANDS, ["--format", "json", "account"]]:
            result = runner.invoke(cli, ["--base-url", emu.base_url, *args], env=env, prog_name="usdm")
            assert result.exit_code == (1 if args[0] == "position-margin" else 0), (args, result.stderr)
            outputs += [result.stdout, result.stderr]
        wrong = dict(env, BINANCE_API_SECRET="y" * 64, BINANCE_PRIVATE_KEY=None, BINANCE_API_KEY=HMAC_KEY)
        bad = runner.invoke(cli, ["--base-url", emu.base_url, "account"], env=wrong, prog_name="usdm")
        assert bad.exit_code == 1 and "-1022" in bad.stderr
        outputs += [bad.stdout, bad.stderr]
    finally:
        emu.faults.clear()
    assert_clean(caplog.text, *outputs)


def test_listen_keys_and_secrets_stay_out_of_stream_logs_reprs_and_errors(
    emu: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The stream's URL holds the listen key: it must not reach a log line (the websocket library's
    handshake lines included), a repr, a notice or an error, and neither may the API secret."""
    from binance_usdm import ConnectError
    from binance_usdm.streams import ListenKeyKeeper
    from tests.streams.scripted_ws import scripted_stream

    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    with scripted_stream() as ws, BinanceRestClient(HMAC_KEY, HMAC_SECRET, base_url=emu.base_url) as client:
        with client.user_stream(stream_url=ws.url) as stream, ListenKeyKeeper(client) as keeper:
            shown += [repr(stream), repr(next(stream)), repr(keeper)]
            ws.wait_connections(1)
            key = ws.paths[0].rsplit("/", 1)[-1]
            assert key == keeper.listen_key  # Binance hands out the account's live key again
            ws.drop_all()
            shown += [repr(next(stream)), repr(next(stream))]
        ws.refuse_next = 1
        try:
            client.user_stream(stream_url=ws.url).open()
        except ConnectError as exc:
            shown += [str(exc), repr(exc)]
    logged = [record.getMessage() for record in caplog.records if not record.name.startswith("websockets.server")]
    assert any("GET /private/ws/<redacted>" in line for line in logged)
    assert len(shown) == 7
    for text in [*shown, *logged]:
        assert key not in text
    assert_clean(*shown, *logged)
