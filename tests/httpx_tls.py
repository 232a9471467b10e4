"""One TLS context for the httpx transports the tests create by the hundred."""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def shared_tls() -> ssl.SSLContext:
    """httpx's default context (certifi's CA bundle), made once per process: each httpx client made
    without one loads the bundle again, about 30 ms of CPU, and the suite makes hundreds of them.
    Pass it as ``verify=``."""
    return httpx.create_ssl_context()
