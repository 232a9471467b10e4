"""HttpResponse -> WebCallResult[T]: typed data on success, a typed error otherwise."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.requests import redact
from binance_usdm._wire.types import HttpResponse
from binance_usdm.errors import (
    ApiError,
    AuthenticationError,
    BinanceError,
    InvalidRequestError,
    IpBannedError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    TimestampError,
)
from binance_usdm.result import WebCallResult

R = TypeVar("R")

_log = logging.getLogger("binance_usdm")
_AUTH_CODES = frozenset({-1022, -2014, -2015, -1099})
_UNKNOWN_OUTCOME_CODES = frozenset({-1007, -1006})
_BAN_UNTIL = re.compile(r"banned until (\d{12,14})")


class _ErrorBody(msgspec.Struct):
    code: int
    msg: str = ""


_error_body = msgspec.json.Decoder(_ErrorBody)


def excerpt(body: bytes, limit: int = 120) -> str:
    """The start of a body, decoded leniently, for error messages."""
    return body[:limit].decode("utf-8", "replace")


def parse(endpoint: Endpoint[R], response: HttpResponse) -> WebCallResult[R]:
    """Turn one HTTP answer into a result."""
    status = response.status
    body = response.body
    data: R | None = None
    error: BinanceError | None = None
    if 200 <= status < 300 and not body.startswith(b'{"code":-'):
        try:
            data = endpoint.parse(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            error = ResponseParseError(
                f"cannot decode the answer: {exc}", status_code=status, excerpt=excerpt(body),
                endpoint=endpoint.label,
            )
    else:
        error = error_from(response, endpoint.label)
    # written out rather than through ``answered``: one Python call less on every call
    return WebCallResult(
        data=data, error=error, endpoint=endpoint.path, request_method=endpoint.method,
        status_code=status, headers=response.headers, elapsed_seconds=response.elapsed,
    )


def answered(
    endpoint: Endpoint[R], response: HttpResponse, data: R | None, error: BinanceError | None
) -> WebCallResult[R]:
    """A result carrying ``data`` or ``error`` with the facts of the exchange that answered."""
    return WebCallResult(
        data=data, error=error, endpoint=endpoint.path, request_method=endpoint.method,
        status_code=response.status, headers=response.headers, elapsed_seconds=response.elapsed,
    )


def unanswered(endpoint: Endpoint[R], error: BinanceError) -> WebCallResult[R]:
    """A result for a call that ended without an answer to report (refused before sending, or lost)."""
    return WebCallResult(data=None, error=error, endpoint=endpoint.path, request_method=endpoint.method)


def log_exchange(method: str, target: str, response: HttpResponse) -> None:
    """One DEBUG line per answered request: method, target (signature redacted), status, weight, time."""
    _log.debug(
        "%s %s -> %d (weight used %s) in %.1f ms", method, redact(target), response.status,
        response.headers.get("x-mbx-used-weight-1m", "?"), response.elapsed * 1000,
    )


def error_from(response: HttpResponse, label: str) -> BinanceError:
    """The typed error for a non-success answer (or a 2xx carrying a negative Binance code)."""
    status = response.status
    try:
        decoded = _error_body.decode(response.body)
        code, msg = decoded.code, decoded.msg
    except (msgspec.DecodeError, msgspec.ValidationError):
        if status < 400 or status in (429, 418):
            code, msg = 0, f"unexpected non-Binance body: {excerpt(response.body)!r}"
        else:
            return _plain_http_error(response, label)
    retry_after = _retry_after(response)
    if status == 418:
        banned_until = _banned_until(msg, retry_after)
        return IpBannedError(
            code, msg, status_code=status, retry_after=retry_after, banned_until=banned_until,
            endpoint=label,
        )
    if status == 429 or code == -1003:
        return RateLimitError(code, msg, status_code=status, retry_after=retry_after, endpoint=label)
    if code == -1021:
        return TimestampError(code, msg, status_code=status, endpoint=label)
    if code in _AUTH_CODES or status == 401:
        return AuthenticationError(code, msg, status_code=status, endpoint=label)
    if code in _UNKNOWN_OUTCOME_CODES or status == 503:
        return OutcomeUnknownError(code, msg, status_code=status, endpoint=label)
    if status >= 500:
        return ServerError(code, msg, status_code=status, endpoint=label)
    return InvalidRequestError(code, msg, status_code=status, endpoint=label)


def _plain_http_error(response: HttpResponse, label: str) -> ApiError:
    """An error page that is not Binance JSON (a proxy's or firewall's HTML, a truncated body)."""
    status = response.status
    msg = f"HTTP {status} without a Binance error body: {excerpt(response.body)!r}"
    if status == 503:
        return OutcomeUnknownError(0, msg, status_code=status, endpoint=label)
    if status >= 500:
        return ServerError(0, msg, status_code=status, endpoint=label)
    if status == 401:
        return AuthenticationError(0, msg, status_code=status, endpoint=label)
    return InvalidRequestError(0, msg, status_code=status, endpoint=label)


def _retry_after(response: HttpResponse) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _banned_until(msg: str, retry_after: float | None) -> datetime | None:
    match = _BAN_UNTIL.search(msg)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    if retry_after is not None:
        return datetime.fromtimestamp(datetime.now(UTC).timestamp() + retry_after, UTC)
    return None
