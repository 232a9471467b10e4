"""Both HTTP transports against real loopback servers (127.0.0.1 only), each case written once.

Every test runs for ``SyncHttpTransport`` and for ``AsyncHttpTransport`` on the default event loop
and on uvloop, through ``tests.transport_driver``. The few cases that only one kind of transport has
(cancelling a task; the blocking transport's stale-connection check) say so in their name.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections.abc import Callable

import pytest

from binance_usdm._http import HttpRequest, Timeouts
from binance_usdm._http import sync_transport as sync_mod
from binance_usdm.errors import ConnectError, RequestTimeout, TransportError
from tests.scripted_server import (
    CloseNow,
    Hang,
    Proxy,
    Reply,
    Request,
    ScriptedServer,
    chunked,
    echo,
    free_port,
    make_certs,
)
from tests.transport_driver import ASYNC_FLAVOURS, FAST, Driver, connect, flavour

__all__ = ["connect", "flavour"]  # the fixtures every test here uses

KEY = "SECRET-API-KEY-VALUE"  # a header value that must never appear in error messages


def get(path: str = "/fapi/v1/ping") -> HttpRequest:
    return HttpRequest("GET", path, [("X-MBX-APIKEY", KEY)])


def test_keep_alive_reuses_one_connection(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(echo) as srv:
        t = connect(srv.base_url)
        for i in range(5):
            resp = t.send(get(f"/p?i={i}"))
            assert resp.status == 200 and json.loads(resp.body)["target"] == f"/p?i={i}"
            assert resp.headers["content-type"] == "application/json" and 0 < resp.elapsed < 1
        assert srv.connections == 1
        req = srv.requests[0]
        assert req.headers["host"] == f"127.0.0.1:{srv.port}"
        assert req.headers["user-agent"].startswith("binance-usdm/")
        assert req.headers["x-mbx-apikey"] == KEY


def test_status_headers_and_request_body(connect: Callable[..., Driver]) -> None:
    def handler(req: Request) -> Reply:
        return Reply(201 if req.method == "POST" else 400, req.body[::-1], {"X-MBX-USED-WEIGHT-1M": "3"})

    with ScriptedServer(handler) as srv:
        t = connect(srv.base_url)
        form = [("Content-Type", "application/x-www-form-urlencoded")]
        resp = t.send(HttpRequest("POST", "/o", form, b"symbol=btcusdt"))
        assert resp.status == 201 and resp.body == b"symbol=btcusdt"[::-1]
        assert resp.headers["x-mbx-used-weight-1m"] == "3" and resp.headers["content-type"] == "application/json"
        assert t.send(HttpRequest("PUT", "/o", [], b"ab")).status == 400
        assert srv.requests[0].headers["content-length"] == "14"
        assert srv.requests[0].headers["content-type"] == "application/x-www-form-urlencoded"


def test_chunked_response_arriving_in_pieces(connect: Callable[..., Driver]) -> None:
    chunks = [b'{"a":', b"1,", b'"b":[' + b"1," * 100 + b"2]}", b"3" * 3000]
    with ScriptedServer(lambda r: Reply(raw=chunked(chunks), pieces=5)) as srv:
        t = connect(srv.base_url)
        for _ in range(2):
            assert t.send(get()).body == b"".join(chunks)
        assert srv.connections == 1


def test_head_split_over_reads_outlives_the_receive_buffer(connect: Callable[..., Driver]) -> None:
    """The head arrives over several reads and is cut out only when first read, after the body's
    reads have reused the connection's receive buffer: it must have been copied out."""
    chunks = [b"[", b"7" * 2000, b"]"]
    with ScriptedServer(lambda r: Reply(raw=chunked(chunks), pieces=40)) as srv:
        t = connect(srv.base_url)
        first, second = t.send(get()), t.send(get())
    for resp in (first, second):
        assert resp.body == b"".join(chunks)
        assert dict(resp.headers) == {"transfer-encoding": "chunked", "content-type": "application/json"}


def test_large_bodies_both_ways(connect: Callable[..., Driver]) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB

    def handler(req: Request) -> Reply:
        return Reply(body=big if req.method == "GET" else str(len(req.body)).encode())

    with ScriptedServer(handler) as srv:
        t = connect(srv.base_url)
        assert t.send(get()).body == big
        assert t.send(HttpRequest("POST", "/up", [], big)).body == b"1048576"
        assert t.send(HttpRequest("PUT", "/up", [], big[:1000])).body == b"1000"
        assert srv.connections == 1


def test_connection_close_is_not_reused(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(lambda r: Reply(body=b"[]", headers={"Connection": "close"}, close=True)) as srv:
        t = connect(srv.base_url)
        for _ in range(3):
            assert t.send(get()).body == b"[]"
        assert srv.connections == 3
        assert t.open == 0 and not t.idle


def test_body_read_until_close(connect: Callable[..., Driver]) -> None:
    raw = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 5000
    with ScriptedServer(lambda r: Reply(raw=raw, close=True)) as srv:
        t = connect(srv.base_url)
        assert t.send(get()).body == b"x" * 5000
        assert t.open == 0


def test_idle_connection_closed_by_server_is_replaced(connect: Callable[..., Driver]) -> None:
    # The server closes (FIN) after each answer without saying so: the pooled connection is stale.
    with ScriptedServer(lambda r: Reply(close=True)) as srv:
        t = connect(srv.base_url)
        t.send(get())
        assert srv.wait_closed(1)
        t.pause(0.05)
        assert t.send(get()).status == 200
        assert srv.connections == 2 and len(srv.requests) == 2


def test_pooled_connection_reset_by_server_is_replaced(
    connect: Callable[..., Driver], flavour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server aborts (RST) after its first answer; the next send meets the reset itself (the
    # blocking transport's idle check is bypassed, the event loop does not run meanwhile): nothing
    # was read, so the request goes again on a new connection.
    if flavour == "sync":
        monkeypatch.setattr(sync_mod._Conn, "closed_by_peer", lambda self: False)
    answered: list[int] = []

    def handler(r: Request) -> Reply:
        answered.append(1)
        return Reply(reset=len(answered) == 1)

    with ScriptedServer(handler) as srv:
        t = connect(srv.base_url)
        t.send(get())
        assert srv.wait_closed(1)
        time.sleep(0.02)
        assert t.send(get()).status == 200
        assert t.open == 1
        assert srv.connections == 2 and len(srv.requests) == 2


def test_sync_stale_connection_with_ambiguous_eof_is_not_resent(monkeypatch: pytest.MonkeyPatch) -> None:
    # FIN then our request: the server may have read it; the transport must not resend.
    monkeypatch.setattr(sync_mod._Conn, "closed_by_peer", lambda self: False)
    with ScriptedServer(lambda r: Reply(close=True)) as srv, Driver("sync", srv.base_url) as t:
        t.send(get())
        assert srv.wait_closed(1)
        time.sleep(0.02)
        with pytest.raises(TransportError) as info:
            t.send(get())
        assert info.value.request_sent is True
        assert srv.connections == 1
        assert t.open == 0


def test_connect_refused(connect: Callable[..., Driver]) -> None:
    port = free_port()
    t = connect(f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectError) as info:
        t.send(get())
    assert info.value.request_sent is False
    assert str(info.value) == f"connection to 127.0.0.1:{port} refused"
    assert t.open == 0


def test_read_timeout_when_server_never_answers(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(lambda r: Hang()) as srv:
        t = connect(srv.base_url)
        start = time.monotonic()
        with pytest.raises(RequestTimeout) as info:
            t.send(get(), Timeouts(connect=1, read=0.3, total=5))
        assert 0.29 <= time.monotonic() - start < 2.5  # the read timeout ended it, well before total=5
        assert info.value.request_sent is True
        assert str(info.value) == "read timed out after 0.3 s"
        assert KEY not in str(info.value)
        assert t.open == 0
        assert srv.wait_closed(1)  # the connection was closed


def test_tls_handshake_that_never_completes_is_a_connect_timeout(connect: Callable[..., Driver]) -> None:
    with socket.socket() as silent:  # accepts TCP (kernel backlog) but never speaks TLS
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        t = connect(f"https://127.0.0.1:{port}", ssl_context=make_certs().client_context)
        start = time.monotonic()
        with pytest.raises(RequestTimeout) as info:
            t.send(get(), Timeouts(connect=0.2, read=5, total=5))
        assert 0.19 <= time.monotonic() - start < 2.5  # the connect timeout ended it, well before read/total=5
        assert t.open == 0
    assert info.value.request_sent is False
    assert str(info.value) == f"connect to 127.0.0.1:{port} timed out after 0.2 s"


def test_total_deadline_bounds_the_call(connect: Callable[..., Driver]) -> None:
    # Trickle a chunked body so that no single read times out; the total deadline must still hold.
    with ScriptedServer(lambda r: Reply(raw=chunked([b"x"] * 200), pieces=200)) as srv:
        t = connect(srv.base_url)
        start = time.monotonic()
        with pytest.raises(RequestTimeout) as info:
            t.send(get(), Timeouts(connect=1, read=1, total=0.25))
        assert time.monotonic() - start < 1.0  # the whole trickle takes 200 x 0.01 s = 2 s
    assert info.value.request_sent is True and "total deadline" in str(info.value)


def test_server_closes_mid_response(connect: Callable[..., Driver]) -> None:
    partial = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"a":'
    with ScriptedServer(lambda r: CloseNow(partial)) as srv:
        t = connect(srv.base_url)
        with pytest.raises(TransportError) as info:
            t.send(get())
        assert t.open == 0
    assert type(info.value) is TransportError and info.value.request_sent is True
    assert "middle of the response" in str(info.value)


def test_server_closes_without_answer(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(lambda r: CloseNow()) as srv:
        t = connect(srv.base_url)
        with pytest.raises(TransportError) as info:
            t.send(get())
    assert type(info.value) is TransportError and info.value.request_sent is True
    assert "before any response" in str(info.value)


def test_invalid_response_is_a_transport_error(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(lambda r: Reply(raw=b"SPDY/9 what\r\n\r\n", close=True)) as srv:
        t = connect(srv.base_url)
        with pytest.raises(TransportError, match="invalid HTTP response"):
            t.send(get())


def test_concurrent_sends_share_a_bounded_pool(connect: Callable[..., Driver], flavour: str) -> None:
    def handler(req: Request) -> Reply:
        time.sleep(0.005)
        return Reply(body=req.target.encode())

    with ScriptedServer(handler) as srv:
        t = connect(srv.base_url, max_connections=4)
        results = t.send_all([get(f"/c{i}") for i in range(60)])
        assert [r.body for r in results] == [f"/c{i}".encode() for i in range(60)]
        assert srv.connections <= 4
        if flavour != "sync":  # all 60 wait at once: the pool fills up to its bound
            assert srv.connections == 4
        assert t.open == t.idle <= 4
        default = connect(srv.base_url)  # up to 50 connections
        results = default.send_all([get(f"/d{i}") for i in range(60)])
        assert [r.body for r in results] == [f"/d{i}".encode() for i in range(60)]
        assert default.open == default.idle <= 50


def test_pool_wait_times_out_without_sending(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(lambda r: Hang()) as srv:
        t = connect(srv.base_url, max_connections=1)
        blocker = t.begin(get(), Timeouts(read=0.4))
        t.pause(0.1)
        with pytest.raises(RequestTimeout) as info:
            t.send(get(), Timeouts(total=0.2))
        assert info.value.request_sent is False and "free connection" in str(info.value)
        with pytest.raises(RequestTimeout):
            blocker()
        assert srv.connections == 1


def test_tls_with_trusted_self_signed_certificate(connect: Callable[..., Driver]) -> None:
    certs = make_certs()
    with ScriptedServer(echo, ssl_context=certs.server_context) as srv:
        assert srv.base_url.startswith("https://127.0.0.1:")
        t = connect(srv.base_url, ssl_context=certs.client_context)
        for i in range(3):
            assert json.loads(t.send(get(f"/tls{i}")).body)["target"] == f"/tls{i}"
        assert srv.connections == 1
        # Default context: verification is on, so the self-signed certificate is refused.
        with pytest.raises(ConnectError) as info:
            connect(srv.base_url).send(get())
    assert "certificate" in str(info.value) and info.value.request_sent is False


def test_https_through_connect_proxy_with_basic_auth(connect: Callable[..., Driver]) -> None:
    certs = make_certs()
    auth = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    with ScriptedServer(echo, ssl_context=certs.server_context) as srv, Proxy(require_auth=auth) as proxy:
        url = proxy.url.replace("http://", "http://alice:s3cret@")
        t = connect(srv.base_url, proxy=url, ssl_context=certs.client_context)
        assert json.loads(t.send(get("/via")).body)["target"] == "/via"
        assert json.loads(t.send(get("/via2")).body)["target"] == "/via2"
        assert [line for line, _ in proxy.heads] == [f"CONNECT 127.0.0.1:{srv.port} HTTP/1.1"]  # one tunnel, reused
        assert proxy.heads[0][1]["proxy-authorization"] == auth
        assert "proxy-authorization" not in srv.requests[0].headers  # credentials stay with the proxy


def test_http_through_proxy_uses_absolute_form(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(echo) as srv, Proxy() as proxy:
        connect(srv.base_url, proxy=proxy.url.replace("http://", "http://bob:pw@")).send(get("/abs?x=1"))
        line, headers = proxy.heads[0]
    assert line == f"GET http://127.0.0.1:{srv.port}/abs?x=1 HTTP/1.1"
    assert headers["proxy-authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()
    assert headers["host"] == f"127.0.0.1:{srv.port}"


def test_proxy_refusing_connect_is_a_connect_error(connect: Callable[..., Driver]) -> None:
    certs = make_certs()
    with ScriptedServer(echo, ssl_context=certs.server_context) as srv, Proxy(require_auth="Basic nope") as proxy:
        t = connect(srv.base_url, proxy=proxy.url, ssl_context=certs.client_context)
        with pytest.raises(ConnectError, match="407"):
            t.send(get())
        assert t.open == 0


def test_env_proxy_is_ignored_for_loopback(connect: Callable[..., Driver], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")
    with ScriptedServer(echo) as srv:
        assert connect(srv.base_url).send(get()).status == 200


def test_closed_transport_refuses(connect: Callable[..., Driver]) -> None:
    with ScriptedServer(echo) as srv:
        t = connect(srv.base_url)
        t.send(get())
        t.close()
        assert srv.wait_closed(1)
        with pytest.raises(TransportError, match="closed"):
            t.send(get())
        assert srv.connections == 1


@pytest.mark.parametrize("flavour", ASYNC_FLAVOURS)
def test_async_cancellation_closes_the_connection(connect: Callable[..., Driver]) -> None:
    hang = True

    def handler(req: Request) -> Reply | Hang:
        return Hang() if hang else Reply()

    with ScriptedServer(handler) as srv:
        t = connect(srv.base_url)

        async def cancel_one() -> None:
            task = asyncio.create_task(t.transport.send(get(), FAST))
            await asyncio.sleep(0.1)
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        t.run(cancel_one())
        assert t.open == 0 and not t.idle
        assert srv.wait_closed(1)  # the server saw that connection close
        hang = False
        assert t.send(get()).status == 200
        assert srv.connections == 2


@pytest.mark.parametrize("flavour", ASYNC_FLAVOURS)
def test_async_cancelled_waiter_does_not_leak_a_slot(connect: Callable[..., Driver]) -> None:
    def handler(req: Request) -> Reply:
        time.sleep(0.05)
        return Reply()

    with ScriptedServer(handler) as srv:
        t = connect(srv.base_url, max_connections=1)

        async def cancel_the_queued() -> None:
            first = asyncio.create_task(t.transport.send(get(), FAST))
            await asyncio.sleep(0.01)
            queued = asyncio.create_task(t.transport.send(get(), FAST))
            await asyncio.sleep(0.01)
            queued.cancel()
            assert (await first).status == 200
            with pytest.raises(asyncio.CancelledError):
                await queued

        t.run(cancel_the_queued())
        assert t.send(get()).status == 200
        assert t.open == 1
        assert srv.connections == 1
