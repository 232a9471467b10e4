"""Progress for long work, on stderr: a rich bar on a terminal, a plain counter without rich, and
nothing at all when stderr is not a terminal (pipes, CI, log files)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, Any

from binance_usdm.cli.render import has_rich, is_tty, terminal_width


class Progress:
    """Reports progress of one task: a percentage of ``total``, bytes when ``unit="bytes"``, or
    (``total`` None) an elapsed-time spinner."""

    def __init__(self, description: str, total: float | None = None, *, enabled: bool | None = None,
                 unit: str = "") -> None:
        self._stream: IO[str] = sys.stderr
        self.enabled = is_tty(self._stream) if enabled is None else enabled
        self.description = description
        self.total = total
        self.completed = 0.0
        self.unit = unit
        self._rich: Any = None
        self._task: Any = None
        self._drawn = False

    def __enter__(self) -> Progress:
        return self.start()

    def start(self) -> Progress:
        """Draw the task (on a terminal); ``stop`` removes it."""
        if self.enabled and has_rich():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                SpinnerColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            count: Any = DownloadColumn() if self.unit == "bytes" else TaskProgressColumn()
            self._rich = RichProgress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), count, TimeElapsedColumn(),
                console=Console(file=self._stream, width=terminal_width(self._stream)), transient=True,
            )
            self._rich.start()
            self._task = self._rich.add_task(self.description, total=self.total)
        return self

    def update(self, *, advance: float = 0, completed: float | None = None, total: float | None = None,
               description: str | None = None) -> None:
        """Move the task on (any argument may be left out)."""
        self.completed = completed if completed is not None else self.completed + advance
        if total is not None:
            self.total = total
        if description is not None:
            self.description = description
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.update(self._task, completed=self.completed, total=self.total,
                              description=self.description)
            return
        if self.unit == "bytes":
            count = f"{int(self.completed)}" + ("" if self.total is None else f"/{int(self.total)}") + " bytes"
        elif self.total:
            count = f"{100 * self.completed / self.total:.0f}%"
        else:
            count = f"{self.completed:.0f}{self.unit}"
        self._stream.write(f"\r{self.description} {count}\x1b[K")
        self._stream.flush()
        self._drawn = True

    def stop(self) -> None:
        """Remove what was drawn."""
        if self._rich is not None:
            self._rich.stop()
            self._rich = None
        elif self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

