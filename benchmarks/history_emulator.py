"""The emulator the history benchmarks page through: started as its own process with no weight
limit, no download delay and a year of income kept, and driven through its admin API."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from typing import Any

RETENTION_DAYS = 400  # the emulator's income retention: more than the year exported


def admin(base_url: str, path: str, body: dict[str, Any]) -> Any:
    """POST ``body`` to an admin path (``/emulator/generate``, ``/emulator/clock``); its JSON answer."""
    request = urllib.request.Request(  # noqa: S310 - the loopback emulator
        base_url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as answer:  # noqa: S310
        return json.load(answer)


def start() -> tuple[subprocess.Popen[str], str]:
    """The emulator process and its base URL (its banner's tail on stderr is dropped)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--weight-limit", str(10**12),
         "--download-delay", "0", "--income-retention-days", str(RETENTION_DAYS)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    if "emulator on " not in first:
        process.kill()
        raise SystemExit(f"emulator did not start: {first!r}")
    return process, first.rsplit(" ", 1)[1].strip()
