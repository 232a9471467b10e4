"""API key, signature (HMAC, RSA, Ed25519) and timestamp rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.accounts import Credential

from .conftest import Client, err, ok


def test_missing_key_header_is_2014(emu: EmulatorServer) -> None:
    c = Client(emu.base_url, None, emu.clock.now_ms, secret=emu.api_secret)
    assert err(c.get("/fapi/v2/account"), -2014, 401) == "API-key format invalid."


def test_unknown_key_is_2015(emu: EmulatorServer) -> None:
    c = Client(emu.base_url, "x" * 64, emu.clock.now_ms, secret=emu.api_secret)
    assert err(c.get("/fapi/v2/account"), -2015, 401) == "Invalid API-key, IP, or permissions for action."


def test_wrong_hmac_secret_is_1022(emu: EmulatorServer) -> None:
    c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret="y" * 64)
    assert err(c.get("/fapi/v2/account"), -1022) == "Signature for this request is not valid."


def test_uppercase_hex_signature_accepted(emu: EmulatorServer, client: Client) -> None:
    q = f"timestamp={emu.clock.now_ms()}"
    ok(client.raw("GET", "/fapi/v2/balance", q + "&signature=" + client.sign(q).upper()))


def test_a_signature_that_is_not_64_hex_digits_is_1022(emu: EmulatorServer, client: Client) -> None:
    q = f"timestamp={emu.clock.now_ms()}"
    sig = client.sign(q)
    for bad in (sig[:62] + "%20" + sig[63:], sig[:63] + "g", sig + "0", sig[:-2], "%C3%A9" * 64, sig[:2] + "+" + sig[3:]):
        err(client.raw("GET", "/fapi/v2/balance", q + "&signature=" + bad), -1022)


def test_missing_timestamp_and_signature_are_1102(emu: EmulatorServer, client: Client) -> None:
    msg = err(client.raw("GET", "/fapi/v2/account", "recvWindow=5000&signature=abc"), -1102)
    assert msg == "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
    msg = err(client.raw("GET", "/fapi/v2/account", f"timestamp={emu.clock.now_ms()}"), -1102)
    assert "'signature'" in msg


def test_malformed_timestamp_is_1100(client: Client) -> None:
    err(client.raw("GET", "/fapi/v2/account", "timestamp=abc&signature=00"), -1100)


def test_timestamp_window(emu: EmulatorServer, client: Client) -> None:
    now = emu.clock.now_ms()
    msg = err(client.call("GET", "/fapi/v2/account", timestamp=now + 1500), -1021)
    assert "ahead of the server's time" in msg
    msg = err(client.call("GET", "/fapi/v2/account", timestamp=now - 6000), -1021)
    assert msg == "Timestamp for this request is outside of the recvWindow."
    ok(client.call("GET", "/fapi/v2/account", {"recvWindow": 10000}, timestamp=now - 6000))
    err(client.call("GET", "/fapi/v2/account", {"recvWindow": 60001}), -1131)
    ok(client.call("GET", "/fapi/v2/account", {"recvWindow": 60000}))


def test_frozen_clock_drives_timestamp_checks(emu: EmulatorServer, client: Client) -> None:
    emu.clock.freeze()
    stale = emu.clock.now_ms()
    emu.clock.advance(10)
    err(client.call("GET", "/fapi/v2/account", timestamp=stale), -1021)


def test_any_parameter_order_and_body_params(emu: EmulatorServer, client: Client) -> None:
    q = f"timestamp={emu.clock.now_ms()}&symbol=BTCUSDT&leverage=15"
    assert ok(client.raw("POST", "/fapi/v1/leverage", q + "&signature=" + client.sign(q)))["leverage"] == 15
    # parameters split between query and body: signature over query + body, no separator
    query, body = "symbol=BTCUSDT", f"leverage=12&timestamp={emu.clock.now_ms()}"
    sig = client.sign(query + body)
    assert ok(client.raw("POST", "/fapi/v1/leverage", query, body + "&signature=" + sig))["leverage"] == 12
    # everything in a form body (DELETE included elsewhere)
    assert ok(client.call("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 9},
                          in_body=True))["leverage"] == 9


def test_query_params_with_json_content_type_and_empty_body(emu: EmulatorServer, client: Client) -> None:
    q = f"symbol=BTCUSDT&leverage=11&timestamp={emu.clock.now_ms()}"
    a = client.raw("POST", "/fapi/v1/leverage", q + "&signature=" + client.sign(q),
                   headers={"Content-Type": "application/json"})
    assert ok(a)["leverage"] == 11


def test_duplicate_parameter_is_1101(emu: EmulatorServer, client: Client) -> None:
    q = f"symbol=BTCUSDT&symbol=ETHUSDT&leverage=5&timestamp={emu.clock.now_ms()}"
    err(client.raw("POST", "/fapi/v1/leverage", q + "&signature=" + client.sign(q)), -1101)


def test_empty_fields_are_skipped_and_do_not_hide_a_duplicate(emu: EmulatorServer, client: Client) -> None:
    q = f"symbol=BTCUSDT&&leverage=6&timestamp={emu.clock.now_ms()}&"
    assert ok(client.raw("POST", "/fapi/v1/leverage", q + "&signature=" + client.sign(q)))["leverage"] == 6
    q = f"symbol=BTCUSDT&&symbol=BTCUSDT&leverage=5&timestamp={emu.clock.now_ms()}"
    err(client.raw("POST", "/fapi/v1/leverage", q + "&signature=" + client.sign(q)), -1101)


def test_the_signature_field_anywhere_in_the_query(emu: EmulatorServer, client: Client) -> None:
    signed = f"symbol=BTCUSDT&leverage=8&timestamp={emu.clock.now_ms()}"
    sig = client.sign(signed)
    first, rest = signed.split("&", 1)
    assert ok(client.raw("POST", "/fapi/v1/leverage", f"{first}&signature={sig}&{rest}"))["leverage"] == 8
    assert ok(client.raw("POST", "/fapi/v1/leverage", f"signature={sig}&{signed}"))["leverage"] == 8
    # escaped values are signed as sent (the signature, last, is cut from the raw string)
    escaped = f"symbol=BTCUSDT&leverage=%39&timestamp={emu.clock.now_ms()}"
    assert ok(client.raw("POST", "/fapi/v1/leverage", f"{escaped}&signature={client.sign(escaped)}"))["leverage"] == 9


def test_a_symbol_beyond_ascii_is_signed_as_sent(emu: EmulatorServer, client: Client) -> None:
    """币安人生USDT goes percent-encoded; Binance answered -1022 to clients that signed it decoded
    (sammchardy/python-binance#1617, fixed in 1.0.31 by signing what is sent)."""
    now = emu.clock.now_ms()
    sent = f"symbol=%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT&leverage=6&timestamp={now}"
    answer = ok(client.raw("POST", "/fapi/v1/leverage", f"{sent}&signature={client.sign(sent)}"))
    assert answer == {"leverage": 6, "maxNotionalValue": "250000", "symbol": "币安人生USDT"}
    decoded = client.sign(f"symbol=币安人生USDT&leverage=6&timestamp={now}")
    assert err(client.raw("POST", "/fapi/v1/leverage", f"{sent}&signature={decoded}"), -1022)


def test_user_stream_needs_only_the_key(emu: EmulatorServer, client: Client) -> None:
    assert len(ok(client.raw("POST", "/fapi/v1/listenKey"))["listenKey"]) == 64
    anon = Client(emu.base_url, None, emu.clock.now_ms)
    err(anon.raw("POST", "/fapi/v1/listenKey"), -2014, 401)


def _pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(params=["rsa", "ed25519"])
def keyed(request: pytest.FixtureRequest) -> Iterator[tuple[EmulatorServer, Client, Client]]:
    private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    other: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if request.param == "rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    key = "K" * 64
    with EmulatorServer(api_key=key, public_key_pem=_pem(private)) as emu:
        good = Client(emu.base_url, key, emu.clock.now_ms, private_key=private)
        bad = Client(emu.base_url, key, emu.clock.now_ms, private_key=other)
        yield emu, good, bad


def test_asymmetric_signatures(keyed: tuple[EmulatorServer, Client, Client]) -> None:
    emu, good, bad = keyed
    assert ok(good.get("/fapi/v2/account"))["canTrade"] is True
    assert ok(good.post("/fapi/v1/leverage", symbol="ETHUSDT", leverage=12))["leverage"] == 12
    assert ok(good.call("POST", "/fapi/v1/marginType", {"symbol": "BNBUSDT", "marginType": "ISOLATED"},
                        in_body=True))["code"] == 200
    err(bad.get("/fapi/v2/account"), -1022)
    now = emu.clock.now_ms()
    err(good.call("GET", "/fapi/v2/account", timestamp=now - 7000), -1021)
    # the demo HMAC key keeps working next to the asymmetric one
    from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET

    demo = Client(emu.base_url, DEMO_API_KEY, emu.clock.now_ms, secret=DEMO_API_SECRET)
    assert ok(demo.get("/fapi/v3/positionRisk", symbol="ETHUSDT"))[0]["symbol"] == "ETHUSDT"


@pytest.mark.parametrize("secret", ["", "short", "k" * 64, "long" * 40, "ünïcode-sécret"])
def test_hmac_signatures_under_secrets_of_every_length(emu: EmulatorServer, secret: str) -> None:
    """The per-secret cached HMAC states check what `hmac.new` signs, for keys shorter than, as long as,
    and longer than SHA-256's block (a longer key is hashed first), over payloads of one and of several
    blocks; a signature under another secret is -1022."""
    key = f"key-{len(secret.encode())}-{secret[:2]}"
    emu.backend.add_credential(emu.backend.account().account_id, Credential(key, secret))
    client = Client(emu.base_url, key, emu.clock.now_ms, secret=secret)
    assert ok(client.get("/fapi/v2/account"))["assets"]
    assert ok(client.get("/fapi/v2/positionRisk", symbol="BTCUSDT", recvWindow=59999))[0]["symbol"] == "BTCUSDT"
    long_query = client.get("/fapi/v2/positionRisk", symbol="BTCUSDT", note="é" * 150)
    assert ok(long_query)[0]["symbol"] == "BTCUSDT"
    other = Client(emu.base_url, key, emu.clock.now_ms, secret=secret + "x")
    err(other.get("/fapi/v2/account"), -1022)
