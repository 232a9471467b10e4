"""The asynchronous history downloads: request an id, poll its status, fetch the CSV.

Rules (Binance `GET /fapi/v1/{order,trade,income}/asyn`): startTime and endTime mandatory, span at
most one year, monthly request quotas per account (order 10, trade 5, income 100, counted per UTC
calendar month of the emulator clock); the link completes after a delay and expires 7 days later.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from .clock import Clock
from .errors import BinanceError, start_after_end
from .store import Store

KINDS = ("order", "trade", "income")
MONTHLY_QUOTA = {"order": 10, "trade": 5, "income": 100}
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

    def __init__(self, store: Store, clock: Clock, completion_delay_ms: int = 3000) -> None:
        self._store = store
        self._clock = clock
        self.completion_delay_ms = completion_delay_ms

    def request(self, account: str, kind: str, start: int, end: int) -> str:
        """Register a download; raises Binance's errors for a bad window or an exhausted quota."""
        if start > end:
            raise start_after_end()
        if end - start > MAX_SPAN_MS:
            # -1127 MORE_THAN_XX_HOURS: "Lookup interval is too big." (span over one year)
            raise BinanceError(-1127, "Lookup interval is too big.")
        now = self._clock.now_ms()
        quota = MONTHLY_QUOTA[kind]
        if self._store.count_downloads(account, kind, _month_start(now)) >= quota:
            # Binance documents the quota but not its error code; the emulator answers -1000 (UNKNOWN).
            raise BinanceError(-1000, f"Request limit of {quota} times per month reached for {kind} downloads.")
        download_id = str(10**17 + secrets.randbelow(9 * 10**17))
        self._store.add_download(download_id, account, kind, start, end, now, now + self.completion_delay_ms)
        return download_id

    def status(self, account: str, kind: str, download_id: str) -> DownloadStatus:
        """Processing until the completion delay has passed, then completed with a 7-day link."""
        row = self._store.get_download(download_id)
        if row is None or row[0] != account or row[1] != kind:
            # -1130 INVALID_PARAMETER for an id this account/kind does not own.
            raise BinanceError(-1130, "Data sent for parameter 'downloadId' is not valid.")
        ready_at = row[5]
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
        account, kind, start, end, _created, ready_at = row
        now = self._clock.now_ms()
        if now < ready_at or now >= ready_at + LINK_TTL_MS:
            return None
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if kind == "income":
            writer.writerow(INCOME_COLUMNS)
            writer.writerows(self._store.iter_income(account, start, end))
        else:
            columns = ORDER_COLUMNS if kind == "order" else TRADE_COLUMNS
            writer.writerow(columns)
            for rec in self._store.query_records(account, kind, start, end):
                writer.writerow(_cell(rec.get(c, "")) for c in columns)
        return buf.getvalue().encode()


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
