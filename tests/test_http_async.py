"""AsyncHttpTransport against real loopback servers (127.0.0.1 only), default loop and uvloop."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from binance_usdm._http import AsyncHttpTransport, HttpRequest, Timeouts
from binance_usdm.errors import ConnectError, RequestTimeout, TransportError
from tests.http_helpers import (
    FAST,
    KEY,
    CloseNow,
    Hang,
    Reply,
    Request,
    chunked_response,
    free_port,
    make_certs,
    proxying,
    response,
    serving,
)

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

LOOPS = ["asyncio"] + (["uvloop"] if uvloop is not None else [])


def on_loops(fn: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[str], None]:
    """Run the async test once per event loop implementation (default asyncio, uvloop)."""

    @pytest.mark.parametrize("loop_name", LOOPS)
    def test(loop_name: str) -> None:
        factory = uvloop.new_event_loop if loop_name == "uvloop" else None
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(asyncio.wait_for(fn(), 10))

    test.__name__ = fn.__name__
    test.__doc__ = fn.__doc__
    return test


def get(path: str = "/fapi/v1/ping") -> HttpRequest:
    return HttpRequest("GET", path, [("X-MBX-APIKEY", KEY)])


@on_loops
async def test_keep_alive_reuses_one_connection() -> None:
    with serving() as server:
        async with AsyncHttpTransport(server.base_url) as transport:
            for i in range(5):
                resp = await transport.send(get(f"/p?i={i}"), FAST)
                assert resp.status == 200 and json.loads(resp.body)["target"] == f"/p?i={i}"
                assert resp.headers["content-type"] == "application/json" and 0 < resp.elapsed < 1
    assert server.connections == 1
    assert server.requests[0].headers["x-mbx-apikey"] == KEY
    assert server.requests[0].headers["user-agent"].startswith("binance-usdm/")


@on_loops
async def test_post_body_and_status() -> None:
    with serving(lambda r: Reply(response(r.body.upper(), status=400))) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            resp = await t.send(HttpRequest("POST", "/o", [], b"symbol=btcusdt"), FAST)
    assert resp.status == 400 and resp.body == b"SYMBOL=BTCUSDT"
    assert srv.requests[0].headers["content-length"] == "14"


@on_loops
async def test_chunked_response_in_pieces() -> None:
    chunks = [b"[", b"1,2,", b"3" * 3000, b"]"]
    with serving(lambda r: Reply(chunked_response(chunks), pieces=5)) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            for _ in range(2):
                assert (await t.send(get(), FAST)).body == b"".join(chunks)
    assert srv.connections == 1


@on_loops
async def test_head_split_over_reads_outlives_the_receive_buffer() -> None:
    """The head arrives over several reads and is cut out only when first read, after the body's
    reads have reused the connection's receive buffer: it must have been copied out."""
    chunks = [b"[", b"7" * 2000, b"]"]
    with serving(lambda r: Reply(chunked_response(chunks), pieces=40)) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            first = await t.send(get(), FAST)
            second = await t.send(get(), FAST)
    for resp in (first, second):
        assert resp.body == b"".join(chunks)
        assert dict(resp.headers) == {"transfer-encoding": "chunked", "content-type": "application/json"}


@on_loops
async def test_large_bodies_both_ways() -> None:
    big = bytes(range(256)) * 4096

    def handler(req: Request) -> Reply:
        return Reply(response(big if req.method == "GET" else str(len(req.body)).encode()))

    with serving(handler) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            assert (await t.send(get(), FAST)).body == big
            assert (await t.send(HttpRequest("PUT", "/up", [], big), FAST)).body == b"1048576"
    assert srv.connections == 1


@on_loops
async def test_connection_close_is_not_reused() -> None:
    with serving(lambda r: Reply(response(b"[]", close=True), close=True)) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            for _ in range(3):
                assert (await t.send(get(), FAST)).body == b"[]"
            assert t._open == 0 and not t._idle
    assert srv.connections == 3


@on_loops
async def test_idle_connection_closed_by_server_is_replaced() -> None:
    with serving(lambda r: Reply(response(), close=True)) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            await t.send(get(), FAST)
            await asyncio.sleep(0.05)
            assert (await t.send(get(), FAST)).status == 200
    assert srv.connections == 2


@on_loops
async def test_pooled_connection_reset_by_server_is_replaced() -> None:
    # The server aborts (RST) after answering; the blocking sleep keeps the loop from noticing,
    # so the next send meets the reset itself: nothing was read, the request goes on a new connection.
    answered: list[int] = []

    def handler(r: Request) -> Reply:  # only the first connection is reset after its answer
        answered.append(1)
        return Reply(response(), reset=len(answered) == 1)

    with serving(handler) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            await t.send(get(), FAST)
            assert srv.wait_closed(1)
            time.sleep(0.02)
            assert (await t.send(get(), FAST)).status == 200
            assert t._open == 1
    assert srv.connections == 2 and len(srv.requests) == 2


@on_loops
async def test_concurrency_50_on_one_transport_is_bounded_and_queued() -> None:
    def handler(req: Request) -> Reply:
        time.sleep(0.01)
        return Reply(response(req.target.encode()))

    with serving(handler) as srv:
        async with AsyncHttpTransport(srv.base_url, max_connections=10) as t:
            results = await asyncio.gather(*(t.send(get(f"/c{i}"), FAST) for i in range(50)))
            assert [r.body for r in results] == [f"/c{i}".encode() for i in range(50)]
            assert srv.connections == 10
            assert t._open == len(t._idle) == 10
        async with AsyncHttpTransport(srv.base_url) as t:  # default: up to 50 connections
            results = await asyncio.gather(*(t.send(get(f"/d{i}"), FAST) for i in range(50)))
            assert [r.body for r in results] == [f"/d{i}".encode() for i in range(50)]
            assert t._open <= 50


@on_loops
async def test_connect_refused() -> None:
    port = free_port()
    async with AsyncHttpTransport(f"http://127.0.0.1:{port}") as t:
        with pytest.raises(ConnectError) as info:
            await t.send(get(), FAST)
        assert t._open == 0
    assert info.value.request_sent is False
    assert str(info.value) == f"connection to 127.0.0.1:{port} refused"


@on_loops
async def test_read_timeout_when_server_never_answers() -> None:
    with serving(lambda r: Hang()) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            start = time.monotonic()
            with pytest.raises(RequestTimeout) as info:
                await t.send(get(), Timeouts(connect=1, read=0.3, total=5))
            assert 0.29 <= time.monotonic() - start < 0.45
            assert t._open == 0
        assert await asyncio.to_thread(srv.wait_closed, 1)  # the connection was closed
    assert info.value.request_sent is True
    assert str(info.value) == "read timed out after 0.3 s" and KEY not in str(info.value)


@on_loops
async def test_tls_handshake_that_never_completes_is_a_connect_timeout() -> None:
    silent = socket.socket()  # accepts TCP (kernel backlog) but never speaks TLS
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        async with AsyncHttpTransport(f"https://127.0.0.1:{port}", ssl_context=make_certs().client_context) as t:
            start = time.monotonic()
            with pytest.raises(RequestTimeout) as info:
                await t.send(get(), Timeouts(connect=0.2, read=5, total=5))
            assert 0.19 <= time.monotonic() - start < 0.35
            assert t._open == 0
    finally:
        silent.close()
    assert info.value.request_sent is False
    assert str(info.value) == f"connect to 127.0.0.1:{port} timed out after 0.2 s"


@on_loops
async def test_total_deadline_bounds_the_call() -> None:
    with serving(lambda r: Reply(chunked_response([b"x"] * 200), pieces=200)) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            start = time.monotonic()
            with pytest.raises(RequestTimeout) as info:
                await t.send(get(), Timeouts(connect=1, read=1, total=0.25))
            assert time.monotonic() - start < 0.25 + 0.02
    assert info.value.request_sent is True and "total deadline" in str(info.value)


@on_loops
async def test_server_closes_mid_response() -> None:
    with serving(lambda r: CloseNow(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n[1,")) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            with pytest.raises(TransportError) as info:
                await t.send(get(), FAST)
            assert t._open == 0
    assert type(info.value) is TransportError and info.value.request_sent is True
    assert "middle of the response" in str(info.value)


@on_loops
async def test_server_closes_without_answer() -> None:
    with serving(lambda r: CloseNow()) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            with pytest.raises(TransportError) as info:
                await t.send(get(), FAST)
    assert type(info.value) is TransportError and info.value.request_sent is True


@on_loops
async def test_cancellation_closes_the_connection() -> None:
    hang = True

    def handler(req: Request) -> Reply | Hang:
        return Hang() if hang else Reply(response())

    with serving(handler) as srv:
        async with AsyncHttpTransport(srv.base_url) as t:
            task = asyncio.create_task(t.send(get(), FAST))
            await asyncio.sleep(0.1)
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert t._open == 0 and not t._idle
            assert await asyncio.to_thread(srv.wait_closed, 1)  # the server saw that connection close
            hang = False
            assert (await t.send(get(), FAST)).status == 200
    assert srv.connections == 2


@on_loops
async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    def handler(req: Request) -> Reply:
        time.sleep(0.05)
        return Reply(response())

    with serving(handler) as srv:
        async with AsyncHttpTransport(srv.base_url, max_connections=1) as t:
            first = asyncio.create_task(t.send(get(), FAST))
            await asyncio.sleep(0.01)
            queued = asyncio.create_task(t.send(get(), FAST))
            await asyncio.sleep(0.01)
            queued.cancel()
            assert (await first).status == 200
            with pytest.raises(asyncio.CancelledError):
                await queued
            assert (await t.send(get(), FAST)).status == 200
            assert t._open == 1
    assert srv.connections == 1


@on_loops
async def test_pool_wait_times_out_without_sending() -> None:
    with serving(lambda r: Hang()) as srv:
        async with AsyncHttpTransport(srv.base_url, max_connections=1) as t:
            blocker = asyncio.create_task(t.send(get(), Timeouts(read=0.4)))
            await asyncio.sleep(0.05)
            with pytest.raises(RequestTimeout) as info:
                await t.send(get(), Timeouts(total=0.2))
            assert info.value.request_sent is False and "free connection" in str(info.value)
            with pytest.raises(RequestTimeout):
                await blocker


@on_loops
async def test_tls_with_trusted_self_signed_certificate() -> None:
    certs = make_certs()
    with serving(ssl_context=certs.server_context) as srv:
        async with AsyncHttpTransport(srv.base_url, ssl_context=certs.client_context) as t:
            for i in range(3):
                assert json.loads((await t.send(get(f"/s{i}"), FAST)).body)["target"] == f"/s{i}"
        assert srv.connections == 1
        async with AsyncHttpTransport(srv.base_url) as t:
            with pytest.raises(ConnectError) as info:
                await t.send(get(), FAST)
    assert "certificate" in str(info.value) and info.value.request_sent is False


@on_loops
async def test_https_through_connect_proxy_with_basic_auth() -> None:
    certs = make_certs()
    auth = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    with serving(ssl_context=certs.server_context) as srv, proxying(require_auth=auth) as proxy:
        url = proxy.url.replace("http://", "http://alice:s3cret@")
        async with AsyncHttpTransport(srv.base_url, proxy=url, ssl_context=certs.client_context) as t:
            assert json.loads((await t.send(get("/via"), FAST)).body)["target"] == "/via"
            assert json.loads((await t.send(get("/via2"), FAST)).body)["target"] == "/via2"
        assert proxy.heads == [
            (f"CONNECT 127.0.0.1:{srv.port} HTTP/1.1", proxy.heads[0][1]),
        ]
        assert proxy.heads[0][1]["proxy-authorization"] == auth
        assert "proxy-authorization" not in srv.requests[0].headers


@on_loops
async def test_http_through_proxy_uses_absolute_form() -> None:
    with serving() as srv, proxying() as proxy:
        async with AsyncHttpTransport(srv.base_url, proxy=proxy.url.replace("//", "//bob:pw@")) as t:
            await t.send(get("/abs?x=1"), FAST)
        line, headers = proxy.heads[0]
    assert line == f"GET http://127.0.0.1:{srv.port}/abs?x=1 HTTP/1.1"
    assert headers["proxy-authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()


@on_loops
async def test_proxy_refusing_connect_is_a_connect_error() -> None:
    certs = make_certs()
    with serving(ssl_context=certs.server_context) as srv, proxying(require_auth="Basic nope") as proxy:
        async with AsyncHttpTransport(srv.base_url, proxy=proxy.url, ssl_context=certs.client_context) as t:
            with pytest.raises(ConnectError, match="407"):
                await t.send(get(), FAST)
            assert t._open == 0


@on_loops
async def test_closed_transport_refuses() -> None:
    with serving() as server:
        t = AsyncHttpTransport(server.base_url)
        await t.send(get(), FAST)
        await t.aclose()
        with pytest.raises(TransportError, match="closed"):
            await t.send(get(), FAST)
