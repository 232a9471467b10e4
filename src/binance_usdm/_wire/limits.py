"""Binance's documented limits on request parameters, checked before a request is sent.

Sources (Binance USD-M futures REST API):
https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-Income-History
(``limit``: default 100, max 1000);
https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Get-Position-Margin-Change-History
(``startTime`` to ``endTime`` at most 30 days); the download-id endpoints (at most one year per
request); the general information page (``recvWindow`` at most 60000 ms) and the leverage endpoint
(1 to 125).
"""

from __future__ import annotations

from datetime import timedelta

MAX_RECV_WINDOW = 60_000  # ms: Binance refuses a larger recvWindow
MAX_LEVERAGE = 125
MAX_INCOME_LIMIT = 1000
MAX_MARGIN_HISTORY_LIMIT = 1000
MARGIN_HISTORY_MAX_SPAN = timedelta(days=30)
DOWNLOAD_MAX_SPAN = timedelta(days=365)
# DECIMAL parameters (a margin amount): at most 20 digits before the point (Binance's -1100 pattern,
# see validate.amount) and 8 after it (margin assets' precision)
MAX_AMOUNT_DIGITS = 20
MAX_AMOUNT_DECIMALS = 8
