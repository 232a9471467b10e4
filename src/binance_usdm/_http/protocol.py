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

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import httptools
import msgspec

from binance_usdm._version import __version__
from binance_usdm._wire.types import HttpRequest, HttpResponse, Limits
from binance_usdm._wire.urls import Origin, ProxyConfig
from binance_usdm.errors import ValidationError

from .headers import Headers
from .proxy_env import proxy_for

if TYPE_CHECKING:
    import ssl

# No head yet (identity-tested: a response without headers gets its own empty Headers).
_NO_HEADERS: Final = Headers()

__all__ = [
    "RECV_SIZE",
    "USER_AGENT",
    "BadResponse",
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
_DEFAULT_LIMITS: Final = Limits()

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
    the environment's (HTTPS_PROXY / HTTP_PROXY by the origin's scheme, else ALL_PROXY, honouring
    NO_PROXY). Loopback origins (the local emulator) never go through an environment proxy.

    Only ``http://`` proxies are supported: any other scheme (``https://``, ``socks5://``) is a
    ``ValidationError`` naming where it came from, never a silent direct connection."""
    if proxy is not None:
        try:
            return ProxyConfig.parse(proxy) if proxy else None
        except ValueError as exc:  # the message never repeats the URL (it may hold a password)
            raise ValidationError("proxy", str(exc)) from None
    if origin.is_loopback:
        return None
    name, url = proxy_for(origin.scheme, origin.host)
    if url is None:
        return None
    try:
        return ProxyConfig.parse(url)
    except ValueError as exc:
        raise ValidationError(
            "proxy", f"{name.upper()}_PROXY in the environment: {exc} (proxy='' ignores the environment)"
        ) from None


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The TLS context of every client not given ``ssl_context=``: verification on, trusting the
    certificate authorities of ``certifi`` (a declared dependency: Mozilla's list, which Binance's
    certificates chain to), ALPN ``http/1.1``.

    Built once per process and shared (loading the CA bundle costs ~10-20 ms of CPU; a context is
    safe to share between threads and event loops): never modify it, pass your own ``ssl_context=``.

    One source of trust on every machine: the operating system's store differs between machines
    and is missing for OpenSSL on some (python.org's macOS builds, slim containers without
    ca-certificates), so the same client verified or failed depending on where it ran. For a
    private CA, a TLS-inspecting corporate proxy or the system's store, pass ``ssl_context=``
    (``ssl.create_default_context()`` is the system's)."""
    import ssl

    import certifi

    ctx = ssl.create_default_context(cafile=certifi.where())
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class Destination(msgspec.Struct, frozen=True):
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



class PooledTransport:
    """What both of our transports set up alike: the route to one origin (``Destination``), the
    answer limits and the pool's counts; ``_setup`` adds a transport's own state (its connections,
    locks or event loop)."""

    DEFAULT_MAX_CONNECTIONS = 50

    def __init__(
        self,
        base_url: str,
        *,
        proxy: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        limits: Limits | None = None,
    ) -> None:
        route = Destination.resolve(base_url, proxy, ssl_context, max_connections)
        limits = limits or Limits()
        self._limits = (limits.max_header_bytes, limits.max_body_bytes)
        self._idle_timeout = limits.idle_timeout
        self._origin, self._proxy, self._encoder = route.origin, route.proxy, route.encoder
        self._ssl = route.tls_context
        self._authority = route.origin.authority
        self._max = max_connections
        self._open = 0
        self._closed = False
        self._setup()

    def _setup(self) -> None:
        raise NotImplementedError

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
        # one attribute, so threads sharing the encoder never see a tuple paired with another's lines
        self._last = _HeadLines((), self._fixed)

    def encode(self, request: HttpRequest) -> bytes:
        method = request.method
        target = request.target
        body = request.body
        # the target is the only part not checked before: no line breaks, spaces or non-ASCII
        if not target.isascii() or "\n" in target or "\r" in target or " " in target or target[:1] != "/":
            raise ValidationError("target", "must start with '/' and contain no spaces, line breaks or non-ASCII")
        if method not in _METHODS:
            raise ValidationError("method", f"{method!r} is not supported by this transport")
        # after the checks: nothing can raise while ``lines`` (with the API key) is a local
        last = self._last
        headers = request.headers
        lines = last.lines if headers is last.headers else self._header_lines(headers)
        if body or method not in _NO_BODY_METHODS:
            head = f"{method} {self._prefix}{target} HTTP/1.1\r\n{lines}Content-Length: {len(body)}\r\n\r\n"
            return head.encode() + body if body else head.encode()
        return f"{method} {self._prefix}{target} HTTP/1.1\r\n{lines}\r\n".encode()

    def _header_lines(self, headers: Sequence[tuple[str, str]]) -> str:
        """The fixed lines plus the caller's, checked (kept for next time when ``headers`` is a tuple)."""
        fixed = self._fixed
        for name, value in headers:  # every pair checked before any line holds a value
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
        lines = fixed + "".join([f"{name}: {value}\r\n" for name, value in headers])
        if isinstance(headers, tuple):
            self._last = _HeadLines(headers, lines)
        return lines


class _HeadLines:
    """A header tuple and its head lines. The lines hold the API key: this object's repr (the
    default one) never shows them, where a tuple's would."""

    __slots__ = ("headers", "lines")

    def __init__(self, headers: Sequence[tuple[str, str]], lines: str) -> None:
        self.headers = headers
        self.lines = lines


class BadResponse(Exception):
    """The bytes received are not an HTTP/1.1 answer this client takes; the message says why."""


class ResponseReader:
    """Collects one HTTP response at a time from bytes fed in any split.

    One reader (and one httptools parser) lives as long as its connection. After :meth:`feed`
    returns True, :meth:`response` hands out the response and readies the reader for the next one;
    the connection may be reused if ``keep_alive`` and not ``extra``.

    No per-header callback: the bytes received until the head is complete are handed to
    :class:`~binance_usdm._http.headers.Headers`, which cuts the header block out of them when it
    is first read. httptools still validates the head and frames the body.

    Bounded: a header block over ``max_header_bytes`` (1xx heads before it included) or a body
    over ``max_body_bytes`` is refused, as are a ``101 Switching Protocols`` (this client never asks
    for an upgrade) and a status below 100 (``000`` is no HTTP status).
    """

    __slots__ = (
        "check_at", "chunks", "complete", "extra", "head", "headers", "interim", "keep_alive", "max_body",
        "max_head", "parser", "size", "status",
    )

    def __init__(
        self,
        max_header_bytes: int = _DEFAULT_LIMITS.max_header_bytes,
        max_body_bytes: int = _DEFAULT_LIMITS.max_body_bytes,
    ) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.max_head = max_header_bytes
        self.max_body = max_body_bytes
        self.check_at = min(max_header_bytes, max_body_bytes)  # sizes are checked past this many bytes
        self.headers = _NO_HEADERS
        self.head: list[bytes] = []  # bytes received while the head was incomplete
        self.chunks: list[bytes] = []
        self.size = 0  # bytes of this response received so far
        self.status = 0
        self.interim = 0  # 1xx heads received before the response's own
        self.complete = False
        self.keep_alive = False
        self.extra = False

    @property
    def received(self) -> bool:
        """Whether any byte of the answer arrived."""
        return bool(self.head)

    # httptools callbacks (a BadResponse raised here comes out of feed_data as the context of
    # httptools' HttpParserCallbackError) -----------------------------------------------------
    def on_message_begin(self) -> None:
        if self.complete:  # bytes after the response: the connection is out of step
            self.extra = True

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:
            if status < 100:
                raise BadResponse(f"status {status:03d} is not an HTTP status")
            if status == 101:
                raise BadResponse("unexpected 101 Switching Protocols (no upgrade was asked for)")
            self.interim += 1  # 1xx interim response: the real one follows
            return
        head = self.head
        headers = self.headers = Headers.in_message(head[0] if len(head) == 1 else b"".join(head), self.interim)
        if self.size > self.max_head and len(headers.raw) > self.max_head:
            raise BadResponse(f"header block larger than {self.max_head} bytes")

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

        Raises :class:`BadResponse` on malformed or oversized input (before completion); bytes
        after a complete response only mark the connection unusable (``extra``).
        """
        if self.headers is _NO_HEADERS:  # still in the head: keep the bytes for cutting it out
            self.head.append(data)
        size = self.size = self.size + len(data)
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            if self.complete:
                self.extra = True
                return True
            cause = exc.__context__
            if isinstance(cause, BadResponse):
                raise cause from None
            if isinstance(exc, httptools.HttpParserUpgrade):
                raise BadResponse("the server switched protocols (Upgrade) instead of answering") from None
            raise BadResponse(str(exc) or type(exc).__name__) from None
        if size > self.check_at:  # the head or the body may be over its bound
            self._check_size()
        return self.complete

    def _check_size(self) -> None:
        if self.headers is _NO_HEADERS and not self.complete:
            raise BadResponse(f"header block larger than {self.max_head} bytes")
        if sum(map(len, self.chunks)) > self.max_body:
            raise BadResponse(f"body larger than {self.max_body} bytes")

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
        self.size = 0
        self.interim = 0
        self.complete = False
        return response
