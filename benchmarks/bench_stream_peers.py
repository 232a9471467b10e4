"""CPU per user data event: our stream beside python-binance's and binance-futures-connector's, over a
real loopback websocket, the same frames for each.

Run: `python benchmarks/bench_stream_peers.py [--events 20000]`.

A server process (the `websockets` asyncio server) sends `--events` ACCOUNT_UPDATE frames (Binance's
documented shape, values varying) to each client that connects, then closes. Each client runs in
this process in turn, and the CPU time of this process (all its threads: the libraries read in
background threads or tasks) from the first frame to the last is divided by the number of events.
Each client's modules are imported before its clock starts (import time is a start-up cost, which
``binance_usdm``'s lazy package names would otherwise move into the measured window).
What each client hands its user:

- ours: `UserDataStream` (sync) and `AsyncUserDataStream`, typed events (`AccountUpdate`, exact
  decimals on access), with the listen key from an in-process emulator and `stream_url=` the server;
- python-binance 1.0.x: its `ReconnectingWebsocket` (what `futures_user_socket()` returns), dicts from
  `orjson`/`json`;
- binance-futures-connector 4.x: `UMFuturesWebsocketClient` (websocket-client in a thread) calls
  `on_message` with the text; the handler does what every user of it does, `json.loads`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

import script_entry


def frames(count: int) -> list[str]:
    return [json.dumps({
        "e": "ACCOUNT_UPDATE", "E": 1_700_000_000_000 + n, "T": 1_700_000_000_000 + n,
        "a": {"m": "ORDER",
              "B": [{"a": "USDT", "wb": f"{122624 + n % 997}.12345678", "cw": f"{100 + n % 89}.12345678", "bc": "0"}],
              "P": [{"s": "BTCUSDT", "pa": f"0.{n % 1000:03d}", "ep": "6563.66500", "bep": "6563.6", "cr": "0",
                     "up": f"{n % 5000}.212", "mt": "cross", "iw": "0", "ps": "BOTH"}]},
    }, separators=(",", ":")) for n in range(count)]


def serve(port_out: Any, count: int) -> None:
    """The server process: every connection gets all frames, then a close."""
    from websockets.asyncio.server import ServerConnection
    from websockets.asyncio.server import serve as ws_serve

    payload = frames(count)

    async def handler(connection: ServerConnection) -> None:
        for frame in payload:
            await connection.send(frame)
        await connection.close()

    async def main() -> None:
        async with ws_serve(handler, "127.0.0.1", 0, compression=None, max_queue=None) as server:
            port_out.send(next(iter(server.sockets)).getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


def timed(run: Callable[[], int]) -> tuple[float, float, int]:
    """CPU seconds of this process, wall seconds, events received."""
    start, wall = time.process_time(), time.perf_counter()
    received = run()
    return time.process_time() - start, time.perf_counter() - wall, received


def ours_sync(url: str, count: int, emu: Any) -> int:
    from binance_usdm import BinanceRestClient
    from binance_usdm.models.events import AccountUpdate

    seen = 0
    with BinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client, \
            client.user_stream(stream_url=url, route="legacy") as stream:
        for item in stream:
            if isinstance(item, AccountUpdate):
                seen += 1
                if seen == count:
                    break
    return seen


def ours_async(url: str, count: int, emu: Any) -> int:
    from binance_usdm import AsyncBinanceRestClient
    from binance_usdm.models.events import AccountUpdate

    async def run() -> int:
        seen = 0
        async with AsyncBinanceRestClient(emu.api_key, emu.api_secret, base_url=emu.base_url) as client, \
                client.user_stream(stream_url=url, route="legacy") as stream:
            async for item in stream:
                if isinstance(item, AccountUpdate):
                    seen += 1
                    if seen == count:
                        break
        return seen

    return asyncio.run(run())


def python_binance(url: str, count: int, emu: Any) -> int:
    from binance.ws.reconnecting_websocket import ReconnectingWebsocket

    async def run() -> int:
        seen = 0
        socket = ReconnectingWebsocket(url=url + "/", path="listenkey", prefix="ws/", max_queue_size=count + 10)
        async with socket as ws:
            while seen < count:
                message = await ws.recv()
                if message.get("e") == "ACCOUNT_UPDATE":
                    seen += 1
        return seen

    return asyncio.run(run())


def connector(url: str, count: int, emu: Any) -> int:
    from binance.websocket.um_futures.websocket_client import UMFuturesWebsocketClient

    seen = 0
    done = threading.Event()

    def on_message(_: Any, text: str) -> None:
        nonlocal seen
        if json.loads(text).get("e") == "ACCOUNT_UPDATE":
            seen += 1
            if seen == count:
                done.set()

    client = UMFuturesWebsocketClient(stream_url=url, on_message=on_message)
    client.user_data(listen_key="listenkey")
    done.wait(120)
    client.stop()
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--skip", action="append", default=[], metavar="NAME",
                        help="leave out the clients whose name contains NAME (python-binance waits ~25 s "
                             "on closing, which the smoke test skips)")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the peers log each close; the table is the output
    from binance_usdm.emulator import EmulatorServer

    receiver, sender = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(sender, args.events), daemon=True)
    server.start()
    url = f"ws://127.0.0.1:{receiver.recv()}"
    clients = [("binance-usdm UserDataStream (sync)", ours_sync, ("binance_usdm._sync.client",
                                                                  "binance_usdm._sync.user_stream")),
               ("binance-usdm AsyncUserDataStream", ours_async, ("binance_usdm._async.client",
                                                                "binance_usdm._async.user_stream")),
               ("python-binance ReconnectingWebsocket", python_binance, ("binance.ws.reconnecting_websocket",)),
               ("binance-futures-connector + json.loads", connector,
                ("binance.websocket.um_futures.websocket_client",))]
    print(f"CPU per ACCOUNT_UPDATE received over loopback ({args.events} events each, this process only)")
    print(f"{'client':<42}{'µs/event':>10}{'events':>8}{'wall s':>8}  what the user gets")
    gets = ["typed AccountUpdate", "typed AccountUpdate", "dict", "dict (json.loads in handler)"]
    with EmulatorServer() as emu:
        for (name, run, modules), what in zip(clients, gets, strict=True):
            if any(skipped in name for skipped in args.skip):
                continue
            for module in modules:
                importlib.import_module(module)
            cpu, wall, received = timed(lambda run=run: run(url, args.events, emu))
            print(f"{name:<42}{cpu / max(received, 1) * 1e6:>10.1f}{received:>8}{wall:>8.2f}  {what}", flush=True)
    server.terminate()


if __name__ == "__main__":
    script_entry.run(main)
