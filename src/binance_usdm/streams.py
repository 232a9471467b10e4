"""Listen-key keepers: hold a user-data-stream listen key open for as long as you need it.

Binance closes a listen key 60 minutes after its last keepalive; the seed advises a keepalive every
30 minutes. A keeper starts (or adopts) the key, keeps it alive in the background, replaces it if
Binance has dropped it (-1125, calling ``on_new_key`` so a websocket can reconnect), and closes it
on exit::

    with ListenKeyKeeper(client) as keeper:
        connect_websocket(keeper.listen_key)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from types import TracebackType

from binance_usdm._async.client import AsyncBinanceRestClient
from binance_usdm._sync.client import BinanceRestClient
from binance_usdm.errors import ApiError, BinanceError, ValidationError

KEEPALIVE_INTERVAL = 30 * 60.0
UNKNOWN_LISTEN_KEY = -1125

_log = logging.getLogger("binance_usdm.streams")


class _Keeper:
    """What both keepers share: the key, the interval, and what to do with a keepalive's outcome."""

    def __init__(self, interval: float, on_new_key: Callable[[str], None] | None) -> None:
        if not 0 < interval <= 3600:
            raise ValidationError("interval", f"must be in (0, 3600] seconds, got {interval}")
        self._interval = interval
        self._on_new_key = on_new_key
        self._key: str | None = None
        self.last_error: BinanceError | None = None

    @property
    def listen_key(self) -> str:
        """The live listen key."""
        if self._key is None:
            raise RuntimeError("the keeper is not started")
        return self._key

    def _key_is_gone(self, error: BinanceError | None) -> bool:
        """Record a keepalive's outcome; True when Binance no longer knows the key."""
        if error is not None and isinstance(error, ApiError) and error.code == UNKNOWN_LISTEN_KEY:
            return True
        self.last_error = error
        if error is not None:
            _log.warning("listen key keepalive failed: %s", error)
        return False

    def _adopt(self, key: str) -> None:
        self._key = key
        self.last_error = None
        if self._on_new_key is not None:
            self._on_new_key(key)

    def _replacement_failed(self, error: BinanceError) -> None:
        self.last_error = error
        _log.warning("listen key replacement failed: %s", error)


class ListenKeyKeeper(_Keeper):
    """Keeps one listen key alive from a background thread (blocking client)."""

    def __init__(
        self,
        client: BinanceRestClient,
        *,
        interval: float = KEEPALIVE_INTERVAL,
        on_new_key: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(interval, on_new_key)
        self._account = client.usd_futures_api.account
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Get the listen key (Binance returns the live one if it exists) and start keeping it."""
        self._key = self._account.start_user_stream().unwrap()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="listen-key-keeper", daemon=True)
        self._thread.start()
        return self._key

    def keep_alive(self) -> None:
        """One keepalive now; a dropped key is replaced (and ``on_new_key`` called)."""
        if self._key_is_gone(self._account.keep_alive_user_stream(self.listen_key).error):
            self._adopt(self._account.start_user_stream().unwrap())

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.keep_alive()
            except BinanceError as exc:  # replacing the key failed; try again next round
                self._replacement_failed(exc)

    def stop(self) -> None:
        """Stop keeping the key and close it on Binance."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._key is not None:
            self._account.stop_user_stream(self._key)
            self._key = None

    def __enter__(self) -> ListenKeyKeeper:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class AsyncListenKeyKeeper(_Keeper):
    """Keeps one listen key alive from a background task (asyncio client)."""

    def __init__(
        self,
        client: AsyncBinanceRestClient,
        *,
        interval: float = KEEPALIVE_INTERVAL,
        on_new_key: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(interval, on_new_key)
        self._account = client.usd_futures_api.account
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        """Get the listen key (Binance returns the live one if it exists) and start keeping it."""
        self._key = (await self._account.start_user_stream()).unwrap()
        self._task = asyncio.create_task(self._run(), name="listen-key-keeper")
        return self._key

    async def keep_alive(self) -> None:
        """One keepalive now; a dropped key is replaced (and ``on_new_key`` called)."""
        if self._key_is_gone((await self._account.keep_alive_user_stream(self.listen_key)).error):
            self._adopt((await self._account.start_user_stream()).unwrap())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.keep_alive()
            except BinanceError as exc:  # replacing the key failed; try again next round
                self._replacement_failed(exc)

    async def stop(self) -> None:
        """Stop keeping the key and close it on Binance."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._key is not None:
            await self._account.stop_user_stream(self._key)
            self._key = None

    async def __aenter__(self) -> AsyncListenKeyKeeper:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
