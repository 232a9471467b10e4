"""Shared click pieces: the session decorator, ``--format``, amount and symbol parameter types."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import click

from binance_usdm.cli.session import Session, session_of

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    # click >= 8.2 types ParamType as a generic; 8.1 cannot subscript it at run time
    _ParamTypeAmount = click.ParamType[Decimal | str, Any]
    _ParamTypeStr = click.ParamType[str, Any]
else:
    _ParamTypeAmount = _ParamTypeStr = click.ParamType

_PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")

FORMAT_HELP = "Output format: table (default) or json (exact decimals as strings, ISO-8601 UTC times)."


def pass_session(func: Callable[Concatenate[Session, P], R]) -> Callable[P, R]:
    """Give the command the invocation's ``Session`` as first argument."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return func(session_of(click.get_current_context()), *args, **kwargs)

    return wrapper


def format_option(*choices: str, help: str = FORMAT_HELP) -> Callable[[F], F]:
    """``--format`` with the given choices (default table|json); overrides the global ``--format``."""
    return click.option(
        "--format", "fmt", type=click.Choice(choices or ("table", "json"), case_sensitive=False),
        default=None, help=help,
    )


class AmountParam(_ParamTypeAmount):
    """An amount as typed (``12.5``): the library checks it as Binance would (a positive plain decimal,
    at most 20 digits before the point and 8 after) and its ``ValidationError`` becomes a usage error
    naming AMOUNT. Plain decimal text goes as a Decimal, so the library can say which limit it breaks."""

    name = "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal | str:
        text = str(value).strip()
        return Decimal(text) if _PLAIN_DECIMAL.fullmatch(text) else text


class SymbolParam(_ParamTypeStr):
    """A symbol such as BTCUSDT, BTCUSDT_260327 or 币安人生USDT, checked and upper-cased as the client
    does it; completes from the exchange's symbol list (cached)."""

    name = "SYMBOL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from binance_usdm._wire.validate import symbol
        from binance_usdm.errors import ValidationError

        try:
            return symbol(str(value))
        except ValidationError as exc:
            self.fail(f"{value!r} is not a symbol: it {exc.problem.rsplit(', got ', 1)[0]}", param, ctx)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        from binance_usdm.cli.symbols import known_symbols

        return [CompletionItem(s) for s in known_symbols(ctx) if s.startswith(incomplete.upper())]


AMOUNT = AmountParam()
SYMBOL = SymbolParam()
