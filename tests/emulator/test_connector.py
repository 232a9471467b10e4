"""binance-futures-connector (UMFutures) driving the emulator end to end, unchanged."""

from __future__ import annotations

import time
from types import ModuleType

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from binance_usdm.emulator import EmulatorServer

from .conftest import fetch


@pytest.fixture(scope="module")
def um() -> ModuleType:
    """The connector, imported where these tests run rather than at collection (in every worker)."""
    return pytest.importorskip("binance.um_futures")


def test_connector_account_endpoints(um: ModuleType, emu: EmulatorServer) -> None:
    from binance.error import ClientError

    c = um.UMFutures(key=emu.api_key, secret=emu.api_secret, base_url=emu.base_url)
    assert c.ping() == {}
    assert abs(c.time()["serverTime"] - emu.clock.now_ms()) < 5000
    assert any(s["symbol"] == "BTCUSDT" for s in c.exchange_info()["symbols"])
    assert c.mark_price("BTCUSDT")["markPrice"] == "95000.00000000"

    assert c.account()["totalWalletBalance"] == "25000.00000000"  # v3
    assert {b["asset"] for b in c.balance()} >= {"USDT", "BNB"}
    assert {p["symbol"] for p in c.get_position_risk()} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert c.change_leverage("BTCUSDT", 15)["leverage"] == 15
    assert c.change_leverage("币安人生USDT", 7)["symbol"] == "币安人生USDT"  # percent-encoded, signed as sent
    assert c.change_margin_type("BNBUSDT", "ISOLATED") == {"code": 200, "msg": "success"}
    with pytest.raises(ClientError) as exc:
        c.change_margin_type("BNBUSDT", "ISOLATED")
    assert exc.value.status_code == 400 and exc.value.error_code == -4046
    assert c.get_position_mode() == {"dualSidePosition": False}
    with pytest.raises(ClientError) as exc:
        c.change_position_mode("true")
    assert exc.value.error_code == -4068
    assert c.get_multi_asset_mode() == {"multiAssetsMargin": False}
    with pytest.raises(ClientError) as exc:
        c.change_multi_asset_mode("true")
    assert exc.value.error_code == -4167
    r = c.modify_isolated_position_margin("ETHUSDT", "25", 1)
    assert r["code"] == 200 and r["type"] == 1
    assert c.get_position_margin_history("ETHUSDT")[-1]["amount"] == "25"
    assert len(c.get_income_history(limit=10)) == 10
    assert c.get_income_history(incomeType="TRANSFER", startTime=emu.clock.now_ms() - 30 * 86_400_000)
    assert c.leverage_brackets(symbol="ETHUSDT")[0]["brackets"][0]["bracket"] == 1
    assert {q["symbol"] for q in c.adl_quantile()} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert c.commission_rate("BTCUSDT")["takerCommissionRate"] == "0.0005"
    assert c.api_trading_status()["indicators"] == {}
    assert c.symbol_configuration(symbol="BTCUSDT")[0]["leverage"] == 15
    assert c.futures_account_configuration()["dualSidePosition"] is False

    key = c.new_listen_key()["listenKey"]
    assert c.renew_listen_key(key) == {"listenKey": key}
    assert c.close_listen_key(key) == {}

    emu.clock.freeze()
    now = emu.clock.now_ms()
    download = c.download_transactions_asyn(startTime=now - 10 * 86_400_000, endTime=now)["downloadId"]
    assert c.aysnc_download_info(download)["status"] == "processing"
    emu.clock.advance(5)
    link = c.aysnc_download_info(download)
    assert link["status"] == "completed"
    assert fetch(link["url"])[2].startswith(b"time,tranId,")


def test_connector_with_rsa_key(um: ModuleType) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem_public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    pem_private = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    key = "E" * 64
    with EmulatorServer(api_key=key, public_key_pem=pem_public) as emu:
        c = um.UMFutures(key=key, private_key=pem_private, base_url=emu.base_url)
        for _ in range(5):  # base64 signatures with '+', '/' and '=' arrive URL-encoded
            assert c.balance()[0]["asset"] == "USDT"
            time.sleep(0.001)
        assert c.change_leverage("SOLUSDT", 4)["leverage"] == 4
