"""``WebCallResult``: the outcome of one call, successful or not, with its HTTP facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Generic, TypeVar

import msgspec

from binance_usdm.errors import BinanceError

T = TypeVar("T")
U = TypeVar("U")

_NO_HEADERS: Mapping[str, str] = {}
_SECRET_ANSWERS = frozenset(("/fapi/v1/listenKey",))  # the data is a listen key: never shown in a repr


class WebCallResult(msgspec.Struct, Generic[T], kw_only=True):
    """What a call returned: ``data`` on success, ``error`` otherwise, plus the HTTP exchange facts.

    ``unwrap()`` returns the data or raises the typed error, for code that prefers exceptions.
    ``elapsed_seconds``: time from sending the request to the last byte of the answer, as a float.
    """

    data: T | None
    error: BinanceError | None
    endpoint: str
    request_method: str
    status_code: int | None = None
    headers: Mapping[str, str] = _NO_HEADERS
    elapsed_seconds: float = 0.0

    @property
    def elapsed(self) -> timedelta:
        """Time from sending the request to the last byte of the answer."""
        return timedelta(seconds=self.elapsed_seconds)

    @property
    def success(self) -> bool:
        """True when the call succeeded and ``data`` holds the result."""
        return self.error is None

    def __bool__(self) -> bool:
        return self.error is None

    @property
    def used_weight(self) -> int | None:
        """Request weight used by this IP in the current minute, from ``X-MBX-USED-WEIGHT-1M``."""
        value = self.headers.get("x-mbx-used-weight-1m")
        return int(value) if value is not None and value.isdigit() else None

    def with_data(self, data: U | None) -> WebCallResult[U]:
        """The same call facts carrying other data (e.g. a converted value)."""
        result: WebCallResult[U] = WebCallResult(
            data=data, error=self.error, endpoint=self.endpoint, request_method=self.request_method,
            status_code=self.status_code, headers=self.headers, elapsed_seconds=self.elapsed_seconds,
        )
        return result

    def unwrap(self) -> T:
        """The data, or raise the typed error."""
        if self.error is not None:
            raise self.error
        return self.data  # type: ignore[return-value]

    def __repr__(self) -> str:
        head = f"{self.request_method} {self.endpoint} -> {self.status_code} in {self.elapsed_seconds * 1000:.1f} ms"
        if self.error is not None:
            return f"WebCallResult(failed: {head}: {self.error.message})"
        shown = "'***'" if self.endpoint in _SECRET_ANSWERS and self.data is not None else repr(self.data)
        return f"WebCallResult(ok: {head}: {shown})"
