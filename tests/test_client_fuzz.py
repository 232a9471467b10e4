"""The result contract under generated server answers: a real loopback server answers each call with
a generated status line, header block, body framing and ending (close, reset, truncation), and every
call of the sync and the async client must end in a ``WebCallResult`` carrying data or a
``BinanceError`` (never an exception, never past its total timeout), with nothing logged at ERROR
and the client still usable afterwards."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from binance_usdm import AsyncBinanceRestClient, BinanceError, BinanceRestClient, Limits, RetryPolicy, Timeouts
from binance_usdm._wire.ratelimit import WeightLimiter
from binance_usdm.result import WebCallResult
from tests.client.conftest import API_KEY, API_SECRET
from tests.scripted_server import CloseNow, Reply, Request, ScriptedServer

TIMEOUTS = Timeouts(connect=1.0, read=0.3, total=0.6)
SLACK = 1.4
EXAMPLES = 60  # for the sync client, half that per event loop: about 6 s in all

VERSIONS = st.sampled_from([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2", b"HTTP/1.1x", b"ICY", b""])
STATUSES = st.one_of(
    st.sampled_from([b"000", b"042", b"099", b"100", b"101", b"102", b"103", b"200", b"204", b"299", b"304", b"400",
                     b"401", b"404", b"418", b"429", b"500", b"502", b"503", b"599", b"600", b"999", b"2000", b"20",
                     b"-1", b"abc", b""]),
    st.integers(0, 999).map(lambda n: b"%03d" % n),
)
REASONS = st.sampled_from([b" OK", b" ", b"", b" Switching Protocols", b" \xff\xfe", b" reason with spaces"])
ENDINGS = st.sampled_from([b"\r\n", b"\r\n", b"\n", b"\r"])
HEADER = st.one_of(
    st.sampled_from([
        b"Content-Type: application/json", b"Connection: close", b"Connection: keep-alive", b"Connection: upgrade",
        b"Upgrade: websocket", b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip, chunked",
        b"Transfer-Encoding: identity", b"Content-Length: 0", b"Content-Length: 2", b"Content-Length: 5",
        b"Content-Length: -1", b"Content-Length: 99999999999999999999", b"Content-Length: 1e3",
        b"Content-Length: 2, 3", b"Retry-After: 1e400", b"Retry-After: 99999999999999999999", b"Retry-After: -5",
        b"Retry-After: 2", b"Retry-After: nan", b"X-MBX-USED-WEIGHT-1M: 99999999999999999999999",
        b"X-MBX-USED-WEIGHT-1M: -3", b"X-MBX-USED-WEIGHT-1M: abc",
        b"X-MBX-USED-WEIGHT-1M: \xb2",  # a superscript two: str.isdigit() says yes, int() raised ValueError b"X-MBX-USED-WEIGHT-1M: 10",
        b"Upgrade: websocket\r\nConnection: Upgrade", b"no colon here", b" folded: continuation", b"Bad Name: x", b"X: \x00", b": empty name", b"X-Long: " + b"a" * 9000,
    ]),
    st.tuples(st.from_regex(rb"\A[A-Za-z-]{1,12}\Z"), st.binary(max_size=20)).map(lambda nv: nv[0] + b": " + nv[1]),
)
BODIES = st.sampled_from([
    b'{"dualSidePosition":true}', b'{"dualSidePosition":"yes"}', b'{"code":-1021,"msg":"late"}',
    b'{"code":-1003,"msg":"Way too many requests; IP banned until 99999999999999."}', b'{"code":"x"}',
    b'{"code":-1007,"msg":"Timeout waiting for response from backend server."}', b"[]", b"null", b"",
    b"<html>502 Bad Gateway</html>", b"\xff\xfe\x00garbage", b'{"dualSidePosition":true}' * 3, b"{" * 2000,
])


@dataclass(frozen=True)
class Answer:
    """One generated answer: the bytes sent, and how the connection ends."""

    data: bytes
    ending: str  # "keep" (stay open), "close" (FIN) or "reset" (RST)

    def action(self) -> Reply | CloseNow:
        if self.ending == "keep":
            return Reply(raw=self.data)
        if self.ending == "partial":
            return CloseNow(self.data)
        return Reply(raw=self.data, close=True, reset=self.ending == "reset")


#: Built once: a strategy made inside each draw costs hypothesis a validation and analysis per example.
FRAMINGS = st.sampled_from(["length", "length", "chunked", "none", "wrong-length", "bad-chunks"])
LENGTH_ERRORS = st.sampled_from([-1, 1, 100])
BAD_CHUNK_SIZES = st.sampled_from([b"zz", b"-1", b"ffffffffffffffff"])
INTERIM = st.sampled_from([b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n",
                           b"HTTP/1.1 100 Continue\r\n\r\n" * 50])
CONNECTION_ENDS = st.sampled_from(["close", "close", "reset", "keep", "partial"])
HEADER_LISTS = st.lists(HEADER, max_size=6)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    eol = draw(ENDINGS)
    line = draw(VERSIONS) + b" " + draw(STATUSES) + draw(REASONS)
    headers = draw(HEADER_LISTS)
    body = draw(BODIES)
    framing = draw(FRAMINGS)
    if framing == "length":
        headers.append(b"Content-Length: %d" % len(body))
    elif framing == "wrong-length":
        headers.append(b"Content-Length: %d" % (len(body) + draw(LENGTH_ERRORS)))
    elif framing in ("chunked", "bad-chunks"):
        headers.append(b"Transfer-Encoding: chunked")
        size = b"%x" % len(body) if framing == "chunked" else draw(BAD_CHUNK_SIZES)
        body = (size + b"\r\n" + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
    data = line + eol + b"".join(h + eol for h in headers) + eol + body
    if draw(st.booleans()):  # interim answers first, sometimes
        data = draw(INTERIM) + data
    ending = draw(CONNECTION_ENDS)
    if ending == "partial":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    return Answer(data, ending)


# The defects the generated answers are meant to find, always tried first
KNOWN = [
    Answer(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "keep"),
    Answer(b"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n", "keep"),
    Answer(b"HTTP/1.1 200 OK\r\nX-MBX-USED-WEIGHT-1M: \xb2\r\nContent-Length: 25\r\n\r\n{\"dualSidePosition\":true}", "keep"),
    Answer(b"HTTP/1.1 429 Too Many\r\nRetry-After: 1e400\r\nContent-Length: 2\r\n\r\n{}", "keep"),
    Answer(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n" + b"[" * 20000, "keep"),
]


def known(test):  # type: ignore[no-untyped-def]
    for answer in KNOWN:
        test = example(answer)(test)
    return test


def answering(answer: Answer) -> Callable[[Request], Reply | CloseNow]:
    """A scripted-server handler giving every request ``answer``."""
    return lambda request: answer.action()


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


OPTIONS: dict[str, Any] = {
    "auto_time_sync": False, "timeouts": TIMEOUTS, "limits": Limits(max_header_bytes=8192, max_body_bytes=16384),
    "retry": RetryPolicy(max_retries=1, backoff_base=0.0, backoff_max=0.0, max_retry_after=0.0),
}


def fresh_budget(client: BinanceRestClient | AsyncBinanceRestClient) -> None:
    """A new weight budget: a generated 429, 418 or used-weight header (which hold or exhaust it, as
    they should) must not decide the next example."""
    core = client._core
    core.limiter = WeightLimiter(core.clock)


def _check(result: object, took: float) -> None:
    assert isinstance(result, WebCallResult)
    if result.error is None:
        assert result.data is not None
    else:
        assert isinstance(result.error, BinanceError)
        assert API_KEY not in str(result.error) and API_SECRET not in str(result.error)
    # no call outlives its total timeout; the slack is a busy machine's scheduling (the defects this
    # catches wait a minute for a weight budget, or for ever)
    assert took < TIMEOUTS.total + SLACK, took


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged == [], [r.getMessage() for r in logged]


GOOD = Answer(b'HTTP/1.1 200 OK\r\nContent-Length: 25\r\n\r\n{"dualSidePosition":true}', "keep")


def _fuzz(server: ScriptedServer, client: BinanceRestClient | AsyncBinanceRestClient,
          call: Callable[[], object], examples: int) -> None:
    """Every generated answer (the known defects first) through ``call``; then a good one."""

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @known
    @given(answers())
    def one(answer: Answer) -> None:
        server.handler = answering(answer)
        fresh_budget(client)
        started = time.monotonic()
        _check(call(), time.monotonic() - started)

    one()
    server.handler = answering(GOOD)
    result = call()
    assert isinstance(result, WebCallResult) and result.data is not None  # still usable


def test_sync_client_answers_every_server_answer_with_a_result(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    with BinanceRestClient(API_KEY, API_SECRET, base_url=server.base_url, **OPTIONS) as client:
        _fuzz(server, client, client.usd_futures_api.account.get_position_mode, EXAMPLES)
    _no_errors_logged(caplog)


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
def test_async_client_answers_every_server_answer_with_a_result(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture, loop_name: str
) -> None:
    factory = None
    if loop_name == "uvloop":
        factory = pytest.importorskip("uvloop").new_event_loop
    caplog.set_level(logging.ERROR)
    with asyncio.Runner(loop_factory=factory) as runner:
        client = AsyncBinanceRestClient(API_KEY, API_SECRET, base_url=server.base_url, **OPTIONS)
        account = client.usd_futures_api.account
        _fuzz(server, client, lambda: runner.run(account.get_position_mode()), EXAMPLES // 2)
        runner.run(client.aclose())
    _no_errors_logged(caplog)
