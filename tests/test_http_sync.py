"""SyncHttpTransport against real loopback servers (127.0.0.1 only)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from binance_usdm._http import HttpRequest, SyncHttpTransport, Timeouts
from binance_usdm._http import sync_transport as sync_mod
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


def get(path: str = "/fapi/v1/ping") -> HttpRequest:
    return HttpRequest("GET", path, [("X-MBX-APIKEY", KEY)])


def test_keep_alive_reuses_one_connection() -> None:
    with serving() as srv, SyncHttpTransport(srv.base_url) as t:
        bodies = [json.loads(t.send(get(f"/p?i={i}"), FAST).body) for i in range(5)]
        assert [b["target"] for b in bodies] == [f"/p?i={i}" for i in range(5)]
        assert srv.connections == 1
        req = srv.requests[0]
        assert req.headers["host"] == f"127.0.0.1:{srv.port}"
        assert req.headers["user-agent"].startswith("binance-usdm/")
        assert req.headers["x-mbx-apikey"] == KEY


def test_response_fields_and_post_body() -> None:
    def handler(req: Request) -> Reply:
        return Reply(response(req.body[::-1], status=201, headers=[("X-MBX-USED-WEIGHT-1M", "3")]))

    with serving(handler) as srv, SyncHttpTransport(srv.base_url) as t:
        resp = t.send(HttpRequest("POST", "/x", [("Content-Type", "application/x-www-form-urlencoded")], b"abc"), FAST)
        assert resp.status == 201 and resp.body == b"cba"
        assert resp.headers["x-mbx-used-weight-1m"] == "3" and resp.headers["content-type"] == "application/json"
        assert 0 < resp.elapsed < 1
        assert srv.requests[0].headers["content-length"] == "3"


def test_chunked_response_arriving_in_pieces() -> None:
    chunks = [b'{"a":', b"1,", b'"b":[' + b"1," * 100 + b"2]}"]
    with serving(lambda r: Reply(chunked_response(chunks), pieces=4)) as srv, SyncHttpTransport(srv.base_url) as t:
        for _ in range(2):
            assert t.send(get(), FAST).body == b"".join(chunks)
        assert srv.connections == 1


def test_large_bodies_both_ways() -> None:
    big = bytes(range(256)) * 4096  # 1 MiB

    def handler(req: Request) -> Reply:
        return Reply(response(big if req.method == "GET" else str(len(req.body)).encode()))

    with serving(handler) as srv, SyncHttpTransport(srv.base_url) as t:
        assert t.send(get(), FAST).body == big
        assert t.send(HttpRequest("POST", "/up", [], big), FAST).body == str(len(big)).encode()
        assert srv.connections == 1


def test_connection_close_is_not_reused() -> None:
    def handler(req: Request) -> Reply:
        return Reply(response(b"{}", close=True), close=True)

    with serving(handler) as srv, SyncHttpTransport(srv.base_url) as t:
        for _ in range(3):
            assert t.send(get(), FAST).body == b"{}"
        assert srv.connections == 3
        assert t._open == 0 and not t._idle


def test_read_until_close_body() -> None:
    raw = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 5000
    with serving(lambda r: Reply(raw, close=True)) as srv, SyncHttpTransport(srv.base_url) as t:
        assert t.send(get(), FAST).body == b"x" * 5000


def test_idle_connection_closed_by_server_is_replaced() -> None:
    # The server closes (FIN) after each answer without saying so: the pooled connection is stale.
    with serving(lambda r: Reply(response(), close=True)) as srv, SyncHttpTransport(srv.base_url) as t:
        t.send(get(), FAST)
        assert srv.wait_closed(1)
        time.sleep(0.02)
        assert t.send(get(), FAST).status == 200
        assert srv.connections == 2 and len(srv.requests) == 2


def test_stale_connection_reset_is_retried_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Bypass the idle check so the send itself meets the reset (server aborted with RST: unread).
    monkeypatch.setattr(sync_mod._Conn, "closed_by_peer", lambda self: False)
    with serving(lambda r: Reply(response(), reset=True)) as srv, SyncHttpTransport(srv.base_url) as t:
        t.send(get(), FAST)
        assert srv.wait_closed(1)
        time.sleep(0.02)
        assert t.send(get(), FAST).status == 200
        assert srv.connections == 2 and len(srv.requests) == 2


def test_stale_connection_with_ambiguous_eof_is_not_resent(monkeypatch: pytest.MonkeyPatch) -> None:
    # FIN then our request: the server may have read it; the transport must not resend.
    monkeypatch.setattr(sync_mod._Conn, "closed_by_peer", lambda self: False)
    with serving(lambda r: Reply(response(), close=True)) as srv, SyncHttpTransport(srv.base_url) as t:
        t.send(get(), FAST)
        assert srv.wait_closed(1)
        time.sleep(0.02)
        with pytest.raises(TransportError) as info:
            t.send(get(), FAST)
        assert info.value.request_sent is True
        assert srv.connections == 1
        assert t._open == 0


def test_connect_refused() -> None:
    port = free_port()
    with SyncHttpTransport(f"http://127.0.0.1:{port}") as t, pytest.raises(ConnectError) as info:
        t.send(get(), FAST)
    assert info.value.request_sent is False
    assert str(info.value) == f"connection to 127.0.0.1:{port} refused"
    assert t._open == 0


def test_read_timeout_when_server_never_answers() -> None:
    with serving(lambda r: Hang()) as srv, SyncHttpTransport(srv.base_url) as t:
        start = time.monotonic()
        with pytest.raises(RequestTimeout) as info:
            t.send(get(), Timeouts(connect=1, read=0.3, total=5))
        took = time.monotonic() - start
        assert 0.29 <= took < 0.45
        assert info.value.request_sent is True
        assert str(info.value) == "read timed out after 0.3 s"
        assert KEY not in str(info.value)
        assert t._open == 0


def test_tls_handshake_that_never_completes_is_a_connect_timeout() -> None:
    silent = socket.socket()  # accepts TCP (kernel backlog) but never speaks TLS
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        with SyncHttpTransport(f"https://127.0.0.1:{port}", ssl_context=make_certs().client_context) as t:
            start = time.monotonic()
            with pytest.raises(RequestTimeout) as info:
                t.send(get(), Timeouts(connect=0.2, read=5, total=5))
            assert 0.19 <= time.monotonic() - start < 0.35
            assert t._open == 0
    finally:
        silent.close()
    assert info.value.request_sent is False
    assert str(info.value) == f"connect to 127.0.0.1:{port} timed out after 0.2 s"


def test_total_deadline_bounds_the_call() -> None:
    # Trickle a chunked body so that no single read times out; the total deadline must still hold.
    def handler(req: Request) -> Reply:
        return Reply(chunked_response([b"x"] * 200), pieces=200)

    with serving(handler) as srv, SyncHttpTransport(srv.base_url) as t:
        start = time.monotonic()
        with pytest.raises(RequestTimeout) as info:
            t.send(get(), Timeouts(connect=1, read=1, total=0.25))
        assert time.monotonic() - start < 0.25 + 0.02
        assert info.value.request_sent is True and "total deadline" in str(info.value)


def test_server_closes_mid_response() -> None:
    partial = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"a":'
    with serving(lambda r: CloseNow(partial)) as srv, SyncHttpTransport(srv.base_url) as t:
        with pytest.raises(TransportError) as info:
            t.send(get(), FAST)
        assert type(info.value) is TransportError and info.value.request_sent is True
        assert "middle of the response" in str(info.value)


def test_server_closes_without_answer() -> None:
    with serving(lambda r: CloseNow()) as srv, SyncHttpTransport(srv.base_url) as t:
        with pytest.raises(TransportError) as info:
            t.send(get(), FAST)
        assert type(info.value) is TransportError and info.value.request_sent is True
        assert "before any response" in str(info.value)


def test_invalid_response_is_a_transport_error() -> None:
    with serving(lambda r: Reply(b"SPDY/9 what\r\n\r\n", close=True)) as srv, SyncHttpTransport(srv.base_url) as t:
        with pytest.raises(TransportError, match="invalid HTTP response"):
            t.send(get(), FAST)


def test_threads_share_a_bounded_pool() -> None:
    def handler(req: Request) -> Reply:
        time.sleep(0.005)
        return Reply(response(req.target.encode()))

    with serving(handler) as srv, SyncHttpTransport(srv.base_url, max_connections=4) as t:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: t.send(get(f"/t{i}"), FAST).body, range(80)))
        assert results == [f"/t{i}".encode() for i in range(80)]
        assert srv.connections <= 4
        assert t._open == len(t._idle) <= 4


def test_pool_wait_times_out_without_sending() -> None:
    errors: list[BaseException] = []

    def occupy(t: SyncHttpTransport) -> None:
        try:
            t.send(get(), Timeouts(read=0.4))
        except RequestTimeout as exc:
            errors.append(exc)

    with serving(lambda r: Hang()) as srv, SyncHttpTransport(srv.base_url, max_connections=1) as t:
        blocker = threading.Thread(target=occupy, args=(t,))
        blocker.start()
        time.sleep(0.1)
        with pytest.raises(RequestTimeout) as info:
            t.send(get(), Timeouts(total=0.2))
        assert info.value.request_sent is False and "free connection" in str(info.value)
        blocker.join()
        assert len(errors) == 1 and srv.connections == 1


def test_tls_with_trusted_self_signed_certificate() -> None:
    certs = make_certs()
    with serving(ssl_context=certs.server_context) as srv:
        assert srv.base_url.startswith("https://127.0.0.1:")
        with SyncHttpTransport(srv.base_url, ssl_context=certs.client_context) as t:
            for i in range(3):
                assert json.loads(t.send(get(f"/tls{i}"), FAST).body)["target"] == f"/tls{i}"
            assert srv.connections == 1
        # Default context: verification is on, so the self-signed certificate is refused.
        with SyncHttpTransport(srv.base_url) as t, pytest.raises(ConnectError) as info:
            t.send(get(), FAST)
        assert "certificate" in str(info.value) and info.value.request_sent is False


def test_https_through_connect_proxy_with_basic_auth() -> None:
    certs = make_certs()
    auth = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    with serving(ssl_context=certs.server_context) as srv, proxying(require_auth=auth) as proxy:
        url = proxy.url.replace("http://", "http://alice:s3cret@")
        with SyncHttpTransport(srv.base_url, proxy=url, ssl_context=certs.client_context) as t:
            assert json.loads(t.send(get("/via"), FAST).body)["target"] == "/via"
            assert json.loads(t.send(get("/via2"), FAST).body)["target"] == "/via2"
        assert proxy.heads[0][0] == f"CONNECT 127.0.0.1:{srv.port} HTTP/1.1"
        assert proxy.heads[0][1]["proxy-authorization"] == auth
        assert len(proxy.heads) == 1  # one tunnel, reused
        assert "proxy-authorization" not in srv.requests[0].headers  # credentials stay with the proxy


def test_http_through_proxy_uses_absolute_form() -> None:
    with serving() as srv, proxying() as proxy:
        url = proxy.url.replace("http://", "http://bob:pw@")
        with SyncHttpTransport(srv.base_url, proxy=url) as t:
            t.send(get("/abs?x=1"), FAST)
        line, headers = proxy.heads[0]
        assert line == f"GET http://127.0.0.1:{srv.port}/abs?x=1 HTTP/1.1"
        assert headers["proxy-authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()
        assert headers["host"] == f"127.0.0.1:{srv.port}"


def test_proxy_refusing_connect_is_a_connect_error() -> None:
    certs = make_certs()
    with serving(ssl_context=certs.server_context) as srv, proxying(require_auth="Basic nope") as proxy:
        with SyncHttpTransport(srv.base_url, proxy=proxy.url, ssl_context=certs.client_context) as t:
            with pytest.raises(ConnectError, match="407"):
                t.send(get(), FAST)


def test_env_proxy_is_ignored_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")
    with serving() as srv, SyncHttpTransport(srv.base_url) as t:
        assert t.send(get(), FAST).status == 200


def test_closed_transport_refuses() -> None:
    with serving() as srv:
        t = SyncHttpTransport(srv.base_url)
        t.send(get(), FAST)
        t.close()
        assert srv.wait_closed(1)
        with pytest.raises(TransportError, match="closed"):
            t.send(get(), FAST)
