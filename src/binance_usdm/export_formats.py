"""What every export shares: the formats, where they go (a path or a file object), the format a file
name's suffix names, the Parquet decimal's precision and the texts that fit it, and the Parquet
libraries (pyarrow, arro3) imported on demand."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO, Any, Literal

Format = Literal["csv", "jsonl", "parquet"]
Destination = str | os.PathLike[str] | IO[Any]

#: Rows per Parquet row group (and per DataFrame batch).
BATCH_SIZE = 50_000
DECIMAL_PRECISION, DECIMAL_SCALE = 38, 18
#: Plain decimal text (``-12.5``: no exponent, sign, spaces or leading zeros), joined by commas.
_PLAIN_TEXTS = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:,-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?)*")
_SUFFIXES: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def format_of(destination: Destination, format: Format | None) -> Format:
    """``format`` checked, or the one the file name's suffix says (.csv, .jsonl/.ndjson, .parquet)."""
    if format is None:
        if not isinstance(destination, str | os.PathLike):
            raise ValueError("give format= when writing to a file object")
        suffix = Path(destination).suffix.lower()
        if suffix not in _SUFFIXES:
            raise ValueError(f"cannot tell the format from the suffix {suffix or '(none)'!r}; give format=")
        return _SUFFIXES[suffix]
    if format not in ("csv", "jsonl", "parquet"):
        raise ValueError(f"unknown format {format!r}; use 'csv', 'jsonl' or 'parquet'")
    return format


def where(destination: Destination) -> Any:
    """What pyarrow takes for ``destination``: a path string or the file object."""
    return os.fspath(destination) if isinstance(destination, str | os.PathLike) else destination


def pyarrow_modules() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet, or an ImportError naming the ``parquet`` extra."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ImportError(
            "Parquet export needs pyarrow: pip install 'binance-usdm[parquet]'"
        ) from exc
    return pyarrow, pyarrow.parquet


def arro3_modules() -> tuple[Any, Any] | None:
    """arro3.core and arro3.io (the ``parquet`` extra's lighter Parquet writer), or None."""
    try:
        import arro3.core
        import arro3.io
    except ImportError:
        return None
    return arro3.core, arro3.io


def fitting_decimals(texts: list[str]) -> list[str]:
    """``texts`` as exact values of the Parquet decimal(38, 18): each must be plain decimal text
    with at most 20 digits before the point and no non-zero digit after the 18th decimal (zeros
    there are dropped); ValueError otherwise. (Arrow's casts do not all refuse the others: pyarrow
    wraps ``340282366920938463804`` to ``340.625392568231788544``, arro3 rounds a 19th decimal.)"""
    if texts and _PLAIN_TEXTS.fullmatch(",".join(texts)) is None:
        raise ValueError("a Parquet decimal needs plain decimal text (like -12.5)")
    whole_digits = DECIMAL_PRECISION - DECIMAL_SCALE
    if any(len(text) > whole_digits for text in texts):  # only a long text can be out of range
        fitting = []
        for text in texts:
            whole, _, fraction = text.partition(".")
            if len(whole.lstrip("-")) > whole_digits or fraction[DECIMAL_SCALE:].strip("0"):
                raise ValueError(f"{text} does not fit Parquet's decimal({DECIMAL_PRECISION}, {DECIMAL_SCALE})")
            fitting.append(f"{whole}.{fraction[:DECIMAL_SCALE]}" if len(fraction) > DECIMAL_SCALE else text)
        return fitting
    return texts
