"""Fault injection: chosen requests fail the way networks and Binance's front end make them fail.

A fault is written ``TARGET=KIND[:ARG][,OPTION]...`` — on the command line (``--fault``, repeatable),
in a scenario's ``"faults"`` list, or posted to ``/emulator/faults``::

    POST /fapi/v1/positionMargin=drop_after,count=1     run it, then close the connection unanswered, once
    GET /fapi/v2/*=status:502,p=0.3                     30 % of v2 reads answer 502
    *=latency:250                                       every Binance request waits 250 ms
    POST /fapi/v1/leverage=unknown,applied=true,count=2 503 "unknown status" after applying, twice

TARGET: ``*`` (every Binance path), ``PATH`` (any verb) or ``VERB PATH``; PATH may hold ``*`` globs.
The emulator's own ``/emulator/...`` paths are never faulted. OPTIONs: ``count=N`` fire N times, then
stay listed but inactive (default: unlimited); ``p=P`` fire with probability P on each matching
request (default 1); ``applied=true|false`` run the request (commit its change) before answering
with the fault (defaults below; fixed for the drops).

Kinds ([ARG default]; "run" / "not run": the default of ``applied``):
  latency:MS            the request waits MS ms, then runs and is answered
  skew:MS               the server's clock reads MS ms off (may be < 0) for the request:
                        /fapi/v1/time, serverTime and the timestamp/recvWindow check
  status[:CODE]         [500] CODE (500..599) with {"code":-1000,"msg":"An unknown error occured
                        while processing the request."}; not run
  unknown               503 {"code":-1000,"msg":"Unknown error, please check your request or try
                        again later."} (execution status unknown); not run
  timeout               408 {"code":-1007,"msg":"Timeout waiting for response from backend server.
                        Send status unknown; execution status unknown."}; not run
  drop_before[:fin|rst] [fin] the connection closes (FIN, or a TCP reset) unanswered; never run
  drop_after[:fin|rst]  [fin] the request runs and commits, then the connection closes unanswered
  malformed             the real status and headers with a body that is not JSON; run
  truncated[:body|close] [body] body: a complete answer whose JSON is cut in half (honest
                        Content-Length); close: the full length announced, half the body sent,
                        then the connection closes; run
  html[:CODE]           [502] a gateway's text/html error page with status CODE; not run
  rate_limit[:S]        [1] 429 -1003 with Retry-After: S; not run
  ban[:S]               [120] 418 -1003 "IP(...) banned until <ms>" with Retry-After: S; not run

On one request every matching latency and skew fault fires (their values add up); of the other kinds,
the first matching one (in the order they were added) that fires decides the answer.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec

from . import errors as e
from .messages import Response


class FaultError(ValueError):
    """A fault specification that cannot be understood."""


class Kind(StrEnum):
    """The fault kinds (module docstring)."""

    LATENCY = "latency"
    SKEW = "skew"
    STATUS = "status"
    UNKNOWN = "unknown"
    TIMEOUT = "timeout"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"
    MALFORMED = "malformed"
    TRUNCATED = "truncated"
    HTML = "html"
    RATE_LIMIT = "rate_limit"
    BAN = "ban"


#: Kinds that modify a request rather than decide its answer; they combine with each other and one outcome.
MODIFIERS = frozenset({Kind.LATENCY, Kind.SKEW})
_APPLIED_BY_DEFAULT = frozenset({Kind.DROP_AFTER, Kind.MALFORMED, Kind.TRUNCATED})
_FIXED_APPLIED = {Kind.DROP_BEFORE: False, Kind.DROP_AFTER: True}
_CHOICES = {Kind.DROP_BEFORE: ("fin", "rst"), Kind.DROP_AFTER: ("fin", "rst"), Kind.TRUNCATED: ("body", "close")}
#: Integer arguments: (default, minimum, maximum); a None default means the argument is required.
_INTS: dict[Kind, tuple[int | None, int, int]] = {
    Kind.LATENCY: (None, 0, 600_000),
    Kind.SKEW: (None, -(10**12), 10**12),
    Kind.STATUS: (500, 500, 599),
    Kind.HTML: (502, 500, 599),
    Kind.RATE_LIMIT: (1, 0, 3 * 24 * 3600),
    Kind.BAN: (120, 1, 3 * 24 * 3600),
}


def _parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise FaultError(f"{name} must be true or false, got {value!r}")


def _parse_arg(kind: Kind, arg: Any) -> int | str | None:
    if kind in _INTS:
        default, low, high = _INTS[kind]
        if arg is None or arg == "":
            if default is None:
                raise FaultError(f"{kind} needs an argument ({kind}:N)")
            return default
        try:
            value = int(arg)
        except (TypeError, ValueError):
            raise FaultError(f"{kind} needs an integer argument, got {arg!r}") from None
        if not low <= value <= high:
            raise FaultError(f"{kind} argument must be in {low}..{high}, got {value}")
        return value
    if kind in _CHOICES:
        choices = _CHOICES[kind]
        if arg is None or arg == "":
            return choices[0]
        if str(arg) not in choices:
            raise FaultError(f"{kind} argument must be one of {', '.join(choices)}, got {arg!r}")
        return str(arg)
    if arg is not None and arg != "":
        raise FaultError(f"{kind} takes no argument")
    return None


def _parse_target(target: str) -> tuple[str, str]:
    target = target.strip()
    if not target or target == "*":
        return "*", "*"
    method, sep, path = target.partition(" ")
    if not sep:
        method, path = "*", target
    path = path.strip()
    if not (path.startswith("/") or path == "*"):
        raise FaultError(f"target must be '*', a path or 'VERB /path', got {target!r}")
    return method.upper(), path


@dataclass(slots=True)
class Fault:
    """One installed fault and its counters."""

    id: int
    method: str
    path: str
    kind: Kind
    arg: int | str | None
    count: int | None
    probability: float
    applied: bool
    fired: int = 0

    @property
    def remaining(self) -> int | None:
        """Firings left (None: unlimited)."""
        return None if self.count is None else max(0, self.count - self.fired)

    @property
    def spec(self) -> str:
        """The fault in the command-line syntax."""
        target = "*" if self.method == "*" and self.path == "*" else (
            self.path if self.method == "*" else f"{self.method} {self.path}")
        text = f"{target}={self.kind}" + ("" if self.arg is None else f":{self.arg}")
        if self.count is not None:
            text += f",count={self.count}"
        if self.probability < 1:
            text += f",p={self.probability:g}"
        if self.kind not in MODIFIERS and self.kind not in _FIXED_APPLIED and (
                self.applied != (self.kind in _APPLIED_BY_DEFAULT)):
            text += f",applied={'true' if self.applied else 'false'}"
        return text

    def matches(self, method: str, path: str) -> bool:
        """True when the fault targets this request and has firings left."""
        if self.count is not None and self.fired >= self.count:
            return False
        if self.method != "*" and self.method != method:
            return False
        return self.path == "*" or self.path == path or fnmatch.fnmatchcase(path, self.path)

    def to_dict(self) -> dict[str, Any]:
        """The listing entry of `GET /emulator/faults`."""
        return {
            "id": self.id, "spec": self.spec, "method": self.method, "path": self.path, "kind": str(self.kind),
            "arg": self.arg, "count": self.count, "p": self.probability, "applied": self.applied,
            "fired": self.fired, "remaining": self.remaining,
        }

    def answer(self, real: Response | None, client_ip: str, used_weight: int, now_ms: int) -> Response:
        """The answer this fault gives; `real` is the pipeline's answer when the request was run."""
        kind = self.kind
        if kind is Kind.DROP_BEFORE or kind is Kind.DROP_AFTER:
            return Response(0, b"", drop=True, reset=self.arg == "rst")
        if kind is Kind.MALFORMED or kind is Kind.TRUNCATED:
            if real is None:  # applied=false: the request is not run; a success acknowledgement is spoilt
                real = Response(200, b'{"code":200,"msg":"success"}')
            if kind is Kind.MALFORMED:
                return msgspec.structs.replace(real, body=b"{" + real.body)
            half = len(real.body) // 2
            if self.arg == "close":
                return msgspec.structs.replace(real, cut=half)
            return msgspec.structs.replace(real, body=real.body[:half])
        headers = {"X-MBX-USED-WEIGHT-1M": str(used_weight)}
        if kind is Kind.STATUS:
            assert isinstance(self.arg, int)
            return Response(self.arg, e.UNKNOWN.body(), headers=headers)
        if kind is Kind.UNKNOWN:
            return Response.rejection(e.UNKNOWN_OUTCOME.reject(headers))
        if kind is Kind.TIMEOUT:
            return Response.rejection(e.TIMEOUT.reject(headers))
        if kind is Kind.HTML:
            assert isinstance(self.arg, int)
            return Response.gateway_page(self.arg)
        assert isinstance(self.arg, int)
        headers["Retry-After"] = str(self.arg)
        if kind is Kind.RATE_LIMIT:
            return Response.rejection(e.TOO_MANY_REQUESTS_FAULT.reject(headers, ip=client_ip))
        return Response.rejection(e.IP_BANNED.reject(headers, ip=client_ip, until=now_ms + self.arg * 1000))


@dataclass(frozen=True, slots=True)
class Plan:
    """What the faults that fired on one request do to it."""

    delay_ms: int = 0
    skew_ms: int = 0
    fault: Fault | None = None


def parse_fault(spec: str | Mapping[str, Any]) -> dict[str, Any]:
    """A fault's fields from the text syntax or the object form
    ``{"target", "kind", "arg"?, "count"?, "p"?, "applied"?}``; raises `FaultError`."""
    if isinstance(spec, str):
        target, sep, rest = spec.partition("=")
        if not sep:
            raise FaultError(f"expected TARGET=KIND[:ARG][,OPTION...], got {spec!r}")
        head, _, options = rest.partition(",")
        kind_text, _, arg_text = head.partition(":")
        fields: dict[str, Any] = {"target": target, "kind": kind_text, "arg": arg_text or None}
        for option in filter(None, (o.strip() for o in options.split(","))):
            name, eq, value = option.partition("=")
            if not eq or name not in ("count", "p", "applied"):
                raise FaultError(f"unknown option {option!r} (count=N, p=P, applied=true|false)")
            fields[name] = value
    else:
        unknown = set(spec) - {"target", "kind", "arg", "count", "p", "applied"}
        if unknown:
            raise FaultError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        fields = dict(spec)
    try:
        kind = Kind(str(fields.get("kind", "")).strip())
    except ValueError:
        raise FaultError(f"unknown fault kind {fields.get('kind')!r} ({', '.join(Kind)})") from None
    method, path = _parse_target(str(fields.get("target", "*")))
    count = fields.get("count")
    try:
        count = None if count is None else int(count)
        probability = float(fields.get("p", 1))
    except (TypeError, ValueError):
        raise FaultError("count must be an integer and p a number") from None
    if count is not None and count < 0:
        raise FaultError("count must not be negative")
    if not 0 <= probability <= 1:
        raise FaultError("p must be between 0 and 1")
    applied = kind in _APPLIED_BY_DEFAULT
    if "applied" in fields and kind not in MODIFIERS:
        applied = _parse_bool("applied", fields["applied"])
        if kind in _FIXED_APPLIED and applied != _FIXED_APPLIED[kind]:
            raise FaultError(f"{kind} is {'always' if _FIXED_APPLIED[kind] else 'never'} applied")
    return {"method": method, "path": path, "kind": kind, "arg": _parse_arg(kind, fields.get("arg")),
            "count": count, "probability": probability, "applied": applied}


class FaultSet:
    """The installed faults (thread-safe: the admin API and tests change them while serving)."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        #: A new list on every change: read without the lock.
        self.installed: list[Fault] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)

    def add(self, spec: str | Mapping[str, Any]) -> Fault:
        """Install one fault (text or object form); raises `FaultError`."""
        fields = parse_fault(spec)
        with self._lock:
            fault = Fault(next(self._ids), **fields)
            self.installed = [*self.installed, fault]
        return fault

    def extend(self, specs: Iterable[str | Mapping[str, Any]]) -> list[Fault]:
        """Install several faults; none when one of them is invalid."""
        parsed = [parse_fault(s) for s in specs]
        with self._lock:
            added = [Fault(next(self._ids), **fields) for fields in parsed]
            self.installed = [*self.installed, *added]
        return added

    def remove(self, fault_id: int) -> bool:
        """Uninstall one fault; False when there is no such id."""
        with self._lock:
            kept = [f for f in self.installed if f.id != fault_id]
            found = len(kept) != len(self.installed)
            self.installed = kept
        return found

    def clear(self) -> int:
        """Uninstall every fault; returns how many there were."""
        with self._lock:
            n, self.installed = len(self.installed), []
        return n

    def listing(self) -> list[dict[str, Any]]:
        """Every installed fault, in firing order."""
        return [f.to_dict() for f in self.installed]

    def plan(self, method: str, path: str) -> Plan | None:
        """Fire the faults matching one request; None when none fires."""
        if not self.installed:
            return None
        delay = skew = 0
        outcome: Fault | None = None
        with self._lock:
            for fault in self.installed:
                modifier = fault.kind in MODIFIERS
                if (outcome is not None and not modifier) or not fault.matches(method, path):
                    continue
                if fault.probability < 1 and self._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                if fault.kind is Kind.LATENCY:
                    delay += int(fault.arg or 0)
                elif fault.kind is Kind.SKEW:
                    skew += int(fault.arg or 0)
                else:
                    outcome = fault
        if not (delay or skew or outcome):
            return None
        return Plan(delay, skew, outcome)
