# GENERATED from binance_usdm/_async/exchange_data.py by scripts/gen_sync.py: do not edit.
"""``client.usd_futures_api.exchange_data``: the public calls a client needs (ping, server time)."""

from __future__ import annotations

from binance_usdm._sync.core import Core
from binance_usdm._wire import endpoints as ep
from binance_usdm.models._base import UtcDateTime
from binance_usdm.result import WebCallResult


class ExchangeDataApi:
    """Connectivity and server time."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def ping(self) -> WebCallResult[None]:
        """Test connectivity."""
        return self._core.call(ep.PING, "")

    def get_server_time(self) -> WebCallResult[UtcDateTime]:
        """The server's current time."""
        result = self._core.call(ep.SERVER_TIME, "")
        moment = None if result.data is None else UtcDateTime.from_ms(result.data)
        return result.with_data(moment)

    def sync_time(self) -> float:
        """Measure the offset to the server's clock now; returns it in milliseconds."""
        self._core.sync_time()
        return self._core.clock.offset_ms
