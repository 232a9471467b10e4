"""Event payloads as Binance documents them (pages cited in binance_usdm/models/events.py)."""

from __future__ import annotations

from typing import Any

ACCOUNT_UPDATE: dict[str, Any] = {
    "e": "ACCOUNT_UPDATE", "E": 1564745798939, "T": 1564745798938,
    "a": {
        "m": "ORDER",
        "B": [
            {"a": "USDT", "wb": "122624.12345678", "cw": "100.12345678", "bc": "50.12345678"},
            {"a": "BUSD", "wb": "1.00000000", "cw": "0.00000000", "bc": "-49.12345678"},
        ],
        "P": [
            {"s": "BTCUSDT", "pa": "0", "ep": "0.00000", "bep": "0", "cr": "200", "up": "0", "mt": "isolated",
             "iw": "0.00000000", "ps": "BOTH"},
            {"s": "BTCUSDT", "pa": "20", "ep": "6563.66500", "bep": "6563.6", "cr": "0", "up": "2850.21200000",
             "mt": "isolated", "iw": "13200.70726908", "ps": "LONG"},
            {"s": "BTCUSDT", "pa": "-10", "ep": "6563.86000", "bep": "6563.6", "cr": "-45.04000000",
             "up": "-1423.15600000", "mt": "isolated", "iw": "6570.42511771", "ps": "SHORT"},
        ],
    },
}
LEVERAGE_UPDATE: dict[str, Any] = {
    "e": "ACCOUNT_CONFIG_UPDATE", "E": 1611646737479, "T": 1611646737476, "ac": {"s": "BTCUSDT", "l": 25},
}
MULTI_ASSETS_UPDATE: dict[str, Any] = {
    "e": "ACCOUNT_CONFIG_UPDATE", "E": 1611646737479, "T": 1611646737476, "ai": {"j": True},
}
MARGIN_CALL: dict[str, Any] = {
    "e": "MARGIN_CALL", "E": 1587727187525, "cw": "3.16812045",
    "p": [{"s": "ETHUSDT", "ps": "LONG", "pa": "1.327", "mt": "CROSSED", "iw": "0", "mp": "187.17127",
           "up": "-1.166074", "mm": "1.614445"}],
}
LISTEN_KEY_EXPIRED: dict[str, Any] = {"e": "listenKeyExpired", "E": "1736996475556", "listenKey": "SECRETKEY"}
ORDER_TRADE_UPDATE: dict[str, Any] = {
    "e": "ORDER_TRADE_UPDATE", "E": 1568879465651, "T": 1568879465650,
    "o": {"s": "BTCUSDT", "c": "TEST", "S": "SELL", "o": "TRAILING_STOP_MARKET", "f": "GTC", "q": "0.001",
          "p": "0", "ap": "0", "sp": "7103.04", "x": "NEW", "X": "NEW", "i": 8886774, "l": "0", "z": "0",
          "L": "0", "N": "USDT", "n": "0", "T": 1568879465650, "t": 0, "b": "0", "a": "9.91", "m": False,
          "R": False, "wt": "CONTRACT_PRICE", "ot": "TRAILING_STOP_MARKET", "ps": "LONG", "cp": False,
          "AP": "7476.89", "cr": "5.0", "pP": False, "si": 0, "ss": 0, "rp": "0", "V": "EXPIRE_TAKER",
          "pm": "OPPONENT", "gtd": 0},
}
TRADE_LITE: dict[str, Any] = {
    "e": "TRADE_LITE", "E": 1721895408092, "T": 1721895408214, "s": "BTCUSDT", "q": "0.001", "p": "0",
    "m": False, "c": "z8hcUoOsqEdKMeKPSABslD", "S": "BUY", "L": "64089.20", "l": "0.040", "t": 109100866,
    "i": 8886774,
}
UNKNOWN: dict[str, Any] = {"e": "STRATEGY_UPDATE", "E": 1669356423908, "T": 1669356423908, "su": {"si": 176054594}}

ALL = [ACCOUNT_UPDATE, LEVERAGE_UPDATE, MULTI_ASSETS_UPDATE, MARGIN_CALL, ORDER_TRADE_UPDATE, TRADE_LITE,
       UNKNOWN, LISTEN_KEY_EXPIRED]
