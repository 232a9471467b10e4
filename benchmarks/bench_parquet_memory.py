"""Peak memory of the Parquet income export: each Parquet library's own floor (arro3, pyarrow), then
each page writer's growth over it for growing row counts (it must not grow with the rows).

Run: ``python benchmarks/bench_parquet_memory.py [--rows 50000,200000,600000] [--quick] [--export-only]``.

Every step runs in a fresh child process and reports its peak RSS (``VmHWM``):

- ``python``: the bare interpreter;
- ``import pyarrow``, ``import pyarrow.parquet``: what loading pyarrow costs (it imports numpy when
  numpy is installed);
- ``tiny row group, from buffers``: pyarrow.parquet imported and one row group of one row written the
  way the export builds its arrays (``binance_usdm.arrow_columns``): pyarrow's floor for a Parquet
  file;
- ``tiny row group, pyarrow.array + cast``: the same file with ``pyarrow.array`` on Python lists and a
  string-to-decimal cast (what the export did before: pandas is imported when installed, and the
  compute kernels are loaded);
- ``import arro3``, ``tiny row group, arro3``: the same for arro3 (Rust's parquet crate), the
  writer ``history.export_income`` uses when it is installed (the ``parquet`` extra);
- ``export N rows, WRITER``: ``binance_usdm.income_export.Arro3ParquetPages`` (arro3) or
  ``ParquetPages`` (pyarrow) writing N rows in pages of 1,000, or ``export()``'s general writer
  (``export.ParquetWriter``, pyarrow) writing the same rows as ``IncomeRecord`` models (what
  ``export(history.iter_income(...), "x.parquet")`` does; the models are decoded outside the timing)
  (synthetic Binance-shaped income rows, a page made just before it is written; CPU counts the
  writing only); the growth is the peak minus the RSS once the writer's library and the export's
  modules are imported (the export's own cost).

No emulator and no network: ``benchmarks/bench_export_peers.py`` measures the whole job (client,
paging, writing) against the peers; this script isolates what the Parquet writing costs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import script_entry

PAGE = 1000

# what each floor step runs, after printing nothing; the child reports VmHWM at the end
_FLOORS: dict[str, str] = {
    "python": "",
    "import pyarrow": "import pyarrow",
    "import pyarrow.parquet": "import pyarrow.parquet",
    "tiny row group, from buffers": """
import pyarrow, pyarrow.parquet
from binance_usdm import arrow_columns as c
schema = pyarrow.schema([("s", pyarrow.string()), ("d", c.DECIMAL), ("t", c.TIME), ("i", pyarrow.int64())])
arrays = [c.strings(["BTCUSDT"]), c.decimals(["-0.375"]), c.times([1]), c.int64s([1])]
with pyarrow.parquet.ParquetWriter(OUT, schema) as writer:
    writer.write_batch(pyarrow.RecordBatch.from_arrays(arrays, schema=schema))
""",
    "tiny row group, pyarrow.array + cast": """
import pyarrow, pyarrow.parquet
from binance_usdm import arrow_columns as c
schema = pyarrow.schema([("s", pyarrow.string()), ("d", c.DECIMAL), ("t", c.TIME), ("i", pyarrow.int64())])
arrays = [pyarrow.array(["BTCUSDT"], pyarrow.string()), pyarrow.array(["-0.375"], pyarrow.string()).cast(c.DECIMAL),
          pyarrow.array([1], c.TIME), pyarrow.array([1], pyarrow.int64())]
with pyarrow.parquet.ParquetWriter(OUT, schema) as writer:
    writer.write_batch(pyarrow.RecordBatch.from_arrays(arrays, schema=schema))
""",
    "import arro3": "import arro3.core, arro3.io",
    "tiny row group, arro3": """
import arro3.core as core, arro3.io
kind = core.DataType
schema = core.Schema([core.Field("s", kind.string()), core.Field("d", kind.decimal128(38, 18)),
                      core.Field("t", kind.timestamp("ms", tz="UTC")), core.Field("i", kind.int64())])
arrays = [core.Array(["BTCUSDT"], kind.string()), core.Array(["-0.375"], kind.string()).cast(kind.decimal128(38, 18)),
          core.Array([1], kind.int64()).cast(kind.timestamp("ms", tz="UTC")), core.Array([1], kind.int64())]
arro3.io.write_parquet(core.RecordBatch.from_arrays(arrays, schema=schema), OUT, compression="snappy")
""",
}
WRITERS = {"arro3": "Arro3ParquetPages", "pyarrow": "ParquetPages", "export() of models": "ParquetWriter"}

_EXPORT = """
import time
if WRITER == "Arro3ParquetPages":
    import arro3.core, arro3.io
else:
    import pyarrow.parquet
    from binance_usdm import arrow_columns
import msgspec
from binance_usdm._wire.income_rows import IncomeRow
from binance_usdm import export, income_export
from binance_usdm.models import IncomeRecord
TYPES = ("FUNDING_FEE", "REALIZED_PNL", "COMMISSION", "FUNDING_FEE")
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT")

def page(first):
    return [IncomeRow(symbol=SYMBOLS[i % 5], income_type=TYPES[i % 4], income_str=f"-{i % 997}.{i * 7919 % 10**8:08d}",
                      asset="USDT", time_ms=1_700_000_000_000 + i * 900, tran_id=10**12 + i,
                      info=TYPES[i % 4] if i % 4 in (0, 3) else str(9 * 10**9 + i),
                      trade_id="" if i % 4 in (0, 3) else str(9 * 10**9 + i)) for i in range(first, first + PAGE)]

DECODER = msgspec.json.Decoder(list[IncomeRecord])

def records(rows):
    return DECODER.decode(msgspec.json.encode([
        {"symbol": r.symbol, "incomeType": r.income_type, "income": r.income_str, "asset": r.asset, "time": r.time_ms,
         "tranId": r.tran_id, "info": r.info, "tradeId": r.trade_id} for r in rows]))

BEFORE, CPU = hwm(), 0.0
began = time.process_time()
if WRITER == "ParquetWriter":
    writer = export.open_writer(OUT, "parquet", record_type=IncomeRecord)
    write, made = writer.write_all, records
else:
    writer = getattr(income_export, WRITER)(OUT)
    write, made = writer.write, list
for first in range(0, ROWS, PAGE):
    CPU += time.process_time() - began
    rows = made(page(first))
    began = time.process_time()
    write(rows)
writer.close()
CPU += time.process_time() - began
"""

_CHILD = """
import json, sys
def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
OUT, ROWS, WRITER, PAGE, BEFORE, CPU = sys.argv[1], int(sys.argv[2]), sys.argv[3], {page}, None, None
{body}
print(json.dumps({{"peak_kb": hwm(), "before_kb": BEFORE, "cpu": CPU}}))
"""


def _child(body: str, out: str, rows: int = 0, writer: str = "") -> dict[str, float | None]:
    script = _CHILD.format(page=PAGE, body=body)
    proc = subprocess.run(
        [sys.executable, "-c", script, out, str(rows), writer], capture_output=True, text=True, timeout=900
    )
    if proc.returncode != 0:
        raise SystemExit(f"step failed:\n{proc.stdout}{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="50000,200000,600000", help="row counts of the export steps")
    parser.add_argument("--quick", action="store_true", help="export steps of 5,000 and 20,000 rows")
    parser.add_argument("--export-only", action="store_true", help="skip pyarrow's floor steps")
    args = parser.parse_args()
    counts = [5000, 20000] if args.quick else [int(n) for n in args.rows.split(",")]
    print(f"{'step':<40} {'peak RSS':>10} {'growth':>9} {'CPU µs/row':>11}")
    print("-" * 73)
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "x.parquet")
        for name, body in ({} if args.export_only else _FLOORS).items():
            figures = _child(body, out)
            print(f"{name:<40} {figures['peak_kb'] / 1024:>8.1f}MB {'':>9} {'':>11}")
        for library, writer in WRITERS.items():
            for rows in counts:
                figures = _child(_EXPORT, out, rows, writer)
                peak, before, cpu = figures["peak_kb"], figures["before_kb"], figures["cpu"]
                assert peak is not None and before is not None and cpu is not None
                print(f"{f'export {rows:,} rows, {library}':<40} {peak / 1024:>8.1f}MB "
                      f"{(peak - before) / 1024:>7.1f}MB {cpu / rows * 1e6:>11.2f}")
    print("\ngrowth: peak RSS minus the RSS once the writer's library and the export's modules are imported")


if __name__ == "__main__":
    script_entry.run(main)
