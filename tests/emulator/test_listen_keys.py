"""Listen keys: create returns the live key, keepalive, close, 60-minute expiry."""

from __future__ import annotations

from binance_usdm.emulator import EmulatorServer

from .conftest import Client, err, ok


def test_lifecycle(emu: EmulatorServer, client: Client) -> None:
    emu.clock.freeze()
    key = ok(client.raw("POST", "/fapi/v1/listenKey"))["listenKey"]
    assert ok(client.raw("POST", "/fapi/v1/listenKey"))["listenKey"] == key  # live key returned
    emu.clock.advance(50 * 60)
    assert ok(client.raw("PUT", "/fapi/v1/listenKey")) == {"listenKey": key}  # no key sent
    emu.clock.advance(50 * 60)  # 100 min after creation, 50 after keepalive: still alive
    assert ok(client.raw("PUT", "/fapi/v1/listenKey", f"listenKey={key}")) == {"listenKey": key}
    assert ok(client.raw("PUT", "/fapi/v1/listenKey", "", f"listenKey={key}")) == {"listenKey": key}
    err(client.raw("PUT", "/fapi/v1/listenKey", "listenKey=wrong"), -1125)
    assert ok(client.raw("DELETE", "/fapi/v1/listenKey", "", f"listenKey={key}")) == {}
    err(client.raw("PUT", "/fapi/v1/listenKey"), -1125)
    err(client.raw("DELETE", "/fapi/v1/listenKey"), -1125)


def test_expiry_after_60_minutes(emu: EmulatorServer, client: Client) -> None:
    emu.clock.freeze()
    key = ok(client.raw("POST", "/fapi/v1/listenKey"))["listenKey"]
    emu.clock.advance(60 * 60 + 1)
    assert err(client.raw("PUT", "/fapi/v1/listenKey"), -1125).startswith("This listenKey does not exist")
    new = ok(client.raw("POST", "/fapi/v1/listenKey"))["listenKey"]
    assert new != key
