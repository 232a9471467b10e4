"""Endpoint + arguments -> HttpRequest: parameter encoding, timestamp, recvWindow, signature."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import quote

from binance_usdm._http.types import HttpRequest
from binance_usdm._wire.endpoints import Endpoint, Security
from binance_usdm._wire.signing import Signer
from binance_usdm.errors import ValidationError
from binance_usdm.models._base import to_ms

Params = list[tuple[str, str]]
ParamValue = str | int | bool | Decimal | datetime | Enum | None

MAX_RECV_WINDOW = 60_000
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
# module constants: an identity test against them is cheaper than Security.signed (a property)
_NONE, _TRADE, _USER_DATA = Security.NONE, Security.TRADE, Security.USER_DATA


def encode_value(value: ParamValue) -> str:
    """One parameter value in Binance's wire form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, datetime):
        return str(to_ms(value))
    if isinstance(value, Enum):
        return encode_value(value.value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def params_of(**values: ParamValue) -> Params:
    """Wire parameters from keyword arguments, dropping those that are None (keeps their order)."""
    return [(name, encode_value(value)) for name, value in values.items() if value is not None]


def _query(params: Params) -> str:
    # Most values (symbols, numbers, enum names) are ASCII letters and digits: no quoting needed.
    return "&".join([
        f"{name}={value}"
        if (value.isascii() and value.isalnum()) or _SAFE.issuperset(value)
        else f"{name}={quote(value, safe='')}"
        for name, value in params
    ])


def check_recv_window(recv_window: int, endpoint: str | None = None) -> None:
    """Binance refuses a recvWindow above 60000 ms; zero or less makes no sense."""
    if not 0 < recv_window <= MAX_RECV_WINDOW:
        raise ValidationError(
            "receive_window", f"must be 1..{MAX_RECV_WINDOW} ms, got {recv_window}", endpoint=endpoint
        )


def build(
    endpoint: Endpoint[Any],
    params: Params,
    *,
    api_key: str | None,
    signer: Signer | None,
    timestamp_ms: int,
    recv_window: int | None,
) -> HttpRequest:
    """The HTTP request for one call. Signed parameters travel in the query string (Binance accepts
    them there for every verb), so the signed payload is exactly the query string."""
    security = endpoint.security
    if security is _NONE:
        headers: list[tuple[str, str]] = []
    elif api_key:
        headers = [("X-MBX-APIKEY", api_key)]
    else:
        raise ValidationError("api_key", "this endpoint needs an API key", endpoint=endpoint.label)
    query = _query(params) if params else ""
    if security is _TRADE or security is _USER_DATA:
        if signer is None:
            raise ValidationError(
                "api_secret", "signed endpoints need an API secret or a private key", endpoint=endpoint.label
            )
        if recv_window is not None:
            tail = f"recvWindow={recv_window}&timestamp={timestamp_ms}"
        else:
            tail = f"timestamp={timestamp_ms}"
        query = f"{query}&{tail}" if query else tail
        query = f"{query}&signature={signer.sign(query.encode())}"
    target = f"{endpoint.path}?{query}" if query else endpoint.path
    return HttpRequest(endpoint.method, target, headers, b"", endpoint.retry_safe)


def redact(target: str) -> str:
    """The request target with its signature removed, for logs."""
    head, sep, _ = target.partition("&signature=")
    return f"{head}&signature=<redacted>" if sep else target
