"""Profile our clients' hot path against the benchmark server (for finding hotspots, not figures).

    python benchmarks/profile_client.py [--calls N] [--op account|leverage] [--client async|sync|uvloop]
                                        [--top 30] [--breakdown]

``--breakdown`` times each stage of one call in isolation (validation + parameters, request build
and signing, transport round trip, response parsing) with ``time.process_time``, which is closer to
the real cost than cProfile's figures (cProfile inflates many small Python calls).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import script_entry

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_runners import API_KEY, API_SECRET, LEVERAGE, SYMBOL

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient
from binance_usdm._wire import endpoints as ep
from binance_usdm._wire.requests import build, params_of
from binance_usdm._wire.responses import parse


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "bench_server.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if not line or line[0] != "READY":
        raise SystemExit("benchmark server did not start")
    return proc, f"http://127.0.0.1:{line[1]}"


def _per_call(fn: Any, n: int) -> float:
    cpu = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - cpu) / n * 1e6


def breakdown(url: str, n: int) -> None:
    """CPU µs per stage of one call, each stage repeated alone."""
    client = BinanceRestClient(API_KEY, API_SECRET, base_url=url, weight_limit=10**9)
    core = client._core
    config = core.config
    account = client.usd_futures_api.account
    account.get_account_info()  # sync the clock, open the connection
    rows: list[tuple[str, float]] = []
    for label, endpoint, params in (
        ("account", ep.GET_ACCOUNT_INFO, ""),
        ("leverage", ep.CHANGE_INITIAL_LEVERAGE, params_of(symbol=SYMBOL, leverage=LEVERAGE)),
    ):
        request = build(endpoint, params, key_headers=config.key_headers, signer=config.signer,
                        timestamp_ms=core.clock.timestamp_ms(), recv_window=None)
        response = core.transport.send(request, config.timeouts)
        rows.append((f"{label}: build + sign", _per_call(
            lambda e=endpoint, p=params: build(e, p, key_headers=config.key_headers, signer=config.signer,
                                               timestamp_ms=core.clock.timestamp_ms(), recv_window=None),
            n * 5)))
        rows.append((f"{label}: transport.send (sync)", _per_call(
            lambda r=request: core.transport.send(r, config.timeouts), n)))
        rows.append((f"{label}: responses.parse", _per_call(lambda e=endpoint, r=response: parse(e, r, core.clock), n)))
        rows.append((f"{label}: endpoint.parse (body decode)", _per_call(
            lambda e=endpoint, r=response: e.parse(r.body), n)))
        rows.append((f"{label}: limiter.reserve + observe", _per_call(
            lambda r=response: (
                core.limiter.reserve(1), core.limiter.observe(r.headers, core.clock.timestamp_ms())
            ), n * 5)))
        call = account.get_account_info if label == "account" else (
            lambda: account.change_initial_leverage(SYMBOL, LEVERAGE))
        rows.append((f"{label}: whole sync call", _per_call(call, n)))
    rows.append(("leverage: validation + params_of", _per_call(
        lambda: params_of(symbol=SYMBOL, leverage=LEVERAGE), n * 5)))
    client.close()
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value:8.1f} µs")


def profile(url: str, kind: str, op: str, n: int, top: int) -> None:
    profiler = cProfile.Profile()
    if kind == "sync":
        client = BinanceRestClient(API_KEY, API_SECRET, base_url=url, weight_limit=10**9)
        api = client.usd_futures_api.account
        call = api.get_account_info if op == "account" else (
            lambda: api.change_initial_leverage(SYMBOL, LEVERAGE))
        for _ in range(200):
            call()
        profiler.enable()
        for _ in range(n):
            call()
        profiler.disable()
        client.close()
    else:
        async def main() -> None:
            async with AsyncBinanceRestClient(API_KEY, API_SECRET, base_url=url, weight_limit=10**9) as c:
                api = c.usd_futures_api.account

                async def call() -> Any:
                    if op == "account":
                        return await api.get_account_info()
                    return await api.change_initial_leverage(SYMBOL, LEVERAGE)

                for _ in range(200):
                    await call()
                profiler.enable()
                for _ in range(n):
                    await call()
                profiler.disable()

        if kind == "uvloop":
            import uvloop

            uvloop.run(main())
        else:
            asyncio.run(main())
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--op", choices=("account", "leverage"), default="leverage")
    parser.add_argument("--client", choices=("async", "sync", "uvloop"), default="async")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args()
    server, url = start_server()
    try:
        if args.breakdown:
            breakdown(url, max(200, args.calls // 3))
        else:
            profile(url, args.client, args.op, args.calls, args.top)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    script_entry.run(main)
