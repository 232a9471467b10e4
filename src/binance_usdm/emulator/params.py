"""Request parameters: parsing the query string and form body, typed access with Binance's errors.

Patterns are applied with `fullmatch`: `re.match` with `$` would let a trailing newline through
(`leverage=7%0A`), which Binance refuses like any other illegal character (-1100).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote_plus

from .errors import DUPLICATE_PARAM, ILLEGAL_CHARS, INVALID_PARAMETER, MANDATORY_PARAM

_INT_LEGAL = "^[0-9]{1,20}$"
_DECIMAL_RE = re.compile(r"-?([0-9]{1,20})(\.[0-9]{1,20})?")
_DECIMAL_LEGAL = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
#: Binance's INT/LONG parameters are 64-bit: 20 digits pass the pattern but not all of them fit.
MAX_LONG = 2**63 - 1


def parse_pairs(raw: str) -> dict[str, str]:
    """`a=1&b=2` -> dict; a name repeated within one part is -1101 (duplicate values): then the dict
    holds fewer names than the part has non-empty fields."""
    if not raw:
        return {}
    out: dict[str, str] = {}
    fields = raw.split("&")
    if "%" in raw or "+" in raw:
        for part in fields:
            if part:
                name, _, value = part.partition("=")
                out[unquote_plus(name)] = unquote_plus(value)
    else:  # decoding would change nothing: skip it
        for part in fields:
            if part:
                name, _, value = part.partition("=")
                out[name] = value
    if len(out) != len(fields) and len(out) != len(fields) - fields.count(""):
        raise DUPLICATE_PARAM.reject()
    return out


class Params:
    """Merged parameters (query string first: Binance uses the query value when a name is in both)."""

    __slots__ = ("values",)

    def __init__(self, query: str, body: str) -> None:
        merged = parse_pairs(query)
        if body:
            merged = {**parse_pairs(body), **merged}
        self.values = merged

    def get(self, name: str) -> str | None:
        """The raw value; an empty value counts as absent."""
        v = self.values.get(name)
        return v if v else None

    def text(self, name: str) -> str:
        """A mandatory string (-1102 when absent or empty)."""
        v = self.values.get(name)
        if not v:
            raise MANDATORY_PARAM.reject(name=name)
        return v

    def integer(self, name: str) -> int | None:
        """An optional INT/LONG (`req_integer`'s checks); None when absent or empty."""
        return self.req_integer(name) if self.values.get(name) else None

    def req_integer(self, name: str) -> int:
        """A mandatory INT/LONG: ASCII digits only, at most 20 of them, at most 2^63-1 (-1100 otherwise,
        as `^[0-9]{1,20}$` and the 64-bit range refuse it); -1102 when absent or empty."""
        v = self.values.get(name)
        if not v:
            raise MANDATORY_PARAM.reject(name=name)
        if len(v) <= 20 and v.isdigit() and v.isascii():
            n = int(v)
            if n <= MAX_LONG:
                return n
        raise ILLEGAL_CHARS.reject(name=name, legal=_INT_LEGAL)

    def decimal(self, name: str) -> Decimal:
        """A mandatory DECIMAL (-1102 absent, -1100 malformed)."""
        v = self.text(name)
        if not _DECIMAL_RE.fullmatch(v):
            raise ILLEGAL_CHARS.reject(name=name, legal=_DECIMAL_LEGAL)
        try:
            return Decimal(v)
        except InvalidOperation:
            raise ILLEGAL_CHARS.reject(name=name, legal=_DECIMAL_LEGAL) from None

    def boolean(self, name: str) -> bool:
        """A mandatory boolean string: true/false in any letter case (-1130 otherwise)."""
        v = self.text(name).lower()
        if v not in ("true", "false"):
            raise INVALID_PARAMETER.reject(name=name)
        return v == "true"

    def choice(self, name: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
        """An ENUM value (-1130 when not one of `allowed`)."""
        v = self.get(name)
        if v is None:
            if required:
                raise MANDATORY_PARAM.reject(name=name)
            return None
        if v not in allowed:
            raise INVALID_PARAMETER.reject(name=name)
        return v
