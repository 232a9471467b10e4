"""Both transports against hostile or oversized answers from a real loopback server: every answer
ends in a response or a TransportError, at once (never the read timeout), nothing is logged at
ERROR, and the pool stays usable; idle pooled connections expire. Each case runs for the blocking
transport and the async one on asyncio and uvloop (``tests.transport_driver``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from binance_usdm import Limits, ValidationError
from binance_usdm._http import HttpRequest, SyncHttpTransport, Timeouts
from binance_usdm.errors import TransportError
from tests.scripted_server import Reply, Request, ScriptedServer, echo
from tests.transport_driver import Driver, connect, flavour

__all__ = ["connect", "flavour"]  # the fixtures the tests here use

KEY = "SECRET-API-KEY-VALUE"  # a header value that must never appear in error messages
# A read timeout far above how long any of these answers takes: hitting it fails the test.
PATIENT = Timeouts(connect=2.0, read=8.0, total=10.0)

HOSTILE = {
    # httptools raised its own HttpParserUpgrade out of the sync transport; asyncio logged it at ERROR
    "upgrade": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    "bare-101": b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    # a status below 100 counted as interim: the call waited for the read timeout
    "status-000": b"HTTP/1.1 000 None\r\nContent-Length: 0\r\n\r\n",
    "status-042": b"HTTP/1.1 042 None\r\nContent-Length: 0\r\n\r\n",
    "head-too-large": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: " + b"p" * 5000 + b"\r\n\r\n{}",
    "body-too-large": Reply(body=b"[" + b"0," * 3000 + b"0]").encode({}),
    "chunked-too-large": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1001\r\n" + b"x" * 4097 + b"\r\n",
}
SIZED = {"head-too-large", "body-too-large", "chunked-too-large"}
SMALL = Limits(max_header_bytes=4096, max_body_bytes=4096)


def limits(name: str) -> dict[str, Limits]:
    return {"limits": SMALL} if name in SIZED else {}


def get(path: str = "/fapi/v1/ping") -> HttpRequest:
    return HttpRequest("GET", path, (("X-MBX-APIKEY", KEY),))


def _script(answer: bytes) -> Callable[[Request], Reply]:
    """The hostile answer for /bad; a normal one otherwise (the pool must still work)."""
    return lambda req: Reply(raw=answer) if req.target == "/bad" else Reply()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_answers_are_refused_at_once(
    connect: Callable[..., Driver], name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    with ScriptedServer(_script(HOSTILE[name])) as srv:
        t = connect(srv.base_url, **limits(name))
        started = time.monotonic()
        with pytest.raises(TransportError, match="invalid HTTP response") as info:
            t.send(get("/bad"), PATIENT)
        assert time.monotonic() - started < 4.0
        assert info.value.request_sent is True and KEY not in str(info.value)
        assert t.send(get(), PATIENT).status == 200
        assert t.open == 1
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("bad", [
    {"max_header_bytes": 0}, {"max_body_bytes": -1}, {"max_body_bytes": 1.5}, {"max_header_bytes": True},
    {"idle_timeout": -1}, {"idle_timeout": float("inf")}, {"idle_timeout": "20"},
])
def test_limits_are_checked_when_made(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match=next(iter(bad))):
        Limits(**bad)  # type: ignore[arg-type]


def test_idle_connections_expire(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(echo) as srv:
        t = connect(srv.base_url)  # the default keeps a connection for 20 s
        for _ in range(3):
            t.send(get(), PATIENT)
        assert srv.connections == 1
        t.close()
        t = connect(srv.base_url, limits=Limits(idle_timeout=0.01))
        for _ in range(3):
            t.send(get(), PATIENT)
            t.pause(0.05)  # idle longer than the limit (uvloop's clock moves in whole milliseconds)
        assert srv.connections == 1 + 3
        assert t.open == 1 and t.idle == 1
        assert srv.wait_closed(3)  # the first transport's connection and the expired ones were closed


def test_expired_idle_connections_free_their_slots_once(connect: Callable[..., Driver]) -> None:
    """Several idle connections expire together: each is closed and its slot freed exactly once (the
    async pool used to free the others' slots twice: its count of open connections went negative)."""
    slow = lambda request: Reply(body=b"{}", delay=0.05)  # noqa: E731 (concurrent calls need connections of their own)
    with ScriptedServer(slow) as srv:
        t = connect(srv.base_url, limits=Limits(idle_timeout=0.01), max_connections=4)
        t.send_all([get(f"/{i}") for i in range(4)], PATIENT)
        opened = srv.connections
        assert opened >= 2 and t.open == opened and t.idle == opened
        t.pause(0.05)
        t.send(get(), PATIENT)
        assert t.open == 1 and t.idle == 1
        assert srv.connections == opened + 1 and srv.wait_closed(opened)


def test_the_blocking_pools_slow_path_expires_idle_connections_too() -> None:
    """A caller that found no idle connection at first (it waited for a slot, or one was released
    meanwhile) applies the same idle rule as the fast path and as the async pool: an expired
    connection is closed with every other idle one (the slow path closed only the one it took)."""
    slow = lambda request: Reply(body=b"{}", delay=0.05)  # noqa: E731 (concurrent calls need connections of their own)
    with ScriptedServer(slow) as srv:
        t = SyncHttpTransport(srv.base_url, limits=Limits(idle_timeout=0.01), max_connections=2)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda path: t.send(get(path), PATIENT), ["/1", "/2"]))
        assert srv.connections == 2 and len(t._idle) == 2
        time.sleep(0.05)  # both idle longer than the limit
        conn = t._acquire_slow(time.monotonic() + 5, PATIENT)
        assert t._idle == [] and t._open == 1  # both expired ones closed, one new connection
        assert srv.wait_closed(2)
        t._release(conn)
        t.close()
