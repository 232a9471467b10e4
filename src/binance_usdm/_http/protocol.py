"""Sans-I/O HTTP/1.1 core shared by the sync and async transports.

No sockets and no event loop here: :class:`RequestEncoder`
turns an :class:`~binance_usdm._wire.types.HttpRequest` into wire bytes (with everything that does
not change per call encoded once), :class:`ResponseReader` wraps ``httptools.HttpResponseParser``
and collects one response at a time from incrementally fed bytes, and :func:`resolve_proxy` picks
the HTTP proxy (explicit or from the environment). :class:`~binance_usdm._wire.urls.Origin` and
:class:`~binance_usdm._wire.urls.ProxyConfig` (the parsed URLs) come from ``_wire.urls``.

Messages produced here never contain header values: the API key travels in a header.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import httptools

from binance_usdm._version import __version__
from binance_usdm._wire.types import HttpRequest, HttpResponse
from binance_usdm._wire.urls import Origin, ProxyConfig
from binance_usdm.errors import ValidationError

from .headers import Headers

# No head yet (identity-tested: a response without headers gets its own empty Headers).
_NO_HEADERS: Final = Headers()

__all__ = [
    "RECV_SIZE",
    "USER_AGENT",
    "Origin",
    "ProxyConfig",
    "RequestEncoder",
    "ResponseReader",
    "build_connect_request",
    "default_ssl_context",
    "parse_connect_response",
    "resolve_proxy",
]


USER_AGENT: Final = f"binance-usdm/{__version__}"
# Bytes asked of the socket per read (below glibc's mmap threshold: served from the heap).
RECV_SIZE: Final = 65536

# Headers the transport owns; a caller may override only User-Agent.
_RESERVED: Final = frozenset({"host", "content-length", "connection", "transfer-encoding"})
# Methods for which an empty body is sent without Content-Length.
_NO_BODY_METHODS: Final = frozenset({"GET", "OPTIONS", "TRACE"})
# HEAD responses carry no body despite Content-Length (not supported); CONNECT is the proxy's business.
_METHODS: Final = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"})
# RFC 9110 token characters: what a header name may be made of.
_TOKEN: Final = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def resolve_proxy(origin: Origin, proxy: str | None) -> ProxyConfig | None:
    """The proxy to use: ``proxy`` if given (``""`` means none, ignoring the environment), else
    the environment's (HTTPS_PROXY / HTTP_PROXY, honouring NO_PROXY). Loopback origins (the local
    emulator) never go through an environment proxy."""
    if proxy is not None:
        return ProxyConfig.parse(proxy) if proxy else None
    from urllib.request import getproxies, proxy_bypass  # costs ~15 ms to import: only when needed

    env = getproxies()
    url = env.get(origin.scheme)
    if not url or origin.is_loopback or proxy_bypass(origin.host):
        return None
    return ProxyConfig.parse(url)


def default_ssl_context() -> ssl.SSLContext:
    """Verification on, trusting certifi's bundle if installed, else the system's."""
    try:
        import certifi
    except ImportError:
        ctx = ssl.create_default_context()
    else:
        ctx = ssl.create_default_context(cafile=certifi.where())
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a transport sends: the origin, the proxy in between (if any), the TLS context (https)
    and the request encoder for that route."""

    origin: Origin
    proxy: ProxyConfig | None
    tls_context: ssl.SSLContext | None
    encoder: RequestEncoder

    @classmethod
    def resolve(
        cls, base_url: str, proxy: str | None, ssl_context: ssl.SSLContext | None, max_connections: int
    ) -> Destination:
        """Check a transport's arguments and work out its route."""
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        origin = Origin.parse(base_url)
        route = resolve_proxy(origin, proxy)
        context = (ssl_context if ssl_context is not None else default_ssl_context()) if origin.tls else None
        return cls(origin, route, context, RequestEncoder(origin, route))


def build_connect_request(origin: Origin, proxy: ProxyConfig) -> bytes:
    lines = [f"CONNECT {origin.authority} HTTP/1.1", f"Host: {origin.authority}", f"User-Agent: {USER_AGENT}"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_connect_response(head: bytes) -> int:
    """The status code of a proxy's answer to CONNECT (``head`` ends with the blank line)."""
    status_line = head.split(b"\r\n", 1)[0]
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return 0
    return int(parts[1])


class RequestEncoder:
    """Serialises requests for one origin; the fixed part of every head is encoded once.

    A request's header pairs are checked and turned into head lines once per tuple: the last tuple
    seen and its lines are kept, so a client sending the same tuple on every call pays nothing.
    """

    __slots__ = ("_fixed", "_fixed_no_ua", "_last", "_prefix")

    def __init__(self, origin: Origin, proxy: ProxyConfig | None = None) -> None:
        fixed = f"Host: {origin.host_header}\r\n"
        if proxy is not None and not origin.tls:
            # Plain HTTP through a proxy: absolute-form targets, credentials on every request.
            self._prefix = f"{origin.scheme}://{origin.host_header}{origin.base_path}"
            if proxy.authorization:
                fixed += f"Proxy-Authorization: {proxy.authorization}\r\n"
        else:
            self._prefix = origin.base_path
        fixed += "Connection: keep-alive\r\n"
        self._fixed_no_ua = fixed
        self._fixed = f"{fixed}User-Agent: {USER_AGENT}\r\n"
        # (header tuple, its lines): one attribute, so threads sharing the encoder never see a
        # tuple paired with another tuple's lines
        self._last: tuple[object, str] = ((), self._fixed)

    def encode(self, request: HttpRequest) -> bytes:
        method = request.method
        target = request.target
        headers = request.headers
        body = request.body
        last = self._last
        lines = last[1] if headers is last[0] else self._header_lines(headers)
        # the target is the only part not checked before: no line breaks, spaces or non-ASCII
        if not target.isascii() or "\n" in target or "\r" in target or " " in target or target[:1] != "/":
            raise ValidationError("target", "must start with '/' and contain no spaces, line breaks or non-ASCII")
        if method not in _METHODS:
            raise ValidationError("method", f"{method!r} is not supported by this transport")
        if body or method not in _NO_BODY_METHODS:
            head = f"{method} {self._prefix}{target} HTTP/1.1\r\n{lines}Content-Length: {len(body)}\r\n\r\n"
            return head.encode() + body if body else head.encode()
        return f"{method} {self._prefix}{target} HTTP/1.1\r\n{lines}\r\n".encode()

    def _header_lines(self, headers: Sequence[tuple[str, str]]) -> str:
        """The fixed lines plus the caller's, checked (kept for next time when ``headers`` is a tuple)."""
        fixed = self._fixed
        custom = []
        for name, value in headers:
            if not name or not _TOKEN.issuperset(name):
                raise ValidationError("headers", "a header name must be a non-empty HTTP token")
            if "\r" in value or "\n" in value or not value.isascii():
                # Never echo names or values: the API key travels in a header.
                raise ValidationError("headers", "a header value must be ASCII text without line breaks")
            lname = name.lower()
            if lname in _RESERVED:
                raise ValidationError("headers", f"{name!r} is set by the transport")
            if lname == "user-agent":  # the caller's User-Agent replaces ours
                fixed = self._fixed_no_ua
            custom.append(f"{name}: {value}\r\n")
        lines = fixed + "".join(custom)
        if isinstance(headers, tuple):
            self._last = (headers, lines)
        return lines


class ResponseReader:
    """Collects one HTTP response at a time from bytes fed in any split.

    One reader (and one httptools parser) lives as long as its connection. After :meth:`feed`
    returns True, :meth:`response` hands out the response and readies the reader for the next one;
    the connection may be reused if ``keep_alive`` and not ``extra``.

    No per-header callback: the bytes received until the head is complete are handed to
    :class:`~binance_usdm._http.headers.Headers`, which cuts the header block out of them when it
    is first read. httptools still validates the head and frames the body.
    """

    __slots__ = ("chunks", "complete", "extra", "head", "headers", "interim", "keep_alive", "parser", "status")

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers = _NO_HEADERS
        self.head: list[bytes] = []  # bytes received while the head was incomplete
        self.chunks: list[bytes] = []
        self.status = 0
        self.interim = 0  # 1xx heads received before the response's own
        self.complete = False
        self.keep_alive = False
        self.extra = False

    @property
    def received(self) -> bool:
        """Whether any byte of the answer arrived."""
        return bool(self.head)

    # httptools callbacks -------------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.complete:  # bytes after the response: the connection is out of step
            self.extra = True

    def on_headers_complete(self) -> None:
        if self.parser.get_status_code() < 200:  # 1xx interim response: the real one follows
            self.interim += 1
            return
        head = self.head
        self.headers = Headers.in_message(head[0] if len(head) == 1 else b"".join(head), self.interim)

    def on_body(self, data: bytes) -> None:
        self.chunks.append(data)

    def on_message_complete(self) -> None:
        parser = self.parser
        status = parser.get_status_code()
        if status < 200:  # 1xx interim response (no body): the real one follows
            self.chunks = []
            return
        self.status = status
        self.keep_alive = parser.should_keep_alive()
        self.complete = True

    # driving ---------------------------------------------------------------------------------
    def feed(self, data: bytes) -> bool:
        """Feed received bytes; True once the response is complete.

        Raises ``httptools.HttpParserError`` on malformed input (before completion).
        """
        if self.headers is _NO_HEADERS:  # still in the head: keep the bytes for cutting it out
            self.head.append(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if not self.complete:
                raise
            self.extra = True
        return self.complete

    def feed_eof(self) -> bool:
        """The peer closed. True if that completes a response delimited by the connection close."""
        if self.complete:
            return True
        headers = self.headers
        if headers is not _NO_HEADERS and "content-length" not in headers and "transfer-encoding" not in headers:
            self.status = self.parser.get_status_code()
            self.keep_alive = False
            self.complete = True
            return True
        return False

    def response(self, elapsed: float) -> HttpResponse:
        """The completed response; the reader starts over for the next one (``status``,
        ``keep_alive`` and ``extra`` stay until then)."""
        chunks = self.chunks
        response = HttpResponse(self.status, self.headers, chunks[0] if len(chunks) == 1 else b"".join(chunks), elapsed)
        self.headers = _NO_HEADERS
        self.head = []
        self.chunks = []
        self.interim = 0
        self.complete = False
        return response
