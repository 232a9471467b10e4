"""Real loopback servers for the transport tests (127.0.0.1 only): an HTTP/1.1 origin with
scriptable answers (optionally TLS) and a tiny CONNECT / absolute-form forwarding proxy."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httptools

from binance_usdm._http import Timeouts

LOOPBACK = "127.0.0.1"
FAST = Timeouts(connect=2.0, read=2.0, total=5.0)  # the transports' tests: quick deadlines
KEY = "SECRET-API-KEY-VALUE"  # a header value that must never appear in error messages


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]]
    body: bytes
    conn_index: int


@dataclass
class Reply:
    """Send ``data`` (a whole response), then close if ``close`` (FIN) or ``reset`` (RST)."""

    data: bytes
    close: bool = False
    reset: bool = False
    pieces: int = 1  # send in this many parts with a small pause between them


@dataclass
class Hang:
    """Read the request and never answer (until the client closes or the server stops)."""


@dataclass
class CloseNow:
    """Close (FIN) without answering, after sending ``partial`` if any."""

    partial: bytes = b""


Action = Reply | Hang | CloseNow
Handler = Callable[[Request], Action]


def response(
    body: bytes = b'{"ok":true}',
    *,
    status: int = 200,
    headers: list[tuple[str, str]] | None = None,
    close: bool = False,
) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    if close:
        lines.append("Connection: close")
    lines += [f"{k}: {v}" for k, v in headers or []]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked_response(chunks: list[bytes]) -> bytes:
    out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    for c in chunks:
        out += f"{len(c):x}\r\n".encode() + c + b"\r\n"
    return out + b"0\r\n\r\n"


def default_handler(req: Request) -> Action:
    body = f'{{"target":"{req.target}","conn":{req.conn_index},"len":{len(req.body)}}}'.encode()
    return Reply(response(body))


class _Collector:
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


class _ThreadedServer:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(128)
        self.port: int = self.sock.getsockname()[1]
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.connections = 0
        self.closed_connections = 0
        self._socks: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                index = self.connections
                self.connections += 1
                self._socks.append(conn)
            threading.Thread(target=self._serve_wrapper, args=(conn, index), daemon=True).start()

    def _serve_wrapper(self, conn: socket.socket, index: int) -> None:
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

    def stop(self) -> None:
        self.stop_event.set()
        with contextlib.suppress(OSError):
            self.sock.close()
        with self.lock:
            socks = list(self._socks)
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def wait_closed(self, count: int, timeout: float = 2.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if self.closed_connections >= count:
                    return True
            time.sleep(0.005)
        return False


class HttpServer(_ThreadedServer):
    """Loopback HTTP/1.1 server; ``handler`` decides each answer. Counts connections."""

    def __init__(self, handler: Handler = default_handler, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self.handler = handler
        self.ssl_context = ssl_context
        self.requests: list[Request] = []

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    def serve(self, conn: socket.socket, index: int) -> None:
        if self.ssl_context is not None:
            conn.settimeout(5)
            conn = self.ssl_context.wrap_socket(conn, server_side=True)
            conn.settimeout(None)
        collector = _Collector()
        while True:
            data = conn.recv(65536)
            if not data:
                return
            collector.parser.feed_data(data)
            while collector.done:
                method, target, raw, body = collector.done.pop(0)
                req = Request(method, target, {k.lower(): v for k, v in raw}, raw, body, index)
                with self.lock:
                    self.requests.append(req)
                action = self.handler(req)
                if isinstance(action, Hang):  # never answer; notice when the client goes away
                    while conn.recv(65536):
                        pass
                    return
                if isinstance(action, CloseNow):
                    if action.partial:
                        conn.sendall(action.partial)
                    return
                if action.pieces > 1:
                    step = max(1, len(action.data) // action.pieces)
                    for i in range(0, len(action.data), step):
                        conn.sendall(action.data[i : i + step])
                        time.sleep(0.01)
                else:
                    conn.sendall(action.data)
                if action.reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                if action.close:
                    return


class Proxy(_ThreadedServer):
    """CONNECT tunnel + absolute-form forwarder to 127.0.0.1 targets. Records request heads.
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
            assert host == LOOPBACK, "test proxy only forwards to 127.0.0.1"
            upstream = socket.create_connection((host, int(port)))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        else:
            assert target.startswith(f"http://{LOOPBACK}:"), target
            port = target.split(":")[2].split("/")[0]
            upstream = socket.create_connection((LOOPBACK, int(port)))
            upstream.sendall(buf)  # forwarded unchanged (absolute-form is valid for the origin too)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            self._socks.append(upstream)
        t = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
        t.start()
        _pipe(conn, upstream)
        t.join(5)


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
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
    """A loopback port with nothing listening on it."""
    s = socket.socket()
    s.bind((LOOPBACK, 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


@contextlib.contextmanager
def serving(handler: Handler = default_handler, ssl_context: ssl.SSLContext | None = None):  # type: ignore[no-untyped-def]
    server = HttpServer(handler, ssl_context)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def proxying(require_auth: str | None = None):  # type: ignore[no-untyped-def]
    proxy = Proxy(require_auth)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
