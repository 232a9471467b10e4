"""What every export shares: the formats, where they go (a path or a file object), the format a file
name's suffix names, the Parquet types' precision, and pyarrow imported on demand."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, Literal

Format = Literal["csv", "jsonl", "parquet"]
Destination = str | os.PathLike[str] | IO[Any]

#: Rows per Parquet row group (and per DataFrame batch).
BATCH_SIZE = 50_000
DECIMAL_PRECISION, DECIMAL_SCALE = 38, 18
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
