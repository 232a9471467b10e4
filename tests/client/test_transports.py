"""The public transport interface: a transport of the user's own plugs into both clients, the
httpx adapters honour the contract, and conflicting options are refused. (The conformance tests
proper run every client test and the fault matrix over the httpx adapters too: see ``KINDS``.)"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator

import httpx
import pytest

from binance_usdm import (
    AsyncBinanceRestClient,
    AsyncTransport,
    BinanceRestClient,
    HttpRequest,
    HttpResponse,
    Limits,
    SyncTransport,
    Timeouts,
    ValidationError,
)
from binance_usdm._http import AsyncHttpTransport, SyncHttpTransport
from binance_usdm.emulator import EmulatorServer
from binance_usdm.httpx_transport import AsyncHttpxTransport, HttpxTransport


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


class Recording:
    """A user's transport: records every exchange, delegating to another transport."""

    def __init__(self, inner: SyncTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, int]] = []
        self.closed = False

    def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        response = self.inner.send(request, timeouts)
        self.seen.append((request.target.partition("?")[0], response.status))
        return response

    def close(self) -> None:
        self.closed = True
        self.inner.close()


class AsyncRecording:
    def __init__(self, inner: AsyncTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, int]] = []

    async def send(self, request: HttpRequest, timeouts: Timeouts) -> HttpResponse:
        response = await self.inner.send(request, timeouts)
        self.seen.append((request.target.partition("?")[0], response.status))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_transport_of_ones_own_plugs_into_the_blocking_client(emu: EmulatorServer) -> None:
    recording = Recording(SyncHttpTransport(emu.base_url))
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url, transport=recording) as client:
        assert client.usd_futures_api.account.get_position_mode().unwrap().dual_side_position is False
    assert recording.seen == [("/fapi/v1/time", 200), ("/fapi/v1/positionSide/dual", 200)]
    assert recording.closed


def test_a_transport_of_ones_own_plugs_into_the_async_client(emu: EmulatorServer) -> None:
    recording = AsyncRecording(AsyncHttpTransport(emu.base_url))

    async def main() -> None:
        async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url,
                                          transport=recording) as client:
            assert (await client.usd_futures_api.account.get_balances()).success

    asyncio.run(main())
    assert recording.seen[-1] == ("/fapi/v2/balance", 200)


@pytest.mark.parametrize("option", [{"proxy": "http://127.0.0.1:3128"}, {"max_connections": 4},
                                    {"ssl_context": ssl.create_default_context()}, {"limits": Limits()}])
def test_options_of_the_built_in_transport_are_refused_with_a_given_one(option: dict[str, object]) -> None:
    transport = HttpxTransport("http://127.0.0.1:1")
    with pytest.raises(ValidationError) as info:
        BinanceRestClient("k", "s", transport=transport, **option)  # type: ignore[arg-type]
    assert info.value.parameter == "transport"
    transport.close()


@pytest.mark.parametrize("url", ["ftp://host", "https://user:secret@host", "no scheme"])
def test_the_httpx_adapters_check_their_base_url_without_repeating_it(url: str) -> None:
    for adapter in (HttpxTransport, AsyncHttpxTransport):
        with pytest.raises(ValidationError) as info:
            adapter(url)
        assert "secret" not in str(info.value)


def test_the_httpx_adapter_answers_with_the_contracts_response(emu: EmulatorServer) -> None:
    transport = HttpxTransport(emu.base_url)
    response = transport.send(HttpRequest("GET", "/fapi/v1/time"), Timeouts())
    transport.close()
    assert response.status == 200 and b"serverTime" in response.body and response.elapsed > 0
    weight = response.headers.get("x-mbx-used-weight-1m")
    assert weight is not None and weight.isdigit() and response.headers.get("X-MBX-USED-WEIGHT-1M") == weight


def test_a_given_httpx_client_stays_the_callers_to_close(emu: EmulatorServer) -> None:
    given = httpx.Client()
    HttpxTransport(emu.base_url, given).close()
    assert not given.is_closed
    given.close()
    owned = HttpxTransport(emu.base_url)
    owned.close()
    assert owned._client.is_closed

    async def main() -> None:
        given_async = httpx.AsyncClient()
        await AsyncHttpxTransport(emu.base_url, given_async).aclose()
        assert not given_async.is_closed
        await given_async.aclose()

    asyncio.run(main())
