from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, RetryPolicy, WebCallResult
from tests.client.stub_server import StubServer

API_KEY = "stubKey0123456789stubKey0123456789stubKey0123456789stubKey012345"
API_SECRET = "stubSecret0123456789stubSecret0123456789stubSecret0123456789ab"

Caller = Callable[..., WebCallResult[Any]]


@pytest.fixture(scope="session")
def _stub_server() -> Iterator[StubServer]:
    server = StubServer().start()
    yield server
    server.stop()


@pytest.fixture
def stub(_stub_server: StubServer) -> StubServer:
    _stub_server.reset()
    return _stub_server


def make_caller(kind: str, base_url: str, **options: Any) -> Caller:
    """call(op_name, *args, **kwargs) through a fresh sync or async client."""
    options.setdefault("api_key", API_KEY)
    if "private_key" not in options:
        options.setdefault("api_secret", API_SECRET)
    options.setdefault("auto_time_sync", False)
    options.setdefault("retry", RetryPolicy(max_retries=0))

    def call(op: str, *args: Any, **kwargs: Any) -> WebCallResult[Any]:
        if kind == "sync":
            with BinanceRestClient(base_url=base_url, **options) as client:
                return getattr(client.usd_futures_api.account, op)(*args, **kwargs)  # type: ignore[no-any-return]

        async def run() -> WebCallResult[Any]:
            async with AsyncBinanceRestClient(base_url=base_url, **options) as client:
                return await getattr(client.usd_futures_api.account, op)(*args, **kwargs)  # type: ignore[no-any-return]

        return asyncio.run(run())

    return call


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def call(kind: str, stub: StubServer) -> Caller:
    return make_caller(kind, stub.base_url)
