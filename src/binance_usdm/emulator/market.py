"""Exchange reference data: the symbols the emulator knows, their filters and leverage brackets.

Brackets follow Binance's published USDⓈ-M tiers (shape of `GET /fapi/v1/leverageBracket`); each
bracket's maintenance amount `cum` is derived the way Binance defines it, so the maintenance margin
is continuous at every bracket boundary:
    cum[1] = 0;  cum[n] = cum[n-1] + notionalFloor[n] * (maintMarginRatio[n] - maintMarginRatio[n-1])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Bracket:
    """One notional tier: leverage allowed and maintenance margin rate within [floor, cap)."""

    bracket: int
    initial_leverage: int
    notional_floor: int
    notional_cap: int
    maint_margin_ratio: Decimal
    cum: Decimal


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """A perpetual contract: precisions, filters, margin asset and brackets."""

    symbol: str
    base_asset: str
    quote_asset: str
    margin_asset: str
    price_precision: int
    quantity_precision: int
    tick_size: str
    step_size: str
    min_qty: str
    max_qty: str
    min_notional: str
    onboard_date: int
    brackets: tuple[Bracket, ...]
    #: `initialLeverage` of bracket 1 (a field rather than a property: every leverage change reads it).
    max_leverage: int = field(init=False, compare=False)
    #: By leverage 0..the highest `initialLeverage`: the cap of the last bracket still allowing it
    #: (`snapshot.max_notional`; a table: every leverage change and account answer asks).
    caps: tuple[int, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_leverage", self.brackets[0].initial_leverage)
        top = max(b.initial_leverage for b in self.brackets)
        object.__setattr__(self, "caps", tuple(
            max((b.notional_cap for b in self.brackets if b.initial_leverage >= leverage), default=0)
            for leverage in range(top + 1)))


def make_brackets(tiers: list[tuple[int, int, int, str]]) -> tuple[Bracket, ...]:
    """Build brackets from (initialLeverage, floor, cap, maintMarginRatio) rows, deriving `cum`."""
    out: list[Bracket] = []
    cum = Decimal(0)
    prev_rate = Decimal(0)
    for i, (lev, floor, cap, rate_s) in enumerate(tiers, start=1):
        rate = Decimal(rate_s)
        if i > 1:
            cum += Decimal(floor) * (rate - prev_rate)
        out.append(Bracket(i, lev, floor, cap, rate, cum))
        prev_rate = rate
    return tuple(out)


_MAJOR_TIERS = [
    (125, 0, 50_000, "0.004"),
    (100, 50_000, 600_000, "0.005"),
    (75, 600_000, 3_000_000, "0.0065"),
    (50, 3_000_000, 12_000_000, "0.01"),
    (25, 12_000_000, 70_000_000, "0.02"),
    (20, 70_000_000, 100_000_000, "0.025"),
    (10, 100_000_000, 230_000_000, "0.05"),
    (5, 230_000_000, 480_000_000, "0.1"),
    (4, 480_000_000, 600_000_000, "0.125"),
    (3, 600_000_000, 800_000_000, "0.15"),
    (2, 800_000_000, 1_200_000_000, "0.25"),
    (1, 1_200_000_000, 1_800_000_000, "0.5"),
]

_LARGE_ALT_TIERS = [
    (75, 0, 10_000, "0.0065"),
    (50, 10_000, 50_000, "0.01"),
    (40, 50_000, 250_000, "0.02"),
    (20, 250_000, 1_000_000, "0.05"),
    (10, 1_000_000, 2_000_000, "0.1"),
    (5, 2_000_000, 5_000_000, "0.125"),
    (4, 5_000_000, 10_000_000, "0.15"),
    (2, 10_000_000, 20_000_000, "0.25"),
    (1, 20_000_000, 50_000_000, "0.5"),
]

_ALT_TIERS = [
    (50, 0, 5_000, "0.01"),
    (25, 5_000, 25_000, "0.025"),
    (20, 25_000, 100_000, "0.05"),
    (10, 100_000, 250_000, "0.1"),
    (5, 250_000, 1_000_000, "0.125"),
    (4, 1_000_000, 2_000_000, "0.15"),
    (2, 2_000_000, 5_000_000, "0.25"),
    (1, 5_000_000, 10_000_000, "0.5"),
]


def _sym(
    symbol: str,
    base: str,
    price_prec: int,
    qty_prec: int,
    tick: str,
    step: str,
    max_qty: str,
    min_notional: str,
    onboard: int,
    tiers: list[tuple[int, int, int, str]],
    quote: str = "USDT",
) -> SymbolInfo:
    return SymbolInfo(
        symbol, base, quote, quote, price_prec, qty_prec, tick, step, step, max_qty, min_notional,
        onboard, make_brackets(tiers),
    )


DEFAULT_SYMBOLS: dict[str, SymbolInfo] = {
    s.symbol: s
    for s in (
        _sym("BTCUSDT", "BTC", 2, 3, "0.10", "0.001", "1000", "100", 1569398400000, _MAJOR_TIERS),
        _sym("ETHUSDT", "ETH", 2, 3, "0.01", "0.001", "10000", "20", 1569398400000, _MAJOR_TIERS),
        _sym("BNBUSDT", "BNB", 3, 2, "0.010", "0.01", "100000", "5", 1581577200000, _LARGE_ALT_TIERS),
        _sym("SOLUSDT", "SOL", 4, 0, "0.0100", "1", "1000000", "5", 1600070400000, _LARGE_ALT_TIERS),
        _sym("XRPUSDT", "XRP", 4, 1, "0.0001", "0.1", "10000000", "5", 1578470400000, _LARGE_ALT_TIERS),
        _sym("ADAUSDT", "ADA", 5, 0, "0.00010", "1", "10000000", "5", 1580256000000, _ALT_TIERS),
        _sym("DOGEUSDT", "DOGE", 6, 0, "0.000010", "1", "50000000", "5", 1594972800000, _ALT_TIERS),
        _sym("BTCUSDC", "BTC", 1, 3, "0.1", "0.001", "1000", "100", 1706745600000, _MAJOR_TIERS, "USDC"),
        # Binance lists USDⓈ-M symbols whose names are not ASCII (since October 2025): a client must
        # percent-encode and sign them as sent. The name is Binance's; the filters are this table's.
        _sym("币安人生USDT", "币安人生", 5, 0, "0.00001", "1", "50000000", "5", 1759996800000, _ALT_TIERS),
    )
}

#: Funding is charged every 8 hours (00:00, 08:00, 16:00 UTC) at this rate (0.01%, the baseline
#: interest rate of Binance's funding formula), the `lastFundingRate` `GET /fapi/v1/premiumIndex` shows.
FUNDING_INTERVAL_MS = 8 * 3600 * 1000
DEFAULT_FUNDING_RATE = Decimal("0.0001")

DEFAULT_MARK_PRICES: dict[str, Decimal] = {
    "BTCUSDT": Decimal("95000.00000000"),
    "ETHUSDT": Decimal("3400.00000000"),
    "BNBUSDT": Decimal("640.00000000"),
    "SOLUSDT": Decimal("240.00000000"),
    "XRPUSDT": Decimal("1.45000000"),
    "ADAUSDT": Decimal("1.02000000"),
    "DOGEUSDT": Decimal("0.40000000"),
    "BTCUSDC": Decimal("95010.00000000"),
    "币安人生USDT": Decimal("0.15000000"),
}

#: Assets usable as margin in Multi-Assets mode, with the symbol whose mark prices them in USD.
MARGIN_ASSET_PRICE_SYMBOL: dict[str, str | None] = {
    "USDT": None,
    "USDC": None,
    "FDUSD": None,
    "BTC": "BTCUSDT",
    "ETH": "ETHUSDT",
    "BNB": "BNBUSDT",
}
