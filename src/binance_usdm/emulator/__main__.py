"""`python -m binance_usdm.emulator`: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from . import serve


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
    args = ap.parse_args(argv)
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
    )


if __name__ == "__main__":
    main()
