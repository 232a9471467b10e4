"""A loopback HTTP server that records requests and answers Binance-shaped canned JSON.

It lets client tests check exactly what goes on the wire and how documented answers parse,
independently of our emulator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from tests.loopback import LoopbackServer, QuietHandler


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class StubServer:
    """Routes (method, path) to a list of replies (the last one repeats)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[Recorded] = []
        self.server_time_offset_ms = 0
        stub = self

        class Handler(QuietHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                key = (self.command, split.path)
                if key == ("GET", "/fapi/v1/time") and key not in stub.routes:
                    now = int(time.time() * 1000) + stub.server_time_offset_ms
                    reply = Reply(body=b'{"serverTime":%d}' % now)
                else:
                    stub.requests.append(
                        Recorded(self.command, split.path, split.query,
                                 {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    replies = stub.routes.get(key) or [Reply(404, b'{"code":-1000,"msg":"no route"}')]
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", "X-MBX-USED-WEIGHT-1M": "7", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._loopback = LoopbackServer(Handler)

    @property
    def base_url(self) -> str:
        return self._loopback.base_url

    def route(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)] = list(replies)

    def reset(self) -> None:
        self.routes.clear()
        self.requests.clear()
        self.server_time_offset_ms = 0

    def start(self) -> StubServer:
        self._loopback.start_serving()
        return self

    def stop(self) -> None:
        self._loopback.stop()
