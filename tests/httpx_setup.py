"""Setting up the httpx transports the tests create by the hundred, outside what a test times."""

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


_async_warmed = False


async def warm_async_httpx(base_url: str) -> None:
    """One request through httpx's async client, the first time in a process: that first request
    imports anyio's asyncio backend (~35 ms of CPU, a second and more on a loaded machine), which
    otherwise lands inside the first timed call's total deadline (the fault matrix's warm-up call
    ran out of its 1.1 s total with 4 workers on 2 busy cores)."""
    global _async_warmed
    if _async_warmed:
        return
    async with httpx.AsyncClient(verify=shared_tls()) as client:
        await client.get(base_url + "/fapi/v1/ping")
    _async_warmed = True
