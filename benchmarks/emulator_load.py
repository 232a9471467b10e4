"""Load against an HTTP server in another process: the emulator's benchmarks share this.

- `cpu_seconds` (a process's user + system CPU from /proc), `machine_ticks` (the machine's CPU time
  and what the hypervisor took of it), `start_emulator` (on a port it reports), `checkout_src` (the
  argument naming another checkout's src/).
- A load generator meant to be cheaper than the server it drives: one asyncio Protocol per
  keep-alive connection (uvloop when installed), each with one request in flight, requests signed
  with HMAC-SHA256 (both padded-key SHA-256 states absorbed once) and answers framed by their
  Content-Length only. `run_load` runs it in separate processes and returns the answers counted and
  the server's CPU time they cost.

Request mixes (`MIXES`): `read` = signed GET /fapi/v2/account; `write` = signed POST
/fapi/v1/leverage alternating between two leverages per connection (every request changes state);
`mixed` = per connection 3 reads then 1 write, repeated.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MIXES = ("write", "mixed", "read")
#: A symbol the demo account holds no position in: any leverage from 1 to its maximum is accepted.
LEVERAGE_SYMBOL = "BNBUSDT"
LEVERAGES = (10, 11)


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU seconds (Linux /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int] | None:
    """All CPUs' time so far and its part stolen by the hypervisor (another guest ran), in clock ticks
    (/proc/stat; None elsewhere)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice: already inside user and nice]
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def checkout_src(value: str) -> Path:
    """An argparse type: another checkout's src/, refused unless it holds the emulator (else the
    installed package would run in its place, and a before/after compare this checkout with itself)."""
    src = Path(value)
    if not (src / "binance_usdm" / "emulator").is_dir():
        import argparse

        raise argparse.ArgumentTypeError(f"{value}: no binance_usdm emulator there (give another checkout's src/)")
    return src


def start_emulator(state: Path | None = None, src: Path | None = None,
                   scenario: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """`python -m binance_usdm.emulator` (in memory, or on a `--state` file), with a weight budget no
    benchmark reaches, imported from `src` (another checkout's src/) when given, seeded by `scenario`
    (a scenario file) when given; returns once it listens, with the port its banner names (it binds
    port 0: a port picked free beforehand can be taken by another process before the server binds it)."""
    cmd = [sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--weight-limit", "1000000000"]
    if state is not None:
        cmd += ["--state", str(state)]
    if scenario is not None:
        cmd += ["--scenario", str(scenario)]
    env = None if src is None else {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    bound = re.search(rb"http://127\.0\.0\.1:(\d+)", banner)
    if bound is None:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the emulator did not start (it printed {banner!r})")
    return proc, int(bound.group(1))


def _hmac_hex(secret: str) -> Callable[[bytes], str]:
    """HMAC-SHA256 hex of a message under `secret` (at most 64 bytes), the key schedule done once."""
    import hashlib

    key = secret.encode().ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key)).copy

    def sign(msg: bytes) -> str:
        state = inner()
        state.update(msg)
        mac = outer()
        mac.update(state.digest())
        return mac.hexdigest()

    return sign


class Requests:
    """Freshly signed request bytes, as a real client sends them (current timestamp, its signature)."""

    def __init__(self, port: int, api_key: str, secret: str) -> None:
        self._sign = _hmac_hex(secret)
        self._head = f"Host: 127.0.0.1:{port}\r\nX-MBX-APIKEY: {api_key}\r\n"

    def signed(self, method: str, path: str, params: str = "") -> bytes:
        """`method path?params&timestamp=..&signature=..` with an empty body."""
        query = f"{params}&timestamp={int(time.time() * 1000)}" if params else f"timestamp={int(time.time() * 1000)}"
        tail = "Content-Length: 0\r\n" if method == "POST" else ""
        return (f"{method} {path}?{query}&signature={self._sign(query.encode())} HTTP/1.1\r\n"
                f"{self._head}{tail}\r\n").encode()

    def account(self) -> bytes:
        """GET /fapi/v2/account."""
        return self.signed("GET", "/fapi/v2/account")

    def leverage(self, leverage: int) -> bytes:
        """POST /fapi/v1/leverage on `LEVERAGE_SYMBOL`."""
        return self.signed("POST", "/fapi/v1/leverage", f"symbol={LEVERAGE_SYMBOL}&leverage={leverage}")


def _next_request(mix: str, requests: Requests) -> Callable[[], bytes]:
    """The request sequence of one connection."""
    n = 0

    def nxt() -> bytes:
        nonlocal n
        n += 1
        if mix == "read" or (mix == "mixed" and n % 4):
            return requests.account()
        return requests.leverage(LEVERAGES[(n // (4 if mix == "mixed" else 1)) % 2])

    return nxt


class _Client(asyncio.Protocol):
    """One keep-alive connection with one request in flight; counts 200 and other answers."""

    def __init__(self, nxt: Callable[[], bytes], stats: list[int], kinds: Counter[str], stop_at: float) -> None:
        self.nxt = nxt
        self.stats = stats
        self.kinds = kinds
        self.stop_at = stop_at
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.write(self.nxt())  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            at = buf.find(b"ontent-Length: ", 0, end)
            if at < 0:
                at = buf.find(b"ontent-length: ", 0, end)
            length = int(buf[at + 15:buf.index(b"\r\n", at)])
            if len(buf) < end + 4 + length:
                break
            if buf[9:12] == b"200":
                self.stats[0] += 1
            else:
                self.stats[1] += 1
                code = re.search(rb'"code": ?(-?\d+)', buf[end + 4:end + 4 + length])
                self.kinds[f"{buf[9:12].decode()} {code[1].decode() if code else ''}".strip()] += 1
            buf = buf[end + 4 + length:]
            assert self.transport is not None
            if time.perf_counter() >= self.stop_at:
                self.transport.close()
                if not self.done.done():
                    self.done.set_result(None)
                return
            self.transport.write(self.nxt())
        self.buf = buf

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _drive(port: int, mix: str, connections: int, seconds: float, api_key: str,
                 secret: str) -> tuple[list[int], Counter[str]]:
    loop = asyncio.get_running_loop()
    requests = Requests(port, api_key, secret)
    stats = [0, 0]
    kinds: Counter[str] = Counter()
    stop_at = time.perf_counter() + seconds
    clients = []
    for _ in range(connections):
        _, client = await loop.create_connection(
            lambda: _Client(_next_request(mix, requests), stats, kinds, stop_at), "127.0.0.1", port)
        clients.append(client)
    await asyncio.gather(*(c.done for c in clients))
    return stats, kinds


def load_main(argv: list[str]) -> None:
    """Load-process entry: `PORT MIX CONNECTIONS SECONDS API_KEY SECRET`; prints `[ok, errors, {kind: n}]`."""
    port, mix, connections, seconds, api_key, secret = argv
    coro = _drive(int(port), mix, int(connections), float(seconds), api_key, secret)
    try:
        import uvloop
    except ImportError:
        stats, kinds = asyncio.run(coro)
    else:
        stats, kinds = uvloop.run(coro)
    print(json.dumps([*stats, kinds]))


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one load run measured."""

    #: Answers per second (200s and errors) over the run's wall time.
    rps: float
    #: Answers other than 200, and how many of each status and Binance code ("400 -1021").
    errors: int
    error_kinds: dict[str, int]
    #: The server's CPU microseconds per answer (None where /proc is missing).
    server_cpu_us: float | None
    #: The load processes' CPU time over the run's wall time (1.0 = one busy core).
    load_cores: float
    #: The part of the machine's CPU time the hypervisor gave other guests during the run (0.25 = a
    #: quarter; None where /proc/stat is missing): a run with much of it measured the neighbours.
    steal: float | None = None


def run_load(server_pid: int, port: int, mix: str, connections: int, seconds: float, api_key: str,
             secret: str, processes: int = 1) -> LoadResult:
    """Drive the server on `port` from `processes` load processes sharing `connections`."""
    share = [connections // processes + (i < connections % processes) for i in range(processes)]
    cpu_before = cpu_seconds(server_pid)
    ticks_before = machine_ticks()
    children_before = os.times()
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                               "import emulator_load; emulator_load.load_main(sys.argv[2:])",
                               str(Path(__file__).resolve().parent), str(port), mix, str(n), str(seconds),
                               api_key, secret], stdout=subprocess.PIPE, text=True)
             for n in share if n]
    ok = errors = 0
    kinds: Counter[str] = Counter()
    for p in procs:
        out, _ = p.communicate()
        if p.returncode:
            raise RuntimeError(f"load process failed ({p.returncode})")
        a, b, k = json.loads(out)
        ok += a
        errors += b
        kinds.update(k)
    wall = time.perf_counter() - started
    cpu_after = cpu_seconds(server_pid)
    ticks_after = machine_ticks()
    children = os.times()
    load_cpu = (children.children_user - children_before.children_user
                + children.children_system - children_before.children_system)
    answered = ok + errors
    cpu_us = None if cpu_before is None or cpu_after is None or not answered else (
        (cpu_after - cpu_before) * 1e6 / answered)
    steal = None
    if ticks_before is not None and ticks_after is not None and ticks_after[0] > ticks_before[0]:
        steal = (ticks_after[1] - ticks_before[1]) / (ticks_after[0] - ticks_before[0])
    return LoadResult(answered / seconds, errors, dict(kinds), cpu_us, load_cpu / wall, steal)
