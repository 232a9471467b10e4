"""Binance-shaped JSON bodies served by the benchmark server (deterministic, stdlib only).

The account body is a realistic multi-asset, multi-position ``/fapi/v2/account`` answer:
10 assets and 40 open positions with non-zero values (about 20 KB, like a real active account).
"""

from __future__ import annotations

import json
import random
from typing import Any

ASSETS = ["USDT", "USDC", "BTC", "ETH", "BNB", "FDUSD", "BFUSD", "XRP", "SOL", "TUSD"]
SYMBOLS = [
    "BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "AVAXUSDT",
    "LINKUSDT", "DOTUSDT", "MATICUSDT", "LTCUSDT", "BCHUSDT", "TRXUSDT", "ATOMUSDT", "NEARUSDT",
    "APTUSDT", "ARBUSDT", "OPUSDT", "FILUSDT", "ETCUSDT", "UNIUSDT", "AAVEUSDT", "SUIUSDT",
    "INJUSDT", "SEIUSDT", "TIAUSDT", "WLDUSDT", "PEPEUSDT", "1000SHIBUSDT", "ORDIUSDT", "RUNEUSDT",
    "FTMUSDT", "LDOUSDT", "STXUSDT", "IMXUSDT", "ICPUSDT", "HBARUSDT", "MKRUSDT", "BTCUSDC",
]
UPDATE_TIME = 1_732_400_000_000


def _num(rng: random.Random, low: float, high: float, places: int = 8) -> str:
    return f"{rng.uniform(low, high):.{places}f}"


def account_body(n_assets: int = 10, n_positions: int = 40) -> bytes:
    rng = random.Random(20261124)
    assets = []
    for i in range(n_assets):
        wallet = _num(rng, 10, 50_000)
        assets.append({
            "asset": ASSETS[i % len(ASSETS)],
            "walletBalance": wallet,
            "unrealizedProfit": _num(rng, -500, 500),
            "marginBalance": _num(rng, 10, 50_000),
            "maintMargin": _num(rng, 0, 200),
            "initialMargin": _num(rng, 0, 2_000),
            "positionInitialMargin": _num(rng, 0, 2_000),
            "openOrderInitialMargin": _num(rng, 0, 100),
            "crossWalletBalance": wallet,
            "crossUnPnl": _num(rng, -500, 500),
            "availableBalance": _num(rng, 10, 40_000),
            "maxWithdrawAmount": _num(rng, 10, 40_000),
            "marginAvailable": True,
            "updateTime": UPDATE_TIME + i * 1_000,
        })
    positions = []
    for i in range(n_positions):
        amount = rng.uniform(0.001, 500) * rng.choice((1, -1))
        positions.append({
            "symbol": SYMBOLS[i % len(SYMBOLS)],
            "initialMargin": _num(rng, 1, 5_000, 5),
            "maintMargin": _num(rng, 0.1, 100, 5),
            "unrealizedProfit": _num(rng, -300, 300),
            "positionInitialMargin": _num(rng, 1, 5_000, 5),
            "openOrderInitialMargin": "0",
            "leverage": str(rng.choice((5, 10, 20, 25, 50, 75, 100, 125))),
            "isolated": rng.random() < 0.3,
            "entryPrice": _num(rng, 0.01, 90_000, 4),
            "breakEvenPrice": _num(rng, 0.01, 90_000, 4),
            "maxNotional": str(rng.choice((250_000, 1_000_000, 5_000_000, 25_000_000))),
            "bidNotional": "0",
            "askNotional": "0",
            "positionSide": "BOTH",
            "positionAmt": f"{amount:.3f}",
            "updateTime": UPDATE_TIME + 10_000 + i * 777,
        })
    body = {
        "feeTier": 1,
        "feeBurn": True,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
        "totalInitialMargin": "12034.51962710",
        "totalMaintMargin": "402.16810001",
        "totalWalletBalance": "126372.72469206",
        "totalUnrealizedProfit": "-213.97850000",
        "totalMarginBalance": "126158.74619206",
        "totalPositionInitialMargin": "11932.52861000",
        "totalOpenOrderInitialMargin": "101.99101710",
        "totalCrossWalletBalance": "98512.72469206",
        "totalCrossUnPnl": "-201.97850000",
        "availableBalance": "114124.22656496",
        "maxWithdrawAmount": "114124.22656496",
        "assets": assets,
        "positions": positions,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def exchange_info_symbol(symbol: str) -> dict[str, Any]:
    """A perpetual's entry of ``GET /fapi/v1/exchangeInfo`` (what ccxt parses its markets from)."""
    quote = "USDC" if symbol.endswith("USDC") else "USDT"
    return {
        "symbol": symbol, "pair": symbol, "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000, "status": "TRADING", "baseAsset": symbol[: -len(quote)],
        "quoteAsset": quote, "marginAsset": quote, "pricePrecision": 2, "quantityPrecision": 3,
        "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN", "settlePlan": 0,
        "triggerProtect": "0.0500", "filters": [], "orderTypes": ["LIMIT"], "timeInForce": ["GTC"],
    }


LEVERAGE_BODY = b'{"leverage":20,"maxNotionalValue":"25000000","symbol":"BTCUSDT"}'
PING_BODY = b"{}"
NOT_FOUND_BODY = b'{"code":-5000,"msg":"Path not found"}'
