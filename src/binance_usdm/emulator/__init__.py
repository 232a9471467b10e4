"""A local, stateful Binance USDⓈ-M futures exchange for the account endpoints ("moto for Binance").

Point any Binance client at `EmulatorServer().base_url` with `DEMO_API_KEY` / `DEMO_API_SECRET`::

    with EmulatorServer() as emu:
        client = UMFutures(key=emu.api_key, secret=emu.api_secret, base_url=emu.base_url)
        client.account()

The user data stream is served on the same port (`emu.ws_url + "/ws/" + listenKey` and the other
forms in `stream.py`). `python -m binance_usdm.emulator --port 8765` runs it from the command line; the pytest plugin
offers the `usdm_emulator` fixture. See `README.md` next to this module.
"""

from typing import TYPE_CHECKING, Any

from .demo_credentials import DEMO_API_KEY, DEMO_API_SECRET

if TYPE_CHECKING:
    from .backend import Backend
    from .clock import Clock
    from .embedded import EmulatorServer, StartupError, remove_state, serve
    from .faults import FaultSet
    from .server import HttpLimits
    from .stream_options import StreamOptions

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "Backend", "Clock", "EmulatorServer", "FaultSet", "HttpLimits",
           "StartupError", "StreamOptions", "remove_state", "serve"]


def __getattr__(name: str) -> Any:
    """The server and its parts load on first use (``embedded``): a program that needs only the demo
    credentials (``usdm`` against a running emulator) does not import the emulator."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import embedded

    value = getattr(embedded, name)
    globals()[name] = value
    return value
