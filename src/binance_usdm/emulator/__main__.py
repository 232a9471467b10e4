"""The emulator's command line: `python -m binance_usdm.emulator` and `usdm emulator` run this one
implementation (same options, same output, same exit codes: 0 stopped, 2 unusable options or files)."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import NoReturn

from . import DEMO_API_KEY, EmulatorServer, StartupError
from .backend import DAY_MS, INCOME_RETENTION_MS
from .faults import FaultError, parse_fault
from .stream_options import DAY_S, StreamOptions

EPILOG = """Examples:
  # the demo account on http://127.0.0.1:8765
  %(prog)s
  # a state that survives restarts, then started again
  %(prog)s --state emu.db --port 9000
  %(prog)s --state emu.db --reset
  # only these credentials are accepted
  %(prog)s --api-key K --api-secret S
  %(prog)s --fault \\
      'GET /fapi/v2/account=status:503,count=2'
"""


class _Parser(argparse.ArgumentParser):
    """argparse, with its error lines broken at spaces to the width of a terminal (piped, one line)."""

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message and sys.stderr.isatty():
            columns = os.environ.get("COLUMNS", "")
            try:
                width = int(columns) if columns.isdigit() else os.get_terminal_size(sys.stderr.fileno()).columns
            except OSError:
                width = 0
            if width > 0:
                message = "".join(textwrap.fill(line, width, subsequent_indent="  ", break_on_hyphens=False,
                                                break_long_words=False) + "\n" for line in message.splitlines())
        super().exit(status, message)


def parser(prog: str) -> argparse.ArgumentParser:
    """The command line's options."""
    ap = _Parser(
        prog=prog, usage="%(prog)s [options]", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the local Binance USD-M futures account\nemulator in the foreground until Ctrl-C.")
    ap.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8765, help="port (0: any free port; default 8765)")
    ap.add_argument("--scenario", type=Path, help="scenario JSON file (default: the shipped demo account)")
    ap.add_argument("--state", type=Path, help="SQLite state file: the state survives restarts and kill -9")
    ap.add_argument("--fsync", action="store_true", help="with --state: every change waits for the disk, so it "
                    "survives a power loss too (default: it survives kill -9 and crashes of the emulator)")
    ap.add_argument("--reset", action="store_true", help="discard the --state file's content and start again "
                    "from the scenario (refused while another emulator writes the file)")
    ap.add_argument("--api-key", help="API key of the first account, instead of its keys (the demo key in the "
                    "demo scenario)")
    ap.add_argument("--api-secret", help="HMAC secret for --api-key")
    ap.add_argument("--public-key", type=Path, help="RSA or Ed25519 public key (PEM) for --api-key")
    ap.add_argument("--keep-demo-key", action="store_true",
                    help="with --api-key: the first account keeps its keys too (the demo key)")
    ap.add_argument("--weight-limit", type=int, default=2400,
                    help="request weight per minute per IP before 429s, then 418 bans (default 2400)")
    ap.add_argument("--download-delay", type=float, default=3.0,
                    help="seconds until a requested history file is ready (default 3)")
    ap.add_argument("--income-retention-days", type=float, default=INCOME_RETENTION_MS / DAY_MS, metavar="N",
                    help="days of income history GET /fapi/v1/income returns (default 90, as Binance)")
    ap.add_argument("--fault", action="append", default=[], metavar="SPEC",
                    help="inject a fault, e.g. 'POST /fapi/v1/positionMargin=drop_after,count=1' (repeatable; "
                         "syntax in the emulator README)")
    ap.add_argument("--fault-seed", type=int, metavar="N", help="seed for fault probabilities (reproducible runs)")
    ap.add_argument("--stream-lifetime", type=float, default=DAY_S, metavar="SECONDS",
                    help="emulator-clock seconds after which a user data stream connection is cut (default 86400, "
                         "as Binance)")
    ap.add_argument("--log-requests", action="store_true",
                    help="print every answered Binance request (status, code, weight, latency, fault)")
    return ap


def main(argv: list[str] | None = None, prog: str = "python -m binance_usdm.emulator") -> None:
    """Parse the command line and serve until Ctrl-C or SIGTERM; an unusable option or file ends with
    one line on stderr and exit status 2."""
    ap = parser(prog)
    args = ap.parse_args(argv)
    for spec in args.fault:
        try:
            parse_fault(spec)
        except FaultError as exc:
            ap.error(f"--fault {spec!r}: {exc}")
    if not args.stream_lifetime > 0:
        ap.error("--stream-lifetime must be positive")
    if not 0 <= args.port <= 65535:
        ap.error("--port must be from 0 to 65535")
    if args.weight_limit < 1:
        ap.error("--weight-limit must be at least 1")
    if not args.download_delay >= 0:
        ap.error("--download-delay must be 0 or more")
    if not args.income_retention_days > 0:
        ap.error("--income-retention-days must be positive")
    if (args.api_secret or args.public_key) and not args.api_key:
        ap.error("--api-secret/--public-key need --api-key")
    if args.api_key and not (args.api_secret or args.public_key):
        ap.error("--api-key needs --api-secret or --public-key")
    if args.fsync and args.state is None:
        ap.error("--fsync needs --state (without it the state is in memory)")
    if args.reset and args.state is None:
        ap.error("--reset needs --state (without it the state is in memory and starts fresh anyway)")
    try:
        pem = args.public_key.read_text("utf-8") if args.public_key else None
    except OSError as exc:
        ap.error(f"--public-key {args.public_key}: {exc.strerror or exc}")
    logging.basicConfig(level=logging.WARNING)
    try:
        emu = EmulatorServer(
            args.host, args.port, scenario=args.scenario, state_path=args.state, reset=args.reset, fsync=args.fsync,
            api_key=args.api_key, api_secret=args.api_secret, public_key_pem=pem,
            keep_demo_key=args.keep_demo_key or not args.api_key, weight_limit=args.weight_limit,
            download_delay_ms=int(args.download_delay * 1000),
            income_retention_ms=int(args.income_retention_days * DAY_MS), faults=args.fault,
            fault_seed=args.fault_seed, stream=StreamOptions(lifetime_s=args.stream_lifetime),
        )
    except StartupError as exc:
        ap.exit(2, f"{prog}: error: {exc}\n")
    if args.log_requests:
        emu.log.subscribe(lambda entry: print(entry.line(), flush=True))
    try:
        emu.serve(on_ready=lambda: _ready(emu, args.scenario, args.state, given_key=bool(args.api_key)))
    except OSError as exc:
        ap.exit(2, f"{prog}: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
    # Stopped and the store closed: the program ends. Frozen, the heap is not walked again by the
    # interpreter's teardown collections, two thirds of the CPU a stop took (~70 -> ~25 ms measured
    # from SIGTERM to exit); on a loaded machine that CPU is what a stop waits for.
    gc.freeze()


def _shortened(key: str) -> str:
    """A key as it fits a banner line: up to 24 characters whole, longer ones as start…end."""
    return key if len(key) <= 24 else f"{key[:12]}…{key[-8:]}"


def _ready(emu: EmulatorServer, scenario: Path | None, state: Path | None, *, given_key: bool) -> None:
    """Serving: freeze the start-up heap (symbols, generated history, code objects), so the cyclic
    collector never walks it again while requests run (its first young collections and any full one
    took 0.5-25 ms of the event loop each), then print the banner."""
    gc.freeze()
    _banner(emu, scenario, state, given_key=given_key)


def _banner(emu: EmulatorServer, scenario: Path | None, state: Path | None, *, given_key: bool) -> None:
    """What is served, in lines that fit 60 columns (a 64-character key is named or shortened; a
    secret never shown): the key is the demo's, the one given (`--api-key`), or the scenario's first."""
    demo_works = emu.backend.lookup_key(DEMO_API_KEY) is not None  # (usdm's default without a key)
    print(f"Binance USD-M emulator on {emu.base_url}")
    print(f"  user data stream: {emu.ws_url}/ws/<listenKey>")
    if emu.api_key == DEMO_API_KEY:
        print("  API key: the demo's, binance_usdm.emulator.DEMO_API_KEY")
        print("  secret:  binance_usdm.emulator.DEMO_API_SECRET")
    else:
        source = "as given" if given_key else "from the scenario"
        print(f"  API key: {_shortened(emu.api_key)} ({source})")
        print(f"  secret:  {'HMAC secret' if emu.api_secret else 'public key'} {source}")
        if demo_works:
            print("  the demo key works too")
    for fault in emu.faults.listing():
        print(f"  fault {fault['id']}: {fault['spec']}")
    print(f"  account: {f'scenario {scenario}' if scenario else 'demo scenario'}")
    print(f"  state:   {state or 'in memory'}")
    print(f"  dashboard: {emu.base_url}/emulator/")
    print(f"  try: usdm --base-url {emu.base_url} account")
    if not demo_works:
        secret = "BINANCE_API_SECRET" if emu.api_secret else "BINANCE_PRIVATE_KEY"
        print(f"       with BINANCE_API_KEY and {secret} set")
    print("Ctrl-C to stop.", file=sys.stderr, flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
