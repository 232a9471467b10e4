"""Typed errors. Every error says what went wrong and where, and never carries a secret.

Hierarchy::

    BinanceError
    ├── ValidationError          bad argument, caught before anything was sent (also a ValueError)
    ├── TransportError           the request did not complete at the HTTP level
    │   ├── ConnectError         could not connect (nothing was sent)
    │   │   └── CertificateError the server's TLS certificate was rejected (never retried)
    │   └── RequestTimeout       connect/write/read timed out (``request_sent`` tells which side)
    ├── ResponseParseError       the server answered with a body we could not decode
    ├── ResponseValueError       a number or time in a decoded answer is not one (raised when read)
    ├── ApiError                 the server answered with a Binance error (``code``, ``msg``)
    │   ├── AuthenticationError  bad key, signature or permissions (-1022, -2014, -2015, 401)
    │   ├── InvalidRequestError  the request was refused as malformed or against a rule (4xx)
    │   │   ├── TimestampError   -1021: timestamp outside recvWindow
    │   │   └── DownloadQuotaExceeded  the monthly quota of history-download requests is used up
    │   ├── RateLimitError       429: weight limit broken; ``retry_after`` seconds
    │   │   └── IpBannedError    418: IP banned until ``banned_until``
    │   └── ServerError          5xx on Binance's side
    │       └── OutcomeUnknownError  the change may or may not have been applied
    ├── ClientRateLimitError     the client refused to send: the weight budget is spent (fail-fast mode)
    └── DownloadError            a prepared history file could not be fetched
        └── DownloadTimeout      the file was not ready in time (``download_id`` lets you resume)
"""

from __future__ import annotations

from datetime import datetime


class BinanceError(Exception):
    """Base class of every error raised or returned by binance-usdm."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint

    def __str__(self) -> str:
        if self.endpoint:
            return f"{self.message} [{self.endpoint}]"
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # keyword-only constructors defeat Exception's pickling (``cls(*args)``): rebuild from state,
        # so errors cross process boundaries (multiprocessing, concurrent.futures) intact
        return (_restore, (type(self), self.args, self.__dict__.copy()))


def _restore(cls: type[BinanceError], args: tuple[object, ...], state: dict[str, object]) -> BinanceError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ValidationError(BinanceError, ValueError):
    """An argument was invalid; nothing was sent."""

    def __init__(self, parameter: str, problem: str, *, endpoint: str | None = None) -> None:
        super().__init__(f"invalid '{parameter}': {problem}", endpoint=endpoint)
        self.parameter = parameter
        self.problem = problem


class TransportError(BinanceError):
    """The HTTP exchange failed. ``request_sent`` is True when the server may have seen the request."""

    def __init__(self, message: str, *, request_sent: bool, endpoint: str | None = None) -> None:
        super().__init__(message, endpoint=endpoint)
        self.request_sent = request_sent


class ConnectError(TransportError):
    """The connection could not be opened (or was refused); the request was not sent."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message, request_sent=False, endpoint=endpoint)


class CertificateError(ConnectError):
    """The server's TLS certificate failed verification. Not retried: it would fail the same way
    (check the system clock, the trust store, or pass ``ssl_context=`` for a private CA)."""


class RequestTimeout(TransportError):
    """A connect, write or read deadline passed."""


class ResponseParseError(BinanceError):
    """The body could not be decoded into the expected shape; ``excerpt`` holds its start."""

    def __init__(
        self, message: str, *, status_code: int, excerpt: str, endpoint: str | None = None
    ) -> None:
        super().__init__(f"{message} (HTTP {status_code}, body starts: {excerpt!r})", endpoint=endpoint)
        self.status_code = status_code
        self.excerpt = excerpt


class ResponseValueError(BinanceError, ValueError):
    """A field of a decoded answer holds no valid value (an empty string where a number belongs, a
    time beyond the years ``datetime`` holds).

    Models convert numbers and times when a field is read, so this is raised by that read; the
    model's ``repr`` shows the value as received instead.
    """

    def __init__(self, model: str, field: str, value: object, expected: str = "a number") -> None:
        super().__init__(f"{model}.{field}: Binance sent {value!r}, which is not {expected}")
        self.model = model
        self.field = field
        self.value = value


class ApiError(BinanceError):
    """Binance answered with an error: ``code`` and ``msg`` are Binance's own."""

    def __init__(self, code: int, msg: str, *, status_code: int, endpoint: str | None = None) -> None:
        super().__init__(f"Binance error {code}: {msg} (HTTP {status_code})", endpoint=endpoint)
        self.code = code
        self.msg = msg
        self.status_code = status_code


class AuthenticationError(ApiError):
    """The API key, signature or permissions were refused."""


class InvalidRequestError(ApiError):
    """The request broke a rule or was malformed; sending it again unchanged will fail again."""


class TimestampError(InvalidRequestError):
    """-1021: the request's timestamp was outside the receive window."""


class RateLimitError(ApiError):
    """429: the request-weight limit was broken. Wait ``retry_after`` seconds."""

    def __init__(
        self,
        code: int,
        msg: str,
        *,
        status_code: int,
        retry_after: float | None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(code, msg, status_code=status_code, endpoint=endpoint)
        self.retry_after = retry_after


class IpBannedError(RateLimitError):
    """418: the IP is banned; no call is sent until ``banned_until`` (UTC)."""

    def __init__(
        self,
        code: int,
        msg: str,
        *,
        status_code: int,
        retry_after: float | None,
        banned_until: datetime | None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(code, msg, status_code=status_code, retry_after=retry_after, endpoint=endpoint)
        self.banned_until = banned_until


class ServerError(ApiError):
    """5xx: a failure on Binance's side."""


class OutcomeUnknownError(ServerError):
    """The request reached the server but its outcome is unknown (503 unknown status, -1007,
    or a connection lost after sending a request that changes state).

    Do not resend blindly: query the state (e.g. position information or margin change history)
    to learn whether the change was applied.
    """


class ClientRateLimitError(BinanceError):
    """The client's own weight budget would be exceeded and it was told to fail fast."""

    def __init__(self, message: str, *, retry_after: float, endpoint: str | None = None) -> None:
        super().__init__(message, endpoint=endpoint)
        self.retry_after = retry_after


class DownloadQuotaExceeded(InvalidRequestError):
    """Binance refused a history-download request: the account's monthly quota for that kind
    (``quota`` requests, shared with Binance's web download page) is used up."""

    def __init__(
        self, code: int, msg: str, *, status_code: int, quota: int, endpoint: str | None = None
    ) -> None:
        super().__init__(code, msg, status_code=status_code, endpoint=endpoint)
        self.quota = quota
        self.message = f"{self.message}: the monthly quota of {quota} download requests is used up"


class DownloadError(BinanceError):
    """A prepared history file could not be fetched (link expired, file server refused)."""

    def __init__(self, message: str, *, download_id: str, endpoint: str | None = None) -> None:
        super().__init__(message, endpoint=endpoint)
        self.download_id = download_id


class DownloadTimeout(DownloadError):
    """The file was still being prepared when the timeout passed. Binance keeps preparing it:
    resume with ``history.fetch_download(kind, download_id, ...)`` without spending quota."""
