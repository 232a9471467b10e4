"""Per-invocation state: global options, the client (or the embedded demo emulator), error mapping."""

from __future__ import annotations

import os
import re
import sys
import threading
from time import monotonic
from typing import IO, TYPE_CHECKING, Any, Literal

import click

from binance_usdm.cli.config import ConfigError, Credentials, Settings, resolve
from binance_usdm.cli.loading import loading
from binance_usdm.cli.render import Output, fmt_time, note, printable
from binance_usdm.errors import (
    ApiError,
    BinanceError,
    DownloadQuotaExceeded,
    IpBannedError,
    RateLimitError,
    ValidationError,
)

if TYPE_CHECKING:
    from pathlib import Path

    from binance_usdm import AccountApi, BinanceRestClient, HistoryApi, Wait

Format = Literal["table", "json", "csv", "jsonl", "parquet"]

DEMO_NOTICE = "usdm: no API key: using the built-in demo account"
EMBEDDED_DOWNLOAD_DELAY_MS = 1000


class CommandError(click.ClickException):
    """An expected failure: one line on stderr, no traceback. Exit code 1 (API) or 2 (usage)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"usdm: {printable(self.message)}", file=file or sys.stderr)  # (Binance's msg is in it)


class CommandUsageError(CommandError):
    """A usage or configuration problem found after parsing (exit code 2)."""

    exit_code = 2


CLI_NAMES = {
    "start_time": "--since", "end_time": "--until", "symbol_or_pair": "symbol", "income_type": "--type",
    "destination": "--output", "download_id": "--id", "base_url": "--base-url", "amount": "AMOUNT",
}
"""Client parameter names as the CLI user knows them."""


def describe(error: BinanceError) -> str:
    """One line with Binance's code and message and the endpoint, e.g.
    ``error -4046: No need to change margin type. (POST /fapi/v1/marginType)``."""
    where = f" ({error.endpoint})" if error.endpoint else ""
    if isinstance(error, ApiError):
        code = f"error {error.code}" if error.code else f"HTTP {error.status_code}"
        if isinstance(error, DownloadQuotaExceeded):
            return f"{code}: {error.msg} (the monthly quota of {error.quota} requests is used up){where}"
        if isinstance(error, IpBannedError) and error.banned_until is not None:
            until = f"{fmt_time(error.banned_until)} UTC"
            msg, found = _EPOCH_MS.subn(until, error.msg)
            return f"{code}: {msg if found else f'{msg} (banned until {until})'}{where}"
        if isinstance(error, RateLimitError) and error.retry_after:
            return f"{code}: {error.msg} (Binance asks to wait {duration(error.retry_after)}){where}"
        return f"{code}: {error.msg}{where}"
    if isinstance(error, ValidationError):
        return f"invalid {CLI_NAMES.get(error.parameter, error.parameter)}: {error.problem}"
    return f"error: {error.message}{where}"


_EPOCH_MS = re.compile(r"(?<=banned until )\d{12,}")
"""The epoch milliseconds in Binance's 418 message ("... banned until 1555083960000.")."""
WAIT_NOTICE_AFTER = 0.5
"""Seconds: a shorter pause of the client passes without a word."""


def explain_wait(wait: Wait) -> str:
    """One line saying what the client waits for and how long."""
    how_long = duration(wait.seconds)
    if wait.reason == "weight":
        return f"waiting {how_long} for this minute's request-weight budget ({wait.endpoint})"
    if wait.reason == "rate_limit":
        return f"waiting {how_long}: Binance asked to slow down (429/418 Retry-After) ({wait.endpoint})"
    return f"{wait.cause}; retrying {wait.endpoint} in {how_long}"


def duration(seconds: float) -> str:
    """``0.8 s``, ``48 s``, ``2 min 5 s``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def refused(error: BinanceError | None, code: int) -> bool:
    """True when ``error`` is Binance's error ``code``."""
    return isinstance(error, ApiError) and error.code == code


def as_command_error(error: BaseException) -> CommandError | None:
    """The CLI failure for an expected exception (None for anything else)."""
    if isinstance(error, ValidationError):
        return CommandUsageError(describe(error))
    if isinstance(error, BinanceError):
        return CommandError(describe(error))
    if isinstance(error, ConfigError):
        return CommandUsageError(str(error))
    return None


def demo_state_path() -> Path | None:
    """Where the embedded demo keeps its state between commands (``USDM_DEMO_STATE``; empty: memory)."""
    from pathlib import Path  # the demo's start, or usdm config

    explicit = os.environ.get("USDM_DEMO_STATE")
    if explicit is not None:
        return Path(explicit).expanduser() if explicit else None
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "usdm" / "demo.sqlite3"


class Session:
    """Global options of one ``usdm`` invocation and the lazily built client. ``quiet``: no notices
    on stderr (shell completion)."""

    __slots__ = ("_client", "_settings", "_waits", "_waits_lock", "base_url", "ctx", "fmt", "profile", "quiet",
                 "recv_window", "testnet")

    def __init__(self, ctx: click.Context, fmt: Format | None = None, base_url: str | None = None,
                 testnet: bool = False, profile: str | None = None, recv_window: int | None = None,
                 quiet: bool = False) -> None:
        self.ctx = ctx
        self.fmt = fmt
        self.base_url = base_url
        self.testnet = testnet
        self.profile = profile
        self.recv_window = recv_window
        self.quiet = quiet
        self._client: BinanceRestClient | None = None
        self._settings: Settings | None = None
        self._waits: dict[str, float] = {}  # reason -> end of the wait said
        self._waits_lock = threading.Lock()

    # --- configuration --------------------------------------------------------------------------
    def settings(self) -> Settings:
        """The resolved profile / environment settings (cached)."""
        if self._settings is None:
            self._settings = resolve(self.profile)
        return self._settings

    def format(self, fmt: str | None) -> Format:
        """The output format: the command's ``--format``, else the global one, else ``table``."""
        chosen = fmt or self.fmt or "table"
        return chosen  # type: ignore[return-value]

    def output(self) -> Output:
        """The stdout writer."""
        return Output()

    # --- the client -----------------------------------------------------------------------------
    def client(self) -> BinanceRestClient:
        """The client, built on first use (starting the demo emulator when nothing is configured)."""
        if self._client is None:
            self._client = self._build()
            self.ctx.call_on_close(self._client.close)
        return self._client

    def has_client(self) -> bool:
        """Whether the client has been built."""
        return self._client is not None

    @property
    def account(self) -> AccountApi:
        """``client.usd_futures_api.account``."""
        return self.client().usd_futures_api.account

    @property
    def history(self) -> HistoryApi:
        """``client.usd_futures_api.history``: income and margin iterators, downloads."""
        return self.client().usd_futures_api.history

    def _build(self) -> BinanceRestClient:
        with loading():
            from binance_usdm import BinanceRestClient

        settings = self.settings()
        base_url = self.base_url or settings.base_url
        testnet = self.testnet or settings.testnet
        recv_window = self.recv_window or settings.recv_window
        credentials = settings.credentials
        demo_at: str | None = None
        if credentials is None:
            if testnet and not base_url:
                raise ConfigError(
                    "--testnet needs an API key: set BINANCE_API_KEY and BINANCE_API_SECRET "
                    "(or BINANCE_PRIVATE_KEY), or use --profile"
                )
            credentials = self._demo_credentials()
            if base_url is None:
                base_url = self._start_embedded()
            else:
                demo_at = base_url
        client = BinanceRestClient(
            credentials.api_key,
            credentials.api_secret,
            private_key=credentials.private_key,
            private_key_passphrase=credentials.private_key_passphrase,
            base_url=base_url,
            testnet=testnet,
            recv_window=recv_window,
            on_wait=self._explain_wait,
        )
        if demo_at is not None and not self.quiet:  # said once the URL is known to hold no credentials
            note(f"usdm: no API key: using the demo account at {demo_at}{_unpicked(settings)}")
        return client

    def _explain_wait(self, wait: Wait) -> None:
        """Say on stderr what the client waits for, once per wait (parallel calls share one)."""
        if wait.seconds < WAIT_NOTICE_AFTER or self.quiet:
            return
        now = monotonic()
        with self._waits_lock:
            if self._waits.get(wait.reason, 0.0) > now:
                return
            self._waits[wait.reason] = now + wait.seconds
        note(f"usdm: {explain_wait(wait)}")

    def _demo_credentials(self) -> Credentials:
        from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET

        return Credentials(DEMO_API_KEY, DEMO_API_SECRET, source="demo")

    def _start_embedded(self) -> str:
        with loading():
            from binance_usdm.emulator import EmulatorServer, StartupError

        if not self.quiet:
            note(DEMO_NOTICE + _unpicked(self.settings()))
        state = demo_state_path()
        try:
            if state is not None:
                state.parent.mkdir(parents=True, exist_ok=True)
            server = EmulatorServer(state_path=state, download_delay_ms=EMBEDDED_DOWNLOAD_DELAY_MS)
        except (StartupError, OSError) as exc:  # reported, never silently replaced by a fresh demo
            raise ConfigError(
                f"the demo's {exc if isinstance(exc, StartupError) else f'state {state}: {exc.strerror or exc}'}; "
                "'usdm config --reset-demo' starts it again ($USDM_DEMO_STATE= keeps the demo in memory)"
            ) from None
        self.ctx.with_resource(server)
        return str(server.base_url)


def _unpicked(settings: Settings) -> str:
    """The demo notice's hint when the config file has profiles but no default one."""
    return f" ({settings.unpicked})" if settings.unpicked else ""


def session_of(ctx: click.Context) -> Session:
    """The ``Session`` of the running command."""
    obj = ctx.find_object(Session)
    if obj is None:  # a command invoked on its own (tests); give it default options
        obj = Session(ctx.find_root())
        ctx.find_root().obj = obj
    return obj
