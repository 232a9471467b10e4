"""``client.usd_futures_api.history``: complete income and margin-change history over any time
range, and Binance's history downloads (request, wait, stream to disk) as one call.

The iterators split the range into windows Binance accepts and page through each window by time,
so they yield every record exactly once, oldest first, in constant memory. Calls go through the
client's core: its weight budget and retries apply, and a failed call raises its typed error.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from time import monotonic

from binance_usdm import models as m
from binance_usdm._async.account import AsyncAccountApi
from binance_usdm._async.core import AsyncCore
from binance_usdm._http.files import AsyncFileFetcher, Destination
from binance_usdm._wire import paging
from binance_usdm._wire import validate as check
from binance_usdm._wire.limits import MARGIN_HISTORY_MAX_SPAN, MAX_INCOME_LIMIT
from binance_usdm.downloads import (
    DownloadProgress,
    DownloadResult,
    Progress,
    check_destination,
    check_download_options,
    quota_error,
)
from binance_usdm.enums import HistoryKind, IncomeType, MarginChangeDirection
from binance_usdm.errors import BinanceError, DownloadError, DownloadTimeout, ValidationError
from binance_usdm.models._base import UtcDateTime, to_ms


class AsyncHistoryApi:
    """Paginating iterators over income and margin-change history, and the download flow."""

    def __init__(self, core: AsyncCore, account: AsyncAccountApi) -> None:
        self._core = core
        self._account = account
        self._requests = {
            HistoryKind.ORDERS: account.get_download_id_for_order_history,
            HistoryKind.TRADES: account.get_download_id_for_trade_history,
            HistoryKind.TRANSACTIONS: account.get_download_id_for_transaction_history,
        }
        self._links = {
            HistoryKind.ORDERS: account.get_download_link_for_order_history,
            HistoryKind.TRADES: account.get_download_link_for_trade_history,
            HistoryKind.TRANSACTIONS: account.get_download_link_for_transaction_history,
        }

    # --- iterators ----------------------------------------------------------------------------
    def iter_income(
        self,
        start_time: datetime,
        end_time: datetime | None = None,
        *,
        symbol: str | None = None,
        income_type: IncomeType | str | None = None,
        page_size: int = MAX_INCOME_LIMIT,
        window: timedelta = paging.INCOME_WINDOW,
    ) -> AsyncIterator[m.IncomeRecord]:
        """Every income record from ``start_time`` to ``end_time`` (default: now), both inclusive,
        oldest first, fetched ``page_size`` at a time in windows of ``window``. Binance keeps about
        three months of income; for older records use ``download(HistoryKind.TRANSACTIONS, ...)``.
        Arguments are checked at once, before anything is sent."""
        first, last = self._range(start_time, end_time)
        kind = None if income_type is None else check.enum_member(IncomeType, income_type, "income_type")
        return self._income(
            check.optional_symbol(symbol), kind, first, last,
            check.integer(page_size, "page_size", 1, MAX_INCOME_LIMIT), paging.span_ms(window),
        )

    def iter_margin_changes(
        self,
        symbol: str,
        start_time: datetime,
        end_time: datetime | None = None,
        *,
        type: MarginChangeDirection | int | str | None = None,
    ) -> AsyncIterator[m.MarginChange]:
        """Every isolated margin change of ``symbol`` from ``start_time`` to ``end_time`` (default:
        now), oldest first, in windows of 30 days (Binance keeps the last 30 days)."""
        first, last = self._range(start_time, end_time)
        direction = None if type is None else check.enum_member(MarginChangeDirection, type, "type")
        return self._margin_changes(check.symbol(symbol), direction, first, last)

    def _range(self, start_time: datetime, end_time: datetime | None) -> tuple[int, int]:
        check.moment(start_time, "start_time")
        check.time_range(start_time, end_time)
        last = self._core.clock.timestamp_ms() if end_time is None else to_ms(end_time)
        first = to_ms(start_time)
        if first > last:
            raise ValidationError("start_time", f"{start_time.isoformat()} is in the future")
        return first, last

    async def _income(
        self, symbol: str | None, kind: IncomeType | None, first: int, last: int, limit: int, window: int
    ) -> AsyncIterator[m.IncomeRecord]:
        for low, high in paging.windows(first, last, window):
            cursor = low
            seen: set[tuple[int, object]] = set()  # records already yielded at the cursor's millisecond
            while True:
                page = await self._income_page(symbol, kind, cursor, high, limit)
                for record in page:
                    if not seen or paging.income_key(record) not in seen:
                        yield record
                if len(page) < limit:
                    break
                newest = page[-1].time.to_ms()
                if newest == cursor:
                    # a full page inside one millisecond: only the page number can go further
                    seen.update(paging.income_key(record) for record in page)
                    async for record in self._income_millisecond(symbol, kind, cursor, limit, seen):
                        yield record
                    if cursor == high:
                        break
                    cursor += 1
                    seen = set()
                    continue
                seen = {paging.income_key(record) for record in paging.at_end(page, newest)}
                cursor = newest

    async def _income_millisecond(
        self, symbol: str | None, kind: IncomeType | None, moment: int, limit: int, seen: set[tuple[int, object]]
    ) -> AsyncIterator[m.IncomeRecord]:
        number = 2  # page 1 of this millisecond is the full page just read
        while True:
            page = await self._income_page(symbol, kind, moment, moment, limit, number)
            for record in page:
                key = paging.income_key(record)
                if key not in seen:
                    seen.add(key)
                    yield record
            if len(page) < limit:
                return
            number += 1

    async def _income_page(
        self, symbol: str | None, kind: IncomeType | None, low: int, high: int, limit: int,
        page: int | None = None,
    ) -> list[m.IncomeRecord]:
        result = await self._account.get_income_history(
            symbol=symbol, income_type=kind, start_time=UtcDateTime.from_ms(low),
            end_time=UtcDateTime.from_ms(high), limit=limit, page=page,
        )
        return result.unwrap()

    async def _margin_changes(
        self, symbol: str, direction: MarginChangeDirection | None, first: int, last: int
    ) -> AsyncIterator[m.MarginChange]:
        span = paging.span_ms(MARGIN_HISTORY_MAX_SPAN)
        for low, high in paging.windows(first, last, span):
            cursor = low
            # records at the cursor's millisecond already yielded; they have no id, so count equal ones
            seen: Counter[paging.MarginKey] = Counter()
            pending = 0
            while True:
                result = await self._account.get_margin_change_history(
                    symbol, direction, UtcDateTime.from_ms(cursor), UtcDateTime.from_ms(high),
                    paging.MARGIN_PAGE_SIZE,
                )
                page = result.unwrap()
                for record in page:
                    if pending:
                        key = paging.margin_key(record)
                        if seen[key] > 0:
                            seen[key] -= 1
                            pending -= 1
                            continue
                    yield record
                if len(page) < paging.MARGIN_PAGE_SIZE:
                    break
                newest = page[-1].time.to_ms()
                if newest == cursor:
                    raise BinanceError(
                        f"more than {paging.MARGIN_PAGE_SIZE} margin changes of {symbol} share the millisecond "
                        f"{UtcDateTime.from_ms(cursor).isoformat()}; Binance offers no way to page past them",
                        endpoint=result.request_method + " " + result.endpoint,
                    )
                seen = Counter(paging.margin_key(record) for record in paging.at_end(page, newest))
                pending = seen.total()
                cursor = newest

    # --- downloads ----------------------------------------------------------------------------
    async def download(
        self,
        kind: HistoryKind | str,
        start_time: datetime,
        end_time: datetime,
        destination: Destination,
        *,
        poll_interval: float = 2.0,
        max_poll_interval: float = 60.0,
        timeout: float = 7200.0,
        progress: Progress | None = None,
    ) -> DownloadResult:
        """Request a history file (orders, trades or transactions; at most one year), wait until
        Binance has prepared it, then stream it to ``destination`` (a path or a binary file object).

        Each request spends one of a small monthly quota (orders 10, trades 5, transactions 5,
        shared with Binance's web page): arguments are checked first, the request is never resent,
        and a refusal over quota raises ``DownloadQuotaExceeded``. Polling starts every
        ``poll_interval`` seconds and doubles up to ``max_poll_interval``; after ``timeout`` seconds
        ``DownloadTimeout`` carries the ``download_id`` for ``fetch_download``.
        """
        history = check.enum_member(HistoryKind, kind, "kind")
        check_download_options(poll_interval, max_poll_interval, timeout, progress)
        check_destination(destination)
        result = await self._requests[history](start_time, end_time)  # checks the span before sending
        if result.error is not None:
            raise quota_error(result.error, history)
        download_id = result.unwrap().download_id
        return await self.fetch_download(
            history, download_id, destination, poll_interval=poll_interval,
            max_poll_interval=max_poll_interval, timeout=timeout, progress=progress,
        )

    async def fetch_download(
        self,
        kind: HistoryKind | str,
        download_id: str,
        destination: Destination,
        *,
        poll_interval: float = 2.0,
        max_poll_interval: float = 60.0,
        timeout: float = 7200.0,
        progress: Progress | None = None,
    ) -> DownloadResult:
        """Wait for an already requested file and stream it to ``destination`` (spends no quota)."""
        history = check.enum_member(HistoryKind, kind, "kind")
        download_id = check.text(download_id, "download_id")
        check_download_options(poll_interval, max_poll_interval, timeout, progress)
        target = check_destination(destination)
        started = monotonic()
        delay = poll_interval
        while True:
            link = (await self._links[history](download_id)).unwrap()
            if link.is_expired is True:
                raise DownloadError(f"the link of download {download_id} has expired", download_id=download_id)
            if link.ready:
                break
            waited = monotonic() - started
            if waited >= timeout:
                raise DownloadTimeout(
                    f"download {download_id} was still being prepared after {timeout:g} s; "
                    "call fetch_download with this id later (it spends no quota)",
                    download_id=download_id,
                )
            if progress is not None:
                progress(DownloadProgress("waiting", download_id, waited=waited))
            await asyncio.sleep(min(delay, timeout - waited))
            delay = min(delay * 2, max_poll_interval)

        def on_bytes(done: int, total: int | None) -> None:
            if progress is not None:
                progress(DownloadProgress("downloading", download_id, done, total, monotonic() - started))

        config = self._core.config
        fetcher = AsyncFileFetcher(config.proxy, config.ssl_context, config.timeouts)
        size = await fetcher.fetch(link, destination, on_bytes)
        if progress is not None:
            progress(DownloadProgress("done", download_id, size, size, monotonic() - started))
        return DownloadResult(target, size, link)
