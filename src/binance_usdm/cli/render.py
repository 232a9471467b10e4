"""Output: tables and label/value blocks that fit the terminal, JSON, and value formatting.

Every table is laid out here, whatever the destination, so one screen has one style. On a terminal a
table never wraps: when its columns do not fit the width, headers are abbreviated, then the least
important columns are hidden (a caption names them), and as a last resort each row is stacked as a
block of ``label  value`` lines. Piped output keeps every column and no colour, for ``grep``/``awk``.
A column empty in every row is left out wherever the table goes. Control and format characters in
the text (a hostile server's escape sequences) are shown as escapes, never sent to the terminal.
Colour (bold titles, green/red amounts) only on a terminal and only without ``NO_COLOR``.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO, Any, Literal

import click
import msgspec

from binance_usdm.serialize import to_json_text

Align = Literal["left", "right"]
MAX_PLACES = 8
"""Most decimals a number column shows (Binance's amounts have at most 8)."""
GAP = "  "
MIN_STACKED_VALUE = 8

_ANSI = {"bold": "1", "green": "32", "red": "31", "yellow": "33", "dim": "2"}


def printable(text: str) -> str:
    """``text`` as a terminal may show it: a control or format character (the ESC of an escape
    sequence, a bidi override) in a server's text is written as its escape (``\\x1b``, ``\\u202e``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def text_width(text: str) -> int:
    """The terminal columns ``text`` takes: two for a wide character (CJK, as in the symbol 币安人生USDT)."""
    if text.isascii():
        return len(text)
    from unicodedata import east_asian_width  # (text beyond ASCII is rare in a table)

    return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` terminal columns, an ellipsis marking the cut."""
    if text_width(text) <= width:
        return text
    room, kept = width - 1, []
    for char in text:
        room -= text_width(char)
        if room < 0:
            break
        kept.append(char)
    return "".join(kept) + "…"


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


def terminal_width(stream: IO[Any]) -> int | None:
    """Columns of the terminal ``stream`` writes to (``$COLUMNS`` wins); None when it is no terminal."""
    if not is_tty(stream):
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns or None
    except (OSError, ValueError, AttributeError):
        return None


# --- values -------------------------------------------------------------------------------------
def fmt_decimal(value: Decimal | None, places: int | None = None) -> str:
    """A Decimal for reading: no exponent, no trailing zeros (``places`` rounds first); zero is ``0``."""
    if value is None:
        return "-"
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    if value == 0:
        return "0"
    return f"{value.normalize():f}"


def decimals_of(value: Decimal) -> int:
    """Decimal places ``value`` needs (``1.50`` needs 1, ``100`` none)."""
    if not value.is_finite() or value == 0:
        return 0
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fixed(value: Decimal, places: int, *, sign: bool = False) -> str:
    """``value`` with exactly ``places`` decimals (zero without a sign), e.g. ``+562.43``."""
    rounded = value.quantize(Decimal(1).scaleb(-places)) if places or value != value.to_integral() else value
    if rounded == 0:
        rounded = abs(rounded)
    text = f"{rounded:.{places}f}"
    return "+" + text if sign and rounded > 0 else text


def fmt_time(value: datetime | None) -> str:
    """``2024-05-01 12:30:00`` in UTC (``-`` when unknown)."""
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S")


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 record``, ``2 records``, ``0 records``."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def pnl_style(value: Decimal | None) -> str | None:
    """Green for a gain, red for a loss."""
    if value is None or value == 0:
        return None
    return "green" if value > 0 else "red"


# --- JSON ----------------------------------------------------------------------------------------
def to_json(data: Any, *, indent: int | None = 2) -> str:
    """JSON text of ``data`` in the one serialization of ``binance_usdm.serialize``."""
    return to_json_text(data, indent=indent)


def write_json_array(stream: IO[str], items: Any) -> int:
    """Stream a JSON array, one element per line; returns the number of elements."""
    count = 0
    stream.write("[")
    for item in items:
        stream.write(",\n  " if count else "\n  ")
        stream.write(to_json(item, indent=None))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


# --- tables -------------------------------------------------------------------------------------
Value = str | Decimal | None
Cell = Value | tuple[Value, str | None]
"""Text or a number (``None``: unknown, shown ``-``), or (value, style) for colour on a terminal."""
Segment = tuple[str, str | None]
Line = list[Segment]


class Column(msgspec.Struct):
    """A table column. Numbers (Decimal cells) are right-aligned with the same decimals down the
    column; ``signed`` writes a ``+`` on gains. Columns of a higher ``priority`` number are hidden
    first when the table does not fit; ``short`` is the header used when space is short."""

    header: str
    align: Align = "left"
    short: str | None = None
    priority: int = 0
    signed: bool = False


class Table(msgspec.Struct):
    """A titled table of cells."""

    title: str | None
    columns: list[Column]
    rows: list[list[Cell]] = msgspec.field(default_factory=list)
    caption: str | None = None

    def add(self, *cells: Cell) -> None:
        """Append one row."""
        self.rows.append(list(cells))


def _value(cell: Cell) -> Value:
    return cell[0] if isinstance(cell, tuple) else cell


def _style(cell: Cell) -> str | None:
    return cell[1] if isinstance(cell, tuple) else None


def _column_texts(table: Table, index: int) -> list[Segment]:
    """The cells of column ``index`` as text, numbers with the column's decimals."""
    column = table.columns[index]
    cells = [row[index] for row in table.rows]
    numbers = [v for v in map(_value, cells) if isinstance(v, Decimal)]
    places = min(MAX_PLACES, max(map(decimals_of, numbers), default=0))
    texts: list[Segment] = []
    for cell in cells:
        value = _value(cell)
        if isinstance(value, Decimal):
            text = fixed(value, places, sign=column.signed)
        else:
            text = "-" if value is None else printable(value)
        texts.append((text, _style(cell)))
    return texts


def _is_number_column(table: Table, index: int) -> bool:
    return any(isinstance(_value(row[index]), Decimal) for row in table.rows)


def _grid(table: Table, shown: list[int], texts: list[list[Segment]], short: bool) -> list[Line]:
    headers = [(table.columns[i].short or table.columns[i].header) if short else table.columns[i].header
               for i in shown]
    widths = [max([len(h)] + [text_width(t) for t, _ in texts[i]]) for h, i in zip(headers, shown, strict=True)]
    right = [table.columns[i].align == "right" or _is_number_column(table, i) for i in shown]

    def line(cells: Sequence[Segment], style: str | None = None) -> Line:
        out: Line = []
        for n, ((text, cell_style), width) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (width - text_width(text))
            last = n == len(cells) - 1
            if right[n]:
                out.append((pad, None))
                out.append((text, style or cell_style))
            else:
                out.append((text, style or cell_style))
                if not last:
                    out.append((pad, None))
            if not last:
                out.append((GAP, None))
        return out

    lines = [line([(h, None) for h in headers], "bold")]
    lines.extend(line([texts[i][r] for i in shown]) for r in range(len(table.rows)))
    return lines


def _widest(lines: list[Line]) -> int:
    return max(sum(text_width(text) for text, _ in line) for line in lines)


def _stacked(table: Table, shown: list[int], texts: list[list[Segment]], width: int | None) -> list[Line]:
    """Each row as a block of ``label  value`` lines (a blank line between rows)."""
    label_width = max(len(table.columns[i].header) for i in shown)
    room = None if width is None else width - label_width - len(GAP)
    if room is not None and room < MIN_STACKED_VALUE:  # too narrow to help: let the terminal wrap
        room = None
    lines: list[Line] = []
    for r in range(len(table.rows)):
        if r:
            lines.append([])
        for i in shown:
            column = table.columns[i]
            text, style = texts[i][r]
            if room is not None:
                text = clip(text, room)
            lines.append([(column.header.ljust(label_width) + GAP, "bold"), (text, style)])
    return lines


def layout(table: Table, width: int | None) -> Iterator[Line]:
    """The table's lines, fitted to ``width`` columns (None: no limit, every column). A column empty in
    every row is left out (an empty cell is no field for ``awk`` either)."""
    texts = [_column_texts(table, i) for i in range(len(table.columns))]
    every = [i for i in range(len(table.columns)) if not table.rows or any(text for text, _ in texts[i])]
    hidden: list[int] = []
    grid = _grid(table, every, texts, short=False)
    if width is not None and _widest(grid) > width:
        grid = _grid(table, every, texts, short=True)
        shown = every
        for level in sorted({c.priority for c in table.columns if c.priority > 0}, reverse=True):
            if _widest(grid) <= width:
                break
            shown = [i for i in shown if table.columns[i].priority < level]
            grid = _grid(table, shown, texts, short=True)
        hidden = [i for i in every if i not in shown]
        if _widest(grid) > width:
            grid, hidden = _stacked(table, every, texts, width), []
    if table.title:
        for text in wrap(printable(table.title), width):
            yield [(text, "bold")]
    yield from grid
    notes = [printable(table.caption)] if table.caption else []
    if hidden:
        names = ", ".join(table.columns[i].header for i in hidden)
        notes.append(f"Hidden at this width: {names} (--format json has every field).")
    for note in notes:
        for text in wrap(note, width):
            yield [(text, "dim")]


def note(text: str) -> None:
    """A line for the person on stderr (``usdm: ...``), broken at spaces to the terminal's width."""
    width = terminal_width(sys.stderr)
    text = printable(text)
    for part in wrap(text, width):
        print(part, file=sys.stderr)  # sys.stderr at call time: above a live progress bar, not through it


def wrap(text: str, width: int | None, *, indent: str = "", break_long_words: bool = True) -> list[str]:
    """``text`` as it is when it fits ``width`` terminal columns (None: no limit), else in lines of at
    most that many, broken at spaces (a longer word broken too with ``break_long_words``; the lines
    after the first start with ``indent``). Text with wide characters (CJK) is measured in columns."""
    if not width or text_width(text) <= width:
        return [text]
    if text_width(text) == len(text):
        return textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False,
                             break_long_words=break_long_words) or [""]
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else (indent if lines else "") + word
        if line and text_width(joined) > width:
            lines.append(line)
            line = indent + word
        else:
            line = joined
    return [*lines, line]


def render_plain(table: Table, width: int | None = None) -> Iterator[str]:
    """The table as plain text lines (two spaces between columns)."""
    for line in layout(table, width):
        yield "".join(text for text, _ in line).rstrip()


class Output:
    """Writes to stdout (or ``stream``): fitted to the terminal's width, coloured on a terminal."""

    def __init__(self, *, fancy: bool | None = None, stream: IO[str] | None = None,
                 width: int | None = None) -> None:
        self.stream = stream
        out = self._out()
        if fancy is None:
            fancy = is_tty(out) and not os.environ.get("NO_COLOR")
        self.fancy = fancy
        self.width = width if width is not None else terminal_width(out)
        self._first = True

    def _out(self) -> IO[str]:
        return self.stream if self.stream is not None else sys.stdout

    def _write(self, line: Line) -> None:
        if self.fancy:
            text = "".join(
                f"\x1b[{_ANSI[style]}m{part}\x1b[0m" if style in _ANSI and part else part for part, style in line
            )
        else:
            text = "".join(part for part, _ in line)
        click.echo(text.rstrip(), file=self._out(), color=self.fancy)

    def _gap(self) -> None:
        if not self._first:
            self.echo("")
        self._first = False

    def echo(self, text: str = "", style: str | None = None) -> None:
        """A line of text (coloured on a terminal), broken at spaces to the terminal's width."""
        text = printable(text)
        for part in wrap(text, self.width):
            self._write([(part, style)])

    def table(self, table: Table) -> None:
        """Print a table (a blank line separates it from earlier output)."""
        self._gap()
        for line in layout(table, self.width):
            self._write(line)

    def fields(self, title: str | None, pairs: Sequence[tuple[str, Cell]]) -> None:
        """A block of ``label  value`` lines; a value too long for the terminal continues indented."""
        self._gap()
        if title:
            for text in wrap(title, self.width):
                self.echo(text, "bold")
        width = max((len(label) for label, _ in pairs), default=0)
        room = None if self.width is None else max(10, self.width - width - len(GAP))
        for label, cell in pairs:
            value = _value(cell)
            text = "-" if value is None else fmt_decimal(value) if isinstance(value, Decimal) else printable(value)
            parts = wrap(text, room)
            self._write([(label.ljust(width) + GAP, None), (parts[0], _style(cell))])
            for part in parts[1:]:
                self._write([(" " * (width + len(GAP)) + part, _style(cell))])

    def json(self, data: Any) -> None:
        """Print ``data`` as JSON (models become dicts)."""
        click.echo(to_json(data), file=self._out())
