"""The account journal: account-row changes appended to a file beside a state file, one write each.

A batch of account-state changes (`Store.claim`) is made durable by one `os.write` of one frame here
instead of an SQLite transaction (~20 µs of CPU, half of it in the kernel, against ~1 µs): a write
the kernel has accepted survives the process dying, as a commit of SQLite's WAL does without
`--fsync` (with it there is no journal). The store folds the journal's changes into its account rows
later, in an SQLite transaction that records the last frame folded (`Store` module docstring).

A frame is one line: the CRC-32 of its payload (8 hex digits), a space, the payload (JSON: the
state file's journal id, the frame's sequence number, and its entries: the store's account rows), a
newline. Reading stops at the first frame that is incomplete or does not check: only the last frame
can be, and it was never acknowledged (an append that fails is cut off again, and when even that
fails nothing more is appended). One process writes the journal: the one holding its lock (`flock`);
another process on the same state file only reads it.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from typing import Any, NamedTuple

import msgspec

_encode = msgspec.json.Encoder().encode
_decode_frame = msgspec.json.Decoder(tuple[str, int, list[Any]]).decode  # [journal id, seq, entries]


def held(path: str) -> bool:
    """Whether an open `Journal` (of this process or another) holds the lock of the journal at `path`:
    an emulator is writing its state file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class Frame(NamedTuple):
    """One appended batch: its sequence number and its entries (JSON values, as appended)."""

    seq: int
    entries: list[Any]


class Journal:
    """The journal file of a state file (module docstring). `owned`: this process may append."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.owned = True
        except BlockingIOError:
            self.owned = False
        #: False once a failed append could not be cut off (nothing more may follow it).
        self.writable = self.owned
        self._size = os.fstat(self._fd).st_size

    def close(self) -> None:
        """Close the file (releasing the lock)."""
        os.close(self._fd)

    def read(self, journal_id: str, after: int = 0) -> list[Frame]:
        """The frames of `journal_id` (the state file's) numbered above `after`, in order, up to the first
        frame that does not check."""
        data = os.pread(self._fd, os.fstat(self._fd).st_size, 0)
        frames = []
        for line in data.split(b"\n")[:-1]:  # the part after the last newline is incomplete
            crc, _, payload = line.partition(b" ")
            try:
                if int(crc, 16) != zlib.crc32(payload):
                    break
                owner, seq, entries = _decode_frame(payload)
            except ValueError:  # not hex, not JSON, not [id, number, [entries]] (msgspec's errors are ValueErrors)
                break
            if owner == journal_id and seq > after:
                frames.append(Frame(seq, entries))
        return frames

    def append(self, journal_id: str, seq: int, entries: list[Any]) -> None:
        """Append one frame with one write; raises `OSError` (the file cut back to before it) when
        the write fails or is short."""
        payload = _encode([journal_id, seq, entries])
        frame = b"%08x %s\n" % (zlib.crc32(payload), payload)
        try:
            written = os.write(self._fd, frame)
        except OSError:
            self._cut()
            raise
        if written != len(frame):
            self._cut()
            raise OSError(f"the account journal took {written} of {len(frame)} bytes")
        self._size += written

    def clear(self) -> None:
        """Empty the file (after its frames were folded into the state file); raises `OSError`."""
        os.ftruncate(self._fd, 0)
        self._size = 0

    def _cut(self) -> None:
        """Remove what a failed append left at the end."""
        try:
            os.ftruncate(self._fd, self._size)
        except OSError:
            self.writable = False
