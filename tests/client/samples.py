"""Answers exactly as Binance documents them (from shared/spec/usdm-account-api.md)."""

LEVERAGE = b'{"leverage": 21, "maxNotionalValue": "1000000", "symbol": "BTCUSDT"}'
ACK = b'{"code": 200, "msg": "success"}'
ACCOUNT_V2 = b"""{
 "feeTier": 0, "feeBurn": true, "canTrade": true, "canDeposit": true, "canWithdraw": true,
 "updateTime": 0, "multiAssetsMargin": false, "tradeGroupId": -1,
 "totalInitialMargin": "0.33683000", "totalMaintMargin": "0.02695000",
 "totalWalletBalance": "126.72469206", "totalUnrealizedProfit": "0.97850000",
 "totalMarginBalance": "127.70319206", "totalPositionInitialMargin": "0.33683000",
 "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": "126.72469206",
 "totalCrossUnPnl": "0.97850000", "availableBalance": "126.72469206", "maxWithdrawAmount": "126.72469206",
 "assets": [{"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
   "marginBalance": "23.72469206", "maintMargin": "0.00000000", "initialMargin": "0.00000000",
   "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
   "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
   "maxWithdrawAmount": "23.72469206", "marginAvailable": true, "updateTime": 1625474304765}],
 "positions": [{"symbol": "BTCUSDT", "initialMargin": "0.33683", "maintMargin": "0.02695",
   "unrealizedProfit": "0.97850000", "positionInitialMargin": "0.33683", "openOrderInitialMargin": "0",
   "leverage": "100", "isolated": true, "entryPrice": "22270.4", "breakEvenPrice": "22279.3",
   "maxNotional": "250000", "bidNotional": "0", "askNotional": "0", "positionSide": "BOTH",
   "positionAmt": "0.001", "updateTime": 1625474304765}]
}"""
ACCOUNT_V3 = b"""{
 "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000",
 "totalWalletBalance": "103.12345678", "totalUnrealizedProfit": "0.00000000",
 "totalMarginBalance": "103.12345678", "totalPositionInitialMargin": "0.00000000",
 "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": "103.12345678",
 "totalCrossUnPnl": "0.00000000", "availableBalance": "103.12345678", "maxWithdrawAmount": "103.12345678",
 "assets": [{"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
   "marginBalance": "23.72469206", "maintMargin": "0.00000000", "initialMargin": "0.00000000",
   "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
   "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
   "maxWithdrawAmount": "23.72469206", "updateTime": 1625474304765}],
 "positions": [{"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "1.000",
   "unrealizedProfit": "0.00246803", "isolatedMargin": "0.00000000", "notional": "25.12345678",
   "isolatedWallet": "0", "initialMargin": "0.12345678", "maintMargin": "0.01234567", "updateTime": 0}]
}"""
BALANCES = b"""[{"accountAlias": "SgsR", "asset": "USDT", "balance": "122.60718263",
 "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
 "maxWithdrawAmount": "23.72469206", "marginAvailable": true, "updateTime": 1617939110373}]"""
BRACKETS = b"""[{"symbol": "ETHUSDT", "notionalCoef": 1.5, "brackets": [
 {"bracket": 1, "initialLeverage": 75, "notionalCap": 10000, "notionalFloor": 0,
  "maintMarginRatio": 0.0065, "cum": 0},
 {"bracket": 2, "initialLeverage": 50, "notionalCap": 50000, "notionalFloor": 10000,
  "maintMarginRatio": 0.01, "cum": 35}]}]"""
BRACKETS_ONE = b"""{"symbol": "ETHUSDT", "brackets": [
 {"bracket": 1, "initialLeverage": 75, "notionalCap": 10000, "notionalFloor": 0,
  "maintMarginRatio": 0.0065, "cum": 0}]}"""
DOWNLOAD_ID = b'{"avgCostTimestampOfLast30d": 7241837, "downloadId": "546975389218332672"}'
DOWNLOAD_LINK = b"""{"downloadId": "545923594199212032", "status": "completed",
 "url": "https://bin-prod-user-rebate-bucket.example/report.csv", "notified": true,
 "expirationTimestamp": 1645009771000, "isExpired": null}"""
DOWNLOAD_PROCESSING = b"""{"downloadId": "545923594199212032", "status": "processing", "url": "",
 "notified": false, "expirationTimestamp": -1, "isExpired": null}"""
INCOME = b"""[{"symbol": "", "incomeType": "TRANSFER", "income": "-0.37500000", "asset": "USDT",
  "info": "TRANSFER", "time": 1570608000000, "tranId": 9689322392, "tradeId": ""},
 {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "income": "-0.01000000", "asset": "USDT",
  "info": "COMMISSION", "time": 1570636800000, "tranId": 9689322393, "tradeId": "2059192"}]"""
MARGIN_HISTORY = b"""[{"symbol": "BTCUSDT", "type": 1, "deltaType": "USER_ADJUST", "amount": "23.36332311",
 "asset": "USDT", "time": 1578047897183, "positionSide": "BOTH"}]"""
MULTI_ASSETS = b'{"multiAssetsMargin": true}'
ADL = b"""[{"symbol": "ETHUSDT", "adlQuantile": {"LONG": 3, "SHORT": 3, "HEDGE": 0}},
 {"symbol": "BTCUSDT", "adlQuantile": {"LONG": 1, "SHORT": 2, "BOTH": 0}}]"""
POSITION_V2 = b"""[{"entryPrice": "6563.66500", "breakEvenPrice": "6570.2", "marginType": "isolated",
 "isAutoAddMargin": "false", "isolatedMargin": "15517.54150468", "leverage": "10",
 "liquidationPrice": "5930.78", "markPrice": "6679.50671178", "maxNotionalValue": "20000000",
 "positionAmt": "20.000", "notional": "133590.13423560", "isolatedWallet": "15517.54150468",
 "symbol": "BTCUSDT", "unRealizedProfit": "2316.83423560", "positionSide": "BOTH",
 "updateTime": 1625474304765}]"""
POSITION_V3 = b"""[{"symbol": "ADAUSDT", "positionSide": "BOTH", "positionAmt": "30", "entryPrice": "0.385",
 "breakEvenPrice": "0.385077", "markPrice": "0.41047590", "unRealizedProfit": "0.76427700",
 "liquidationPrice": "0", "isolatedMargin": "0", "notional": "12.31427700", "marginAsset": "USDT",
 "isolatedWallet": "0", "initialMargin": "0.61571385", "maintMargin": "0.08004280",
 "positionInitialMargin": "0.61571385", "openOrderInitialMargin": "0", "adl": 2, "bidNotional": "0",
 "askNotional": "0", "updateTime": 1720736417660}]"""
POSITION_MODE = b'{"dualSidePosition": true}'
TRADING_STATUS = b"""{"indicators": {"BTCUSDT": [{"isLocked": true, "plannedRecoverTime": 1545741270000,
 "indicator": "UFR", "value": 0.05, "triggerValue": 0.995}]}, "updateTime": 1545741270000}"""
COMMISSION = b'{"symbol": "BTCUSDT", "makerCommissionRate": "0.0002", "takerCommissionRate": "0.0004"}'
LISTEN_KEY = b'{"listenKey": "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}'
POSITION_MARGIN = b'{"amount": 100.0, "code": 200, "msg": "Successfully modify position margin.", "type": 1}'
