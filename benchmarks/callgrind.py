"""Counting user-space instructions under valgrind's callgrind (repeatable, unlike timings).

A benchmark re-runs itself with a hidden argument that does ``n`` repetitions of one piece of work;
``per_call`` runs it with ``n`` = 0 and ``n`` = ``calls`` and divides the difference, so start-up and
warm-up cancel out. valgrind runs Python about 50 times slower.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path


def available() -> bool:
    return shutil.which("valgrind") is not None


def collected(argv: list[str], env: Mapping[str, str] | None = None) -> int | None:
    """Instructions of one whole run of ``argv`` (None when it failed)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={Path(tmp) / 'callgrind.out'}", *argv],
            capture_output=True, text=True, env=env,
        )
    match = re.search(r"Collected : (\d+)", proc.stderr)
    return int(match.group(1)) if proc.returncode == 0 and match else None


def per_call(command: Callable[[int], list[str]], calls: int, env: Mapping[str, str] | None = None) -> int | None:
    """Instructions of one repetition: ``command(calls)``'s run minus ``command(0)``'s, over ``calls``."""
    base = collected(command(0), env)
    more = collected(command(calls), env) if base is not None else None
    return None if base is None or more is None else round((more - base) / calls)
