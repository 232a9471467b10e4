"""Listen keys: one live key per account, valid 60 minutes from the last create/keepalive."""

from __future__ import annotations

import secrets
import string
import threading

from .clock import Clock

LISTEN_KEY_TTL_MS = 60 * 60 * 1000
_ALPHABET = string.ascii_letters + string.digits


class ListenKeys:
    """Create / keepalive / close, with expiry on the emulator clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_account: dict[str, tuple[str, int]] = {}

    def _live(self, account: str, now: int) -> str | None:
        entry = self._by_account.get(account)
        if entry is None or entry[1] <= now:
            self._by_account.pop(account, None)
            return None
        return entry[0]

    def create(self, account: str) -> str:
        """The account's live key (extended), or a new 64-character key."""
        now = self._clock.now_ms()
        with self._lock:
            key = self._live(account, now) or "".join(secrets.choice(_ALPHABET) for _ in range(64))
            self._by_account[account] = (key, now + LISTEN_KEY_TTL_MS)
        return key

    def keepalive(self, account: str, key: str | None) -> str | None:
        """Extend the live key by 60 minutes; None when there is none (or `key` is not it)."""
        now = self._clock.now_ms()
        with self._lock:
            live = self._live(account, now)
            if live is None or (key is not None and key != live):
                return None
            self._by_account[account] = (live, now + LISTEN_KEY_TTL_MS)
        return live

    def close(self, account: str, key: str | None) -> bool:
        """Close the live key; False when there is none (or `key` is not it)."""
        now = self._clock.now_ms()
        with self._lock:
            live = self._live(account, now)
            if live is None or (key is not None and key != live):
                return False
            del self._by_account[account]
        return True

    def key_of(self, account: str) -> str | None:
        """The account's live key, or None."""
        with self._lock:
            return self._live(account, self._clock.now_ms())

    def owner(self, key: str) -> str | None:
        """The account whose live key `key` is, or None (unknown, closed or expired)."""
        now = self._clock.now_ms()
        with self._lock:
            for account, (live, expires) in self._by_account.items():
                if live == key and expires > now:
                    return account
        return None

    def expiry(self, account: str) -> int | None:
        """When the account's live key expires (ms), or None."""
        with self._lock:
            live = self._live(account, self._clock.now_ms())
            return None if live is None else self._by_account[account][1]

    def reset(self) -> None:
        """Forget every key."""
        with self._lock:
            self._by_account.clear()
