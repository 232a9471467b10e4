"""Reading the account answer: our typed models beside plain dicts and the peers' per-call work.

    python benchmarks/bench_typed_read.py [--rounds 15] [--number 200] [--quick] [--instructions]
                                          [--idle-symbols N]

The body is the 21 KB ``GET /fapi/v2/account`` answer of ``bench_payloads.py`` (10 assets, 40
positions). Each cell starts from the bytes and is timed as the CPU time of this process
(``time.process_time``), best of ``--rounds`` rounds that interleave every cell (load on a shared
machine only ever adds time). ``--instructions`` also counts user-space instructions per cell under
valgrind (load-independent; a few minutes).

Access patterns, each including the decoding:

- decode: the bytes into the library's result (ours: lazy models, nothing converted yet);
- partial read: the available balance, and every position's symbol and amount (a dashboard's read);
- full read: every field of every object, numbers as exact ``Decimal``, times as UTC ``datetime``
  (dict rows: the values as ``json.loads`` gives them, strings, or converted by hand);
- to_dict: plain dicts with converted values (ours: ``to_dict()``; by hand: new dicts).

Ours twice: a wire value met before reads as the ``Decimal`` / ``datetime`` made then (bounded tables,
``binance_usdm.models._fields``). "cold" empties the tables before each call (that work is timed):
every value is made, as for the first answer of a process; "warm" reads the same bytes again, every
value met before, as when an unchanged account is polled again (an account that moved lies between:
only the values that changed are made). The body repeats few values ("0" and a few leverages and
notional caps; 403 distinct numbers of 601), so "cold" gains little from sharing. A real v2 answer
lists every symbol of the exchange, most with no position and the same zeros, and shares far more:
``--idle-symbols 300`` adds such positions.

Peers' per-call work on the same bytes, after the HTTP exchange: python-binance's ``Client`` hands
over ``requests``' ``Response.json()`` (through ``Client._handle_response``, which also reads
``Response.text``); ccxt's ``binanceusdm`` parses the text (orjson when installed), checks it for
errors and builds its unified structures (``fetch_balance`` and, with ``method="account"``,
``fetch_positions`` from this same answer; float values).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

import msgspec
import script_entry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import callgrind
from bench_payloads import SYMBOLS, account_body, exchange_info_symbol

from binance_usdm.models import AccountAsset, AccountInfo, AccountPosition, Model
from binance_usdm.models._base import lazy_fields, public_fields
from binance_usdm.models._fields import forget_shared_values

BODY = account_body()


def with_idle_symbols(body: bytes, count: int) -> bytes:
    """``body`` with ``count`` more positions of symbols the account does not trade: a v2 answer lists
    every symbol of the market ("positions of all symbols in the market are returned",
    https://developers.binance.com/docs/derivatives/portfolio-margin/account/Get-UM-Account-Detail-V2,
    the same answer shape), each with Binance's zeros, its leverage and its bracket's notional cap."""
    account = json.loads(body)
    account["positions"] += [{
        "symbol": f"IDLE{index}USDT", "initialMargin": "0", "maintMargin": "0", "unrealizedProfit": "0.00000000",
        "positionInitialMargin": "0", "openOrderInitialMargin": "0", "leverage": ("20", "10", "5")[index % 3],
        "isolated": False, "entryPrice": "0.0", "breakEvenPrice": "0.0",
        "maxNotional": ("25000", "50000", "100000", "1000000")[index % 4], "bidNotional": "0", "askNotional": "0",
        "positionSide": "BOTH", "positionAmt": "0", "updateTime": 0,
    } for index in range(count)]
    return json.dumps(account, separators=(",", ":")).encode()
OURS_COLD = "binance_usdm models, cold"
OURS_WARM = "binance_usdm models, warm"
PATTERNS = ("decode", "partial read", "full read", "to_dict")
Work = Callable[[], Any]


# --- ours ----------------------------------------------------------------------------------------
_decoder = msgspec.json.Decoder(AccountInfo, strict=False)
_read_all = {kind: attrgetter(*public_fields(kind)) for kind in (AccountInfo, AccountAsset, AccountPosition)}


def _ours_partial() -> Any:
    account = _decoder.decode(BODY)
    return account.available_balance, [(p.symbol, p.position_amt) for p in account.positions]


def _ours_full() -> Any:
    account = _decoder.decode(BODY)
    return (_read_all[AccountInfo](account), [_read_all[AccountAsset](a) for a in account.assets],
            [_read_all[AccountPosition](p) for p in account.positions])


def _ours_to_dict() -> Any:
    return _decoder.decode(BODY).to_dict()


def _cold(work: Work) -> Work:
    """``work`` with no value met before: the tables of shared values emptied first (and timed)."""
    def cold() -> Any:
        forget_shared_values()
        return work()
    return cold


def ours_warm() -> dict[str, Work]:
    return {"decode": lambda: _decoder.decode(BODY), "partial read": _ours_partial, "full read": _ours_full,
            "to_dict": _ours_to_dict}


def ours_cold() -> dict[str, Work]:
    return {"partial read": _cold(_ours_partial), "full read": _cold(_ours_full), "to_dict": _cold(_ours_to_dict)}


# --- dicts ---------------------------------------------------------------------------------------
def _wire_keys(kind: type[Model]) -> tuple[list[str], list[str], list[str]]:
    """Every wire key of ``kind``'s JSON object present in the body, its decimal keys, its time keys."""
    lazy = lazy_fields(kind)
    fields = msgspec.structs.fields(kind)
    every = [field.encode_name for field in fields]
    decimals = [f.encode_name for f in fields if f.name in lazy and lazy[f.name].kind in ("decimal", "int")]
    times = [f.encode_name for f in fields if f.name in lazy and lazy[f.name].kind == "time"]
    return every, decimals, times


_SAMPLE = json.loads(BODY)
_KEYS = {
    name: tuple([key for key in keys if key in sample] for keys in _wire_keys(kind))
    for name, kind, sample in (("account", AccountInfo, _SAMPLE), ("asset", AccountAsset, _SAMPLE["assets"][0]),
                               ("position", AccountPosition, _SAMPLE["positions"][0]))
}
_get_all = {name: itemgetter(*every) for name, (every, _, _) in _KEYS.items()}


def _dict_partial(decoded: dict[str, Any], number: Callable[[str], Any]) -> Any:
    return number(decoded["availableBalance"]), [(p["symbol"], number(p["positionAmt"])) for p in decoded["positions"]]


def _dict_full(decoded: dict[str, Any]) -> Any:
    return (_get_all["account"](decoded), [_get_all["asset"](a) for a in decoded["assets"]],
            [_get_all["position"](p) for p in decoded["positions"]])


def _typed(row: dict[str, Any], kind: str) -> dict[str, Any]:
    """``row`` with its numbers as Decimal and its times as UTC datetimes, converted by hand."""
    _, decimals, times = _KEYS[kind]
    out = dict(row)
    for key in decimals:
        out[key] = Decimal(row[key])
    for key in times:
        out[key] = datetime.fromtimestamp(row[key] / 1000, UTC)
    return out


def _by_hand_full(decoded: dict[str, Any]) -> Any:
    return ([Decimal(decoded[key]) for key in _KEYS["account"][1]],
            [[Decimal(a[key]) for key in _KEYS["asset"][1]] + [datetime.fromtimestamp(a["updateTime"] / 1000, UTC)]
             for a in decoded["assets"]],
            [[Decimal(p[key]) for key in _KEYS["position"][1]] + [datetime.fromtimestamp(p["updateTime"] / 1000, UTC)]
             for p in decoded["positions"]])


def _by_hand_dicts(decoded: dict[str, Any]) -> dict[str, Any]:
    out = _typed(decoded, "account")
    out["assets"] = [_typed(a, "asset") for a in decoded["assets"]]
    out["positions"] = [_typed(p, "position") for p in decoded["positions"]]
    return out


def plain_dicts() -> dict[str, Work]:
    return {"decode": lambda: json.loads(BODY), "partial read": lambda: _dict_partial(json.loads(BODY), str),
            "full read": lambda: _dict_full(json.loads(BODY))}


def by_hand() -> dict[str, Work]:
    return {"partial read": lambda: _dict_partial(json.loads(BODY), Decimal),
            "full read": lambda: _by_hand_full(json.loads(BODY)),
            "to_dict": lambda: _by_hand_dicts(json.loads(BODY))}


# --- peers ---------------------------------------------------------------------------------------
def python_binance() -> dict[str, Work]:
    import requests
    from binance.client import Client  # python-binance (the connector's package may own binance/ instead)

    response = requests.models.Response()
    response.status_code = 200
    response._content = BODY
    response.headers = requests.structures.CaseInsensitiveDict({"Content-Type": "application/json"})
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    handle = Client._handle_response
    return {"decode": lambda: handle(response), "partial read": lambda: _dict_partial(handle(response), str),
            "full read": lambda: _dict_full(handle(response))}


def _ccxt_markets(exchange: Any) -> list[Any]:
    """ccxt's markets for the body's symbols, parsed by ccxt from exchangeInfo-shaped entries."""
    symbols = {position["symbol"] for position in json.loads(BODY)["positions"]} | set(SYMBOLS)
    return [exchange.parse_market(exchange_info_symbol(symbol)) for symbol in sorted(symbols)]


def ccxt_calls() -> dict[str, Work]:
    import ccxt

    exchange = ccxt.binanceusdm({"apiKey": "key", "secret": "secret"})
    exchange.set_markets(_ccxt_markets(exchange))
    url = "https://fapi.binance.com/fapi/v2/account"

    def answer() -> Any:  # what Exchange.fetch does with the text of an answer
        text = BODY.decode()
        decoded = exchange.parse_json(text)
        exchange.handle_errors(200, "OK", url, "GET", {}, text, decoded, {}, None)
        return decoded

    return {"decode": answer,
            "fetch_balance": lambda: exchange.parse_balance_custom(answer(), "linear", None, False),
            "fetch_positions": lambda: exchange.parse_account_positions(answer())}


ROWS: list[tuple[str, Callable[[], dict[str, Work]]]] = [
    (OURS_COLD, ours_cold),
    (OURS_WARM, ours_warm),
    ("json.loads -> dicts", plain_dicts),
    ("json.loads + Decimal/datetime by hand", by_hand),
    ("python-binance Client (requests .json())", python_binance),
    ("ccxt binanceusdm", ccxt_calls),
]


def cells() -> dict[tuple[str, str], Work]:
    table: dict[tuple[str, str], Work] = {}
    for label, make in ROWS:
        try:
            works = make()
        except ImportError:  # an optional peer that is not installed
            continue
        table.update({(label, pattern): work for pattern, work in works.items()})
    return table


def best_us(work: Work, number: int) -> float:
    start = time.process_time()
    for _ in range(number):
        work()
    return (time.process_time() - start) / number * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=200, help="calls per cell and round")
    parser.add_argument("--quick", action="store_true", help="a smoke run (figures meaningless)")
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    parser.add_argument("--idle-symbols", type=int, default=0, metavar="N",
                        help="add N positions of untraded symbols, as a real v2 answer has (hundreds)")
    parser.add_argument("--run", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global BODY  # every cell reads the body chosen here
    BODY = with_idle_symbols(BODY, args.idle_symbols)
    table = cells()
    if args.run:
        gc.disable()  # a collection's place in the run depends on everything before: counts would move
        label, pattern, n = args.run
        for _ in range(int(n)):
            table[(label, pattern)]()
        return 0
    if args.quick:
        args.rounds, args.number = 2, 5
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for key, work in table.items():
            best[key] = min(best.get(key, float("inf")), best_us(work, args.number))
    counts: dict[tuple[str, str], int | None] = {}
    if args.instructions and callgrind.available():
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # string hashes, and so dict probes, as in every run
        for label, pattern in table:
            counts[(label, pattern)] = callgrind.per_call(
                lambda n, c=(label, pattern): [sys.executable, __file__, "--idle-symbols", str(args.idle_symbols),
                                                "--run", *c, str(n)], 200, env)
    _print(best, counts, args)
    return 0


def _print(best: dict[tuple[str, str], float], counts: dict[tuple[str, str], int | None],
           args: argparse.Namespace) -> None:
    positions = len(json.loads(BODY)["positions"])
    print(f"GET /fapi/v2/account answer ({len(BODY):,} bytes: 10 assets, {positions} positions, "
          f"{args.idle_symbols} of them untraded symbols), from the bytes")
    print(f"µs of CPU per call, best of {args.rounds} interleaved rounds of {args.number}\n")
    patterns = [*PATTERNS, "fetch_balance", "fetch_positions"]
    shown = [p for p in patterns if any(key[1] == p for key in best)]
    print(f"{'':42}" + "".join(f"{p:>16}" for p in shown))
    for label, _ in ROWS:
        if any(key[0] == label for key in best):
            print(f"{label:42}" + "".join(
                f"{best[(label, p)]:>16.1f}" if (label, p) in best else f"{'-':>16}" for p in shown))
    if counts:
        print("\ninstructions per call (valgrind)\n")
        print(f"{'':42}" + "".join(f"{p:>16}" for p in shown))
        for label, _ in ROWS:
            if any(key[0] == label for key in counts):
                print(f"{label:42}" + "".join(
                    f"{counts[(label, p)] or '-':>16,}" if counts.get((label, p)) else f"{'-':>16}" for p in shown))
    print()
    for ours_row, pattern in ((OURS_COLD, "full read"), (OURS_WARM, "full read"), (OURS_COLD, "to_dict"),
                              (OURS_WARM, "to_dict")):
        mine = best.get((ours_row, pattern))
        temperature = ours_row.rsplit(" ", 1)[1]
        for label, peer in (("json.loads", ("json.loads -> dicts", "decode")),
                            ("python-binance's answer", ("python-binance Client (requests .json())", "decode")),
                            ("ccxt's fetch_balance", ("ccxt binanceusdm", "fetch_balance")),
                            ("by hand", ("json.loads + Decimal/datetime by hand", pattern))):
            if mine and peer in best:
                print(f"  ours, {pattern}, {temperature}: {mine / best[peer]:.2f}x {label}")
    print("  (the answer only, in this process: the issue's comparison, ours against json.loads + each peer's"
          " whole per-call work, HTTP included, repeated and as a fresh process's first call, is"
          " bench_client.py's)")


if __name__ == "__main__":
    script_entry.run(main)
