"""Public endpoints, routing and response headers."""

from __future__ import annotations

import hashlib
import hmac
import urllib.request

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer

from .conftest import Client, ok


def test_demo_credentials_look_like_binance_keys() -> None:
    assert len(DEMO_API_KEY) == 64 and DEMO_API_KEY.isalnum()
    assert len(DEMO_API_SECRET) == 64 and DEMO_API_SECRET.isalnum()


def test_ping_time_and_spot_variants(emu: EmulatorServer, client: Client) -> None:
    for path in ("/fapi/v1/ping", "/api/v3/ping"):
        a = client.call("GET", path, signed=False)
        assert ok(a) == {}
        assert a.headers["content-type"].startswith("application/json")
        assert int(a.headers["x-mbx-used-weight-1m"]) >= 1
    for path in ("/fapi/v1/time", "/api/v3/time"):
        t = ok(client.call("GET", path, signed=False))["serverTime"]
        assert abs(t - emu.clock.now_ms()) < 5000


def test_exchange_info_lists_symbols_and_rate_limits(client: Client) -> None:
    info = ok(client.call("GET", "/fapi/v1/exchangeInfo", signed=False))
    assert info["rateLimits"][0] == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                     "intervalNum": 1, "limit": 2400}
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
    assert btc["contractType"] == "PERPETUAL" and btc["marginAsset"] == "USDT"
    assert {f["filterType"] for f in btc["filters"]} >= {"PRICE_FILTER", "LOT_SIZE", "MIN_NOTIONAL"}
    # a symbol whose name is not ASCII, as Binance lists some: UTF-8 in the JSON, not \u escapes
    wide = next(s for s in info["symbols"] if s["symbol"] == "币安人生USDT")
    assert (wide["baseAsset"], wide["quoteAsset"], wide["status"]) == ("币安人生", "USDT", "TRADING")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{client.base_url}/fapi/v1/exchangeInfo", timeout=10) as answer:
        assert "币安人生USDT".encode() in answer.read()


def test_premium_index_with_and_without_symbol(client: Client) -> None:
    one = ok(client.call("GET", "/fapi/v1/premiumIndex", {"symbol": "BTCUSDT"}, signed=False))
    assert one["symbol"] == "BTCUSDT" and one["markPrice"] == "95000.00000000"
    many = client.call("GET", "/fapi/v1/premiumIndex", signed=False)
    assert isinstance(ok(many), list) and len(many.body) >= 7
    bad = client.call("GET", "/fapi/v1/premiumIndex", {"symbol": "NOPEUSDT"}, signed=False)
    assert bad.status == 400 and bad.code == -1121


def test_unknown_path_is_404_json(client: Client) -> None:
    a = client.raw("GET", "/fapi/v1/nothing")
    assert a.status == 404 and a.code == -1099
    assert "x-mbx-used-weight-1m" in a.headers


def test_keep_alive_and_chunked_body(emu: EmulatorServer, client: Client) -> None:
    for _ in range(3):
        ok(client.call("GET", "/fapi/v1/ping", signed=False))
    # a chunked form body carrying signed parameters
    assert emu.api_secret is not None
    payload = f"symbol=BTCUSDT&leverage=7&timestamp={emu.clock.now_ms()}"
    sig = hmac.new(emu.api_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    body = f"{payload}&signature={sig}".encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    client.conn.putrequest("POST", "/fapi/v1/leverage")
    client.conn.putheader("X-MBX-APIKEY", emu.api_key)
    client.conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    client.conn.putheader("Transfer-Encoding", "chunked")
    client.conn.endheaders()
    client.conn.send(chunked)
    resp = client.conn.getresponse()
    assert resp.status == 200, resp.read()
    assert b'"leverage":7' in resp.read()


def test_tickers_stand_at_the_mark(emu: EmulatorServer, client: Client) -> None:
    every = client.call("GET", "/fapi/v1/ticker/24hr", signed=False)
    assert len(ok(every)) == len(emu.backend.symbols) and every.headers["x-mbx-used-weight-1m"] == "40"
    day = ok(client.call("GET", "/fapi/v1/ticker/24hr", {"symbol": "BTCUSDT"}, signed=False))
    assert (day["lastPrice"], day["openPrice"], day["priceChange"], day["count"]) == ("95000.00", "95000.00", "0.00", 0)
    assert day["closeTime"] - day["openTime"] == 86_400_000
    for path in ("/fapi/v1/ticker/price", "/fapi/v2/ticker/price"):
        assert ok(client.call("GET", path, {"symbol": "DOGEUSDT"}, signed=False))["price"] == "0.400000"
        assert len(ok(client.call("GET", path, signed=False))) == len(emu.backend.symbols)


def test_other_products_read_on_client_start(emu: EmulatorServer, client: Client) -> None:
    """Spot, COIN-M and wallet paths ccxt reads in load_markets: no markets there, the known coins."""
    for path in ("/api/v3/exchangeInfo", "/dapi/v1/exchangeInfo"):
        info = ok(client.call("GET", path, signed=False))
        assert info["symbols"] == [] and info["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
    assert ok(client.call("GET", "/sapi/v1/system/status", signed=False)) == {"status": 0, "msg": "normal"}
    coins = ok(client.get("/sapi/v1/capital/config/getall"))
    assert {c["coin"] for c in coins} >= {"USDT", "USDC", "BTC", "ETH", "BNB", "SOL", "DOGE"}
    assert all(c["free"] == "0" and c["networkList"] == [] for c in coins)
    assert client.call("GET", "/sapi/v1/capital/config/getall", signed=False).code == -1102  # signed
    assert ok(client.call("GET", "/sapi/v1/margin/allPairs", signed=False)) == []  # API key only
    keyless = Client(emu.base_url, None, emu.clock.now_ms)
    assert keyless.call("GET", "/sapi/v1/margin/allPairs", signed=False).code == -2014
    keyless.close()
    assert ok(client.get("/sapi/v1/margin/isolated/allPairs")) == []
