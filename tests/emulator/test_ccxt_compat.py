"""ccxt (`binanceusdm`, and `binance` with defaultType future) driving the emulator end to end.

Only the base URLs change: every `https://` entry of `exchange.urls["api"]` points at the emulator,
so ccxt's default start-up (wallet coins, exchange information) runs against it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from binance_usdm.emulator import EmulatorServer
from tests.compat.flat_account import flatten


@pytest.fixture(scope="module")
def ccxt() -> Any:
    """ccxt, imported where these tests run rather than at collection (0.7 s of CPU in every worker)."""
    return pytest.importorskip("ccxt")


def _exchange(ccxt: Any, emu: EmulatorServer, cls: str = "binanceusdm", **options: Any) -> Any:
    ex = getattr(ccxt, cls)({"apiKey": emu.api_key, "secret": emu.api_secret, "enableRateLimit": False,
                             "options": options})
    for name, url in list(ex.urls["api"].items()):
        if isinstance(url, str) and url.startswith("https://"):
            ex.urls["api"][name] = emu.base_url + "/" + url.split("/", 3)[3]  # keep /fapi/v1 etc.
    return ex


@pytest.fixture
def usdm(ccxt: Any, emu: EmulatorServer) -> Iterator[Any]:
    ex = _exchange(ccxt, emu)
    ex.load_markets()
    yield ex


def test_load_markets_default_start(ccxt: Any, emu: EmulatorServer) -> None:
    ex = _exchange(ccxt, emu)
    markets = ex.load_markets()
    assert set(markets) == {f"{s.base_asset}/{s.quote_asset}:{s.margin_asset}" for s in emu.backend.symbols.values()}
    btc = markets["BTC/USDT:USDT"]
    assert btc["swap"] and btc["linear"] and btc["precision"]["price"] == 0.1
    assert {"USDT", "BTC", "BNB"} <= set(ex.currencies)  # from /sapi/v1/capital/config/getall
    assert ex.fetch_status()["status"] == "ok"
    assert abs(ex.fetch_time() - emu.clock.now_ms()) < 5000


def test_binance_class_with_default_type_future(ccxt: Any, emu: EmulatorServer) -> None:
    ex = _exchange(ccxt, emu, "binance", defaultType="future")
    markets = ex.load_markets()  # spot, margin and COIN-M lists are empty here
    assert all(m["swap"] and m["linear"] for m in markets.values())
    assert ex.fetch_balance()["total"]["USDT"] > 0
    assert {p["symbol"] for p in ex.fetch_positions()} == {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}
    assert ex.fapiPrivateV2GetAccount()["totalWalletBalance"] == "25000.00000000"


def test_balance_and_positions(usdm: Any) -> None:
    balance = usdm.fetch_balance()
    assert balance["USDT"]["total"] is not None and balance["USDT"]["free"] > 0
    positions = {p["symbol"]: p for p in usdm.fetch_positions()}
    assert set(positions) == {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}
    eth = positions["ETH/USDT:USDT"]
    assert eth["side"] == "short" and eth["contracts"] == 2.5 and eth["marginMode"] == "isolated"
    (btc,) = usdm.fetch_positions(["BTC/USDT:USDT"])
    assert btc["side"] == "long" and btc["entryPrice"] == 91250.5


def test_settings(ccxt: Any, emu: EmulatorServer, usdm: Any) -> None:
    assert usdm.set_leverage(10, "BTC/USDT:USDT")["leverage"] == 10
    assert usdm.fetch_leverage("BTC/USDT:USDT")["longLeverage"] == 10
    assert usdm.set_leverage(7, "币安人生/USDT:USDT")["symbol"] == "币安人生USDT"  # percent-encoded, signed as sent
    assert len(usdm.fetch_leverages()) == len(emu.backend.symbols)
    assert usdm.set_margin_mode("isolated", "BNB/USDT:USDT")["msg"] == "success"
    assert usdm.fetch_margin_mode("BNB/USDT:USDT")["marginMode"] == "isolated"
    with pytest.raises(ccxt.MarginModeAlreadySet):
        usdm.set_margin_mode("isolated", "BNB/USDT:USDT")
    assert usdm.fetch_position_mode()["hedged"] is False
    with pytest.raises(ccxt.OperationRejected):  # -4068: positions open
        usdm.set_position_mode(True)
    flatten(emu)
    usdm.set_position_mode(True)
    assert usdm.fetch_position_mode()["hedged"] is True
    usdm.set_position_mode(False)
    assert usdm.fapiPrivatePostMultiAssetsMargin({"multiAssetsMargin": "true"})["code"] == 200
    assert usdm.fapiPrivateGetMultiAssetsMargin() == {"multiAssetsMargin": True}


def test_margin_adjustments(ccxt: Any, usdm: Any) -> None:
    added = usdm.add_margin("ETH/USDT:USDT", 10)
    assert added["type"] == "add" and added["amount"] == 10 and added["status"] == "ok"
    assert usdm.reduce_margin("ETH/USDT:USDT", 5)["type"] == "reduce"
    history = usdm.fetch_margin_adjustment_history("ETH/USDT:USDT")
    assert [h["amount"] for h in history][-2:] == [10, 5]
    with pytest.raises(ccxt.ExchangeError):  # -4046/-4048-family: BTC is cross
        usdm.add_margin("BTC/USDT:USDT", 10)


def test_history_fees_and_tiers(emu: EmulatorServer, usdm: Any) -> None:
    funding = usdm.fetch_funding_history()
    assert funding and all(f["info"]["incomeType"] == "FUNDING_FEE" for f in funding)
    ledger = usdm.fetch_ledger()
    assert ledger and {e["currency"] for e in ledger} == {"USDT"}
    fee = usdm.fetch_trading_fee("BTC/USDT:USDT")
    assert (fee["maker"], fee["taker"]) == (0.0002, 0.0005)
    tiers = usdm.fetch_leverage_tiers(["BTC/USDT:USDT"])["BTC/USDT:USDT"]
    assert tiers[0]["maxLeverage"] == 125 and tiers[0]["maxNotional"] == 50_000
    assert usdm.fetch_funding_rate("BTC/USDT:USDT")["markPrice"] == 95000
    ticker = usdm.fetch_ticker("BTC/USDT:USDT")
    assert ticker["last"] == 95000 and ticker["baseVolume"] == 0


def test_implicit_api(usdm: Any) -> None:
    assert usdm.fapiPrivateV2GetAccount()["totalWalletBalance"] == "25000.00000000"
    assert usdm.fapiPrivateV3GetAccount()["assets"][0]["asset"] == "USDT"
    assert len(usdm.fapiPrivateV3GetPositionRisk()) == 3
    assert usdm.fapiPrivateGetApiTradingStatus()["indicators"] == {}
    assert {q["symbol"] for q in usdm.fapiPrivateGetAdlQuantile()} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    key = usdm.fapiPrivatePostListenKey()["listenKey"]
    assert usdm.fapiPrivatePutListenKey() == {"listenKey": key}
    assert usdm.fapiPrivateDeleteListenKey() == {}


async def test_async_exchange(ccxt: Any, emu: EmulatorServer) -> None:
    pytest.importorskip("aiohttp")
    import ccxt.async_support as accxt

    ex = accxt.binanceusdm({"apiKey": emu.api_key, "secret": emu.api_secret, "enableRateLimit": False})
    for name, url in list(ex.urls["api"].items()):
        if isinstance(url, str) and url.startswith("https://"):
            ex.urls["api"][name] = emu.base_url + "/" + url.split("/", 3)[3]
    try:
        await ex.load_markets()
        assert (await ex.fetch_balance())["total"]["USDT"] > 0
        assert len(await ex.fetch_positions()) == 3
        assert (await ex.set_leverage(7, "BNB/USDT:USDT"))["leverage"] == 7
    finally:
        await ex.close()
