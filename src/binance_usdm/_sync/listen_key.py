# GENERATED from binance_usdm/_async/listen_key.py by scripts/gen_sync.py: do not edit.
"""Listen keys: the REST side of a user data stream (start, keep alive, replace, close), and the
keeper that holds one key open in the background for code that brings its own websocket.

Binance closes a key 60 minutes after its last keepalive; keepalives go every 30 minutes, and a key
Binance dropped (-1125) is replaced (``on_new_key`` lets a websocket reconnect). The schedule and the
rules live in ``binance_usdm._wire.stream_policy.ListenKeyState``; here is only the I/O. Use the
keeper as a context manager and hand ``keeper.listen_key`` to your websocket.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from binance_usdm._sync.account import AccountApi
from binance_usdm._http.background import Repeater
from binance_usdm._wire.stream_policy import KEEPALIVE_INTERVAL, ListenKeyState
from binance_usdm.errors import BinanceError


class FuturesApi(Protocol):
    """What the stream needs of ``client.usd_futures_api``: the account operations."""

    @property
    def account(self) -> AccountApi: ...


class ClientLike(Protocol):
    """What the stream and the keeper need of a client (``BinanceRestClient`` is one)."""

    @property
    def usd_futures_api(self) -> FuturesApi: ...

    @property
    def base_url(self) -> str: ...

_log = logging.getLogger("binance_usdm.stream")


class ListenKey:
    """One listen key's REST calls, recorded in a ``ListenKeyState``."""

    def __init__(self, account: AccountApi, state: ListenKeyState) -> None:
        self._account = account
        self.state = state

    def obtain(self, now: float) -> bool:
        """Get the account's listen key (Binance returns the live one if it exists); True when it
        replaces a different key."""
        key = (self._account.start_user_stream()).unwrap()
        return self.state.adopt(key, now)

    def keep_alive(self, now: float) -> bool:
        """One keepalive; False when Binance no longer knows the key (-1125)."""
        key = self.state.key
        if key is None:
            return False
        error = (self._account.keep_alive_user_stream(key)).error
        alive = self.state.kept_alive(error, now)
        if error is not None and alive:
            _log.warning("listen key keepalive failed: %s", error)
        return alive

    def close(self) -> None:
        """Close the key on Binance (a failure is logged: the key then expires by itself)."""
        key, self.state.key = self.state.key, None
        if key is not None:
            error = (self._account.stop_user_stream(key)).error
            if error is not None:
                _log.warning("closing the listen key failed: %s", error)


class ListenKeyKeeper:
    """Keeps one listen key alive in the background."""

    def __init__(
        self,
        client: ClientLike,
        *,
        interval: float = KEEPALIVE_INTERVAL,
        on_new_key: Callable[[str], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._key = ListenKey(client.usd_futures_api.account, ListenKeyState(interval))
        self._on_new_key = on_new_key
        self._clock = clock or time.monotonic
        self._repeater: Repeater | None = None

    @property
    def listen_key(self) -> str:
        """The live listen key."""
        key = self._key.state.key
        if key is None:
            raise RuntimeError("the keeper is not started")
        return key

    @property
    def last_error(self) -> BinanceError | None:
        """The last keepalive or replacement failure (None once a keepalive succeeds)."""
        return self._key.state.last_error

    def start(self) -> str:
        """Get the listen key and start keeping it."""
        self._key.obtain(self._clock())
        self._repeater = Repeater(self._key.state.interval, self._tick, "listen-key-keeper")
        self._repeater.start()
        return self.listen_key

    def keep_alive(self) -> None:
        """One keepalive now; a dropped key is replaced (and ``on_new_key`` called)."""
        if not self._key.keep_alive(self._clock()):
            self._key.obtain(self._clock())
            if self._on_new_key is not None:
                self._on_new_key(self.listen_key)

    def _tick(self) -> None:
        try:
            self.keep_alive()
        except BinanceError as exc:  # replacing the key failed; try again next round
            self._key.state.last_error = exc
            _log.warning("listen key replacement failed: %s", exc)

    def stop(self) -> None:
        """Stop keeping the key and close it on Binance."""
        if self._repeater is not None:
            self._repeater.stop()
            self._repeater = None
        self._key.close()

    def __enter__(self) -> ListenKeyKeeper:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(listen_key=<redacted>, interval={self._key.state.interval})"
