"""Long reads for the CLI: every income record of a time window, and the asynchronous download flow.

(``binance_usdm.history`` is meant to offer these to library users; until it exists the CLI keeps its
own small versions here.)
"""

from __future__ import annotations

import ipaddress
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from binance_usdm import models as m
from binance_usdm.enums import IncomeType
from binance_usdm.models._base import to_ms

if TYPE_CHECKING:
    from binance_usdm._sync.account import AccountApi

PAGE_SIZE = 1000
CHUNK = 64 * 1024

PageHook = Callable[[int, int], None]
"""Called after each page with (records so far, milliseconds of the window covered)."""


def iter_income(
    account: AccountApi,
    start: datetime,
    end: datetime,
    *,
    symbol: str | None = None,
    income_type: IncomeType | str | None = None,
    page_size: int = PAGE_SIZE,
    receive_window: int | None = None,
    on_page: PageHook | None = None,
) -> Iterator[m.IncomeRecord]:
    """Every income record from ``start`` to ``end`` (inclusive), oldest first, each once.

    Pages of ``page_size`` are requested by time: the next page starts at the last record's
    millisecond (not after it, so records sharing that millisecond are not lost) and records seen
    at that millisecond are skipped by (tranId, incomeType). If a whole page shares one millisecond,
    Binance's ``page`` parameter moves on within it. Errors raise (``WebCallResult.unwrap``).
    """
    start_ms = to_ms(start)
    cursor = start
    page: int | None = None
    edge_ms = -1
    edge_keys: set[tuple[int, str]] = set()
    total = 0
    while True:
        records = account.get_income_history(
            symbol=symbol, income_type=income_type, start_time=cursor, end_time=end, limit=page_size,
            receive_window=receive_window, page=page,
        ).unwrap()
        for record in records:
            ms = record.time.to_ms()
            key = (record.tran_id, str(record.income_type.value))
            if ms > edge_ms:
                edge_ms = ms
                edge_keys = set()
            elif ms == edge_ms and key in edge_keys:
                continue
            edge_keys.add(key)
            total += 1
            yield record
        if on_page is not None:
            on_page(total, max(edge_ms - start_ms, 0))
        if len(records) < page_size:
            return
        last_ms = records[-1].time.to_ms()
        if last_ms > to_ms(cursor):
            cursor = records[-1].time
            page = None
        else:  # the whole page is one millisecond: step through it by page number
            page = (page or 1) + 1


# --- downloads ----------------------------------------------------------------------------------
KINDS = ("orders", "trades", "transactions")


@dataclass(frozen=True, slots=True)
class DownloadOps:
    """The two client calls of one download kind."""

    request: Callable[[datetime, datetime], m.DownloadId]
    link: Callable[[str], m.DownloadLink]


def download_ops(account: AccountApi, kind: str, receive_window: int | None = None) -> DownloadOps:
    """The request/link calls for ``orders``, ``trades`` or ``transactions``."""
    if kind == "orders":
        req, link = account.get_download_id_for_order_history, account.get_download_link_for_order_history
    elif kind == "trades":
        req, link = account.get_download_id_for_trade_history, account.get_download_link_for_trade_history
    elif kind == "transactions":
        req = account.get_download_id_for_transaction_history
        link = account.get_download_link_for_transaction_history
    else:
        raise ValueError(f"unknown download kind {kind!r}")
    return DownloadOps(
        request=lambda s, e: req(s, e, receive_window).unwrap(),
        link=lambda i: link(i, receive_window).unwrap(),
    )


class DownloadFailed(Exception):
    """The file could not be obtained (expired, timed out, or the fetch failed)."""


def wait_for_link(
    ops: DownloadOps,
    download_id: str,
    *,
    interval: float,
    timeout: float,
    on_poll: Callable[[float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> m.DownloadLink:
    """Poll the link until the file is ready; ``on_poll`` gets the seconds waited so far."""
    started = clock()
    while True:
        link = ops.link(download_id)
        if link.ready:
            if link.is_expired is True or str(link.is_expired).lower() == "true":
                raise DownloadFailed(f"the download link of {download_id} has expired; request a new download")
            return link
        waited = clock() - started
        if on_poll is not None:
            on_poll(waited)
        if waited + interval > timeout:
            raise DownloadFailed(
                f"download {download_id} not ready after {timeout:g} s; "
                f"resume with --id {download_id}"
            )
        sleep(interval)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_url(url: str, timeout: float = 60.0) -> IO[bytes]:
    """GET ``url`` (http/https only); proxies from the environment apply except to loopback."""
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise DownloadFailed(f"refusing to fetch a {scheme or 'relative'} URL: {url}")
    handlers: list[urllib.request.BaseHandler] = []
    if _is_loopback(url):
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": "usdm"})  # noqa: S310 - scheme checked
    try:
        response: IO[bytes] = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise DownloadFailed(f"fetching the file failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadFailed(f"fetching the file failed: {reason}") from None
    return response


def stream_url(
    url: str, out: IO[bytes], *, on_bytes: Callable[[int, int | None], None] | None = None,
    timeout: float = 60.0,
) -> int:
    """Copy the body of ``url`` to ``out`` in chunks; ``on_bytes`` gets (bytes so far, total or None)."""
    with open_url(url, timeout) as response:
        length = response.headers.get("Content-Length") if hasattr(response, "headers") else None
        total = int(length) if length and length.isdigit() else None
        copied = 0
        try:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                copied += len(chunk)
                if on_bytes is not None:
                    on_bytes(copied, total)
        except OSError as exc:
            raise DownloadFailed(f"fetching the file failed after {copied} bytes: {exc}") from None
    if total is not None and copied != total:
        raise DownloadFailed(f"fetching the file failed: got {copied} of {total} bytes")
    return copied


def stream_to_file(
    url: str, path: Path, *, on_bytes: Callable[[int, int | None], None] | None = None, timeout: float = 60.0
) -> int:
    """``stream_url`` into ``path`` via a temporary ``.part`` file, renamed only when complete."""
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as out:
            count = stream_url(url, out, on_bytes=on_bytes, timeout=timeout)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count


__all__ = [
    "KINDS",
    "PAGE_SIZE",
    "DownloadFailed",
    "DownloadOps",
    "download_ops",
    "iter_income",
    "stream_to_file",
    "stream_url",
    "wait_for_link",
]
