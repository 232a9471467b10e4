"""Real response examples, as Binance and public clients publish them, served by the stub and decoded.

Every sample is a fact copied from its source (named above it): ``//`` comments are stripped and
whitespace is compacted, nothing else changes, except where a note says the published text was not
valid JSON (a trailing comma, a missing or doubled comma), which is then the only edit.

Sources:
  DOCS   the USDⓈ-M futures pages on developers.binance.com (stored copy scraped 2026-05-28 in
         github.com/shubhamtaywade82/binance-docs-scraper, knowledge_base/markdown/binance/derivatives/
         usds-margined-futures/...); each sample names its page.
  GO     Binance's official Go connector test fixtures, github.com/binance/binance-connector-go,
         clients/derivativestradingusdsfutures/tests/unit/restapi/api_{account,trade}_test.go
         (``mockedJSON`` of each "... Success" test).
  NET    Binance.Net's endpoint fixtures, github.com/JKorf/Binance.Net,
         Binance.Net.UnitTests/Endpoints/UsdFutures/<Area>/<Name>.txt.
  OLD    the earlier single-page futures docs (binance-docs.github.io/apidocs/futures/en), whose
         examples lacked fields added since (``deltaType``, ``rpiCommissionRate``, ``notional``...).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm import (
    DownloadStatus,
    IncomeType,
    MarginChangeDirection,
    MarginDeltaType,
    MarginType,
    PositionSide,
)
from binance_usdm import models as m
from binance_usdm.enums import TradingIndicator
from tests.client.conftest import Caller
from tests.scripted_server import Reply, ScriptedServer

D = Decimal
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DOCS = "https://developers.binance.com/docs/derivatives/usds-margined-futures"


def at(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


# --- account information ------------------------------------------------------------------------
# DOCS {DOCS}/account/rest-api/Account-Information-V2, "single-asset mode"
# (published text lacks the commas after "maxWithdrawAmount" and the assets' "crossUnPnl": added)
ACCOUNT_V2_SINGLE = b"""{
 "feeTier": 0, "feeBurn": true, "canTrade": true, "canDeposit": true, "canWithdraw": true,
 "updateTime": 0, "multiAssetsMargin": false, "tradeGroupId": -1,
 "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000", "totalWalletBalance": "23.72469206",
 "totalUnrealizedProfit": "0.00000000", "totalMarginBalance": "23.72469206",
 "totalPositionInitialMargin": "0.00000000", "totalOpenOrderInitialMargin": "0.00000000",
 "totalCrossWalletBalance": "23.72469206", "totalCrossUnPnl": "0.00000000", "availableBalance": "23.72469206",
 "maxWithdrawAmount": "23.72469206",
 "assets": [
  {"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
   "marginBalance": "23.72469206", "maintMargin": "0.00000000", "initialMargin": "0.00000000",
   "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
   "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
   "maxWithdrawAmount": "23.72469206", "marginAvailable": true, "updateTime": 1625474304765},
  {"asset": "BUSD", "walletBalance": "103.12345678", "unrealizedProfit": "0.00000000",
   "marginBalance": "103.12345678", "maintMargin": "0.00000000", "initialMargin": "0.00000000",
   "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
   "crossWalletBalance": "103.12345678", "crossUnPnl": "0.00000000", "availableBalance": "103.12345678",
   "maxWithdrawAmount": "103.12345678", "marginAvailable": true, "updateTime": 1625474304765}
 ],
 "positions": [
  {"symbol": "BTCUSDT", "initialMargin": "0", "maintMargin": "0", "unrealizedProfit": "0.00000000",
   "positionInitialMargin": "0", "openOrderInitialMargin": "0", "leverage": "100", "isolated": true,
   "entryPrice": "0.00000", "maxNotional": "250000", "bidNotional": "0", "askNotional": "0",
   "positionSide": "BOTH", "positionAmt": "0", "updateTime": 0}
 ]
}"""

# GO api_account_test.go "AccountInformationV2" (the multi-assets example, as one valid JSON text)
ACCOUNT_V2_MULTI = (
    b'{"feeTier":0,"feeBurn":true,"canDeposit":true,"canWithdraw":true,"updateTime":0,"multiAssetsMargin":true,'
    b'"tradeGroupId":-1,"totalInitialMargin":"0.00000000","totalMaintMargin":"0.00000000",'
    b'"totalWalletBalance":"126.72469206","totalUnrealizedProfit":"0.00000000","totalMarginBalance":"126.72469206",'
    b'"totalPositionInitialMargin":"0.00000000","totalOpenOrderInitialMargin":"0.00000000",'
    b'"totalCrossWalletBalance":"126.72469206","totalCrossUnPnl":"0.00000000","availableBalance":"126.72469206",'
    b'"maxWithdrawAmount":"126.72469206","assets":[{"asset":"USDT","walletBalance":"23.72469206",'
    b'"unrealizedProfit":"0.00000000","marginBalance":"23.72469206","maintMargin":"0.00000000",'
    b'"initialMargin":"0.00000000","positionInitialMargin":"0.00000000","openOrderInitialMargin":"0.00000000",'
    b'"crossWalletBalance":"23.72469206","crossUnPnl":"0.00000000","availableBalance":"23.72469206",'
    b'"maxWithdrawAmount":"23.72469206","marginAvailable":true,"updateTime":1625474304765},{"asset":"BUSD",'
    b'"walletBalance":"103.12345678","unrealizedProfit":"0.00000000","marginBalance":"103.12345678",'
    b'"maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000",'
    b'"openOrderInitialMargin":"0.00000000","crossWalletBalance":"103.12345678","crossUnPnl":"0.00000000",'
    b'"availableBalance":"103.12345678","maxWithdrawAmount":"103.12345678","marginAvailable":true,'
    b'"updateTime":1625474304765},{"asset":"USDT","walletBalance":"23.72469206","unrealizedProfit":"0.00000000",'
    b'"marginBalance":"23.72469206","maintMargin":"0.00000000","initialMargin":"0.00000000",'
    b'"positionInitialMargin":"0.00000000","openOrderInitialMargin":"0.00000000",'
    b'"crossWalletBalance":"23.72469206","crossUnPnl":"0.00000000","availableBalance":"126.72469206",'
    b'"maxWithdrawAmount":"23.72469206","marginAvailable":true,"updateTime":1625474304765},{"asset":"BUSD",'
    b'"walletBalance":"103.12345678","unrealizedProfit":"0.00000000","marginBalance":"103.12345678",'
    b'"maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000",'
    b'"openOrderInitialMargin":"0.00000000","crossWalletBalance":"103.12345678","crossUnPnl":"0.00000000",'
    b'"availableBalance":"126.72469206","maxWithdrawAmount":"103.12345678","marginAvailable":true,'
    b'"updateTime":1625474304765}],"positions":[{"symbol":"BTCUSDT","initialMargin":"0","maintMargin":"0",'
    b'"unrealizedProfit":"0.00000000","positionInitialMargin":"0","openOrderInitialMargin":"0","leverage":"100",'
    b'"isolated":true,"entryPrice":"0.00000","maxNotional":"250000","bidNotional":"0","askNotional":"0",'
    b'"positionSide":"BOTH","positionAmt":"0","updateTime":0},{"symbol":"BTCUSDT","initialMargin":"0",'
    b'"maintMargin":"0","unrealizedProfit":"0.00000000","positionInitialMargin":"0","openOrderInitialMargin":"0",'
    b'"leverage":"100","isolated":true,"entryPrice":"0.00000","maxNotional":"250000","bidNotional":"0",'
    b'"askNotional":"0","positionSide":"BOTH","positionAmt":"0","updateTime":0}],"canTrade":true}'
)

# NET Account/GetAccountInfo.txt (the doc sample without "feeBurn")
ACCOUNT_V2_NET = b"""{
 "feeTier": 0, "canTrade": true, "canDeposit": true, "canWithdraw": true, "updateTime": 0,
 "multiAssetsMargin": false, "tradeGroupId": -1, "totalInitialMargin": "0.00000000",
 "totalMaintMargin": "0.00000000", "totalWalletBalance": "23.72469206", "totalUnrealizedProfit": "0.00000000",
 "totalMarginBalance": "23.72469206", "totalPositionInitialMargin": "0.00000000",
 "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": "23.72469206",
 "totalCrossUnPnl": "0.00000000", "availableBalance": "23.72469206", "maxWithdrawAmount": "23.72469206",
 "assets": [{"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
   "marginBalance": "23.72469206", "maintMargin": "0.00000000", "initialMargin": "0.00000000",
   "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
   "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
   "maxWithdrawAmount": "23.72469206", "marginAvailable": true, "updateTime": 1625474304765}],
 "positions": [{"symbol": "BTCUSDT", "initialMargin": "0", "maintMargin": "0", "unrealizedProfit": "0.00000000",
   "positionInitialMargin": "0", "openOrderInitialMargin": "0", "leverage": "100", "isolated": true,
   "entryPrice": "0.00000", "maxNotional": "250000", "bidNotional": "0", "askNotional": "0",
   "positionSide": "BOTH", "positionAmt": "0", "updateTime": 0}]
}"""

# DOCS {DOCS}/account/rest-api/Account-Information-V3, "single-asset mode"
# (published text lacks the commas after "maxWithdrawAmount" and "crossUnPnl", and has a trailing
# comma after the last asset: fixed)
ACCOUNT_V3_SINGLE = b"""{
 "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000", "totalWalletBalance": "103.12345678",
 "totalUnrealizedProfit": "0.00000000", "totalMarginBalance": "103.12345678",
 "totalPositionInitialMargin": "0.00000000", "totalOpenOrderInitialMargin": "0.00000000",
 "totalCrossWalletBalance": "103.12345678", "totalCrossUnPnl": "0.00000000",
 "availableBalance": "103.12345678", "maxWithdrawAmount": "103.12345678",
 "assets": [
  {"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
   "marginBalance": "23.72469206", "maintMargin": "0.00000000", "initialMargin": "0.00000000",
   "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
   "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
   "maxWithdrawAmount": "23.72469206", "updateTime": 1625474304765},
  {"asset": "USDC", "walletBalance": "103.12345678", "unrealizedProfit": "0.00000000",
   "marginBalance": "103.12345678", "maintMargin": "0.00000000", "initialMargin": "0.00000000",
   "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
   "crossWalletBalance": "103.12345678", "crossUnPnl": "0.00000000", "availableBalance": "126.72469206",
   "maxWithdrawAmount": "103.12345678", "updateTime": 1625474304765}
 ],
 "positions": [
  {"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "1.000", "unrealizedProfit": "0.00000000",
   "isolatedMargin": "0.00000000", "notional": "0", "isolatedWallet": "0", "initialMargin": "0",
   "maintMargin": "0", "updateTime": 0}
 ]
}"""

# GO api_account_test.go "AccountInformationV3" (single-asset and multi-assets assets in one text)
ACCOUNT_V3_MULTI = (
    b'{"totalInitialMargin":"0.00000000","totalMaintMargin":"0.00000000","totalWalletBalance":"126.72469206",'
    b'"totalUnrealizedProfit":"0.00000000","totalMarginBalance":"126.72469206",'
    b'"totalPositionInitialMargin":"0.00000000","totalOpenOrderInitialMargin":"0.00000000",'
    b'"totalCrossWalletBalance":"126.72469206","totalCrossUnPnl":"0.00000000","availableBalance":"126.72469206",'
    b'"maxWithdrawAmount":"126.72469206","assets":[{"asset":"USDT","walletBalance":"23.72469206",'
    b'"unrealizedProfit":"0.00000000","marginBalance":"23.72469206","maintMargin":"0.00000000",'
    b'"initialMargin":"0.00000000","positionInitialMargin":"0.00000000","openOrderInitialMargin":"0.00000000",'
    b'"crossWalletBalance":"23.72469206","crossUnPnl":"0.00000000","availableBalance":"23.72469206",'
    b'"maxWithdrawAmount":"23.72469206","updateTime":1625474304765},{"asset":"USDC",'
    b'"walletBalance":"103.12345678","unrealizedProfit":"0.00000000","marginBalance":"103.12345678",'
    b'"maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000",'
    b'"openOrderInitialMargin":"0.00000000","crossWalletBalance":"103.12345678","crossUnPnl":"0.00000000",'
    b'"availableBalance":"126.72469206","maxWithdrawAmount":"103.12345678","updateTime":1625474304765},'
    b'{"asset":"USDT","walletBalance":"23.72469206","unrealizedProfit":"0.00000000","marginBalance":"23.72469206",'
    b'"maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000",'
    b'"openOrderInitialMargin":"0.00000000","crossWalletBalance":"23.72469206","crossUnPnl":"0.00000000",'
    b'"availableBalance":"126.72469206","maxWithdrawAmount":"23.72469206","updateTime":1625474304765},'
    b'{"asset":"BUSD","walletBalance":"103.12345678","unrealizedProfit":"0.00000000",'
    b'"marginBalance":"103.12345678","maintMargin":"0.00000000","initialMargin":"0.00000000",'
    b'"positionInitialMargin":"0.00000000","openOrderInitialMargin":"0.00000000",'
    b'"crossWalletBalance":"103.12345678","crossUnPnl":"0.00000000","availableBalance":"126.72469206",'
    b'"maxWithdrawAmount":"103.12345678","updateTime":1625474304765}],"positions":[{"symbol":"BTCUSDT",'
    b'"positionSide":"BOTH","positionAmt":"1.000","unrealizedProfit":"0.00000000","isolatedMargin":"0.00000000",'
    b'"notional":"0","isolatedWallet":"0","initialMargin":"0","maintMargin":"0","updateTime":0},'
    b'{"symbol":"BTCUSDT","positionSide":"BOTH","positionAmt":"1.000","unrealizedProfit":"0.00000000",'
    b'"isolatedMargin":"0.00000000","notional":"0","isolatedWallet":"0","initialMargin":"0","maintMargin":"0",'
    b'"updateTime":0}]}'
)

# DOCS {DOCS}/account/rest-api/Futures-Account-Balance-V2 and .../Futures-Account-Balance-V3 (same text)
BALANCE = b"""[{"accountAlias": "SgsR", "asset": "USDT", "balance": "122607.35137903",
 "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
 "maxWithdrawAmount": "23.72469206", "marginAvailable": true, "updateTime": 1617939110373}]"""

# --- settings -----------------------------------------------------------------------------------
# DOCS {DOCS}/account/rest-api/Notional-and-Leverage-Brackets, "Response" (trailing comma after the
# bracket removed)
BRACKETS_ARRAY = b"""[{"symbol": "ETHUSDT", "notionalCoef": 1.50, "brackets": [
 {"bracket": 1, "initialLeverage": 75, "notionalCap": 10000, "notionalFloor": 0,
  "maintMarginRatio": 0.0065, "cum": 0.0}]}]"""
# DOCS same page, "OR (if symbol sent)" (trailing comma after the bracket removed)
BRACKETS_OBJECT = b"""{"symbol": "ETHUSDT", "notionalCoef": 1.50, "brackets": [
 {"bracket": 1, "initialLeverage": 75, "notionalCap": 10000, "notionalFloor": 0,
  "maintMarginRatio": 0.0065, "cum":0}]}"""
# OLD "Notional and Leverage Brackets", "OR (if symbol sent)": no notionalCoef (trailing comma removed)
BRACKETS_OBJECT_OLD = b"""{"symbol": "ETHUSDT", "brackets": [
 {"bracket": 1, "initialLeverage": 75, "notionalCap": 10000, "notionalFloor": 0,
  "maintMarginRatio": 0.0065, "cum":0}]}"""

# DOCS {DOCS}/account/rest-api/Futures-Trading-Quantitative-Rules-Indicators, "Response"
# (published text lacks the comma between ETHUSDT's GCR and DR objects: added)
TRADING_STATUS_SYMBOLS = b"""{"indicators": {
 "BTCUSDT": [
  {"isLocked": true, "plannedRecoverTime": 1545741270000, "indicator": "UFR", "value": 0.05, "triggerValue": 0.995},
  {"isLocked": true, "plannedRecoverTime": 1545741270000, "indicator": "IFER", "value": 0.99, "triggerValue": 0.99},
  {"isLocked": true, "plannedRecoverTime": 1545741270000, "indicator": "GCR", "value": 0.99, "triggerValue": 0.99},
  {"isLocked": true, "plannedRecoverTime": 1545741270000, "indicator": "DR", "value": 0.99, "triggerValue": 0.99}],
 "ETHUSDT": [
  {"isLocked": true, "plannedRecoverTime": 1545741270000, "indicator": "UFR", "value": 0.05, "triggerValue": 0.995},
  {"isLocked": true, "plannedRecoverTime": 1545741270000, "indicator": "IFER", "value": 0.99, "triggerValue": 0.99},
  {"isLocked": true, "plannedRecoverTime": 1545741270000, "indicator": "GCR", "value": 0.99, "triggerValue": 0.99},
  {"isLocked": true, "plannedRecoverTime": 1545741270000, "indicator": "DR", "value": 0.99, "triggerValue": 0.99}]},
 "updateTime": 1545741270000}"""
# DOCS same page, "Or (account violation triggered)"
TRADING_STATUS_ACCOUNT = b"""{"indicators": {"ACCOUNT": [{"indicator": "TMV", "value": 10, "triggerValue": 1,
 "plannedRecoverTime": 1644919865000, "isLocked": true}]}, "updateTime": 1644913304748}"""
# GO api_account_test.go "FuturesTradingQuantitativeRulesIndicators": symbols and ACCOUNT together
TRADING_STATUS_BOTH = (
    b'{"indicators":{"BTCUSDT":[{"isLocked":true,"plannedRecoverTime":1545741270000,"indicator":"UFR",'
    b'"value":0.05,"triggerValue":0.995},{"isLocked":true,"plannedRecoverTime":1545741270000,"indicator":"IFER",'
    b'"value":0.99,"triggerValue":0.99},{"isLocked":true,"plannedRecoverTime":1545741270000,"indicator":"GCR",'
    b'"value":0.99,"triggerValue":0.99},{"isLocked":true,"plannedRecoverTime":1545741270000,"indicator":"DR",'
    b'"value":0.99,"triggerValue":0.99}],"ETHUSDT":[{"isLocked":true,"plannedRecoverTime":1545741270000,'
    b'"indicator":"UFR","value":0.05,"triggerValue":0.995},{"isLocked":true,"plannedRecoverTime":1545741270000,'
    b'"indicator":"IFER","value":0.99,"triggerValue":0.99},{"isLocked":true,"plannedRecoverTime":1545741270000,'
    b'"indicator":"GCR","value":0.99,"triggerValue":0.99},{"isLocked":true,"plannedRecoverTime":1545741270000,'
    b'"indicator":"DR","value":0.99,"triggerValue":0.99}],"ACCOUNT":[{"indicator":"TMV","value":10,'
    b'"triggerValue":1,"plannedRecoverTime":1644919865000,"isLocked":true}]},"updateTime":1644913304748}'
)

# DOCS {DOCS}/account/rest-api/User-Commission-Rate
COMMISSION_RPI = b"""{"symbol": "BTCUSDT", "makerCommissionRate": "0.0002", "takerCommissionRate": "0.0004",
 "rpiCommissionRate": "0.00005"}"""
# NET Account/GetUserCommissionRate.txt (and OLD "User Commission Rate"): no rpiCommissionRate
COMMISSION_PLAIN = b"""{"symbol": "BTCUSDT", "makerCommissionRate": "0.0002", "takerCommissionRate": "0.0004"}"""

# DOCS {DOCS}/trade/rest-api/Change-Initial-Leverage
LEVERAGE = b'{"leverage": 21, "maxNotionalValue": "1000000", "symbol": "BTCUSDT"}'
# DOCS {DOCS}/trade/rest-api/Change-Margin-Type, .../Change-Position-Mode, .../Change-Multi-Assets-Mode
ACK = b'{"code": 200, "msg": "success"}'
# DOCS {DOCS}/account/rest-api/Get-Current-Multi-Assets-Mode
MULTI_ASSETS = b'{"multiAssetsMargin": true}'
# DOCS {DOCS}/account/rest-api/Get-Current-Position-Mode
POSITION_MODE = b'{"dualSidePosition": true}'

# --- positions ----------------------------------------------------------------------------------
# DOCS {DOCS}/trade/rest-api/Position-Information-V2, "For One-way position mode"
# (published text has a doubled comma after "notional": one removed)
POSITION_V2_ONE_WAY = b"""[{"entryPrice": "0.00000", "breakEvenPrice": "0.0", "marginType": "isolated",
 "isAutoAddMargin": "false", "isolatedMargin": "0.00000000", "leverage": "10", "liquidationPrice": "0",
 "markPrice": "6679.50671178", "maxNotionalValue": "20000000", "positionAmt": "0.000", "notional": "0",
 "isolatedWallet": "0", "symbol": "BTCUSDT", "unRealizedProfit": "0.00000000", "positionSide": "BOTH",
 "updateTime": 0}]"""
# DOCS same page, "For Hedge position mode"
POSITION_V2_HEDGE = b"""[
 {"symbol": "BTCUSDT", "positionAmt": "0.001", "entryPrice": "22185.2", "breakEvenPrice": "0.0",
  "markPrice": "21123.05052574", "unRealizedProfit": "-1.06214947", "liquidationPrice": "19731.45529116",
  "leverage": "4", "maxNotionalValue": "100000000", "marginType": "cross", "isolatedMargin": "0.00000000",
  "isAutoAddMargin": "false", "positionSide": "LONG", "notional": "21.12305052", "isolatedWallet": "0",
  "updateTime": 1655217461579},
 {"symbol": "BTCUSDT", "positionAmt": "0.000", "entryPrice": "0.0", "breakEvenPrice": "0.0",
  "markPrice": "21123.05052574", "unRealizedProfit": "0.00000000", "liquidationPrice": "0", "leverage": "4",
  "maxNotionalValue": "100000000", "marginType": "cross", "isolatedMargin": "0.00000000",
  "isAutoAddMargin": "false", "positionSide": "SHORT", "notional": "0", "isolatedWallet": "0", "updateTime": 0}
]"""
# OLD "Position Information V2", "For Hedge position mode": no breakEvenPrice/notional/isolatedWallet
# (published text lacks the commas after both "unRealizedProfit": added)
POSITION_V2_HEDGE_OLD = b"""[
 {"entryPrice": "6563.66500", "marginType": "isolated", "isAutoAddMargin": "false",
  "isolatedMargin": "15517.54150468", "leverage": "10", "liquidationPrice": "5930.78",
  "markPrice": "6679.50671178", "maxNotionalValue": "20000000", "positionAmt": "20.000", "symbol": "BTCUSDT",
  "unRealizedProfit": "2316.83423560", "positionSide": "LONG", "updateTime": 1625474304765},
 {"entryPrice": "0.00000", "marginType": "isolated", "isAutoAddMargin": "false",
  "isolatedMargin": "5413.95799991", "leverage": "10", "liquidationPrice": "7189.95",
  "markPrice": "6679.50671178", "maxNotionalValue": "20000000", "positionAmt": "-10.000", "symbol": "BTCUSDT",
  "unRealizedProfit": "-1156.46711780", "positionSide": "SHORT", "updateTime": 0}
]"""

# DOCS {DOCS}/trade/rest-api/Position-Information-V3, "For Hedge position mode"
POSITION_V3_HEDGE = b"""[
 {"symbol": "ADAUSDT", "positionSide": "LONG", "positionAmt": "30", "entryPrice": "0.385",
  "breakEvenPrice": "0.385077", "markPrice": "0.41047590", "unRealizedProfit": "0.76427700",
  "liquidationPrice": "0", "isolatedMargin": "0", "notional": "12.31427700", "marginAsset": "USDT",
  "isolatedWallet": "0", "initialMargin": "0.61571385", "maintMargin": "0.08004280",
  "positionInitialMargin": "0.61571385", "openOrderInitialMargin": "0", "adl": 2, "bidNotional": "0",
  "askNotional": "0", "updateTime": 1720736417660},
 {"symbol": "COMPUSDT", "positionSide": "SHORT", "positionAmt": "-1.000", "entryPrice": "70.92841",
  "breakEvenPrice": "70.900038636", "markPrice": "49.72023376", "unRealizedProfit": "21.20817624",
  "liquidationPrice": "2260.56757210", "isolatedMargin": "0", "notional": "-49.72023376", "marginAsset": "USDT",
  "isolatedWallet": "0", "initialMargin": "2.48601168", "maintMargin": "0.49720233",
  "positionInitialMargin": "2.48601168", "openOrderInitialMargin": "0", "adl": 2, "bidNotional": "0",
  "askNotional": "0", "updateTime": 1708943511656}
]"""
# NET Trading/GetPositions.txt: Binance.Net's /fapi/v3/positionRisk fixture is the v2-shaped hedge
# answer (leverage, marginType, isAutoAddMargin; no initialMargin/maintMargin/marginAsset/adl), the
# same text as Binance's v2 hedge-mode sample above
POSITION_V3_NET = POSITION_V2_HEDGE

# DOCS {DOCS}/trade/rest-api/Position-ADL-Quantile-Estimation
ADL = b"""[{"symbol": "ETHUSDT", "adlQuantile": {"LONG": 3, "SHORT": 3, "HEDGE": 0}},
 {"symbol": "BTCUSDT", "adlQuantile": {"LONG": 1, "SHORT": 2, "BOTH": 0}}]"""
# github.com/binance/binance-futures-connector-java, src/test/java/examples/future/trade/GetADLQuantile.java
# (stored copy from the fork Neil-Tsai/binance-connector-java): the answer logged when a symbol is sent
ADL_ONE_SYMBOL = b'{"symbol":"BTCUSDT","adlQuantile":{"LONG":2,"SHORT":0,"BOTH":0}}'

# DOCS {DOCS}/trade/rest-api/Modify-Isolated-Position-Margin
POSITION_MARGIN_INT = b"""{"amount": 100, "code": 200, "msg": "Successfully modify position margin.", "type": 1}"""
# NET Account/ModifyPositionMargin.txt
POSITION_MARGIN_FLOAT = b"""{"amount": 100.0, "code": 200, "msg": "Successfully modify position margin.", "type": 1}"""

# --- history ------------------------------------------------------------------------------------
# DOCS {DOCS}/account/rest-api/Get-Income-History (tranId as a number)
INCOME_NUMBER = b"""[
 {"symbol": "", "incomeType": "TRANSFER", "income": "-0.37500000", "asset": "USDT", "info": "TRANSFER",
  "time": 1570608000000, "tranId": 9689322392, "tradeId": ""},
 {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": "-0.01000000", "asset": "USDT",
  "info": "COMMISSION", "time": 1570636800000, "tranId": 9689322392, "tradeId": "2059192"}]"""
# NET Account/GetIncomeHistory.txt (tranId as a string, and the second tradeId as a number)
INCOME_STRING = b"""[
 {"symbol": "", "incomeType": "TRANSFER", "income": "-0.37500000", "asset": "USDT", "info":"TRANSFER",
  "time": 1570608000000, "tranId":"9689322392", "tradeId":""},
 {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": "-0.01000000", "asset": "USDT",
  "info":"COMMISSION", "time": 1570636800000, "tranId":"9689322392", "tradeId": 2059192}]"""

# DOCS {DOCS}/trade/rest-api/Get-Position-Margin-Change-History (with deltaType)
MARGIN_HISTORY = b"""[
 {"symbol": "BTCUSDT", "type": 1, "deltaType": "USER_ADJUST", "amount": "23.36332311", "asset": "USDT",
  "time": 1578047897183, "positionSide": "BOTH"},
 {"symbol": "BTCUSDT", "type": 1, "deltaType": "USER_ADJUST", "amount": "100", "asset": "USDT",
  "time": 1578047900425, "positionSide": "LONG"}]"""
# OLD "Get Position Margin Change History": no deltaType
MARGIN_HISTORY_OLD = b"""[
 {"amount": "23.36332311", "asset": "USDT", "symbol": "BTCUSDT", "time": 1578047897183, "type": 1,
  "positionSide": "BOTH"},
 {"amount": "100", "asset": "USDT", "symbol": "BTCUSDT", "time": 1578047900425, "type": 1,
  "positionSide": "LONG"}]"""

# DOCS {DOCS}/account/rest-api/Get-Download-Id-For-Futures-{Order,Trade,Transaction}-History
# (trailing comma after "downloadId" removed)
DOWNLOAD_ID = b"""{"avgCostTimestampOfLast30d":7241837, "downloadId":"546975389218332672"}"""
# DOCS {DOCS}/account/rest-api/Get-Futures-{Order-History,Trade,Transaction-History}-Download-Link-by-Id,
# "Response" (trailing comma after "isExpired" removed)
DOWNLOAD_COMPLETED = b"""{"downloadId":"545923594199212032", "status":"completed", "url":"www.binance.com",
 "notified":true, "expirationTimestamp":1645009771000, "isExpired":null}"""
# DOCS same pages, "OR (Response when server is processing)" (missing comma after -1 added, trailing
# comma after "isExpired" removed)
DOWNLOAD_PROCESSING = b"""{"downloadId":"545923594199212032", "status":"processing", "url":"",
 "notified":false, "expirationTimestamp":-1, "isExpired":null}"""
# NET Account/GetDownloadLinkForTransactionHistory.txt (valid JSON as published)
DOWNLOAD_COMPLETED_NET = b"""{"downloadId":"545923594199212032", "status":"completed", "url":"www.binance.com",
 "notified":true, "expirationTimestamp":1645009771000, "isExpired":null}"""
# Derived, not published: the documented completed answer once its link has expired (isExpired true).
DOWNLOAD_EXPIRED = b"""{"downloadId":"545923594199212032", "status":"completed", "url":"www.binance.com",
 "notified":true, "expirationTimestamp":1645009771000, "isExpired":true}"""

# --- user data stream ---------------------------------------------------------------------------
# DOCS {DOCS}/user-data-streams/Start-User-Data-Stream
LISTEN_KEY = b'{"listenKey": "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}'
# DOCS {DOCS}/user-data-streams/Keepalive-User-Data-Stream (current page)
KEEPALIVE_KEY = b'{"listenKey": "3HBntNTepshgEdjIwSUIBgB9keLyOCg5qv3n6bYAtktG8ejcaW5HXz9Vx1JgIieg"}'
# OLD "Keepalive User Data Stream" / "Close User Data Stream", and NET Account/KeepAliveUserStream.txt
EMPTY = b"{}"
EMPTY_NET = b"{\n}"


# --- checks -------------------------------------------------------------------------------------
def check_account_v2_single(d: m.AccountInfo) -> None:
    assert (d.fee_tier, d.fee_burn, d.can_trade, d.multi_assets_margin, d.trade_group_id) == (0, True, True, False, -1)
    assert d.update_time_ms == 0 and d.update_time == _EPOCH
    assert d.total_wallet_balance == D("23.72469206") and d.total_initial_margin == D("0E-8")
    assert [a.asset for a in d.assets] == ["USDT", "BUSD"]
    busd = d.assets[1]
    assert busd.wallet_balance == D("103.12345678") and busd.margin_available is True
    assert busd.update_time == datetime(2021, 7, 5, 8, 38, 24, 765000, tzinfo=UTC)
    [p] = d.positions
    assert p.leverage == D(100) and p.isolated is True and p.position_side is PositionSide.BOTH
    assert p.max_notional == D(250000) and p.entry_price == D("0.00000") and p.break_even_price is None
    assert p.update_time_ms == 0


def check_account_v2_multi(d: m.AccountInfo) -> None:
    assert d.multi_assets_margin is True and d.can_trade is True
    assert d.total_wallet_balance == D("126.72469206") and d.max_withdraw_amount == D("126.72469206")
    assert [a.asset for a in d.assets] == ["USDT", "BUSD", "USDT", "BUSD"]
    assert d.assets[2].available_balance == D("126.72469206") and d.assets[2].max_withdraw_amount == D("23.72469206")
    assert len(d.positions) == 2 and all(p.position_amt == 0 for p in d.positions)


def check_account_v2_net(d: m.AccountInfo) -> None:
    assert d.fee_burn is None and d.fee_tier == 0
    assert d.assets[0].cross_wallet_balance == D("23.72469206")


def check_account_v3_single(d: m.AccountInfoV3) -> None:
    assert d.total_wallet_balance == D("103.12345678")
    assert [a.asset for a in d.assets] == ["USDT", "USDC"]
    assert all(a.margin_available is None for a in d.assets)
    assert d.assets[1].available_balance == D("126.72469206")
    [p] = d.positions
    assert p.position_amt == D("1.000") and p.notional == 0 and p.position_side is PositionSide.BOTH
    assert p.update_time_ms == 0


def check_account_v3_multi(d: m.AccountInfoV3) -> None:
    assert d.total_margin_balance == D("126.72469206")
    assert [a.asset for a in d.assets] == ["USDT", "USDC", "USDT", "BUSD"]
    assert len(d.positions) == 2


def check_balance(d: list[m.AccountBalance]) -> None:
    [b] = d
    assert (b.account_alias, b.asset) == ("SgsR", "USDT")
    assert b.balance == D("122607.35137903") and b.cross_un_pnl == D("0E-8")
    assert b.update_time == datetime(2021, 4, 9, 3, 31, 50, 373000, tzinfo=UTC)


def check_brackets(d: list[m.SymbolBracket]) -> None:
    [s] = d
    assert s.symbol == "ETHUSDT" and s.notional_coef == D("1.50")
    [b] = s.brackets
    assert (b.bracket, b.initial_leverage) == (1, 75)
    assert (b.notional_cap, b.notional_floor, b.maint_margin_ratio, b.cum) == (D(10000), D(0), D("0.0065"), D(0))


def check_brackets_old(d: list[m.SymbolBracket]) -> None:
    [s] = d
    assert s.notional_coef is None and s.brackets[0].maint_margin_ratio == D("0.0065")


def check_trading_status_symbols(d: m.TradingStatus) -> None:
    assert sorted(d.indicators) == ["BTCUSDT", "ETHUSDT"]
    kinds = [i.indicator for i in d.indicators["ETHUSDT"]]
    assert kinds == [TradingIndicator.UFR, TradingIndicator.IFER, TradingIndicator.GCR, TradingIndicator.DR]
    ufr = d.indicators["BTCUSDT"][0]
    assert ufr.value == D("0.05") and ufr.trigger_value == D("0.995") and ufr.is_locked is True
    assert ufr.planned_recover_time == at(1545741270000) and d.update_time == at(1545741270000)


def check_trading_status_account(d: m.TradingStatus) -> None:
    [tmv] = d.indicators["ACCOUNT"]
    assert tmv.indicator is TradingIndicator.TMV and tmv.indicator.known
    assert (tmv.value, tmv.trigger_value, tmv.is_locked) == (D(10), D(1), True)
    assert tmv.planned_recover_time == at(1644919865000) and d.update_time_ms == 1644913304748


def check_trading_status_both(d: m.TradingStatus) -> None:
    assert list(d.indicators) == ["BTCUSDT", "ETHUSDT", "ACCOUNT"]
    check_trading_status_account(m.TradingStatus(indicators={"ACCOUNT": d.indicators["ACCOUNT"]},
                                                 update_time_ms=d.update_time_ms))


def check_commission_rpi(d: m.CommissionRate) -> None:
    assert (d.maker_commission_rate, d.taker_commission_rate, d.rpi_commission_rate) == (
        D("0.0002"), D("0.0004"), D("0.00005"))


def check_commission_plain(d: m.CommissionRate) -> None:
    assert d.symbol == "BTCUSDT" and d.rpi_commission_rate is None and d.maker_commission_rate == D("0.0002")


def check_position_v2_one_way(d: list[m.PositionDetails]) -> None:
    [p] = d
    assert p.margin_type is MarginType.ISOLATED and p.is_auto_add_margin is False
    assert p.position_side is PositionSide.BOTH and p.position_amt == 0 and p.leverage == D(10)
    assert p.mark_price == D("6679.50671178") and p.break_even_price == D("0.0") and p.notional == 0
    assert p.update_time_ms == 0


def check_position_v2_hedge(d: list[m.PositionDetails]) -> None:
    long, short = d
    assert (long.position_side, short.position_side) == (PositionSide.LONG, PositionSide.SHORT)
    assert long.margin_type is MarginType.CROSSED and short.margin_type is MarginType.CROSSED
    assert long.position_amt == D("0.001") and long.un_realized_profit == D("-1.06214947")
    assert long.liquidation_price == D("19731.45529116") and long.notional == D("21.12305052")
    assert long.update_time == at(1655217461579) and short.update_time_ms == 0


def check_position_v2_hedge_old(d: list[m.PositionDetails]) -> None:
    long, short = d
    assert long.position_side is PositionSide.LONG and short.position_side is PositionSide.SHORT
    assert short.position_amt == D("-10.000") and short.isolated_margin == D("5413.95799991")
    assert long.break_even_price is None and long.notional is None and long.isolated_wallet is None


def check_position_v3_hedge(d: list[m.PositionV3]) -> None:
    long, short = d
    assert long.position_side is PositionSide.LONG and short.position_side is PositionSide.SHORT
    assert short.symbol == "COMPUSDT" and short.position_amt == D("-1.000") and short.notional == D("-49.72023376")
    assert short.break_even_price == D("70.900038636") and short.initial_margin == D("2.48601168")
    assert short.margin_asset == "USDT" and short.adl == 2 and short.update_time == at(1708943511656)


def check_position_v3_net(d: list[m.PositionV3]) -> None:
    long, short = d
    assert long.position_side is PositionSide.LONG and short.position_side is PositionSide.SHORT
    assert long.notional == D("21.12305052") and long.isolated_wallet == 0
    assert long.initial_margin is None and long.maint_margin is None and long.adl is None


def check_adl(d: list[m.AdlQuantileEstimation]) -> None:
    eth, btc = d
    assert (eth.adl_quantile.long, eth.adl_quantile.short, eth.adl_quantile.hedge, eth.adl_quantile.both) == (
        3, 3, 0, None)
    assert (btc.adl_quantile.long, btc.adl_quantile.short, btc.adl_quantile.both, btc.adl_quantile.hedge) == (
        1, 2, 0, None)


def check_adl_one(d: list[m.AdlQuantileEstimation]) -> None:
    [btc] = d
    assert btc.symbol == "BTCUSDT" and (btc.adl_quantile.long, btc.adl_quantile.short) == (2, 0)


def check_position_margin(d: m.PositionMarginResult) -> None:
    assert d.amount == D(100) and d.code == 200 and d.type is MarginChangeDirection.ADD
    assert d.msg == "Successfully modify position margin."


def check_income(d: list[m.IncomeRecord]) -> None:
    transfer, commission = d
    assert transfer.symbol == "" and transfer.income_type is IncomeType.TRANSFER and transfer.trade_id == ""
    assert transfer.income == D("-0.37500000") and transfer.tran_id == 9689322392
    assert transfer.time == datetime(2019, 10, 9, 8, 0, tzinfo=UTC)
    assert commission.income_type is IncomeType.COMMISSION and commission.trade_id == "2059192"
    assert commission.tran_id == 9689322392 and commission.info == "COMMISSION"


def check_margin_history(d: list[m.MarginChange]) -> None:
    first, second = d
    assert first.type is MarginChangeDirection.ADD and first.delta_type is MarginDeltaType.USER_ADJUST
    assert first.amount == D("23.36332311") and first.time == at(1578047897183)
    assert second.position_side is PositionSide.LONG and second.amount == D(100)


def check_margin_history_old(d: list[m.MarginChange]) -> None:
    first, second = d
    assert first.delta_type is None and second.delta_type is None
    assert first.position_side is PositionSide.BOTH and second.position_side is PositionSide.LONG
    assert second.time_ms == 1578047900425


def check_download_id(d: m.DownloadId) -> None:
    assert d.download_id == "546975389218332672" and d.avg_cost_timestamp_of_last30d == 7241837


def check_download_completed(d: m.DownloadLink) -> None:
    assert d.status is DownloadStatus.COMPLETED and d.ready and d.url == "www.binance.com"
    assert d.notified is True and d.is_expired is None
    assert d.expiration_timestamp == datetime(2022, 2, 16, 11, 9, 31, tzinfo=UTC)


def check_download_processing(d: m.DownloadLink) -> None:
    assert d.status is DownloadStatus.PROCESSING and not d.ready and d.url == ""
    assert d.expiration_timestamp_ms == -1 and d.expiration_timestamp is None and d.notified is False


def check_download_expired(d: m.DownloadLink) -> None:
    assert d.status is DownloadStatus.COMPLETED and d.is_expired is True


T0, T1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)

# id, op, args, verb, path, answer, check
SIGNED: list[tuple[str, str, tuple[Any, ...], str, str, bytes, Callable[[Any], None]]] = [
    ("account-v2-single", "get_account_info", (), "GET", "/fapi/v2/account", ACCOUNT_V2_SINGLE,
     check_account_v2_single),
    ("account-v2-multi", "get_account_info", (), "GET", "/fapi/v2/account", ACCOUNT_V2_MULTI, check_account_v2_multi),
    ("account-v2-net", "get_account_info", (), "GET", "/fapi/v2/account", ACCOUNT_V2_NET, check_account_v2_net),
    ("account-v3-single", "get_account_info_v3", (), "GET", "/fapi/v3/account", ACCOUNT_V3_SINGLE,
     check_account_v3_single),
    ("account-v3-multi", "get_account_info_v3", (), "GET", "/fapi/v3/account", ACCOUNT_V3_MULTI,
     check_account_v3_multi),
    ("balance-v2", "get_balances", (), "GET", "/fapi/v2/balance", BALANCE, check_balance),
    ("balance-v3", "get_balances_v3", (), "GET", "/fapi/v3/balance", BALANCE, check_balance),
    ("brackets-array", "get_brackets", (), "GET", "/fapi/v1/leverageBracket", BRACKETS_ARRAY, check_brackets),
    ("brackets-object", "get_brackets", ("ETHUSDT",), "GET", "/fapi/v1/leverageBracket", BRACKETS_OBJECT,
     check_brackets),
    ("brackets-object-old", "get_brackets", ("ETHUSDT",), "GET", "/fapi/v1/leverageBracket", BRACKETS_OBJECT_OLD,
     check_brackets_old),
    ("trading-status-symbols", "get_trading_status", (), "GET", "/fapi/v1/apiTradingStatus", TRADING_STATUS_SYMBOLS,
     check_trading_status_symbols),
    ("trading-status-account", "get_trading_status", (), "GET", "/fapi/v1/apiTradingStatus", TRADING_STATUS_ACCOUNT,
     check_trading_status_account),
    ("trading-status-both", "get_trading_status", (), "GET", "/fapi/v1/apiTradingStatus", TRADING_STATUS_BOTH,
     check_trading_status_both),
    ("commission-rpi", "get_user_commission_rate", ("BTCUSDT",), "GET", "/fapi/v1/commissionRate", COMMISSION_RPI,
     check_commission_rpi),
    ("commission-plain", "get_user_commission_rate", ("BTCUSDT",), "GET", "/fapi/v1/commissionRate",
     COMMISSION_PLAIN, check_commission_plain),
    ("leverage", "change_initial_leverage", ("BTCUSDT", 21), "POST", "/fapi/v1/leverage", LEVERAGE,
     lambda d: (d.leverage, d.max_notional_value, d.symbol) == (21, D(1000000), "BTCUSDT")),
    ("margin-type", "change_margin_type", ("BTCUSDT", "ISOLATED"), "POST", "/fapi/v1/marginType", ACK,
     lambda d: d == m.Acknowledgement(code=200, msg="success")),
    ("position-mode-set", "modify_position_mode", (True,), "POST", "/fapi/v1/positionSide/dual", ACK,
     lambda d: d == m.Acknowledgement(code=200, msg="success")),
    ("multi-assets-set", "set_multi_assets_mode", (True,), "POST", "/fapi/v1/multiAssetsMargin", ACK,
     lambda d: d == m.Acknowledgement(code=200, msg="success")),
    ("multi-assets-get", "get_multi_assets_mode", (), "GET", "/fapi/v1/multiAssetsMargin", MULTI_ASSETS,
     lambda d: d == m.MultiAssetsMode(multi_assets_margin=True)),
    ("position-mode-get", "get_position_mode", (), "GET", "/fapi/v1/positionSide/dual", POSITION_MODE,
     lambda d: d == m.PositionMode(dual_side_position=True)),
    ("position-v2-one-way", "get_position_information", (), "GET", "/fapi/v2/positionRisk", POSITION_V2_ONE_WAY,
     check_position_v2_one_way),
    ("position-v2-hedge", "get_position_information", (), "GET", "/fapi/v2/positionRisk", POSITION_V2_HEDGE,
     check_position_v2_hedge),
    ("position-v2-hedge-old", "get_position_information", (), "GET", "/fapi/v2/positionRisk", POSITION_V2_HEDGE_OLD,
     check_position_v2_hedge_old),
    ("position-v3-hedge", "get_position_information_v3", (), "GET", "/fapi/v3/positionRisk", POSITION_V3_HEDGE,
     check_position_v3_hedge),
    ("position-v3-net", "get_position_information_v3", (), "GET", "/fapi/v3/positionRisk", POSITION_V3_NET,
     check_position_v3_net),
    ("adl", "get_position_adl_quantile_estimation", (), "GET", "/fapi/v1/adlQuantile", ADL, check_adl),
    ("adl-one-symbol", "get_position_adl_quantile_estimation", ("BTCUSDT",), "GET", "/fapi/v1/adlQuantile",
     ADL_ONE_SYMBOL, check_adl_one),
    ("position-margin-int", "modify_position_margin", ("BTCUSDT", "100", 1), "POST", "/fapi/v1/positionMargin",
     POSITION_MARGIN_INT, check_position_margin),
    ("position-margin-float", "modify_position_margin", ("BTCUSDT", "100", 1), "POST", "/fapi/v1/positionMargin",
     POSITION_MARGIN_FLOAT, check_position_margin),
    ("income-tran-id-number", "get_income_history", (), "GET", "/fapi/v1/income", INCOME_NUMBER, check_income),
    ("income-tran-id-string", "get_income_history", (), "GET", "/fapi/v1/income", INCOME_STRING, check_income),
    ("margin-history", "get_margin_change_history", ("BTCUSDT",), "GET", "/fapi/v1/positionMargin/history",
     MARGIN_HISTORY, check_margin_history),
    ("margin-history-old", "get_margin_change_history", ("BTCUSDT",), "GET", "/fapi/v1/positionMargin/history",
     MARGIN_HISTORY_OLD, check_margin_history_old),
    ("download-id-order", "get_download_id_for_order_history", (T0, T1), "GET", "/fapi/v1/order/asyn", DOWNLOAD_ID,
     check_download_id),
    ("download-id-trade", "get_download_id_for_trade_history", (T0, T1), "GET", "/fapi/v1/trade/asyn", DOWNLOAD_ID,
     check_download_id),
    ("download-id-income", "get_download_id_for_transaction_history", (T0, T1), "GET", "/fapi/v1/income/asyn",
     DOWNLOAD_ID, check_download_id),
    ("download-link-order-completed", "get_download_link_for_order_history", ("545923594199212032",), "GET",
     "/fapi/v1/order/asyn/id", DOWNLOAD_COMPLETED, check_download_completed),
    ("download-link-trade-processing", "get_download_link_for_trade_history", ("545923594199212032",), "GET",
     "/fapi/v1/trade/asyn/id", DOWNLOAD_PROCESSING, check_download_processing),
    ("download-link-income-completed", "get_download_link_for_transaction_history", ("545923594199212032",), "GET",
     "/fapi/v1/income/asyn/id", DOWNLOAD_COMPLETED_NET, check_download_completed),
    ("download-link-income-processing", "get_download_link_for_transaction_history", ("545923594199212032",),
     "GET", "/fapi/v1/income/asyn/id", DOWNLOAD_PROCESSING, check_download_processing),
    ("download-link-expired", "get_download_link_for_order_history", ("545923594199212032",), "GET",
     "/fapi/v1/order/asyn/id", DOWNLOAD_EXPIRED, check_download_expired),
]


@pytest.mark.parametrize(("op", "args", "verb", "path", "answer", "check"), [c[1:] for c in SIGNED],
                         ids=[c[0] for c in SIGNED])
def test_published_answer_decodes(
    stub: ScriptedServer, call: Caller, op: str, args: tuple[Any, ...], verb: str, path: str, answer: bytes,
    check: Callable[[Any], None],
) -> None:
    stub.route(verb, path, Reply(body=answer))
    result = call(op, *args)
    assert result.success, result.error
    outcome = check(result.data)
    assert outcome is None or outcome is True
    [sent] = stub.requests
    assert (sent.method, sent.path) == (verb, path)


# op, args, verb, answer, expected data
STREAM: list[tuple[str, str, tuple[Any, ...], str, bytes, Any]] = [
    ("start", "start_user_stream", (), "POST", LISTEN_KEY,
     "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"),
    ("keepalive-key", "keep_alive_user_stream", ("abc",), "PUT", KEEPALIVE_KEY, None),
    ("keepalive-empty", "keep_alive_user_stream", ("abc",), "PUT", EMPTY, None),
    ("keepalive-empty-net", "keep_alive_user_stream", ("abc",), "PUT", EMPTY_NET, None),
    ("close-empty", "stop_user_stream", ("abc",), "DELETE", EMPTY, None),
]


@pytest.mark.parametrize(("op", "args", "verb", "answer", "expected"), [c[1:] for c in STREAM],
                         ids=[c[0] for c in STREAM])
def test_published_listen_key_answer(
    stub: ScriptedServer, call: Caller, op: str, args: tuple[Any, ...], verb: str, answer: bytes, expected: Any,
) -> None:
    stub.route(verb, "/fapi/v1/listenKey", Reply(body=answer))
    result = call(op, *args)
    assert result.success, result.error
    assert result.data == expected


def test_income_record_fields_stay_text_for_exports(stub: ScriptedServer, call: Caller) -> None:
    """A numeric tradeId still reads back as plain text (and so exports as text)."""
    stub.route("GET", "/fapi/v1/income", Reply(body=INCOME_STRING))
    _, commission = call("get_income_history").unwrap()
    assert type(commission.trade_id) is str
    assert commission.to_dict()["trade_id"] == "2059192"
