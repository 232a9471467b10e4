"""Settings commands: leverage, margin-type, position-mode, multi-assets, position-margin, listen-key."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from binance_usdm._wire.limits import MAX_LEVERAGE
from binance_usdm.cli.cmd_read import _mode_name, _multi_name
from binance_usdm.cli.options import AMOUNT, SYMBOL, format_option, pass_session
from binance_usdm.cli.render import fmt_decimal
from binance_usdm.cli.session import CommandError, Session, describe, refused
from binance_usdm.enums import MarginChangeDirection, MarginType
from binance_usdm.models import PositionV3

if TYPE_CHECKING:
    from binance_usdm import WebCallResult

# Binance error codes with a next step (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code)
INVALID_LEVERAGE = -4028
NO_MARGIN_TYPE_CHANGE = -4046
NO_POSITION_MODE_CHANGE = -4059
POSITION_SIDE_MISMATCH = -4061
NO_MULTI_ASSETS_CHANGE = -4171


@click.command("leverage", epilog="\b\nExample:\n  usdm leverage BTCUSDT 20")
@click.argument("symbol", type=SYMBOL)
@click.argument("leverage", type=click.IntRange(1, MAX_LEVERAGE), metavar="N")
@format_option()
@pass_session
def leverage(session: Session, symbol: str, leverage: int, fmt: str | None) -> None:
    """Set the initial leverage of SYMBOL to N (1..125; the symbol's brackets may allow less)."""
    call = session.account.change_initial_leverage(symbol, leverage)
    if call.error is not None and refused(call.error, INVALID_LEVERAGE):
        raise CommandError(f"{describe(call.error)}; {_leverage_hint(session, symbol)}")
    result = call.unwrap()
    out = session.output()
    if session.format(fmt) == "json":
        out.json(result)
        return
    out.echo(f"{result.symbol}: leverage {result.leverage}x "
             f"(max notional at this leverage {fmt_decimal(result.max_notional_value)})")


def _leverage_hint(session: Session, symbol: str) -> str:
    """What leverage ``symbol`` allows, from its brackets (the first bracket has the highest)."""
    brackets = session.account.get_brackets(symbol).data
    levels = [b.initial_leverage for item in brackets or () for b in item.brackets]
    if not levels:
        return f"see usdm brackets {symbol} for the leverage it allows"
    return (f"{symbol} allows at most {max(levels)}x (less on a larger position: usdm brackets {symbol})")


@click.command("margin-type", epilog="\b\nExamples:\n  usdm margin-type ETHUSDT isolated\n"
               "  usdm margin-type ETHUSDT crossed")
@click.argument("symbol", type=SYMBOL)
@click.argument("margin_type", metavar="isolated|crossed",
                type=click.Choice(["isolated", "crossed", "cross"], case_sensitive=False))
@format_option()
@pass_session
def margin_type(session: Session, symbol: str, margin_type: str, fmt: str | None) -> None:
    """Switch SYMBOL between isolated and crossed margin.

    A symbol that already has that margin type is left as it is ("already ...", exit 0); Binance
    refuses (-4048) a change while the symbol has a position or open orders.
    """
    kind = MarginType.ISOLATED if margin_type.lower() == "isolated" else MarginType.CROSSED
    call = session.account.change_margin_type(symbol, kind)
    changed = _set(call, NO_MARGIN_TYPE_CHANGE)
    out = session.output()
    if session.format(fmt) == "json":
        out.json({"symbol": symbol, "margin_type": kind.value, "changed": changed})
        return
    out.echo(f"{symbol}: margin type {'set to' if changed else 'already'} {kind.value.lower()}")


@click.command("position-mode", epilog="\b\nExamples:\n  usdm position-mode            # show\n"
               "  usdm position-mode hedge\n  usdm position-mode one-way")
@click.argument("mode", required=False, type=click.Choice(["hedge", "one-way"], case_sensitive=False))
@format_option()
@pass_session
def position_mode(session: Session, mode: str | None, fmt: str | None) -> None:
    """Show the position mode, or set it: hedge (LONG and SHORT sides) or one-way, for every symbol."""
    api = session.account
    changed: bool | None = None
    if mode is None:
        dual = api.get_position_mode().unwrap().dual_side_position
    else:
        dual = mode.lower() == "hedge"
        changed = _set(api.modify_position_mode(dual), NO_POSITION_MODE_CHANGE)
    _report_mode(session, fmt, "Position mode", _mode_name(dual), changed,
                 {"position_mode": _mode_name(dual), "dual_side_position": dual})


@click.command("multi-assets", epilog="\b\nExamples:\n  usdm multi-assets        # show\n"
               "  usdm multi-assets on")
@click.argument("state", required=False, type=click.Choice(["on", "off"], case_sensitive=False))
@format_option()
@pass_session
def multi_assets(session: Session, state: str | None, fmt: str | None) -> None:
    """Show Multi-Assets mode, or turn it on or off (off: Single-Asset mode), for every symbol."""
    api = session.account
    changed: bool | None = None
    if state is None:
        enabled = api.get_multi_assets_mode().unwrap().multi_assets_margin
    else:
        enabled = state.lower() == "on"
        changed = _set(api.set_multi_assets_mode(enabled), NO_MULTI_ASSETS_CHANGE)
    _report_mode(session, fmt, "Multi-assets mode", _multi_name(enabled), changed,
                 {"multi_assets_margin": enabled})


def _set(call: WebCallResult[Any], unchanged_code: int) -> bool:
    """Whether a setting call changed it: False when Binance says it already had that value."""
    if refused(call.error, unchanged_code):
        return False
    call.unwrap()
    return True


def _report_mode(session: Session, fmt: str | None, label: str, name: str, changed: bool | None,
                 data: dict[str, object]) -> None:
    """Print an account-wide mode after showing it (``changed`` None) or setting it."""
    out = session.output()
    if session.format(fmt) == "json":
        out.json(data if changed is None else {**data, "changed": changed})
        return
    if changed is None:
        out.echo(f"{label}: {name}")
    else:
        out.echo(f"{label} {'set to' if changed else 'already'} {name}")


@click.command("position-margin", epilog="\b\nExamples:\n  usdm position-margin ETHUSDT add 100\n"
               "  # hedge mode: name the side\n  usdm position-margin ETHUSDT reduce 50 --side SHORT")
@click.argument("symbol", type=SYMBOL)
@click.argument("direction", metavar="add|reduce", type=click.Choice(["add", "reduce"], case_sensitive=False))
@click.argument("amount", type=AMOUNT)
@click.option("--side", type=click.Choice(["LONG", "SHORT", "BOTH"], case_sensitive=False),
              help="Position side (LONG or SHORT in hedge mode; default BOTH).")
@format_option()
@pass_session
def position_margin(
    session: Session, symbol: str, direction: str, amount: Decimal | str, side: str | None, fmt: str | None
) -> None:
    """Add margin to, or remove it from, the isolated position of SYMBOL.

    Never resent automatically: when the outcome is unknown, look at the
    margin history before trying again.
    """
    kind = MarginChangeDirection.ADD if direction.lower() == "add" else MarginChangeDirection.REDUCE
    position_side = None if side is None else side.upper()
    call = session.account.modify_position_margin(symbol, amount, kind, position_side)
    if call.error is not None and refused(call.error, POSITION_SIDE_MISMATCH):
        raise CommandError(f"{describe(call.error)}; in hedge mode give --side LONG or --side SHORT, in "
                           "one-way mode leave --side out (usdm position-mode shows the mode)")
    result = call.unwrap()
    position = _isolated_position(session, symbol, position_side or "BOTH")
    asset = position.margin_asset if position is not None else None
    margin = position.isolated_margin if position is not None else None
    out = session.output()
    if session.format(fmt) == "json":
        out.json({"symbol": symbol, "position_side": position_side or "BOTH", **result.to_dict(),
                  "asset": asset, "isolated_margin": margin})
        return
    verb = "added to" if result.type is MarginChangeDirection.ADD else "removed from"
    where = f"{symbol} {position_side}" if position_side else symbol
    unit = f" {asset}" if asset else ""
    after = "" if margin is None else f"; isolated margin now {fmt_decimal(margin)}{unit}"
    out.echo(f"{fmt_decimal(result.amount)}{unit} margin {verb} {where}{after}")


def _isolated_position(session: Session, symbol: str, side: str) -> PositionV3 | None:
    """The position just changed (its margin asset and new isolated margin), if Binance lists it."""
    rows = session.account.get_position_information_v3(symbol).data or []
    return next((p for p in rows if p.symbol == symbol and p.position_side.value == side), None)


# --- listen keys --------------------------------------------------------------------------------
@click.group("listen-key", epilog="\b\nExamples:\n  usdm listen-key start\n"
             "  usdm listen-key keepalive KEY\n  usdm listen-key close KEY")
def listen_key() -> None:
    """User data stream listen keys: start one, keep it alive (60 more minutes), or close it."""


@listen_key.command("start")
@format_option()
@pass_session
def listen_key_start(session: Session, fmt: str | None) -> None:
    """Create a listen key (or extend the live one) and print it."""
    key = session.account.start_user_stream().unwrap()
    out = session.output()
    if session.format(fmt) == "json":
        out.json({"listen_key": key})
    else:
        out.echo(key)


@listen_key.command("keepalive")
@click.argument("key")
@pass_session
def listen_key_keepalive(session: Session, key: str) -> None:
    """Extend KEY by 60 minutes (call it about every 30 minutes)."""
    session.account.keep_alive_user_stream(key).unwrap()
    session.output().echo("Listen key extended by 60 minutes")


@listen_key.command("close")
@click.argument("key")
@pass_session
def listen_key_close(session: Session, key: str) -> None:
    """Close the user data stream of KEY."""
    session.account.stop_user_stream(key).unwrap()
    session.output().echo("Listen key closed")


COMMANDS: list[click.Command] = [leverage, margin_type, position_mode, multi_assets, position_margin, listen_key]
