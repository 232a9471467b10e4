"""The user data stream from the shell: ``usdm events`` (JSON lines) and ``usdm watch`` (a live view)."""

from __future__ import annotations

import sys
from collections import deque
from datetime import UTC, datetime
from typing import IO, Any

import click

from binance_usdm.cli.cmd_read import margin_name, price, side_name, signed
from binance_usdm.cli.options import pass_session
from binance_usdm.cli.render import (
    Column,
    Table,
    clip,
    fmt_decimal,
    has_rich,
    is_tty,
    note,
    printable,
    render_plain,
    terminal_width,
    to_json,
)
from binance_usdm.cli.session import Session
from binance_usdm.models.events import (
    AccountUpdate,
    MarginCall,
    OrderTradeUpdate,
    TradeLite,
)
from binance_usdm.stream import (
    Change,
    Connected,
    Disconnected,
    ListenKeyReplaced,
    LiveAccount,
    Notice,
    Reconnected,
    StreamItem,
)

EVENT_LINES = 8
"""Event lines kept under the live view."""


def describe_notice(notice: Notice) -> str:
    """One line about a notice (never the listen key)."""
    if isinstance(notice, Connected):
        return f"connected to {notice.url}"
    if isinstance(notice, Disconnected):
        return f"disconnected: {notice.reason}; retrying in {notice.retry_in:.1f}s"
    if isinstance(notice, Reconnected):
        return f"reconnected after {notice.gap.total_seconds():.1f}s (events of that gap may be missing)"
    if isinstance(notice, ListenKeyReplaced):
        return f"new listen key: {notice.reason}"
    return f"skipped a message: {notice.problem}"


def event_record(event: Any) -> dict[str, Any]:
    """An event as a JSON-ready dict: its type first, then its fields with Python names."""
    body = event.to_dict()
    body.pop("event_type", None)
    return {"event_type": event.event_type, **body}


def _change_text(change: Change) -> str:
    new: Any = change.new
    if change.kind == "balance":
        return f"{change.key} {fmt_decimal(new.wallet_balance) if new is not None else '-'}"
    if change.kind == "position":
        return f"{change.key} {fmt_decimal(new.position_amount) if new is not None else '0'}"
    if change.kind == "leverage":
        return f"{change.key} {change.old}x->{new}x"
    if change.kind == "margin_type":
        return f"{change.key} {str(new).lower()}"
    if change.kind == "multi_assets_mode":
        return f"multi-assets {'on' if new else 'off'}"
    return f"position mode {'hedge' if new else 'one-way'}"


def describe_item(item: StreamItem, changes: tuple[Change, ...] = ()) -> str:
    """One line about an event or notice and what it changed."""
    if isinstance(item, Notice):
        text = describe_notice(item)
        if changes:
            text += f"; resynced: {', '.join(_change_text(change) for change in changes)}"
        return text
    kind = item.event_type
    if isinstance(item, AccountUpdate):
        detail = str(item.reason)
    elif isinstance(item, MarginCall):
        detail = " ".join(f"{p.symbol} {p.position_side} mm {fmt_decimal(p.maintenance_margin)}"
                          for p in item.positions)
    elif isinstance(item, OrderTradeUpdate):
        order = item.order
        detail = (f"{order.symbol} {order.side} {order.order_type} {order.order_status} "
                  f"{fmt_decimal(order.filled_quantity)}")
    elif isinstance(item, TradeLite):
        quantity, price = fmt_decimal(item.last_filled_quantity), fmt_decimal(item.last_filled_price)
        detail = f"{item.symbol} {item.side} {quantity}@{price}"
    else:  # listenKeyExpired, or a type without fields worth a line
        detail = ""
    parts = [kind, detail, ", ".join(_change_text(change) for change in changes)]
    return " ".join(part for part in parts if part)


def _stamp(text: str, width: int | None) -> str:
    line = f"{datetime.now(UTC):%H:%M:%S} {printable(text)}"
    return line if width is None else clip(line, width)


# --- usdm events ----------------------------------------------------------------------------------
@click.command("events", epilog="\b\nExamples:\n  usdm events\n  usdm events -n 10 | jq .event_type")
@click.option("-n", "--count", type=click.IntRange(1), metavar="N", help="Stop after N events.")
@click.option("--notices/--no-notices", default=True, show_default=True,
              help="Report connection notices (connected, reconnected, new key) on stderr.")
@pass_session
def events(session: Session, count: int | None, notices: bool) -> None:
    """The account's user data events as JSON lines on stdout (exact decimals as strings), until
    Ctrl-C or N events. The stream reconnects by itself; notices go to stderr. A reader that goes
    away (``| head``) ends it quietly, like every command (``main.UsdmGroup``)."""
    client = session.client()
    out = sys.stdout
    try:
        with client.user_stream() as stream:
            seen = 0
            for item in stream:
                if isinstance(item, Notice):
                    if notices:
                        note(f"usdm: {describe_notice(item)}")
                    continue
                out.write(to_json(event_record(item), indent=None) + "\n")
                out.flush()
                seen += 1
                if count is not None and seen >= count:
                    return
    except KeyboardInterrupt:
        return


# --- usdm watch -----------------------------------------------------------------------------------
def _summary(account: LiveAccount, width: int | None) -> list[str]:
    """The account as plain lines fitted to ``width`` (None: no limit), laid out like every table."""
    mode = "hedge" if account.hedge_mode else "one-way"
    balances = Table("Balances", [Column("ASSET"), Column("WALLET", "right"),
                                  Column("CROSS WALLET", "right", "CROSS", priority=1)])
    for asset, balance in sorted(account.balances.items()):
        if balance.wallet_balance:
            balances.add(asset, balance.wallet_balance, balance.cross_wallet_balance)
    positions = Table("Positions", [
        Column("SYMBOL"), Column("SIDE"), Column("SIZE", "right"), Column("ENTRY", "right", priority=1),
        Column("UNREALIZED PNL", "right", "PNL", signed=True), Column("LEVERAGE", "right", "LEV", priority=1),
        Column("MARGIN", priority=2),
    ])
    for (symbol, side), position in sorted(account.positions.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        if position.position_amount:
            leverage = account.leverage(symbol)
            positions.add(symbol, side_name(side, position.position_amount), position.position_amount,
                          price(position.entry_price), signed(position.unrealized_pnl),
                          "-" if leverage is None else f"{leverage}x", margin_name(position.margin_type))
    return [f"position mode {mode} · multi-assets {'on' if account.multi_assets_mode else 'off'}",
            *render_plain(balances, width), "", *render_plain(positions, width)]


def _watch_plain(account: LiveAccount, out: IO[str], width: int | None) -> None:
    out.write("\n".join(_summary(account, width)) + "\n")
    out.flush()
    for update in account:
        out.write(_stamp(describe_item(update.item, update.changes), width) + "\n")
        out.flush()


def _watch_live(account: LiveAccount, width: int | None) -> None:
    from rich.console import Console, Group
    from rich.live import Live
    from rich.text import Text

    console = Console()
    recent: deque[str] = deque(maxlen=EVENT_LINES)
    if width is not None:  # room for the ^C the terminal echoes after the last line (wrapped, it made
        width -= 3  # the last redraw one line short: the first line was shown twice)

    def view() -> Group:
        summary = [Text(line) for line in _summary(account, width)]
        title = Text("events (Ctrl-C to quit)", style="bold")
        return Group(*summary, Text(""), title, *(Text(line, style="dim") for line in recent))

    with Live(view(), console=console, auto_refresh=False, transient=False) as live:
        for update in account:
            recent.append(_stamp(describe_item(update.item, update.changes), width))
            live.update(view(), refresh=True)


@click.command("watch", epilog="\b\nExample:\n  usdm watch")
@pass_session
def watch(session: Session) -> None:
    """A live view of the account (balances, positions, leverage, margin types, modes) kept current by
    the user data stream, with a line per event. Ctrl-C quits and closes the listen key."""
    client = session.client()
    width = terminal_width(sys.stdout)
    try:
        with client.live_account() as account:
            if is_tty(sys.stdout) and has_rich():
                _watch_live(account, width)
            else:
                _watch_plain(account, sys.stdout, width)
    except KeyboardInterrupt:
        return


COMMANDS = (events, watch)
