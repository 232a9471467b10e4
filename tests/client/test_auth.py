"""HMAC, RSA and Ed25519 credentials; server-time sync; secrets never shown."""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_usdm import BinanceRestClient, ValidationError
from binance_usdm._wire import signing
from binance_usdm._wire.signing import HmacSigner
from tests.client import samples
from tests.client.conftest import API_KEY, API_SECRET, ServerTime, make_caller
from tests.client.signatures import ed25519_valid, rsa_valid
from tests.scripted_server import Reply, ScriptedServer


@settings(max_examples=300, deadline=None)
@given(secret=st.text(min_size=1, max_size=150), payload=st.binary(max_size=300))
def test_hmac_signer_is_rfc2104_hmac_sha256(secret: str, payload: bytes) -> None:
    """Keys shorter than, as long as and longer than SHA-256's 64-byte block (hashed first)."""
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    assert HmacSigner(secret).sign(payload) == expected


def test_hmac_signer_uses_only_public_hash_apis() -> None:
    """No private CPython hash module (``_sha2``/``_sha256``) on the signing path: hashlib only."""
    source = Path(signing.__file__).read_text()
    assert "_sha2" not in source and "_sha256" not in source and "importlib" not in source
    assert type(HmacSigner("s")._inner()) is type(hashlib.sha256())


def _pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def test_rsa_signature(stub: ScriptedServer, kind: str, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "rsa.pem"
    path.write_bytes(_pem(key, b"pass phrase"))
    stub.route("GET", "/fapi/v2/balance", Reply(body=samples.BALANCES))
    call = make_caller(kind, stub.base_url, private_key=path, private_key_passphrase="pass phrase")
    assert call("get_balances").success
    query = stub.requests[0].query
    assert "%2B" in query or "%2F" in query or "%3D" in query  # base64 arrives URL-encoded
    assert rsa_valid(query, key.public_key())


def test_ed25519_signature(stub: ScriptedServer, kind: str) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    stub.route("POST", "/fapi/v1/leverage", Reply(body=samples.LEVERAGE))
    call = make_caller(kind, stub.base_url, private_key=_pem(key).decode())
    assert call("change_initial_leverage", "BTCUSDT", 21).success
    assert ed25519_valid(stub.requests[0].query, key.public_key())


def test_bad_private_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="private_key"):
        BinanceRestClient("k", private_key=tmp_path / "missing.pem")
    with pytest.raises(ValidationError, match="cannot load"):
        BinanceRestClient("k", private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValidationError, match="private_key"):
        BinanceRestClient("k", private_key=_pem(key, b"right"), private_key_passphrase="wrong")


def test_credentials_from_environment(stub: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", API_KEY)
    monkeypatch.setenv("BINANCE_API_SECRET", API_SECRET)
    stub.route("GET", "/fapi/v2/balance", Reply(body=samples.BALANCES))
    with BinanceRestClient(base_url=stub.base_url, auto_time_sync=False) as client:
        assert client.usd_futures_api.account.get_balances().success
    assert stub.requests[0].headers["x-mbx-apikey"] == API_KEY


def test_signed_call_without_secret_is_refused_before_sending(stub: ScriptedServer) -> None:
    with BinanceRestClient(api_key="k", base_url=stub.base_url) as client, \
            pytest.raises(ValidationError, match="api_secret"):
        client.usd_futures_api.account.get_balances()
    assert stub.requests == []


def test_server_time_sync_sets_timestamp(stub: ScriptedServer, server_time: ServerTime, kind: str) -> None:
    server_time.offset_ms = -30_000
    stub.route("GET", "/fapi/v2/balance", Reply(body=samples.BALANCES))
    assert make_caller(kind, stub.base_url, auto_time_sync=True)("get_balances").success
    import time

    sent = int(stub.requests[0].params["timestamp"])
    assert abs(sent - (time.time() * 1000 - 30_000)) < 2_000


def test_secrets_never_shown(stub: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    stub.route("GET", "/fapi/v2/balance", Reply(body=samples.BALANCES))
    stub.route("POST", "/fapi/v1/leverage", Reply(400, b'{"code":-4028,"msg":"Leverage 200 is not valid"}'))
    caplog.set_level(logging.DEBUG, logger="binance_usdm")
    with BinanceRestClient(API_KEY, API_SECRET, base_url=stub.base_url) as client:
        text = repr(client)
        client.usd_futures_api.account.get_balances()
        error = client.usd_futures_api.account.change_initial_leverage("BTCUSDT", 100).error
        text += str(error) + repr(error) + repr(client._config.signer)
    signature = stub.requests[0].params["signature"]
    logged = caplog.text
    assert "GET /fapi/v2/balance" in logged and "<redacted>" in logged
    for shown in (text, logged):
        assert API_SECRET not in shown and API_KEY not in shown and signature not in shown


def test_pool_size_option(stub: ScriptedServer) -> None:
    with BinanceRestClient(API_KEY, API_SECRET, base_url=stub.base_url, max_connections=3) as client:
        assert client._core.transport._max == 3  # type: ignore[attr-defined]
    with BinanceRestClient(API_KEY, API_SECRET, base_url=stub.base_url) as client:
        assert client._core.transport._max == 50  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="max_connections"):
        BinanceRestClient(API_KEY, API_SECRET, max_connections=0)
