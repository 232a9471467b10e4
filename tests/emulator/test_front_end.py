"""The HTTP front end over raw sockets: bounded input, bounded connections, answers in request order.

Limits answer as front ends (nginx, load balancers) do: 414 request line, 431 header block, 413 body,
408 request not received in time; an idle keep-alive connection is closed without an answer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_usdm.emulator import DEMO_API_KEY, DEMO_API_SECRET, EmulatorServer, HttpLimits, api, server
from binance_usdm.emulator.call import Call

LIMITS = HttpLimits(max_request_line=2048, max_header_bytes=4096, max_headers=20, max_body=65536,
                    request_timeout=0.5, idle_timeout=0.5, max_connections=64)


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(limits=LIMITS, download_delay_ms=0) as server:
        yield server


class Raw:
    """One raw connection: send bytes, read answers (status, headers, body) one at a time."""

    def __init__(self, emu: EmulatorServer) -> None:
        self.sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
        self.pending = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self) -> bytes:
        chunk = self.sock.recv(65536)
        self.pending += chunk
        return chunk

    def answer(self, *, head: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.pending:
            if not self._more():
                raise EOFError(self.pending)
        raw_head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        lines = raw_head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = 0 if head else int(headers.get("content-length", "0"))
        while len(self.pending) < length:
            if not self._more():
                raise EOFError(self.pending)
        body, self.pending = self.pending[:length], self.pending[length:]
        return int(lines[0].split()[1]), headers, body

    def closed(self) -> bool:
        """True when the server closed the connection (nothing more arrives)."""
        try:
            return self.pending == b"" and self._more() == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(emu: EmulatorServer) -> Iterator[Raw]:
    conn = Raw(emu)
    yield conn
    conn.close()


def get(target: str, *extra: str) -> bytes:
    return ("\r\n".join([f"GET {target} HTTP/1.1", "Host: 127.0.0.1", *extra]) + "\r\n\r\n").encode()


def signed(method: str, path: str, query: str, *extra: str) -> bytes:
    q = f"{query}&timestamp={int(time.time() * 1000)}" if query else f"timestamp={int(time.time() * 1000)}"
    sig = hmac.new(DEMO_API_SECRET.encode(), q.encode(), hashlib.sha256).hexdigest()
    lines = [f"{method} {path}?{q}&signature={sig} HTTP/1.1", "Host: 127.0.0.1", f"X-MBX-APIKEY: {DEMO_API_KEY}",
             "Content-Length: 0", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# -- answers in request order ---------------------------------------------------------------------
def test_pipelined_answers_keep_request_order_when_the_first_is_delayed(emu: EmulatorServer, raw: Raw) -> None:
    emu.faults.add("GET /fapi/v1/time=latency:300,count=1")
    raw.send(get("/fapi/v1/time") + get("/fapi/v1/ping"))
    status, _, body = raw.answer()
    assert status == 200 and "serverTime" in json.loads(body)
    assert raw.answer()[2] == b"{}"


def test_pipelined_answers_all_arrive_when_the_last_asks_to_close(emu: EmulatorServer, raw: Raw) -> None:
    emu.faults.add("GET /fapi/v1/time=latency:300,count=1")
    raw.send(get("/fapi/v1/time") + get("/fapi/v1/ping", "Connection: close"))
    assert "serverTime" in json.loads(raw.answer()[2])
    status, headers, body = raw.answer()
    assert (status, body, headers.get("connection")) == (200, b"{}", "close")
    assert raw.closed()


def test_requests_after_one_asking_to_close_are_not_run(emu: EmulatorServer, raw: Raw) -> None:
    raw.send(get("/fapi/v1/ping", "Connection: close")
             + signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=3"))
    assert raw.answer()[2] == b"{}"
    assert raw.closed()
    assert emu.backend.account().settings["BTCUSDT"].leverage == 10


def test_a_change_on_the_storage_thread_keeps_its_place_in_the_pipeline(raw: Raw) -> None:
    raw.send(signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=4") + get("/fapi/v1/ping")
             + signed("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT"))
    assert json.loads(raw.answer()[2])["leverage"] == 4
    assert raw.answer()[2] == b"{}"
    assert json.loads(raw.answer()[2])[0]["leverage"] == "4"


def test_on_a_state_file_changes_are_batched_once_many_connections_are_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Changes of account state alone on a state file are made at once, each its own journal frame, while
    fewer than `AT_ONCE_BELOW` connections are open; from that many on they are batched (changes that
    arrive together then share a frame). Either way each is answered in order and survives a restart."""
    monkeypatch.setattr(server, "AT_ONCE_BELOW", 2)
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        batched: list[object] = []
        run_stored = emu.app.run_stored
        monkeypatch.setattr(emu.app, "run_stored", lambda *args: (batched.append(args[0]), run_stored(*args))[1])
        conn = Raw(emu)

        def change(leverage: int) -> None:
            conn.send(signed("POST", "/fapi/v1/leverage", f"symbol=BTCUSDT&leverage={leverage}"))
            assert json.loads(conn.answer()[2])["leverage"] == leverage

        change(3)
        assert batched == []
        other = Raw(emu)
        other.send(get("/fapi/v1/ping"))  # answered: the server has accepted it
        assert other.answer()[0] == 200
        change(4)
        change(5)
        assert len(batched) == 2
        other.close()
        deadline = time.monotonic() + 10
        while len(emu.app.connections) > 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        change(6)
        assert len(batched) == 2
        conn.close()
    with EmulatorServer(state_path=tmp_path / "state.db") as emu:
        assert emu.backend.account().setting("BTCUSDT").leverage == 6


def test_in_memory_changes_on_the_loop_keep_the_pipeline_order(emu: EmulatorServer, raw: Raw) -> None:
    """Pipelined in-memory leverage changes (run on the loop): a rejected one between two accepted ones
    changes nothing, a read after them sees the last accepted one, each is logged with its weight and
    code, and the answers keep the request order."""
    version = emu.backend.version
    raw.send(signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=4")
             + signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=126")
             + signed("POST", "/fapi/v1/leverage", "symbol=ETHUSDT&leverage=0")
             + signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=6")
             + signed("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT"))
    status, headers, body = raw.answer()
    assert (status, json.loads(body)["leverage"]) == (200, 4) and headers["x-mbx-used-weight-1m"] == "1"
    for weight in ("2", "3"):
        status, headers, body = raw.answer()
        assert (status, json.loads(body)["code"], headers["x-mbx-used-weight-1m"]) == (400, -4028, weight)
    assert json.loads(raw.answer()[2])["leverage"] == 6
    assert json.loads(raw.answer()[2])[0]["leverage"] == "6"
    assert emu.backend.version == version + 2  # the rejected changes committed nothing
    assert emu.backend.account().setting("ETHUSDT").leverage != 0
    logged = [(e.path, e.status, e.code, e.weight) for e in emu.log.entries()][-5:]
    assert logged == [("/fapi/v1/leverage", 200, None, 1), ("/fapi/v1/leverage", 400, -4028, 1),
                      ("/fapi/v1/leverage", 400, -4028, 1), ("/fapi/v1/leverage", 200, None, 1),
                      ("/fapi/v2/positionRisk", 200, None, 5)]


def test_a_fault_on_an_in_memory_change_still_fires(emu: EmulatorServer, raw: Raw) -> None:
    """A fault planned on a change of account state alone fires: an outcome not run leaves the state as
    it was; one run before its answer is spoilt applies the change."""
    emu.faults.add("POST /fapi/v1/leverage=unknown,count=1")
    emu.faults.add("POST /fapi/v1/leverage=malformed,count=1")
    raw.send(signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=4")
             + signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=5")
             + signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=7"))
    status, _, body = raw.answer()
    assert (status, json.loads(body)["code"]) == (503, -1000)
    status, _, body = raw.answer()
    assert status == 200 and body.startswith(b"{{")  # the change ran, its answer was spoilt
    assert json.loads(raw.answer()[2])["leverage"] == 7
    assert [(f["kind"], f["fired"]) for f in emu.faults.listing()] == [("unknown", 1), ("malformed", 1)]
    fired = [e.fault for e in emu.log.entries()][-3:]
    assert fired == ["POST /fapi/v1/leverage=unknown,count=1", "POST /fapi/v1/leverage=malformed,count=1", None]


def test_answers_are_written_byte_for_byte_as_before(emu: EmulatorServer, raw: Raw) -> None:
    """The bytes of each kind of answer on the common path: a success (its used weight its only header),
    a rejection, an unknown path, a fault's answer, and a last answer that closes the connection."""
    emu.faults.add("POST /fapi/v1/marginType=unknown,count=1")
    raw.send(signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=4")
             + signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=4&signature=0")
             + get("/fapi/v1/nothing")
             + signed("POST", "/fapi/v1/marginType", "symbol=BTCUSDT&marginType=ISOLATED")
             + signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=5", "Connection: close"))
    while raw._more():
        pass
    json_head = "HTTP/1.1 {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n{}"
    expected = [
        ("200 OK", "X-MBX-USED-WEIGHT-1M: 1\r\n", '{"leverage":4,"maxNotionalValue":"600000000","symbol":"BTCUSDT"}'),
        ("400 Bad Request", "X-MBX-USED-WEIGHT-1M: 1\r\n",
         '{"code":-1101,"msg":"Duplicate values for a parameter detected."}'),
        ("404 Not Found", "X-MBX-USED-WEIGHT-1M: 1\r\n",
         '{"code":-1099,"msg":"Not found, unauthenticated, or unauthorized"}'),
        ("503 Service Unavailable", "X-MBX-USED-WEIGHT-1M: 1\r\n",
         '{"code":-1000,"msg":"Unknown error, please check your request or try again later."}'),
        ("200 OK", "X-MBX-USED-WEIGHT-1M: 2\r\nConnection: close\r\n",
         '{"leverage":5,"maxNotionalValue":"480000000","symbol":"BTCUSDT"}'),
    ]
    assert raw.pending.decode() == "".join(json_head.format(status, len(body), fields, body)
                                           for status, fields, body in expected)


def test_head_is_answered_without_a_body(raw: Raw) -> None:
    raw.send(b"HEAD /fapi/v1/time HTTP/1.1\r\nHost: x\r\n\r\n" + get("/fapi/v1/ping"))
    status, headers, body = raw.answer(head=True)
    assert status == 200 and int(headers["content-length"]) > 0 and body == b""
    status, _, body = raw.answer()  # the next answer starts right after the HEAD answer's head
    assert (status, body) == (200, b"{}")


def test_head_is_its_get_for_faults_and_where_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A HEAD request is answered as its GET: the GET's faults fire on it, and a GET that reads the store
    runs on the storage thread (not on the event loop)."""
    key = ("GET", "/fapi/v1/allOrders")
    route, threads = api.ROUTES[key], []

    def all_orders(c: Call) -> object:
        threads.append(threading.current_thread().name)
        return route.handler(c)

    monkeypatch.setitem(api.ROUTES, key, dataclasses.replace(route, handler=all_orders))
    with EmulatorServer(limits=LIMITS, download_delay_ms=0) as emu:
        emu.faults.add("GET /fapi/v1/ping=status:503,count=1")
        conn = Raw(emu)
        try:
            conn.send(b"HEAD /fapi/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n"
                      + signed("HEAD", "/fapi/v1/allOrders", "symbol=BTCUSDT"))
            assert conn.answer(head=True)[0] == 503
            assert conn.answer(head=True)[0] == 200
        finally:
            conn.close()
    assert len(threads) == 1 and threads[0].startswith("usdm-emulator-store")


@pytest.mark.parametrize("request_bytes", [
    b"GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    b"GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n",
])
def test_upgrade_and_connect_are_answered_once(raw: Raw, request_bytes: bytes) -> None:
    raw.send(request_bytes + b"garbage after the upgrade\r\n\r\n")
    raw.answer()
    assert raw.closed()


def test_download_links_point_to_the_server_not_to_the_host_header(emu: EmulatorServer, raw: Raw) -> None:
    now = int(time.time() * 1000)
    raw.send(signed("GET", "/fapi/v1/income/asyn", f"startTime={now - 86_400_000}&endTime={now}"))
    download_id = json.loads(raw.answer()[2])["downloadId"]
    raw.send(signed("GET", "/fapi/v1/income/asyn/id", f"downloadId={download_id}", "Host: attacker.example"))
    url = json.loads(raw.answer()[2])["url"]
    assert url.startswith(f"{emu.base_url}/emulator/downloads/"), url


# -- bounded input ---------------------------------------------------------------------------------
def test_each_request_on_a_connection_is_read_with_its_own_headers(raw: Raw) -> None:
    """A keep-alive connection that repeats its headers, then changes them: the key, the content type
    and the announced length each request sent are the ones it is judged by."""
    form = "symbol=BTCUSDT&leverage=3"
    raw.send(signed("POST", "/fapi/v1/leverage", form) * 2)
    assert [json.loads(raw.answer()[2])["leverage"] for _ in range(2)] == [3, 3]
    raw.send(signed("POST", "/fapi/v1/leverage", form).replace(DEMO_API_KEY.encode(), b"x" * len(DEMO_API_KEY)))
    assert json.loads(raw.answer()[2])["code"] == -2015
    body = f"symbol=BTCUSDT&leverage=5&timestamp={int(time.time() * 1000)}"
    body += "&signature=" + hmac.new(DEMO_API_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    form_post = "\r\n".join(["POST /fapi/v1/leverage HTTP/1.1", "Host: 127.0.0.1", f"X-MBX-APIKEY: {DEMO_API_KEY}",
                              "Content-Type: {}", f"Content-Length: {len(body)}", "", body]).encode()
    raw.send(form_post.replace(b"{}", b"application/json"))  # a JSON body is not read: no timestamp
    assert json.loads(raw.answer()[2])["code"] == -1102
    raw.send(form_post.replace(b"{}", b"application/x-www-form-urlencoded"))
    assert json.loads(raw.answer()[2])["leverage"] == 5
    raw.send(b"POST /fapi/v1/leverage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\n\r\n")
    assert raw.answer()[0] == 413


def test_a_trailer_is_not_a_header_of_the_next_request(raw: Raw) -> None:
    """A chunked request's trailer field does not join its head: the next request on the connection,
    which sends the same head plus that field as a header of its own, is judged with that header."""
    key = f"X-MBX-APIKEY: {DEMO_API_KEY}".encode()
    head = b"POST /fapi/v1/listenKey HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    raw.send(head + b"\r\n0\r\n" + key + b"\r\n\r\n" + head + key + b"\r\n\r\n0\r\n\r\n")
    assert json.loads(raw.answer()[2])["code"] == -2014  # a trailer is no API key
    status, _, body = raw.answer()
    assert status == 200 and "listenKey" in json.loads(body)


def test_large_trailers_are_431(raw: Raw) -> None:
    """Trailer fields after a chunked body count against the header block's limit, as the head's do."""
    raw.send(b"POST /fapi/v1/leverage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
             b"X-Big: " + b"v" * 3000 + b"\r\nX-Bigger: " + b"v" * 1200 + b"\r\n\r\n")
    assert raw.answer()[0] == 431
    assert raw.closed()


def test_long_request_line_is_414(raw: Raw) -> None:
    raw.send(get("/fapi/v1/ping?x=" + "a" * 3000))
    assert raw.answer()[0] == 414
    assert raw.closed()


def test_many_headers_are_431(raw: Raw) -> None:
    raw.send(get("/fapi/v1/ping", *(f"X-H{i}: v" for i in range(30))))
    assert raw.answer()[0] == 431
    assert raw.closed()


def test_many_headers_are_431_before_the_head_ends(raw: Raw) -> None:
    """Counted as they arrive: a head that stops after too many fields is refused, not timed out (408)."""
    raw.send(b"GET /fapi/v1/ping HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(30)))
    assert raw.answer()[0] == 431
    assert raw.closed()


def test_many_trailers_are_431_before_the_message_ends(raw: Raw) -> None:
    raw.send(b"POST /fapi/v1/leverage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
             + b"".join(b"X-T%d: v\r\n" % i for i in range(30)))
    assert raw.answer()[0] == 431
    assert raw.closed()


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /fapi/v1/ping?x=" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n", 414),
    (b"GET /fapi/v1/ping?x=" + b"a" * 3000 + b" HTTQ/1.1\r\n\r\n", 414),
    (b"GET /fapi/v1/ping HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(30)) + b"No colon\r\n\r\n", 431),
    (b"POST /fapi/v1/leverage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
     + b"".join(b"X-T%d: v\r\n" % i for i in range(30)) + b"No colon\r\n\r\n", 431),
])
def test_a_limit_passed_before_a_malformed_byte_is_refused_as_such(raw: Raw, request_bytes: bytes, status: int) -> None:
    """A request target or header count over its limit, then bytes the parser refuses, in one read: the
    limit's answer (as when the limit is checked as the bytes arrive), not 400."""
    raw.send(request_bytes)
    assert raw.answer()[0] == status
    assert raw.closed()


def test_large_header_block_is_431(raw: Raw) -> None:
    raw.send(get("/fapi/v1/ping", "X-Big: " + "v" * 3000, "X-Bigger: " + "v" * 1200))
    assert raw.answer()[0] == 431
    assert raw.closed()


@pytest.mark.parametrize(("start", "status"), [(b"GET /fapi/v1/ping?x=", 414),
                                               (b"GET /fapi/v1/ping HTTP/1.1\r\nX-Big: ", 431)])
def test_a_long_target_or_header_is_refused_also_when_it_never_ends(raw: Raw, start: bytes, status: int) -> None:
    raw.send(start)
    try:
        for _ in range(200):  # one request target or header value, never finished: the front end stops reading it
            raw.send(b"v" * 1024)
    except OSError:
        pass  # closed by the server (after answering)
    assert raw.answer()[0] == status
    assert raw.closed()


def test_announced_large_body_is_413_before_it_is_sent(raw: Raw) -> None:
    raw.send(b"POST /fapi/v1/leverage HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
    assert raw.answer()[0] == 413
    assert raw.closed()


def test_chunked_body_over_the_limit_is_413(raw: Raw) -> None:
    raw.send(b"POST /fapi/v1/leverage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 16384
    for _ in range(5):
        raw.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    assert raw.answer()[0] == 413
    assert raw.closed()


def test_slow_request_is_408(raw: Raw) -> None:
    raw.send(b"GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\n")  # the head never completes
    assert raw.answer()[0] == 408
    assert raw.closed()


def test_idle_keep_alive_connection_is_closed_without_an_answer(raw: Raw) -> None:
    raw.send(get("/fapi/v1/ping"))
    assert raw.answer()[2] == b"{}"
    assert raw.closed()  # after idle_timeout


def test_silent_connection_is_closed(raw: Raw) -> None:
    assert raw.closed()


def test_connections_beyond_the_limit_are_refused(emu: EmulatorServer) -> None:
    held = [Raw(emu) for _ in range(LIMITS.max_connections)]
    try:
        for conn in held:
            conn.send(get("/fapi/v1/ping"))
            assert conn.answer()[2] == b"{}"
        extra = Raw(emu)
        assert extra.closed()
        extra.close()
    finally:
        for conn in held:
            conn.close()


def test_server_sent_events_outlive_the_idle_timeout_and_carry_changes_from_the_storage_thread(
    raw: Raw, emu: EmulatorServer
) -> None:
    raw.send(get("/emulator/log/stream?path=/fapi/v1/leverage"))
    while b": request feed\n\n" not in raw.pending:
        assert raw._more()
    time.sleep(LIMITS.idle_timeout + 0.3)  # an idle HTTP connection would be closed by now
    change = Raw(emu)
    change.send(signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=6"))
    assert json.loads(change.answer()[2])["leverage"] == 6
    change.close()
    while b"event: request" not in raw.pending:
        assert raw._more()
    assert b'"path":"/fapi/v1/leverage"' in raw.pending
