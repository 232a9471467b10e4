"""`python -m binance_usdm.emulator`: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from . import serve
from .backend import DAY_MS, INCOME_RETENTION_MS
from .faults import FaultError, parse_fault
from .stream import DAY_S, StreamOptions


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    ap = argparse.ArgumentParser(prog="python -m binance_usdm.emulator",
                                 description="Local Binance USD-M futures account emulator.")
    ap.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8765, help="port (0 = any free port; default 8765)")
    ap.add_argument("--scenario", help="scenario JSON file (default: the shipped demo)")
    ap.add_argument("--state", help="SQLite state file; state survives restarts and kill -9")
    ap.add_argument("--api-key", help="API key to give the demo account")
    ap.add_argument("--api-secret", help="HMAC secret for --api-key")
    ap.add_argument("--public-key", type=Path, help="RSA or Ed25519 public key (PEM) for --api-key")
    ap.add_argument("--weight-limit", type=int, default=2400, help="request weight per minute per IP")
    ap.add_argument("--download-delay", type=float, default=3.0, help="seconds until a download completes")
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
    args = ap.parse_args(argv)
    for spec in args.fault:
        try:
            parse_fault(spec)
        except FaultError as exc:
            ap.error(f"--fault {spec!r}: {exc}")
    if not args.stream_lifetime > 0:
        ap.error("--stream-lifetime must be positive")
    if not args.income_retention_days > 0:
        ap.error("--income-retention-days must be positive")
    if (args.api_secret or args.public_key) and not args.api_key:
        ap.error("--api-secret/--public-key need --api-key")
    if args.api_key and not (args.api_secret or args.public_key):
        ap.error("--api-key needs --api-secret or --public-key")
    logging.basicConfig(level=logging.WARNING)
    serve(
        args.host,
        args.port,
        scenario=args.scenario,
        state_path=args.state,
        api_key=args.api_key,
        api_secret=args.api_secret,
        public_key_pem=args.public_key.read_text() if args.public_key else None,
        weight_limit=args.weight_limit,
        download_delay_ms=int(args.download_delay * 1000),
        income_retention_ms=int(args.income_retention_days * DAY_MS),
        faults=args.fault,
        fault_seed=args.fault_seed,
        stream=StreamOptions(lifetime_s=args.stream_lifetime),
        log_requests=args.log_requests,
    )


if __name__ == "__main__":
    main()
