"""The sans-I/O HTTP/1.1 core: request encoding, incremental response parsing, proxy selection."""

from __future__ import annotations

import base64

import pytest

from binance_usdm._http import HttpRequest
from binance_usdm._http.protocol import (
    USER_AGENT,
    BadResponse,
    Origin,
    ProxyConfig,
    RequestEncoder,
    ResponseReader,
    build_connect_request,
    parse_connect_response,
    resolve_proxy,
)
from binance_usdm.errors import ValidationError


def _head(data: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        assert name.lower() not in headers, f"duplicate header {name}"
        headers[name.lower()] = value
    return lines[0], headers, body


def test_origin_parsing() -> None:
    o = Origin.parse("https://fapi.binance.com")
    assert (o.scheme, o.host, o.port, o.base_path, o.tls) == ("https", "fapi.binance.com", 443, "", True)
    assert o.host_header == "fapi.binance.com" and o.authority == "fapi.binance.com:443"
    assert not o.is_loopback
    o = Origin.parse("http://127.0.0.1:8765/")
    assert (o.port, o.host_header, o.base_path, o.tls, o.is_loopback) == (8765, "127.0.0.1:8765", "", False, True)
    assert Origin.parse("http://localhost:1/api/").base_path == "/api"
    with pytest.raises(ValueError, match="http:// or https://"):
        Origin.parse("ftp://x")
    with pytest.raises(ValueError, match="credentials"):
        Origin.parse("https://user:secret@x")
    for url in ("https://b\u00fccher.example", "http://127.0.0.1:1/p\u00e4th", "http://127.0.0.1:1/a b"):
        with pytest.raises(ValueError, match="ASCII"):
            Origin.parse(url)


def test_encode_get_has_fixed_headers_and_no_content_length() -> None:
    enc = RequestEncoder(Origin.parse("https://fapi.binance.com"))
    data = enc.encode(HttpRequest("GET", "/fapi/v2/account?timestamp=1&signature=ab", [("X-MBX-APIKEY", "k")]))
    line, headers, body = _head(data)
    assert line == "GET /fapi/v2/account?timestamp=1&signature=ab HTTP/1.1"
    assert headers["host"] == "fapi.binance.com"
    assert headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("binance-usdm/")
    assert headers["connection"] == "keep-alive"
    assert headers["x-mbx-apikey"] == "k"
    assert "content-length" not in headers and body == b""


def test_encode_post_body_and_empty_post() -> None:
    enc = RequestEncoder(Origin.parse("http://127.0.0.1:8765"))
    line, headers, body = _head(enc.encode(HttpRequest("POST", "/x", [("Content-Type", "a/b")], b"a=1&b=2")))
    assert line == "POST /x HTTP/1.1"
    assert headers["host"] == "127.0.0.1:8765"
    assert headers["content-length"] == "7" and body == b"a=1&b=2"
    _, headers, body = _head(enc.encode(HttpRequest("DELETE", "/x?a=1")))
    assert headers["content-length"] == "0" and body == b""


def test_encode_user_agent_override_and_reserved_headers() -> None:
    enc = RequestEncoder(Origin.parse("https://fapi.binance.com"))
    _, headers, _ = _head(enc.encode(HttpRequest("GET", "/x", [("User-Agent", "mine/1")])))
    assert headers["user-agent"] == "mine/1"
    with pytest.raises(ValidationError, match="set by the transport"):
        enc.encode(HttpRequest("GET", "/x", [("Content-Length", "3")]))


def test_encode_rejects_line_breaks_without_echoing_values() -> None:
    enc = RequestEncoder(Origin.parse("https://fapi.binance.com"))
    with pytest.raises(ValidationError) as info:
        enc.encode(HttpRequest("GET", "/x", [("X-MBX-APIKEY", "secret\r\nX-Evil: 1")]))
    assert "secret" not in str(info.value)
    enc.encode(HttpRequest("GET", "/x", [("X-MBX-APIKEY", "fine")]))  # the name is now known-good
    with pytest.raises(ValidationError):
        enc.encode(HttpRequest("GET", "/x", [("X-MBX-APIKEY", "v\nX-Evil: 1")]))
    with pytest.raises(ValidationError):
        enc.encode(HttpRequest("GET", "/x", [("X-Evil\r\nX-MBX-APIKEY", "v")]))
    with pytest.raises(ValidationError):
        enc.encode(HttpRequest("GET", "/x HTTP/1.1\r\nX: y"))
    with pytest.raises(ValidationError):
        enc.encode(HttpRequest("GET", "no-slash"))
    with pytest.raises(ValidationError, match="HEAD"):
        enc.encode(HttpRequest("HEAD", "/x"))


def test_encode_reuses_a_header_tuple_and_checks_each_new_one() -> None:
    enc = RequestEncoder(Origin.parse("http://127.0.0.1:8765"))
    key_a = (("X-MBX-APIKEY", "key-a"),)
    key_b = (("X-MBX-APIKEY", "key-b"),)
    for headers, expected in ((key_a, "key-a"), (key_a, "key-a"), (key_b, "key-b"), (key_a, "key-a")):
        _, got, _ = _head(enc.encode(HttpRequest("GET", "/x", headers)))
        assert got["x-mbx-apikey"] == expected
    # a list may change between calls: never taken from the cache
    pairs = [("X-MBX-APIKEY", "one")]
    assert _head(enc.encode(HttpRequest("GET", "/x", pairs)))[1]["x-mbx-apikey"] == "one"
    pairs[0] = ("X-MBX-APIKEY", "two\r\nX-Evil: 1")
    with pytest.raises(ValidationError):
        enc.encode(HttpRequest("GET", "/x", pairs))
    with pytest.raises(ValidationError):
        enc.encode(HttpRequest("GET", "/x", (("X-MBX-APIKEY", "k\u00e9y"),)))  # not ASCII
    assert _head(enc.encode(HttpRequest("GET", "/x")))[1].keys() == {"host", "connection", "user-agent"}


def test_encode_http_through_proxy_uses_absolute_form_and_proxy_auth() -> None:
    proxy = ProxyConfig.parse("http://us%40er:p%3Ass@127.0.0.1:3128")
    assert proxy.authorization == "Basic " + base64.b64encode(b"us@er:p:ss").decode()
    enc = RequestEncoder(Origin.parse("http://127.0.0.1:8765"), proxy)
    line, headers, _ = _head(enc.encode(HttpRequest("GET", "/a?b=1")))
    assert line == "GET http://127.0.0.1:8765/a?b=1 HTTP/1.1"
    assert headers["proxy-authorization"] == proxy.authorization
    # https through a proxy tunnels: origin-form, and the credentials stay with the proxy
    enc = RequestEncoder(Origin.parse("https://fapi.binance.com"), proxy)
    line, headers, _ = _head(enc.encode(HttpRequest("GET", "/a")))
    assert line == "GET /a HTTP/1.1" and "proxy-authorization" not in headers
    connect = build_connect_request(Origin.parse("https://fapi.binance.com"), proxy).decode()
    assert connect.startswith("CONNECT fapi.binance.com:443 HTTP/1.1\r\nHost: fapi.binance.com:443\r\n")
    assert f"Proxy-Authorization: {proxy.authorization}\r\n" in connect and connect.endswith("\r\n\r\n")


def test_proxy_config_errors_never_show_the_url() -> None:
    with pytest.raises(ValueError) as info:
        ProxyConfig.parse("socks5://user:hunter2@proxy:1080")
    assert "hunter2" not in str(info.value) and "socks5" in str(info.value)


def test_parse_connect_response() -> None:
    assert parse_connect_response(b"HTTP/1.1 200 Connection established\r\n\r\n") == 200
    assert parse_connect_response(b"HTTP/1.0 407 Auth\r\nX: y\r\n\r\n") == 407
    assert parse_connect_response(b"garbage\r\n\r\n") == 0


def test_resolve_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    binance = Origin.parse("https://fapi.binance.com")
    local = Origin.parse("http://127.0.0.1:8765")
    assert resolve_proxy(binance, None) is None
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("http_proxy", "http://proxy.example:3129")
    got = resolve_proxy(binance, None)
    assert got is not None and (got.host, got.port) == ("proxy.example", 3128)
    assert resolve_proxy(local, None) is None  # loopback never goes through an env proxy
    assert resolve_proxy(binance, "") is None  # explicit "no proxy"
    explicit = resolve_proxy(local, "http://127.0.0.1:9")
    assert explicit is not None and explicit.port == 9
    monkeypatch.setenv("no_proxy", ".binance.com")
    assert resolve_proxy(binance, None) is None


def _reusable(reader: ResponseReader) -> bool:
    return reader.keep_alive and not reader.extra


def _feed_all(reader: ResponseReader, data: bytes, step: int) -> bool:
    done = False
    for i in range(0, len(data), step):
        done = reader.feed(data[i : i + step])
    return done


@pytest.mark.parametrize("step", [1, 7, 10_000])
def test_reader_content_length_any_split_and_repeated_headers(step: int) -> None:
    reader = ResponseReader()
    raw = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-MBX-USED-WEIGHT-1M: 7\r\n"
        b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello"
    )
    assert _feed_all(reader, raw, step)
    resp = reader.response(0.5)
    assert resp.status == 200 and resp.body == b"hello" and resp.elapsed == 0.5
    assert resp.headers == {"content-length": "5", "x-mbx-used-weight-1m": "7", "set-cookie": "a=1, b=2"}
    assert _reusable(reader)


def test_reader_chunked_then_next_response_on_same_parser() -> None:
    reader = ResponseReader()
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
    assert _feed_all(reader, raw, 5)
    assert reader.response(0).body == b"abcdefg" and _reusable(reader)
    assert not reader.feed(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n")
    assert reader.feed(b"{}")
    assert reader.response(0).status == 404


def test_reader_connection_close_and_read_until_eof() -> None:
    reader = ResponseReader()
    assert reader.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
    assert not _reusable(reader)
    reader = ResponseReader()
    assert not reader.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart1")
    assert not reader.feed(b"part2")
    assert reader.feed_eof()
    assert reader.response(0).body == b"part1part2" and not _reusable(reader)


def test_reader_truncated_body_is_not_complete_at_eof() -> None:
    reader = ResponseReader()
    assert not reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    assert not reader.feed_eof()


def test_reader_skips_interim_1xx() -> None:
    reader = ResponseReader()
    assert reader.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx")
    resp = reader.response(0)
    assert resp.status == 201 and resp.body == b"x" and resp.headers == {"content-length": "1"}


def test_reader_extra_bytes_make_connection_unusable() -> None:
    reader = ResponseReader()
    assert reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 2")
    assert reader.response(0).body == b"x"
    assert not _reusable(reader)


def test_reader_rejects_garbage() -> None:
    with pytest.raises(BadResponse):
        ResponseReader().feed(b"NOT HTTP AT ALL\r\n\r\n")


@pytest.mark.parametrize(("answer", "reason"), [
    # httptools' own HttpParserUpgrade used to escape the sync client
    (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", "101"),
    (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "101"),
    # status 000 (and any below 100) used to count as interim: the call waited for its timeout
    (b"HTTP/1.1 000 Nothing\r\nContent-Length: 0\r\n\r\n", "status 000"),
    (b"HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n", "status 099"),
])
def test_reader_refuses_upgrades_and_statuses_below_100(answer: bytes, reason: str) -> None:
    with pytest.raises(BadResponse, match=reason):
        ResponseReader().feed(answer)


def test_reader_bounds_the_header_block() -> None:
    reader = ResponseReader(max_header_bytes=1000)
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + b"X-Pad: " + b"a" * 990 + b"\r\n\r\n{}"
    with pytest.raises(BadResponse, match="header block larger than 1000 bytes"):
        reader.feed(head)  # in one piece: the block is measured once complete
    reader = ResponseReader(max_header_bytes=1000)
    with pytest.raises(BadResponse, match="header block larger than 1000 bytes"):  # never completed
        for _ in range(100):
            reader.feed(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                        if reader.received else b"HTTP/1.1 200 OK\r\n")
    reader = ResponseReader(max_header_bytes=1000)
    with pytest.raises(BadResponse, match="header block larger"):  # endless interim heads count too
        for _ in range(100):
            reader.feed(b"HTTP/1.1 100 Continue\r\n\r\n")
    small = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000
    reader = ResponseReader(max_header_bytes=1000)
    assert reader.feed(small) and reader.response(0.0).body == b"x" * 5000  # a large body is no large head


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_reader_bounds_the_body(framing: str) -> None:
    if framing == "length":
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + b"x" * 3000
    elif framing == "chunked":
        chunk = b"400\r\n" + b"x" * 1024 + b"\r\n"
        answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 3
    else:
        answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 3000
    reader = ResponseReader(max_body_bytes=2048)
    with pytest.raises(BadResponse, match="body larger than 2048 bytes"):
        for i in range(0, len(answer), 500):
            reader.feed(answer[i:i + 500])
    exact = ResponseReader(max_body_bytes=3000)
    assert exact.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + b"x" * 3000)
