"""The lazy response headers: same answers as a dict built from httptools' header callbacks."""

from __future__ import annotations

import pickle

import httptools
import pytest

from binance_usdm._http.headers import Headers
from binance_usdm._http.protocol import ResponseReader

RAW = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nA:  x y  \r\nB:\t\tz\t\r\nEmpty:\r\n"
    b"Set-Cookie: a=1\r\nX-MBX-USED-WEIGHT-1M: 7\r\nLatin: \xe9\r\nset-cookie: b=2\r\n"
    b"Content-Length: 2\r\n\r\nhi"
)


class _Collect:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text


def _expected(raw: bytes) -> dict[str, str]:
    collect = _Collect()
    collect.parser.feed_data(raw)
    return collect.headers


def _read(raw: bytes, split: int) -> Headers:
    reader = ResponseReader()
    assert not reader.feed(raw[:split]) or split == len(raw)
    assert reader.feed(raw[split:]) if split < len(raw) else True
    headers = reader.response(0.0).headers
    assert isinstance(headers, Headers)
    return headers


@pytest.mark.parametrize("split", [1, 17, 60, 120, len(RAW) - 2, len(RAW)])
def test_same_as_callbacks_in_any_split(split: int) -> None:
    expected = _expected(RAW)
    headers = _read(RAW, split)
    for name, value in expected.items():  # single lookups, before any full parse
        assert headers.get(name) == value
        assert headers.get(name.upper()) == value
        assert name in headers
    assert headers.get("missing") is None and headers.get("missing", "?") == "?"
    assert "missing" not in headers and 3 not in headers
    assert dict(headers) == expected and list(headers) == list(expected) and len(headers) == len(expected)
    assert headers == expected and headers["set-cookie"] == "a=1, b=2"
    with pytest.raises(KeyError):
        headers["missing"]


def test_repeated_header_before_full_parse() -> None:
    assert _read(RAW, len(RAW)).get("Set-Cookie") == "a=1, b=2"


def test_interim_response_heads_are_skipped() -> None:
    raw = b"HTTP/1.1 100 Continue\r\nQ: 1\r\n\r\nHTTP/1.1 200 OK\r\nX: 2\r\nContent-Length: 0\r\n\r\n"
    for split in range(1, len(raw)):
        headers = _read(raw, split)
        assert dict(headers) == {"x": "2", "content-length": "0"}


def test_no_headers_and_pickle() -> None:
    headers = _read(b"HTTP/1.1 204 No Content\r\n\r\n", 10)
    assert dict(headers) == {} and headers.get("x") is None
    full = _read(RAW, len(RAW))
    assert pickle.loads(pickle.dumps(full)) == full  # noqa: S301 - our own bytes
    assert Headers.from_pairs({"Retry-After": "3"}).get("retry-after") == "3"


@pytest.mark.parametrize("body_size", [10, 5000, 70_000])
def test_headers_of_small_and_large_answers(body_size: int) -> None:
    """Small answers keep their bytes and cut the block on first use; large ones cut it at once."""
    body = b"x" * body_size
    raw = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-MBX-USED-WEIGHT-1M: 9\r\n"
           b"Content-Length: " + str(body_size).encode() + b"\r\n\r\n" + body)
    for split in (len(raw), 40, 4000):
        headers = _read(raw, min(split, len(raw)))
        assert headers.get("x-mbx-used-weight-1m") == "9"
        assert headers.raw == b"\r\nX-MBX-USED-WEIGHT-1M: 9\r\nContent-Length: " + str(body_size).encode() + b"\r\n"
        assert dict(headers) == {"x-mbx-used-weight-1m": "9", "content-length": str(body_size)}
        assert pickle.loads(pickle.dumps(headers)) == headers  # noqa: S301 - our own bytes
