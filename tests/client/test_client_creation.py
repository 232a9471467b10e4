"""Making a client is cheap without sharing what must stay one client's: the default TLS context is
built once per process, a client's own ``ssl_context`` never reaches another client, and the proxy
variables of the environment are read by ``urllib.request``'s rules without importing it."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import urllib.request
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, CertificateError, RetryPolicy
from binance_usdm._http.protocol import default_ssl_context
from binance_usdm._http.proxy_env import bypassed, environment_proxies
from tests.client import samples
from tests.client.conftest import API_KEY, API_SECRET
from tests.scripted_server import Reply, ScriptedServer, make_certs

MODE = Reply(body=b'{"dualSidePosition":false}')


@pytest.fixture(scope="module")
def tls_stub() -> Any:
    """An https server with a self-signed certificate (trusted only by ``certs.client_context``)."""
    certs = make_certs()
    with ScriptedServer(ssl_context=certs.server_context) as srv:
        srv.route("GET", "/fapi/v1/positionSide/dual", MODE)
        yield srv, certs


def _options(**options: Any) -> dict[str, Any]:
    return {"auto_time_sync": False, "retry": RetryPolicy(max_retries=0), **options}


def _sync_mode(base_url: str, **options: Any) -> object:
    with BinanceRestClient(API_KEY, API_SECRET, base_url=base_url, **_options(**options)) as client:
        return client.usd_futures_api.account.get_position_mode().unwrap().dual_side_position


def _async_mode(base_url: str, **options: Any) -> object:
    async def main() -> object:
        async with AsyncBinanceRestClient(API_KEY, API_SECRET, base_url=base_url, **_options(**options)) as client:
            return (await client.usd_futures_api.account.get_position_mode()).unwrap().dual_side_position

    return asyncio.run(main())


@pytest.mark.parametrize("mode", [_sync_mode, _async_mode], ids=["sync", "async"])
def test_a_clients_own_tls_context_never_reaches_another_client(tls_stub: Any, mode: Any) -> None:
    srv, certs = tls_stub
    with pytest.raises(CertificateError):  # the shared default trusts certifi's authorities only
        mode(srv.base_url)
    assert mode(srv.base_url, ssl_context=certs.client_context) is False  # trusts the test's CA
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    assert mode(srv.base_url, ssl_context=insecure) is False
    with pytest.raises(CertificateError):  # made after both: still verifies, still certifi only
        mode(srv.base_url)
    shared = default_ssl_context()
    assert shared is default_ssl_context() and shared not in (certs.client_context, insecure)
    assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname


def test_creating_a_client_imports_no_urllib_request() -> None:
    """``urllib.request`` (~15 ms) is not needed to read the proxy variables; with one set, the
    environment's proxy still applies (an unsupported scheme is refused by name)."""
    code = (
        "import os, sys\n"
        "from binance_usdm import BinanceRestClient, AsyncBinanceRestClient, ValidationError\n"
        "for url in ('http://127.0.0.1:1', 'https://fapi.binance.com'):\n"
        "    BinanceRestClient('k', 's', base_url=url).close(); AsyncBinanceRestClient('k', 's', base_url=url)\n"
        "os.environ['HTTPS_PROXY'] = 'socks5://127.0.0.1:1080'\n"
        "BinanceRestClient('k', 's', base_url='http://127.0.0.1:1').close()  # loopback: never a proxy\n"
        "try:\n"
        "    BinanceRestClient('k', 's')\n"
        "except ValidationError as exc:\n"
        "    assert 'HTTPS_PROXY in the environment' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('the environment proxy was ignored')\n"
        "os.environ['no_proxy'] = 'example.com,.binance.com'\n"
        "BinanceRestClient('k', 's').close()\n"
        "assert 'urllib.request' not in sys.modules, 'urllib.request imported'\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def test_the_client_leaves_logging_to_the_program(stub: ScriptedServer) -> None:
    """A program that never imports ``logging`` (~13 M instructions) calls without it; once it
    imports it and enables DEBUG for ``binance_usdm``, after the client was made, each answered call
    is logged; at INFO nothing is."""
    stub.route("GET", "/fapi/v2/balance", Reply(body=samples.BALANCES))
    code = (
        "import sys\n"
        "from binance_usdm import BinanceRestClient, RetryPolicy\n"
        f"client = BinanceRestClient({API_KEY!r}, {API_SECRET!r}, base_url={stub.base_url!r}, auto_time_sync=False)\n"
        "assert client.usd_futures_api.account.get_balances().success\n"
        "assert 'logging' not in sys.modules, 'logging imported'\n"
        "import logging\n"
        "logging.basicConfig(stream=sys.stdout, format='%(name)s %(levelname)s %(message)s')\n"
        "logging.getLogger('binance_usdm').setLevel(logging.DEBUG)\n"
        "assert client.usd_futures_api.account.get_balances().success\n"
        "logging.getLogger('binance_usdm').setLevel(logging.INFO)\n"
        "assert client.usd_futures_api.account.get_balances().success\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("binance_usdm DEBUG GET /fapi/v2/balance?"), lines
    assert "-> 200" in lines[0] and "signature=<redacted>" in lines[0]


_NAMES = st.sampled_from(["HTTP_PROXY", "http_proxy", "Http_Proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                          "all_proxy", "NO_PROXY", "no_proxy", "FTP_PROXY", "_proxy", "PROXY", "noproxy"])
_VALUES = st.sampled_from(["", "http://p1:3128", "http://p2:8080", "*", "binance.com", ".binance.com,localhost",
                           " fapi.binance.com:443 , other", "BINANCE.COM", "127.0.0.1"])
_HOSTS = st.sampled_from(["fapi.binance.com", "binance.com", "xbinance.com", "FAPI.Binance.com:443", "other",
                          "10.0.0.1", "host:", "2001:db8::1", "localhost"])


@settings(max_examples=300, deadline=None)
@given(env=st.dictionaries(_NAMES, _VALUES, max_size=6), cgi=st.booleans(), host=_HOSTS)
def test_proxy_variables_are_read_as_urllib_reads_them(env: dict[str, str], cgi: bool, host: str) -> None:
    environ = {**env, **({"REQUEST_METHOD": "GET"} if cgi else {})}
    with mock.patch.dict(os.environ, environ, clear=True):
        expected = urllib.request.getproxies_environment()
        assert environment_proxies() == expected
        assert bypassed(host, expected.get("no")) == urllib.request.proxy_bypass_environment(host, expected)
