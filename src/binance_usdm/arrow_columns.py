"""Arrow arrays for the Parquet export, each made from its buffers (Arrow's columnar layout,
https://arrow.apache.org/docs/format/Columnar.html) out of one page of Python values.

Made this way rather than with ``pyarrow.array(list)`` and a string-to-decimal ``cast``, a Parquet
export needs neither pandas nor Arrow's compute kernels: ``pyarrow.array`` on a Python list imports
pandas when it is installed (pyarrow checks whether the list is a pandas object; ~48 MB of memory
in a process that never uses pandas) and ``cast`` loads the compute library (~12 MB). The arrays are
equal to what those give (tests compare them), and building them costs less per row.

Only ``pyarrow.Array.from_buffers`` and ``pyarrow.py_buffer`` are used; pyarrow is imported by
whoever calls (``export_formats.pyarrow_modules``), so this module is imported lazily too.
"""

from __future__ import annotations

from array import array
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

import pyarrow

from binance_usdm.export_formats import DECIMAL_PRECISION, DECIMAL_SCALE, fitting_decimals

_ZEROS = "0" * DECIMAL_SCALE
DECIMAL = pyarrow.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
TIME = pyarrow.timestamp("ms", tz="UTC")
_EPOCH, _MILLISECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(milliseconds=1)


def strings(values: list[str], validity: Any = None, nulls: int = 0) -> Any:
    """A ``string`` array (UTF-8 bytes joined, int32 offsets) of one page's texts."""
    text = "".join(values)
    data = text.encode()
    sizes = map(len, values) if len(data) == len(text) else [len(value.encode()) for value in values]
    offsets = array("i", accumulate(sizes, initial=0))
    return pyarrow.Array.from_buffers(
        pyarrow.string(), len(values), [validity, pyarrow.py_buffer(offsets), pyarrow.py_buffer(data)], null_count=nulls
    )


def int64s(values: list[int], validity: Any = None, nulls: int = 0) -> Any:
    """An ``int64`` array (OverflowError for a value outside int64)."""
    return pyarrow.Array.from_buffers(
        pyarrow.int64(), len(values), [validity, pyarrow.py_buffer(array("q", values))], null_count=nulls
    )


def times(values_ms: list[int]) -> Any:
    """A ``timestamp[ms, UTC]`` array; a time of 0 (Binance's "no time") is null, as ``export`` writes it."""
    nulls = values_ms.count(0)
    validity = pyarrow.py_buffer(_bitmap([value != 0 for value in values_ms])) if nulls else None
    return pyarrow.Array.from_buffers(
        TIME, len(values_ms), [validity, pyarrow.py_buffer(array("q", values_ms))], null_count=nulls
    )


def decimals(texts: list[str], validity: Any = None, nulls: int = 0) -> Any:
    """A ``decimal128(38, 18)`` array of plain decimal texts, each exactly the value it reads
    (``export_formats.fitting_decimals``: ValueError for a text that does not fit)."""
    parts = [text.partition(".") for text in fitting_decimals(texts)]
    data = b"".join([
        int(whole + fraction + _ZEROS[len(fraction):]).to_bytes(16, "little", signed=True)
        for whole, _, fraction in parts
    ])
    return pyarrow.Array.from_buffers(DECIMAL, len(texts), [validity, pyarrow.py_buffer(data)], null_count=nulls)


def column(kind: str, values: list[Any]) -> Any:
    """One column of ``export``'s Parquet schema (``export.Kind``) from a page of a model's values
    already converted to native ones (``None`` is null): ``decimal`` Decimals, ``time`` datetimes,
    ``int`` / ``enum_int`` ints, ``bool``, ``float`` and texts (every other kind)."""
    nulls = values.count(None)
    validity = pyarrow.py_buffer(_bitmap([value is not None for value in values])) if nulls else None
    if nulls:
        values = [_FILLERS.get(kind, "") if value is None else value for value in values]
    if kind == "decimal":
        return decimals([format(value, "f") for value in values], validity, nulls)
    if kind == "time":
        ms = array("q", [(moment - _EPOCH) // _MILLISECOND for moment in values])
        return pyarrow.Array.from_buffers(TIME, len(values), [validity, pyarrow.py_buffer(ms)], null_count=nulls)
    if kind in ("int", "enum_int"):
        return int64s(values, validity, nulls)
    if kind == "bool":
        bits = pyarrow.py_buffer(_bitmap(values))
        return pyarrow.Array.from_buffers(pyarrow.bool_(), len(values), [validity, bits], null_count=nulls)
    if kind == "float":
        data = pyarrow.py_buffer(array("d", values))
        return pyarrow.Array.from_buffers(pyarrow.float64(), len(values), [validity, data], null_count=nulls)
    return strings(values, validity, nulls)


#: What stands in a null's slot (its bytes are ignored: the validity bitmap says null).
_FILLERS: dict[str, Any] = {
    "decimal": Decimal(0), "time": _EPOCH, "int": 0, "enum_int": 0, "bool": False, "float": 0.0,
}


class RowGroups:
    """Columns gathered a page at a time into row groups of ``size`` rows of a pyarrow
    ``ParquetWriter`` (memory holds at most one row group's columns; Arrow's freed memory is
    released after each group, its allocator keeps it otherwise)."""

    def __init__(self, writer: Any, schema: Any, size: int) -> None:
        self._writer, self._schema, self._size = writer, schema, size
        self._batches: list[Any] = []
        self.pending = 0  # rows added and not yet written

    def add(self, arrays: list[Any]) -> None:
        """Add one page's columns (in the schema's order)."""
        batch = pyarrow.RecordBatch.from_arrays(arrays, schema=self._schema)
        self._batches.append(batch)
        self.pending += batch.num_rows
        while self.pending >= self._size:
            self._flush(self._size)

    def close(self) -> None:
        """Write what is left as the last row group, then close the file."""
        if self.pending:
            self._flush(self.pending)
        self._writer.close()

    def _flush(self, rows: int) -> None:
        table = pyarrow.Table.from_batches(self._batches, schema=self._schema)
        self._writer.write_table(table.slice(0, rows), row_group_size=rows)
        rest = table.slice(rows)
        self._batches = rest.to_batches()
        self.pending = rest.num_rows
        pyarrow.default_memory_pool().release_unused()


def _bitmap(flags: list[bool]) -> bytes:
    """Arrow's validity bitmap: bit i (least significant first, little-endian bytes) is flags[i]."""
    bits = "".join(["1" if flag else "0" for flag in reversed(flags)])
    return int(bits or "0", 2).to_bytes((len(flags) + 7) // 8, "little")
