"""One HTTP exchange as the request pipeline sees it: the parsed request and the answer to write."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING

import msgspec

from .errors import Rejection

if TYPE_CHECKING:
    from .api import Route

#: A streamed answer: started with the connection's writer once the head is written; returns the
#: function that stops it (called when the connection closes).
Stream = Callable[[Callable[[bytes], None]], Callable[[], None]]


class RawRequest(msgspec.Struct, gc=False):
    """One parsed HTTP request. (Structs rather than dataclasses here: one of each is made per request,
    and a struct is made in C, a dataclass by a Python `__init__`.)"""

    method: str
    path: str
    query: str
    body: bytes
    headers: dict[str, str]
    client_ip: str
    #: `http://host:port` the connection was accepted on (what links point to; never the Host header).
    origin: str = "http://127.0.0.1"
    #: The Binance route of the method and path, looked up once by the front end (None: not a Binance path).
    route: Route | None = None


class Response(msgspec.Struct, gc=False):
    """One HTTP answer. `drop`, `cut` and `reset` exist for fault injection (`faults`): `drop` writes
    nothing, `cut` writes the head and only the first `cut` body bytes, and either then closes the
    connection (with a TCP reset when `reset`). With `stream` the body is not sent: the head goes
    without a length and the stream writes until the connection closes (server-sent events)."""

    status: int
    body: bytes
    #: The minute's used weight, sent as `X-MBX-USED-WEIGHT-1M` before `headers` (a success's only
    #: header: no dict of its own).
    used_weight: int | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    drop: bool = False
    cut: int | None = None
    reset: bool = False
    stream: Stream | None = None

    @classmethod
    def rejection(cls, exc: Rejection) -> Response:
        """The answer of a refused request: Binance's error body, status and headers."""
        return cls(exc.status, exc.body(), headers=dict(exc.headers))

    @classmethod
    def gateway_page(cls, status: int) -> Response:
        """A front end's (nginx-like) text/html error page, as gateways answer before the API runs."""
        try:
            title = f"{status} {HTTPStatus(status).phrase}"
        except ValueError:
            title = f"{status} Error"
        page = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n").encode()
        return cls(status, page, content_type="text/html")
