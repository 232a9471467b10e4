"""Exports: CSV, JSON lines, Parquet and polars DataFrames from typed records, exact values,
streaming in constant memory, and the pipeline from the emulator's history to a file."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient
from binance_usdm.emulator import EmulatorServer
from binance_usdm.export import ParquetWriter, export, export_async, open_writer, to_dataframe, to_dataframe_async
from binance_usdm.models import IncomeRecord, MarginChange
from tests.history.conftest import admin

WIRE = b"""[
 {"symbol":"","incomeType":"TRANSFER","income":"-0.37500000","asset":"USDT","info":"TRANSFER",
  "time":1570608000000,"tranId":9689322392,"tradeId":""},
 {"symbol":"BTCUSDT","incomeType":"COMMISSION","income":"-0.01000000","asset":"USDT","info":"COMMISSION",
  "time":1570636800123,"tranId":9689322393,"tradeId":"2059192"},
 {"symbol":"BTCUSDT","incomeType":"SOME_NEW_KIND","income":"1234567890.12345678","asset":"USDT","info":"x,\\"y\\"",
  "time":1570636800123,"tranId":9689322394,"tradeId":""}
]"""
RECORDS = msgspec.json.decode(WIRE, type=list[IncomeRecord])
MARGIN = msgspec.json.decode(
    b'[{"symbol":"BTCUSDT","type":1,"amount":"23.36332311","asset":"USDT","time":1578047897183,'
    b'"positionSide":"BOTH"}]',
    type=list[MarginChange],
)
HEADER = ["symbol", "income_type", "income", "asset", "time", "tran_id", "info", "trade_id"]


def test_csv_is_exact(tmp_path: Path) -> None:
    assert export(RECORDS, tmp_path / "income.csv") == 3
    text = (tmp_path / "income.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    assert rows[1] == ["", "TRANSFER", "-0.37500000", "USDT", "2019-10-09T08:00:00.000Z", "9689322392", "TRANSFER", ""]
    assert rows[3][1:5] == ["SOME_NEW_KIND", "1234567890.12345678", "USDT", "2019-10-09T16:00:00.123Z"]
    assert rows[3][6] == 'x,"y"'


def test_csv_enums_with_int_values_and_missing_optionals() -> None:
    sink = io.StringIO()
    export(MARGIN, sink, "csv")
    assert sink.getvalue().splitlines() == [
        "symbol,type,amount,asset,time,position_side,delta_type",
        "BTCUSDT,1,23.36332311,USDT,2020-01-03T10:38:17.183Z,BOTH,",
    ]


def test_json_lines_keep_decimals_as_exact_text() -> None:
    sink = io.StringIO()
    assert export(RECORDS, sink, "jsonl") == 3
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert list(lines[0]) == HEADER
    assert lines[2]["income"] == "1234567890.12345678" and lines[2]["tran_id"] == 9689322394
    assert lines[1]["time"] == "2019-10-09T16:00:00.123Z" and lines[2]["income_type"] == "SOME_NEW_KIND"
    sink = io.StringIO()
    export(MARGIN, sink, "jsonl")
    assert json.loads(sink.getvalue())["type"] == 1 and json.loads(sink.getvalue())["delta_type"] is None


def test_parquet_native_types_in_row_groups(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "income.parquet"
    with ParquetWriter(target, IncomeRecord, batch_size=2) as writer:
        writer.write_all(RECORDS)
    table = pq.read_table(target)
    assert pq.ParquetFile(target).num_row_groups == 2
    assert table.column_names == HEADER
    assert str(table.schema.field("income").type) == "decimal128(38, 18)"
    assert str(table.schema.field("time").type) == "timestamp[ms, tz=UTC]"
    rows = table.to_pylist()
    assert rows[2]["income"] == Decimal("1234567890.12345678")
    assert rows[1]["time"] == datetime(2019, 10, 9, 16, 0, 0, 123000, tzinfo=UTC)
    assert rows[2]["income_type"] == "SOME_NEW_KIND"


def test_dataframe(tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    frame = to_dataframe(iter(RECORDS), batch_size=2)
    assert frame.columns == HEADER and frame.height == 3
    assert frame.schema["income"] == pl.Decimal(38, 18)
    assert frame["income"].to_list()[2] == Decimal("1234567890.12345678")
    assert frame["time"].dtype == pl.Datetime("ms", "UTC")
    margin = to_dataframe(MARGIN)
    assert margin["type"].to_list() == [1] and margin["delta_type"].to_list() == [None]
    assert to_dataframe([], record_type=IncomeRecord).columns == HEADER


def test_empty_exports(tmp_path: Path) -> None:
    assert export([], tmp_path / "a.csv", record_type=IncomeRecord) == 0
    assert (tmp_path / "a.csv").read_text() == ",".join(HEADER) + "\n"
    assert export([], tmp_path / "b.jsonl") == 0 and (tmp_path / "b.jsonl").read_text() == ""


def test_format_choice_and_mistakes(tmp_path: Path) -> None:
    assert export(RECORDS, tmp_path / "x.ndjson") == 3
    with pytest.raises(ValueError, match="suffix"):
        export(RECORDS, tmp_path / "x.txt")
    with pytest.raises(ValueError, match="format="):
        export(RECORDS, io.StringIO())
    with pytest.raises(ValueError, match="unknown format"):
        export(RECORDS, tmp_path / "x.csv", "xml")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot mix MarginChange"):
        export([*RECORDS, *MARGIN], io.StringIO(), "csv")


@pytest.mark.parametrize(("module", "extra", "call"), [
    ("pyarrow", "parquet", lambda tmp: export(RECORDS, tmp / "x.parquet")),
    ("polars", "dataframe", lambda tmp: to_dataframe(RECORDS)),
])
def test_missing_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, module: str, extra: str, call: object
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf"binance-usdm\[{extra}\]"):
        call(tmp_path)  # type: ignore[operator]


def synthetic(count: int) -> Iterator[IncomeRecord]:
    for i in range(count):
        yield msgspec.json.decode(
            b'{"symbol":"BTCUSDT","incomeType":"FUNDING_FEE","income":"-1.23456789","asset":"USDT",'
            b'"time":%d,"tranId":%d}' % (1_700_000_000_000 + i, i),
            type=IncomeRecord,
        )


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_memory_stays_flat_as_records_grow(tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")

    def peak(count: int) -> int:
        tracemalloc.start()
        try:
            target = tmp_path / f"m{count}.{fmt}"
            with (ParquetWriter(target, IncomeRecord, batch_size=500) if fmt == "parquet"
                  else open_writer(target, record_type=IncomeRecord)) as writer:
                writer.write_all(synthetic(count))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    # 8x the records: a writer keeping each record (hundreds of bytes) would add megabytes
    small, large = peak(1_000), peak(8_000)
    assert large < small * 1.5 + 200_000, (small, large)


def test_pipeline_from_the_emulator_sync_and_async(tmp_path: Path) -> None:
    with EmulatorServer(weight_limit=10**9) as emu:
        admin(emu, "/emulator/generate", {"symbols": ["BTCUSDT"], "days": 10, "interval": "1h"})
        start = datetime.fromtimestamp(emu.clock.now_ms() / 1000, UTC) - timedelta(days=12)
        with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
            count = export(client.usd_futures_api.history.iter_income(start), tmp_path / "sync.csv")

        async def main() -> int:
            async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client:
                return await export_async(client.usd_futures_api.history.iter_income(start), tmp_path / "async.csv")

        async_count = asyncio.run(main())
    assert count == async_count > 700
    assert (tmp_path / "sync.csv").read_bytes() == (tmp_path / "async.csv").read_bytes()


def test_dataframe_from_an_async_iterator() -> None:
    pytest.importorskip("polars")

    async def records() -> AsyncIterator[IncomeRecord]:
        for record in RECORDS:
            yield record

    frame = asyncio.run(to_dataframe_async(records(), batch_size=2))
    assert frame["tran_id"].to_list() == [r.tran_id for r in RECORDS]
