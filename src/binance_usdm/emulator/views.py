"""JSON answers in Binance's field order and number formats (strings where Binance sends strings)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import msgspec

from . import margin
from .accounts import DEFAULT_LEVERAGE, Account
from .backend import Backend
from .downloads import DownloadStatus
from .market import FUNDING_INTERVAL_MS, MARGIN_ASSET_PRICE_SYMBOL, SymbolInfo
from .snapshot import Leg, Snapshot, account_snapshot, leg
from .store import IncomeRow, MarginRow

Json = dict[str, Any]


def d8(x: Decimal) -> str:
    """Eight decimals, as Binance formats balances and margins (no negative zero)."""
    s = f"{x:.8f}"
    return "0.00000000" if s == "-0.00000000" else s


def dz(x: Decimal) -> str:
    """"0" for zero, else eight decimals (fields Binance shows as "0" when empty)."""
    return "0" if x == 0 else d8(x)


def plain(x: Decimal) -> str:
    """Shortest exact decimal; zero as "0.0" (entry prices)."""
    if x == 0:
        return "0.0"
    s = format(x.normalize(), "f")
    return s


def fixed(x: Decimal, places: int) -> str:
    """`places` decimals without negative zero."""
    s = f"{x:.{places}f}"
    return s[1:] if s.startswith("-") and not s.strip("-0.") else s


def price(x: Decimal, info: SymbolInfo) -> str:
    """A price at the symbol's precision; "0" for none."""
    return "0" if x == 0 else fixed(x, info.price_precision)


def sides(acc: Account) -> tuple[str, ...]:
    """Position sides listed per symbol in the account's position mode."""
    return ("LONG", "SHORT") if acc.dual_side else ("BOTH",)


def _snapshot(backend: Backend, acc: Account) -> Snapshot:
    return account_snapshot(acc, backend.symbols, backend.marks)


def _all_legs(backend: Backend, acc: Account, snap: Snapshot, symbol: str | None) -> Iterable[Leg]:
    open_legs = {(lg.symbol, lg.side): lg for lg in snap.legs}
    infos = [backend.symbol(symbol)] if symbol else list(backend.symbols.values())
    for info in infos:
        for side in sides(acc):
            yield open_legs.get((info.symbol, side)) or leg(acc, info, side, backend.marks)


def _asset_times(acc: Account, asset: str) -> int:
    return acc.balance_times.get(asset, 0)


#: Rendered figures by the figures object they show (`snapshot.account_snapshot` reuses its figures
#: while their inputs stand, so an answer after a change that moved none of them formats nothing
#: again). Each entry keeps its figures object, so the id is not reused while it is a key. The
#: entries are shared: read only.
_ASSET_VIEWS: dict[tuple[int, str, bool, int], tuple[margin.AssetFigures, Json]] = {}
_TOTALS: dict[int, tuple[margin.AssetFigures, Json]] = {}
_MAX_FIGURE_VIEWS = 4096


def _asset_view(acc: Account, snap: Snapshot, asset: str, *, v2: bool) -> Json:
    """One entry of an account answer's ``assets`` (v2 adds ``marginAvailable``)."""
    f = snap.assets[asset]
    key = (id(f), asset, v2, _asset_times(acc, asset))
    hit = _ASSET_VIEWS.get(key)
    if hit is not None:
        return hit[1]
    view: Json = {
        "asset": asset,
        "walletBalance": d8(f.wallet),
        "unrealizedProfit": d8(f.unrealized),
        "marginBalance": d8(f.margin_balance),
        "maintMargin": d8(f.maint),
        "initialMargin": d8(f.initial),
        "positionInitialMargin": d8(f.position_initial),
        "openOrderInitialMargin": d8(f.open_order_initial),
        "crossWalletBalance": d8(f.cross_wallet),
        "crossUnPnl": d8(f.cross_unpnl),
        "availableBalance": d8(f.available),
        "maxWithdrawAmount": d8(f.max_withdraw),
    }
    if v2:
        view["marginAvailable"] = asset in MARGIN_ASSET_PRICE_SYMBOL
    view["updateTime"] = key[3]
    if len(_ASSET_VIEWS) >= _MAX_FIGURE_VIEWS:
        _ASSET_VIEWS.clear()
    _ASSET_VIEWS[key] = (f, view)
    return view


def account_v2(backend: Backend, acc: Account) -> Json:
    """GET /fapi/v2/account."""
    snap = _snapshot(backend, acc)
    assets = [_asset_view(acc, snap, a, v2=True) for a in snap.assets]
    return {
        "feeTier": acc.fee_tier,
        "feeBurn": acc.fee_burn,
        "canTrade": acc.can_trade,
        "canDeposit": acc.can_deposit,
        "canWithdraw": acc.can_withdraw,
        "updateTime": 0,
        "multiAssetsMargin": acc.multi_assets,
        "tradeGroupId": -1,
        **_totals(snap),
        "assets": assets,
        "positions": [_v2_position(lg) for lg in _all_legs(backend, acc, snap, None)],
    }


#: `account_v2` position entries by leg: a leg depends on nothing else, and legs are reused while
#: their inputs stand (`snapshot.leg`), so an answer after a change renders only the legs it moved.
#: Each entry keeps its leg, so the id is not reused while it is a key. The entries are shared: read only.
_V2_POSITIONS: dict[int, tuple[Leg, Json]] = {}
_MAX_V2_POSITIONS = 4096


def _v2_position(lg: Leg) -> Json:
    hit = _V2_POSITIONS.get(id(lg))
    if hit is not None:
        return hit[1]
    view = {
        "symbol": lg.symbol,
        "initialMargin": dz(lg.initial),
        "maintMargin": dz(lg.maint),
        "unrealizedProfit": d8(lg.upnl),
        "positionInitialMargin": dz(lg.initial),
        "openOrderInitialMargin": "0",
        "leverage": str(lg.leverage),
        "isolated": lg.isolated,
        "entryPrice": plain(lg.entry),
        "breakEvenPrice": plain(lg.break_even),
        "maxNotional": str(lg.max_notional),
        "bidNotional": "0",
        "askNotional": "0",
        "positionSide": lg.side,
        "positionAmt": fixed(lg.amount, lg.info.quantity_precision),
        "updateTime": lg.update_time,
    }
    if len(_V2_POSITIONS) >= _MAX_V2_POSITIONS:
        _V2_POSITIONS.clear()
    _V2_POSITIONS[id(lg)] = (lg, view)
    return view


def _totals(snap: Snapshot) -> Json:
    t = snap.totals
    hit = _TOTALS.get(id(t))
    if hit is not None:
        return hit[1]
    view = {
        "totalInitialMargin": d8(t.initial),
        "totalMaintMargin": d8(t.maint),
        "totalWalletBalance": d8(t.wallet),
        "totalUnrealizedProfit": d8(t.unrealized),
        "totalMarginBalance": d8(t.margin_balance),
        "totalPositionInitialMargin": d8(t.position_initial),
        "totalOpenOrderInitialMargin": d8(t.open_order_initial),
        "totalCrossWalletBalance": d8(t.cross_wallet),
        "totalCrossUnPnl": d8(t.cross_unpnl),
        "availableBalance": d8(t.available),
        "maxWithdrawAmount": d8(t.max_withdraw),
    }
    if len(_TOTALS) >= _MAX_FIGURE_VIEWS:
        _TOTALS.clear()
    _TOTALS[id(t)] = (t, view)
    return view


def _symbols_with_orders(backend: Backend, acc: Account) -> set[str]:
    return {o["symbol"] for o in backend.orders.open_orders(acc.account_id)}


def account_v3(backend: Backend, acc: Account) -> Json:
    """GET /fapi/v3/account: positions of the symbols with a position or open orders (Binance's page:
    "only symbols with position or open orders will be returned", change log 2024-07-24), one entry
    per leg of the account's position mode.
    https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Account-Information-V3"""
    snap = _snapshot(backend, acc)
    assets = [_asset_view(acc, snap, a, v2=False) for a in snap.assets]
    with_orders = _symbols_with_orders(backend, acc)
    legs = [lg for lg in _all_legs(backend, acc, snap, None) if lg.amount != 0 or lg.symbol in with_orders]
    positions = [{
        "symbol": lg.symbol,
        "positionSide": lg.side,
        "positionAmt": fixed(lg.amount, lg.info.quantity_precision),
        "unrealizedProfit": d8(lg.upnl),
        "isolatedMargin": d8(lg.isolated_margin),
        "notional": d8(lg.amount * lg.mark),
        "isolatedWallet": dz(lg.isolated_wallet),
        "initialMargin": d8(lg.initial),
        "maintMargin": d8(lg.maint),
        "updateTime": lg.update_time,
    } for lg in legs]
    return {**_totals(snap), "assets": assets, "positions": positions}


def balances(backend: Backend, acc: Account) -> list[Json]:
    """GET /fapi/v2/balance and /fapi/v3/balance."""
    snap = _snapshot(backend, acc)
    return [{
        "accountAlias": acc.alias,
        "asset": a,
        "balance": d8(f.wallet),
        "crossWalletBalance": d8(f.cross_wallet),
        "crossUnPnl": d8(f.cross_unpnl),
        "availableBalance": d8(f.available),
        "maxWithdrawAmount": d8(f.max_withdraw),
        "marginAvailable": a in MARGIN_ASSET_PRICE_SYMBOL,
        "updateTime": _asset_times(acc, a),
    } for a, f in snap.assets.items()]


def position_risk_v2(backend: Backend, acc: Account, symbol: str | None) -> list[Json]:
    """GET /fapi/v2/positionRisk: every symbol (or one), one entry per position side."""
    snap = _snapshot(backend, acc)
    out = []
    for lg in _all_legs(backend, acc, snap, symbol):
        out.append({
            "entryPrice": plain(lg.entry),
            "breakEvenPrice": plain(lg.break_even),
            "marginType": "isolated" if lg.isolated else "cross",
            "isAutoAddMargin": "false",
            "isolatedMargin": d8(lg.isolated_margin),
            "leverage": str(lg.leverage),
            "liquidationPrice": price(snap.liquidation.get((lg.symbol, lg.side), Decimal(0)), lg.info),
            "markPrice": d8(lg.mark),
            "maxNotionalValue": str(lg.max_notional),
            "positionAmt": fixed(lg.amount, lg.info.quantity_precision),
            "notional": dz(lg.amount * lg.mark),
            "isolatedWallet": dz(lg.isolated_wallet),
            "symbol": lg.symbol,
            "unRealizedProfit": d8(lg.upnl),
            "positionSide": lg.side,
            "updateTime": lg.update_time,
        })
    return out


def position_risk_v3(backend: Backend, acc: Account, symbol: str | None) -> list[Json]:
    """GET /fapi/v3/positionRisk: only symbols with a position or open orders."""
    snap = _snapshot(backend, acc)
    with_orders = _symbols_with_orders(backend, acc)
    out = []
    for lg in _all_legs(backend, acc, snap, symbol):
        if lg.amount == 0 and lg.symbol not in with_orders:
            continue
        out.append({
            "symbol": lg.symbol,
            "positionSide": lg.side,
            "positionAmt": fixed(lg.amount, lg.info.quantity_precision),
            "entryPrice": plain(lg.entry),
            "breakEvenPrice": plain(lg.break_even),
            "markPrice": d8(lg.mark),
            "unRealizedProfit": d8(lg.upnl),
            "liquidationPrice": price(snap.liquidation.get((lg.symbol, lg.side), Decimal(0)), lg.info),
            "isolatedMargin": dz(lg.isolated_margin),
            "notional": dz(lg.amount * lg.mark),
            "marginAsset": lg.info.margin_asset,
            "isolatedWallet": dz(lg.isolated_wallet),
            "initialMargin": dz(lg.initial),
            "maintMargin": dz(lg.maint),
            "positionInitialMargin": dz(lg.initial),
            "openOrderInitialMargin": "0",
            "adl": snap.adl.get((lg.symbol, lg.side), 0),
            "bidNotional": "0",
            "askNotional": "0",
            "updateTime": lg.update_time,
        })
    return out


def adl_quantiles(backend: Backend, acc: Account, symbol: str | None) -> list[Json]:
    """GET /fapi/v1/adlQuantile: symbols with a position. One-way, and isolated symbols in hedge mode:
    LONG/SHORT/BOTH keys (the side without a position 0); cross symbols in hedge mode: LONG/SHORT plus
    the HEDGE sign (0), with one shared value for LONG and SHORT when both legs are open (Binance)."""
    if symbol:
        backend.symbol(symbol)
    snap = _snapshot(backend, acc)
    by_symbol: dict[str, dict[str, int]] = {}
    for lg in snap.legs:
        if symbol and lg.symbol != symbol:
            continue
        q = snap.adl[(lg.symbol, lg.side)]
        sign = "HEDGE" if acc.dual_side and not lg.isolated else "BOTH"
        entry = by_symbol.setdefault(lg.symbol, {"LONG": 0, "SHORT": 0, sign: 0})
        if lg.side == "BOTH":
            entry["BOTH"] = q
            entry["LONG" if lg.amount > 0 else "SHORT"] = q
        else:
            entry[lg.side] = q
    for entry in by_symbol.values():
        if "HEDGE" in entry and entry["LONG"] and entry["SHORT"]:
            entry["LONG"] = entry["SHORT"] = max(entry["LONG"], entry["SHORT"])
    return [{"symbol": s, "adlQuantile": q} for s, q in by_symbol.items()]


def symbol_configs(backend: Backend, acc: Account, symbol: str | None) -> list[Json]:
    """GET /fapi/v1/symbolConfig: every symbol (or one) with its leverage and margin type."""
    infos = [backend.symbol(symbol)] if symbol else list(backend.symbols.values())
    out = []
    for info in infos:
        s = acc.settings.get(info.symbol)
        leverage = s.leverage if s else DEFAULT_LEVERAGE
        out.append({
            "symbol": info.symbol,
            "marginType": "ISOLATED" if s and s.isolated else "CROSSED",
            "isAutoAddMargin": False,
            "leverage": leverage,
            "maxNotionalValue": str(backend.max_notional(info.symbol, leverage)),
        })
    return out


def leverage_brackets(backend: Backend, symbol: str | None) -> list[Json]:
    """GET /fapi/v1/leverageBracket (an array, also with `symbol`: what clients index as [0]).

    No `notionalCoef`: Binance shows it only for a user whose symbol brackets were adjusted."""
    infos = [backend.symbol(symbol)] if symbol else list(backend.symbols.values())
    return [{
        "symbol": info.symbol,
        "brackets": [{
            "bracket": b.bracket,
            "initialLeverage": b.initial_leverage,
            "notionalCap": b.notional_cap,
            "notionalFloor": b.notional_floor,
            "maintMarginRatio": float(b.maint_margin_ratio),
            "cum": float(b.cum),
        } for b in info.brackets],
    } for info in infos]


#: An income record's members in Binance's order, each with the store's column holding its value
#: (https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-Income-History).
INCOME_MEMBERS = (
    ("symbol", "symbol"), ("incomeType", "income_type"), ("income", "income"), ("asset", "asset"),
    ("info", "info"), ("time", "time"), ("tranId", "tran_id"), ("tradeId", "trade_id"),
)


def income_rows(rows: Iterable[IncomeRow]) -> list[Json]:
    """Income records from the store."""
    return [{key: getattr(r, column) for key, column in INCOME_MEMBERS} for r in rows]


def verbatim_json(text: str) -> msgspec.Raw | None:
    """JSON text built outside msgspec (SQLite's `json_object`, `Store.query_income_json`), sent as
    it is when it is ASCII without a backslash: no string in it was escaped (JSON escapes every control
    character, https://www.rfc-editor.org/rfc/rfc8259#section-7), and an ASCII string needing no escape
    is written alike by every encoder, so the bytes are msgspec's. Else None: the caller encodes the
    values with msgspec (escapes and non-ASCII text may be written differently by SQLite versions)."""
    if text.isascii() and "\\" not in text:
        return msgspec.Raw(text.encode("ascii"))
    return None


def margin_rows(rows: Iterable[MarginRow]) -> list[Json]:
    """Position-margin change records from the store."""
    return [{
        "symbol": r.symbol, "type": r.type, "deltaType": r.delta_type, "amount": r.amount, "asset": r.asset,
        "time": r.time, "positionSide": r.position_side,
    } for r in rows]


def download_status(st: DownloadStatus, url: str) -> Json:
    """GET /fapi/v1/*/asyn/id."""
    return {
        "downloadId": st.download_id,
        "status": "completed" if st.completed else "processing",
        "url": url if st.completed else "",
        "notified": st.completed,
        "expirationTimestamp": st.expiration,
        "isExpired": True if st.expired else None,
    }


def mark_price(backend: Backend, info: SymbolInfo, now: int) -> Json:
    """One entry of GET /fapi/v1/premiumIndex."""
    mark = backend.mark(info.symbol)
    return {
        "symbol": info.symbol,
        "markPrice": d8(mark),
        "indexPrice": d8(mark),
        "estimatedSettlePrice": d8(mark),
        "lastFundingRate": d8(backend.funding_rate(info.symbol)),
        "interestRate": "0.00010000",
        "nextFundingTime": (now // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS,
        "time": now,
    }


def ticker_24h(backend: Backend, info: SymbolInfo, now: int) -> Json:
    """One entry of GET /fapi/v1/ticker/24hr: the emulator trades nothing, so the price stood at the mark."""
    mark = price(backend.mark(info.symbol), info)
    return {
        "symbol": info.symbol,
        "priceChange": fixed(Decimal(0), info.price_precision),
        "priceChangePercent": "0.000",
        "weightedAvgPrice": mark,
        "lastPrice": mark,
        "lastQty": "0",
        "openPrice": mark,
        "highPrice": mark,
        "lowPrice": mark,
        "volume": "0",
        "quoteVolume": "0",
        "openTime": now - 24 * 3600 * 1000,
        "closeTime": now,
        "firstId": -1,
        "lastId": -1,
        "count": 0,
    }


def ticker_price(backend: Backend, info: SymbolInfo, now: int) -> Json:
    """One entry of GET /fapi/v1/ticker/price and /fapi/v2/ticker/price (the mark price)."""
    return {"symbol": info.symbol, "price": price(backend.mark(info.symbol), info), "time": now}


def exchange_info(backend: Backend, weight_limit: int, now: int) -> Json:
    """GET /fapi/v1/exchangeInfo: rate limits, margin assets and the known symbols with filters."""
    symbols = []
    for info in backend.symbols.values():
        symbols.append({
            "symbol": info.symbol,
            "pair": info.symbol,
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "onboardDate": info.onboard_date,
            "status": "TRADING",
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": info.base_asset,
            "quoteAsset": info.quote_asset,
            "marginAsset": info.margin_asset,
            "pricePrecision": info.price_precision,
            "quantityPrecision": info.quantity_precision,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": [],
            "settlePlan": 0,
            "triggerProtect": "0.0500",
            "liquidationFee": "0.012500",
            "marketTakeBound": "0.05",
            "maxMoveOrderLimit": 10000,
            "filters": [
                {"minPrice": info.tick_size, "maxPrice": "4529764", "filterType": "PRICE_FILTER",
                 "tickSize": info.tick_size},
                {"stepSize": info.step_size, "filterType": "LOT_SIZE", "maxQty": info.max_qty,
                 "minQty": info.min_qty},
                {"stepSize": info.step_size, "filterType": "MARKET_LOT_SIZE", "maxQty": info.max_qty,
                 "minQty": info.min_qty},
                {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
                {"limit": 10, "filterType": "MAX_NUM_ALGO_ORDERS"},
                {"notional": info.min_notional, "filterType": "MIN_NOTIONAL"},
                {"multiplierDown": "0.9500", "multiplierUp": "1.0500", "multiplierDecimal": "4",
                 "filterType": "PERCENT_PRICE"},
            ],
            "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                           "TRAILING_STOP_MARKET"],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        })
    return {
        "timezone": "UTC",
        "serverTime": now,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight_limit},
            *order_rate_limits(),
        ],
        "exchangeFilters": [],
        "assets": [{"asset": a, "marginAvailable": True, "autoAssetExchange": "-10000"}
                   for a in MARGIN_ASSET_PRICE_SYMBOL],
        "symbols": symbols,
    }


def order_rate_limits() -> list[Json]:
    """The ORDERS limits: `exchangeInfo`'s `rateLimits` entries and `GET /fapi/v1/rateLimit/order`."""
    return [
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
    ]
