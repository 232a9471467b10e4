from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, RetryPolicy, WebCallResult
from binance_usdm.httpx_transport import AsyncHttpxTransport, HttpxTransport
from tests.httpx_setup import shared_tls
from tests.scripted_server import Reply, Request, ScriptedServer, not_found

API_KEY = "stubKey0123456789stubKey0123456789stubKey0123456789stubKey012345"
API_SECRET = "stubSecret0123456789stubSecret0123456789stubSecret0123456789ab"

Caller = Callable[..., WebCallResult[Any]]


class ServerTime:
    """The stub's fallback: ``GET /fapi/v1/time`` on the local clock plus ``offset_ms``, else 404."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def __call__(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == "/fapi/v1/time":
            return Reply(body=b'{"serverTime":%d}' % (time.time() * 1000 + self.offset_ms))
        return not_found(request)


@pytest.fixture(scope="session")
def _stub_server() -> Iterator[ScriptedServer]:
    # every answer carries a used-weight count, as Binance's do; the time probes are not recorded
    with ScriptedServer(ServerTime(), default_headers={"X-MBX-USED-WEIGHT-1M": "7"},
                        quiet={"/fapi/v1/time"}) as server:
        yield server


@pytest.fixture
def server_time(_stub_server: ScriptedServer) -> ServerTime:
    """The stub's server clock: set ``offset_ms`` to put it ahead of or behind ours."""
    handler = _stub_server.handler
    assert isinstance(handler, ServerTime)
    return handler


@pytest.fixture
def stub(_stub_server: ScriptedServer, server_time: ServerTime) -> ScriptedServer:
    """A recording server for Binance-shaped canned answers (``stub.route``), reset for each test."""
    _stub_server.reset()
    server_time.offset_ms = 0
    return _stub_server


#: The clients and transports every client test runs through: ours, and the httpx adapters (the same
#: conformance tests for any implementation of the transport contract).
KINDS = ["sync", "async", "sync-httpx", "async-httpx"]


def make_caller(kind: str, base_url: str, **options: Any) -> Caller:
    """call(op_name, *args, **kwargs) through a fresh client of ``kind`` (one of ``KINDS``)."""
    options.setdefault("api_key", API_KEY)
    if "private_key" not in options:
        options.setdefault("api_secret", API_SECRET)
    options.setdefault("auto_time_sync", False)
    options.setdefault("retry", RetryPolicy(max_retries=0))

    def call(op: str, *args: Any, **kwargs: Any) -> WebCallResult[Any]:
        if kind == "sync-httpx":
            options["transport"] = HttpxTransport(base_url, verify=shared_tls())
        if kind.startswith("sync"):
            with BinanceRestClient(base_url=base_url, **options) as client:
                return getattr(client.usd_futures_api.account, op)(*args, **kwargs)  # type: ignore[no-any-return]

        async def run() -> WebCallResult[Any]:
            if kind == "async-httpx":
                options["transport"] = AsyncHttpxTransport(base_url, verify=shared_tls())
            async with AsyncBinanceRestClient(base_url=base_url, **options) as client:
                return await getattr(client.usd_futures_api.account, op)(*args, **kwargs)  # type: ignore[no-any-return]

        return asyncio.run(run())

    return call


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def call(kind: str, stub: ScriptedServer) -> Caller:
    return make_caller(kind, stub.base_url)
