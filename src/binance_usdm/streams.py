"""Listen-key keepers (kept here for existing imports; they live in ``binance_usdm._async.listen_key``
and its generated twin ``binance_usdm._sync.listen_key``)."""

from binance_usdm._async.listen_key import AsyncListenKeyKeeper
from binance_usdm._sync.listen_key import ListenKeyKeeper
from binance_usdm._wire.stream_policy import KEEPALIVE_INTERVAL, UNKNOWN_LISTEN_KEY

__all__ = ["KEEPALIVE_INTERVAL", "UNKNOWN_LISTEN_KEY", "AsyncListenKeyKeeper", "ListenKeyKeeper"]
