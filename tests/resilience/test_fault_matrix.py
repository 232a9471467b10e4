"""Every emulator fault x sync/async client (on our transport and on httpx) x read, idempotent write
and money-moving write.

Each case asserts the typed error or the recovery, that the emulator's state shows the change
applied at most once (exactly once when the fault lets the request run), and that the call ended
within its total timeout. Faults fire on the reused keep-alive connection opened by a warm-up call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from binance_usdm import IpBannedError, OutcomeUnknownError, Timeouts
from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.faults import Kind, parse_fault
from binance_usdm.errors import RequestTimeout
from tests.resilience.conftest import (
    LEVERAGE,
    MARGIN,
    PATHS,
    READ,
    SLACK,
    TRANSPORT_KINDS,
    Op,
    emulator,
    leverage_of,
    margin_state,
    run_ops,
    wait_for,
)
from tests.virtual_clock import VirtualClock

OK = None  # the call succeeds (after retries where needed)
#: The matrix's deadlines, shorter than the resilience suite's: each latency case proves a relation
#: (answer under the read timeout / over it / over the total), and its waits scale with these figures.
TIMEOUTS = Timeouts(connect=0.5, read=0.5, total=1.1)


@dataclass(frozen=True)
class Case:
    """A fault and what each operation must end with; `applied`: whether the margin change lands."""

    fault: str
    read: type[Exception] | None
    leverage: type[Exception] | None
    margin: type[Exception] | None
    applied: bool
    everywhere: bool = False  # target "*" instead of the operation's own path
    late_ms: int = 0  # the emulator runs requests this long after they arrive
    total: float = TIMEOUTS.total  # the call's total timeout

    def spec(self, op: Op) -> str:
        return f"{'*' if self.everywhere else PATHS[op[0]]}={self.fault}"


CASES = {
    "latency": Case("latency:150", OK, OK, OK, True, late_ms=150),  # under the read timeout of 0.5 s
    "latency-over-read-timeout": Case("latency:650,count=1", OK, OK, OutcomeUnknownError, True, late_ms=650),
    "latency-over-total": Case("latency:1200", RequestTimeout, RequestTimeout, OutcomeUnknownError, True,
                               late_ms=1200),  # over the total of 1.1 s
    "status-500": Case("status:500,count=1", OK, OK, OutcomeUnknownError, False),
    "status-502": Case("status:502,count=1", OK, OK, OutcomeUnknownError, False),
    "unknown-503": Case("unknown,count=1", OK, OK, OutcomeUnknownError, False),
    "unknown-503-applied": Case("unknown,applied=true,count=1", OK, OK, OutcomeUnknownError, True),
    "timeout-1007": Case("timeout,count=1", OK, OK, OutcomeUnknownError, False),
    "timeout-1007-applied": Case("timeout,applied=true,count=1", OK, OK, OutcomeUnknownError, True),
    "drop-before": Case("drop_before,count=1", OK, OK, OutcomeUnknownError, False),
    "drop-before-rst": Case("drop_before:rst,count=1", OK, OK, OutcomeUnknownError, False),
    "drop-after": Case("drop_after,count=1", OK, OK, OutcomeUnknownError, True),
    "drop-after-rst": Case("drop_after:rst,count=1", OK, OK, OutcomeUnknownError, True),
    "malformed-json": Case("malformed,count=1", OK, OK, OutcomeUnknownError, True),
    "truncated-json": Case("truncated,count=1", OK, OK, OutcomeUnknownError, True),
    "truncated-connection": Case("truncated:close,count=1", OK, OK, OutcomeUnknownError, True),
    "html-502": Case("html,count=1", OK, OK, OutcomeUnknownError, False),
    "clock-skew-ahead": Case("skew:10000", OK, OK, OK, True, everywhere=True),
    "clock-skew-behind": Case("skew:-10000", OK, OK, OK, True, everywhere=True),
    "forced-429": Case("rate_limit:1,count=1", OK, OK, OK, True, total=1.5),  # room for its Retry-After: 1
    "forced-418": Case("ban:60,count=1", IpBannedError, IpBannedError, IpBannedError, False),
}
OPS = {"read": READ, "idempotent-write": LEVERAGE, "money-write": MARGIN}


@pytest.mark.parametrize("op_name", list(OPS))
@pytest.mark.parametrize("case_name", list(CASES))
@pytest.mark.parametrize("kind", TRANSPORT_KINDS)
def test_fault(fresh: EmulatorServer, kind: str, case_name: str, op_name: str) -> None:
    case = CASES[case_name]
    if not case.late_ms:
        _check(fresh, kind, case, op_name)
        return
    # The emulator runs requests late: one of the case's own, whose stop drops any request still held
    # back, so that none lands in a later case (and no test waits for one it does not check).
    with emulator() as own:
        _check(own, kind, case, op_name)


def _check(emu: EmulatorServer, kind: str, case: Case, op_name: str) -> None:
    op = OPS[op_name]
    expected = {"read": case.read, "idempotent-write": case.leverage, "money-write": case.margin}[op_name]
    margin_before, leverage_before = margin_state(emu), leverage_of(emu, "BTCUSDT")
    clock = VirtualClock(emu.clock.advance)  # a 429's Retry-After passes without wall time

    [(result, elapsed)] = run_ops(kind, emu, [op], before=lambda: emu.faults.add(case.spec(op)), clock=clock,
                                  timeouts=Timeouts(TIMEOUTS.connect, TIMEOUTS.read, case.total))
    started = time.monotonic() - elapsed  # when the operation was sent (after client setup and warm-up)

    assert elapsed <= case.total + SLACK, f"the call took {elapsed:.2f} s"
    # only a 429 makes the client wait (its Retry-After: 1); a ban is reported at once
    assert clock.waits == ([pytest.approx(1.0, abs=0.1)] if case.fault.startswith("rate_limit") else [])
    if expected is None:
        assert result.success, result.error
    else:
        assert type(result.error) is expected, result.error
        assert not result.success and result.data is None

    settled = started + case.late_ms / 1000 + 0.1  # when the first attempt, held back, has run

    def left() -> float:
        return max(0.0, settled - time.monotonic())

    if op is MARGIN:
        count, wallet = margin_before
        landed = (count + 1, wallet + 10)
        if case.applied:  # a request the emulator holds back lands later: wait for it, once
            assert wait_for(lambda: margin_state(emu) == landed, left() + 1.0)
        time.sleep(left())  # a resend (sent before the call ended) would have run by now as well
        assert margin_state(emu) == (landed if case.applied else margin_before)
    if op is LEVERAGE:
        changed = case.leverage is not IpBannedError
        if changed:  # a held-back attempt lands later
            assert wait_for(lambda: leverage_of(emu, "BTCUSDT") == 20, left() + 1.0)
        assert leverage_of(emu, "BTCUSDT") == (20 if changed else leverage_before)
        if result.success:
            assert result.data is not None and result.data.leverage == 20
    if op is READ and result.success:
        assert result.data is not None and result.data.assets


def test_matrix_covers_every_fault_kind_and_variant() -> None:
    """A fault kind (or a variant of one) added to the emulator must get its row in the matrix."""
    specs = [parse_fault(case.spec(READ)) for case in CASES.values()]
    assert {spec["kind"] for spec in specs} == set(Kind)
    drops = {(spec["kind"], spec["arg"]) for spec in specs if spec["kind"] in (Kind.DROP_BEFORE, Kind.DROP_AFTER)}
    assert drops == {(kind, how) for kind in (Kind.DROP_BEFORE, Kind.DROP_AFTER) for how in ("fin", "rst")}
    assert {spec["arg"] for spec in specs if spec["kind"] is Kind.TRUNCATED} == {"body", "close"}
    for kind in (Kind.UNKNOWN, Kind.TIMEOUT):  # the execution-status-unknown answers, applied or not
        assert {spec["applied"] for spec in specs if spec["kind"] is kind} == {True, False}
