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
from itertools import accumulate
from typing import Any

import pyarrow

from binance_usdm.export_formats import DECIMAL_PRECISION, DECIMAL_SCALE, fitting_decimals

_ZEROS = "0" * DECIMAL_SCALE
DECIMAL = pyarrow.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
TIME = pyarrow.timestamp("ms", tz="UTC")


def strings(values: list[str]) -> Any:
    """A ``string`` array (UTF-8 bytes joined, int32 offsets) of one page's texts."""
    text = "".join(values)
    data = text.encode()
    sizes = map(len, values) if len(data) == len(text) else [len(value.encode()) for value in values]
    offsets = array("i", accumulate(sizes, initial=0))
    return pyarrow.Array.from_buffers(
        pyarrow.string(), len(values), [None, pyarrow.py_buffer(offsets), pyarrow.py_buffer(data)]
    )


def int64s(values: list[int]) -> Any:
    """An ``int64`` array (OverflowError for a value outside int64)."""
    return pyarrow.Array.from_buffers(pyarrow.int64(), len(values), [None, pyarrow.py_buffer(array("q", values))])


def times(values_ms: list[int]) -> Any:
    """A ``timestamp[ms, UTC]`` array; a time of 0 (Binance's "no time") is null, as ``export`` writes it."""
    nulls = values_ms.count(0)
    validity = pyarrow.py_buffer(_bitmap([value != 0 for value in values_ms])) if nulls else None
    return pyarrow.Array.from_buffers(
        TIME, len(values_ms), [validity, pyarrow.py_buffer(array("q", values_ms))], null_count=nulls
    )


def decimals(texts: list[str]) -> Any:
    """A ``decimal128(38, 18)`` array of plain decimal texts, each exactly the value it reads
    (``export_formats.fitting_decimals``: ValueError for a text that does not fit)."""
    parts = [text.partition(".") for text in fitting_decimals(texts)]
    data = b"".join([
        int(whole + fraction + _ZEROS[len(fraction):]).to_bytes(16, "little", signed=True)
        for whole, _, fraction in parts
    ])
    return pyarrow.Array.from_buffers(DECIMAL, len(texts), [None, pyarrow.py_buffer(data)])


def _bitmap(flags: list[bool]) -> bytes:
    """Arrow's validity bitmap: bit i (least significant first, little-endian bytes) is flags[i]."""
    bits = "".join(["1" if flag else "0" for flag in reversed(flags)])
    return int(bits or "0", 2).to_bytes((len(flags) + 7) // 8, "little")
