"""TCP-level helpers shared by the emulator's HTTP front end and its streams."""

from __future__ import annotations

import asyncio
import socket
import struct


def abort(transport: asyncio.Transport) -> None:
    """Close at once with a TCP reset (SO_LINGER 0): unsent data, the kernel's included, is discarded."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
