"""History commands: income (every record of a window), margin-history, download (async files).

They run on the library's history layer (``client.usd_futures_api.history``) and its exports
(``binance_usdm.export``)."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, BinaryIO

import click
from click.shell_completion import CompletionItem

from binance_usdm import models as m
from binance_usdm._wire.limits import MARGIN_HISTORY_MAX_SPAN, MAX_INCOME_LIMIT
from binance_usdm.cli.cmd_read import signed
from binance_usdm.cli.options import SYMBOL, format_option, pass_session
from binance_usdm.cli.progress import Progress
from binance_usdm.cli.render import (
    Cell,
    Column,
    Output,
    Table,
    fmt_time,
    is_tty,
    note,
    plural,
    write_json_array,
)
from binance_usdm.cli.session import CommandError, CommandUsageError, Session
from binance_usdm.cli.timeparse import TIME
from binance_usdm.downloads import DownloadProgress
from binance_usdm.enums import IncomeType, MarginChangeDirection
from binance_usdm.errors import DownloadTimeout
from binance_usdm.export import Format as ExportFormat
from binance_usdm.export_formats import _SUFFIXES as EXPORT_SUFFIXES
from binance_usdm.models._base import to_ms

DEFAULT_WINDOW = timedelta(days=7)
INCOME_KEPT = timedelta(days=90)
"""Binance: "Income history only contains data for the last three months"."""
MARGIN_HISTORY_KEPT = timedelta(days=30)
"""Binance answers margin changes "not older than 30 days"."""
DOWNLOAD_KINDS = ("orders", "trades", "transactions")
#: Longest wait between two status checks of a download.
MAX_POLL_INTERVAL = 60.0
#: Records between two progress updates (one full page).
PROGRESS_EVERY = MAX_INCOME_LIMIT
#: ``--format`` values written by ``binance_usdm.export``.
EXPORT_FORMATS: dict[str, ExportFormat] = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}


def _complete_income_type(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(t.value) for t in IncomeType if t.value.startswith(incomplete.upper())]


def _window(since: datetime | None, until: datetime | None, default: timedelta) -> tuple[datetime, datetime]:
    end = until or datetime.now(UTC)
    start = since or end - default
    if start > end:
        raise click.BadParameter(f"--since ({fmt_time(start)}) is after --until ({fmt_time(end)})",
                                 param_hint="--since")
    return start, end


@contextmanager
def _written(path: Path) -> Iterator[Path]:
    """Where to write ``path``: ``path.part``, renamed once complete and removed on failure."""
    part = path.with_name(path.name + ".part")
    try:
        yield part
        os.replace(part, path)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        part.unlink(missing_ok=True)


@contextmanager
def _text_output(path: Path | None) -> Iterator[IO[str]]:
    """stdout, or ``path`` written via ``path.part``."""
    if path is None:
        yield sys.stdout
        return
    with _written(path) as part, part.open("w", encoding="utf-8", newline="") as stream:
        yield stream


# --- income -------------------------------------------------------------------------------------
INCOME_EPILOG = """\b
Examples:
  usdm income                          # the last 7 days
  usdm income --type FUNDING_FEE --since 30d
  usdm income --since 2024-05-01 --until 2024-06-01 \\
      -o income.csv
  usdm income --since 90d -o income.parquet
  usdm income --symbol BTCUSDT --format json | jq length

--since/--until take ISO dates or datetimes (UTC unless an offset is given) or ages before now:
90m, 12h, 7d, 2w.

csv, jsonl and parquet have one column per field (exact decimals, ISO-8601 UTC times); parquet
needs -o and the 'parquet' extra. Binance keeps three months of income history.
"""


@click.command("income", epilog=INCOME_EPILOG)
@click.option("--symbol", type=SYMBOL, help="Only this symbol.")
@click.option("--type", "income_type", metavar="TYPE", shell_complete=_complete_income_type,
              help="Only this income type (FUNDING_FEE, COMMISSION, REALIZED_PNL, TRANSFER, ...).")
@click.option("--since", type=TIME, help="Start of the window (default: 7 days before --until).")
@click.option("--until", type=TIME, help="End of the window (default: now).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many records.")
@format_option("table", "json", "csv", "jsonl", "parquet",
               help="Output format: table (default), json, csv, jsonl (JSON lines) or parquet.")
@click.option("-o", "--output", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout.")
@pass_session
def income(
    session: Session, symbol: str | None, income_type: str | None, since: datetime | None,
    until: datetime | None, limit: int | None, fmt: str | None, path: Path | None,
) -> None:
    """Income history (funding fees, commissions, realized PnL, transfers...) of a time window.

    Every record of the window is fetched, 1000 per request, oldest first; a progress bar shows on
    a terminal. The table ends with totals per income type and asset.
    """
    start, end = _window(since, until, DEFAULT_WINDOW)
    chosen = output_format(fmt, session.fmt, path)
    if chosen == "parquet" and path is None:
        raise click.UsageError("--format parquet writes a file: give -o FILE")
    _note_older_than_kept(start, INCOME_KEPT, "three months of income history; for older records: "
                          f"usdm download transactions --since {start:%Y-%m-%d}")
    kind = None if income_type is None else income_type.strip().upper()
    # progress on a terminal's stderr, unless the records themselves scroll past on that terminal
    shown = is_tty(sys.stderr) and (path is not None or chosen == "table" or not is_tty(sys.stdout))
    rows: list[m.IncomeRecord] = []
    with Progress("income", total=max(to_ms(end) - to_ms(start), 1), enabled=shown) as progress:
        exported = EXPORT_FORMATS.get(chosen)
        if exported is not None:
            count = _export(session, exported, path, progress, start, end, symbol=symbol, income_type=kind,
                            limit=limit)
        else:
            records: Iterator[m.IncomeRecord] = session.history.iter_income(
                start, end, symbol=symbol, income_type=kind, page_size=min(limit or MAX_INCOME_LIMIT, MAX_INCOME_LIMIT),
            )
            records = islice(records, limit)
            if progress.enabled:
                records = _tracked(records, progress, to_ms(start))
            if chosen == "json":
                with _text_output(path) as stream:
                    count = write_json_array(stream, records)
            else:
                rows = list(records)
                count = len(rows)
    if chosen == "table":  # printed once the progress display is gone
        with _text_output(path) as stream:
            _income_table(Output(stream=stream, fancy=None if path is None else False), rows, start, end)
    if path is not None:
        note(f"usdm: wrote {plural(count, 'income record')} to {path}")


#: Output formats by file extension (``-o FILE``).
#: The format each ``-o FILE`` extension names: the library's export table, plus JSON and text.
SUFFIX_FORMATS: dict[str, str] = {**EXPORT_SUFFIXES, ".json": "json", ".txt": "table"}


def output_format(fmt: str | None, default: str | None, path: Path | None) -> str:
    """The format to write: ``--format``, else the one ``-o FILE``'s extension names, else the global
    ``--format``, else a table. A ``--format`` the extension contradicts is a usage error."""
    by_suffix = None if path is None else SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is not None:
        chosen = fmt.lower()
        if by_suffix is not None and by_suffix != chosen:
            raise click.BadParameter(
                f"--format {chosen} does not match the extension of {path} ({by_suffix}); "
                "change one of them", param_hint="--format",
            )
        return chosen
    if by_suffix is not None:
        return by_suffix
    if path is not None and path.suffix:
        raise click.BadParameter(
            f"cannot tell the format of {path} from its extension: use .csv, .json, .jsonl, .parquet or .txt, "
            "or give --format", param_hint="-o/--output",
        )
    return default or "table"


def _tracked(records: Iterable[m.IncomeRecord], progress: Progress, start_ms: int) -> Iterator[m.IncomeRecord]:
    """``records``, moving ``progress`` through the window every ``PROGRESS_EVERY`` records."""
    for count, record in enumerate(records, 1):
        if count % PROGRESS_EVERY == 0:
            progress.update(completed=record.time.to_ms() - start_ms, description=f"income: {count} records")
        yield record


def _export(
    session: Session, fmt: ExportFormat, path: Path | None, progress: Progress, start: datetime, end: datetime,
    *, symbol: str | None, income_type: str | None, limit: int | None,
) -> int:
    """Write the window's records with ``history.export_income`` (csv, jsonl or parquet) to ``path``
    or stdout."""
    start_ms = to_ms(start)

    def on_page(count: int, newest_ms: int) -> None:
        progress.update(completed=newest_ms - start_ms, description=f"income: {count} records")

    def write(destination: Path | IO[str]) -> int:
        try:
            return session.history.export_income(
                destination, start, end, symbol=symbol, income_type=income_type, format=fmt, limit=limit,
                on_page=on_page if progress.enabled else None,
            )
        except ImportError as exc:  # pyarrow, for parquet
            raise CommandUsageError(str(exc)) from None

    if path is None:
        return write(sys.stdout)
    with _written(path) as part:
        return write(part)


def _note_older_than_kept(start: datetime, kept: timedelta, what: str) -> None:
    """Say on stderr that a window starting before what Binance keeps gets nothing before that."""
    if start < datetime.now(UTC) - kept:
        note(f"usdm: Binance keeps {what}")


def _income_table(out: Output, rows: list[m.IncomeRecord], start: datetime, end: datetime) -> None:
    window = f"{fmt_time(start)} .. {fmt_time(end)} UTC"
    if not rows:
        out.echo(f"No income records from {window}.")
        return
    table = Table(None, [
        Column("TIME (UTC)"), Column("SYMBOL", priority=1), Column("TYPE"), Column("AMOUNT", "right", signed=True),
        Column("ASSET"), Column("TRAN ID", "right", priority=3), Column("INFO", priority=2),
    ])
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        kind = str(r.income_type.value)
        sums[(kind, r.asset)] += r.income
        table.add(fmt_time(r.time), r.symbol or None, kind, signed(r.income), r.asset, str(r.tran_id),
                  r.info if r.info != kind else "")
    out.table(table)
    totals = Table(f"Totals, {plural(len(rows), 'record')} from {window}", [
        Column("TYPE"), Column("ASSET"), Column("TOTAL", "right", signed=True),
    ])
    for (kind, asset), total in sorted(sums.items()):
        totals.add(kind, asset, signed(total))
    out.table(totals)


# --- margin history -----------------------------------------------------------------------------
MARGIN_EPILOG = """\b
Examples:
  usdm margin-history ETHUSDT
  usdm margin-history ETHUSDT --type add --since 7d

\b
Binance keeps 30 days of margin changes.
"""


@click.command("margin-history", epilog=MARGIN_EPILOG)
@click.argument("symbol", type=SYMBOL)
@click.option("--type", "direction", type=click.Choice(["add", "reduce"], case_sensitive=False),
              help="Only additions or only reductions.")
@click.option("--since", type=TIME, help="Start of the window (default: 30 days before --until).")
@click.option("--until", type=TIME, help="End of the window (default: now).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many records.")
@format_option()
@pass_session
def margin_history(
    session: Session, symbol: str, direction: str | None, since: datetime | None, until: datetime | None,
    limit: int | None, fmt: str | None,
) -> None:
    """Isolated position-margin changes of SYMBOL (your adjustments and those made by trades).

    Every change of the window is fetched, oldest first, 30 days per request.
    """
    kind = None
    if direction is not None:
        kind = MarginChangeDirection.ADD if direction.lower() == "add" else MarginChangeDirection.REDUCE
    start, end = _window(since, until, MARGIN_HISTORY_MAX_SPAN)
    _note_older_than_kept(start, MARGIN_HISTORY_KEPT, "30 days of margin changes; older ones are not returned")
    rows = list(islice(session.history.iter_margin_changes(symbol, start, end, type=kind), limit))
    out = session.output()
    if session.format(fmt) == "json":
        out.json(rows)
        return
    if not rows:
        out.echo(f"No margin changes for {symbol}.")
        return
    table = Table(None, [
        Column("TIME (UTC)"), Column("SYMBOL"), Column("SIDE", priority=1), Column("CHANGE"),
        Column("AMOUNT", "right"), Column("ASSET"), Column("ORIGIN", priority=2),
    ])
    for r in rows:
        add = r.type is MarginChangeDirection.ADD
        origin = "-" if r.delta_type is None else str(r.delta_type.value).lower().replace("_", " ")
        change: Cell = ("add", "green") if add else ("reduce", "red")
        table.add(fmt_time(r.time), r.symbol, str(r.position_side.value), change, r.amount, r.asset, origin)
    out.table(table)


# --- download -----------------------------------------------------------------------------------
DOWNLOAD_EPILOG = """\b
Examples:
  usdm download transactions --since 2024-01-01 \\
      --until 2024-03-31 -o income.csv
  usdm download trades --since 30d > trades.csv
  # resume waiting for a file:
  usdm download orders --id 545923594199212032 > o.csv

Binance prepares the file asynchronously (it can take minutes) and limits requests per month
(orders 10, trades 5, transactions 100); a window spans at most one year. The file is Binance's
own CSV as delivered (camelCase columns, times in epoch milliseconds); `usdm income --format csv`
writes income records in usdm's serialization (snake_case, ISO-8601 times) instead.
"""


@click.command("download", epilog=DOWNLOAD_EPILOG)
@click.argument("kind", type=click.Choice(DOWNLOAD_KINDS, case_sensitive=False))
@click.option("--since", type=TIME, help="Start of the window (required unless --id).")
@click.option("--until", type=TIME, help="End of the window (default: now).")
@click.option("--id", "download_id", metavar="DOWNLOAD_ID", help="Wait for an earlier request instead.")
@click.option("-o", "--output", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the CSV to this file instead of stdout.")
@click.option("--poll-interval", type=click.FloatRange(min=0.05), default=2.0, show_default=True,
              help=f"Seconds before the first status check; the wait doubles up to {MAX_POLL_INTERVAL:g} s.")
@click.option("--timeout", type=click.FloatRange(min=0), default=1800.0, show_default=True,
              help="Give up waiting after this many seconds (then resume with --id).")
@pass_session
def download(
    session: Session, kind: str, since: datetime | None, until: datetime | None, download_id: str | None,
    path: Path | None, poll_interval: float, timeout: float,
) -> None:
    """Download order, trade or transaction (income) history as CSV.

    Requests a file for the window, waits until Binance has prepared it (a progress indicator shows
    on a terminal), then streams it to FILE or stdout.
    """
    if download_id is None and since is None:
        raise click.UsageError("--since is required (or --id to wait for an earlier request)")
    history = session.history
    display = _DownloadDisplay(kind.lower(), announce=download_id is None)
    destination = path if path is not None else _stdout_bytes()
    polling = {"poll_interval": poll_interval, "max_poll_interval": max(poll_interval, MAX_POLL_INTERVAL),
               "timeout": timeout}
    try:
        if download_id is None:
            start, end = _window(since, until, DEFAULT_WINDOW)
            result = history.download(kind, start, end, destination, progress=display, **polling)
        else:
            result = history.fetch_download(kind, download_id, destination, progress=display, **polling)
    except DownloadTimeout as exc:
        raise CommandError(
            f"download {exc.download_id} not ready after {timeout:g} s; resume with --id {exc.download_id}"
        ) from None
    except OSError as exc:
        raise CommandError(f"cannot write {path or 'stdout'}: {exc.strerror or exc}") from None
    finally:
        display.stop()
    if path is not None:
        note(f"usdm: wrote {result.size} bytes to {path}")


class _DownloadDisplay:
    """The library's download progress on stderr: the new download's id (on a terminal), a spinner
    while Binance prepares the file, then a byte counter."""

    def __init__(self, kind: str, *, announce: bool) -> None:
        self._kind = kind
        self._announce = announce
        self._stage = ""
        self._bar: Progress | None = None

    def __call__(self, event: DownloadProgress) -> None:
        if self._announce:
            self._announce = False
            note(f"usdm: download id {event.download_id} (resume with --id {event.download_id})")
        if event.stage != self._stage:
            self.stop()
            self._stage = event.stage
            if event.stage == "waiting":
                self._bar = Progress(f"waiting for {self._kind} file {event.download_id}", unit="s").start()
            elif event.stage == "downloading":
                self._bar = Progress(f"fetching {self._kind} file", unit="bytes").start()
        if self._bar is not None:
            if event.stage == "waiting":
                self._bar.update(completed=event.waited)
            else:
                self._bar.update(completed=event.bytes_done, total=event.bytes_total)

    def stop(self) -> None:
        """Remove the bar drawn last."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _stdout_bytes() -> BinaryIO:
    sys.stdout.flush()
    return sys.stdout.buffer


COMMANDS: list[click.Command] = [income, margin_history, download]
