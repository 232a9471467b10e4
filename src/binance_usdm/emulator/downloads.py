"""The asynchronous history downloads: request an id, poll its status, fetch the CSV.

Rules (Binance `GET /fapi/v1/{order,trade,income}/asyn`): startTime and endTime mandatory, span at
most one year, monthly request quotas per account (order 10, trade 5, income 5, "shared by front end
download page and rest api", counted per UTC calendar month of the emulator clock; Binance's pages
https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/ +
Get-Download-Id-For-Futures-{Order,Trade,Transaction}-History); the link completes after a delay and
expires 7 days later.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from .clock import Clock
from .errors import DOWNLOAD_QUOTA, INVALID_PARAMETER, LOOKUP_INTERVAL_TOO_BIG, START_AFTER_END
from .orders import OrderBook
from .store import DownloadRow, Store

KINDS = ("order", "trade", "income")
MONTHLY_QUOTA = {"order": 10, "trade": 5, "income": 5}
MAX_SPAN_MS = 365 * 24 * 3600 * 1000
LINK_TTL_MS = 7 * 24 * 3600 * 1000

INCOME_COLUMNS = ("time", "tranId", "symbol", "incomeType", "income", "asset", "info", "tradeId")
ORDER_COLUMNS = ("orderId", "symbol", "status", "clientOrderId", "price", "avgPrice", "origQty",
                 "executedQty", "cumQuote", "timeInForce", "type", "reduceOnly", "side", "positionSide",
                 "time", "updateTime")
TRADE_COLUMNS = ("id", "orderId", "symbol", "side", "positionSide", "price", "qty", "quoteQty",
                 "realizedPnl", "commission", "commissionAsset", "time", "buyer", "maker")


@dataclass(frozen=True, slots=True)
class DownloadStatus:
    """What `/asyn/id` reports."""

    download_id: str
    completed: bool
    expiration: int
    expired: bool


def _month_start(ms: int) -> int:
    d = datetime.fromtimestamp(ms / 1000, UTC)
    return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp() * 1000)


class Downloads:
    """Download requests persisted in the store; status derived from the emulator clock."""

    def __init__(self, store: Store, clock: Clock, orders: OrderBook, completion_delay_ms: int = 3000) -> None:
        self._store = store
        self._clock = clock
        self._orders = orders
        self.completion_delay_ms = completion_delay_ms

    def request(self, account: str, kind: str, start: int, end: int) -> str:
        """Register a download; raises Binance's errors for a bad window or an exhausted quota."""
        if start > end:
            raise START_AFTER_END.reject()
        if end - start > MAX_SPAN_MS:
            raise LOOKUP_INTERVAL_TOO_BIG.reject()  # -1127: a span over one year
        now = self._clock.now_ms()
        quota = MONTHLY_QUOTA[kind]
        if self._store.count_downloads(account, kind, _month_start(now)) >= quota:
            raise DOWNLOAD_QUOTA.reject(quota=quota, kind=kind)
        download_id = str(10**17 + secrets.randbelow(9 * 10**17))
        self._store.add_download(
            download_id, DownloadRow(account, kind, start, end, now, now + self.completion_delay_ms))
        return download_id

    def status(self, account: str, kind: str, download_id: str) -> DownloadStatus:
        """Processing until the completion delay has passed, then completed with a 7-day link."""
        row = self._store.get_download(download_id)
        if row is None or row.account != account or row.kind != kind:
            raise INVALID_PARAMETER.reject(name="downloadId")  # an id this account/kind does not own
        ready_at = row.ready_at
        now = self._clock.now_ms()
        if now < ready_at:
            return DownloadStatus(download_id, False, -1, False)
        expiration = ready_at + LINK_TTL_MS
        return DownloadStatus(download_id, True, expiration, now >= expiration)

    def csv_bytes(self, download_id: str) -> bytes | None:
        """The CSV of a completed, unexpired download; None otherwise."""
        row = self._store.get_download(download_id)
        if row is None:
            return None
        now = self._clock.now_ms()
        if now < row.ready_at or now >= row.ready_at + LINK_TTL_MS:
            return None
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if row.kind == "income":
            writer.writerow(INCOME_COLUMNS)
            writer.writerows((r.time, r.tran_id, r.symbol, r.income_type, r.income, r.asset, r.info, r.trade_id)
                             for r in self._store.iter_income(row.account, row.start_time, row.end_time))
        else:
            columns = ORDER_COLUMNS if row.kind == "order" else TRADE_COLUMNS
            writer.writerow(columns)
            for rec in self._orders.export(row.account, row.kind, row.start_time, row.end_time):
                writer.writerow(_cell(rec.get(c, "")) for c in columns)
        return buf.getvalue().encode()


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
