"""HttpResponse -> WebCallResult[T]: typed data on success, a typed error otherwise."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from binance_usdm._wire.clock import ServerClock
from binance_usdm._wire.endpoints import Endpoint
from binance_usdm._wire.lazy_log import CLIENT_LOG as _log
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

_AUTH_CODES = frozenset({-1022, -2014, -2015, -1099})
_UNKNOWN_OUTCOME_CODES = frozenset({-1007, -1006})
_BAN_UNTIL = re.compile(r"banned until (\d{12,14})")
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
#: The longest wait a server can impose on the client: Binance's IP bans "scale in duration for repeat
#: offenders, from 2 minutes to 3 days" (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits,
#: the same rule on the USD-M futures pages). A longer Retry-After or ban is cut to this here (the one
#: place a server's wait is read), and the error says so.
MAX_SERVER_WAIT = 3 * 24 * 3600.0


class _ErrorBody(msgspec.Struct):
    code: int
    msg: str = ""


_error_body = msgspec.json.Decoder(_ErrorBody)


def excerpt(body: bytes, limit: int = 120) -> str:
    """The start of a body, decoded leniently, for error messages."""
    return body[:limit].decode("utf-8", "replace")


def parse(endpoint: Endpoint[R], response: HttpResponse, clock: ServerClock) -> WebCallResult[R]:
    """Turn one HTTP answer into a result. ``clock``: the client's estimate of the server's clock,
    read only for a ban (its end is on the server's clock)."""
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
        error = error_from(response, endpoint.label, clock.timestamp_ms() / 1000)
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


def error_from(response: HttpResponse, label: str, now: float) -> BinanceError:
    """The typed error for a non-success answer (or a 2xx carrying a negative Binance code). ``now``:
    epoch seconds on the server's clock. A 429's ``retry_after`` is its Retry-After; a 418's is how
    long the ban still lasts (its message's end, or Retry-After); both at most ``MAX_SERVER_WAIT``."""
    status = response.status
    try:
        decoded = _error_body.decode(response.body)
        code, msg = decoded.code, decoded.msg
    except (msgspec.DecodeError, msgspec.ValidationError):
        if status < 400 or status in (429, 418):
            code, msg = 0, f"unexpected non-Binance body: {excerpt(response.body)!r}"
        else:
            return _plain_http_error(response, label)
    retry_after, capped = _retry_after(response)
    if capped:
        msg = f"{msg} ({capped})"
    if status == 418:
        banned_until = _banned_until(msg, retry_after, now)
        if banned_until is not None:
            left = banned_until.timestamp() - now
            if left > MAX_SERVER_WAIT:
                msg = f"{msg} (calls are held for at most {MAX_SERVER_WAIT:.0f} s, Binance's longest ban)"
            retry_after = max(retry_after or 0.0, min(left, MAX_SERVER_WAIT))
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


def _retry_after(response: HttpResponse) -> tuple[float | None, str]:
    """Retry-After in seconds (ASCII digits, as Binance sends), at most ``MAX_SERVER_WAIT``, and a
    note when it was cut or, not being a number of seconds, ignored."""
    value = response.headers.get("retry-after")
    if value is None:
        return None, ""
    text = value.strip()
    if not _SECONDS.fullmatch(text):
        return None, f"Retry-After {_short(text)!r} ignored: not a number of seconds"
    seconds = float(text)
    if seconds > MAX_SERVER_WAIT:
        return MAX_SERVER_WAIT, f"Retry-After {_short(text)} s capped to {MAX_SERVER_WAIT:.0f} s"
    return seconds, ""


def _banned_until(msg: str, retry_after: float | None, now: float) -> datetime | None:
    """When a 418's ban ends: as its message says (14 digits at most: always a valid date), else
    Retry-After from ``now``."""
    match = _BAN_UNTIL.search(msg)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    if retry_after is not None:
        return datetime.fromtimestamp(now + retry_after, UTC)
    return None


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:21]}..."
