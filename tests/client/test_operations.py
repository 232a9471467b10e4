"""Every operation of Binance.Net's account interface (IBinanceRestClientUsdFuturesApiAccount): verb,
path, parameters and signature on the wire; the documented answer parsed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm import (
    DownloadStatus,
    IncomeType,
    MarginChangeDirection,
    MarginType,
    PositionSide,
)
from binance_usdm import models as m
from tests.client import samples
from tests.client.conftest import API_KEY, API_SECRET, Caller
from tests.client.signatures import hmac_valid
from tests.scripted_server import Reply, ScriptedServer

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 1, tzinfo=UTC)
T0_MS, T1_MS = "1767225600000", "1769904000000"

# op, args, kwargs, verb, path, expected wire params, answer, check of the parsed data
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str, str, dict[str, str], bytes, Any]] = [
    ("change_initial_leverage", ("btcusdt", 21), {}, "POST", "/fapi/v1/leverage",
     {"symbol": "BTCUSDT", "leverage": "21"}, samples.LEVERAGE,
     lambda d: (d.leverage, d.max_notional_value, d.symbol) == (21, Decimal("1000000"), "BTCUSDT")),
    ("change_margin_type", ("BTCUSDT", MarginType.ISOLATED), {}, "POST", "/fapi/v1/marginType",
     {"symbol": "BTCUSDT", "marginType": "ISOLATED"}, samples.ACK, lambda d: d.code == 200),
    ("change_margin_type", ("BTCUSDT", "crossed"), {}, "POST", "/fapi/v1/marginType",
     {"symbol": "BTCUSDT", "marginType": "CROSSED"}, samples.ACK, lambda d: d.msg == "success"),
    ("get_account_info", (), {}, "GET", "/fapi/v2/account", {}, samples.ACCOUNT_V2,
     lambda d: d.total_wallet_balance == Decimal("126.72469206")
     and d.positions[0].leverage == Decimal(100) and d.positions[0].isolated
     and d.assets[0].update_time == datetime(2021, 7, 5, 8, 38, 24, 765000, tzinfo=UTC)),
    ("get_account_info_v3", (), {}, "GET", "/fapi/v3/account", {}, samples.ACCOUNT_V3,
     lambda d: d.positions[0].position_amt == Decimal("1.000") and d.assets[0].margin_available is None),
    ("get_balances", (), {}, "GET", "/fapi/v2/balance", {}, samples.BALANCES,
     lambda d: d[0].balance == Decimal("122.60718263") and d[0].account_alias == "SgsR"),
    ("get_balances_v3", (), {}, "GET", "/fapi/v3/balance", {}, samples.BALANCES,
     lambda d: d[0].max_withdraw_amount == Decimal("23.72469206")),
    ("get_brackets", (), {}, "GET", "/fapi/v1/leverageBracket", {}, samples.BRACKETS,
     lambda d: d[0].brackets[1].maint_margin_ratio == Decimal("0.01") and d[0].notional_coef == Decimal("1.5")),
    ("get_brackets", ("ETHUSDT",), {}, "GET", "/fapi/v1/leverageBracket", {"symbol": "ETHUSDT"},
     samples.BRACKETS_ONE, lambda d: len(d) == 1 and d[0].brackets[0].initial_leverage == 75),
    ("get_download_id_for_order_history", (T0, T1), {}, "GET", "/fapi/v1/order/asyn",
     {"startTime": T0_MS, "endTime": T1_MS}, samples.DOWNLOAD_ID, lambda d: d.download_id == "546975389218332672"),
    ("get_download_id_for_trade_history", (T0, T1), {}, "GET", "/fapi/v1/trade/asyn",
     {"startTime": T0_MS, "endTime": T1_MS}, samples.DOWNLOAD_ID, lambda d: d.avg_cost_timestamp_of_last30d == 7241837),
    ("get_download_id_for_transaction_history", (T0, T1), {}, "GET", "/fapi/v1/income/asyn",
     {"startTime": T0_MS, "endTime": T1_MS}, samples.DOWNLOAD_ID, lambda d: isinstance(d, m.DownloadId)),
    ("get_download_link_for_order_history", ("545923594199212032",), {}, "GET", "/fapi/v1/order/asyn/id",
     {"downloadId": "545923594199212032"}, samples.DOWNLOAD_LINK,
     lambda d: d.status is DownloadStatus.COMPLETED and d.ready and d.expiration_timestamp.year == 2022),
    ("get_download_link_for_trade_history", ("1",), {}, "GET", "/fapi/v1/trade/asyn/id",
     {"downloadId": "1"}, samples.DOWNLOAD_PROCESSING,
     lambda d: d.status is DownloadStatus.PROCESSING and not d.ready and d.expiration_timestamp is None),
    ("get_download_link_for_transaction_history", ("2",), {}, "GET", "/fapi/v1/income/asyn/id",
     {"downloadId": "2"}, samples.DOWNLOAD_LINK, lambda d: d.url.endswith("report.csv")),
    ("get_income_history", (), {"symbol": "BTCUSDT", "income_type": "COMMISSION", "start_time": T0,
     "end_time": T1, "limit": 1000}, "GET", "/fapi/v1/income",
     {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "startTime": T0_MS, "endTime": T1_MS, "limit": "1000"},
     samples.INCOME, lambda d: d[0].income == Decimal("-0.37500000") and d[1].income_type is IncomeType.COMMISSION
     and d[1].tran_id == 9689322393),
    ("get_margin_change_history", ("BTCUSDT",), {"type": MarginChangeDirection.ADD, "limit": 10}, "GET",
     "/fapi/v1/positionMargin/history", {"symbol": "BTCUSDT", "type": "1", "limit": "10"},
     samples.MARGIN_HISTORY, lambda d: d[0].type is MarginChangeDirection.ADD and d[0].amount == Decimal("23.36332311")),
    ("get_multi_assets_mode", (), {}, "GET", "/fapi/v1/multiAssetsMargin", {}, samples.MULTI_ASSETS,
     lambda d: d.multi_assets_margin is True),
    ("get_position_adl_quantile_estimation", (), {"symbol": "ETHUSDT"}, "GET", "/fapi/v1/adlQuantile",
     {"symbol": "ETHUSDT"}, samples.ADL, lambda d: d[0].adl_quantile.hedge == 0 and d[1].adl_quantile.both == 0
     and d[1].adl_quantile.short == 2),
    ("get_position_information", (), {}, "GET", "/fapi/v2/positionRisk", {}, samples.POSITION_V2,
     lambda d: d[0].margin_type is MarginType.ISOLATED and d[0].is_auto_add_margin is False
     and d[0].liquidation_price == Decimal("5930.78")),
    ("get_position_information_v3", ("ADAUSDT",), {}, "GET", "/fapi/v3/positionRisk", {"symbol": "ADAUSDT"},
     samples.POSITION_V3, lambda d: d[0].adl == 2 and d[0].position_side is PositionSide.BOTH),
    ("get_position_mode", (), {}, "GET", "/fapi/v1/positionSide/dual", {}, samples.POSITION_MODE,
     lambda d: d.dual_side_position is True),
    ("get_trading_status", (), {}, "GET", "/fapi/v1/apiTradingStatus", {}, samples.TRADING_STATUS,
     lambda d: d.indicators["BTCUSDT"][0].trigger_value == Decimal("0.995")),
    ("get_user_commission_rate", ("BTCUSDT",), {}, "GET", "/fapi/v1/commissionRate", {"symbol": "BTCUSDT"},
     samples.COMMISSION, lambda d: d.taker_commission_rate == Decimal("0.0004") and d.rpi_commission_rate is None),
    ("modify_position_margin", ("BTCUSDT", "100", 1), {"position_side": "LONG"}, "POST",
     "/fapi/v1/positionMargin", {"symbol": "BTCUSDT", "amount": "100", "type": "1", "positionSide": "LONG"},
     samples.POSITION_MARGIN, lambda d: d.amount == Decimal("100.0") and d.type is MarginChangeDirection.ADD),
    ("modify_position_mode", (True,), {}, "POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"},
     samples.ACK, lambda d: d.code == 200),
    ("set_multi_assets_mode", (False,), {}, "POST", "/fapi/v1/multiAssetsMargin", {"multiAssetsMargin": "false"},
     samples.ACK, lambda d: d.code == 200),
]

STREAM_CASES: list[tuple[str, tuple[Any, ...], str, dict[str, str], bytes, Any]] = [
    ("start_user_stream", (), "POST", {}, samples.LISTEN_KEY, lambda d: d.startswith("pqia91")),
    ("keep_alive_user_stream", ("abc",), "PUT", {"listenKey": "abc"}, samples.LISTEN_KEY, lambda d: d is None),
    ("keep_alive_user_stream", ("abc",), "PUT", {"listenKey": "abc"}, b"{}", lambda d: d is None),
    ("stop_user_stream", ("abc",), "DELETE", {"listenKey": "abc"}, b"{}", lambda d: d is None),
]


def test_every_binance_net_account_operation_is_covered() -> None:
    ops = {case[0] for case in CASES} | {case[0] for case in STREAM_CASES}
    assert len(ops - {"get_account_info_v3", "get_balances_v3", "get_position_information_v3"}) == 25


@pytest.mark.parametrize(("op", "args", "kwargs", "verb", "path", "wire", "answer", "check"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_signed_operation(
    stub: ScriptedServer, call: Caller, op: str, args: tuple[Any, ...], kwargs: dict[str, Any], verb: str,
    path: str, wire: dict[str, str], answer: bytes, check: Any,
) -> None:
    stub.route(verb, path, Reply(body=answer))
    result = call(op, *args, **kwargs)
    assert result.success, result.error
    assert check(result.data)
    assert result.status_code == 200 and result.used_weight == 7
    [sent] = stub.requests
    assert (sent.method, sent.path) == (verb, path)
    params = sent.params
    assert set(params) == set(wire) | {"timestamp", "signature"}
    assert {k: params[k] for k in wire} == wire
    assert sent.headers["x-mbx-apikey"] == API_KEY
    assert hmac_valid(sent.query, API_SECRET)
    assert abs(int(params["timestamp"]) - datetime.now(UTC).timestamp() * 1000) < 5000


@pytest.mark.parametrize(("op", "args", "verb", "wire", "answer", "check"), STREAM_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(STREAM_CASES)])
def test_user_stream_operation(
    stub: ScriptedServer, call: Caller, op: str, args: tuple[Any, ...], verb: str, wire: dict[str, str],
    answer: bytes, check: Any,
) -> None:
    stub.route(verb, "/fapi/v1/listenKey", Reply(body=answer))
    result = call(op, *args)
    assert result.success, result.error
    assert check(result.data)
    [sent] = stub.requests
    assert sent.method == verb and sent.params == wire  # key header only: no timestamp, no signature
    assert sent.headers["x-mbx-apikey"] == API_KEY


def test_receive_window_per_call_and_default(stub: ScriptedServer, kind: str) -> None:
    from tests.client.conftest import make_caller

    stub.route("GET", "/fapi/v2/balance", Reply(body=samples.BALANCES))
    make_caller(kind, stub.base_url, recv_window=7000)("get_balances")
    make_caller(kind, stub.base_url, recv_window=7000)("get_balances", receive_window=2500)
    assert [r.params["recvWindow"] for r in stub.requests] == ["7000", "2500"]


def test_trading_status_for_one_symbol(stub: ScriptedServer, call: Caller) -> None:
    stub.route("GET", "/fapi/v1/apiTradingStatus", Reply(body=samples.TRADING_STATUS))
    assert call("get_trading_status", symbol="BTCUSDT").success
    assert stub.requests[0].params["symbol"] == "BTCUSDT"


def test_models_convert_to_plain_dicts(stub: ScriptedServer, call: Caller) -> None:
    stub.route("GET", "/fapi/v2/positionRisk", Reply(body=samples.POSITION_V2))
    [position] = call("get_position_information").unwrap()
    plain = position.to_dict()
    assert plain["entry_price"] == Decimal("6563.66500")
    assert plain["margin_type"] == "ISOLATED"
    assert plain["update_time"] == datetime(2021, 7, 5, 8, 38, 24, 765000, tzinfo=UTC)
    assert "PositionDetails(symbol='BTCUSDT'" in repr(position)
