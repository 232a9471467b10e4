"""The timing and limits of the emulator's user data streams (defaults: Binance's; `stream.py`)."""

from __future__ import annotations

from dataclasses import dataclass

DAY_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Timing and limits of the emulator's streams (defaults: Binance's)."""

    #: Emulator-clock seconds after which a connection is closed (Binance: 24 hours).
    lifetime_s: float = DAY_S
    #: Real seconds between the server's pings (Binance: 3 minutes).
    ping_interval_s: float = 180.0
    #: Real seconds without a pong after which a connection is dropped (Binance: 10 minutes).
    pong_timeout_s: float = 600.0
    #: Unsent bytes a socket may hold in the emulator before it is dropped as a slow consumer.
    max_buffer: int = 1024 * 1024
    #: The kernel send buffer of a stream socket (SO_SNDBUF): bounds what a slow reader holds there too.
    send_buffer: int = 256 * 1024
    #: Real seconds between checks of a running emulator clock (key expiry, 24 h cut, funding).
    tick_s: float = 1.0
