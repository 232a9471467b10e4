"""History downloads: the values ``history.download`` reports (progress, result), the checks run
before a download request spends quota, and Binance's monthly quota. The file itself is fetched by
:mod:`binance_usdm._http.files`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from binance_usdm._http.files import Destination
from binance_usdm._wire import validate as check
from binance_usdm.enums import HistoryKind
from binance_usdm.errors import (
    ApiError,
    BinanceError,
    DownloadQuotaExceeded,
    ValidationError,
)
from binance_usdm.models.history import DownloadLink

#: Download-id requests Binance allows per account and month (shared with its web download page).
MONTHLY_QUOTA = {HistoryKind.ORDERS: 10, HistoryKind.TRADES: 5, HistoryKind.TRANSACTIONS: 5}
_QUOTA_MESSAGE = re.compile(r"limit.*(month|times)|(month|times).*limit", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """What a ``progress`` callback receives. ``stage``: "waiting" while Binance prepares the file
    (``waited`` seconds so far), "downloading" with byte counts (``bytes_total`` from the file
    server, if it said), then "done" once."""

    stage: Literal["waiting", "downloading", "done"]
    download_id: str
    bytes_done: int = 0
    bytes_total: int | None = None
    waited: float = 0.0


Progress = Callable[[DownloadProgress], None]


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """A fetched history file: where it went (``path`` is None for a file object), its size in
    bytes, and Binance's link record (``link.download_id`` resumes nothing: the file is complete)."""

    path: Path | None
    size: int
    link: DownloadLink


def check_destination(destination: Destination) -> Path | None:
    """Refuse an unusable destination before any quota is spent; the path, if it is one."""
    if isinstance(destination, str | os.PathLike):
        path = Path(destination)
        if path.is_dir():
            raise ValidationError("destination", f"{path} is a directory; give a file path")
        if not path.parent.is_dir():
            raise ValidationError("destination", f"directory {path.parent} does not exist")
        return path
    if not callable(getattr(destination, "write", None)):
        raise ValidationError("destination", "must be a file path or a binary file object open for writing")
    return None


def check_download_options(
    poll_interval: float, max_poll_interval: float, timeout: float, progress: Progress | None
) -> None:
    """Refuse bad waiting options before the download request spends quota (they would fail after it)."""
    if progress is not None and not callable(progress):
        raise ValidationError("progress", f"must be a callable taking a DownloadProgress, got {progress!r}")
    check.seconds(poll_interval, "poll_interval")
    check.seconds(max_poll_interval, "max_poll_interval")
    check.seconds(timeout, "timeout", zero=True)
    if not max_poll_interval >= poll_interval:
        raise ValidationError("max_poll_interval", "must be at least poll_interval")


def quota_error(error: BinanceError, kind: HistoryKind) -> BinanceError:
    """Binance's refusal of a download request over the monthly quota, as ``DownloadQuotaExceeded``
    (Binance documents the quota but not its error code, so the message is what tells)."""
    if isinstance(error, ApiError) and _QUOTA_MESSAGE.search(error.msg):
        return DownloadQuotaExceeded(
            error.code, error.msg, status_code=error.status_code, quota=MONTHLY_QUOTA[kind],
            endpoint=error.endpoint,
        )
    return error
