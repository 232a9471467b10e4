"""Request weight: used-weight header, 429 with Retry-After, then a 418 ban."""

from __future__ import annotations

from binance_usdm.emulator import EmulatorServer

from .conftest import Client, ok


def test_429_then_418() -> None:
    with EmulatorServer(weight_limit=20) as emu:
        emu.clock.freeze()
        emu.clock.set(emu.clock.now_ms() // 60_000 * 60_000 + 1000)  # start of a minute
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        for i in range(4):
            a = c.get("/fapi/v2/account")
            assert a.status == 200 and a.headers["x-mbx-used-weight-1m"] == str(5 * (i + 1))
        a = c.get("/fapi/v2/account")
        assert a.status == 429 and a.code == -1003 and a.headers["retry-after"] == "59"
        assert "current limit of IP(127.0.0.1) is 20 requests per minute" in a.body["msg"]
        statuses = [c.call("GET", "/fapi/v1/ping", signed=False).status for _ in range(6)]
        assert statuses[:5] == [429] * 5 and statuses[5] == 418
        banned = c.call("GET", "/fapi/v1/ping", signed=False)
        assert banned.status == 418 and "banned until" in banned.body["msg"]
        emu.clock.advance(121)
        assert ok(c.call("GET", "/fapi/v1/ping", signed=False)) == {}


def test_new_minute_resets_weight() -> None:
    with EmulatorServer(weight_limit=10) as emu:
        emu.clock.freeze()
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        ok(c.get("/fapi/v2/account"))
        ok(c.get("/fapi/v2/account"))
        assert c.get("/fapi/v2/account").status == 429
        emu.clock.advance(60)
        assert ok(c.get("/fapi/v2/account"))


def test_a_skewed_clock_leaves_the_weight_in_the_servers_minute() -> None:
    """A clock-skew fault shifts the time a request sees (here: its timestamp is 2 minutes old, -1021),
    not the minute its weight is counted in: the rejection still reports the weight used."""
    with EmulatorServer(faults=["GET /fapi/v2/account=skew:120000"]) as emu:
        emu.clock.freeze()
        emu.clock.set(emu.clock.now_ms() // 60_000 * 60_000 + 1000)  # start of a minute
        c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        a = c.get("/fapi/v2/account")
        assert a.status == 400 and a.code == -1021
        assert a.headers["x-mbx-used-weight-1m"] == "5"
        assert ok(c.call("GET", "/fapi/v1/ping", signed=False)) == {}
