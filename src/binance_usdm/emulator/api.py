"""Binance's REST endpoints: the route table (verb, path, weight, security) and one handler each.

Handlers read the parameters with their types (`params`: -1100/-1102/-1130 for malformed values and
enums), call the backend, which holds every rule of the endpoint with Binance's codes, and render the
answer with `views`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from . import products, views
from .backend import Backend, IncomeQuery
from .call import Call
from .downloads import KINDS
from .errors import INVALID_PARAMETER, MANDATORY_EITHER
from .market import SymbolInfo
from .orders import check_limit
from .params import Params


class Security(Enum):
    """Binance's endpoint security types."""

    NONE = "NONE"
    MARKET_DATA = "MARKET_DATA"  # API key, no signature
    USER_STREAM = "USER_STREAM"  # API key, no signature
    SIGNED = "SIGNED"  # TRADE and USER_DATA


Handler = Callable[[Call], Any]
Weight = int | Callable[[Params], int]


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint."""

    weight: Weight
    security: Security
    handler: Handler
    #: The answer depends only on account state and parameters (not on the clock or history).
    cacheable: bool = False
    #: The handler may wait: it reads or writes the store (history, downloads, changes) or takes the
    #: backend's change lock. It runs on the server's storage thread, never on the event loop.
    off_loop: bool = False
    #: An `off_loop` change of account state alone: it writes at most its account's rows (nothing in
    #: memory, where account state lives in the backend only), so a server whose commits are quick runs
    #: it on the event loop when nothing holds what it needs (`App.account_only`, `Backend.claim`).
    account_only: bool = False

    def weight_of(self, params: Params) -> int:
        """The request weight (some endpoints weigh more without `symbol`)."""
        return self.weight(params) if callable(self.weight) else self.weight


def _symbol_weight(with_symbol: int, without: int) -> Callable[[Params], int]:
    return lambda p: with_symbol if p.get("symbol") else without


_OK = {"code": 200, "msg": "success"}


def ping(c: Call) -> Any:
    """GET /fapi/v1/ping."""
    return {}


def server_time(c: Call) -> Any:
    """GET /fapi/v1/time."""
    return {"serverTime": c.now_ms()}


def exchange_info(c: Call) -> Any:
    """GET /fapi/v1/exchangeInfo."""
    return views.exchange_info(c.backend, c.weight_limit, c.now_ms())


def _per_symbol(view: Callable[[Backend, SymbolInfo, int], Any]) -> Handler:
    """A market-data handler: an object with `symbol`, else an array over every symbol."""

    def handler(c: Call) -> Any:
        now = c.now_ms()
        s = c.symbol()
        if s is not None:
            return view(c.backend, c.backend.symbol(s), now)
        return [view(c.backend, info, now) for info in c.backend.symbols.values()]

    return handler


def change_leverage(c: Call) -> Any:
    """POST /fapi/v1/leverage."""
    params, backend, acc = c.params, c.backend, c.account
    assert acc is not None
    symbol = params.text("symbol")
    info = backend.symbol(symbol)  # -1121 before the leverage's own checks
    leverage = params.req_integer("leverage")
    max_notional = backend.set_leverage(acc, info, leverage, c.server_now)
    return {"leverage": leverage, "maxNotionalValue": str(max_notional), "symbol": symbol}


def change_margin_type(c: Call) -> Any:
    """POST /fapi/v1/marginType (ISOLATED or CROSSED, -1130 otherwise)."""
    symbol = c.symbol(required=True)
    assert symbol is not None
    value = c.params.text("marginType").upper()
    if value not in ("ISOLATED", "CROSSED"):
        raise INVALID_PARAMETER.reject(name="marginType")
    c.backend.change_margin_type(c.acc, symbol, value == "ISOLATED")
    return _OK


def account_v2(c: Call) -> Any:
    """GET /fapi/v2/account."""
    return views.account_v2(c.backend, c.acc)


def account_v3(c: Call) -> Any:
    """GET /fapi/v3/account."""
    return views.account_v3(c.backend, c.acc)


def balance(c: Call) -> Any:
    """GET /fapi/v2/balance and /fapi/v3/balance."""
    return views.balances(c.backend, c.acc)


def leverage_bracket(c: Call) -> Any:
    """GET /fapi/v1/leverageBracket."""
    return views.leverage_brackets(c.backend, c.symbol())


def _window(c: Call) -> tuple[int, int]:
    return c.params.req_integer("startTime"), c.params.req_integer("endTime")


def _download_request(kind: str) -> Handler:
    def handler(c: Call) -> Any:
        start, end = _window(c)
        download_id = c.backend.request_download(c.acc, kind, start, end)
        return {"avgCostTimestampOfLast30d": c.backend.downloads.completion_delay_ms, "downloadId": download_id}

    handler.__doc__ = f"GET /fapi/v1/{kind}/asyn."
    return handler


def _download_link(kind: str) -> Handler:
    def handler(c: Call) -> Any:
        download_id = c.params.text("downloadId")
        st = c.backend.downloads.status(c.acc.account_id, kind, download_id)
        return views.download_status(st, f"{c.base_url}/emulator/downloads/{download_id}.csv")

    handler.__doc__ = f"GET /fapi/v1/{kind}/asyn/id."
    return handler


def income(c: Call) -> Any:
    """GET /fapi/v1/income."""
    p = c.params
    limit, page = p.integer("limit"), p.integer("page")
    q = IncomeQuery(
        symbol=c.symbol(), income_type=p.get("incomeType"), start=p.integer("startTime"),
        end=p.integer("endTime"), limit=100 if limit is None else limit, page=1 if page is None else page,
    )
    built = views.verbatim_json(c.backend.query_income_json(c.acc, q, views.INCOME_MEMBERS))
    return built if built is not None else views.income_rows(c.backend.query_income(c.acc, q))


def margin_history(c: Call) -> Any:
    """GET /fapi/v1/positionMargin/history."""
    symbol = c.symbol(required=True)
    assert symbol is not None
    p = c.params
    rows = c.backend.query_margin_history(
        c.acc, symbol, p.integer("type"), p.integer("startTime"), p.integer("endTime"), p.integer("limit"))
    return views.margin_rows(rows)


def symbol_config(c: Call) -> Any:
    """GET /fapi/v1/symbolConfig: leverage and margin type per symbol (what v3 users read)."""
    s = c.symbol()
    return views.symbol_configs(c.backend, c.acc, s)


def account_config(c: Call) -> Any:
    """GET /fapi/v1/accountConfig."""
    acc = c.acc
    return {
        "feeTier": acc.fee_tier,
        "canTrade": acc.can_trade,
        "canDeposit": acc.can_deposit,
        "canWithdraw": acc.can_withdraw,
        "dualSidePosition": acc.dual_side,
        "updateTime": acc.update_time,
        "multiAssetsMargin": acc.multi_assets,
        "tradeGroupId": -1,
    }


def get_multi_assets(c: Call) -> Any:
    """GET /fapi/v1/multiAssetsMargin."""
    return {"multiAssetsMargin": c.acc.multi_assets}


def set_multi_assets(c: Call) -> Any:
    """POST /fapi/v1/multiAssetsMargin."""
    c.backend.change_multi_assets(c.acc, c.params.boolean("multiAssetsMargin"))
    return _OK


def adl_quantile(c: Call) -> Any:
    """GET /fapi/v1/adlQuantile."""
    return views.adl_quantiles(c.backend, c.acc, c.symbol())


def position_risk_v2(c: Call) -> Any:
    """GET /fapi/v2/positionRisk."""
    return views.position_risk_v2(c.backend, c.acc, c.symbol())


def position_risk_v3(c: Call) -> Any:
    """GET /fapi/v3/positionRisk."""
    return views.position_risk_v3(c.backend, c.acc, c.symbol())


def get_position_mode(c: Call) -> Any:
    """GET /fapi/v1/positionSide/dual."""
    return {"dualSidePosition": c.acc.dual_side}


def set_position_mode(c: Call) -> Any:
    """POST /fapi/v1/positionSide/dual."""
    c.backend.change_position_mode(c.acc, c.params.boolean("dualSidePosition"))
    return _OK


def trading_status(c: Call) -> Any:
    """GET /fapi/v1/apiTradingStatus."""
    s = c.symbol()
    indicators = c.acc.trading_indicators
    if s is not None:
        indicators = {s: indicators[s]} if s in indicators else {}
    return {"indicators": indicators, "updateTime": c.acc.indicators_time}


def commission_rate(c: Call) -> Any:
    """GET /fapi/v1/commissionRate."""
    symbol = c.symbol(required=True)
    acc = c.acc
    return {
        "symbol": symbol,
        "makerCommissionRate": str(acc.maker_rate),
        "takerCommissionRate": str(acc.taker_rate),
        "rpiCommissionRate": str(acc.rpi_rate),
    }


def listen_key_create(c: Call) -> Any:
    """POST /fapi/v1/listenKey."""
    return {"listenKey": c.backend.listen_keys.create(c.acc.account_id)}


def listen_key_keepalive(c: Call) -> Any:
    """PUT /fapi/v1/listenKey (key in query, body or absent)."""
    return {"listenKey": c.backend.listen_key_keepalive(c.acc, c.params.get("listenKey"))}


def listen_key_close(c: Call) -> Any:
    """DELETE /fapi/v1/listenKey."""
    c.backend.listen_key_close(c.acc, c.params.get("listenKey"))
    return {}


def position_margin(c: Call) -> Any:
    """POST /fapi/v1/positionMargin."""
    symbol = c.symbol(required=True)
    assert symbol is not None
    p = c.params
    amount = p.decimal("amount")
    type_ = p.req_integer("type")
    c.backend.modify_position_margin(c.acc, symbol, amount, type_, p.get("positionSide"))
    return {"amount": float(amount), "code": 200, "msg": "Successfully modify position margin.", "type": type_}


def _symbol_param(c: Call) -> str:
    symbol = c.symbol(required=True)
    assert symbol is not None
    return symbol


def open_orders(c: Call) -> Any:
    """GET /fapi/v1/openOrders: open orders of one symbol, or of all.
    https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Current-All-Open-Orders"""
    return c.backend.orders.open_orders(c.acc.account_id, c.symbol())


def open_order(c: Call) -> Any:
    """GET /fapi/v1/openOrder: one open order by orderId or origClientOrderId (one of them mandatory),
    -2013 "Order does not exist." when it is not open.
    https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Query-Current-Open-Order"""
    symbol = _symbol_param(c)
    order_id = c.params.integer("orderId")
    client_id = c.params.get("origClientOrderId")
    if order_id is None and client_id is None:
        raise MANDATORY_EITHER.reject(first="origClientOrderId", second="orderId")
    return c.backend.orders.open_order(c.acc.account_id, symbol, order_id, client_id)


def all_orders(c: Call) -> Any:
    """GET /fapi/v1/allOrders (limit default 500, max 1000; 7-day window).
    https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/All-Orders"""
    symbol = _symbol_param(c)
    p = c.params
    limit = check_limit(p.integer("limit"), 500, 1000)
    return c.backend.orders.all_orders(c.acc.account_id, symbol, p.integer("orderId"), p.integer("startTime"),
                                       p.integer("endTime"), limit)


def user_trades(c: Call) -> Any:
    """GET /fapi/v1/userTrades (limit default 500, max 1000; 7-day window; fromId alone).
    https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Account-Trade-List"""
    symbol = _symbol_param(c)
    p = c.params
    limit = check_limit(p.integer("limit"), 500, 1000)
    return c.backend.orders.user_trades(c.acc.account_id, symbol, p.integer("orderId"), p.integer("fromId"),
                                        p.integer("startTime"), p.integer("endTime"), limit)


def force_orders(c: Call) -> Any:
    """GET /fapi/v1/forceOrders (autoCloseType LIQUIDATION or ADL; limit default 50, max 100).
    https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Users-Force-Orders"""
    p = c.params
    auto_close = p.choice("autoCloseType", ("LIQUIDATION", "ADL"))
    limit = check_limit(p.integer("limit"), 50, 100)
    return c.backend.orders.force_orders(c.acc.account_id, c.symbol(), auto_close, p.integer("startTime"),
                                         p.integer("endTime"), limit)


def open_algo_orders(c: Call) -> Any:
    """GET /fapi/v1/openAlgoOrders (algoType, symbol, algoId all optional).
    https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Current-All-Algo-Open-Orders"""
    p = c.params
    return c.backend.orders.open_algo_orders(c.acc.account_id, c.symbol(), p.get("algoType"), p.integer("algoId"))


def order_rate_limit(c: Call) -> Any:
    """GET /fapi/v1/rateLimit/order: the ORDERS limits (those of exchangeInfo).
    https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Query-Rate-Limit"""
    return views.order_rate_limits()


def get_fee_burn(c: Call) -> Any:
    """GET /fapi/v1/feeBurn.
    https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-BNB-Burn-Status"""
    return {"feeBurn": c.acc.fee_burn}


def set_fee_burn(c: Call) -> Any:
    """POST /fapi/v1/feeBurn ("true" / "false", mandatory).
    https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Toggle-BNB-Burn-On-Futures-Trade"""
    c.backend.set_fee_burn(c.acc, c.params.boolean("feeBurn"))
    return _OK


S, U, N, K = Security.SIGNED, Security.USER_STREAM, Security.NONE, Security.MARKET_DATA

ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/fapi/v1/ping"): Route(1, N, ping),
    ("GET", "/fapi/v1/time"): Route(1, N, server_time),
    ("GET", "/api/v3/ping"): Route(1, N, ping),
    ("GET", "/api/v3/time"): Route(1, N, server_time),
    ("GET", "/api/v3/exchangeInfo"): Route(20, N, products.spot_exchange_info),
    ("GET", "/dapi/v1/exchangeInfo"): Route(1, N, products.coin_futures_exchange_info),
    ("GET", "/sapi/v1/system/status"): Route(1, N, products.system_status),
    ("GET", "/sapi/v1/capital/config/getall"): Route(10, S, products.wallet_coins),
    ("GET", "/sapi/v1/margin/allPairs"): Route(1, K, products.margin_pairs),
    ("GET", "/sapi/v1/margin/isolated/allPairs"): Route(10, S, products.margin_pairs),
    ("GET", "/fapi/v1/exchangeInfo"): Route(1, N, exchange_info),
    ("GET", "/fapi/v1/premiumIndex"): Route(_symbol_weight(1, 10), N, _per_symbol(views.mark_price)),
    ("GET", "/fapi/v1/ticker/24hr"): Route(_symbol_weight(1, 40), N, _per_symbol(views.ticker_24h)),
    ("GET", "/fapi/v1/ticker/price"): Route(_symbol_weight(1, 2), N, _per_symbol(views.ticker_price)),
    ("GET", "/fapi/v2/ticker/price"): Route(_symbol_weight(1, 2), N, _per_symbol(views.ticker_price)),
    ("POST", "/fapi/v1/leverage"): Route(1, S, change_leverage, off_loop=True, account_only=True),
    ("POST", "/fapi/v1/marginType"): Route(1, S, change_margin_type, off_loop=True),
    ("GET", "/fapi/v2/account"): Route(5, S, account_v2, cacheable=True),
    ("GET", "/fapi/v3/account"): Route(5, S, account_v3, cacheable=True),
    ("GET", "/fapi/v2/balance"): Route(5, S, balance, cacheable=True),
    ("GET", "/fapi/v3/balance"): Route(5, S, balance, cacheable=True),
    ("GET", "/fapi/v1/leverageBracket"): Route(1, S, leverage_bracket, cacheable=True),
    ("GET", "/fapi/v1/income"): Route(30, S, income, off_loop=True),
    ("GET", "/fapi/v1/positionMargin/history"): Route(1, S, margin_history, off_loop=True),
    ("GET", "/fapi/v1/symbolConfig"): Route(5, S, symbol_config, cacheable=True),
    ("GET", "/fapi/v1/accountConfig"): Route(5, S, account_config),
    ("GET", "/fapi/v1/multiAssetsMargin"): Route(30, S, get_multi_assets),
    ("POST", "/fapi/v1/multiAssetsMargin"): Route(1, S, set_multi_assets, off_loop=True),
    ("GET", "/fapi/v1/adlQuantile"): Route(5, S, adl_quantile, cacheable=True),
    ("GET", "/fapi/v2/positionRisk"): Route(5, S, position_risk_v2, cacheable=True),
    ("GET", "/fapi/v3/positionRisk"): Route(5, S, position_risk_v3, cacheable=True),
    ("GET", "/fapi/v1/positionSide/dual"): Route(30, S, get_position_mode),
    ("POST", "/fapi/v1/positionSide/dual"): Route(1, S, set_position_mode, off_loop=True),
    ("GET", "/fapi/v1/apiTradingStatus"): Route(_symbol_weight(1, 10), S, trading_status),
    ("GET", "/fapi/v1/commissionRate"): Route(20, S, commission_rate),
    ("POST", "/fapi/v1/listenKey"): Route(1, U, listen_key_create),
    ("PUT", "/fapi/v1/listenKey"): Route(1, U, listen_key_keepalive),
    ("DELETE", "/fapi/v1/listenKey"): Route(1, U, listen_key_close, off_loop=True),
    ("POST", "/fapi/v1/positionMargin"): Route(1, S, position_margin, off_loop=True),
    ("GET", "/fapi/v1/openOrders"): Route(_symbol_weight(1, 40), S, open_orders, off_loop=True),
    ("GET", "/fapi/v1/openOrder"): Route(1, S, open_order, off_loop=True),
    ("GET", "/fapi/v1/allOrders"): Route(5, S, all_orders, off_loop=True),
    ("GET", "/fapi/v1/userTrades"): Route(5, S, user_trades, off_loop=True),
    ("GET", "/fapi/v1/forceOrders"): Route(_symbol_weight(20, 50), S, force_orders, off_loop=True),
    ("GET", "/fapi/v1/openAlgoOrders"): Route(_symbol_weight(1, 40), S, open_algo_orders, off_loop=True),
    ("GET", "/fapi/v1/rateLimit/order"): Route(1, S, order_rate_limit),
    ("GET", "/fapi/v1/feeBurn"): Route(30, S, get_fee_burn),
    ("POST", "/fapi/v1/feeBurn"): Route(1, S, set_fee_burn, off_loop=True, account_only=True),
}
for _kind in KINDS:
    ROUTES[("GET", f"/fapi/v1/{_kind}/asyn")] = Route(1000, S, _download_request(_kind), off_loop=True)
    ROUTES[("GET", f"/fapi/v1/{_kind}/asyn/id")] = Route(10, S, _download_link(_kind), off_loop=True)
