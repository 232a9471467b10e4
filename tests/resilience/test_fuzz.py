"""Fuzz every endpoint of the emulator's own OpenAPI document (`/emulator/openapi.json`) with
hypothesis: valid and invalid parameter values, missing and unknown parameters, query or form body,
validly signed requests (and some unsigned or badly signed ones).

Every answer must be a 200 or a 4xx carrying exactly `{"code": <negative int>, "msg": <str>}`:
never a 5xx, never a crash. Afterwards the server still answers, the account's figures are
consistent across v2/v3 account, balances and position risk, and every read decodes into the
client's models.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_usdm import BinanceRestClient
from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer
from binance_usdm.emulator.api import ROUTES

EXAMPLES = 50  # per endpoint, fresh random each run (no database): 2750 requests over the 55 endpoints
SENT = {"requests": 0}

JUNK = st.one_of(
    st.text(max_size=30),
    st.sampled_from([
        "", " ", "0", "-1", "1.5", "1e3", "NaN", "Infinity", "null", "true", "TRUE", "0x1F", "-0", "٣",
        "99999999999999999999", "100000000000000000000", "9223372036854775808", "0.000000001", "1.123456789",
        "1" * 30, "%", "%zz", "&", "=", "+", "a=b", "\x00", "💥", "BTCUSDT ", "btcusdt", "ISOLATED\n",
    ]),
    st.integers(-(10**25), 10**25).map(str),
)
RAW_TAILS = st.sampled_from(["", "", "", "&", "&&", "&=", "&=x", "&x", "&%zz=1", "&x=%ff", "&a+b=c"])
LATIN_1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")


@dataclass(frozen=True)
class Request:
    """A generated request (see `_request`)."""

    params: list[tuple[str, str]]
    where: str
    api_key: str
    signing: str
    tail: str


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    """An emulator whose weight limit the fuzzing cannot reach."""
    with EmulatorServer(weight_limit=10**9, download_delay_ms=0) as server:
        yield server


@pytest.fixture(scope="module")
def document(emu: EmulatorServer) -> dict[str, Any]:
    status, body = _exchange(emu, "GET", "/emulator/openapi.json", "", "")
    assert status == 200
    doc: dict[str, Any] = json.loads(body)
    return doc


def _exchange(emu: EmulatorServer, method: str, path: str, query: str, body: str,
              api_key: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(emu.host, emu.port, timeout=10)
    try:
        headers = {} if api_key is None else {"X-MBX-APIKEY": api_key}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, f"{path}?{query}" if query else path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    target: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return dict(target)


def _valid(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Values the schema allows."""
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"]])
    if schema.get("type") == "integer":
        low, high = schema.get("minimum", 0), schema.get("maximum", 10**20 - 1)  # the emulator's 20 digits
        edges = [low, high, *(v for v in (2**31, 2**53, 2**63 - 1, 2**63, 2**64) if low <= v <= high)]
        return st.one_of(st.integers(low, high), st.sampled_from(edges)).map(str)
    if "pattern" in schema:  # decimals
        return st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False).map(
            lambda d: format(d, "f"))
    return st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=64)


#: A parameter's drawn value is sent as is (None, two chances in three) or replaced by junk.
AS_IS_OR_JUNK = st.one_of(st.none(), st.none(), JUNK)
EXTRA_PARAMS = st.lists(st.tuples(st.sampled_from(["foo", "symbol", "limit", "x y", "", "é"]), JUNK), max_size=2)
API_KEYS = st.sampled_from([DEMO_API_KEY] * 6 + ["", "unknown"]) | st.text(LATIN_1, max_size=70)
SIGNINGS = st.sampled_from(["valid", "valid", "valid", "valid", "none", "reversed"]) | JUNK
PLACES = {"GET": st.just("query")}
ANY_PLACE = st.sampled_from(["query", "body", "split"])


def _request(doc: dict[str, Any], op: dict[str, Any], method: str) -> st.SearchStrategy[Request]:
    """Requests for an operation: parameters (valid, invalid, missing, unknown), where they go, the API
    key, how it is signed and raw junk appended to the query string. The strategies are built once per
    operation (building them inside each draw cost hypothesis about a quarter of the fuzzing's CPU)."""
    fields: list[tuple[str, st.SearchStrategy[bool], st.SearchStrategy[str] | None]] = []
    for p in op.get("parameters", []):
        name = p["name"]
        if name == "signature":
            continue
        present = st.booleans() if not p["required"] else st.sampled_from([True, True, True, False])
        fields.append((name, present, None if name == "timestamp" else _valid(_resolve(doc, p["schema"]))))

    @st.composite
    def request(draw: st.DrawFn) -> Request:
        params: list[tuple[str, str]] = []
        for name, present, valid in fields:
            if not draw(present):
                continue
            value = "NOW" if valid is None else draw(valid)
            junk = draw(AS_IS_OR_JUNK)
            params.append((name, value if junk is None else junk))
        params += draw(EXTRA_PARAMS)
        where = draw(PLACES.get(method, ANY_PLACE))
        return Request(params, where, draw(API_KEYS), draw(SIGNINGS), draw(RAW_TAILS))

    return request()


def _encode(params: list[tuple[str, str]], now: int) -> str:
    return "&".join(f"{quote(n, safe='')}={quote(str(now) if v == 'NOW' else v, safe='')}" for n, v in params)


def _check_answer(status: int, body: bytes) -> None:
    assert status < 500, (status, body[:200])
    decoded = json.loads(body)
    if status != 200:
        assert 400 <= status < 500, (status, body[:200])
        assert isinstance(decoded, dict) and set(decoded) == {"code", "msg"}, body[:200]
        assert isinstance(decoded["code"], int) and decoded["code"] < 0 and isinstance(decoded["msg"], str)


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_fuzz_endpoint(emu: EmulatorServer, document: dict[str, Any], method: str, path: str) -> None:
    op = document["paths"][path][method.lower()]
    signed_route = any(p["name"] == "signature" for p in op.get("parameters", []))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(_request(document, op, method))
    def fuzz(request: Request) -> None:
        now = emu.clock.now_ms()
        params = request.params
        if request.where == "query":
            query, body = _encode(params, now), ""
        elif request.where == "body":
            query, body = "", _encode(params, now)
        else:
            query, body = _encode(params[: len(params) // 2], now), _encode(params[len(params) // 2:], now)
        query += request.tail
        if signed_route and request.signing != "none":
            signature = hmac.new(DEMO_API_SECRET.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
            if request.signing == "reversed":
                signature = signature[::-1]
            elif request.signing != "valid":
                signature = quote(request.signing, safe="")
            query = f"{query}&signature={signature}" if query else f"signature={signature}"
        SENT["requests"] += 1
        _check_answer(*_exchange(emu, method, path, query, body, request.api_key))

    fuzz()


def test_zz_still_serving_and_state_consistent(emu: EmulatorServer) -> None:
    """After the fuzzing (runs last in this module): ping answers, figures agree, reads decode."""
    assert _exchange(emu, "GET", "/fapi/v1/ping", "", "") == (200, b"{}")
    with BinanceRestClient(DEMO_API_KEY, DEMO_API_SECRET, base_url=emu.base_url, weight_limit=10**9) as client:
        account = client.usd_futures_api.account
        v2 = account.get_account_info().unwrap()
        v3 = account.get_account_info_v3().unwrap()
        balances = account.get_balances().unwrap()
        risk = account.get_position_information().unwrap()
        risk_v3 = account.get_position_information_v3().unwrap()
        for read in (account.get_balances_v3, account.get_brackets, account.get_multi_assets_mode,
                     account.get_position_mode, account.get_position_adl_quantile_estimation,
                     account.get_trading_status, account.get_income_history):
            read().unwrap()
        account.get_user_commission_rate("BTCUSDT").unwrap()
        account.get_margin_change_history("ETHUSDT").unwrap()
    assert all(a.wallet_balance >= 0 for a in v2.assets) and all(b.balance >= 0 for b in balances)
    assert {b.asset: b.balance for b in balances} == {a.asset: a.wallet_balance for a in v2.assets}
    for name in ("total_wallet_balance", "total_unrealized_profit", "total_margin_balance", "total_initial_margin",
                 "total_maint_margin", "available_balance"):
        assert getattr(v2, name) == getattr(v3, name), name
    open_legs = [p for p in risk if p.position_amt != 0]
    assert sum((p.unrealized_profit for p in v2.positions), Decimal(0)) == v2.total_unrealized_profit
    assert sum((p.un_realized_profit for p in open_legs), Decimal(0)) == v2.total_unrealized_profit
    assert {(p.symbol, p.position_amt) for p in open_legs} == {(p.symbol, p.position_amt) for p in risk_v3}
    assert all(p.isolated_margin >= 0 for p in risk)
    print(f"\nfuzz: {SENT['requests']} requests over {len(ROUTES)} endpoints")
