"""The tests' one scripted HTTP/1.1 server (real sockets on 127.0.0.1), and a forwarding proxy.

Use it wherever a test needs answers the emulator cannot give (exact bytes, broken connections,
hand-picked Binance payloads, a slow file server) or needs to see exactly what went on the wire::

    from tests.scripted_server import Reply, ScriptedServer

    with ScriptedServer() as server:
        server.route("GET", "/fapi/v2/balance",
                     Reply(429, b'{"code":-1003,"msg":"Too many requests."}', {"Retry-After": "1"}),
                     Reply(body=b"[]"))                  # replies in order; the last one repeats
        ...  # a client with base_url=server.base_url
        assert server.requests[0].params["recvWindow"] == "5000"

How a request is answered: a routed ``(method, path)`` takes its next ``Reply``; any other request goes
to ``handler(request)`` (the constructor's first argument; default: ``not_found``), which returns an
``Action``:

- ``Reply(status, body, headers)``: a JSON answer with Content-Length (``headers`` add to or replace
  the defaults). ``raw=`` sends exact bytes instead (chunked bodies, broken heads); ``delay`` waits
  first; ``pieces``/``pause`` trickle it; ``cut`` sends only that many bytes of the body; then the
  connection closes with ``close`` (FIN, also after a cut) or ``reset`` (RST), else stays open.
- ``Hang()``: read the request and never answer; ``CloseNow(partial)``: send ``partial``, close.

Every request is recorded in ``server.requests`` (method, target, path, query, params, headers, body,
the index of its connection) except those to ``quiet`` paths (e.g. a server-time probe).
``server.connections`` counts accepted connections; ``wait_closed(n)`` waits until n have ended.
``ssl_context=`` serves HTTPS (``make_certs()`` makes a trusted self-signed pair). ``Proxy`` is a
CONNECT / absolute-form forwarder to 127.0.0.1, optionally demanding Basic credentials.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import parse_qsl

import httptools

LOOPBACK = "127.0.0.1"
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Request:
    """One request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]  # names lower-cased
    raw_headers: list[tuple[str, str]]  # as sent, in order
    body: bytes
    conn_index: int  # which accepted connection (0, 1, ...) carried it

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def params(self) -> dict[str, str]:
        """The query string's parameters (the last of repeated names)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))


@dataclass
class Reply:
    """An answer: ``status``, ``body``, ``headers`` (or exact ``raw`` bytes) and how to send it."""

    status: int = 200
    body: bytes = b"{}"
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    delay: float = 0.0  # seconds before answering
    pieces: int = 1  # send in this many parts ...
    pause: float = 0.01  # ... with this many seconds between them
    cut: int | None = None  # send only this many bytes of the body (then close)
    close: bool = False  # close (FIN) after answering
    reset: bool = False  # abort (RST) after answering

    def encode(self, default_headers: Mapping[str, str]) -> bytes:
        """The bytes to send."""
        if self.raw is not None:
            return self.raw
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Unknown"
        headers = {**JSON_HEADERS, **default_headers, **self.headers, "Content-Length": str(len(self.body))}
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        body = self.body if self.cut is None else self.body[: self.cut]
        return f"HTTP/1.1 {self.status} {reason}\r\n{head}\r\n".encode("latin-1") + body


@dataclass
class Hang:
    """Read the request and never answer (until the client closes or the server stops)."""


@dataclass
class CloseNow:
    """Close (FIN) without answering, after sending ``partial`` if any."""

    partial: bytes = b""


Action = Reply | Hang | CloseNow
Handler = Callable[[Request], Action]


def not_found(request: Request) -> Reply:
    """404 in Binance's error shape."""
    return Reply(404, b'{"code":-1000,"msg":"no route"}')


def echo(request: Request) -> Reply:
    """What was asked: the target, the connection's index and the body's length."""
    body = f'{{"target":"{request.target}","conn":{request.conn_index},"len":{len(request.body)}}}'
    return Reply(body=body.encode())


def chunked(chunks: list[bytes], status: int = 200) -> bytes:
    """A whole response with a chunked JSON body (for ``Reply(raw=...)``)."""
    head = f"HTTP/1.1 {status} OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    return head.encode() + b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks) + b"0\r\n\r\n"


class _Parser:
    """Collects the requests of one connection from its bytes."""

    def __init__(self) -> None:
        self.done: list[tuple[str, str, list[tuple[str, str]], bytes]] = []
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body = b""
        self.parser = httptools.HttpRequestParser(self)

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        method = self.parser.get_method().decode()
        self.done.append((method, self._url.decode("latin-1"), self._headers, self._body))
        self._url, self._headers, self._body = b"", [], b""


class _Listener:
    """A listening socket on a free 127.0.0.1 port, a thread per accepted connection."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(128)
        self.port: int = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = 0
        self.closed_connections = 0
        self._socks: list[socket.socket] = []
        self._stopped = False

    def start(self) -> Self:
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else keep-alive waits ~40 ms a call
            with self.lock:
                index = self.connections
                self.connections += 1
                self._socks.append(conn)
            threading.Thread(target=self._serve_and_close, args=(conn, index), daemon=True).start()

    def _serve_and_close(self, conn: socket.socket, index: int) -> None:
        try:
            self.serve(conn, index)
        except (OSError, httptools.HttpParserError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self.lock:
                self.closed_connections += 1

    def serve(self, conn: socket.socket, index: int) -> None:
        raise NotImplementedError

    def keep(self, sock: socket.socket) -> None:
        """Close ``sock`` too when the server stops."""
        with self.lock:
            self._socks.append(sock)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        with self.lock:
            socks, self._socks = self._socks, []
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def wait_closed(self, count: int, timeout: float = 2.0) -> bool:
        """True once ``count`` connections have ended (False after ``timeout`` seconds)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if self.closed_connections >= count:
                    return True
            time.sleep(0.005)
        return False


class ScriptedServer(_Listener):
    """HTTP/1.1 on 127.0.0.1: routed replies, else ``handler``; records requests (module docstring)."""

    def __init__(
        self,
        handler: Handler = not_found,
        *,
        ssl_context: ssl.SSLContext | None = None,
        default_headers: Mapping[str, str] | None = None,
        quiet: Collection[str] = (),
    ) -> None:
        super().__init__()
        self.handler = handler
        self.ssl_context = ssl_context
        self.default_headers = dict(default_headers or {})
        self.quiet = quiet
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[Request] = []

    @property
    def base_url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://{LOOPBACK}:{self.port}"

    def route(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with ``replies`` in order; the last one repeats."""
        self.routes[(method, path)] = list(replies)

    def reset(self) -> None:
        """Forget routes and recorded requests."""
        self.routes.clear()
        self.requests.clear()

    def answer(self, request: Request) -> Action:
        replies = self.routes.get((request.method, request.path))
        if not replies:
            return self.handler(request)
        return replies.pop(0) if len(replies) > 1 else replies[0]

    def serve(self, conn: socket.socket, index: int) -> None:
        if self.ssl_context is not None:
            conn.settimeout(5)
            conn = self.ssl_context.wrap_socket(conn, server_side=True)
            conn.settimeout(None)
        parser = _Parser()
        while data := conn.recv(65536):
            parser.parser.feed_data(data)
            while parser.done:
                method, target, raw, body = parser.done.pop(0)
                request = Request(method, target, {k.lower(): v for k, v in raw}, raw, body, index)
                if request.path not in self.quiet:
                    with self.lock:
                        self.requests.append(request)
                if not self._send(conn, self.answer(request)):
                    return

    def _send(self, conn: socket.socket, action: Action) -> bool:
        """Carry out ``action``; False when the connection is to end."""
        if isinstance(action, Hang):  # never answer; notice when the client goes away
            while conn.recv(65536):
                pass
            return False
        if isinstance(action, CloseNow):
            if action.partial:
                conn.sendall(action.partial)
            return False
        if action.delay:
            time.sleep(action.delay)
        data = action.encode(self.default_headers)
        step = max(1, -(-len(data) // action.pieces))
        for start in range(0, len(data), step):
            if start:
                time.sleep(action.pause)
            conn.sendall(data[start : start + step])
        if action.reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return False
        return not (action.close or action.cut is not None)


class Proxy(_Listener):
    """CONNECT tunnel + absolute-form forwarder to 127.0.0.1 targets; records request heads.
    With ``require_auth`` set (a ``Basic ...`` value), other credentials get 407."""

    def __init__(self, require_auth: str | None = None) -> None:
        super().__init__()
        self.require_auth = require_auth
        self.heads: list[tuple[str, dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def serve(self, conn: socket.socket, index: int) -> None:
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        with self.lock:
            self.heads.append((lines[0], headers))
        if self.require_auth is not None and headers.get("proxy-authorization") != self.require_auth:
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            return
        method, target, _ = lines[0].split(" ", 2)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            assert host == LOOPBACK, "the test proxy only forwards to 127.0.0.1"
            upstream = socket.create_connection((host, int(port)))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        else:
            assert target.startswith(f"http://{LOOPBACK}:"), target
            upstream = socket.create_connection((LOOPBACK, int(target.split(":")[2].split("/")[0])))
            upstream.sendall(buf)  # forwarded unchanged (absolute-form is valid for the origin too)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.keep(upstream)
        back = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
        back.start()
        _pipe(conn, upstream)
        back.join(5)


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@dataclass
class Certs:
    cert_pem: bytes
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext
    files: list[Path] = field(default_factory=list)


def make_certs() -> Certs:
    """A self-signed certificate for 127.0.0.1 / localhost, and contexts using it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "binance-usdm test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = Path(tempfile.mkdtemp(prefix="usdm-tls-"))
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return Certs(cert_pem, server, client, [cert_file, key_file])


def free_port() -> int:
    """A 127.0.0.1 port with nothing listening on it."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
    return port
