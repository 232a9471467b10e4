"""User data stream events: typed decoding beside plain JSON into dicts, and the live mirror's rate.

Run: `python benchmarks/bench_stream_decode.py [--events 100000]`.

Table 1, per event kind (Binance's documented payloads, each frame with its own values): our typed
decoding (`binance_usdm.models.events.decode_event`, bytes as the websocket hands them over) beside
`json.loads`, `msgspec.json.decode` and (if installed) `orjson.loads` into dicts. Decimals and times
convert on access, like the REST models, so "typed + read" also reads every number of the event as
`Decimal` (what dict users pay when they call `Decimal(d["wb"])`).

Table 2: the live account mirror (`AccountState.apply`) taking ACCOUNT_UPDATE events, alone and with
decoding, in events per second (issue 12 asks for at least 100k/s).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import script_entry

from binance_usdm._wire.account_state import AccountState, Snapshot
from binance_usdm.models.events import AccountUpdate, decode_event

try:
    import orjson
except ImportError:  # optional peer
    orjson = None


def account_update(n: int) -> bytes:
    """An ACCOUNT_UPDATE as Binance documents it (one asset, two positions), values varying with n."""
    return json.dumps({
        "e": "ACCOUNT_UPDATE", "E": 1_700_000_000_000 + n, "T": 1_700_000_000_000 + n,
        "a": {"m": "ORDER",
              "B": [{"a": "USDT", "wb": f"{122624 + n % 997}.12345678", "cw": f"{100 + n % 89}.12345678",
                     "bc": "0"}],
              "P": [{"s": "BTCUSDT", "pa": f"0.{n % 1000:03d}", "ep": "6563.66500", "bep": "6563.6", "cr": "0",
                     "up": f"{n % 5000}.21200000", "mt": "cross", "iw": "0", "ps": "BOTH"},
                    {"s": "ETHUSDT", "pa": f"-{n % 50}", "ep": "3520.25", "bep": "3520.1", "cr": "-45.04",
                     "up": "-1423.156", "mt": "isolated", "iw": f"{1180 + n % 7}.0625", "ps": "BOTH"}]},
    }, separators=(",", ":")).encode()


def order_update(n: int) -> bytes:
    return json.dumps({
        "e": "ORDER_TRADE_UPDATE", "E": 1_700_000_000_000 + n, "T": 1_700_000_000_000 + n,
        "o": {"s": "BTCUSDT", "c": f"c{n}", "S": "SELL", "o": "LIMIT", "f": "GTC", "q": "0.001", "p": "95000.1",
              "ap": "0", "sp": "0", "x": "NEW", "X": "NEW", "i": 8886774 + n, "l": "0", "z": "0", "L": "0",
              "N": "USDT", "n": "0", "T": 1_700_000_000_000 + n, "t": 0, "b": "0", "a": "9.91", "m": False,
              "R": False, "wt": "CONTRACT_PRICE", "ot": "LIMIT", "ps": "BOTH", "cp": False, "rp": "0",
              "pP": False, "si": 0, "ss": 0, "V": "EXPIRE_TAKER", "pm": "NONE", "gtd": 0},
    }, separators=(",", ":")).encode()


def leverage_update(n: int) -> bytes:
    return json.dumps({"e": "ACCOUNT_CONFIG_UPDATE", "E": 1_700_000_000_000 + n, "T": 1_700_000_000_000 + n,
                       "ac": {"s": "BTCUSDT", "l": 1 + n % 125}}, separators=(",", ":")).encode()


def read_account_update(event: Any) -> None:
    """Read every number of a typed ACCOUNT_UPDATE as Decimal."""
    for b in event.update.balances:
        _ = (b.wallet_balance, b.cross_wallet_balance, b.balance_change)
    for p in event.update.positions:
        _ = (p.position_amount, p.entry_price, p.unrealized_pnl, p.isolated_wallet)


def read_account_update_dict(event: dict[str, Any]) -> None:
    for b in event["a"]["B"]:
        _ = (Decimal(b["wb"]), Decimal(b["cw"]), Decimal(b["bc"]))
    for p in event["a"]["P"]:
        _ = (Decimal(p["pa"]), Decimal(p["ep"]), Decimal(p["up"]), Decimal(p["iw"]))


def per_event_us(function: Callable[[bytes], Any], frames: list[bytes], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for frame in frames:
            function(frame)
        best = min(best, time.perf_counter() - start)
    return best / len(frames) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    n = args.events
    plain = msgspec.json.Decoder()
    peers: list[tuple[str, Callable[[bytes], Any]]] = [
        ("ours, typed", decode_event), ("json.loads -> dict", json.loads), ("msgspec -> dict", plain.decode)]
    if orjson is not None:
        peers.append(("orjson -> dict", orjson.loads))

    print(f"Decoding one event, µs (best of 3 runs over {n} frames each)")
    kinds = [("ACCOUNT_UPDATE", account_update), ("ORDER_TRADE_UPDATE", order_update),
             ("ACCOUNT_CONFIG_UPDATE", leverage_update)]
    print(f"{'event':<24}" + "".join(f"{name:>20}" for name, _ in peers))
    for kind, make in kinds:
        frames = [make(i) for i in range(n)]
        print(f"{kind:<24}" + "".join(f"{per_event_us(fn, frames):>20.2f}" for _, fn in peers))
    frames = [account_update(i) for i in range(n)]
    typed_read = per_event_us(lambda f: read_account_update(decode_event(f)), frames)
    dict_read = per_event_us(lambda f: read_account_update_dict(json.loads(f)), frames)
    print(f"{'ACCOUNT_UPDATE + read':<24}{typed_read:>20.2f}{dict_read:>20.2f}   (every number as Decimal)")

    print()
    print(f"Live mirror: ACCOUNT_UPDATE events per second ({n} events)")
    events = [decode_event(frame) for frame in frames]
    assert all(isinstance(event, AccountUpdate) for event in events)
    state = AccountState()
    state.reset(Snapshot(0, {}, {}, {}, {}, False, False))
    start = time.perf_counter()
    for event in events:
        state.apply(event)
    applied = time.perf_counter() - start
    state.reset(Snapshot(0, {}, {}, {}, {}, False, False))
    start = time.perf_counter()
    for frame in frames:
        state.apply(decode_event(frame))
    decoded_applied = time.perf_counter() - start
    print(f"{'apply (decoded events)':<32}{n / applied:>14,.0f} /s")
    print(f"{'decode + apply (frames)':<32}{n / decoded_applied:>14,.0f} /s   (target >= 100,000 /s)")


if __name__ == "__main__":
    script_entry.run(main)
