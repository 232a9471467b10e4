"""The ``usdm`` command: a Binance USD-M futures account from the shell."""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import TYPE_CHECKING, Any

import click

from binance_usdm._version import __version__
from binance_usdm.cli.loading import loading

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

MAIN_HELP = """Binance USD-M futures account from the shell.

Credentials come from BINANCE_API_KEY with BINANCE_API_SECRET (HMAC) or BINANCE_PRIVATE_KEY (path
of an RSA/Ed25519 PEM), or from a profile of the config file ($USDM_CONFIG, default
~/.config/usdm/config.toml). With none configured, usdm runs against the built-in emulator's demo
account and says so on stderr.
"""

MAIN_EPILOG = """\b
Examples:
  usdm account                # the whole account
  usdm positions --format json
  usdm --testnet leverage BTCUSDT 20
  usdm --profile main income --since 30d -o income.csv

Exit codes: 0 ok, 1 Binance/API or network error, 2 usage error, 130 interrupted (Ctrl-C).
events, watch and emulator run until Ctrl-C, which ends them with 0.

Shell completion: eval "$(usdm completion bash)" (or zsh, fish), equivalent to
eval "$(_USDM_COMPLETE=bash_source usdm)".
"""


NEGATIVE_NUMBER = re.compile(r"-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class UsdmGroup(click.Group):
    """Loads a command's module when the command is used (``COMMANDS``); lists them all from the
    table. Turns expected errors (Binance, configuration) into one line on stderr without a
    traceback, and a closed output pipe into a quiet success."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, short_help = COMMANDS[cmd_name]
        with loading():
            module = importlib.import_module(f"binance_usdm.cli.{module_name}")
        defined: list[click.Command] = list(module.COMMANDS)
        command = next(command for command in defined if command.name == cmd_name)
        command.short_help = short_help
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem  # as click does: only completion needs it

        names = [CompletionItem(name, help=COMMANDS[name][1])
                 for name in self.list_commands(ctx) if name.startswith(incomplete)]
        return names + click.Command.shell_complete(self, ctx, incomplete)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as exc:
            if NEGATIVE_NUMBER.fullmatch(exc.option_name):
                raise click.UsageError(
                    f"{exc.option_name} reads as an option: a negative number is never needed here (amounts "
                    "are positive: say add or reduce); to pass a value that starts with '-', put -- before it",
                    ctx=exc.ctx,
                ) from None
            raise
        except BrokenPipeError:  # the reader has gone (``| head -1``): nothing left to say
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            from binance_usdm.cli.session import as_command_error

            failure = as_command_error(exc)
            if failure is None:
                raise
            raise failure from None


@click.group(cls=UsdmGroup, help=MAIN_HELP, epilog=MAIN_EPILOG,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--format", "fmt", type=click.Choice(["table", "json"], case_sensitive=False), default=None,
              help="Default output format of every command (each also takes --format).")
@click.option("--base-url", metavar="URL", envvar="USDM_BASE_URL",
              help="Talk to this server (e.g. an emulator at http://127.0.0.1:8765).")
@click.option("--testnet", is_flag=True, default=False, help="Use Binance's futures testnet.")
@click.option("--profile", metavar="NAME", envvar="USDM_PROFILE", help="Profile of the config file to use.")
@click.option("--recv-window", type=click.IntRange(1, 60_000), metavar="MS",
              help="How long (ms) a signed request stays valid (Binance default 5000).")
@click.version_option(__version__, "-V", "--version", prog_name="usdm")
@click.pass_context
def cli(ctx: click.Context, fmt: str | None, base_url: str | None, testnet: bool, profile: str | None,
        recv_window: int | None) -> None:
    from binance_usdm.cli.session import Session

    ctx.obj = Session(ctx, fmt=fmt.lower() if fmt else None, base_url=base_url,  # type: ignore[arg-type]
                      testnet=testnet, profile=profile, recv_window=recv_window)


COMMANDS: dict[str, tuple[str, str]] = {
    "account": ("cmd_read", "Balances, margin, positions and modes at a glance."),
    "balances": ("cmd_read", "Balance of every asset."),
    "positions": ("cmd_read", "Positions: leverage, margin type, PnL, liq. price."),
    "brackets": ("cmd_read", "Notional and leverage brackets."),
    "commission": ("cmd_read", "Maker and taker commission rates of a symbol."),
    "adl": ("cmd_read", "Auto-deleveraging queue estimates."),
    "trading-status": ("cmd_read", "Trading quantitative-rules indicators (locks)."),
    "leverage": ("cmd_write", "Set a symbol's initial leverage."),
    "margin-type": ("cmd_write", "Switch a symbol between isolated and crossed margin."),
    "position-mode": ("cmd_write", "Show or set hedge / one-way position mode."),
    "multi-assets": ("cmd_write", "Show or set Multi-Assets mode."),
    "position-margin": ("cmd_write", "Add or remove isolated position margin."),
    "listen-key": ("cmd_write", "Start, keep alive or close a user-stream listen key."),
    "income": ("cmd_history", "Income history of a time window (table, JSON, CSV, JSON lines, Parquet)."),
    "margin-history": ("cmd_history", "Isolated position-margin changes of a symbol."),
    "download": ("cmd_history", "Download order, trade or transaction history as CSV."),
    "watch": ("cmd_stream", "Live view of the account, kept current by the user data stream."),
    "events": ("cmd_stream", "User data stream events as JSON lines."),
    "config": ("cmd_setup", "Show where credentials and the endpoint come from."),
    "completion": ("cmd_setup", "Print a shell completion script."),
    "emulator": ("cmd_setup", "Run the local Binance USD-M emulator."),
}
"""Every command: the module of ``binance_usdm.cli`` defining it (in its ``COMMANDS``) and its line
in ``usdm --help``. A command's module is imported only when the command runs (or completes), so
``usdm --help`` and each command load just what they use."""


EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C: 128 + SIGINT, as shells report it."""


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``usdm`` script: exit 0 ok, 1 API/network error, 2 usage error, 130 after
    Ctrl-C (without click's ``Aborted!``); a reader that closes the pipe early (``| head -1``) ends the
    command quietly with 0."""
    try:
        code = cli.main(args, prog_name="usdm", standalone_mode=False)
    except click.ClickException as exc:
        _show(exc)
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt):  # click has ended the ^C line on stderr
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        code = 0
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    sys.exit(code if isinstance(code, int) else 0)


def _show(exc: click.ClickException) -> None:
    """The error on stderr: one line for scripts; on a terminal, broken at spaces to its width."""
    from binance_usdm.cli.render import terminal_width, wrap

    width = terminal_width(sys.stderr)
    if width is None:
        exc.show()
        return
    import io

    shown = io.StringIO()
    exc.show(file=shown)
    for line in shown.getvalue().splitlines():
        for part in wrap(line, width, indent="  ", break_long_words=False):
            click.echo(part, err=True)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not complain of the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


__all__ = ["cli", "main"]
