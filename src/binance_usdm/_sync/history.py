# GENERATED from binance_usdm/_async/history.py by scripts/gen_sync.py: do not edit.
"""``client.usd_futures_api.history``: complete income and margin-change history over any time
range, and Binance's history downloads (request, wait, stream to disk) as one call.

The iterators split the range into windows Binance accepts and page through each window by time,
so they yield every record exactly once, oldest first, in constant memory. Calls go through the
client's core: its weight budget and retries apply, and a failed call raises its typed error.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Callable, Hashable
from datetime import datetime, timedelta
from time import monotonic
from typing import TYPE_CHECKING, TypeVar

from binance_usdm import models as m
from binance_usdm._sync.account import AccountApi
from binance_usdm._sync.core import Core
from binance_usdm._http.files import FileFetcher, Destination
from binance_usdm._wire import endpoints as ep
from binance_usdm._wire import paging
from binance_usdm._wire import validate as check
from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.limits import MARGIN_HISTORY_MAX_SPAN, MAX_INCOME_LIMIT
from binance_usdm._wire.requests import params_of
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

if TYPE_CHECKING:  # the export machinery is imported by export_income, when used
    from binance_usdm.export_formats import Destination as ExportDestination
    from binance_usdm.export_formats import Format

Row = TypeVar("Row", bound=paging.Timed)
#: Called after each page of an export is written: records written so far, the newest one's time (ms).
PageProgress = Callable[[int, int], None]


class HistoryApi:
    """Paginating iterators over income and margin-change history, and the download flow."""

    def __init__(self, core: Core, account: AccountApi) -> None:
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
    ) -> Iterator[m.IncomeRecord]:
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

    def export_income(
        self,
        destination: ExportDestination,
        start_time: datetime,
        end_time: datetime | None = None,
        *,
        symbol: str | None = None,
        income_type: IncomeType | str | None = None,
        format: Format | None = None,
        limit: int | None = None,
        on_page: PageProgress | None = None,
    ) -> int:
        """Write every income record from ``start_time`` to ``end_time`` (default: now) to
        ``destination`` (a path, or a text file object for CSV and JSON lines) as CSV, JSON lines or
        Parquet (``format``, else the file name's suffix); returns how many, at most ``limit``.

        The file is the one ``export(iter_income(...), destination)`` writes (columns, exact values,
        times; ``binance_usdm.export``), made faster: each page of 1000 is decoded straight into the
        exported values and written at once, and the next page is fetched while it is written (by a
        task, or a thread for the blocking client). Memory holds a few pages (Parquet: a row group
        of 50,000 rows). ``on_page(count, newest_ms)`` follows the progress."""
        from binance_usdm._http.background import Lookahead
        from binance_usdm.income_export import open_page_writer

        first, last = self._range(start_time, end_time)
        kind = None if income_type is None else check.enum_member(IncomeType, income_type, "income_type")
        wanted = None if limit is None else check.integer(limit, "limit", 1, 2**63)
        symbol = check.optional_symbol(symbol)
        writer = open_page_writer(destination, format)  # a bad format or destination: before any call
        pages = Lookahead(self._income_pages(
            ep.GET_INCOME_ROWS, paging.income_row_key, symbol, kind, first, last,
            min(wanted or MAX_INCOME_LIMIT, MAX_INCOME_LIMIT), paging.span_ms(paging.INCOME_WINDOW),
        ), "income export")
        try:
            with writer:
                for page in pages:
                    if wanted is not None:
                        page = page[: wanted - writer.count]
                    writer.write(page)
                    if on_page is not None:
                        on_page(writer.count, page[-1].time_ms)
                    if writer.count == wanted:
                        break
        finally:
            pages.close()
        return writer.count

    def iter_margin_changes(
        self,
        symbol: str,
        start_time: datetime,
        end_time: datetime | None = None,
        *,
        type: MarginChangeDirection | int | str | None = None,
    ) -> Iterator[m.MarginChange]:
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

    def _income(
        self, symbol: str | None, kind: IncomeType | None, first: int, last: int, limit: int, window: int
    ) -> Iterator[m.IncomeRecord]:
        for page in self._income_pages(ep.GET_INCOME_HISTORY, paging.income_key, symbol, kind, first, last,
                                             limit, window):
            for record in page:
                yield record

    def _income_pages(
        self, endpoint: Endpoint[list[Row]], key: Callable[[Row], Hashable], symbol: str | None,
        kind: IncomeType | None, first: int, last: int, limit: int, window: int,
    ) -> Iterator[list[Row]]:
        """The records of each page not yielded before (never an empty list), oldest first."""
        for low, high in paging.windows(first, last, window):
            cursor = low
            seen: set[Hashable] = set()  # records already yielded at the cursor's millisecond
            while True:
                page = self._income_page(endpoint, symbol, kind, cursor, high, limit)
                fresh = _unseen(page, cursor, key, seen) if seen else page
                if fresh:
                    yield fresh
                if len(page) < limit:
                    break
                newest = page[-1].time_ms
                if newest == cursor:
                    # a full page inside one millisecond: only the page number can go further
                    seen.update(map(key, page))
                    for more in self._income_millisecond(endpoint, key, symbol, kind, cursor, limit, seen):
                        yield more
                    if cursor == high:
                        break
                    cursor += 1
                    seen = set()
                    continue
                seen = {key(record) for record in paging.at_end(page, newest)}
                cursor = newest

    def _income_millisecond(
        self, endpoint: Endpoint[list[Row]], key: Callable[[Row], Hashable], symbol: str | None,
        kind: IncomeType | None, moment: int, limit: int, seen: set[Hashable],
    ) -> Iterator[list[Row]]:
        number = 2  # page 1 of this millisecond is the full page just read
        while True:
            page = self._income_page(endpoint, symbol, kind, moment, moment, limit, number)
            fresh = []
            for record in page:
                record_key = key(record)
                if record_key not in seen:
                    seen.add(record_key)
                    fresh.append(record)
            if fresh:
                yield fresh
            if len(page) < limit:
                return
            number += 1

    def _income_page(
        self, endpoint: Endpoint[list[Row]], symbol: str | None, kind: IncomeType | None, low: int, high: int,
        limit: int, page: int | None = None,
    ) -> list[Row]:
        params = params_of(symbol=symbol, incomeType=kind, startTime=low, endTime=high, page=page, limit=limit)
        result = self._core.call(endpoint, params)
        return result.unwrap()

    def _margin_changes(
        self, symbol: str, direction: MarginChangeDirection | None, first: int, last: int
    ) -> Iterator[m.MarginChange]:
        span = paging.span_ms(MARGIN_HISTORY_MAX_SPAN)
        for low, high in paging.windows(first, last, span):
            cursor = low
            # records at the cursor's millisecond already yielded; they have no id, so count equal ones
            seen: Counter[paging.MarginKey] = Counter()
            pending = 0
            while True:
                result = self._account.get_margin_change_history(
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
    def download(
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
        result = self._requests[history](start_time, end_time)  # checks the span before sending
        if result.error is not None:
            raise quota_error(result.error, history)
        download_id = result.unwrap().download_id
        return self.fetch_download(
            history, download_id, destination, poll_interval=poll_interval,
            max_poll_interval=max_poll_interval, timeout=timeout, progress=progress,
        )

    def fetch_download(
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
            link = (self._links[history](download_id)).unwrap()
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
            time.sleep(min(delay, timeout - waited))
            delay = min(delay * 2, max_poll_interval)

        def on_bytes(done: int, total: int | None) -> None:
            if progress is not None:
                progress(DownloadProgress("downloading", download_id, done, total, monotonic() - started))

        config = self._core.config
        fetcher = FileFetcher(config.proxy, config.ssl_context, config.timeouts)
        size = fetcher.fetch(link, destination, on_bytes)
        if progress is not None:
            progress(DownloadProgress("done", download_id, size, size, monotonic() - started))
        return DownloadResult(target, size, link)


def _unseen(page: list[Row], cursor: int, key: Callable[[Row], Hashable], seen: set[Hashable]) -> list[Row]:
    """``page`` without the records in ``seen``: only those at its first millisecond (``cursor``,
    where the previous page ended) can be there, so only they are looked up."""
    at_cursor = 0
    for record in page:
        if record.time_ms != cursor:
            break
        at_cursor += 1
    if not at_cursor:
        return page
    return [record for record in page[:at_cursor] if key(record) not in seen] + page[at_cursor:]
