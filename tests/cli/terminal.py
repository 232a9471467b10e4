"""Run ``usdm`` on a pseudo-terminal of a given width and read back what the screen shows."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import unicodedata
from dataclasses import dataclass

import pyte

from binance_usdm.cli.main import main

CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""ANSI control sequences (colour, cursor moves, erasing)."""


def columns(text: str) -> int:
    """The terminal columns ``text`` takes (an East Asian wide character, as in 币安人生USDT, takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@dataclass
class Screen:
    """What a terminal of ``columns`` shows after the command (``lines``) and the bytes it was sent."""

    columns: int
    raw: str
    lines: list[str]
    exit_code: int

    def longest_line(self) -> int:
        """Width of the longest line the command wrote (control sequences do not count; a progress
        line rewritten with ``\\r`` counts as its last state)."""
        widths = [columns(CSI.sub("", line).split("\r")[-1]) for line in self.raw.split("\n")]
        return max(widths, default=0)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip("\n")


def _terminal(columns: int, rows: int) -> tuple[int, int]:
    """A pseudo-terminal of ``columns`` x ``rows``: (master, slave) descriptors."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return master, slave


def _screen(chunks: list[bytes], columns: int, rows: int, code: int) -> Screen:
    """What a terminal shows after receiving ``chunks``."""
    raw = b"".join(chunks).decode("utf-8", "replace")
    screen = pyte.Screen(columns, rows)
    pyte.Stream(screen).feed(raw)
    return Screen(columns, raw.replace("\r\n", "\n"), [line.rstrip() for line in screen.display], code)


def on_terminal(args: list[str], columns: int, rows: int = 300) -> Screen:
    """Run ``usdm ARGS`` in this process with stdout and stderr on a pseudo-terminal ``columns`` wide."""
    master, slave = _terminal(columns, rows)
    chunks: list[bytes] = []

    def read() -> None:
        while _read_into(chunks, master):
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    out = open(slave, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    try:
        main(args)  # the script's entry point: its error display and exit codes
    except SystemExit as done:
        code = done.code
    finally:
        sys.stdout, sys.stderr = saved
        out.close()
        os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    return _screen(chunks, columns, rows, code if isinstance(code, int) else 0)


def _take_terminal() -> None:
    """In the child, in its own session: make the terminal on stdin its controlling terminal, so
    Ctrl-C typed there interrupts it, as in a shell."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_into(chunks: list[bytes], master: int) -> bool:
    """Append what the terminal has to ``chunks``; False once every writer has closed it (EIO)."""
    try:
        data = os.read(master, 65536)
    except OSError:
        return False
    chunks.append(data)
    return bool(data)


def process_on_terminal(argv: list[str], columns: int, until: str | None, env: dict[str, str],
                        stop: signal.Signals | bytes = signal.SIGINT, timeout: float = 30,
                        cwd: str | None = None) -> Screen:
    """Run ``argv`` as a process on a pseudo-terminal ``columns`` wide until the screen shows
    ``until`` (and nothing more arrives for 0.3 s), then send it ``stop`` (a signal, or keys typed on the terminal: ``b"\\x03"`` is
    Ctrl-C, echoed as ``^C``) and read the rest: a long-running command (``usdm watch``,
    ``usdm emulator``) as a person sees it. With ``until`` None, the process ends by itself."""
    master, slave = _terminal(columns, 300)
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True,
                               start_new_session=True, preexec_fn=_take_terminal)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while until is not None and until.encode() not in b"".join(chunks):
            assert time.monotonic() < deadline, f"{until!r} never showed: {b''.join(chunks)!r}"
            if select.select([master], [], [], 0.1)[0] and not _read_into(chunks, master):
                break
        while until is not None and select.select([master], [], [], 0.3)[0]:  # the screen settles first
            if not _read_into(chunks, master):
                break
        if isinstance(stop, bytes):
            os.write(master, stop)
        elif until is not None:
            process.send_signal(stop)
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.1)[0]:
                if process.poll() is not None:
                    break
            elif not _read_into(chunks, master):
                break
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    return _screen(chunks, columns, 300, code)
