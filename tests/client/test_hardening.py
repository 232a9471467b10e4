"""What a server (or the environment) can impose on the client is bounded and said: Retry-After and
bans are capped, a rejected certificate is not retried, a timeout states the call's real duration,
an unsupported proxy is a ValidationError, certificate trust is one declared source, and no object
on a call's path shows a secret in its repr."""

from __future__ import annotations

import asyncio
import importlib.metadata
import re
import signal
import ssl
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import certifi
import pytest

from binance_usdm import (
    AsyncBinanceRestClient,
    BinanceRestClient,
    CertificateError,
    ClientRateLimitError,
    IpBannedError,
    RateLimitError,
    RequestTimeout,
    RetryPolicy,
    Timeouts,
    ValidationError,
)
from binance_usdm._http import AsyncHttpTransport, SyncHttpTransport
from binance_usdm._http.protocol import RequestEncoder, default_ssl_context
from binance_usdm._wire.responses import MAX_SERVER_WAIT
from binance_usdm._wire.types import HttpRequest, HttpResponse, Secret
from binance_usdm._wire.urls import Origin
from tests.client.conftest import API_KEY, API_SECRET, Caller, make_caller
from tests.scripted_server import Hang, Reply, ScriptedServer, echo, make_certs

WEIGHT_429 = b'{"code":-1003,"msg":"Too many requests."}'


def _client(stub: ScriptedServer, **options: Any) -> BinanceRestClient:
    options.setdefault("retry", RetryPolicy(max_retries=0))
    return BinanceRestClient(API_KEY, API_SECRET, base_url=stub.base_url, auto_time_sync=False, **options)


# --- server-given waits --------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "said", "held"), [
    # float("1e400") is inf: every later call of the client was refused for ever
    ("1e400", "Retry-After '1e400' ignored: not a number of seconds", 60.0),
    ("99999999999999999999", f"Retry-After 99999999999999999999 s capped to {MAX_SERVER_WAIT:.0f} s",
     MAX_SERVER_WAIT),
    ("1_0", "ignored", 60.0),  # float() takes digit separators, HTTP does not
    ("12", "", 12.0),
])
def test_retry_after_is_bounded_and_said(stub: ScriptedServer, header: str, said: str, held: float) -> None:
    stub.route("GET", "/fapi/v2/balance", Reply(429, WEIGHT_429, {"Retry-After": header}))
    with _client(stub, rate_limit="fail") as client:
        error = client.usd_futures_api.account.get_balances().error
        assert isinstance(error, RateLimitError)
        assert said in str(error)
        assert error.retry_after is None or error.retry_after <= MAX_SERVER_WAIT
        blocked = client._core.limiter.blocked_for
        assert held - 5 <= blocked <= held
        refused = client.usd_futures_api.account.get_balances().error  # held, within the bound
        assert isinstance(refused, ClientRateLimitError) and refused.retry_after <= MAX_SERVER_WAIT


def test_a_ban_longer_than_binance_documents_is_held_at_most_three_days(stub: ScriptedServer) -> None:
    until = int((time.time() + 400 * 86400) * 1000)
    stub.route("GET", "/fapi/v2/balance", Reply(
        418, b'{"code":-1003,"msg":"Way too many requests; IP banned until %d."}' % until))
    with _client(stub) as client:
        error = client.usd_futures_api.account.get_balances().error
        assert isinstance(error, IpBannedError)
        assert error.banned_until is not None and int(error.banned_until.timestamp() * 1000) == until
        assert f"held for at most {MAX_SERVER_WAIT:.0f} s" in str(error)
        assert MAX_SERVER_WAIT - 5 <= client._core.limiter.blocked_for <= MAX_SERVER_WAIT


# --- certificates and timeouts -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_rejected_certificate_is_not_retried(kind: str) -> None:
    certs = make_certs()
    with ScriptedServer(echo, ssl_context=certs.server_context) as srv:
        call = make_caller(kind, srv.base_url, retry=RetryPolicy(max_retries=3, backoff_base=0.01))
        result = call("get_position_mode")
        assert isinstance(result.error, CertificateError) and "certificate" in str(result.error)
        assert srv.connections == 1  # one handshake: three retries would have made four


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_timeout_states_how_long_the_call_ran(kind: str, stub: ScriptedServer) -> None:
    stub.route("GET", "/fapi/v1/positionSide/dual", Reply(body=b'{"dualSidePosition":true}', delay=1.0))
    timeouts = Timeouts(connect=1.0, read=0.25, total=0.9)
    call = make_caller(kind, stub.base_url, timeouts=timeouts,
                       retry=RetryPolicy(max_retries=5, backoff_base=0.0, backoff_max=0.0))
    error = call("get_position_mode").error
    assert isinstance(error, RequestTimeout)
    found = re.search(r"the call ran ([0-9.]+) s in all \((\d+) attempts\)", str(error))
    assert found, str(error)  # the transport's own figure is only the last attempt's share
    assert float(found.group(1)) >= 0.7 and int(found.group(2)) >= 3


# --- proxies from the environment ----------------------------------------------------------------
@pytest.mark.parametrize(("variable", "url"), [
    ("HTTPS_PROXY", "socks5://user:hunter2@127.0.0.1:1080"),
    ("https_proxy", "https://user:hunter2@127.0.0.1:3128"),
    ("ALL_PROXY", "socks5h://user:hunter2@127.0.0.1:1080"),
])
def test_an_unsupported_proxy_in_the_environment_is_a_validation_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, url)
    for make in (BinanceRestClient, AsyncBinanceRestClient):
        with pytest.raises(ValidationError) as caught:
            make(API_KEY, API_SECRET)  # the live origin: never contacted here
        assert caught.value.parameter == "proxy"
        assert f"{variable.upper()} in the environment" in str(caught.value) and "hunter2" not in str(caught.value)
    with pytest.raises(ValidationError, match="proxy"):
        SyncHttpTransport("https://fapi.binance.com")
    with pytest.raises(ValidationError, match="proxy"):
        AsyncHttpTransport("https://fapi.binance.com")
    BinanceRestClient(API_KEY, API_SECRET, proxy="").close()  # proxy="" ignores the environment


# --- certificate trust ---------------------------------------------------------------------------
def test_certificate_trust_is_certifi_declared_and_only_it(monkeypatch: pytest.MonkeyPatch) -> None:
    requirements = importlib.metadata.requires("binance-usdm") or []
    assert any(re.match(r"certifi\b", line) for line in requirements)  # declared, not "if installed"
    bundle = ssl.create_default_context(cafile=certifi.where()).get_ca_certs()
    certs = make_certs()
    ca_file = certs.files[0]
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # what the system's default store would honour
    context = default_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert len(context.get_ca_certs()) == len(bundle)
    with ScriptedServer(echo, ssl_context=certs.server_context) as srv, SyncHttpTransport(srv.base_url) as transport:
        with pytest.raises(CertificateError):
            transport.send(HttpRequest("GET", "/"), Timeouts(2, 2, 4))


# --- no secret in any repr on the call path ------------------------------------------------------
LISTEN_KEY = "lk" + "Q" * 58


class _Interrupted(Exception):
    pass


@pytest.fixture
def hanging() -> Iterator[Any]:
    with ScriptedServer(lambda request: Hang()) as srv:
        yield srv


def _locals_text(error: BaseException) -> str:
    """The library's frames of the traceback, with every local's repr (the test's own frames hold
    the secrets it passes in)."""
    trace = traceback.TracebackException.from_exception(error, capture_locals=True)
    trace.stack = traceback.StackSummary.from_list(
        [frame for frame in trace.stack if "/binance_usdm/" in frame.filename])
    return "".join(trace.format())


def _assert_no_secret(text: str) -> None:
    assert "Traceback" in text and "request = " in text and "_transport.py\", line" in text  # the path's locals
    assert "data = b" not in text  # the encoded request (its headers hold the API key) is no frame's local
    for secret in (API_KEY, API_SECRET, LISTEN_KEY):
        assert secret not in text
        assert secret[:24] not in text


def _waiting(thread: int | None) -> bool:
    """Whether `thread` is in the sync transport's wait for an answer (past sending: the server seeing
    the request comes before the sending frame lets go of its bytes, which a loaded machine can stretch)."""
    frame = sys._current_frames().get(thread) if thread is not None else None
    while frame is not None:
        if frame.f_code.co_name == "_exchange" and "poll" in frame.f_locals:
            return True
        frame = frame.f_back
    return False


def test_sync_call_path_locals_show_no_secret(hanging: Any) -> None:
    """Interrupted while waiting for the answer (as Ctrl-C would): every frame's locals printed."""

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGUSR1, interrupt)
    main = threading.main_thread().ident
    assert main == threading.get_ident()
    try:
        with BinanceRestClient(API_KEY, API_SECRET, base_url=hanging.base_url, auto_time_sync=False,
                               timeouts=Timeouts(2, 5, 5)) as client:
            for op, args in (("modify_position_margin", ("BTCUSDT", "10", 1)),
                             ("keep_alive_user_stream", (LISTEN_KEY,))):
                seen = len(hanging.requests)

                def poke(seen: int = seen) -> None:
                    end = time.monotonic() + 5
                    while not (len(hanging.requests) > seen and _waiting(main)) and time.monotonic() < end:
                        time.sleep(0.005)
                    assert main is not None
                    signal.pthread_kill(main, signal.SIGUSR1)

                threading.Thread(target=poke, daemon=True).start()
                with pytest.raises(_Interrupted) as caught:
                    getattr(client.usd_futures_api.account, op)(*args)
                _assert_no_secret(_locals_text(caught.value))
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_async_call_path_locals_show_no_secret(hanging: Any) -> None:
    async def run() -> list[str]:
        texts = []
        async with AsyncBinanceRestClient(API_KEY, API_SECRET, base_url=hanging.base_url,
                                          auto_time_sync=False, timeouts=Timeouts(2, 5, 5)) as client:
            for op, args in (("modify_position_margin", ("BTCUSDT", "10", 1)),
                             ("keep_alive_user_stream", (LISTEN_KEY,))):
                seen = len(hanging.requests)
                task = asyncio.ensure_future(getattr(client.usd_futures_api.account, op)(*args))
                while len(hanging.requests) == seen:
                    await asyncio.sleep(0.005)
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError as error:
                    texts.append(_locals_text(error))
        return texts

    texts = asyncio.run(run())
    assert len(texts) == 2
    for text in texts:
        _assert_no_secret(text)


def test_a_listen_key_answer_keeps_out_of_the_response_repr(stub: ScriptedServer, kind: str) -> None:
    """The raw answer (``HttpResponse``, a local of the call path) does not show its body; the key
    handed to the caller is a plain ``str`` (its own object: msgspec and the stream code take it), and
    the result's repr shows it as ``'***'``."""
    stub.route("POST", "/fapi/v1/listenKey", Reply(body=b'{"listenKey":"%s"}' % LISTEN_KEY.encode()))
    call: Caller = make_caller(kind, stub.base_url)
    result = call("start_user_stream")
    assert type(result.data) is str and result.data == LISTEN_KEY
    assert LISTEN_KEY not in repr(result) and "'***'" in repr(result)
    answer = HttpResponse(200, {}, b'{"listenKey":"%s"}' % LISTEN_KEY.encode(), 0.001)
    assert LISTEN_KEY not in repr(answer)


def test_an_encoding_error_shows_no_header_value_in_locals() -> None:
    """The encoder's frames, when it refuses a request, hold the key only as the caller's ``Secret``."""
    encoder = RequestEncoder(Origin.parse("http://127.0.0.1:1"))
    key = (("X-MBX-APIKEY", Secret(API_KEY)),)
    assert API_KEY.encode() in encoder.encode(HttpRequest("GET", "/fine", key))  # its lines are now cached
    for request in (HttpRequest("GET", "/not fine", key), HttpRequest("BREW", "/fine", key),
                    HttpRequest("GET", "/fine", (*key, ("X-Bad", "line\nbreak")))):
        with pytest.raises(ValidationError) as caught:
            encoder.encode(request)
        text = "".join(traceback.TracebackException.from_exception(caught.value, capture_locals=True).format())
        assert API_KEY not in text and API_KEY[:24] not in text
