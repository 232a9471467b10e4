"""Failures come back typed, with Binance's code and message, HTTP status and endpoint."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from typing import TypeVar

import msgspec
import pytest

from binance_usdm import (
    AuthenticationError,
    InvalidRequestError,
    IpBannedError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseParseError,
    ResponseValueError,
    ServerError,
    TimestampError,
    errors,
)
from binance_usdm import models as m
from binance_usdm.errors import ConnectError
from binance_usdm.result import WebCallResult
from tests.client import samples
from tests.client.conftest import Caller, ServerTime, make_caller
from tests.scripted_server import Reply, ScriptedServer
from tests.virtual_clock import VirtualClock

T = TypeVar("T")


def test_binance_rule_error(stub: ScriptedServer, call: Caller) -> None:
    stub.route("POST", "/fapi/v1/marginType", Reply(400, b'{"code":-4046,"msg":"No need to change margin type."}'))
    result = call("change_margin_type", "BTCUSDT", "ISOLATED")
    assert not result.success and not result and result.data is None
    error = result.error
    assert isinstance(error, InvalidRequestError)
    assert (error.code, error.msg, error.status_code) == (-4046, "No need to change margin type.", 400)
    assert error.endpoint == "POST /fapi/v1/marginType"
    assert result.status_code == 400
    with pytest.raises(InvalidRequestError, match="-4046"):
        result.unwrap()


@pytest.mark.parametrize(("status", "body", "error_type"), [
    (401, b'{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}', AuthenticationError),
    (400, b'{"code":-1022,"msg":"Signature for this request is not valid."}', AuthenticationError),
    (400, b'{"code":-1121,"msg":"Invalid symbol."}', InvalidRequestError),
    (500, b'{"code":-1000,"msg":"An unknown error occured while processing the request."}', ServerError),
    (503, b'{"code":-1000,"msg":"Unknown error, please check your request or try again later."}',
     OutcomeUnknownError),
    (502, b"<html><body>Bad Gateway</body></html>", ServerError),
    (403, b"<html>WAF</html>", InvalidRequestError),
])
def test_error_classes(stub: ScriptedServer, call: Caller, status: int, body: bytes, error_type: type) -> None:
    stub.route("GET", "/fapi/v2/balance", Reply(status, body))
    error = call("get_balances").error
    assert type(error) is error_type
    if body.startswith(b"<html"):
        assert "HTML" in str(error) or "html" in str(error)


def test_rate_limited_429_carries_retry_after(stub: ScriptedServer, call: Caller) -> None:
    stub.route("GET", "/fapi/v2/balance", Reply(
        429, b'{"code":-1003,"msg":"Too many requests; current limit is 2400 requests per minute."}',
        {"Retry-After": "30"}))
    error = call("get_balances").error
    assert isinstance(error, RateLimitError) and error.retry_after == 30.0 and error.code == -1003


def test_ip_ban_418(stub: ScriptedServer, call: Caller) -> None:
    stub.route("GET", "/fapi/v2/balance", Reply(
        418, b'{"code":-1003,"msg":"Way too many requests; IP banned until 1893456000000."}'))
    error = call("get_balances").error
    assert isinstance(error, IpBannedError)
    assert error.banned_until is not None and error.banned_until.year == 2030


@pytest.mark.parametrize("body", [b'{"leverage": 21, "maxNot', b"not json", b'{"leverage":"x"}'])
def test_malformed_answer_is_a_parse_error_with_excerpt(stub: ScriptedServer, call: Caller, body: bytes) -> None:
    stub.route("POST", "/fapi/v1/leverage", Reply(200, body))
    error = call("change_initial_leverage", "BTCUSDT", 5).error
    assert isinstance(error, ResponseParseError)
    assert error.excerpt == body.decode()[:120] and error.status_code == 200


def test_unknown_enum_values_and_extra_fields_do_not_break(stub: ScriptedServer, call: Caller) -> None:
    body = samples.INCOME.replace(b'"COMMISSION"', b'"BRAND_NEW_KIND"').replace(
        b'"tradeId": ""', b'"tradeId": "", "newField": {"x": [1, 2]}')
    stub.route("GET", "/fapi/v1/income", Reply(body=body))
    records = call("get_income_history").unwrap()
    kind = records[1].income_type
    assert kind.value == "BRAND_NEW_KIND" and not kind.known
    assert records[0].income_type.known


def test_a_number_sent_as_text_that_is_not_one_is_a_clear_error_when_read(stub: ScriptedServer, call: Caller) -> None:
    stub.route("POST", "/fapi/v1/leverage",
               Reply(body=b'{"leverage":20,"maxNotionalValue":"","symbol":"BTCUSDT"}'))
    change = call("change_initial_leverage", "BTCUSDT", 20).unwrap()  # the answer itself decodes
    assert change.leverage == 20 and change.symbol == "BTCUSDT"
    with pytest.raises(ResponseValueError) as caught:
        change.max_notional_value  # noqa: B018 - the read is the test
    assert (caught.value.model, caught.value.field, caught.value.value) == (
        "LeverageChange", "max_notional_value", "")
    assert isinstance(caught.value, ValueError)
    assert "max_notional_value=<not a number: ''>" in repr(change)  # repr never raises
    with pytest.raises(ResponseValueError):
        change.to_dict()  # no value is made up


def test_an_optional_number_sent_empty_reads_as_none() -> None:
    position = msgspec.json.decode(
        b'{"symbol":"BTCUSDT","initialMargin":"0","maintMargin":"0","unrealizedProfit":"0",'
        b'"positionInitialMargin":"0","openOrderInitialMargin":"0","leverage":"20","isolated":false,'
        b'"entryPrice":"0.0","positionSide":"BOTH","positionAmt":"0","breakEvenPrice":"","maxNotional":"x"}',
        type=m.AccountPosition,
    )
    assert position.break_even_price is None and position.entry_price == 0
    with pytest.raises(ResponseValueError, match="max_notional"):
        position.max_notional  # noqa: B018 - the read is the test


def test_negative_code_in_a_200_answer_is_an_error(stub: ScriptedServer, call: Caller) -> None:
    stub.route("GET", "/fapi/v2/balance", Reply(200, b'{"code":-1000,"msg":"An unknown error occured."}'))
    assert isinstance(call("get_balances").error, InvalidRequestError)


def test_timestamp_error_resyncs_and_retries_once(stub: ScriptedServer, server_time: ServerTime, kind: str) -> None:
    stub.route("GET", "/fapi/v2/balance",
               Reply(400, b'{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}'),
               Reply(body=samples.BALANCES))
    server_time.offset_ms = 120_000
    result = make_caller(kind, stub.base_url)("get_balances")
    assert result.success
    first, second = stub.requests
    assert int(second.params["timestamp"]) - int(first.params["timestamp"]) > 100_000


def test_timestamp_error_twice_is_reported(stub: ScriptedServer, call: Caller) -> None:
    stub.route("GET", "/fapi/v2/balance",
               Reply(400, b'{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}'))
    assert isinstance(call("get_balances").error, TimestampError)
    assert len(stub.requests) == 2


def test_connection_refused_is_a_connect_error(kind: str) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = make_caller(kind, f"http://127.0.0.1:{port}")("get_balances")
    assert isinstance(result.error, ConnectError) and result.status_code is None


def test_after_a_ban_nothing_is_sent_until_it_ends(stub: ScriptedServer) -> None:
    from binance_usdm import BinanceRestClient, RetryPolicy
    from tests.client.conftest import API_KEY, API_SECRET

    stub.route("GET", "/fapi/v2/balance", Reply(
        418, b'{"code":-1003,"msg":"Way too many requests; IP banned until 1893456000000."}',
        {"Retry-After": "120"}))
    with BinanceRestClient(API_KEY, API_SECRET, base_url=stub.base_url, auto_time_sync=False,
                           retry=RetryPolicy(max_retries=0)) as client:
        first = client.usd_futures_api.account.get_balances().error
        second = client.usd_futures_api.account.get_position_mode().error
    assert isinstance(first, IpBannedError) and isinstance(second, IpBannedError)
    assert "no request sent" in second.msg and second.retry_after is not None
    assert len(stub.requests) == 1


CLIENT_NOW = datetime(2030, 1, 1, tzinfo=UTC)  # the client's injected clock, years from the wall clock


def test_a_ban_of_retry_after_seconds_ends_on_the_clients_clock(stub: ScriptedServer, kind: str) -> None:
    stub.route("GET", "/fapi/v2/balance", Reply(418, b'{"code":-1003,"msg":"Way too many requests."}',
                                                {"Retry-After": "120"}))
    clock = VirtualClock(at=CLIENT_NOW.timestamp())
    error = make_caller(kind, stub.base_url, clock=clock)("get_balances").error
    assert isinstance(error, IpBannedError) and error.retry_after == 120.0
    assert error.banned_until is not None
    assert abs((error.banned_until - CLIENT_NOW).total_seconds() - 120) < 1


def test_a_bans_length_is_measured_on_the_clients_clock(stub: ScriptedServer, kind: str) -> None:
    # a one-day ban: not cut to Binance's three days, although it ends years after the wall clock's now
    until = int(CLIENT_NOW.timestamp() * 1000) + 86_400_000
    stub.route("GET", "/fapi/v2/balance", Reply(
        418, b'{"code":-1003,"msg":"Way too many requests; IP banned until %d."}' % until))
    error = make_caller(kind, stub.base_url, clock=VirtualClock(at=CLIENT_NOW.timestamp()))("get_balances").error
    assert isinstance(error, IpBannedError) and "held for at most" not in str(error)
    assert error.retry_after == 86_400.0  # how long the ban still lasts: what the client holds its calls for


def test_429_is_waited_out_and_retried(stub: ScriptedServer, kind: str) -> None:
    stub.route("GET", "/fapi/v2/balance",
               Reply(429, b'{"code":-1003,"msg":"Too many requests."}', {"Retry-After": "1"}),
               Reply(body=samples.BALANCES))
    clock = VirtualClock()
    result = make_caller(kind, stub.base_url, retry=None, clock=clock)("get_balances")
    assert result.success and len(stub.requests) == 2
    assert clock.waits == [pytest.approx(1.0, abs=0.1)]  # the Retry-After, waited out on the client's clock


def test_variant_shapes_binance_has_sent_parse(stub: ScriptedServer, call: Caller) -> None:
    # ids and flags as strings, numbers as JSON numbers, a missing symbol, unknown extra fields
    stub.route("GET", "/fapi/v1/income", Reply(body=b'[{"incomeType":"TRANSFER","income":-0.375,"asset":"USDT",'
                                                    b'"time":1570608000000,"tranId":"9689322392","tradeId":"",'
                                                    b'"brandNew":true}]'))
    [record] = call("get_income_history").unwrap()
    assert (record.symbol, record.tran_id, str(record.income)) == ("", 9689322392, "-0.375")
    stub.route("GET", "/fapi/v2/positionRisk", Reply(body=b'[{"symbol":"BTCUSDT","positionSide":"BOTH",'
                                                        b'"positionAmt":"0","entryPrice":"0.0","markPrice":"1",'
                                                        b'"unRealizedProfit":"0","liquidationPrice":"0","leverage":20,'
                                                        b'"marginType":"cross","isolatedMargin":"0",'
                                                        b'"isAutoAddMargin":"true"}]'))
    [position] = call("get_position_information").unwrap()
    assert position.is_auto_add_margin is True and position.leverage == 20 and position.update_time is None


@pytest.mark.parametrize("error", [
    errors.ValidationError("leverage", "must be between 1 and 125, got 0", endpoint="POST /fapi/v1/leverage"),
    errors.ConnectError("connect to 127.0.0.1:1 failed", endpoint="GET /fapi/v2/account"),
    errors.RequestTimeout("read timed out after 10 s", request_sent=True),
    errors.ResponseParseError("cannot decode", status_code=200, excerpt="<html>", endpoint="GET /x"),
    errors.InvalidRequestError(-4028, "Leverage 200 is not valid", status_code=400, endpoint="POST /x"),
    errors.RateLimitError(-1003, "Too many requests", status_code=429, retry_after=7.0),
    errors.IpBannedError(-1003, "banned", status_code=418, retry_after=60.0,
                         banned_until=datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
    errors.OutcomeUnknownError(-1007, "Timeout waiting for response", status_code=503),
    errors.ClientRateLimitError("budget spent", retry_after=3.5),
    errors.DownloadQuotaExceeded(-1000, "quota", status_code=400, quota=5),
    errors.DownloadTimeout("not ready", download_id="123"),
    errors.ResponseValueError("LeverageChange", "max_notional_value", ""),
], ids=lambda error: type(error).__name__)
def test_errors_survive_pickling(error: errors.BinanceError) -> None:
    """Errors cross process boundaries (multiprocessing, concurrent.futures) with every field."""
    copy = _round_trip(error)
    assert type(copy) is type(error) and str(copy) == str(error) and copy.args == error.args
    assert vars(copy) == vars(error)
    result: WebCallResult[None] = WebCallResult(data=None, error=error, endpoint="/x", request_method="GET",
                                                status_code=400)
    assert str(_round_trip(result).error) == str(error)


def _round_trip(value: T) -> T:
    restored: T = pickle.loads(pickle.dumps(value))  # noqa: S301 - our own bytes, just made
    return restored
