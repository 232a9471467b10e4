"""Where the user data stream of a REST base URL lives, and how a listen key is put in its URL.

- Live: ``wss://fstream.binance.com``. Binance routes USD-M websockets by kind since 2026; user data
  goes to ``/private`` (``/private/ws/<listenKey>``), and the legacy ``/ws/<listenKey>`` route is
  retired. https://developers.binance.info/docs/derivatives/usds-margined-futures/websocket-market-streams
  and the announcement https://www.binance.bh/en/square/post/298583706254802
- Testnet: ``wss://fstream.binancefuture.com/ws/<listenKey>`` (the testnet keeps the legacy route).
- Any other base URL (the emulator, a proxy): ``ws://`` from ``http://``, ``wss://`` from ``https://``,
  same host, port and path prefix, ``/private`` route.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from binance_usdm.errors import ValidationError

Route = Literal["private", "legacy"]

LIVE_REST_URL = "https://fapi.binance.com"
LIVE_STREAM_URL = "wss://fstream.binance.com"
TESTNET_REST_URL = "https://testnet.binancefuture.com"
TESTNET_STREAM_URL = "wss://fstream.binancefuture.com"

_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def stream_base(rest_base_url: str) -> str:
    """The websocket base URL that serves the user data stream of ``rest_base_url``."""
    url = rest_base_url.rstrip("/")
    if url == LIVE_REST_URL:
        return LIVE_STREAM_URL
    if url == TESTNET_REST_URL:
        return TESTNET_STREAM_URL
    parts = urlsplit(url)
    scheme = _SCHEMES.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValidationError("base_url", f"cannot derive a websocket URL from {rest_base_url!r}")
    return f"{scheme}://{parts.netloc}{parts.path}"


def default_route(base: str) -> Route:
    """``legacy`` on the testnet (which has no ``/private`` route), ``private`` everywhere else."""
    return "legacy" if base == TESTNET_STREAM_URL else "private"


def stream_url(base: str, listen_key: str, route: Route) -> str:
    """The URL of one listen key's stream. Contains the key: never log or show it (``shown_url``)."""
    prefix = "/private" if route == "private" else ""
    return f"{base}{prefix}/ws/{listen_key}"


def shown_url(base: str, route: Route) -> str:
    """The stream URL as it may be shown: the listen key redacted."""
    return stream_url(base, "<listenKey>", route)
