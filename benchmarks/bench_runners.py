"""Measures ONE client against the benchmark server; run in its own process by ``bench_client.py``.

    python bench_runners.py CLIENT BASE_URL [--seconds S] [--reps R] [--concurrency C]
    python bench_runners.py CLIENT BASE_URL --first few|every|to_dict

Prints one JSON line: ``{"client": ..., "status": "ok" | "missing" | "error", ...figures}``.
Only the standard library is imported at module level, so this file runs under any interpreter
(``--peer-python``); each client's own imports happen in its adapter and a failing import is
reported as ``"missing"``.

Figures, all client-side: CPU µs per call (``time.process_time`` of this process) and wall µs per
call for sequential account-info and leverage-change calls; account-info calls per second at
concurrency 1 (sequential) and at concurrency C (C tasks on one loop, or C threads); and the CPU µs
of an account-info call followed by a read of its answer, three ways (``PATTERNS``, ``READERS``),
repeated. With ``--first``, only the process's first call: the client made as its users make it
(python-binance's pings included), one call, its answer read one way (connecting, first use of
everything, nothing met before); the client's modules are imported before it is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import json
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from operator import itemgetter
from typing import Any

import script_entry
from bench_payloads import SYMBOLS, exchange_info_symbol

API_KEY = "benchKey0123456789benchKey0123456789benchKey0123456789benchKey01"
API_SECRET = "benchSecret0123456789benchSecret0123456789benchSecret0123456789"
SYMBOL = "BTCUSDT"
LEVERAGE = 20
N_POSITIONS = 40


class Missing(Exception):
    """The client (or the event loop it asks for) is not installed in this interpreter."""


class BadAnswer(Exception):
    """The client returned something other than the expected parsed answer."""


# --- adapters ---------------------------------------------------------------------------------
# An adapter opens one client and returns (account, leverage, close): coroutine functions for an
# async client (opened inside the running loop), plain functions for a sync one. A sync client that
# is not thread-safe gets one instance per thread in the concurrent phase (see CLIENTS).

AsyncTriple = tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]]]
SyncTriple = tuple[Callable[[], Any], Callable[[], Any], Callable[[], None]]


async def _open_ours_async(url: str, clock: Any = None) -> AsyncTriple:
    try:
        from binance_usdm import AsyncBinanceRestClient
    except ImportError as exc:
        raise Missing(str(exc)) from None
    client = AsyncBinanceRestClient(API_KEY, API_SECRET, base_url=url, weight_limit=10**9, clock=clock)
    account_api = client.usd_futures_api.account

    async def account() -> Any:
        return await account_api.get_account_info()

    async def leverage() -> Any:
        return await account_api.change_initial_leverage(SYMBOL, LEVERAGE)

    return account, leverage, client.aclose


def _open_ours_sync(url: str, clock: Any = None) -> SyncTriple:
    try:
        from binance_usdm import BinanceRestClient
    except ImportError as exc:
        raise Missing(str(exc)) from None
    client = BinanceRestClient(API_KEY, API_SECRET, base_url=url, weight_limit=10**9, clock=clock)
    account_api = client.usd_futures_api.account

    def account() -> Any:
        return account_api.get_account_info()

    def leverage() -> Any:
        return account_api.change_initial_leverage(SYMBOL, LEVERAGE)

    return account, leverage, client.close


def _python_binance_at(client_class: Any, url: str) -> Any:
    """``client_class`` (python-binance's ``Client`` or ``AsyncClient``) with every URL it uses pointed
    at the server: made the way its users make it (``Client()`` pings, ``AsyncClient.create()`` pings
    and reads the server time), which would otherwise go to the real Binance."""
    return type("LocalClient", (client_class,), {"API_URL": f"{url}/api", "FUTURES_URL": f"{url}/fapi"})


async def _open_python_binance(url: str) -> AsyncTriple:
    try:  # the module path still works where binance-futures-connector overwrote binance/__init__.py
        from binance.async_client import AsyncClient
    except ImportError as exc:
        raise Missing(str(exc)) from None
    client = await _python_binance_at(AsyncClient, url).create(API_KEY, API_SECRET)

    async def account() -> Any:
        return await client.futures_account()

    async def leverage() -> Any:
        return await client.futures_change_leverage(symbol=SYMBOL, leverage=LEVERAGE)

    return account, leverage, client.close_connection


def _open_python_binance_sync(url: str) -> SyncTriple:
    try:
        from binance.client import Client
    except ImportError as exc:
        raise Missing(str(exc)) from None
    client = _python_binance_at(Client, url)(API_KEY, API_SECRET)

    def account() -> Any:
        return client.futures_account()

    def leverage() -> Any:
        return client.futures_change_leverage(symbol=SYMBOL, leverage=LEVERAGE)

    return account, leverage, client.close_connection


async def _open_ccxt(url: str) -> AsyncTriple:
    try:
        import ccxt.async_support as ccxt_async
    except ImportError as exc:
        raise Missing(str(exc)) from None
    exchange = ccxt_async.binanceusdm(
        {"apiKey": API_KEY, "secret": API_SECRET, "enableRateLimit": False}
    )
    api_urls = exchange.urls["api"]
    for name, value in list(api_urls.items()):
        if isinstance(value, str):
            for host in ("https://fapi.binance.com", "https://testnet.binancefuture.com"):
                if value.startswith(host):
                    api_urls[name] = url + value[len(host):]

    async def account() -> Any:
        return await exchange.fapiPrivateV2GetAccount()

    async def leverage() -> Any:
        return await exchange.fapiPrivatePostLeverage({"symbol": SYMBOL, "leverage": LEVERAGE})

    return account, leverage, exchange.close


def _open_connector(url: str) -> SyncTriple:
    try:
        from binance.um_futures import UMFutures
    except ImportError as exc:
        raise Missing(str(exc)) from None
    client = UMFutures(key=API_KEY, secret=API_SECRET, base_url=url)

    def account() -> Any:
        return client.account()

    def leverage() -> Any:
        return client.change_leverage(symbol=SYMBOL, leverage=LEVERAGE)

    return account, leverage, client.session.close


# --- the floor: a minimal asyncio (buffered) Protocol / blocking socket with httptools + msgspec -


def _floor_head(url: str) -> tuple[str, int, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"Host: {host}:{port}\r\nX-MBX-APIKEY: {API_KEY}\r\nUser-Agent: floor/1\r\n"
        "Connection: keep-alive\r\n"
    )
    return host, port, head


def _floor_requests(url: str) -> tuple[str, int, bytes, bytes]:
    """The floor's two requests, built once (a fixed timestamp and signature)."""
    host, port, head = _floor_head(url)
    signature = "f" * 64
    account = (
        f"GET /fapi/v2/account?timestamp=1732400000000&signature={signature} HTTP/1.1\r\n{head}\r\n"
    ).encode()
    leverage = (
        f"POST /fapi/v1/leverage?symbol={SYMBOL}&leverage={LEVERAGE}&timestamp=1732400000000"
        f"&signature={signature} HTTP/1.1\r\n{head}Content-Length: 0\r\n\r\n"
    ).encode()
    return host, port, account, leverage


def _signed_floor_requests(url: str) -> tuple[Callable[[], bytes], Callable[[], bytes]]:
    """Builders of the same two requests as a real client sends them: each with the current
    timestamp and its HMAC-SHA256 signature, computed the cheapest way we know (CPython's own
    SHA-256, both padded-key states absorbed once; the secret fits in one 64-byte block)."""
    try:
        from _sha2 import sha256  # CPython 3.12+
    except ImportError:
        from _sha256 import sha256  # CPython 3.11

    _, _, head = _floor_head(url)
    key = API_SECRET.encode().ljust(64, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = sha256(bytes(b ^ 0x5C for b in key)).copy

    def builder(line_start: str, params: str, tail: str) -> Callable[[], bytes]:
        def build() -> bytes:
            query = f"{params}timestamp={int(time.time() * 1000)}"
            state = inner()
            state.update(query.encode())
            mac = outer()
            mac.update(state.digest())
            return f"{line_start}?{query}&signature={mac.hexdigest()} HTTP/1.1\r\n{head}{tail}\r\n".encode()

        return build

    return (
        builder("GET /fapi/v2/account", "", ""),
        builder("POST /fapi/v1/leverage", f"symbol={SYMBOL}&leverage={LEVERAGE}&", "Content-Length: 0\r\n"),
    )


async def _open_floor_async(url: str, signed: bool = False) -> AsyncTriple:
    try:
        import httptools
        import msgspec
    except ImportError as exc:
        raise Missing(str(exc)) from None
    host, port, account_request, leverage_request = _floor_requests(url)
    decode = msgspec.json.Decoder().decode
    loop = asyncio.get_running_loop()

    # Receives into one buffer of its own: with data_received, asyncio's selector loop allocates
    # 256 KB per read, which glibc may serve with mmap and fresh pages every time (history-dependent).
    buffer = memoryview(bytearray(65536))

    class FloorProtocol(asyncio.BufferedProtocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpResponseParser(self)
            self.chunks: list[bytes] = []
            self.waiter: asyncio.Future[bytes] | None = None
            self.transport: Any = None

        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def get_buffer(self, sizehint: int) -> memoryview:
            return buffer

        def buffer_updated(self, nbytes: int) -> None:
            self.parser.feed_data(buffer[:nbytes])  # httptools hands out copies (bytes)

        def on_body(self, body: bytes) -> None:
            self.chunks.append(body)

        def on_message_complete(self) -> None:
            chunks, self.chunks = self.chunks, []
            waiter, self.waiter = self.waiter, None
            if waiter is not None:
                waiter.set_result(chunks[0] if len(chunks) == 1 else b"".join(chunks))

        def connection_lost(self, exc: Exception | None) -> None:
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_exception(ConnectionError("closed"))

    idle: list[FloorProtocol] = []
    opened: list[FloorProtocol] = []

    async def exchange(data: bytes) -> Any:
        # one connection per concurrent caller (a list used as a stack: the simplest pool)
        if idle:
            conn = idle.pop()
        else:
            _, conn = await loop.create_connection(FloorProtocol, host, port)
            opened.append(conn)
        waiter = conn.waiter = loop.create_future()
        conn.transport.write(data)
        body = await waiter
        idle.append(conn)
        return decode(body)

    if signed:
        build_account, build_leverage = _signed_floor_requests(url)

        async def account() -> Any:
            return await exchange(build_account())

        async def leverage() -> Any:
            return await exchange(build_leverage())
    else:
        async def account() -> Any:
            return await exchange(account_request)

        async def leverage() -> Any:
            return await exchange(leverage_request)

    async def close() -> None:
        for conn in opened:
            conn.transport.close()

    return account, leverage, close


def _open_floor_sync(url: str, signed: bool = False) -> SyncTriple:
    try:
        import httptools
        import msgspec
    except ImportError as exc:
        raise Missing(str(exc)) from None
    import socket

    host, port, account_request, leverage_request = _floor_requests(url)
    decode = msgspec.json.Decoder().decode

    class FloorConnection:
        def __init__(self) -> None:
            self.sock = socket.create_connection((host, port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.parser = httptools.HttpResponseParser(self)
            self.chunks: list[bytes] = []
            self.done = False

        def on_body(self, body: bytes) -> None:
            self.chunks.append(body)

        def on_message_complete(self) -> None:
            self.done = True

        def exchange(self, data: bytes) -> Any:
            self.sock.sendall(data)
            self.done = False
            recv, feed = self.sock.recv, self.parser.feed_data
            while not self.done:
                chunk = recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                feed(chunk)
            chunks, self.chunks = self.chunks, []
            return decode(chunks[0] if len(chunks) == 1 else b"".join(chunks))

    local = threading.local()
    opened: list[FloorConnection] = []
    lock = threading.Lock()

    def connection() -> FloorConnection:
        conn: FloorConnection | None = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = FloorConnection()
            with lock:
                opened.append(conn)
        return conn

    if signed:
        build_account, build_leverage = _signed_floor_requests(url)

        def account() -> Any:
            return connection().exchange(build_account())

        def leverage() -> Any:
            return connection().exchange(build_leverage())
    else:
        def account() -> Any:
            return connection().exchange(account_request)

        def leverage() -> Any:
            return connection().exchange(leverage_request)

    def close() -> None:
        for conn in opened:
            conn.sock.close()

    return account, leverage, close


# name -> (kind, opener, one instance may serve many threads (sync clients))
CLIENTS: dict[str, tuple[str, Callable[[str], Any], bool]] = {
    "floor-async": ("async", _open_floor_async, True),
    "floor-sync": ("sync", _open_floor_sync, True),
    "floor-signed-async": ("async", functools.partial(_open_floor_async, signed=True), True),
    "floor-signed-sync": ("sync", functools.partial(_open_floor_sync, signed=True), True),
    "ours-async": ("async", _open_ours_async, True),
    "ours-sync": ("sync", _open_ours_sync, True),
    "python-binance": ("async", _open_python_binance, True),
    "python-binance-sync": ("sync", _open_python_binance_sync, False),
    "ccxt": ("async", _open_ccxt, True),
    "connector": ("sync", _open_connector, False),
}


# --- reading the answer ------------------------------------------------------------------------
# Three ways a user reads the account answer after the call, each the cheapest way the client's
# result allows (PATTERNS):
# - "few": the available balance and every position's symbol and amount (a dashboard's read);
# - "every": every field of every object;
# - "to_dict": the whole answer as plain dicts.
# Ours reads typed attributes (exact Decimal, UTC datetime) or calls to_dict(). A dict client's answer
# is already its dicts: it reads the values as parsed (strings, not converted), and its to_dict is the
# answer itself. ccxt builds its unified balance and positions from the answer (what fetch_balance
# and fetch_positions(method="account") do after their call; a ccxt user makes two calls for them,
# this is one, with ccxt's markets loaded beforehand and not counted) and reads them.

Reader = Callable[[Any], Any]
PATTERNS = ("few", "every", "to_dict")


def _typed_readers() -> dict[str, Reader]:
    from operator import attrgetter

    from binance_usdm.models import AccountAsset, AccountInfo, AccountPosition
    from binance_usdm.models._base import public_fields

    kinds = (AccountInfo, AccountAsset, AccountPosition)
    account, asset, position = (attrgetter(*public_fields(kind)) for kind in kinds)

    def few(answer: Any) -> Any:
        data = answer.data
        return data.available_balance, [(p.symbol, p.position_amt) for p in data.positions]

    def every(answer: Any) -> Any:
        data = answer.data
        return account(data), [asset(a) for a in data.assets], [position(p) for p in data.positions]

    def to_dict(answer: Any) -> Any:
        return answer.data.to_dict()

    return {"few": few, "every": every, "to_dict": to_dict}


def _dict_readers() -> dict[str, Reader]:
    getters: list[Callable[[dict[str, Any]], Any]] = []  # the answer's keys, from the first answer

    def few(answer: Any) -> Any:
        return answer["availableBalance"], [(p["symbol"], p["positionAmt"]) for p in answer["positions"]]

    def every(answer: Any) -> Any:
        if not getters:
            getters.extend(itemgetter(*keys) for keys in (answer, answer["assets"][0], answer["positions"][0]))
        account, asset, position = getters
        return account(answer), [asset(a) for a in answer["assets"]], [position(p) for p in answer["positions"]]

    def to_dict(answer: Any) -> Any:
        return answer

    return {"few": few, "every": every, "to_dict": to_dict}


def _ccxt_readers() -> dict[str, Reader]:
    import ccxt  # the parsing code of ccxt.async_support's exchange, without its session

    exchange = ccxt.binanceusdm()
    exchange.set_markets([exchange.parse_market(exchange_info_symbol(symbol)) for symbol in SYMBOLS])

    def unified(answer: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return exchange.parse_balance_custom(answer, "linear", None, False), exchange.parse_account_positions(answer)

    def few(answer: Any) -> Any:
        balance, positions = unified(answer)
        return balance["USDT"]["free"], [(p["symbol"], p["contracts"]) for p in positions]

    def every(answer: Any) -> Any:
        balance, positions = unified(answer)
        return ([tuple(entry.values()) for entry in balance.values() if isinstance(entry, dict)],
                [tuple(position.values()) for position in positions])

    return {"few": few, "every": every, "to_dict": unified}


READERS: dict[str, Callable[[], dict[str, Reader]]] = {
    "ours-async": _typed_readers, "ours-sync": _typed_readers, "ccxt": _ccxt_readers,
}  # any other client answers with dicts: _dict_readers

PRELOAD: dict[str, tuple[str, ...]] = {
    "ours-async": ("binance_usdm._async.client",), "ours-sync": ("binance_usdm._sync.client",),
    "python-binance": ("binance.async_client",), "python-binance-sync": ("binance.client",),
    "ccxt": ("ccxt.async_support",), "connector": ("binance.um_futures",),
}  # what a client's opener imports: imported before its first call is timed (import time is not a call's)


# --- checks -----------------------------------------------------------------------------------


def _check_account(answer: Any) -> None:
    data = getattr(answer, "data", answer)
    if hasattr(answer, "success") and not answer.success:
        raise BadAnswer(f"account call failed: {answer!r}"[:300])
    positions = data["positions"] if isinstance(data, dict) else getattr(data, "positions", None)
    if positions is None or len(positions) != N_POSITIONS:
        raise BadAnswer(f"unexpected account answer: {str(answer)[:200]}")


def _check_leverage(answer: Any) -> None:
    data = getattr(answer, "data", answer)
    if hasattr(answer, "success") and not answer.success:
        raise BadAnswer(f"leverage call failed: {answer!r}"[:300])
    value = data.get("leverage") if isinstance(data, dict) else getattr(data, "leverage", None)
    if value is None or int(value) != LEVERAGE:
        raise BadAnswer(f"unexpected leverage answer: {str(answer)[:200]}")


# --- measurement ------------------------------------------------------------------------------


class Plan:
    def __init__(self, seconds: float, reps: int, concurrency: int) -> None:
        self.seconds = seconds  # target duration of one repetition
        self.reps = reps
        self.concurrency = concurrency


def _count(per_call_wall: float, seconds: float, floor: int) -> int:
    return max(floor, int(seconds / max(per_call_wall, 1e-6)))


async def _async_sequential(fn: Callable[[], Awaitable[Any]], n: int) -> tuple[float, float]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        await fn()
    return (time.process_time() - cpu0) / n, (time.perf_counter() - wall0) / n


async def _async_concurrent(fn: Callable[[], Awaitable[Any]], n: int, workers: int) -> tuple[float, float]:
    per_worker = max(1, n // workers)

    async def worker() -> None:
        for _ in range(per_worker):
            await fn()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    total = per_worker * workers
    return (time.process_time() - cpu0) / total, (time.perf_counter() - wall0) / total


async def _measure_async(
    opener: Callable[[str], Awaitable[AsyncTriple]], readers: dict[str, Reader], url: str, plan: Plan,
) -> dict[str, Any]:
    account, leverage, close = await opener(url)
    try:
        answer = await account()
        for read in readers.values():
            read(answer)
        _check_account(answer)
        _check_leverage(await leverage())
        # warm up (caches, connection, clock sync) and calibrate the call counts
        _, account_wall = await _async_sequential(account, 30)
        _, leverage_wall = await _async_sequential(leverage, 30)
        n_account = _count(account_wall, plan.seconds, 20)
        n_leverage = _count(leverage_wall, plan.seconds, 20)
        account_runs = [await _async_sequential(account, n_account) for _ in range(plan.reps)]
        leverage_runs = [await _async_sequential(leverage, n_leverage) for _ in range(plan.reps)]
        read_runs = {}
        for pattern, read in readers.items():
            async def account_and_read(read: Reader = read) -> Any:
                return read(await account())

            read_runs[pattern] = [await _async_sequential(account_and_read, n_account) for _ in range(plan.reps)]
        c = plan.concurrency
        await _async_concurrent(account, 2 * c, c)  # opens the connections
        n_conc = _count(account_wall / 2, plan.seconds * 1.5, 2 * c)
        conc_runs = [await _async_concurrent(account, n_conc, c) for _ in range(max(1, plan.reps // 2 + 1))]
        _check_account(await account())
    finally:
        await close()
    return _figures(account_runs, leverage_runs, conc_runs, read_runs)


def _sync_sequential(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    return (time.process_time() - cpu0) / n, (time.perf_counter() - wall0) / n


def _sync_concurrent(fns: list[Callable[[], Any]], n: int) -> tuple[float, float]:
    per_thread = max(1, n // len(fns))
    start = threading.Barrier(len(fns) + 1)
    errors: list[BaseException] = []

    def worker(fn: Callable[[], Any]) -> None:
        start.wait()
        try:
            for _ in range(per_thread):
                fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(fn,)) for fn in fns]
    for thread in threads:
        thread.start()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    total = per_thread * len(fns)
    return (time.process_time() - cpu0) / total, (time.perf_counter() - wall0) / total


def _measure_sync(
    opener: Callable[[str], SyncTriple], shared: bool, readers: dict[str, Reader], url: str, plan: Plan,
) -> dict[str, Any]:
    account, leverage, close = opener(url)
    closers = [close]
    try:
        answer = account()
        for read in readers.values():
            read(answer)
        _check_account(answer)
        _check_leverage(leverage())
        _, account_wall = _sync_sequential(account, 30)
        _, leverage_wall = _sync_sequential(leverage, 30)
        n_account = _count(account_wall, plan.seconds, 20)
        n_leverage = _count(leverage_wall, plan.seconds, 20)
        account_runs = [_sync_sequential(account, n_account) for _ in range(plan.reps)]
        leverage_runs = [_sync_sequential(leverage, n_leverage) for _ in range(plan.reps)]
        read_runs = {}
        for pattern, read in readers.items():
            def account_and_read(read: Reader = read) -> Any:
                return read(account())

            read_runs[pattern] = [_sync_sequential(account_and_read, n_account) for _ in range(plan.reps)]
        c = plan.concurrency
        if shared:
            fns = [account] * c
        else:  # not thread-safe: one client per thread
            fns = []
            for _ in range(c):
                fn, _, extra_close = opener(url)
                fns.append(fn)
                closers.append(extra_close)
        _sync_concurrent(fns, 2 * c)
        n_conc = _count(account_wall / 2, plan.seconds * 1.5, 2 * c)
        conc_runs = [_sync_concurrent(fns, n_conc) for _ in range(max(1, plan.reps // 2 + 1))]
        _check_account(account())
    finally:
        for closer in closers:
            closer()
    figures = _figures(account_runs, leverage_runs, conc_runs, read_runs)
    if not shared:
        figures["note"] = "c=50: one client per thread (not thread-safe)"
    return figures


def _figures(
    account_runs: list[tuple[float, float]],
    leverage_runs: list[tuple[float, float]],
    conc_runs: list[tuple[float, float]],
    read_runs: dict[str, list[tuple[float, float]]],
) -> dict[str, Any]:
    def best(runs: list[tuple[float, float]], i: int) -> float:
        # the best repetition: other processes on the machine only ever add time
        return min(run[i] for run in runs)

    account_wall = best(account_runs, 1)
    return {
        "account_cpu_us": best(account_runs, 0) * 1e6,
        "account_wall_us": account_wall * 1e6,
        "leverage_cpu_us": best(leverage_runs, 0) * 1e6,
        "leverage_wall_us": best(leverage_runs, 1) * 1e6,
        "cps_c1": 1 / account_wall,
        "cps_conc": 1 / best(conc_runs, 1),
        "conc_cpu_us": best(conc_runs, 0) * 1e6,
        **{f"{pattern}_cpu_us": best(runs, 0) * 1e6 for pattern, runs in read_runs.items()},
    }


def _readers(client: str) -> dict[str, Reader]:
    try:
        return READERS.get(client, _dict_readers)()
    except ImportError as exc:
        raise Missing(str(exc)) from None


def _on_loop(loop_name: str, work: Awaitable[Any]) -> Any:
    if loop_name == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise Missing("uvloop") from None
        return uvloop.run(work)
    return asyncio.run(work)


def run(client: str, url: str, loop_name: str, plan: Plan) -> dict[str, Any]:
    kind, opener, shared = CLIENTS[client]
    readers = _readers(client)
    if kind == "sync":
        return _measure_sync(opener, shared, readers, url, plan)
    return _on_loop(loop_name, _measure_async(opener, readers, url, plan))  # type: ignore[no-any-return]


def run_first(client: str, url: str, loop_name: str, pattern: str) -> dict[str, Any]:
    """The process's first call as a user pays it: the client made (as its users make it), one
    account call, the answer read by ``pattern``; the client's modules imported beforehand."""
    kind, opener, _ = CLIENTS[client]
    read = _readers(client)[pattern]
    try:
        for module in PRELOAD.get(client, ()):
            importlib.import_module(module)
    except ImportError as exc:
        raise Missing(str(exc)) from None
    if kind == "sync":
        cpu0 = time.process_time()
        account, _, close = opener(url)
        answer = account()
        read(answer)
        cpu = time.process_time() - cpu0
        close()
    else:
        async def first() -> tuple[float, Any]:
            cpu0 = time.process_time()
            account, _, close = await opener(url)
            answer = await account()
            read(answer)
            cpu = time.process_time() - cpu0
            await close()
            return cpu, answer

        cpu, answer = _on_loop(loop_name, first())
    _check_account(answer)
    return {f"first_{pattern}_cpu_us": cpu * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("url")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--first", choices=PATTERNS, help="only the process's first call, read this way")
    args = parser.parse_args()
    result: dict[str, Any] = {"client": args.client, "loop": args.loop, "python": sys.executable}
    try:
        if args.first:
            result.update(run_first(args.client, args.url, args.loop, args.first))
        else:
            result.update(run(args.client, args.url, args.loop, Plan(args.seconds, args.reps, args.concurrency)))
        result["status"] = "ok"
    except Missing as exc:
        result.update(status="missing", detail=str(exc))
    except Exception as exc:
        result.update(status="error", detail=f"{type(exc).__name__}: {exc}"[:300])
    sys.stdout.flush()
    print(json.dumps(result), flush=True)
    os._exit(0)  # skip interpreter teardown (peers may leave background threads/sessions)


if __name__ == "__main__":
    script_entry.run(main)
