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


def collected_events(argv: list[str], env: Mapping[str, str] | None = None,
                     cache_sim: bool = False) -> dict[str, int] | None:
    """callgrind's event counts for one whole run of ``argv`` (None when it failed): ``Ir``
    (instructions) and, with ``cache_sim``, its simulated caches' and branch predictor's events too
    (``I1mr``, ``D1mr``, ``D1mw``: first-level instruction, data read and data write misses; ``Bcm``,
    ``Bim``: mispredicted conditional and indirect branches)."""
    sim = ["--cache-sim=yes", "--branch-sim=yes"] if cache_sim else []
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", *sim, f"--callgrind-out-file={Path(tmp) / 'callgrind.out'}", *argv],
            capture_output=True, text=True, env=env,
        )
    return None if proc.returncode else events_of(proc.stderr)


def events_of(report: str) -> dict[str, int] | None:
    """The event counts in what callgrind printed (its ``Events`` and ``Collected`` lines), by name."""
    names = re.search(r"Events\s*: ([\w ]+)", report)
    counts = re.search(r"Collected : ([\d ]+)", report)
    if names is None or counts is None:
        return None
    keys, values = names.group(1).split(), counts.group(1).split()
    return dict(zip(keys, map(int, values), strict=True)) if len(keys) == len(values) else None


def per_call(command: Callable[[int], list[str]], calls: int, env: Mapping[str, str] | None = None) -> int | None:
    """Instructions of one repetition: ``command(calls)``'s run minus ``command(0)``'s, over ``calls``."""
    events = per_call_events(command, calls, env)
    return None if events is None else round(events["Ir"])


def per_call_events(command: Callable[[int], list[str]], calls: int, env: Mapping[str, str] | None = None,
                    cache_sim: bool = False) -> dict[str, float] | None:
    """`collected_events` of one repetition: ``command(calls)``'s run minus ``command(0)``'s, over ``calls``."""
    base = collected_events(command(0), env, cache_sim)
    more = collected_events(command(calls), env, cache_sim) if base is not None else None
    if base is None or more is None:
        return None
    return {name: (more[name] - base[name]) / calls for name in base}
