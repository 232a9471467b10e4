"""History commands: income (every page of a window), margin-history, download (async files)."""

from __future__ import annotations

import itertools
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO

import click
from click.shell_completion import CompletionItem

from binance_usdm import models as m
from binance_usdm.cli import paging
from binance_usdm.cli.cmd_read import signed
from binance_usdm.cli.options import SYMBOL, format_option, pass_session
from binance_usdm.cli.progress import Progress
from binance_usdm.cli.render import (
    Cell,
    Column,
    Output,
    Table,
    fmt_decimal,
    fmt_time,
    is_tty,
    iso,
    write_csv,
    write_json_array,
)
from binance_usdm.cli.session import CommandError, Session
from binance_usdm.cli.timeparse import TIME
from binance_usdm.enums import IncomeType, MarginChangeDirection
from binance_usdm.models._base import to_ms

DEFAULT_WINDOW = timedelta(days=7)
INCOME_CSV_HEADER = ("time", "symbol", "income_type", "income", "asset", "tran_id", "trade_id", "info")


def _complete_income_type(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(t.value) for t in IncomeType if t.value.startswith(incomplete.upper())]


def _window(since: datetime | None, until: datetime | None, default: timedelta) -> tuple[datetime, datetime]:
    end = until or datetime.now(UTC)
    start = since or end - default
    if start > end:
        raise click.BadParameter(f"--since ({iso(start)}) is after --until ({iso(end)})", param_hint="--since")
    return start, end


@contextmanager
def _text_output(path: Path | None) -> Iterator[IO[str]]:
    """stdout, or ``path`` written via ``path.part`` and renamed once complete."""
    if path is None:
        yield sys.stdout
        return
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


# --- income -------------------------------------------------------------------------------------
INCOME_EPILOG = """\b
Examples:
  usdm income                                  # the last 7 days
  usdm income --type FUNDING_FEE --since 30d
  usdm income --since 2024-05-01 --until 2024-06-01 --format csv -o income.csv
  usdm income --symbol BTCUSDT --format json | jq length

\b
--since/--until take ISO dates or datetimes (UTC unless an offset is
given) or ages before now: 90m, 12h, 7d, 2w.
Binance keeps three months of income history.
"""


@click.command("income", epilog=INCOME_EPILOG)
@click.option("--symbol", type=SYMBOL, help="Only this symbol.")
@click.option("--type", "income_type", metavar="TYPE", shell_complete=_complete_income_type,
              help="Only this income type (FUNDING_FEE, COMMISSION, REALIZED_PNL, TRANSFER, ...).")
@click.option("--since", type=TIME, help="Start of the window (default: 7 days before --until).")
@click.option("--until", type=TIME, help="End of the window (default: now).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many records.")
@format_option("table", "json", "csv", help="Output format: table (default), json or csv.")
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
    kind = None if income_type is None else income_type.strip().upper()
    api = session.account
    chosen = session.format(fmt)
    with Progress("income", total=max(to_ms(end) - to_ms(start), 1)) as progress:

        def on_page(count: int, covered_ms: int) -> None:
            progress.update(completed=covered_ms, description=f"income: {count} records")

        records: Iterator[m.IncomeRecord] = paging.iter_income(
            api, start, end, symbol=symbol, income_type=kind, on_page=on_page
        )
        if limit is not None:
            records = itertools.islice(records, limit)
        with _text_output(path) as stream:
            if chosen == "json":
                count = write_json_array(stream, records)
            elif chosen == "csv":
                count = write_csv(stream, INCOME_CSV_HEADER, (
                    (r.time, r.symbol, r.income_type, r.income, r.asset, r.tran_id, r.trade_id, r.info)
                    for r in records
                ))
            else:
                rows = list(records)
                count = len(rows)
                _income_table(Output(stream=stream, fancy=None if path is None else False), rows, start, end)
    if path is not None:
        click.echo(f"usdm: wrote {count} income records to {path}", err=True)


def _income_table(out: Output, rows: list[m.IncomeRecord], start: datetime, end: datetime) -> None:
    window = f"{fmt_time(start)} .. {fmt_time(end)} UTC"
    if not rows:
        out.echo(f"No income records from {window}.")
        return
    table = Table(None, [
        Column("TIME (UTC)"), Column("SYMBOL"), Column("TYPE"), Column("AMOUNT", "right"), Column("ASSET"),
        Column("TRAN ID", "right"), Column("INFO"),
    ])
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        kind = str(r.income_type.value)
        sums[(kind, r.asset)] += r.income
        table.add(fmt_time(r.time), r.symbol or "-", kind, signed(r.income), r.asset, str(r.tran_id),
                  r.info if r.info != kind else "")
    out.table(table)
    totals = Table(f"Totals, {len(rows)} records from {window}", [
        Column("TYPE"), Column("ASSET"), Column("TOTAL", "right"),
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
Binance keeps 30 days; one query spans at most 30 days.
"""


@click.command("margin-history", epilog=MARGIN_EPILOG)
@click.argument("symbol", type=SYMBOL)
@click.option("--type", "direction", type=click.Choice(["add", "reduce"], case_sensitive=False),
              help="Only additions or only reductions.")
@click.option("--since", type=TIME, help="Start of the window.")
@click.option("--until", type=TIME, help="End of the window.")
@click.option("--limit", type=click.IntRange(1, 1000), help="At most this many records.")
@format_option()
@pass_session
def margin_history(
    session: Session, symbol: str, direction: str | None, since: datetime | None, until: datetime | None,
    limit: int | None, fmt: str | None,
) -> None:
    """Isolated position-margin changes of SYMBOL (your adjustments and those made by trades)."""
    kind = None
    if direction is not None:
        kind = MarginChangeDirection.ADD if direction.lower() == "add" else MarginChangeDirection.REDUCE
    if since is not None and until is not None and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    rows = session.account.get_margin_change_history(symbol, kind, since, until, limit).unwrap()
    out = session.output()
    if session.format(fmt) == "json":
        out.json(rows)
        return
    if not rows:
        out.echo(f"No margin changes for {symbol}.")
        return
    table = Table(None, [
        Column("TIME (UTC)"), Column("SYMBOL"), Column("SIDE"), Column("CHANGE"), Column("AMOUNT", "right"),
        Column("ASSET"), Column("ORIGIN"),
    ])
    for r in rows:
        add = r.type is MarginChangeDirection.ADD
        origin = "-" if r.delta_type is None else str(r.delta_type.value).lower().replace("_", " ")
        change: Cell = ("add", "green") if add else ("reduce", "red")
        table.add(fmt_time(r.time), r.symbol, str(r.position_side.value), change, fmt_decimal(r.amount),
                  r.asset, origin)
    out.table(table)


# --- download -----------------------------------------------------------------------------------
DOWNLOAD_EPILOG = """\b
Examples:
  usdm download transactions --since 2024-01-01 --until 2024-03-31 -o income.csv
  usdm download trades --since 30d > trades.csv
  usdm download orders --id 545923594199212032 -o orders.csv   # resume waiting for a file

\b
Binance prepares the file asynchronously (it can take minutes) and limits requests per month
(orders 10, trades 5, transactions 100); a window spans at most one year.
"""


@click.command("download", epilog=DOWNLOAD_EPILOG)
@click.argument("kind", type=click.Choice(paging.KINDS, case_sensitive=False))
@click.option("--since", type=TIME, help="Start of the window (required unless --id).")
@click.option("--until", type=TIME, help="End of the window (default: now).")
@click.option("--id", "download_id", metavar="DOWNLOAD_ID", help="Wait for an earlier request instead.")
@click.option("-o", "--output", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the CSV to this file instead of stdout.")
@click.option("--poll-interval", type=click.FloatRange(min=0.05), default=2.0, show_default=True,
              help="Seconds between status checks.")
@click.option("--timeout", type=click.FloatRange(min=0), default=1800.0, show_default=True,
              help="Give up waiting after this many seconds.")
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
    ops = paging.download_ops(session.account, kind.lower())
    tty = is_tty(sys.stderr)
    if download_id is None:
        assert since is not None
        start, end = _window(since, until, DEFAULT_WINDOW)
        download_id = ops.request(start, end).download_id
        if tty:
            click.echo(f"usdm: download id {download_id} (resume with --id {download_id})", err=True)
    with Progress(f"waiting for {kind} file {download_id}") as progress:
        try:
            link = paging.wait_for_link(
                ops, download_id, interval=poll_interval, timeout=timeout,
                on_poll=lambda waited: progress.update(completed=waited),
            )
        except paging.DownloadFailed as exc:
            raise CommandError(str(exc)) from None
    with Progress(f"fetching {kind} file", unit="bytes") as progress:

        def on_bytes(done: int, total: int | None) -> None:
            progress.update(completed=done, total=total)

        try:
            if path is None:
                size = paging.stream_url(link.url, _stdout_bytes(), on_bytes=on_bytes)
            else:
                size = paging.stream_to_file(link.url, path, on_bytes=on_bytes)
        except paging.DownloadFailed as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    if path is not None:
        click.echo(f"usdm: wrote {size} bytes to {path}", err=True)


def _stdout_bytes() -> IO[bytes]:
    sys.stdout.flush()
    return sys.stdout.buffer


COMMANDS: list[click.Command] = [income, margin_history, download]
