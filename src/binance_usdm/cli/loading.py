"""Loading code in the ``usdm`` process with the cyclic garbage collector paused.

Importing makes objects that live as long as the process (modules, classes, functions), yet the
collector runs every few hundred new objects and its full passes walk all of them again, and the
interpreter walks them once more at exit: a tenth of ``usdm account``'s instructions
(benchmarks/bench_startup.py). In the ``usdm`` process (``pause_collector_while_loading()``, called
by the script), code loaded inside ``loading()`` is loaded with the collector paused and then
frozen (``gc.freeze``: no later collection walks it again); what a command makes afterwards is
collected as usual. Elsewhere (commands run in-process by tests or by a program) it changes nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_FREEZING = False


def pause_collector_while_loading() -> None:
    """Make ``loading()`` pause and freeze in this process (the ``usdm`` script's first step)."""
    global _FREEZING
    _FREEZING = True


@contextmanager
def loading() -> Iterator[None]:
    """Load code (imports, a command's module) without the collector; freeze what exists then."""
    if not _FREEZING or not gc.isenabled():  # elsewhere, or inside another loading()
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
