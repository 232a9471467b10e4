"""Commands about usdm itself: where its settings come from (``config``), shell completion
scripts (``completion``) and the local emulator (``emulator``)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from binance_usdm.cli.config import config_path, resolve
from binance_usdm.cli.options import format_option, pass_session
from binance_usdm.cli.render import note
from binance_usdm.cli.session import CommandError, CommandUsageError, Session, demo_state_path


# --- config -------------------------------------------------------------------------------------
@click.command("config",
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
        "hint": settings.unpicked,
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
        note("usdm: the demo keeps its state in memory ($USDM_DEMO_STATE is empty): nothing to reset")
        return
    from binance_usdm.emulator import remove_state

    try:
        removed = remove_state(state)
    except OSError as exc:
        raise CommandError(f"cannot remove {state}: {exc.strerror or exc}") from None
    note(f"usdm: demo state {state} {'removed' if removed else 'was already fresh'}; "
         "the next command starts from the demo scenario")


# --- completion ---------------------------------------------------------------------------------
@click.command("completion", epilog="""\b
Examples:
  eval "$(usdm completion bash)"   # in ~/.bashrc
  eval "$(usdm completion zsh)"    # in ~/.zshrc
  usdm completion fish \\
      > ~/.config/fish/completions/usdm.fish

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
@click.command("emulator", add_help_option=False,
               context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Run the local Binance USD-M emulator in the foreground until Ctrl-C (``usdm emulator --help``).

    The same program as ``python -m binance_usdm.emulator``: same options, output and exit codes.
    """
    from binance_usdm.emulator.__main__ import main as run_emulator

    run_emulator(list(args), prog="usdm emulator")


COMMANDS: list[click.Command] = [config_cmd, completion, emulator]
