"""The emulator's OpenAPI 3 document (served at `GET /emulator/openapi.json`): every Binance endpoint
it serves, with parameter types, enums and ranges as the handlers check them, and its security; and
the emulator's own admin API (`/emulator/...`, tagged "emulator admin", no authentication).

Signed (TRADE / USER_DATA) endpoints also take `recvWindow`, `timestamp` and `signature`: the
signature is HMAC-SHA256 (hex) or RSA/Ed25519 (base64) over the raw query string followed by the raw
form body, which OpenAPI cannot express; the `apiKey` scheme is the `X-MBX-APIKEY` header.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .api import ROUTES, Security
from .backend import INCOME_TYPES
from .downloads import KINDS
from .params import Params

Param = tuple[str, dict[str, Any], bool]

_SYMBOL: dict[str, Any] = {"$ref": "#/components/schemas/Symbol"}
_TIME: dict[str, Any] = {"type": "integer", "format": "int64", "minimum": 0, "description": "epoch milliseconds"}
_DECIMAL: dict[str, Any] = {"type": "string", "pattern": "^[0-9]{1,20}(\\.[0-9]{1,8})?$"}
_BOOL: dict[str, Any] = {"type": "string", "enum": ["true", "false"]}
_MARGIN_TYPE: dict[str, Any] = {"type": "integer", "enum": [1, 2], "description": "1 add, 2 reduce"}


def _opt(name: str, schema: dict[str, Any]) -> Param:
    return name, schema, False


def _req(name: str, schema: dict[str, Any]) -> Param:
    return name, schema, True


_WINDOW = [_opt("startTime", _TIME), _opt("endTime", _TIME)]
_LONG: dict[str, Any] = {"type": "integer", "format": "int64", "minimum": 0}


def _limit(default: int, maximum: int) -> Param:
    return _opt("limit", {"type": "integer", "minimum": 1, "maximum": maximum, "default": default})


#: (verb, path) -> (summary, parameters besides recvWindow/timestamp/signature).
ENDPOINTS: dict[tuple[str, str], tuple[str, list[Param]]] = {
    ("GET", "/fapi/v1/ping"): ("Test connectivity", []),
    ("GET", "/fapi/v1/time"): ("Server time", []),
    ("GET", "/api/v3/ping"): ("Test connectivity (spot path some clients call)", []),
    ("GET", "/api/v3/time"): ("Server time (spot path some clients call)", []),
    ("GET", "/api/v3/exchangeInfo"): ("Spot exchange information (no spot markets here)", []),
    ("GET", "/dapi/v1/exchangeInfo"): ("COIN-M exchange information (no COIN-M contracts here)", []),
    ("GET", "/sapi/v1/system/status"): ("System status", []),
    ("GET", "/sapi/v1/capital/config/getall"): ("Wallet coins (none held in the spot wallet)", []),
    ("GET", "/sapi/v1/margin/allPairs"): ("Cross margin pairs (none here)", []),
    ("GET", "/sapi/v1/margin/isolated/allPairs"): ("Isolated margin pairs (none here)", []),
    ("GET", "/fapi/v1/exchangeInfo"): ("Exchange information", []),
    ("GET", "/fapi/v1/premiumIndex"): ("Mark price", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v1/ticker/24hr"): ("24hr ticker (no trades here: the price stood at the mark)",
                                      [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v1/ticker/price"): ("Symbol price ticker (the mark price)", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v2/ticker/price"): ("Symbol price ticker V2 (the mark price)", [_opt("symbol", _SYMBOL)]),
    ("POST", "/fapi/v1/leverage"): ("Change initial leverage", [
        _req("symbol", _SYMBOL), _req("leverage", {"type": "integer", "minimum": 1, "maximum": 125})]),
    ("POST", "/fapi/v1/marginType"): ("Change margin type", [
        _req("symbol", _SYMBOL), _req("marginType", {"type": "string", "enum": ["ISOLATED", "CROSSED"]})]),
    ("GET", "/fapi/v2/account"): ("Account information V2", []),
    ("GET", "/fapi/v3/account"): ("Account information V3", []),
    ("GET", "/fapi/v2/balance"): ("Futures account balance V2", []),
    ("GET", "/fapi/v3/balance"): ("Futures account balance V3", []),
    ("GET", "/fapi/v1/leverageBracket"): ("Notional and leverage brackets", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v1/income"): ("Income history", [
        _opt("symbol", _SYMBOL), _opt("incomeType", {"type": "string", "enum": sorted(INCOME_TYPES)}), *_WINDOW,
        _opt("page", {"type": "integer", "minimum": 1}),
        _opt("limit", {"type": "integer", "minimum": 1, "maximum": 1000})]),
    ("GET", "/fapi/v1/positionMargin/history"): ("Position margin change history", [
        _req("symbol", _SYMBOL), _opt("type", _MARGIN_TYPE), *_WINDOW,
        _opt("limit", {"type": "integer", "minimum": 1, "description": "default 500, larger values count as 500"})]),
    ("GET", "/fapi/v1/symbolConfig"): ("Symbol configuration", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v1/accountConfig"): ("Account configuration", []),
    ("GET", "/fapi/v1/multiAssetsMargin"): ("Current multi-assets mode", []),
    ("POST", "/fapi/v1/multiAssetsMargin"): ("Change multi-assets mode", [_req("multiAssetsMargin", _BOOL)]),
    ("GET", "/fapi/v1/adlQuantile"): ("Position ADL quantile estimation", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v2/positionRisk"): ("Position information V2", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v3/positionRisk"): ("Position information V3", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v1/positionSide/dual"): ("Current position mode", []),
    ("POST", "/fapi/v1/positionSide/dual"): ("Change position mode", [_req("dualSidePosition", _BOOL)]),
    ("GET", "/fapi/v1/apiTradingStatus"): ("Quantitative rules indicators", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v1/commissionRate"): ("User commission rate", [_req("symbol", _SYMBOL)]),
    ("POST", "/fapi/v1/listenKey"): ("Start user data stream", []),
    ("PUT", "/fapi/v1/listenKey"): ("Keep alive user data stream", [_opt("listenKey", {"type": "string"})]),
    ("DELETE", "/fapi/v1/listenKey"): ("Close user data stream", [_opt("listenKey", {"type": "string"})]),
    ("POST", "/fapi/v1/positionMargin"): ("Modify isolated position margin", [
        _req("symbol", _SYMBOL), _opt("positionSide", {"type": "string", "enum": ["BOTH", "LONG", "SHORT"]}),
        _req("amount", _DECIMAL), _req("type", _MARGIN_TYPE)]),
    ("GET", "/fapi/v1/openOrders"): ("Current all open orders", [_opt("symbol", _SYMBOL)]),
    ("GET", "/fapi/v1/openOrder"): ("Query current open order (orderId or origClientOrderId)", [
        _req("symbol", _SYMBOL), _opt("orderId", _LONG), _opt("origClientOrderId", {"type": "string"})]),
    ("GET", "/fapi/v1/allOrders"): ("All orders (7-day window)", [
        _req("symbol", _SYMBOL), _opt("orderId", _LONG), *_WINDOW, _limit(500, 1000)]),
    ("GET", "/fapi/v1/userTrades"): ("Account trade list (7-day window; fromId without a window)", [
        _req("symbol", _SYMBOL), _opt("orderId", _LONG), *_WINDOW, _opt("fromId", _LONG), _limit(500, 1000)]),
    ("GET", "/fapi/v1/forceOrders"): ("User's force orders", [
        _opt("symbol", _SYMBOL), _opt("autoCloseType", {"type": "string", "enum": ["LIQUIDATION", "ADL"]}),
        *_WINDOW, _limit(50, 100)]),
    ("GET", "/fapi/v1/openAlgoOrders"): ("Current all algo open orders", [
        _opt("algoType", {"type": "string"}), _opt("symbol", _SYMBOL), _opt("algoId", _LONG)]),
    ("GET", "/fapi/v1/rateLimit/order"): ("Query user order rate limit", []),
    ("GET", "/fapi/v1/feeBurn"): ("Get BNB burn status", []),
    ("POST", "/fapi/v1/feeBurn"): ("Toggle BNB burn on futures trade", [_req("feeBurn", _BOOL)]),
}
for _kind in KINDS:
    ENDPOINTS[("GET", f"/fapi/v1/{_kind}/asyn")] = (
        f"Download id for {_kind} history", [_req("startTime", _TIME), _req("endTime", _TIME)])
    ENDPOINTS[("GET", f"/fapi/v1/{_kind}/asyn/id")] = (
        f"{_kind.capitalize()} history download link by id", [_req("downloadId", {"type": "string"})])

_SIGNED = [
    _opt("recvWindow", {"type": "integer", "minimum": 1, "maximum": 60000, "description": "ms, default 5000"}),
    _req("timestamp", _TIME),
    _req("signature", {"type": "string", "description": "HMAC-SHA256 hex, or RSA/Ed25519 base64"}),
]
_ERROR = {
    "type": "object",
    "required": ["code", "msg"],
    "additionalProperties": False,
    "properties": {"code": {"type": "integer", "maximum": -1}, "msg": {"type": "string"}},
}


def _operation_id(method: str, path: str) -> str:
    words = [w for w in path.replace("/", " ").split() if w not in ("fapi", "api")]
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in words)


def _parameter(param: Param) -> dict[str, Any]:
    name, schema, required = param
    return {"name": name, "in": "query", "required": required, "schema": schema}


def document(symbols: Iterable[str], admin_paths: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every route in `api.ROUTES` (symbols: the emulator's), plus the
    admin API's path items (`admin.openapi_paths`)."""
    missing = set(ROUTES) - set(ENDPOINTS)
    if missing:
        raise RuntimeError(f"routes without an OpenAPI entry: {sorted(missing)}")
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), route in ROUTES.items():
        summary, params = ENDPOINTS[(method, path)]
        weight: int | str = route.weight_of(Params("", ""))
        if callable(route.weight):
            weight = f"{route.weight_of(Params('symbol=BTCUSDT', ''))} with symbol, {weight} without"
        op: dict[str, Any] = {
            "operationId": _operation_id(method, path),
            "summary": summary,
            "x-weight": weight,
            "x-security-type": route.security.value,
            "parameters": [_parameter(p) for p in (*params, *(_SIGNED if route.security is Security.SIGNED else ()))],
            "responses": {
                "200": {"description": "Binance's answer", "content": {"application/json": {}}},
                "4XX": {"$ref": "#/components/responses/Error"},
            },
        }
        if route.security is not Security.NONE:
            op["security"] = [{"apiKey": []}]
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Binance USD-M futures account emulator",
            "version": "1",
            "description": __doc__,
        },
        "paths": {**paths, **(admin_paths or {})},
        "components": {
            "schemas": {"Symbol": {"type": "string", "enum": sorted(symbols)}, "Error": _ERROR},
            "responses": {
                "Error": {
                    "description": "Binance error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-MBX-APIKEY"}},
        },
    }
