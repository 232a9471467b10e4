"""Emulator test helpers: a tiny HTTP client with HMAC / RSA / Ed25519 signing (no project client)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.store import JOURNAL_SUFFIX


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def code(self) -> int | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


@dataclass
class Client:
    """Signs like Binance clients do: totalParams = query + body, signature appended last."""

    base_url: str
    api_key: str | None
    now: Callable[[], int]
    secret: str | None = None
    private_key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | None = None
    conn: http.client.HTTPConnection = field(init=False)

    def __post_init__(self) -> None:
        u = urlsplit(self.base_url)
        self.conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=10)

    def sign(self, payload: str) -> str:
        if self.private_key is None:
            assert self.secret is not None
            return hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            raw = self.private_key.sign(payload.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            raw = self.private_key.sign(payload.encode())
        return quote(base64.b64encode(raw).decode(), safe="")

    def raw(self, method: str, path: str, query: str = "", body: str = "",
            headers: dict[str, str] | None = None) -> Answer:
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        if self.api_key is not None:
            hdrs["X-MBX-APIKEY"] = self.api_key
        hdrs.update(headers or {})
        self.conn.request(method, path + ("?" + query if query else ""), body=body or None, headers=hdrs)
        resp = self.conn.getresponse()
        data = resp.read()
        ctype = resp.getheader("Content-Type", "")
        parsed = json.loads(data) if "json" in ctype else data
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed)

    def call(self, method: str, path: str, params: dict[str, Any] | None = None, *, signed: bool = True,
             in_body: bool = False, timestamp: int | None = None) -> Answer:
        p = {k: v for k, v in (params or {}).items() if v is not None}
        if signed:
            p["timestamp"] = self.now() if timestamp is None else timestamp
        encoded = urlencode(p)
        if signed:
            encoded += "&signature=" + self.sign(encoded)
        if in_body:
            return self.raw(method, path, "", encoded)
        return self.raw(method, path, encoded)

    def get(self, path: str, **params: Any) -> Answer:
        return self.call("GET", path, params)

    def post(self, path: str, **params: Any) -> Answer:
        return self.call("POST", path, params)

    def admin(self, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Answer:
        return self.raw(method, path, "", json.dumps(body or {}), {"Content-Type": "application/json"})

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(download_delay_ms=2000) as server:
        yield server


@pytest.fixture
def client(emu: EmulatorServer) -> Iterator[Client]:
    c = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
    yield c
    c.close()


def fetch(url: str) -> tuple[int, str, bytes]:
    """GET an absolute http URL: (status, content type, body)."""
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=10)
    try:
        conn.request("GET", u.path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read()
    finally:
        conn.close()


def journal_frames(state: Path | str) -> bytes:
    """What the account journal of the state file `state` holds: its bytes up to the first zero byte (the
    room it was grown by is zeros)."""
    return Path(f"{state}{JOURNAL_SUFFIX}").read_bytes().split(b"\0", 1)[0]


def ok(answer: Answer) -> Any:
    assert answer.status == 200, (answer.status, answer.body)
    return answer.body


def err(answer: Answer, code: int, status: int = 400) -> str:
    assert answer.status == status, (answer.status, answer.body)
    assert answer.code == code, answer.body
    msg: str = answer.body["msg"]
    return msg


def kept_transfers(client: Client, now: int, *ages_days: int) -> list[int]:
    """Add a USDT transfer of each age (in days) before ``now``; the ages GET /fapi/v1/income still returns."""
    day = 86_400_000
    times = {now - age * day: age for age in ages_days}
    records = [{"incomeType": "TRANSFER", "income": "5", "asset": "USDT", "time": t} for t in times]
    ok(client.admin("/emulator/income", {"records": records}))
    rows = ok(client.get("/fapi/v1/income", incomeType="TRANSFER", startTime=now - (max(ages_days) + 30) * day))
    return [times[r["time"]] for r in rows if r["time"] in times]


class EmulatorProcess:
    """`python -m binance_usdm.emulator` in its own process on a free port, with a state file."""

    def __init__(self, state: Path, *args: str) -> None:
        self.state = state
        self.args = args
        self.port = 0  # set by _spawn from the emulator's first line
        self.proc = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--state", str(self.state),
             *self.args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert "emulator on http://127.0.0.1:" in line, line
        self.port = int(line.rsplit(":", 1)[1])
        return proc

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """kill -9."""
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def restart(self, *, kill: bool = False) -> None:
        """Stop (or kill -9) and start again on the same state file, on a new free port (the old one
        may have been handed to another socket meanwhile: binding it again failed with "address already
        in use" under parallel tests)."""
        if kill:
            self.kill()
        self.stop()
        self.proc = self._spawn()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
