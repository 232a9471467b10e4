"""HMAC-SHA256 of a signed call's query string: our signer beside the ways ``hmac`` offers.

    python benchmarks/bench_signing.py [--number 200000] [--instructions]

Every row computes the same signature (checked before timing). ``--instructions`` also counts the
user-space instructions per signature under valgrind (repeatable, unlike timings on a shared
machine); it needs valgrind and takes about a minute.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import callgrind

from binance_usdm._wire.signing import HmacSigner

SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
PAYLOAD = b"symbol=BTCUSDT&leverage=20&recvWindow=5000&timestamp=1732400000000"


def signers() -> dict[str, Callable[[bytes], str]]:
    key = SECRET.encode()
    template = hmac.new(key, digestmod=hashlib.sha256)

    def copied(payload: bytes) -> str:
        mac = template.copy()
        mac.update(payload)
        return mac.hexdigest()

    return {
        "hmac.new(key, payload, sha256).hexdigest()": lambda p: hmac.new(key, p, hashlib.sha256).hexdigest(),
        "hmac.digest(key, payload, 'sha256').hex()": lambda p: hmac.digest(key, p, "sha256").hex(),
        "a prepared hmac.HMAC, copied per call": copied,
        "binance_usdm HmacSigner (prepared sha256 states)": HmacSigner(SECRET).sign,
    }


def instructions(name: str, calls: int) -> int | None:
    """Instructions per signature with ``name`` under callgrind."""
    return callgrind.per_call(lambda n: [sys.executable, __file__, "--run", name, str(n)], calls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--number", type=int, default=200_000)
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    table = signers()
    if args.run:
        sign = table[args.run[0]]
        for _ in range(int(args.run[1])):
            sign(PAYLOAD)
        return 0
    expected = hmac.new(SECRET.encode(), PAYLOAD, hashlib.sha256).hexdigest()
    assert all(sign(PAYLOAD) == expected for sign in table.values())
    counting = args.instructions and callgrind.available()
    print(f"HMAC-SHA256 of a {len(PAYLOAD)}-byte query string\n")
    print(f"{'signer':52} {'µs/signature':>13}" + (f" {'instructions':>13}" if counting else ""))
    print("-" * (66 + (14 if counting else 0)))
    for name, sign in table.items():
        best = min(timeit.repeat(lambda s=sign: s(PAYLOAD), number=args.number, repeat=3)) / args.number
        row = f"{name:52} {best * 1e6:>13.2f}"
        if counting:
            count = instructions(name, 2000)
            row += f" {'-' if count is None else f'{count:,}':>13}"
        print(row)
    return 0


if __name__ == "__main__":
    script_entry.run(main)
