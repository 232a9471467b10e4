"""Binance's other products, as far as futures clients read them on start.

ccxt's `load_markets` reads the wallet's coin list (`/sapi/v1/capital/config/getall`) and, for the
`binance` class, the spot, margin and COIN-M market lists too; clients ping the spot API. The
emulator runs a USDⓈ-M exchange only, so these answer in Binance's shapes with what it has:
no spot, margin or COIN-M markets, and the wallet coins it knows (margin assets and the assets of
its symbols) with nothing held in the spot wallet and no deposit networks.
"""

from __future__ import annotations

from typing import Any

from .call import Call
from .market import MARGIN_ASSET_PRICE_SYMBOL


def _market_list(c: Call, rate_limits: list[dict[str, Any]]) -> dict[str, Any]:
    """An exchange information answer without markets."""
    return {"timezone": "UTC", "serverTime": c.now_ms(), "rateLimits": rate_limits, "exchangeFilters": [],
            "symbols": []}


def spot_exchange_info(c: Call) -> Any:
    """GET /api/v3/exchangeInfo: Binance's spot limits; no spot markets here."""
    return _market_list(c, [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": c.weight_limit},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ])


def coin_futures_exchange_info(c: Call) -> Any:
    """GET /dapi/v1/exchangeInfo: no COIN-M contracts here."""
    return _market_list(c, [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": c.weight_limit},
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    ])


def system_status(c: Call) -> Any:
    """GET /sapi/v1/system/status: 0 normal (1 would be system maintenance)."""
    return {"status": 0, "msg": "normal"}


def wallet_coins(c: Call) -> Any:
    """GET /sapi/v1/capital/config/getall: the coins the exchange knows, none held in the spot wallet."""
    acc = c.acc
    coins = set(MARGIN_ASSET_PRICE_SYMBOL) | set(acc.balances)
    for info in c.backend.symbols.values():
        coins |= {info.base_asset, info.quote_asset, info.margin_asset}
    zero = "0"
    return [{
        "coin": coin,
        "depositAllEnable": acc.can_deposit,
        "withdrawAllEnable": acc.can_withdraw,
        "name": coin,
        "free": zero, "locked": zero, "freeze": zero, "withdrawing": zero, "ipoing": zero, "ipoable": zero,
        "storage": zero,
        "isLegalMoney": False,
        "trading": True,
        "networkList": [],
    } for coin in sorted(coins)]


def margin_pairs(c: Call) -> Any:
    """GET /sapi/v1/margin/allPairs and /sapi/v1/margin/isolated/allPairs: no margin trading here."""
    return []
