"""The ``usdm`` command: a Binance USD-M futures account from the shell."""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import click
from click.shell_completion import get_completion_class

from binance_usdm import __version__
from binance_usdm.cli import cmd_history, cmd_read, cmd_stream, cmd_write
from binance_usdm.cli.config import config_path, resolve
from binance_usdm.cli.options import format_option, pass_session
from binance_usdm.cli.session import CommandError, CommandUsageError, Session, as_command_error, demo_state_path

MAIN_HELP = """Binance USD-M futures account from the shell.

Credentials come from BINANCE_API_KEY with BINANCE_API_SECRET (HMAC) or BINANCE_PRIVATE_KEY (path
of an RSA/Ed25519 PEM), or from a profile of the config file ($USDM_CONFIG, default
~/.config/usdm/config.toml). With none configured, usdm runs against the built-in emulator's demo
account and says so on stderr.
"""

MAIN_EPILOG = """\b
Examples:
  usdm account                          # balances, margin, positions, modes
  usdm positions --format json          # machine-readable, exact decimals
  usdm --testnet leverage BTCUSDT 20
  usdm --profile main income --since 30d --format csv -o income.csv

\b
Exit codes: 0 ok, 1 Binance/API or network error, 2 usage error,
130 interrupted (Ctrl-C).
Shell completion: eval "$(usdm completion bash)" (or zsh, fish),
equivalent to eval "$(_USDM_COMPLETE=bash_source usdm)".
"""


NEGATIVE_NUMBER = re.compile(r"-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class UsdmGroup(click.Group):
    """Turns expected errors (Binance, configuration) into one line on stderr without a traceback, and
    a closed output pipe into a quiet success."""

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
    ctx.obj = Session(ctx, fmt=fmt.lower() if fmt else None, base_url=base_url,  # type: ignore[arg-type]
                      testnet=testnet, profile=profile, recv_window=recv_window)


SHORT_HELP = {
    "account": "Balances, margin, positions and modes at a glance.",
    "balances": "Balance of every asset.",
    "positions": "Positions: leverage, margin type, PnL, liq. price.",
    "brackets": "Notional and leverage brackets.",
    "commission": "Maker and taker commission rates of a symbol.",
    "adl": "Auto-deleveraging queue estimates.",
    "trading-status": "Trading quantitative-rules indicators (locks).",
    "leverage": "Set a symbol's initial leverage.",
    "margin-type": "Switch a symbol between isolated and crossed margin.",
    "position-mode": "Show or set hedge / one-way position mode.",
    "multi-assets": "Show or set Multi-Assets mode.",
    "position-margin": "Add or remove isolated position margin.",
    "listen-key": "Start, keep alive or close a user-stream listen key.",
    "income": "Income history of a time window (table, JSON, CSV, JSON lines, Parquet).",
    "margin-history": "Isolated position-margin changes of a symbol.",
    "download": "Download order, trade or transaction history as CSV.",
    "watch": "Live view of the account, kept current by the user data stream.",
    "events": "User data stream events as JSON lines.",
}

for _command in (*cmd_read.COMMANDS, *cmd_write.COMMANDS, *cmd_history.COMMANDS, *cmd_stream.COMMANDS):
    _command.short_help = SHORT_HELP.get(_command.name or "")
    cli.add_command(_command)


# --- config -------------------------------------------------------------------------------------
@cli.command("config", short_help="Show where credentials and the endpoint come from.",
             epilog="\b\nExamples:\n  usdm config\n  usdm --profile test config\n  usdm config --reset-demo")
@click.option("--reset-demo", is_flag=True, help="Start the built-in demo account again from its scenario.")
@format_option()
@pass_session
def config_cmd(session: Session, reset_demo: bool, fmt: str | None) -> None:
    """Show where credentials and the endpoint come from (the secret is never shown).

    The table lists only what applies: the demo's state file when the demo is used, the API key and
    signing when credentials are configured.
    """
    if reset_demo:
        _reset_demo()
        return
    settings = resolve(session.profile)
    creds = settings.credentials
    base_url = session.base_url or settings.base_url
    testnet = session.testnet or settings.testnet
    if creds is None:
        target = base_url or "built-in emulator (demo account)"
        source = "none: demo account"
        auth = None
        key = None
    else:
        from binance_usdm import LIVE_URL, TESTNET_URL

        target = base_url or (TESTNET_URL if testnet else LIVE_URL)
        source = creds.source
        auth = creds.auth
        key = f"{creds.api_key[:4]}…{creds.api_key[-4:]}" if len(creds.api_key) > 12 else "…"
    state = demo_state_path()
    info = {
        "config_file": str(config_path()),
        "profile": settings.profile,
        "credentials": source,
        "api_key": key,
        "auth": auth,
        "endpoint": target,
        "recv_window": session.recv_window or settings.recv_window,
        "demo_state": None if creds is not None else str(state) if state else "in memory",
    }
    out = session.output()
    if session.format(fmt) == "json":
        out.json(info)
        return
    labels = {"api_key": "API key", "recv_window": "recvWindow"}
    out.fields(None, [
        (labels.get(name) or name.replace("_", " ").capitalize(), str(value))
        for name, value in info.items() if value is not None
    ])


def _reset_demo() -> None:
    """Remove the embedded demo's state file: the next command starts from the demo scenario."""
    state = demo_state_path()
    if state is None:
        click.echo("usdm: the demo keeps its state in memory ($USDM_DEMO_STATE is empty): nothing to reset",
                   err=True)
        return
    from binance_usdm.emulator import remove_state

    try:
        removed = remove_state(state)
    except OSError as exc:
        raise CommandError(f"cannot remove {state}: {exc.strerror or exc}") from None
    click.echo(f"usdm: demo state {state} {'removed' if removed else 'was already fresh'}; "
               "the next command starts from the demo scenario", err=True)


# --- completion ---------------------------------------------------------------------------------
@cli.command("completion", short_help="Print a shell completion script.", epilog="""\b
Examples:
  eval "$(usdm completion bash)"        # in ~/.bashrc
  eval "$(usdm completion zsh)"         # in ~/.zshrc
  usdm completion fish > ~/.config/fish/completions/usdm.fish

\b
The same scripts come from click directly: _USDM_COMPLETE=bash_source usdm
""")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL."""
    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - the three shells are built into click
        raise CommandUsageError(f"no completion support for {shell}")
    root = click.get_current_context().find_root().command
    click.echo(cls(root, {}, "usdm", "_USDM_COMPLETE").source())


# --- emulator -----------------------------------------------------------------------------------
@cli.command("emulator", short_help="Run the local Binance USD-M emulator.", add_help_option=False,
             context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Run the local Binance USD-M emulator in the foreground until Ctrl-C (``usdm emulator --help``).

    The same program as ``python -m binance_usdm.emulator``: same options, output and exit codes.
    """
    from binance_usdm.emulator.__main__ import main as run_emulator

    run_emulator(list(args), prog="usdm emulator")


EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C: 128 + SIGINT, as shells report it."""


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``usdm`` script: exit 0 ok, 1 API/network error, 2 usage error, 130 after
    Ctrl-C (without click's ``Aborted!``); a reader that closes the pipe early (``| head -1``) ends the
    command quietly with 0."""
    try:
        code = cli.main(args, prog_name="usdm", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
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


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not complain of the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


__all__ = ["cli", "main"]
