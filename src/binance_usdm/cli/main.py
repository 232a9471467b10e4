"""The ``usdm`` command: a Binance USD-M futures account from the shell."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
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
             epilog="\b\nExamples:\n  usdm config\n  usdm --profile test config")
@format_option()
@pass_session
def config_cmd(session: Session, fmt: str | None) -> None:
    """Show where credentials and the endpoint come from (the secret is never shown)."""
    settings = resolve(session.profile)
    creds = settings.credentials
    base_url = session.base_url or settings.base_url
    testnet = session.testnet or settings.testnet
    if creds is None:
        target = base_url or "built-in emulator (demo account)"
        source = "none: demo account"
        auth = "hmac (demo)"
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
        "demo_state": str(state) if state else None,
    }
    out = session.output()
    if session.format(fmt) == "json":
        out.json(info)
        return
    labels = {"api_key": "API key", "recv_window": "recvWindow"}
    out.fields(None, [
        (labels.get(name) or name.replace("_", " ").capitalize(), "-" if value is None else str(value))
        for name, value in info.items()
    ])


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
@cli.command("emulator", short_help="Run the local Binance USD-M emulator.", epilog="""\b
Examples:
  usdm emulator                          # demo account on http://127.0.0.1:8765
  usdm --base-url http://127.0.0.1:8765 account    # in another shell
  usdm emulator --state emu.sqlite3 --port 9000
  usdm emulator --api-key K --api-secret S
  usdm emulator --fault 'GET /fapi/v2/account=status:503,count=2'
  usdm emulator --log-requests           # one line per answered request
""")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port (0: any free port).")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Scenario JSON file (default: the demo account).")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite state file: the state survives restarts.")
@click.option("--api-key", metavar="K", help="API key of the first account (default: the demo key).")
@click.option("--api-secret", metavar="S", help="HMAC secret for --api-key.")
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="RSA or Ed25519 public key (PEM) for --api-key.")
@click.option("--download-delay", type=click.FloatRange(min=0), default=3.0, show_default=True,
              help="Seconds until a requested history file is ready.")
@click.option("--income-retention-days", type=click.FloatRange(min=0, min_open=True), metavar="N",
              help="Days of income history kept (default 90: Binance keeps three months).")
@click.option("--weight-limit", type=click.IntRange(min=1), default=2400, show_default=True,
              help="Request weight per minute per IP before 429s (and then 418 bans).")
@click.option("--fault", "faults", multiple=True, metavar="SPEC",
              help="Inject a fault, e.g. 'POST /fapi/v1/positionMargin=drop_after,count=1' (repeatable; "
                   "syntax in the emulator README).")
@click.option("--fault-seed", type=int, metavar="N", help="Seed for fault probabilities (reproducible runs).")
@click.option("--stream-lifetime", type=click.FloatRange(min=0, min_open=True), default=86400.0, show_default=True,
              metavar="SECONDS", help="Emulator-clock seconds after which a user data stream connection is cut "
                                      "(Binance: 24 hours).")
@click.option("--log-requests", is_flag=True,
              help="Print every answered Binance request (status, code, weight, latency, fault) to stdout.")
def emulator(host: str, port: int, scenario: Path | None, state: Path | None, api_key: str | None,
             api_secret: str | None, public_key: Path | None, download_delay: float,
             income_retention_days: float | None, weight_limit: int, faults: tuple[str, ...],
             fault_seed: int | None, stream_lifetime: float, log_requests: bool) -> None:
    """Run the local Binance USD-M emulator in the foreground until Ctrl-C.

    Point any client at it; `usdm --base-url URL ...` without credentials uses the demo account.
    """
    if (api_secret or public_key) and not api_key:
        raise click.UsageError("--api-secret/--public-key need --api-key")
    if api_key and not (api_secret or public_key):
        raise click.UsageError("--api-key needs --api-secret or --public-key")
    from binance_usdm.emulator import EmulatorServer, StreamOptions
    from binance_usdm.emulator.backend import DAY_MS, INCOME_RETENTION_MS
    from binance_usdm.emulator.faults import FaultError, parse_fault

    for spec in faults:
        try:
            parse_fault(spec)
        except FaultError as exc:
            raise click.BadParameter(str(exc), param_hint=f"--fault {spec!r}") from None

    retention_ms = INCOME_RETENTION_MS if income_retention_days is None else int(income_retention_days * DAY_MS)
    pem = public_key.read_text("utf-8") if public_key else None
    server = EmulatorServer(
        host, port, scenario=scenario, state_path=state, api_key=api_key, api_secret=api_secret,
        public_key_pem=pem, download_delay_ms=int(download_delay * 1000),
        income_retention_ms=retention_ms, weight_limit=weight_limit, faults=list(faults),
        fault_seed=fault_seed, stream=StreamOptions(lifetime_s=stream_lifetime),
    )
    if log_requests:
        server.log.subscribe(lambda entry: click.echo(entry.line()))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        server.start()
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        click.echo(f"Binance USD-M emulator on {server.base_url} "
                   f"({'scenario ' + str(scenario) if scenario else 'demo account'})")
        if api_key:
            click.echo(f"  API key: {api_key} (secret as given)")
        else:
            click.echo(f"  API key: {server.api_key} (demo; the secret is binance_usdm.emulator.DEMO_API_SECRET)")
            click.echo(f"  Try: usdm --base-url {server.base_url} account")
        click.echo(f"  User data stream: {server.ws_url}/ws/<listenKey>")
        click.echo(f"  Dashboard: {server.base_url}/emulator/")
        click.echo("Ctrl-C to stop.", err=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()


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
