"""``client.usd_futures_api.account``: the 25 operations of Binance.Net's account interface
(``IBinanceRestClientUsdFuturesApiAccount``), plus the v3 variants.

Arguments are checked before anything is sent: a bad one raises ``ValidationError`` at once.
Everything that happens after sending is reported in the returned ``WebCallResult``.

An operation whose parameters are all required and URL-safe once checked (symbols, integers, enum
values, flags) writes its query string directly: a fifth of the cost of ``params_of``, which
handles optional and free-text values.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from binance_usdm import models as m
from binance_usdm._async.core import AsyncCore
from binance_usdm._wire import endpoints as ep
from binance_usdm._wire import validate as check
from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.limits import (
    DOWNLOAD_MAX_SPAN,
    MARGIN_HISTORY_MAX_SPAN,
    MAX_INCOME_LIMIT,
    MAX_LEVERAGE,
    MAX_MARGIN_HISTORY_LIMIT,
)
from binance_usdm._wire.requests import params_of
from binance_usdm._wire.types import Secret
from binance_usdm.enums import IncomeType, MarginChangeDirection, MarginType, PositionSide
from binance_usdm.result import WebCallResult


class AsyncAccountApi:
    """Binance USD-M futures account endpoints: settings, balances, positions, history, streams."""

    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    # --- settings -----------------------------------------------------------------------------
    async def change_initial_leverage(
        self, symbol: str, leverage: int, *, receive_window: int | None = None
    ) -> WebCallResult[m.LeverageChange]:
        """Change the initial leverage of ``symbol`` (1..125; the symbol's brackets may allow less)."""
        query = f"symbol={check.symbol_query(symbol)}&leverage={check.integer(leverage, 'leverage', 1, MAX_LEVERAGE)}"
        return await self._core.call(ep.CHANGE_INITIAL_LEVERAGE, query, receive_window)

    async def change_margin_type(
        self, symbol: str, margin_type: MarginType | str, *, receive_window: int | None = None
    ) -> WebCallResult[m.Acknowledgement]:
        """Switch ``symbol`` between isolated and crossed margin."""
        kind = check.enum_member(MarginType, margin_type, "margin_type").value
        query = f"symbol={check.symbol_query(symbol)}&marginType={kind}"
        return await self._core.call(ep.CHANGE_MARGIN_TYPE, query, receive_window)

    async def modify_position_mode(
        self, dual_position_side: bool, *, receive_window: int | None = None
    ) -> WebCallResult[m.Acknowledgement]:
        """Hedge mode (True) or one-way mode (False), for every symbol."""
        query = f"dualSidePosition={check.flag(dual_position_side, 'dual_position_side')}"
        return await self._core.call(ep.MODIFY_POSITION_MODE, query, receive_window)

    async def set_multi_assets_mode(
        self, enabled: bool, *, receive_window: int | None = None
    ) -> WebCallResult[m.Acknowledgement]:
        """Multi-Assets mode (True) or Single-Asset mode (False), for every symbol."""
        query = f"multiAssetsMargin={check.flag(enabled, 'enabled')}"
        return await self._core.call(ep.SET_MULTI_ASSETS_MODE, query, receive_window)

    async def modify_position_margin(
        self,
        symbol: str,
        amount: Decimal | str | int,
        type: MarginChangeDirection | int | str,
        position_side: PositionSide | str | None = None,
        *,
        receive_window: int | None = None,
    ) -> WebCallResult[m.PositionMarginResult]:
        """Add margin to, or take it from, an isolated position. ``amount``: a ``Decimal``, an ``int``
        or a decimal string such as ``"12.5"`` (at most 8 decimals; floats are refused: they are not
        exact). Never resent automatically once it may have reached the server: an unclear outcome is
        reported as ``OutcomeUnknownError``."""
        params = params_of(
            symbol=check.symbol(symbol),
            positionSide=None if position_side is None
            else check.enum_member(PositionSide, position_side, "position_side"),
            amount=check.amount(amount, "amount"),
            type=check.enum_member(MarginChangeDirection, type, "type"),
        )
        return await self._core.call(ep.MODIFY_POSITION_MARGIN, params, receive_window)

    # --- account state ------------------------------------------------------------------------
    async def get_account_info(self, *, receive_window: int | None = None) -> WebCallResult[m.AccountInfo]:
        """Account information (v2): totals, assets, and every symbol's position and leverage."""
        return await self._core.call(ep.GET_ACCOUNT_INFO, "", receive_window)

    async def get_account_info_v3(
        self, *, receive_window: int | None = None
    ) -> WebCallResult[m.AccountInfoV3]:
        """Account information (v3): totals, assets, and only symbols with a position or orders."""
        return await self._core.call(ep.GET_ACCOUNT_INFO_V3, "", receive_window)

    async def get_balances(self, *, receive_window: int | None = None) -> WebCallResult[list[m.AccountBalance]]:
        """Balances per asset (v2)."""
        return await self._core.call(ep.GET_BALANCES, "", receive_window)

    async def get_balances_v3(
        self, *, receive_window: int | None = None
    ) -> WebCallResult[list[m.AccountBalance]]:
        """Balances per asset (v3)."""
        return await self._core.call(ep.GET_BALANCES_V3, "", receive_window)

    async def get_brackets(
        self, symbol_or_pair: str | None = None, *, receive_window: int | None = None
    ) -> WebCallResult[list[m.SymbolBracket]]:
        """Notional and leverage brackets, of every symbol or of one."""
        params = params_of(symbol=check.optional_symbol(symbol_or_pair, "symbol_or_pair"))
        return await self._core.call(ep.GET_BRACKETS, params, receive_window)

    async def get_multi_assets_mode(
        self, *, receive_window: int | None = None
    ) -> WebCallResult[m.MultiAssetsMode]:
        """Whether Multi-Assets mode is on."""
        return await self._core.call(ep.GET_MULTI_ASSETS_MODE, "", receive_window)

    async def get_position_mode(self, *, receive_window: int | None = None) -> WebCallResult[m.PositionMode]:
        """Whether Hedge mode is on."""
        return await self._core.call(ep.GET_POSITION_MODE, "", receive_window)

    async def get_position_adl_quantile_estimation(
        self, symbol: str | None = None, *, receive_window: int | None = None
    ) -> WebCallResult[list[m.AdlQuantileEstimation]]:
        """Auto-deleveraging queue estimates (0 low .. 4 high) per position side."""
        params = params_of(symbol=check.optional_symbol(symbol))
        return await self._core.call(ep.GET_POSITION_ADL_QUANTILE_ESTIMATION, params, receive_window)

    async def get_position_information(
        self, symbol: str | None = None, *, receive_window: int | None = None
    ) -> WebCallResult[list[m.PositionDetails]]:
        """Position information (v2): every symbol, with leverage and margin type."""
        params = params_of(symbol=check.optional_symbol(symbol))
        return await self._core.call(ep.GET_POSITION_INFORMATION, params, receive_window)

    async def get_position_information_v3(
        self, symbol: str | None = None, *, receive_window: int | None = None
    ) -> WebCallResult[list[m.PositionV3]]:
        """Position information (v3): only symbols with a position or open orders."""
        params = params_of(symbol=check.optional_symbol(symbol))
        return await self._core.call(ep.GET_POSITION_INFORMATION_V3, params, receive_window)

    async def get_trading_status(
        self, symbol: str | None = None, *, receive_window: int | None = None
    ) -> WebCallResult[m.TradingStatus]:
        """Futures trading quantitative-rules indicators (weight 10, or 1 for one symbol)."""
        params = params_of(symbol=check.optional_symbol(symbol))
        weight = ep.GET_TRADING_STATUS_WEIGHT_ONE_SYMBOL if params else None
        return await self._core.call(ep.GET_TRADING_STATUS, params, receive_window, weight)

    async def get_user_commission_rate(
        self, symbol: str, *, receive_window: int | None = None
    ) -> WebCallResult[m.CommissionRate]:
        """Maker and taker commission rates on ``symbol``."""
        query = f"symbol={check.symbol_query(symbol)}"
        return await self._core.call(ep.GET_USER_COMMISSION_RATE, query, receive_window)

    # --- history ------------------------------------------------------------------------------
    async def get_income_history(
        self,
        symbol: str | None = None,
        income_type: IncomeType | str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        page: int | None = None,
        *,
        receive_window: int | None = None,
    ) -> WebCallResult[list[m.IncomeRecord]]:
        """Income records (funding, commission, realized PnL, ...). Without a time range Binance
        answers the last 7 days; at most ``limit`` (default 100, max 1000) records, oldest first."""
        check.time_range(start_time, end_time)
        kind = None if income_type is None else check.enum_member(IncomeType, income_type, "income_type")
        params = params_of(
            symbol=check.optional_symbol(symbol),
            incomeType=kind,
            startTime=start_time,
            endTime=end_time,
            page=check.optional_integer(page, "page", 1, 10**9),
            limit=check.optional_integer(limit, "limit", 1, MAX_INCOME_LIMIT),
        )
        return await self._core.call(ep.GET_INCOME_HISTORY, params, receive_window)

    async def get_margin_change_history(
        self,
        symbol: str,
        type: MarginChangeDirection | int | str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        *,
        receive_window: int | None = None,
    ) -> WebCallResult[list[m.MarginChange]]:
        """Isolated margin changes of ``symbol`` (window of at most 30 days, last 30 days kept)."""
        check.time_range(start_time, end_time, max_span=MARGIN_HISTORY_MAX_SPAN)
        params = params_of(
            symbol=check.symbol(symbol),
            type=None if type is None else check.enum_member(MarginChangeDirection, type, "type"),
            startTime=start_time,
            endTime=end_time,
            limit=check.optional_integer(limit, "limit", 1, MAX_MARGIN_HISTORY_LIMIT),
        )
        return await self._core.call(ep.GET_MARGIN_CHANGE_HISTORY, params, receive_window)

    async def _download_id(
        self, endpoint: Endpoint[m.DownloadId], start_time: datetime, end_time: datetime,
        receive_window: int | None,
    ) -> WebCallResult[m.DownloadId]:
        check.moment(start_time, "start_time")
        check.moment(end_time, "end_time")
        check.time_range(start_time, end_time, max_span=DOWNLOAD_MAX_SPAN)
        params = params_of(startTime=start_time, endTime=end_time)
        return await self._core.call(endpoint, params, receive_window)

    async def _download_link(
        self, endpoint: Endpoint[m.DownloadLink], download_id: str, receive_window: int | None
    ) -> WebCallResult[m.DownloadLink]:
        params = params_of(downloadId=check.text(download_id, "download_id"))
        return await self._core.call(endpoint, params, receive_window)

    async def get_download_id_for_order_history(
        self, start_time: datetime, end_time: datetime, *, receive_window: int | None = None
    ) -> WebCallResult[m.DownloadId]:
        """Ask Binance to prepare an order-history file (at most 1 year; 10 requests a month)."""
        return await self._download_id(ep.GET_DOWNLOAD_ID_FOR_ORDER_HISTORY, start_time, end_time, receive_window)

    async def get_download_id_for_trade_history(
        self, start_time: datetime, end_time: datetime, *, receive_window: int | None = None
    ) -> WebCallResult[m.DownloadId]:
        """Ask Binance to prepare a trade-history file (at most 1 year; 5 requests a month)."""
        return await self._download_id(ep.GET_DOWNLOAD_ID_FOR_TRADE_HISTORY, start_time, end_time, receive_window)

    async def get_download_id_for_transaction_history(
        self, start_time: datetime, end_time: datetime, *, receive_window: int | None = None
    ) -> WebCallResult[m.DownloadId]:
        """Ask Binance to prepare a transaction-history file (at most 1 year; 100 requests a month)."""
        return await self._download_id(
            ep.GET_DOWNLOAD_ID_FOR_TRANSACTION_HISTORY, start_time, end_time, receive_window
        )

    async def get_download_link_for_order_history(
        self, download_id: str, *, receive_window: int | None = None
    ) -> WebCallResult[m.DownloadLink]:
        """State and link of an order-history file."""
        return await self._download_link(ep.GET_DOWNLOAD_LINK_FOR_ORDER_HISTORY, download_id, receive_window)

    async def get_download_link_for_trade_history(
        self, download_id: str, *, receive_window: int | None = None
    ) -> WebCallResult[m.DownloadLink]:
        """State and link of a trade-history file."""
        return await self._download_link(ep.GET_DOWNLOAD_LINK_FOR_TRADE_HISTORY, download_id, receive_window)

    async def get_download_link_for_transaction_history(
        self, download_id: str, *, receive_window: int | None = None
    ) -> WebCallResult[m.DownloadLink]:
        """State and link of a transaction-history file."""
        return await self._download_link(
            ep.GET_DOWNLOAD_LINK_FOR_TRANSACTION_HISTORY, download_id, receive_window
        )

    # --- user data stream ---------------------------------------------------------------------
    async def start_user_stream(self) -> WebCallResult[str]:
        """A listen key for the user data stream (the live one, extended, if it exists)."""
        return await self._core.call(ep.START_USER_STREAM, "")

    async def keep_alive_user_stream(self, listen_key: str) -> WebCallResult[None]:
        """Extend the listen key by 60 minutes; call it about every 30 minutes."""
        params = Secret(params_of(listenKey=check.text(listen_key, "listen_key")))
        del listen_key  # this frame's locals show in tracebacks that capture them; ``params`` hides it
        return await self._core.call(ep.KEEP_ALIVE_USER_STREAM, params)

    async def stop_user_stream(self, listen_key: str) -> WebCallResult[None]:
        """Close the user data stream."""
        params = Secret(params_of(listenKey=check.text(listen_key, "listen_key")))
        del listen_key  # this frame's locals show in tracebacks that capture them; ``params`` hides it
        return await self._core.call(ep.STOP_USER_STREAM, params)
