"""The request log: the last N Binance-path requests the emulator answered, for the admin API, its
server-sent event stream, the dashboard and `--log-requests`.

An entry holds what a person debugging a bot asks first: when, from where, which call with which
parameters (never the signature or a listen key), the weight charged and the minute's used weight,
the status and Binance code, the latency, and the injected fault that fired. The emulator's own
`/emulator/...` requests are not logged (the dashboard polls them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .feeds import Feed

DEFAULT_CAPACITY = 1000


class Entry(NamedTuple):
    """One answered request. Made once per request, so it keeps what the pipeline had at hand (every
    parsed parameter, the latency in milliseconds unrounded) and shapes it only when read. A tuple:
    `RequestLog.record` makes it in one C call (`tuple.__new__`, no Python `__init__`)."""

    id: int
    time: int
    client: str
    method: str
    path: str
    parsed_params: dict[str, str]
    weight: int
    usedWeight: int
    status: int
    code: int | None
    latency_ms: float
    fault: str | None

    @property
    def params(self) -> dict[str, str]:
        """The parameters as logged (`visible_params`)."""
        return visible_params(self.parsed_params)

    @property
    def latencyMs(self) -> float:
        """Milliseconds from receiving the request to its answer (an injected latency included)."""
        return round(self.latency_ms, 3)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`GET /emulator/log`, the stream)."""
        return {"id": self.id, "time": self.time, "client": self.client, "method": self.method, "path": self.path,
                "params": self.params, "weight": self.weight, "usedWeight": self.usedWeight,
                "status": self.status, "code": self.code, "latencyMs": self.latencyMs, "fault": self.fault}

    def __repr__(self) -> str:
        """The JSON form's fields (`to_dict`): the parameters as logged, never the signature or a listen key
        (a named tuple's own repr shows every field as parsed)."""
        return "Entry(" + ", ".join(f"{name}={value!r}" for name, value in self.to_dict().items()) + ")"

    def line(self) -> str:
        """One console line (`--log-requests`)."""
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        code = "" if self.code is None else f" {self.code}"
        fault = "" if self.fault is None else f" fault[{self.fault}]"
        text = (f"{self.client} {self.method} {self.path}{'?' + query if query else ''} -> {self.status}{code} "
                f"w={self.weight} used={self.usedWeight} {self.latencyMs:.1f}ms{fault}")
        return text if text.isprintable() else _escaped(text)


def _escaped(text: str) -> str:
    """`text` with its control and format characters (a client's escape sequence in a parameter,
    decoded from %1B) written as escapes, so that the operator's terminal only shows them."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def visible_params(values: Mapping[str, str]) -> dict[str, str]:
    """The parameters as logged: the signature dropped, listen keys masked."""
    return {k: ("***" if k == "listenKey" else v) for k, v in values.items() if k != "signature"}


def matches(entry: Entry, status: str | None, path: str | None) -> bool:
    """Filter: `status` is a code ("429") or a class ("4xx"); `path` a substring of the path."""
    if path and path not in entry.path:
        return False
    if not status:
        return True
    text = str(entry.status)
    if len(status) == 3 and status.endswith("xx"):
        return text[0] == status[0]
    return text == status


_new_entry = tuple.__new__


class RequestLog(Feed[Entry]):
    """A bounded, ordered log of answered requests with listeners (called on the thread that answered)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(capacity)

    def record(self, time: int, client: str, method: str, path: str, params: dict[str, str], weight: int,
               used_weight: int, status: int, code: int | None, latency_ms: float, fault: str | None) -> Entry:
        """Append an entry (`params` as parsed: the log masks them when read) and tell the listeners."""
        return self.append(_new_entry(Entry, (next(self._ids), time, client, method, path, params, weight, used_weight,
                                              status, code, latency_ms, fault)))

    def entries(self, status: str | None = None, path: str | None = None, after: int = 0,
                limit: int | None = None) -> list[Entry]:
        """Entries (oldest first) with an id above `after`, filtered, the last `limit` of them."""
        rows = [e for e in self.items() if e.id > after and matches(e, status, path)]
        return rows if limit is None else rows[-limit:] if limit > 0 else []
