"""Income history written a page at a time: the fast path of ``history.export_income``.

A page of ``IncomeRow`` (decoded in one call, see ``binance_usdm._wire.income_rows``) is written in
one go: CSV through ``csv.writer.writerows``, JSON lines through msgspec's ``encode_lines``, Parquet
as one Arrow record batch per page, in row groups of ``batch_size`` rows, by arro3 when installed (the
``parquet`` extra; ~40 MB at the peak) or else by pyarrow (columns built from their buffers,
``binance_usdm.arrow_columns``: no pandas, no compute kernels; ~96 MB, pyarrow being ~62 MB). The
files are the ones ``binance_usdm.export`` writes for ``IncomeRecord`` (same columns, values,
quoting and Parquet schema); only the work per record is smaller.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import threading
from collections.abc import Iterator
from typing import IO, Any

import msgspec

from binance_usdm._wire.income_rows import IncomeRow
from binance_usdm.closing import Closable
from binance_usdm.export_formats import (
    BATCH_SIZE,
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    Destination,
    Format,
    arro3_modules,
    fitting_decimals,
    format_of,
    pyarrow_modules,
    where,
)
from binance_usdm.models import IncomeRecord
from binance_usdm.models._base import public_fields
from binance_usdm.serialize import ms_time_text

COLUMNS = public_fields(IncomeRecord)
#: The Parquet columns written with a dictionary: texts that repeat (symbols, types, assets, the info
#: and trade ids of a trade's rows). Incomes, times and transaction ids are nearly all distinct: a
#: dictionary would cost a hash table of the row group's values (~4 MB for the incomes of 50,000
#: rows) and make the file larger.
DICTIONARY_COLUMNS = ["symbol", "income_type", "asset", "info", "trade_id"]


class IncomeLine(msgspec.Struct, gc=False):
    """One JSON line: ``IncomeRecord``'s snake_case names, in its order, time as ISO text or null."""

    symbol: str
    income_type: str
    income: str
    asset: str
    time: str | None
    tran_id: int
    info: str
    trade_id: str


class IncomePageWriter(Closable):
    """Writes pages of income rows to one destination; a context manager. ``count``: rows so far;
    ``close()`` flushes and closes (a file object passed in is flushed, not closed)."""

    def __init__(self) -> None:
        self.count = 0

    def write(self, page: list[IncomeRow]) -> None:
        """Add a page of rows (oldest first, after the rows written before)."""
        self._write(page)
        self.count += len(page)

    def _write(self, page: list[IncomeRow]) -> None:
        raise NotImplementedError


class _TextPages(IncomePageWriter):
    """A path is written as UTF-8 bytes directly; a text file object gets text."""

    def __init__(self, destination: Destination) -> None:
        super().__init__()
        self._binary: IO[bytes] | None = None
        self._text: IO[str] | None = None
        if isinstance(destination, str | os.PathLike):
            self._binary = open(destination, "wb")  # noqa: SIM115 - closed by close()
        else:
            self._text = destination

    def _put(self, data: bytes) -> None:
        if self._binary is not None:
            self._binary.write(data)
        else:
            assert self._text is not None
            self._text.write(data.decode())

    def close(self) -> None:
        if self._binary is not None:
            self._binary.close()
        elif self._text is not None:
            self._text.flush()


def page_times(page: list[IncomeRow]) -> dict[int, str | None]:
    """``ms_time_text`` of each millisecond of a page, made once per millisecond: records share them
    (a trade's commission and realized PnL, the funding fees of every symbol at their hour)."""
    return {ms: ms_time_text(ms) for ms in {row.time_ms for row in page}}


class CsvPages(_TextPages):
    """CSV as ``export`` writes it: a header row, then ``csv.writer``'s rows (a time of 0 empty).
    A page is joined directly when ``csv.writer`` would quote no field of it (no text holds a comma,
    a quote or a line break: the joined page has 7 commas and one newline per row and no quote or
    carriage return), which gives the same bytes; else ``csv.writer`` writes it."""

    def __init__(self, destination: Destination) -> None:
        super().__init__(destination)
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\n")
        self._csv.writerow(COLUMNS)
        self._flush_buffer()

    def _write(self, page: list[IncomeRow]) -> None:
        times = page_times(page)
        text = "".join([
            f"{row.symbol},{row.income_type},{row.income_str},{row.asset},{times[row.time_ms] or ''},"
            f"{row.tran_id},{row.info},{row.trade_id}\n"
            for row in page
        ])
        rows = len(page)
        if text.count(",") == 7 * rows and text.count("\n") == rows and '"' not in text and "\r" not in text:
            self._put(text.encode())
            return
        self._csv.writerows([
            (row.symbol, row.income_type, row.income_str, row.asset, times[row.time_ms], row.tran_id, row.info,
             row.trade_id)
            for row in page
        ])
        self._flush_buffer()

    def _flush_buffer(self) -> None:
        self._put(self._buffer.getvalue().encode())
        self._buffer.seek(0)
        self._buffer.truncate()


class JsonLinesPages(_TextPages):
    """JSON lines as ``export`` writes them: one object per record, a page encoded in one call."""

    def __init__(self, destination: Destination) -> None:
        super().__init__(destination)
        self._encoder = msgspec.json.Encoder()

    def _write(self, page: list[IncomeRow]) -> None:
        times = page_times(page)
        self._put(self._encoder.encode_lines([
            IncomeLine(row.symbol, row.income_type, row.income_str, row.asset, times[row.time_ms], row.tran_id,
                       row.info, row.trade_id)
            for row in page
        ]))


class ParquetPages(IncomePageWriter):
    """Parquet with ``export``'s schema; each page becomes Arrow arrays at once, and every
    ``batch_size`` rows one row group is written (memory holds at most one row group's columns)."""

    def __init__(self, destination: Destination, *, batch_size: int = BATCH_SIZE) -> None:
        super().__init__()
        pa, pq = pyarrow_modules()
        from binance_usdm import arrow_columns

        self._columns = arrow_columns
        kinds = (pa.string(), pa.string(), arrow_columns.DECIMAL, pa.string(), arrow_columns.TIME, pa.int64(),
                 pa.string(), pa.string())
        schema = pa.schema([pa.field(name, kind) for name, kind in zip(COLUMNS, kinds, strict=True)])
        writer = pq.ParquetWriter(where(destination), schema, use_dictionary=DICTIONARY_COLUMNS)
        self._groups = arrow_columns.RowGroups(writer, schema, batch_size)

    def _write(self, page: list[IncomeRow]) -> None:
        if not page:
            return
        columns = self._columns
        arrays = [
            columns.strings([row.symbol for row in page]), columns.strings([row.income_type for row in page]),
            columns.decimals([row.income_str for row in page]), columns.strings([row.asset for row in page]),
            columns.times([row.time_ms for row in page]), columns.int64s([row.tran_id for row in page]),
            columns.strings([row.info for row in page]), columns.strings([row.trade_id for row in page]),
        ]
        self._groups.add(arrays)

    def close(self) -> None:
        self._groups.close()


#: What ends the stream of record batches the arro3 writer thread reads.
_END = object()


class _Sink:
    """The file arro3 writes to, keeping the exception a write raised (arro3 turns it into a panic)."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.error: Exception | None = None

    def write(self, data: bytes) -> int:
        try:
            return self.file.write(data)
        except Exception as exc:
            self.error = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


class Arro3ParquetPages(IncomePageWriter):
    """The file ``ParquetPages`` writes, written by arro3 (Rust's ``parquet`` crate; no pyarrow):
    arro3 and a tiny file take ~25 MB of a process where pyarrow takes ~71 MB. arro3 pulls record
    batches from a stream, so a thread runs its writer and takes each page's batch from a queue of 2;
    a row group is written every ``batch_size`` rows. A failure of the writer is raised by the next
    ``write`` or by ``close``."""

    def __init__(self, destination: Destination, *, batch_size: int = BATCH_SIZE) -> None:
        super().__init__()
        modules = arro3_modules()
        if modules is None:
            raise ImportError("Parquet export needs the parquet extra: pip install 'binance-usdm[parquet]'")
        core, parquet = modules
        kind = core.DataType
        self._core = core
        self._string, self._decimal = kind.string(), kind.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
        self._time, self._int64 = kind.timestamp("ms", tz="UTC"), kind.int64()
        kinds = (self._string, self._string, self._decimal, self._string, self._time, self._int64, self._string,
                 self._string)
        self._schema = core.Schema([core.Field(name, k, nullable=True) for name, k in zip(COLUMNS, kinds, strict=True)])
        self._owned = isinstance(destination, str | os.PathLike)
        if isinstance(destination, str | os.PathLike):
            self._file: IO[bytes] = open(destination, "wb")  # noqa: SIM115 - closed by close()
        else:
            self._file = destination
        self._batches: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(parquet, batch_size), name="parquet writer", daemon=True
        )
        self._thread.start()

    def _run(self, parquet: Any, batch_size: int) -> None:
        sink = _Sink(self._file)
        try:
            parquet.write_parquet(
                self._core.RecordBatchReader.from_batches(self._schema, self._stream()), sink,
                compression="snappy", max_row_group_size=batch_size,
                column_dictionary_enabled={name: name in DICTIONARY_COLUMNS for name in COLUMNS},
            )
        except BaseException as exc:  # handed to the caller's thread
            self._failure = sink.error or (exc if isinstance(exc, Exception) else RuntimeError(f"Parquet: {exc}"))
            while self._batches.get() is not _END:  # the caller's puts never block
                pass

    def _stream(self) -> Iterator[Any]:
        while (batch := self._batches.get()) is not _END:
            yield batch

    def _write(self, page: list[IncomeRow]) -> None:
        if self._failure is not None:
            raise self._failure
        if not page:
            return
        array, string = self._core.Array, self._string
        incomes = array(fitting_decimals([row.income_str for row in page]), string).cast(self._decimal)
        arrays = [
            array([row.symbol for row in page], string), array([row.income_type for row in page], string),
            incomes, array([row.asset for row in page], string),
            array([row.time_ms or None for row in page], self._int64).cast(self._time),
            array([row.tran_id for row in page], self._int64),
            array([row.info for row in page], string), array([row.trade_id for row in page], string),
        ]
        self._batches.put(self._core.RecordBatch.from_arrays(arrays, schema=self._schema))

    def close(self) -> None:
        self._batches.put(_END)
        self._thread.join()
        if self._owned:
            self._file.close()
        else:
            self._file.flush()
        if self._failure is not None:
            raise self._failure


def open_page_writer(destination: Destination, format: Format | None = None) -> IncomePageWriter:
    """A page writer for ``format``, or the one the file name's suffix says (as ``open_writer``)."""
    chosen = format_of(destination, format)
    if chosen == "csv":
        return CsvPages(destination)
    if chosen == "jsonl":
        return JsonLinesPages(destination)
    return Arro3ParquetPages(destination) if arro3_modules() is not None else ParquetPages(destination)


__all__ = ["Arro3ParquetPages", "CsvPages", "IncomePageWriter", "JsonLinesPages", "ParquetPages", "open_page_writer"]
