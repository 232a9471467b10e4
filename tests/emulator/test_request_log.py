"""The request log: what each answered Binance request was, readable as JSON, streamed as server-sent
events, bounded, and free of signatures and listen keys."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from urllib.parse import urlsplit

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.reqlog import RequestLog

from .conftest import Client, ok


def log(client: Client, query: str = "") -> list[dict]:
    return ok(client.raw("GET", "/emulator/log", query))["entries"]


def test_an_answered_request_is_logged(emu: EmulatorServer, client: Client) -> None:
    ok(client.get("/fapi/v2/balance", recvWindow=5000))
    entry = log(client)[-1]
    assert entry["method"] == "GET" and entry["path"] == "/fapi/v2/balance" and entry["client"] == "127.0.0.1"
    assert set(entry["params"]) == {"recvWindow", "timestamp"}  # the signature is never logged
    assert entry["weight"] == 5 and entry["usedWeight"] >= 5 and entry["status"] == 200
    assert entry["code"] is None and entry["fault"] is None and entry["latencyMs"] >= 0
    assert abs(entry["time"] - emu.clock.now_ms()) < 60_000
    client.admin("/emulator/state", method="GET")
    assert log(client)[-1]["id"] == entry["id"]  # the admin API is not logged


def test_errors_faults_and_filters(emu: EmulatorServer, client: Client) -> None:
    assert client.get("/fapi/v1/commissionRate", symbol="NOPEUSDT").status == 400
    ok(client.admin("/emulator/faults", {"fault": "GET /fapi/v1/adlQuantile=status:503,count=1"}))
    assert client.get("/fapi/v1/adlQuantile").status == 503
    ok(client.get("/fapi/v1/adlQuantile"))
    errors = log(client, "status=4xx")
    assert [(e["path"], e["code"]) for e in errors] == [("/fapi/v1/commissionRate", -1121)]
    faulted = log(client, "status=503")
    assert faulted[0]["fault"] == "GET /fapi/v1/adlQuantile=status:503,count=1" and faulted[0]["code"] == -1000
    adl = log(client, "path=adlQuantile")
    assert [e["status"] for e in adl] == [503, 200]
    assert log(client, "path=adlQuantile&limit=1") == adl[-1:]
    assert log(client, f"after={adl[0]['id']}&path=adl") == adl[1:]
    assert client.raw("GET", "/emulator/log", "limit=-1").status == 400
    assert ok(client.admin("/emulator/log", method="DELETE"))["removed"] == 3
    assert log(client) == []


def test_listen_keys_are_masked(client: Client) -> None:
    key = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
    ok(client.call("PUT", "/fapi/v1/listenKey", {"listenKey": key}, signed=False))
    entries = log(client)
    assert entries[-1]["params"] == {"listenKey": "***"}
    assert key not in json.dumps(entries)


def test_the_log_is_bounded() -> None:
    with EmulatorServer(log_capacity=3) as emu:
        client = Client(emu.base_url, emu.api_key, emu.clock.now_ms, secret=emu.api_secret)
        for _ in range(5):
            ok(client.call("GET", "/fapi/v1/ping", signed=False))
        body = ok(client.raw("GET", "/emulator/log"))
        assert body["capacity"] == 3 and [e["id"] for e in body["entries"]] == [3, 4, 5]
        assert [e.id for e in emu.log.entries()] == [3, 4, 5]
        client.close()


def test_the_log_streams_as_server_sent_events(emu: EmulatorServer, client: Client) -> None:
    u = urlsplit(emu.base_url)
    with socket.create_connection((u.hostname or "127.0.0.1", u.port or 80), timeout=10) as sock:
        sock.sendall(b"GET /emulator/log/stream?path=/fapi/v1/time HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b": request feed\n\n" not in data:
            data += sock.recv(4096)
        head = data.split(b"\r\n\r\n")[0].decode()
        assert head.startswith("HTTP/1.1 200") and "Content-Type: text/event-stream" in head
        assert "Content-Length" not in head
        ok(client.call("GET", "/fapi/v1/ping", signed=False))  # filtered out by path
        ok(client.call("GET", "/fapi/v1/time", signed=False))
        while data.count(b"\n\n") < 2:
            data += sock.recv(4096)
        events = [chunk for chunk in data.split(b"\r\n\r\n", 1)[1].split(b"\n\n") if chunk.startswith(b"event:")]
        assert len(events) == 1
        kind, payload = events[0].decode().split("\n")
        assert kind == "event: request" and json.loads(payload.removeprefix("data: "))["path"] == "/fapi/v1/time"
    # the closed stream is unsubscribed: later requests are still answered and logged
    ok(client.call("GET", "/fapi/v1/time", signed=False))
    assert log(client)[-1]["path"] == "/fapi/v1/time"


def test_python_m_prints_requests_when_asked() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--log-requests"],
                            stdout=subprocess.PIPE, encoding="utf-8")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        banner = [proc.stdout.readline()]
        while not banner[-1].startswith("  dashboard:") and len(banner) < 10:
            banner.append(proc.stdout.readline())
        assert banner[-1] == f"  dashboard: {url}/emulator/\n", banner
        u = urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=5)
        conn.request("GET", "/fapi/v1/ping")
        ping = conn.getresponse()
        assert ping.status == 200 and ping.read() == b"{}"
        line = proc.stdout.readline()
        while not line.startswith("127.0.0.1 "):  # what is left of the banner
            line = proc.stdout.readline()
        assert line.startswith("127.0.0.1 GET /fapi/v1/ping -> 200 w=1 used=1 "), line
        # a client's escape sequence (ESC ] 0 ; ... BEL retitles a terminal) reaches the console as text
        conn.request("GET", "/fapi/v1/premiumIndex?symbol=%1B%5D0%3BPWNED%07%E2%80%AE%E5%B8%81")
        assert conn.getresponse().read()
        line = proc.stdout.readline()
        assert line.startswith("127.0.0.1 GET /fapi/v1/premiumIndex?symbol=\\x1b]0;PWNED\\x07\\u202e币 -> 400 -1121"), line
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_an_entry_shows_its_parameters_as_logged() -> None:
    """Its repr (a test's assertion message, a debugger) drops the signature and masks a listen key, as
    the log's JSON form does."""
    log = RequestLog()
    entry = log.record(1, "127.0.0.1", "PUT", "/fapi/v1/listenKey", {"listenKey": "secret-key", "signature": "c0ffee"},
                       1, 1, 200, None, 0.25, None)
    text = repr(entry)
    assert "secret-key" not in text and "c0ffee" not in text
    assert "'listenKey': '***'" in text and "latencyMs=0.25" in text
