"""The account journal: account-row changes appended to a file beside a state file, one frame each.

A change of account state alone made at once (`Store.take_journal`), or a batch of them
(`Store.claim`), is made durable by one frame copied into a shared memory map of this file instead
of an SQLite transaction (~20 µs of CPU, half of it in the kernel): the copy lands in the kernel's
page cache, which survives the process dying, as a commit of SQLite's WAL does without `--fsync`
(with it there is no journal). No system call per frame: under load a `write` of one frame cost 3-7
µs of the kernel's time, a copy into the map ~0.2 µs. The store folds the journal's changes into its
account rows later, in an SQLite transaction that records the last frame folded (`Store` module
docstring).

A frame is one line: the CRC-32 of its payload (8 hex digits), a space, the payload (JSON: the state
file's journal id, the frame's sequence number, and its entries: the store's account rows), a
newline. The file is grown ahead of the frames, by writing zeros (so a full disk is an `OSError` of
the append that needed the room, not a fault of the copy into the map, on file systems that write in
place; a copy-on-write one, btrfs or ZFS, may still fault, ending the process before the frame is
acknowledged); the frames end at the first zero byte, which JSON never holds. Reading stops there,
or at the first frame that is incomplete or does not check: only the last frame can be, and it was
never acknowledged. Emptying the file (after a fold) zeroes what its frames took, in place. One
process writes the journal: the one holding its lock (`flock`); another process on the same state
file only reads it.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import zlib
from typing import Any, NamedTuple

import msgspec

_encode = msgspec.json.Encoder().encode
_decode_frame = msgspec.json.Decoder(tuple[str, int, list[Any]]).decode  # [journal id, seq, entries]
#: The room a writer first gives the file (then twice what it has, each time a frame needs more): the
#: frames between two folds of a leverage load take ~700 KB (`store.JOURNAL_FOLD_FRAMES` of ~110 bytes).
FIRST_SIZE = 1024 * 1024
_READ_PIECE = 64 * 1024
_ZEROS_PIECE = 1024 * 1024


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
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.owned = True
        except BlockingIOError:
            self.owned = False
        #: The writer's map of the file (`make_room`, or the first append), and where its next frame goes.
        self._map: mmap.mmap | None = None
        self._end = 0

    def close(self) -> None:
        """Close the file (releasing the lock)."""
        if self._map is not None:
            self._map.close()
            self._map = None
        os.close(self._fd)

    def read(self, journal_id: str, after: int = 0) -> list[Frame]:
        """The frames of `journal_id` (the state file's) numbered above `after`, in order, up to the first
        frame that does not check."""
        frames = []
        for line in self._frames_bytes().split(b"\n")[:-1]:  # the part after the last newline is incomplete
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

    def _frames_bytes(self) -> bytes:
        """The file's bytes up to its first zero byte, read a piece at a time (the room after the frames,
        zeros, is not read: a process on the same state file reads the journal before each commit)."""
        pieces = []
        offset = 0
        while True:
            piece = os.pread(self._fd, _READ_PIECE, offset)
            zero = piece.find(0)
            if zero >= 0:
                pieces.append(piece[:zero])
                break
            pieces.append(piece)
            if len(piece) < _READ_PIECE:
                break
            offset += len(piece)
        return b"".join(pieces)

    def append(self, journal_id: str, seq: int, entries: list[Any]) -> None:
        """Append one frame; raises `OSError`, appending nothing, when the file cannot grow to hold it."""
        payload = _encode([journal_id, seq, entries])
        frame = b"%08x %s\n" % (zlib.crc32(payload), payload)
        start = self._end
        end = start + len(frame)
        room = self._map
        if room is None or end > len(room):
            room = self._grow(end)
        room[start:end] = frame
        self._end = end

    def make_room(self) -> None:
        """As the writer, at start: map the whole file, grown to room for frames where it is shorter (so
        that appends only copy), and empty it in place: the frames a process left there (folded) are
        zeroed, the room it made is kept (not written again at each start). `OSError` when it cannot: a
        full disk, a file system that cannot map files."""
        room = self._grow(os.fstat(self._fd).st_size)
        end = room.find(b"\0")
        self._end = len(room) if end < 0 else end
        self.clear()

    def clear(self) -> None:
        """Empty the file (after its frames were folded into the state file); raises `OSError`."""
        if self._map is None:
            os.ftruncate(self._fd, 0)
        else:
            zeros = bytes(min(self._end, _ZEROS_PIECE))
            for start in range(0, self._end, _ZEROS_PIECE):
                end = min(start + _ZEROS_PIECE, self._end)
                self._map[start:end] = zeros[:end - start]
        self._end = 0

    def _grow(self, needed: int) -> mmap.mmap:
        """Map the file with room for `needed` bytes, writing zeros where it had none (`OSError`: the
        map as it was)."""
        size = os.fstat(self._fd).st_size
        want = FIRST_SIZE if self._map is None else 2 * len(self._map)
        while want < needed:
            want *= 2
        zeros = bytes(min(want - size, _ZEROS_PIECE)) if size < want else b""
        while size < want:  # (a piece at a time: a journal grown to hundreds of MB needs no such buffer)
            piece = zeros[:want - size]
            if os.pwrite(self._fd, piece, size) != len(piece):
                raise OSError(f"the account journal could not grow to {want} bytes")
            size += len(piece)
        room = mmap.mmap(self._fd, want)
        if self._map is not None:
            self._map.close()
        self._map = room
        return room
