"""The client's logger, without importing :mod:`logging` into a program that never imports it.

Importing ``logging`` costs a start-up about 13 M instructions (4 % of ``usdm account``,
benchmarks/bench_startup.py). A program that has not imported it has configured no handler and no
level, so no line of ours could be shown: until ``logging`` is in ``sys.modules``, ``isEnabledFor``
answers False without importing it; from then on it is the real logger's own method, so a check per
call costs what ``logging.getLogger(name).isEnabledFor`` costs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

DEBUG = 10
"""``logging.DEBUG``."""


class LazyLogger:
    """``logging.getLogger(name)`` once the program has imported ``logging``."""

    __slots__ = ("isEnabledFor", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.isEnabledFor: Callable[[int], bool] = self._enabled_once_loaded

    def _enabled_once_loaded(self, level: int) -> bool:
        if "logging" not in sys.modules:
            return False
        self.isEnabledFor = self.logger().isEnabledFor
        return self.isEnabledFor(level)

    def logger(self) -> logging.Logger:
        """The real logger (imports ``logging`` if nothing has yet)."""
        import logging

        return logging.getLogger(self.name)

    def debug(self, message: str, *args: object) -> None:
        """``logger.debug(message, *args)`` when DEBUG is enabled for it."""
        if self.isEnabledFor(DEBUG):
            self.logger().debug(message, *args)


CLIENT_LOG = LazyLogger("binance_usdm")
"""The client's calls: one DEBUG line per answered request, retries, waits, clock syncs."""
