"""The user data stream: ``UserDataStream`` / ``AsyncUserDataStream`` (made by ``client.user_stream()``),
the notices they yield between events, the reconnect backoff setting, and the live account mirror
``LiveAccount`` / ``AsyncLiveAccount`` (``client.live_account()``) with its ``Update`` and ``Change``.

The streams are I/O shells written once in ``binance_usdm._async`` (the sync twin is generated); their
decisions come from the sans-I/O ``binance_usdm._wire.stream_policy``; events are
``binance_usdm.models.events``."""

from binance_usdm._async.live_account import AsyncLiveAccount, Update
from binance_usdm._async.user_stream import AsyncUserDataStream, StreamItem
from binance_usdm._sync.live_account import LiveAccount
from binance_usdm._sync.user_stream import UserDataStream
from binance_usdm._wire.account_state import Change, Snapshot
from binance_usdm._wire.stream_policy import Backoff
from binance_usdm.models.notices import (
    Connected,
    Disconnected,
    ListenKeyReplaced,
    MessageSkipped,
    Notice,
    Reconnected,
)

__all__ = [
    "AsyncLiveAccount",
    "AsyncUserDataStream",
    "Backoff",
    "Change",
    "Connected",
    "Disconnected",
    "ListenKeyReplaced",
    "LiveAccount",
    "MessageSkipped",
    "Notice",
    "Reconnected",
    "Snapshot",
    "StreamItem",
    "Update",
    "UserDataStream",
]
