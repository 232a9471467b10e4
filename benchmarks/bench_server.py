"""The benchmark's HTTP/1.1 keep-alive server: raw asyncio + httptools, TCP_NODELAY, uvloop if present.

Answers Binance-shaped JSON by path (query string and body ignored, nothing verified) with a
realistic set of response headers. Run as ``python bench_server.py [--port N]``: prints
``READY <port>`` once listening and serves until its standard input closes (or SIGTERM/SIGINT).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
import time
from pathlib import Path

import httptools
import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_payloads as payloads

_HEADERS = (
    "Content-Type: application/json\r\n"
    "Connection: keep-alive\r\n"
    "Date: Tue, 24 Nov 2026 10:00:00 GMT\r\n"
    "Server: Tengine\r\n"
    "Vary: Accept-Encoding\r\n"
    "x-mbx-used-weight-1m: 5\r\n"
    "x-response-time: 2ms\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Strict-Transport-Security: max-age=31536000; includeSubdomains\r\n"
    "X-Cache: Miss from cloudfront\r\n"
    "Via: 1.1 0a1b2c3d4e5f60718293a4b5c6d7e8f9.cloudfront.net (CloudFront)\r\n"
    "X-Amz-Cf-Pop: NRT57-P3\r\n"
    "X-Amz-Cf-Id: wQ3yq2q0cE9Hc7Yz1nHq3VhE0f8J2Xl1vH7mZ1v9b6Ck3n2uXyQ==\r\n"
)


def _response(body: bytes, status: str = "200 OK") -> bytes:
    head = f"HTTP/1.1 {status}\r\n{_HEADERS}Content-Length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


ACCOUNT_BODY = payloads.account_body()
ROUTES: dict[bytes, bytes] = {
    b"/fapi/v2/account": _response(ACCOUNT_BODY),
    # binance-futures-connector's account() calls v3: the same body keeps the comparison fair
    b"/fapi/v3/account": _response(ACCOUNT_BODY),
    b"/fapi/v1/leverage": _response(payloads.LEVERAGE_BODY),
    b"/fapi/v1/ping": _response(payloads.PING_BODY),
    b"/api/v3/ping": _response(payloads.PING_BODY),
    b"/fapi/v1/ping/": _response(payloads.PING_BODY),
}
NOT_FOUND = _response(payloads.NOT_FOUND_BODY, "404 Not Found")
TIME_PATHS = (b"/fapi/v1/time", b"/api/v3/time")  # python-binance's AsyncClient.create() reads the spot one


_BUFFER = memoryview(bytearray(65536))  # shared: httptools copies what it hands out before the next read


class HttpConnection(asyncio.BufferedProtocol):
    """A keep-alive connection: httptools parses what arrives in the shared buffer; each request's
    answer is `respond`'s bytes (also `lean_handler.py`'s connections)."""

    __slots__ = ("parser", "transport", "url")

    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _BUFFER

    def buffer_updated(self, nbytes: int) -> None:
        try:
            self.parser.feed_data(_BUFFER[:nbytes])
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_message_begin(self) -> None:
        self.url = b""

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_message_complete(self) -> None:
        transport = self.transport
        if transport is None:
            return
        transport.write(self.respond())
        if not self.parser.should_keep_alive():
            transport.close()

    def respond(self) -> bytes:
        """The answer to the request just parsed."""
        raise NotImplementedError


class _Connection(HttpConnection):
    """Answers by path alone (the query string and body are ignored)."""

    __slots__ = ()

    def respond(self) -> bytes:
        path = self.url.partition(b"?")[0]
        answer = ROUTES.get(path)
        if answer is None and path in TIME_PATHS:
            answer = _response(b'{"serverTime":%d}' % int(time.time() * 1000))
        elif answer is None:
            answer = NOT_FOUND
        return answer


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Connection, "127.0.0.1", port, backlog=512)
    bound = server.sockets[0].getsockname()[1]
    print(f"READY {bound}", flush=True)
    stop = loop.create_future()

    def _stop() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, _stop)
    # The parent keeps our stdin open; when it goes away (even killed), stop serving.
    with contextlib.suppress(Exception):
        await loop.connect_read_pipe(lambda: _StdinWatch(_stop), sys.stdin)
    await stop
    server.close()


class _StdinWatch(asyncio.Protocol):
    def __init__(self, on_close: object) -> None:
        self.on_close = on_close

    def connection_lost(self, exc: Exception | None) -> None:
        self.on_close()  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args()
    if not args.no_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            uvloop.run(serve(args.port))
            return
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    script_entry.run(main)
