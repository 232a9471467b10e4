"""Response headers kept as the raw header block and parsed only when needed.

The client itself reads one or two headers per call (``x-mbx-used-weight-1m``, ``retry-after``);
building a dict of every header (one Python callback per header from httptools) costs more than
the rest of the response handling. :class:`Headers` keeps the bytes and answers ``get()`` for one
name by searching them; the first full access (iteration, ``len``, ``items()``...) builds the dict.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, TypeVar, overload

__all__ = ["EMPTY_HEAD", "Headers"]

_T = TypeVar("_T")

# The header block of a response without headers (see Headers).
EMPTY_HEAD: Final = b"\r\n"
_OWS: Final = b" \t"
# A message up to this size is kept whole until its headers are read (see Headers.in_message).
_KEEP_MESSAGE_UP_TO: Final = 4096
# Search needles (b"\n" + lower-case name + b":") by the name callers pass.
_NEEDLES: dict[str, bytes] = {}


def _needle(key: str) -> bytes | None:
    """The search needle for ``key`` (None if it cannot be a header name); kept for next time."""
    try:
        name = key.lower().encode("latin-1")
    except (AttributeError, UnicodeEncodeError):  # not a str, or not a possible header name
        return None
    if not name or b":" in name or b"\n" in name or b"\r" in name:
        return None
    needle = b"\n" + name + b":"
    if len(_NEEDLES) < 256:
        _NEEDLES[key] = needle
    return needle


def _cut(message: bytes, interim: int) -> bytes:
    """The header block of the response at the start of ``message`` (validated by httptools, so the
    status line's CRLF and the blank line are there; an empty block is just the one CRLF)."""
    pos = 0
    for _ in range(interim):  # skip 1xx heads (they have no body)
        pos = message.find(b"\r\n\r\n", pos) + 4
    return message[message.find(b"\r\n", pos) : message.find(b"\r\n\r\n", pos) + 2]


class Headers(Mapping[str, str]):
    """The headers of one response: a read-only, case-insensitive mapping with lower-case keys.

    ``raw`` is the header block as received: everything from the CRLF that ends the status line
    up to and including the CRLF before the blank line (``b"\\r\\n"`` when there are none), already
    validated by httptools. Values are decoded as latin-1 with leading whitespace removed (as
    httptools reports them); a repeated header's values are joined with ``", "``.
    """

    __slots__ = ("_dict", "_interim", "_lower", "_message", "_raw")

    def __init__(self, raw: bytes | None = EMPTY_HEAD, message: bytes = b"", interim: int = 0) -> None:
        """``raw``: the header block; or None, and it is cut from ``message`` when first read
        (see :meth:`in_message`)."""
        self._raw = raw
        self._message = message
        self._interim = interim
        self._lower: bytes | None = None
        self._dict: dict[str, str] | None = None

    @classmethod
    def in_message(cls, message: bytes, interim: int = 0) -> Headers:
        """The headers of a response whose bytes (head first, after ``interim`` 1xx heads, each with
        no body) start ``message``. Cutting the block out costs more than the rest of handling a
        small answer, and most answers' headers are never read: for a small ``message`` it is cut
        on first use (keeping ``message`` until then), for a large one at once."""
        if len(message) > _KEEP_MESSAGE_UP_TO:
            return cls(_cut(message, interim))
        return cls(None, message, interim)

    def _block(self) -> bytes:
        raw = self._raw
        if raw is None:
            raw = self._raw = _cut(self._message, self._interim)
            self._message = b""
        return raw

    @classmethod
    def from_pairs(cls, pairs: Mapping[str, str]) -> Headers:
        """Headers from names and values (tests, adapters); names are matched case-insensitively."""
        raw = "".join([f"\r\n{name}: {value}" for name, value in pairs.items()]) + "\r\n"
        return cls(raw.encode("latin-1"))

    # fast single lookups ---------------------------------------------------------------------------
    @overload
    def get(self, key: str, /) -> str | None: ...

    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...

    def get(self, key: str, /, default: object = None) -> object:
        parsed = self._dict
        if parsed is not None:
            return parsed.get(key.lower(), default) if isinstance(key, str) else default
        needle = _NEEDLES.get(key) or _needle(key)
        if needle is None:
            return default
        low = self._lower
        if low is None:
            low = self._lower = self._block().lower()
        i = low.find(needle)
        if i < 0:
            return default
        start = i + len(needle)
        end = low.find(b"\r\n", start)
        if low.find(needle, end) >= 0:  # repeated: the joined value comes from the full parse
            return self._parsed().get(key.lower(), default)
        return self._block()[start:end].lstrip(_OWS).decode("latin-1")

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    # full access -------------------------------------------------------------------------------------
    def _parsed(self) -> dict[str, str]:
        parsed = self._dict
        if parsed is None:
            parsed = {}
            for line in self._block().split(b"\r\n"):
                if not line:
                    continue
                name, _, value = line.partition(b":")
                key = name.decode("latin-1").lower()
                text = value.lstrip(_OWS).decode("latin-1")
                if key in parsed:
                    parsed[key] = f"{parsed[key]}, {text}"
                else:
                    parsed[key] = text
            self._dict = parsed
            self._lower = None
        return parsed

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._parsed() == other._parsed()
        if isinstance(other, Mapping):
            return self._parsed() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._parsed()!r})"

    def __reduce__(self) -> tuple[type[Headers], tuple[bytes]]:
        return (Headers, (self._block(),))

    @property
    def raw(self) -> bytes:
        """The header block as received (see the class docs)."""
        return self._block()
