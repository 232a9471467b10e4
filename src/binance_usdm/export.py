"""Typed records (income, margin changes, any result model) to CSV, JSON lines, Parquet or a polars
DataFrame, streamed from an iterator in constant memory (Parquet and DataFrames in batches).

Columns are the model's snake_case field names, in field order. CSV and JSON lines follow the one
serialization of ``binance_usdm.serialize`` (also that of ``to_dict`` and the ``usdm`` command's
JSON): numbers exact, times ISO-8601 UTC with milliseconds (``2026-01-01T08:00:00.000Z``), a time
Binance sends as 0 empty, enums as Binance's names. Parquet and DataFrames use native
types: decimal(38, 18), timestamp[ms, UTC], string, int64, bool. Parquet needs the ``parquet``
extra (pyarrow), DataFrames the ``dataframe`` extra (polars).

``history.iter_income(...)`` piped into ``export(records, "income.csv")`` writes any number of
records with a page of them in memory at a time; ``export_async`` does the same for the asyncio
client's iterators.
"""

from __future__ import annotations

import csv
import os
from collections.abc import AsyncIterable, Callable, Iterable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from operator import attrgetter
from types import NoneType, UnionType
from typing import IO, TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

import msgspec

from binance_usdm.closing import Closable
from binance_usdm.export_formats import (
    BATCH_SIZE,
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    Destination,
    Format,
    format_of,
    pyarrow_modules,
    where,
)
from binance_usdm.models._base import Model, is_unset_time, lazy_fields, public_fields
from binance_usdm.serialize import decimal_text, enum_value, iso_utc, time_text, to_json_text, to_plain

if TYPE_CHECKING:
    import polars

Kind = Literal["decimal", "time", "enum_str", "enum_int", "bool", "int", "float", "str", "other"]
#: Records the Parquet writer turns into Arrow columns at a time.
PAGE = 1000

_LAZY_KINDS: dict[str, Kind] = {"time": "time", "decimal": "decimal", "int": "int"}
_SCALARS: tuple[tuple[Kind, type], ...] = (("bool", bool), ("int", int), ("float", float), ("str", str))


# --- columns ------------------------------------------------------------------------------------
class _Columns:
    """How to read one model type: field names, each field's kind, and a fast tuple getter."""

    def __init__(self, record_type: type[Model]) -> None:
        fields = msgspec.structs.fields(record_type)
        self.record_type = record_type
        lazy = lazy_fields(record_type)
        self.names = public_fields(record_type)
        self.kinds: tuple[Kind, ...] = tuple(
            _LAZY_KINDS[lazy[field.name].kind] if field.name in lazy else _kind_of(field.type) for field in fields
        )
        getter = attrgetter(*self.names)
        self.values: Callable[[Model], tuple[Any, ...]] = (
            getter if len(self.names) > 1 else lambda record: (getter(record),)
        )


@lru_cache(maxsize=64)
def _columns(record_type: type[Model]) -> _Columns:
    return _Columns(record_type)


def _kind_of(annotation: Any) -> Kind:
    if get_origin(annotation) in (Union, UnionType):
        members = [arg for arg in get_args(annotation) if arg is not NoneType]
        if len(members) != 1:
            return "other"
        annotation = members[0]
    if not isinstance(annotation, type):
        return "other"
    if issubclass(annotation, Enum):
        return "enum_int" if all(isinstance(m.value, int) for m in annotation) else "enum_str"
    if issubclass(annotation, Decimal):
        return "decimal"
    if issubclass(annotation, datetime):
        return "time"
    for kind, python_type in _SCALARS:
        if issubclass(annotation, python_type):
            return kind
    return "other"


def _json_text(value: Any) -> str:
    return to_json_text(value)


def _enum_text(value: Enum) -> str:
    return str(value.value)


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _native_time(moment: datetime) -> datetime | None:
    return None if is_unset_time(moment) else moment


# Per-kind conversions; the value rules themselves are binance_usdm.serialize's (shared with to_dict
# and the CLI's JSON), so every format writes the same names, times, numbers and enums.
_TEXT: dict[Kind, Callable[[Any], Any]] = {
    "decimal": decimal_text, "time": time_text, "enum_str": _enum_text, "enum_int": _enum_text,
    "bool": _bool_text, "other": _json_text,
}
_JSON: dict[Kind, Callable[[Any], Any]] = {
    "decimal": decimal_text, "time": time_text, "enum_str": enum_value, "enum_int": enum_value,
    "other": to_plain,
}
_NATIVE: dict[Kind, Callable[[Any], Any]] = {
    "time": _native_time, "enum_str": enum_value, "enum_int": enum_value, "other": _json_text,
}


def _converters(columns: _Columns, table: dict[Kind, Callable[[Any], Any]]) -> list[tuple[int, Callable[[Any], Any]]]:
    return [(i, table[kind]) for i, kind in enumerate(columns.kinds) if kind in table]


# --- writers ------------------------------------------------------------------------------------
class RecordWriter(Closable):
    """Writes records of one model type to a destination; a context manager. ``count`` records so far;
    ``close()`` flushes and closes (a file object passed in is flushed, not closed).

    The model type comes from ``record_type`` or else from the first record; with neither (no
    records and no type) CSV and JSON lines write an empty file and Parquet a table without columns.
    """

    def __init__(self, destination: Destination, record_type: type[Model] | None = None) -> None:
        self.count = 0
        self._destination = destination
        self._columns: _Columns | None = None
        if record_type is not None:
            self._start(_columns(record_type))

    def write(self, record: Model) -> None:
        """Add one record (of the same model type as the others)."""
        columns = self._columns
        if columns is None:
            columns = _columns(type(record))
            self._start(columns)
        elif type(record) is not columns.record_type:
            raise TypeError(
                f"cannot mix {type(record).__name__} into an export of {columns.record_type.__name__}"
            )
        self._write(columns, record)
        self.count += 1

    def write_all(self, records: Iterable[Model]) -> int:
        """Add every record of ``records``; returns how many."""
        before = self.count
        for record in records:
            self.write(record)
        return self.count - before

    def _start(self, columns: _Columns) -> None:
        self._columns = columns

    def _write(self, columns: _Columns, record: Model) -> None:
        raise NotImplementedError


class _TextWriter(RecordWriter):
    def __init__(self, destination: Destination, record_type: type[Model] | None = None) -> None:
        if isinstance(destination, str | os.PathLike):
            self._file: IO[str] = open(destination, "w", newline="", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._file = destination
            self._owned = False
        super().__init__(destination, record_type)

    _convert: list[tuple[int, Callable[[Any], Any]]]

    def _converted(self, columns: _Columns, record: Model) -> list[Any]:
        """The record's values in text-friendly form (None stays None)."""
        values = list(columns.values(record))
        for i, convert in self._convert:
            value = values[i]
            if value is not None:
                values[i] = convert(value)
        return values

    def close(self) -> None:
        if self._owned:
            self._file.close()
        else:
            self._file.flush()


class CsvWriter(_TextWriter):
    """CSV with a header row of field names; numbers exact, times ISO-8601 UTC, enums wire values."""

    def _start(self, columns: _Columns) -> None:
        super()._start(columns)
        self._csv = csv.writer(self._file, lineterminator="\n")
        self._csv.writerow(columns.names)
        self._convert = _converters(columns, _TEXT)

    def _write(self, columns: _Columns, record: Model) -> None:
        self._csv.writerow(self._converted(columns, record))


class JsonLinesWriter(_TextWriter):
    """One JSON object per line; Decimals as strings (exact), times ISO-8601 UTC, enums wire values."""

    def _start(self, columns: _Columns) -> None:
        super()._start(columns)
        self._encoder = msgspec.json.Encoder()
        self._convert = _converters(columns, _JSON)

    def _write(self, columns: _Columns, record: Model) -> None:
        values = self._converted(columns, record)
        self._file.write(self._encoder.encode(dict(zip(columns.names, values, strict=True))).decode())
        self._file.write("\n")


class ParquetWriter(RecordWriter):
    """Parquet (pyarrow, the ``parquet`` extra), written one row group of ``batch_size`` records at a time;
    every ``PAGE`` records become Arrow columns made from their buffers (``arrow_columns``: neither
    pandas nor Arrow's compute kernels), so memory holds a row group's columns and one page of records."""

    def __init__(
        self, destination: Destination, record_type: type[Model] | None = None, *, batch_size: int = BATCH_SIZE
    ) -> None:
        self._pa, self._pq = pyarrow_modules()
        from binance_usdm import arrow_columns

        self._arrow = arrow_columns
        self._batch_size = batch_size
        self._rows: list[tuple[Any, ...]] = []
        self._groups: Any = None
        super().__init__(destination, record_type)

    def _start(self, columns: _Columns) -> None:
        super()._start(columns)
        pa = self._pa
        types = {
            "decimal": pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE), "time": pa.timestamp("ms", tz="UTC"),
            "enum_str": pa.string(), "enum_int": pa.int64(), "bool": pa.bool_(), "int": pa.int64(),
            "float": pa.float64(), "str": pa.string(), "other": pa.string(),
        }
        schema = pa.schema([pa.field(n, types[k]) for n, k in zip(columns.names, columns.kinds, strict=True)])
        self._convert = _converters(columns, _NATIVE)
        self._open(schema)

    def _open(self, schema: Any) -> None:
        writer = self._pq.ParquetWriter(where(self._destination), schema)
        self._groups = self._arrow.RowGroups(writer, schema, self._batch_size)

    def _write(self, columns: _Columns, record: Model) -> None:
        self._rows.append(columns.values(record))
        if len(self._rows) >= PAGE:
            self._add_page(columns)

    def _add_page(self, columns: _Columns) -> None:
        values = _transpose(self._rows, self._convert)
        self._groups.add([self._arrow.column(kind, page) for kind, page in zip(columns.kinds, values, strict=True)])
        self._rows = []

    def close(self) -> None:
        if self._groups is None:  # no record type and no record: a table without columns
            self._open(self._pa.schema([]))
        elif self._rows and self._columns is not None:
            self._add_page(self._columns)
        self._groups.close()


def _transpose(
    rows: list[tuple[Any, ...]], convert: list[tuple[int, Callable[[Any], Any]]]
) -> list[list[Any]]:
    columns = [list(column) for column in zip(*rows, strict=True)]
    for i, function in convert:
        columns[i] = [None if value is None else function(value) for value in columns[i]]
    return columns


def _polars() -> Any:
    try:
        import polars
    except ImportError as exc:
        raise ImportError("DataFrame export needs polars: pip install 'binance-usdm[dataframe]'") from exc
    return polars


# --- one-call helpers ---------------------------------------------------------------------------
def open_writer(
    destination: Destination, format: Format | None = None, *, record_type: type[Model] | None = None
) -> RecordWriter:
    """A writer for ``format``, or the one the file name's suffix says (.csv, .jsonl/.ndjson, .parquet)."""
    chosen = format_of(destination, format)
    if chosen == "csv":
        return CsvWriter(destination, record_type)
    if chosen == "jsonl":
        return JsonLinesWriter(destination, record_type)
    return ParquetWriter(destination, record_type)


def export(
    records: Iterable[Model],
    destination: Destination,
    format: Format | None = None,
    *,
    record_type: type[Model] | None = None,
) -> int:
    """Write every record to ``destination`` (path or file object); returns the record count."""
    with open_writer(destination, format, record_type=record_type) as writer:
        return writer.write_all(records)


async def export_async(
    records: AsyncIterable[Model],
    destination: Destination,
    format: Format | None = None,
    *,
    record_type: type[Model] | None = None,
) -> int:
    """``export`` for an async iterator (e.g. the asyncio client's ``history.iter_income``)."""
    with open_writer(destination, format, record_type=record_type) as writer:
        async for record in records:
            writer.write(record)
        return writer.count


class DataFrameBuilder:
    """Collects records into a polars DataFrame (the ``dataframe`` extra), converting every
    ``batch_size`` records so only the compact columnar frame grows."""

    def __init__(self, record_type: type[Model] | None = None, *, batch_size: int = BATCH_SIZE) -> None:
        self._pl = _polars()
        self._batch_size = batch_size
        self._columns = None if record_type is None else _columns(record_type)
        self._rows: list[tuple[Any, ...]] = []
        self._frames: list[Any] = []

    def add(self, record: Model) -> None:
        """Add one record (of the same model type as the others)."""
        columns = self._columns
        if columns is None:
            columns = self._columns = _columns(type(record))
        elif type(record) is not columns.record_type:
            raise TypeError(
                f"cannot mix {type(record).__name__} into a frame of {columns.record_type.__name__}"
            )
        self._rows.append(columns.values(record))
        if len(self._rows) >= self._batch_size:
            self._flush()

    def _schema(self, columns: _Columns) -> dict[str, Any]:
        pl = self._pl
        types = {
            "decimal": pl.Decimal(DECIMAL_PRECISION, DECIMAL_SCALE), "time": pl.Datetime("ms", "UTC"),
            "enum_str": pl.String, "enum_int": pl.Int64, "bool": pl.Boolean, "int": pl.Int64,
            "float": pl.Float64, "str": pl.String, "other": pl.String,
        }
        return {name: types[kind] for name, kind in zip(columns.names, columns.kinds, strict=True)}

    def _flush(self) -> None:
        columns = self._columns
        if columns is not None and self._rows:
            data = _transpose(self._rows, _converters(columns, _NATIVE))
            schema = self._schema(columns)
            self._frames.append(self._pl.DataFrame(dict(zip(columns.names, data, strict=True)), schema=schema))
            self._rows = []

    def build(self) -> polars.DataFrame:
        """The DataFrame of every record added."""
        self._flush()
        pl = self._pl
        frame: polars.DataFrame
        if self._frames:
            frame = pl.concat(self._frames, rechunk=True)
        elif self._columns is not None:
            frame = pl.DataFrame(schema=self._schema(self._columns))
        else:
            frame = pl.DataFrame()
        return frame


def to_dataframe(
    records: Iterable[Model], *, record_type: type[Model] | None = None, batch_size: int = BATCH_SIZE
) -> polars.DataFrame:
    """A polars DataFrame of every record (the ``dataframe`` extra)."""
    builder = DataFrameBuilder(record_type, batch_size=batch_size)
    for record in records:
        builder.add(record)
    return builder.build()


async def to_dataframe_async(
    records: AsyncIterable[Model], *, record_type: type[Model] | None = None, batch_size: int = BATCH_SIZE
) -> polars.DataFrame:
    """``to_dataframe`` for an async iterator."""
    builder = DataFrameBuilder(record_type, batch_size=batch_size)
    async for record in records:
        builder.add(record)
    return builder.build()


__all__ = [
    "CsvWriter",
    "DataFrameBuilder",
    "Destination",
    "Format",
    "JsonLinesWriter",
    "ParquetWriter",
    "RecordWriter",
    "export",
    "export_async",
    "iso_utc",
    "open_writer",
    "to_dataframe",
    "to_dataframe_async",
]
