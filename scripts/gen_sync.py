"""Generate ``binance_usdm/_sync`` from ``binance_usdm/_async`` (the async code is written once).

Run ``python scripts/gen_sync.py`` after editing ``_async``; ``--check`` exits 1 when the generated
files are out of date (the test suite runs it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "binance_usdm"
SOURCE, TARGET = PACKAGE / "_async", PACKAGE / "_sync"

RULES: list[tuple[str, str]] = [
    (r"binance_usdm\._async\b", "binance_usdm._sync"),
    (r"\bAsyncHttpTransport\b", "SyncHttpTransport"),
    (r"\b_http\.async_transport\b", "_http.sync_transport"),
    (r"\bAsyncTransport\b", "SyncTransport"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsyncBinanceRestClient\b", "BinanceRestClient"),
    (r"\bAsync([A-Z]\w*)", r"\1"),
    (r"\basync def ", "def "),
    (r"\basync for ", "for "),
    (r"\bawait ", ""),
    (r"__aenter__", "__enter__"),
    (r"__aexit__", "__exit__"),
    (r"__aiter__", "__iter__"),
    (r"__anext__", "__next__"),
    (r"\bStopAsyncIteration\b", "StopIteration"),
    (r"\baclose\b", "close"),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"^import asyncio$", "import time"),
]
_COMPILED = [(re.compile(pattern, re.MULTILINE), replacement) for pattern, replacement in RULES]


def transform(source: str, name: str, used: list[int] | None = None) -> str:
    """The blocking twin of one async module; ``used`` counts each rule's replacements."""
    for number, (pattern, replacement) in enumerate(_COMPILED):
        source, count = pattern.subn(replacement, source)
        if used is not None:
            used[number] += count
    if "asyncio" in source:
        raise SystemExit(f"{name}: 'asyncio' left after generation; add a rule")
    header = f"# GENERATED from binance_usdm/_async/{name} by scripts/gen_sync.py: do not edit.\n"
    return header + source


def generated() -> dict[Path, str]:
    """Every generated file and its text. A rule that matches nothing is an error: the code it was
    written for is gone (or was renamed), and the rule would silently stop doing its job."""
    used = [0] * len(_COMPILED)
    files = {TARGET / path.name: transform(path.read_text(), path.name, used) for path in sorted(SOURCE.glob("*.py"))}
    unused = [RULES[number][0] for number, count in enumerate(used) if not count]
    if unused:
        raise SystemExit(f"rules that match nothing in _async: {', '.join(unused)}; remove them")
    return files


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for path, text in generated().items():
        if not path.exists() or path.read_text() != text:
            stale.append(path.name)
            if not check:
                path.write_text(text)
    if check and stale:
        print(f"_sync is out of date ({', '.join(stale)}): run python scripts/gen_sync.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
