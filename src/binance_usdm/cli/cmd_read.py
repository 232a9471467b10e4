"""Read commands: account, balances, positions, brackets, commission, adl, trading-status."""

from __future__ import annotations

from decimal import Decimal

import click

from binance_usdm import models as m
from binance_usdm.cli.options import SYMBOL, format_option, pass_session
from binance_usdm.cli.parallel import Started
from binance_usdm.cli.render import Cell, Column, Table, fmt_decimal, fmt_time, pnl_style
from binance_usdm.cli.session import Session
from binance_usdm.enums import MarginType, PositionSide


# --- shared views -------------------------------------------------------------------------------
def signed(value: Decimal | None) -> Cell:
    """A PnL cell (in a ``signed`` column: explicit sign), green/red on a terminal."""
    return (value, pnl_style(value))


def signed_text(value: Decimal) -> Cell:
    """A PnL outside a table: explicit sign, green/red on a terminal."""
    text = fmt_decimal(value)
    return ("+" + text if value > 0 else text, pnl_style(value))


def side_name(side: PositionSide, amount: Decimal) -> str:
    """long/short for a one-way position (by the sign of its amount), the hedge side otherwise."""
    if side is PositionSide.BOTH:
        if amount > 0:
            return "long"
        return "short" if amount < 0 else "-"
    return str(side.value).lower()


def margin_name(margin_type: MarginType) -> str:
    """cross / isolated."""
    return _MARGIN_NAMES.get(margin_type) or str(margin_type.value).lower()


_MARGIN_NAMES = {MarginType.CROSSED: "cross", MarginType.ISOLATED: "isolated"}


def price(value: Decimal | None) -> Decimal | None:
    """A price; 0 (Binance's "none", e.g. no liquidation price) shows as ``-``."""
    return None if value is None or value == 0 else value


def positions_table(positions: list[m.PositionDetails], title: str | None = "Positions") -> Table:
    """Symbol, side, size, prices, PnL, leverage, margin type, isolated margin, liquidation price."""
    table = Table(title, [
        Column("SYMBOL"), Column("SIDE"), Column("SIZE", "right"), Column("ENTRY", "right", priority=1),
        Column("MARK", "right", priority=2), Column("UNREALIZED PNL", "right", "PNL", signed=True),
        Column("LEVERAGE", "right", "LEV", priority=1), Column("MARGIN", priority=2),
        Column("ISOLATED MARGIN", "right", "ISO MARGIN", priority=3),
        Column("LIQ. PRICE", "right", "LIQ", priority=1), Column("NOTIONAL", "right", priority=3),
    ])
    for p in positions:
        table.add(
            p.symbol, side_name(p.position_side, p.position_amt), p.position_amt, price(p.entry_price),
            price(p.mark_price), signed(p.un_realized_profit), f"{p.leverage}x", margin_name(p.margin_type),
            None if p.margin_type is not MarginType.ISOLATED else p.isolated_margin,
            price(p.liquidation_price), p.notional,
        )
    return table


def _mode_name(dual: bool) -> str:
    return "hedge" if dual else "one-way"


def _multi_name(enabled: bool) -> str:
    return "on" if enabled else "off"


def _open(positions: list[m.PositionDetails]) -> list[m.PositionDetails]:
    return [p for p in positions if p.position_amt != 0]


# --- account ------------------------------------------------------------------------------------
ACCOUNT_EPILOG = """\b
Examples:
  usdm account                 # the whole picture
  usdm account --format json | jq .totals
"""


@click.command("account", epilog=ACCOUNT_EPILOG)
@click.option("--all", "show_all", is_flag=True, help="Also list assets with a zero balance.")
@format_option()
@pass_session
def account(session: Session, show_all: bool, fmt: str | None) -> None:
    """The account at a glance: margin totals, balances per asset, open positions (leverage, margin
    type, PnL, liquidation price), position mode and multi-assets mode.

    Uses account information v2, position information v2, and the position-mode and
    multi-assets-mode settings (four calls, sent in parallel).
    """
    api = session.account
    info_f, risk_f = Started(api.get_account_info), Started(api.get_position_information)
    mode_f, multi_f = Started(api.get_position_mode), Started(api.get_multi_assets_mode)
    info = info_f.result().unwrap()
    positions = _open(risk_f.result().unwrap())
    dual = mode_f.result().unwrap().dual_side_position
    multi = multi_f.result().unwrap().multi_assets_margin
    assets = [a for a in info.assets if show_all or a.wallet_balance != 0 or a.unrealized_profit != 0]
    totals = {
        name: getattr(info, name)
        for name in (
            "total_wallet_balance", "total_unrealized_profit", "total_margin_balance",
            "total_initial_margin", "total_position_initial_margin", "total_open_order_initial_margin",
            "total_maint_margin", "total_cross_wallet_balance", "total_cross_un_pnl",
            "available_balance", "max_withdraw_amount",
        )
    }
    out = session.output()
    if session.format(fmt) == "json":
        out.json({
            "position_mode": _mode_name(dual),
            "dual_side_position": dual,
            "multi_assets_margin": multi,
            "fee_tier": info.fee_tier,
            "can_trade": info.can_trade,
            "update_time": info.update_time,
            "totals": totals,
            "assets": assets,
            "positions": positions,
        })
        return
    ratio = (
        f"{fmt_decimal(info.total_maint_margin / info.total_margin_balance * 100, 2)}%"
        if info.total_margin_balance > 0 else "-"
    )
    flags = [f"{_mode_name(dual)} position mode", f"multi-assets mode {_multi_name(multi)}"]
    if info.fee_tier is not None:
        flags.append(f"fee tier {info.fee_tier}")
    if info.can_trade is False:
        flags.append("TRADING DISABLED")
    out.fields(f"Account ({', '.join(flags)})", [
        ("Wallet balance", fmt_decimal(info.total_wallet_balance)),
        ("Unrealized PnL", signed_text(info.total_unrealized_profit)),
        ("Margin balance", fmt_decimal(info.total_margin_balance)),
        ("Initial margin", f"{fmt_decimal(info.total_initial_margin)} (positions "
         f"{fmt_decimal(info.total_position_initial_margin)}, open orders "
         f"{fmt_decimal(info.total_open_order_initial_margin)})"),
        ("Maintenance margin", fmt_decimal(info.total_maint_margin)),
        ("Margin ratio", ratio),
        ("Available balance", fmt_decimal(info.available_balance)),
        ("Max withdraw", fmt_decimal(info.max_withdraw_amount)),
    ])
    table = Table("Assets", [
        Column("ASSET"), Column("WALLET", "right"), Column("UNREALIZED PNL", "right", "PNL", signed=True),
        Column("MARGIN BALANCE", "right", "MARGIN", priority=2), Column("AVAILABLE", "right", "AVAIL."),
        Column("MAX WITHDRAW", "right", "MAX WDR.", priority=1),
    ])
    for a in assets:
        table.add(a.asset, a.wallet_balance, signed(a.unrealized_profit), a.margin_balance,
                  a.available_balance, a.max_withdraw_amount)
    out.table(table)
    if positions:
        out.table(positions_table(positions))
    else:
        out.echo()
        out.echo("No open positions.")


# --- balances -----------------------------------------------------------------------------------
@click.command("balances", epilog="\b\nExamples:\n  usdm balances\n  usdm balances --all --format json")
@click.option("--all", "show_all", is_flag=True, help="Also list assets with a zero balance.")
@format_option()
@pass_session
def balances(session: Session, show_all: bool, fmt: str | None) -> None:
    """Balance of every asset in the futures wallet (balance v2)."""
    rows = [b for b in session.account.get_balances().unwrap() if show_all or b.balance != 0 or b.cross_un_pnl != 0]
    out = session.output()
    if session.format(fmt) == "json":
        out.json(rows)
        return
    table = Table(None, [
        Column("ASSET"), Column("BALANCE", "right"), Column("CROSS WALLET", "right", "CROSS", priority=2),
        Column("CROSS UNREALIZED PNL", "right", "CROSS PNL", priority=1, signed=True),
        Column("AVAILABLE", "right", "AVAIL."), Column("MAX WITHDRAW", "right", "MAX WDR.", priority=1),
    ])
    for b in rows:
        table.add(b.asset, b.balance, b.cross_wallet_balance, signed(b.cross_un_pnl), b.available_balance,
                  b.max_withdraw_amount)
    out.table(table)


# --- positions ----------------------------------------------------------------------------------
POSITIONS_EPILOG = """\b
Examples:
  usdm positions            # open positions
  usdm positions BTCUSDT    # one symbol, open or not
  usdm positions --all      # every symbol's settings
"""


@click.command("positions", epilog=POSITIONS_EPILOG)
@click.argument("symbol", type=SYMBOL, required=False)
@click.option("--all", "show_all", is_flag=True, help="Also list symbols without a position.")
@format_option()
@pass_session
def positions(session: Session, symbol: str | None, show_all: bool, fmt: str | None) -> None:
    """Positions with leverage, margin type, PnL and liquidation price (position information v2).

    Without SYMBOL only open positions are listed (unless --all); with SYMBOL every side of that
    symbol is, open or not.
    """
    rows = session.account.get_position_information(symbol).unwrap()
    if symbol is None and not show_all:
        rows = _open(rows)
    out = session.output()
    if session.format(fmt) == "json":
        out.json(rows)
        return
    if not rows:
        out.echo("No open positions." if symbol is None else f"No position information for {symbol}.")
        return
    out.table(positions_table(rows, None))


# --- brackets -----------------------------------------------------------------------------------
@click.command("brackets", epilog="\b\nExamples:\n  usdm brackets BTCUSDT\n  usdm brackets --format json")
@click.argument("symbol", type=SYMBOL, required=False)
@format_option()
@pass_session
def brackets(session: Session, symbol: str | None, fmt: str | None) -> None:
    """Notional and leverage brackets: the maximum leverage allowed at each position size."""
    rows = session.account.get_brackets(symbol).unwrap()
    out = session.output()
    if session.format(fmt) == "json":
        out.json(rows)
        return
    table = Table(None, [
        Column("SYMBOL"), Column("BRACKET", "right", "#", priority=2), Column("MAX LEVERAGE", "right", "MAX LEV"),
        Column("NOTIONAL FLOOR", "right", "FLOOR", priority=1), Column("NOTIONAL CAP", "right", "CAP"),
        Column("MAINT. RATIO", "right", "MAINT.", priority=1), Column("CUM", "right", priority=3),
    ])
    for item in rows:
        for b in item.brackets:
            table.add(item.symbol, str(b.bracket), f"{b.initial_leverage}x", b.notional_floor, b.notional_cap,
                      b.maint_margin_ratio, b.cum)
    out.table(table)


# --- commission ---------------------------------------------------------------------------------
def _rate(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{fmt_decimal(value)} ({fmt_decimal(value * 100, 4)}%)"


@click.command("commission", epilog="\b\nExample:\n  usdm commission BTCUSDT")
@click.argument("symbol", type=SYMBOL)
@format_option()
@pass_session
def commission(session: Session, symbol: str, fmt: str | None) -> None:
    """Your maker and taker commission rates on SYMBOL."""
    rate = session.account.get_user_commission_rate(symbol).unwrap()
    out = session.output()
    if session.format(fmt) == "json":
        out.json(rate)
        return
    pairs: list[tuple[str, Cell]] = [("Maker", _rate(rate.maker_commission_rate)),
                                     ("Taker", _rate(rate.taker_commission_rate))]
    if rate.rpi_commission_rate is not None:
        pairs.append(("RPI", _rate(rate.rpi_commission_rate)))
    out.fields(f"Commission on {rate.symbol}", pairs)


# --- adl ----------------------------------------------------------------------------------------
def _quantile(value: int | None) -> Cell:
    if value is None:
        return "-"
    style = "red" if value >= 4 else "yellow" if value >= 3 else None
    return (str(value), style)


@click.command("adl", epilog="\b\nExamples:\n  usdm adl\n  usdm adl ETHUSDT")
@click.argument("symbol", type=SYMBOL, required=False)
@format_option()
@pass_session
def adl(session: Session, symbol: str | None, fmt: str | None) -> None:
    """Auto-deleveraging queue estimate per position: 0 (last in line) .. 4 (first to be deleveraged)."""
    rows = session.account.get_position_adl_quantile_estimation(symbol).unwrap()
    out = session.output()
    if session.format(fmt) == "json":
        out.json(rows)
        return
    if not rows:
        out.echo("No positions in the ADL queue.")
        return
    table = Table(None, [Column("SYMBOL"), Column("LONG", "right"), Column("SHORT", "right"),
                         Column("BOTH", "right"), Column("HEDGE", "right")])
    for r in rows:
        q = r.adl_quantile
        table.add(r.symbol, _quantile(q.long), _quantile(q.short), _quantile(q.both), _quantile(q.hedge))
    out.table(table)


# --- trading status -----------------------------------------------------------------------------
@click.command("trading-status", epilog="\b\nExample:\n  usdm trading-status")
@click.argument("symbol", type=SYMBOL, required=False)
@format_option()
@pass_session
def trading_status(session: Session, symbol: str | None, fmt: str | None) -> None:
    """Trading quantitative-rules indicators: whether the account or a symbol is locked, and why.

    Indicators: UFR unfilled ratio, IFER IOC/FOK expiration ratio, GCR GTC cancellation ratio,
    DR dust ratio, TMV too many violations.
    """
    status = session.account.get_trading_status(symbol=symbol).unwrap()
    out = session.output()
    if session.format(fmt) == "json":
        out.json(status)
        return
    rows: list[tuple[str, m.TradingIndicatorStatus]] = [
        (name, ind) for name, items in sorted(status.indicators.items()) for ind in items
    ]
    if not rows:
        out.echo("No indicators triggered: trading is not restricted.")
        return
    table = Table(None, [Column("SYMBOL"), Column("INDICATOR", short="IND."), Column("VALUE", "right"),
                         Column("TRIGGER", "right", priority=1), Column("LOCKED"),
                         Column("RECOVERS AT (UTC)", short="RECOVERS (UTC)")])
    for name, ind in rows:
        locked: Cell = ("yes", "red") if ind.is_locked else "no"
        table.add(name, str(ind.indicator.value), ind.value, ind.trigger_value,
                  locked, fmt_time(ind.planned_recover_time) if ind.is_locked else None)
    out.table(table)


COMMANDS: list[click.Command] = [account, balances, positions, brackets, commission, adl, trading_status]
