"""How a benchmark script ends: its exit code, and quietly when its reader goes away early.

`python benchmarks/bench_x.py | head -3` closes the pipe after three lines; the script's next print
then raises `BrokenPipeError`. Its `with` and `finally` blocks still stop the servers it started (the
error unwinds them), then it ends with 0 and no traceback, as `usdm` does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn


def run(main: Callable[[], int | None]) -> NoReturn:
    """Run a script's `main` and exit with what it returned (None: 0)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at nothing, or that flush fails too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code or 0)
