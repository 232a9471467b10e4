"""``cli.parallel.Started``: a call in its own thread, its value or its exception handed back."""

from __future__ import annotations

import threading

import pytest

from binance_usdm.cli.parallel import Started


def test_the_value_comes_back_from_another_thread() -> None:
    started = Started(threading.get_ident)
    assert started.result() != threading.get_ident()
    assert started.result() == started.result()


def test_the_exception_is_raised_in_the_caller() -> None:
    def fail() -> int:
        raise LookupError("no such thing")

    with pytest.raises(LookupError, match="no such thing"):
        Started(fail).result()


def test_the_calls_run_at_the_same_time() -> None:
    both_running = threading.Barrier(2, timeout=5)  # broken (an error) if the calls ran one after the other
    first, second = Started(both_running.wait), Started(both_running.wait)
    assert {first.result(), second.result()} == {0, 1}
