"""Endpoint + arguments -> HttpRequest: parameter encoding, timestamp, recvWindow, signature."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import quote

from binance_usdm._wire.endpoints import Endpoint, Security
from binance_usdm._wire.signing import Signer
from binance_usdm._wire.types import HttpRequest
from binance_usdm.errors import ValidationError
from binance_usdm.models._base import to_ms

Query = str  # an encoded query string: ``symbol=BTCUSDT&leverage=20``
ParamValue = str | int | bool | Decimal | datetime | Enum | None

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_NONE = Security.NONE


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


def params_of(**values: ParamValue) -> Query:
    """The query string of keyword arguments in Binance's wire form, dropping those that are None
    (keeps their order). Values that are not plain ASCII letters and digits are percent-encoded."""
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        if type(value) is int:  # bool is not: it goes to encode_value
            parts.append(f"{name}={value}")
            continue
        text = value if type(value) is str else encode_value(value)
        if not (text.isascii() and text.isalnum()) and not _SAFE.issuperset(text):
            text = quote(text, safe="")
        parts.append(f"{name}={text}")
    return "&".join(parts)


def build(
    endpoint: Endpoint[Any],
    query: Query,
    *,
    key_headers: tuple[tuple[str, str], ...],
    signer: Signer | None,
    timestamp_ms: int,
    recv_window: int | None,
) -> HttpRequest:
    """The HTTP request for one call. Signed parameters travel in the query string (Binance accepts
    them there for every verb), so the signed payload is exactly the query string.
    ``key_headers``: the API key header (empty when there is no key)."""
    security = endpoint.security
    if security is _NONE:
        headers: tuple[tuple[str, str], ...] = ()
    elif key_headers:
        headers = key_headers
    else:
        raise ValidationError("api_key", "this endpoint needs an API key", endpoint=endpoint.label)
    if endpoint.signed:
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
    """The request target with its signature and listen key (a bearer secret for the account's
    user data stream) removed, for logs."""
    head, sep, _ = target.partition("&signature=")
    if sep:
        target = f"{head}&signature=<redacted>"
    return _LISTEN_KEY.sub(r"\1<redacted>", target) if "listenKey=" in target else target


_LISTEN_KEY = re.compile(r"([?&]listenKey=)[^&]*")
