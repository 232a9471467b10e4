"""The exchange: accounts and their rules, history, listen keys and downloads. No HTTP here.

Every mutating method validates against Binance's rules (raising `BinanceError` with Binance's
code and message), applies the change and commits it to the store before returning, so the server
acknowledges only durable changes. The same methods serve the admin API and in-process tests.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import events, margin
from .accounts import Account, Credential, Position
from .clock import Clock
from .downloads import Downloads
from .errors import BinanceError, bad_symbol, invalid_param, rule, start_after_end
from .listenkeys import ListenKeys
from .market import (
    DEFAULT_FUNDING_RATE,
    DEFAULT_MARK_PRICES,
    DEFAULT_SYMBOLS,
    FUNDING_INTERVAL_MS,
    MARGIN_ASSET_PRICE_SYMBOL,
    SymbolInfo,
)
from .params import MAX_LONG
from .snapshot import account_snapshot, max_notional
from .store import IncomeRow, MarginRow, Store

DAY_MS = 24 * 3600 * 1000
INCOME_DEFAULT_WINDOW_MS = 7 * DAY_MS
#: Binance: "Income history only contains data for the last three months" (90 days here; the
#: default of `Backend(income_retention_ms=...)`).
INCOME_RETENTION_MS = 90 * DAY_MS
MARGIN_HISTORY_WINDOW_MS = 30 * DAY_MS

INCOME_TYPES = frozenset((
    "TRANSFER", "WELCOME_BONUS", "REALIZED_PNL", "FUNDING_FEE", "COMMISSION", "INSURANCE_CLEAR",
    "REFERRAL_KICKBACK", "COMMISSION_REBATE", "API_REBATE", "CONTEST_REWARD", "CROSS_COLLATERAL_TRANSFER",
    "OPTIONS_PREMIUM_FEE", "OPTIONS_SETTLE_PROFIT", "INTERNAL_TRANSFER", "AUTO_EXCHANGE",
    "DELIVERED_SETTELMENT", "COIN_SWAP_DEPOSIT", "COIN_SWAP_WITHDRAW", "POSITION_LIMIT_INCREASE_FEE",
    "STRATEGY_UMFUTURES_TRANSFER", "FEE_RETURN", "BFUSD_REWARD", "SPECIAL_FUNDING_FEE",
))
_INTERVALS = {"1h": 3600_000, "4h": 4 * 3600_000, "8h": 8 * 3600_000, "1d": DAY_MS}


@dataclass(frozen=True, slots=True)
class IncomeQuery:
    """Validated `GET /fapi/v1/income` parameters."""

    symbol: str | None = None
    income_type: str | None = None
    start: int | None = None
    end: int | None = None
    limit: int = 100
    page: int = 1


class Backend:
    """State and rules of the emulated exchange."""

    def __init__(
        self,
        store: Store | None = None,
        clock: Clock | None = None,
        symbols: Mapping[str, SymbolInfo] | None = None,
        download_delay_ms: int = 3000,
        income_retention_ms: int = INCOME_RETENTION_MS,
    ) -> None:
        self.store = store or Store()
        self.clock = clock or Clock()
        self.symbols: dict[str, SymbolInfo] = dict(symbols or DEFAULT_SYMBOLS)
        self.marks: dict[str, Decimal] = dict(DEFAULT_MARK_PRICES)
        self.accounts: dict[str, Account] = {}
        self._by_key: dict[str, tuple[Account, Credential]] = {}
        self.listen_keys = ListenKeys(self.clock)
        self.downloads = Downloads(self.store, self.clock, download_delay_ms)
        #: How far back `GET /fapi/v1/income` reaches (Binance: three months).
        self.income_retention_ms = income_retention_ms
        self.lock = threading.RLock()
        #: Bumped by every state change; answers computed from state can be reused while it stands.
        self.version = 0
        #: Committed changes as domain events (`events.py`), published while the lock is still held.
        self.events = events.Publisher()
        self._tran_id = self.store.max_tran_id() or 9_689_322_391
        self._load_persisted()
        self.clock.subscribe(self.settle_funding)

    # -- loading and persistence -----------------------------------------------------------------
    def _load_persisted(self) -> None:
        now = self.clock.now_ms()
        for sym, price in self.store.load_marks().items():
            self.marks[sym] = Decimal(price)
        for state in self.store.load_accounts():
            self._register(Account.from_dict(state, now))
        charged = self.store.get_meta("funding_through")
        #: The last funding time charged (funding is charged for funding times after it).
        self.funding_through = int(charged) if charged is not None else now

    @property
    def seeded(self) -> bool:
        """True once a scenario has been loaded into this store."""
        return self.store.get_meta("seeded") == "1"

    def mark_seeded(self) -> None:
        """Remember that the store holds a seeded state (a restart must not re-seed)."""
        self.store.set_meta("seeded", "1")

    def _register(self, acc: Account) -> None:
        self.accounts[acc.account_id] = acc
        for cred in acc.credentials:
            self._by_key[cred.api_key] = (acc, cred)

    def save(self, acc: Account) -> None:
        """Persist an account (call it after changing an `Account` object directly)."""
        self.version += 1
        self.store.save_account(acc.account_id, acc.to_dict())

    def add_account(self, acc: Account) -> Account:
        """Add (or replace) an account and persist it."""
        with self.lock:
            self._register(acc)
            self.save(acc)
        return acc

    def add_credential(self, account_id: str, cred: Credential) -> None:
        """Give an account another API key (HMAC secret or public key)."""
        with self.lock:
            acc = self.account(account_id)
            acc.credentials = [c for c in acc.credentials if c.api_key != cred.api_key] + [cred]
            self._by_key[cred.api_key] = (acc, cred)
            self.save(acc)

    def lookup_key(self, api_key: str) -> tuple[Account, Credential] | None:
        """The account and credential of an API key."""
        return self._by_key.get(api_key)

    def account(self, ref: str | None = None) -> Account:
        """An account by id, alias or API key; the first account when `ref` is None."""
        if ref is None:
            if not self.accounts:
                raise KeyError("no accounts")
            return next(iter(self.accounts.values()))
        if ref in self.accounts:
            return self.accounts[ref]
        hit = self._by_key.get(ref)
        if hit is not None:
            return hit[0]
        for acc in self.accounts.values():
            if acc.alias == ref:
                return acc
        raise KeyError(ref)

    def reset(self) -> None:
        """Forget all state (accounts, history, marks, listen keys)."""
        with self.lock:
            self.store.clear()
            self.accounts.clear()
            self._by_key.clear()
            self.marks = dict(DEFAULT_MARK_PRICES)
            self.listen_keys.reset()
            self.funding_through = self.clock.now_ms()
            self.version += 1

    # -- reference data ----------------------------------------------------------------------------
    def symbol(self, name: str) -> SymbolInfo:
        """A known symbol, else -1121."""
        info = self.symbols.get(name)
        if info is None:
            raise bad_symbol()
        return info

    def mark(self, symbol: str) -> Decimal:
        """The symbol's mark price."""
        return self.marks[symbol]

    def set_mark_price(self, symbol: str, price: Decimal) -> None:
        """Set a mark price (admin)."""
        with self.lock:
            self.symbol(symbol)
            self.marks[symbol] = price
            self.version += 1
            self.store.save_mark(symbol, str(price))
            self.events.publish(events.MarkChanged(self.clock.now_ms(), symbol))

    def max_notional(self, symbol: str, leverage: int) -> int:
        """The largest notional allowed at `leverage`: cap of the last bracket still allowing it."""
        return max_notional(self.symbol(symbol), leverage)

    # -- rules: settings ---------------------------------------------------------------------------
    def change_leverage(self, acc: Account, symbol: str, leverage: int) -> int:
        """POST /fapi/v1/leverage; returns the maxNotionalValue at the new leverage."""
        with self.lock:
            info = self.symbol(symbol)
            if leverage < 1 or leverage > info.max_leverage:
                # -4028 INVALID_LEVERAGE
                raise rule(-4028, f"Leverage {leverage} is not valid")
            settings = acc.setting(symbol)
            legs = acc.open_positions(symbol)
            mark = self.mark(symbol)
            notional = sum((abs(p.amount) * mark for p in legs), Decimal(0))
            if notional > 0 and notional >= self.max_notional(symbol, leverage):
                # -4028: the current position's notional bracket does not allow this leverage.
                raise rule(-4028, f"Leverage {leverage} is not valid")
            if legs and settings.isolated and leverage < settings.leverage:
                # -4161 ISOLATED_LEVERAGE_REJECT_WITH_POSITION
                raise rule(-4161, "Leverage reduction is not supported in Isolated Margin Mode with open positions")
            if legs and not settings.isolated and leverage < settings.leverage:
                extra = notional / leverage - notional / settings.leverage
                if extra > self.cross_available(acc, info.margin_asset):
                    # -2028 MIN_LEVERAGE_RATIO
                    raise rule(-2028, "Leverage is smaller than permitted: insufficient margin balance.")
            settings.leverage = leverage
            acc.update_time = self.clock.now_ms()
            self.save(acc)
            self.events.publish(events.LeverageChanged(acc.account_id, acc.update_time, symbol, leverage))
            return self.max_notional(symbol, leverage)

    def change_margin_type(self, acc: Account, symbol: str, isolated: bool) -> None:
        """POST /fapi/v1/marginType."""
        with self.lock:
            self.symbol(symbol)
            settings = acc.setting(symbol)
            if settings.isolated == isolated:
                raise rule(-4046, "No need to change margin type.")
            if isolated and acc.multi_assets:
                raise rule(-4168, "Unable to adjust to isolated-margin mode under the Multi-Assets mode.")
            if settings.open_orders > 0:
                raise rule(-4047, "Margin type cannot be changed if there exists open orders.")
            if acc.open_positions(symbol):
                raise rule(-4048, "Margin type cannot be changed if there exists position.")
            settings.isolated = isolated
            acc.update_time = self.clock.now_ms()
            self.save(acc)
            self.events.publish(events.MarginTypeChanged(acc.account_id, acc.update_time, symbol))

    def change_position_mode(self, acc: Account, dual: bool) -> None:
        """POST /fapi/v1/positionSide/dual."""
        with self.lock:
            if acc.dual_side == dual:
                raise rule(-4059, "No need to change position side.")
            if any(s.open_orders > 0 for s in acc.settings.values()):
                raise rule(-4067, "Position side cannot be changed if there exists open orders.")
            if acc.open_positions():
                raise rule(-4068, "Position side cannot be changed if there exists position.")
            acc.dual_side = dual
            acc.positions = {}
            acc.update_time = self.clock.now_ms()
            self.save(acc)

    def change_multi_assets(self, acc: Account, enabled: bool) -> None:
        """POST /fapi/v1/multiAssetsMargin."""
        with self.lock:
            if acc.multi_assets == enabled:
                raise rule(-4171, "Adjusted asset mode is currently set and does not need to be adjusted repeatedly.")
            if any(s.open_orders > 0 for s in acc.settings.values()):
                raise rule(-4170, "Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures.")
            if enabled:
                if any(s.isolated for s in acc.settings.values()):
                    raise rule(-4167, "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures "
                                      "under isolated-margin mode.")
                if any(v < 0 for a, v in acc.balances.items() if a in MARGIN_ASSET_PRICE_SYMBOL):
                    raise rule(-4172, "Unable to adjust Multi-Assets Mode with a negative wallet balance of "
                                      "margin available asset in USDⓈ-M Futures account.")
            elif acc.open_positions() and self.cross_available(acc, "USDT", single_asset=True) <= 0:
                raise rule(-4169, "Unable to adjust Multi-Assets Mode with insufficient margin balance in "
                                  "USDⓈ-M Futures.")
            acc.multi_assets = enabled
            acc.update_time = self.clock.now_ms()
            self.save(acc)
            self.events.publish(events.MultiAssetsChanged(acc.account_id, acc.update_time, enabled))

    # -- rules: isolated position margin ---------------------------------------------------------
    def modify_position_margin(
        self, acc: Account, symbol: str, amount: Decimal, type_: int, side: str | None
    ) -> None:
        """POST /fapi/v1/positionMargin: move margin between the cross and the isolated wallet."""
        with self.lock:
            info = self.symbol(symbol)
            if side is None:
                side = "BOTH"
                if acc.dual_side:
                    # -4061 POSITION_SIDE_NOT_MATCH: hedge mode requires LONG or SHORT.
                    raise rule(-4061, "Order's position side does not match user's setting.")
            if side not in ("BOTH", "LONG", "SHORT"):
                raise rule(-4060, "Invalid position side.")
            if (side == "BOTH") == acc.dual_side:
                raise rule(-4061, "Order's position side does not match user's setting.")
            if amount <= 0:
                raise rule(-4055, "Amount must be positive.")
            if not acc.setting(symbol).isolated:
                raise rule(-4049, "Add margin only support for isolated position.")
            pos = acc.positions.get((symbol, side))
            if pos is None or pos.amount == 0:
                raise rule(-4054, "Cannot add position margin: position is 0.")
            asset = info.margin_asset
            if type_ == 1:
                if amount > self.cross_available(acc, asset):
                    raise rule(-4050, "Cross balance insufficient.")
                pos.isolated_wallet += amount
            else:
                mark = self.mark(symbol)
                need = margin.initial_margin(abs(pos.amount) * mark, acc.setting(symbol).leverage)
                upnl = margin.unrealized_pnl(pos.amount, pos.entry_price, mark)
                if amount > pos.isolated_wallet or pos.isolated_wallet - amount + upnl < need:
                    raise rule(-4051, "Isolated balance insufficient.")
                pos.isolated_wallet -= amount
            now = self.clock.now_ms()
            pos.update_time = now
            acc.update_time = now
            with self.store.transaction():
                self.store.add_margin_history(
                    [(acc.account_id, symbol, now, type_, "USER_ADJUST", f"{amount:f}", asset, side)])
                self.save(acc)
            moved = amount if type_ == 1 else -amount
            self.events.publish(events.IsolatedMarginMoved(acc.account_id, now, symbol, side, asset, moved))

    # -- margin figures used by the rules ------------------------------------------------------------
    def cross_available(self, acc: Account, asset: str, *, single_asset: bool = False) -> Decimal:
        """Available balance of `asset` (margin arithmetic in `margin`)."""
        snap = account_snapshot(acc, self.symbols, self.marks, force_single_asset=single_asset)
        fig = snap.assets.get(asset)
        return fig.available if fig is not None else Decimal(0)

    # -- history queries -----------------------------------------------------------------------------
    def query_income(self, acc: Account, q: IncomeQuery) -> list[tuple[Any, ...]]:
        """GET /fapi/v1/income: ascending (time, tranId), last 7 days by default, records of the
        retention period only (90 days unless configured)."""
        if q.symbol is not None:
            self.symbol(q.symbol)
        now = self.clock.now_ms()
        start, end = q.start, q.end
        if start is not None and end is not None and start > end:
            raise start_after_end()
        if start is None and end is None:
            start, end = now - INCOME_DEFAULT_WINDOW_MS, now
        elif start is None:
            assert end is not None
            start = end - INCOME_DEFAULT_WINDOW_MS
        elif end is None:
            end = now
        start = max(start, now - self.income_retention_ms)
        offset = min((q.page - 1) * q.limit, MAX_LONG)  # a page past the end is empty, whatever its number
        return self.store.query_income(acc.account_id, start, end, q.income_type, q.symbol, q.limit, offset)

    def query_margin_history(
        self, acc: Account, symbol: str, type_: int | None, start: int | None, end: int | None, limit: int
    ) -> list[tuple[Any, ...]]:
        """GET /fapi/v1/positionMargin/history: not older than 30 days, window at most 30 days."""
        self.symbol(symbol)
        now = self.clock.now_ms()
        if end is None:
            end = now
        if start is None:
            start = end - MARGIN_HISTORY_WINDOW_MS
        if start > end:
            raise start_after_end()
        if end - start > MARGIN_HISTORY_WINDOW_MS:
            # -4165 INVALID_TIME_INTERVAL
            raise rule(-4165, "Maximum time interval is 30 days")
        start = max(start, now - MARGIN_HISTORY_WINDOW_MS)
        return self.store.query_margin_history(acc.account_id, symbol, start, end, type_, limit)

    # -- admin: positions, balances, history -------------------------------------------------------
    def set_position(
        self,
        acc: Account,
        symbol: str,
        amount: Decimal,
        entry_price: Decimal,
        side: str = "BOTH",
        isolated_wallet: Decimal | None = None,
    ) -> Position:
        """Open or replace a position leg; an isolated leg gets its initial margin as wallet by default."""
        with self.lock:
            self.symbol(symbol)
            if side not in ("BOTH", "LONG", "SHORT") or (side == "BOTH") == acc.dual_side:
                raise rule(-4061, "Order's position side does not match user's setting.")
            settings = acc.setting(symbol)
            if isolated_wallet is None:
                isolated_wallet = (
                    (abs(amount) * entry_price / settings.leverage).quantize(Decimal("0.00000001"))
                    if settings.isolated else Decimal(0)
                )
            now = self.clock.now_ms()
            pos = Position(symbol, side, amount, entry_price, isolated_wallet, now)
            acc.positions[(symbol, side)] = pos
            acc.update_time = now
            self.save(acc)
            self.events.publish(events.PositionAdjusted(acc.account_id, now, symbol, side))
            return pos

    def close_position(self, acc: Account, symbol: str, side: str = "BOTH") -> Decimal:
        """Close a leg at the mark price: realized PnL and taker commission go to the wallet and to income."""
        with self.lock:
            pos = acc.positions.get((symbol, side))
            if pos is None or pos.amount == 0:
                raise ValueError(f"no {side} position in {symbol}")
            mark = self.mark(symbol)
            asset = self.symbol(symbol).margin_asset
            pnl = margin.unrealized_pnl(pos.amount, pos.entry_price, mark).quantize(Decimal("0.00000001"))
            fee = -(abs(pos.amount) * mark * acc.taker_rate).quantize(Decimal("0.00000001"))
            now = self.clock.now_ms()
            trade_id = str(random.randint(10**8, 10**9))
            with self.store.transaction():
                self.add_income(acc, [
                    {"symbol": symbol, "incomeType": "REALIZED_PNL", "income": str(pnl), "asset": asset,
                     "time": now, "tradeId": trade_id},
                    {"symbol": symbol, "incomeType": "COMMISSION", "income": str(fee), "asset": asset,
                     "time": now, "tradeId": trade_id},
                ], apply_to_wallet=True)
                del acc.positions[(symbol, side)]
                acc.update_time = now
                self.save(acc)
            self.events.publish(events.PositionAdjusted(acc.account_id, now, symbol, side, pnl))
            return pnl

    def set_balance(self, acc: Account, asset: str, amount: Decimal, reason: str | None = None) -> None:
        """Set a wallet balance (admin; no income record). The stream shows the change with `reason`
        (default DEPOSIT for an increase, WITHDRAW for a decrease)."""
        with self.lock:
            change = amount - acc.balances.get(asset, Decimal(0))
            now = self.clock.now_ms()
            acc.balances[asset] = amount
            acc.balance_times[asset] = now
            self.save(acc)
            reason = reason or ("WITHDRAW" if change < 0 else "DEPOSIT")
            self.events.publish(events.BalanceAdjusted(acc.account_id, now, asset, change, reason))

    # -- funding -------------------------------------------------------------------------------------
    def funding_rate(self, symbol: str) -> Decimal:
        """The funding rate charged at each funding time (the `lastFundingRate` premiumIndex shows)."""
        return DEFAULT_FUNDING_RATE

    def settle_funding(self) -> int:
        """Charge every funding time the clock has passed since the last one charged; returns how many
        fees were charged.

        Binance charges funding every 8 hours, at 00:00, 08:00 and 16:00 UTC
        (https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031):
        each open leg pays (rate > 0: longs pay shorts) `positionAmt * markPrice * fundingRate`, recorded
        as a FUNDING_FEE income at the funding time. A cross leg's fee moves the wallet; an isolated
        leg's fee moves the wallet and that leg's isolated wallet.
        """
        now = self.clock.now_ms()
        charged = 0
        with self.lock:
            due = (self.funding_through // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
            if due > now:
                return 0
            while due <= now:
                charged += self._charge_funding(due)
                self.funding_through = due
                due += FUNDING_INTERVAL_MS
            self.store.set_meta("funding_through", str(self.funding_through))
        return charged

    def _charge_funding(self, time: int) -> int:
        """One funding time: per open leg, the fee and its income record committed together, then
        published (so each event shows the state right after its own fee)."""
        charged = 0
        for acc in self.accounts.values():
            for pos in acc.open_positions():
                info = self.symbols.get(pos.symbol)
                if info is None:
                    continue
                rate = self.funding_rate(pos.symbol)
                fee = -(pos.amount * self.mark(pos.symbol) * rate).quantize(Decimal("0.00000001"))
                isolated = acc.setting(pos.symbol).isolated
                asset = info.margin_asset
                acc.balances[asset] = acc.balances.get(asset, Decimal(0)) + fee
                acc.balance_times[asset] = time
                if isolated:
                    pos.isolated_wallet += fee
                with self.store.transaction():
                    self.store.add_income([(acc.account_id, time, self.next_tran_id(), pos.symbol, "FUNDING_FEE",
                                            f"{fee:.8f}", asset, "FUNDING_FEE", "")])
                    self.save(acc)
                self.events.publish(events.FundingCharged(acc.account_id, time, pos.symbol, pos.side, asset, fee,
                                                          isolated))
                charged += 1
        return charged

    def set_open_orders(self, acc: Account, symbol: str, count: int) -> None:
        """Set how many open orders a symbol has (drives -4047/-4067/-4170)."""
        with self.lock:
            self.symbol(symbol)
            acc.setting(symbol).open_orders = count
            self.save(acc)

    def set_trading_status(self, acc: Account, indicators: dict[str, list[dict[str, Any]]]) -> None:
        """Set the quantitative-rules indicators shown by apiTradingStatus."""
        with self.lock:
            acc.trading_indicators = indicators
            acc.indicators_time = self.clock.now_ms()
            self.save(acc)

    def next_tran_id(self) -> int:
        """A fresh income tranId."""
        self._tran_id += 1
        return self._tran_id

    def add_income(
        self, acc: Account, records: Iterable[Mapping[str, Any]], *, apply_to_wallet: bool = False
    ) -> int:
        """Append income records (fields as in the API answer; `time` defaults to now)."""
        now = self.clock.now_ms()
        rows: list[IncomeRow] = []
        with self.lock:
            for r in records:
                income_type = str(r["incomeType"])
                amount = Decimal(str(r["income"]))
                asset = str(r.get("asset", "USDT"))
                rows.append((
                    acc.account_id, int(r.get("time", now)), int(r.get("tranId") or self.next_tran_id()),
                    str(r.get("symbol", "")), income_type, f"{amount:.8f}", asset,
                    str(r.get("info", income_type)), str(r.get("tradeId", "")),
                ))
                if apply_to_wallet:
                    acc.balances[asset] = acc.balances.get(asset, Decimal(0)) + amount
                    acc.balance_times[asset] = now
            with self.store.transaction():
                self.store.add_income(rows)
                if apply_to_wallet:
                    self.save(acc)
        return len(rows)

    def add_margin_history(self, acc: Account, records: Iterable[Mapping[str, Any]]) -> int:
        """Append position-margin change records (fields as in the API answer)."""
        now = self.clock.now_ms()
        rows: list[MarginRow] = [
            (acc.account_id, str(r["symbol"]), int(r.get("time", now)), int(r["type"]),
             str(r.get("deltaType", "USER_ADJUST")), str(r["amount"]), str(r.get("asset", "USDT")),
             str(r.get("positionSide", "BOTH")))
            for r in records
        ]
        with self.lock:
            self.store.add_margin_history(rows)
        return len(rows)

    def add_records(self, acc: Account, kind: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Store order or trade records (by their `time`) for the download exports."""
        if kind not in ("order", "trade"):
            raise invalid_param("kind")
        with self.lock:
            self.store.add_records(acc.account_id, kind, ((int(r["time"]), dict(r)) for r in records))
        return len(records)

    def generate_history(
        self,
        acc: Account,
        symbols: Sequence[str],
        days: float,
        interval: str = "8h",
        trades_per_interval: int = 1,
        seed: int = 7,
        end_ms: int | None = None,
    ) -> int:
        """Bulk history: per symbol and interval a FUNDING_FEE, plus `trades_per_interval` trades each
        giving a COMMISSION and a REALIZED_PNL; deterministic for a seed. Returns the record count."""
        step = _INTERVALS.get(interval)
        if step is None:
            raise invalid_param("interval")
        for s in symbols:
            self.symbol(s)
        rng = random.Random(seed)
        end = end_ms if end_ms is not None else self.clock.now_ms()
        first = end - int(days * DAY_MS)
        first -= first % step
        account = acc.account_id

        def rows() -> Iterable[IncomeRow]:
            t = first + step
            while t <= end:
                for sym in symbols:
                    asset = self.symbols[sym].margin_asset
                    funding = rng.uniform(-2.5, 2.0)
                    yield (account, t, self.next_tran_id(), sym, "FUNDING_FEE", f"{funding:.8f}", asset,
                           "FUNDING_FEE", "")
                    for k in range(trades_per_interval):
                        trade_time = t - step + 1 + (k + 1) * (step // (trades_per_interval + 1))
                        trade_id = str(rng.randint(10**8, 10**10))
                        yield (account, trade_time, self.next_tran_id(), sym, "COMMISSION",
                               f"{-rng.uniform(0.01, 4.0):.8f}", asset, "COMMISSION", trade_id)
                        yield (account, trade_time, self.next_tran_id(), sym, "REALIZED_PNL",
                               f"{rng.uniform(-60.0, 75.0):.8f}", asset, "REALIZED_PNL", trade_id)
                t += step

        with self.lock:
            before = self._tran_id
            self.store.add_income(rows())
            return self._tran_id - before

    # -- downloads and listen keys -----------------------------------------------------------------
    def request_download(self, acc: Account, kind: str, start: int, end: int) -> str:
        """GET /fapi/v1/{kind}/asyn."""
        with self.lock:
            return self.downloads.request(acc.account_id, kind, start, end)

    def listen_key_keepalive(self, acc: Account, key: str | None) -> str:
        """PUT /fapi/v1/listenKey; -1125 for an unknown or expired key."""
        live = self.listen_keys.keepalive(acc.account_id, key)
        if live is None:
            raise BinanceError(-1125, "This listenKey does not exist.")
        return live

    def listen_key_close(self, acc: Account, key: str | None) -> None:
        """DELETE /fapi/v1/listenKey; -1125 for an unknown or expired key."""
        with self.lock:
            live = self.listen_keys.key_of(acc.account_id)
            if live is None or not self.listen_keys.close(acc.account_id, key):
                raise BinanceError(-1125, "This listenKey does not exist.")
            self.events.publish(events.ListenKeyClosed(acc.account_id, self.clock.now_ms(), live))
