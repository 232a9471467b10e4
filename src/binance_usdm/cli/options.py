"""Shared click pieces: the session decorator, ``--format``, Decimal and symbol parameter types."""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import click
from click.shell_completion import CompletionItem

from binance_usdm.cli.session import Session, session_of

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:  # click >= 8.2 types ParamType as a generic; 8.1 cannot subscript it at run time
    _ParamTypeDecimal = click.ParamType[Decimal, Any]
    _ParamTypeStr = click.ParamType[str, Any]
else:
    _ParamTypeDecimal = _ParamTypeStr = click.ParamType

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


class DecimalParam(_ParamTypeDecimal):
    """A positive decimal amount, kept exact."""

    name = "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            number = value
        else:
            try:
                number = Decimal(str(value).strip())
            except InvalidOperation:
                self.fail(f"{value!r} is not a number", param, ctx)
        if not number.is_finite() or number <= 0:
            self.fail(f"{value!r} must be a positive number", param, ctx)
        return number


class SymbolParam(_ParamTypeStr):
    """A symbol such as BTCUSDT (upper-cased); completes common symbols."""

    name = "SYMBOL"
    COMMON = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "BTCUSDC")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip().upper()
        if not text or not text.isalnum():
            self.fail(f"{value!r} is not a symbol (like BTCUSDT)", param, ctx)
        return text

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        return [CompletionItem(s) for s in self.COMMON if s.startswith(incomplete.upper())]


AMOUNT = DecimalParam()
SYMBOL = SymbolParam()
