"""Appending a journal frame: the system calls a file offers beside a copy into a memory map, and ours.

    python benchmarks/bench_journal_append.py [--frames 200000] [--dir DIRECTORY]

Each row appends `--frames` lines of one leverage change's size (a frame of the emulator's account
journal, `binance_usdm.emulator.journal`) to a new file in `--dir` (default: the system's temporary
directory; give the directory your state files live in), and prints the wall and CPU time per line
(page faults and the file's growth included). In a loop the kernel's write path stays in the caches;
under a server's load each `write` cost several times as much (benchmarks/README.md, sessions 29
and 30), while a copy into a map is no system call at all.
"""

from __future__ import annotations

import argparse
import mmap
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from binance_usdm.emulator.journal import Journal

#: One leverage change's journal entry: [account id, header, symbols, positions, update time, replace].
ENTRY: list[Any] = ["demo", None, {"BNBUSDT": {"leverage": 7, "marginType": "CROSSED"}}, [], 1764763200000, False]


_ENTRY_JSON = msgspec.json.encode(ENTRY)


def _line(seq: int) -> bytes:
    """A line of the size `Journal.append` writes for `ENTRY` (its checksum and JSON, not its format)."""
    return b'%08x ["0123456789abcdef",%d,[%s]]\n' % (0, seq, _ENTRY_JSON)


def _room(fd: int, frames: int) -> int:
    """Write zeros ahead for `frames` lines (and a page more) into `fd`; their size."""
    size = frames * len(_line(frames)) + 4096
    os.pwrite(fd, bytes(size), 0)
    return size


def _write_append(path: str, frames: int) -> None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for seq in range(frames):
            os.write(fd, _line(seq))
    finally:
        os.close(fd)


def _pwrite_room(path: str, frames: int) -> None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _room(fd, frames)
        offset = 0
        for seq in range(frames):
            line = _line(seq)
            os.pwrite(fd, line, offset)
            offset += len(line)
    finally:
        os.close(fd)


def _mmap_copy(path: str, frames: int) -> None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        with mmap.mmap(fd, _room(fd, frames)) as room:
            offset = 0
            for seq in range(frames):
                line = _line(seq)
                room[offset:offset + len(line)] = line
                offset += len(line)
    finally:
        os.close(fd)


def _journal(path: str, frames: int) -> None:
    journal = Journal(path)
    try:
        journal.make_room()
        for seq in range(frames):
            journal.append("0123456789abcdef", seq, [ENTRY])
    finally:
        journal.close()


def _line_only(path: str, frames: int) -> None:
    for seq in range(frames):
        _line(seq)


ROWS: dict[str, Callable[[str, int], None]] = {
    "making the line alone (subtracted from the rows below it)": _line_only,
    "os.write, O_APPEND (the journal until session 30)": _write_append,
    "os.pwrite into room written ahead": _pwrite_room,
    "copy into a shared memory map of room written ahead": _mmap_copy,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--dir", type=Path, default=None, help="where the files go (default: the temporary directory)")
    args = ap.parse_args()
    frames = args.frames
    print(f"{frames:,} lines of {len(_line(0))} bytes; µs per line\n")
    print("| append | wall | CPU |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        base = None
        for label, append in ROWS.items():
            wall, cpu = _timed(append, os.path.join(directory, label[:8].replace(" ", "_")), frames)
            if base is None:
                base = wall, cpu
                print(f"| {label} | {wall:.2f} | {cpu:.2f} |")
                continue
            print(f"| {label} | {wall - base[0]:.2f} | {cpu - base[1]:.2f} |")
        wall, cpu = _timed(_journal, os.path.join(directory, "journal"), frames)
        label = "`Journal.append` (encodes the entry, checksums, copies into its map: all of it)"
        print(f"| {label} | {wall:.2f} | {cpu:.2f} |")


def _timed(append: Callable[[str, int], None], path: str, frames: int) -> tuple[float, float]:
    """`append(path, frames)`'s wall and CPU microseconds per line."""
    wall, cpu = time.perf_counter(), time.process_time()
    append(path, frames)
    return (time.perf_counter() - wall) / frames * 1e6, (time.process_time() - cpu) / frames * 1e6


if __name__ == "__main__":
    script_entry.run(main)
