"""Output: tables (rich on a terminal, plain aligned text otherwise), JSON, and value formatting.

Colour is used only when stdout is a terminal (and ``NO_COLOR`` is not set); piped output is plain
text that ``grep``/``awk`` can read. JSON keeps every Decimal exact (as a string), datetimes as
ISO-8601 UTC and enums as their wire values.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import IO, Any, Literal

import click

Align = Literal["left", "right"]


def has_rich() -> bool:
    """True when the optional ``rich`` package is importable."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def is_tty(stream: IO[Any]) -> bool:
    """True when ``stream`` is an interactive terminal."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed
        return False


# --- values -------------------------------------------------------------------------------------
def fmt_decimal(value: Decimal | None, places: int | None = None) -> str:
    """A Decimal for reading: no exponent, no trailing zeros (``places`` rounds first)."""
    if value is None:
        return "-"
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    if value == 0:
        return "0"
    text = f"{value.normalize():f}"
    return text


def fmt_time(value: datetime | None) -> str:
    """``2024-05-01 12:30:00`` in UTC (``-`` when unknown)."""
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S")


def exact(value: Decimal) -> str:
    """A Decimal exactly as received, without exponent: ``0.00000000`` (``str`` would say ``0E-8``)."""
    return f"{value:f}"


def iso(value: datetime) -> str:
    """ISO-8601 with milliseconds (Binance's resolution) and the UTC offset."""
    return value.isoformat(timespec="milliseconds")


def pnl_style(value: Decimal | None) -> str | None:
    """Green for a gain, red for a loss."""
    if value is None or value == 0:
        return None
    return "green" if value > 0 else "red"


# --- JSON ----------------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return exact(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def to_json(data: Any, *, indent: int | None = 2) -> str:
    """JSON text with exact decimals (strings), ISO datetimes and wire-valued enums."""
    return json.dumps(data, default=_json_default, indent=indent, ensure_ascii=False)


def plain(value: Any) -> Any:
    """``value`` with models turned into dicts (for building JSON payloads)."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def write_json_array(stream: IO[str], items: Iterable[Any]) -> int:
    """Stream a JSON array, one element per line; returns the number of elements."""
    count = 0
    stream.write("[")
    for item in items:
        stream.write(",\n  " if count else "\n  ")
        stream.write(to_json(plain(item), indent=None))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


# --- tables -------------------------------------------------------------------------------------
Cell = str | tuple[str, str | None]
"""Text, or (text, rich style) for colour on a terminal."""


@dataclass(slots=True)
class Column:
    """A table column."""

    header: str
    align: Align = "left"


@dataclass(slots=True)
class Table:
    """A titled table of pre-formatted cells."""

    title: str | None
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    caption: str | None = None

    def add(self, *cells: Cell) -> None:
        """Append one row."""
        self.rows.append(list(cells))


def _text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell[0]


def _style(cell: Cell) -> str | None:
    return None if isinstance(cell, str) else cell[1]


def render_plain(table: Table) -> Iterator[str]:
    """Plain aligned text lines, two spaces between columns."""
    if table.title:
        yield table.title
    widths = [len(c.header) for c in table.columns]
    for row in table.rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(_text(cell)))

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if table.columns[i].align == "right" else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    yield line([c.header for c in table.columns])
    for row in table.rows:
        yield line([_text(cell) for cell in row])
    if table.caption:
        yield table.caption


class Output:
    """Writes to stdout: rich tables and colour on a terminal when rich is installed, else plain text."""

    def __init__(self, *, fancy: bool | None = None, stream: IO[str] | None = None) -> None:
        self.stream = stream
        if fancy is None:
            fancy = is_tty(self._out()) and has_rich()
        self.fancy = fancy
        self._console: Any = None
        self._first = True

    def _out(self) -> IO[str]:
        return self.stream if self.stream is not None else sys.stdout

    def _rich_console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self._out(), highlight=False, soft_wrap=False)
        return self._console

    def _gap(self) -> None:
        if not self._first:
            self.echo("")
        self._first = False

    def echo(self, text: str = "", style: str | None = None) -> None:
        """One line of text (coloured on a terminal)."""
        if self.fancy and style:
            from rich.text import Text

            self._rich_console().print(Text(text, style=style))
        else:
            click.echo(text, file=self._out())

    def table(self, table: Table) -> None:
        """Print a table (a blank line separates it from earlier output)."""
        self._gap()
        if not self.fancy:
            for text in render_plain(table):
                click.echo(text, file=self._out())
            return
        from rich import box
        from rich.table import Table as RichTable
        from rich.text import Text

        console = self._rich_console()
        rt = RichTable(
            title=table.title, title_justify="left", title_style="bold", caption=table.caption,
            caption_justify="left", box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False,
        )
        widths = [
            max([len(column.header)] + [len(_text(row[i])) for row in table.rows])
            for i, column in enumerate(table.columns)
        ]
        if sum(widths) + 3 * len(widths) > console.width:  # would cut numbers: plain lines instead
            for text in render_plain(table):
                click.echo(text, file=self._out())
            return
        for column in table.columns:
            rt.add_column(column.header, justify=column.align, no_wrap=True)
        for row in table.rows:
            rt.add_row(*(Text(_text(cell), style=_style(cell) or "") for cell in row))
        console.print(rt)

    def fields(self, title: str | None, pairs: Sequence[tuple[str, Cell]]) -> None:
        """A block of ``label  value`` lines."""
        self._gap()
        if title:
            self.echo(title, "bold")
        width = max((len(label) for label, _ in pairs), default=0)
        for label, value in pairs:
            if self.fancy:
                from rich.text import Text

                line = Text(f"{label.ljust(width)}  ")
                line.append(_text(value), style=_style(value) or "")
                self._rich_console().print(line)
            else:
                click.echo(f"{label.ljust(width)}  {_text(value)}", file=self._out())

    def json(self, data: Any) -> None:
        """Print ``data`` as JSON (models become dicts)."""
        click.echo(to_json(plain(data)), file=self._out())
