"""The HTTP/1.1 front end: asyncio + httptools, keep-alive, and Binance's request pipeline.

Each request goes through these steps, in order:
1. `parse`: the HTTP message (httptools; Content-Length or chunked body) -> `RawRequest`.
   `faults`: the injected faults that fire on it (`faults.py`) are planned here: a latency delays
   the remaining steps, a skew shifts the server time they see, an outcome replaces or spoils the
   answer (before step 2 when the fault does not let the request run, after step 6 when it does).
2. `route`: Binance paths to their `Route` (looked up once, by the front end: `RawRequest.route`);
   admin/download paths to the admin API (404 otherwise).
3. `params`: query string + form body -> `Params` (-1101 on duplicates).
4. `charge`: request weight against the IP's per-minute budget (429 / 418).
5. `authenticate`: API key, timestamp window and signature per the route's security type.
6. `handle`: the endpoint handler (the backend commits changes before returning); answers that
   depend only on account state are reused until the backend's state version changes. A change
   whose commit failed left no trace (`backend.CommitFailed`), but the client cannot know that:
   it gets Binance's 503 "Unknown error, please check your request or try again later." (execution
   status unknown), and reading the state shows it was not applied.
7. `respond`: JSON body, Binance's status, `X-MBX-USED-WEIGHT-1M` on every answer.

A websocket upgrade request on a user-data-stream path leaves this pipeline: the connection is
handed to `stream.StreamHub` and carries websocket frames from then on. Any other upgrade (and
CONNECT) is answered once, as plain HTTP, and the connection then closes.

The event loop never waits for storage: requests whose route reads or writes the store (history,
downloads, every change, the admin API) run on one storage thread (`App.storage`), the others on the
loop from committed in-memory state. One exception: a change of account state alone
(`Route.account_only`: a leverage change, feeBurn) writes at most its account's rows, in tens of
microseconds where commits are quick (in memory, where it writes nothing, or a state file without
`--fsync`: `Store.commits_quickly`). In memory it is durable at its own commit point, so it runs at
once on the loop, as a read does, when no batch holds the backend's lock and no fault is planned on
it (else it joins the next batch). So it does on a state file whose account journal this process
writes (`journal.py`), its account rows its own journal frame, appended before it is installed
(`App.change_at_once`), while few connections are open (`AT_ONCE_BELOW`; else such changes are
batched, one frame per batch). Such a batch runs on the loop itself, its commit included, when
nothing holds what it needs (`Backend.claim`: no batch on the storage thread, no checkpoint due:
checkpoints run on the storage thread; its account rows go to the account journal, one frame, else
it needs the file's write lock free); no round trip. It is taken at the end of the loop turn, so the
answers of one turn share one state version and one commit. Group commit: the Binance requests bound
for the storage thread that arrive while it is busy (or in one loop turn) run there as one batch in
one `Backend.group`, so a state file commits once per batch; each is answered once its batch is
durable (if the batch's commit fails, every request of the batch gets the 503 "unknown outcome"
answer and nothing of the batch is applied). An answer computed on the loop while a batch's changes
are installed but not yet durable waits for that batch too (503 if it fails), so nothing not durable
leaves the server. Pipelined requests are answered in request order whatever each one waits for (an
injected latency, the storage thread). The front end bounds what a client can make it hold
(`HttpLimits`), answering as gateways do: 414 for a long request line, 431 for a large or crowded
header block, 413 for a large body, 408 for a request not received in time; an idle keep-alive
connection is closed silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from time import perf_counter
from typing import TYPE_CHECKING, Any, cast

import httptools
import msgspec

from . import auth
from .accounts import Account
from .admin import Admin
from .api import ROUTES, Route, Security
from .backend import Backend, CommitFailed
from .call import Call
from .errors import NOT_FOUND, UNKNOWN, UNKNOWN_OUTCOME, Rejection
from .faults import FaultSet, Plan
from .messages import RawRequest, Response
from .params import Params
from .ratelimit import RateLimiter
from .reqlog import RequestLog
from .stream import StreamHub
from .tcp import abort

if TYPE_CHECKING:
    from .stream_session import Session

_json = msgspec.json.Encoder(decimal_format="string")
_log = logging.getLogger(__name__)
_PER_REQUEST = frozenset(("timestamp", "signature", "recvWindow"))
_TIMER_SLACK = 0.001  # seconds: loops fire timers on a millisecond clock, up to one early
_RECV_SIZE = 65536  # bytes per read: below glibc's mmap threshold, so served from the heap


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one client can make the server hold, and how long (sizes in bytes, times in seconds)."""

    #: Request line (method, target, version): over it 414 URI Too Long.
    max_request_line: int = 8192
    #: Header block (names and values) and header count: over either 431.
    max_header_bytes: int = 16384
    max_headers: int = 100
    #: Body (Content-Length, or chunked as received): over it 413 Content Too Large.
    max_body: int = 4 * 1024 * 1024
    #: From a request's first byte until it is complete: else 408 Request Timeout.
    request_timeout: float = 30.0
    #: A keep-alive connection with no request under way is closed after this long.
    idle_timeout: float = 60.0
    #: Requests received but not yet answered on one connection before reading pauses.
    max_pipelined: int = 64
    #: Open connections; more are closed as soon as they are accepted.
    max_connections: int = 4096


#: Open connections under which a change of account state alone on a state file is made at once, its
#: own journal frame (from this many on, changes arriving together fill batches, which cost less per
#: change than a frame each). Measured with `benchmarks/bench_emulator_pairs.py`, leverage changes on
#: as many connections: at 8 (batches of ~4) at once saved 1.6 µs a change, at 32 (~15) it cost 3.8 µs
#: more. (Counting the changes of each loop turn instead, a callback per turn, cost 1.1 µs a change.)
AT_ONCE_BELOW = 16


class App:
    """The request pipeline over a backend (no sockets: `dispatch` maps a request to a response)."""

    def __init__(self, backend: Backend, limiter: RateLimiter, admin: Admin, faults: FaultSet | None = None,
                 streams: StreamHub | None = None, log: RequestLog | None = None,
                 limits: HttpLimits | None = None) -> None:
        self.backend = backend
        self.limiter = limiter
        self.admin = admin
        self.faults = faults or FaultSet()
        self.streams = streams
        self.log = log or RequestLog()
        self.limits = limits or HttpLimits()
        #: Runs the requests that touch the store, one at a time, off the event loop (and the store's
        #: checkpoints: `_finish_batch`).
        self.storage = ThreadPoolExecutor(max_workers=1, thread_name_prefix="usdm-emulator-store")
        backend.store.checkpoints_elsewhere = True
        #: The open connections (closed by `close_connections` when the server stops).
        self.connections: set[HttpProtocol] = set()
        #: Requests waiting off the loop's direct path (a latency, the storage thread); they still run
        #: when their client goes away, as a server's would, and are cancelled when the server stops.
        self.tasks: set[asyncio.Task[None]] = set()
        self._answers: dict[tuple[str, str, str], tuple[int, bytes]] = {}
        #: Group commit: storage requests waiting for the next batch, whether a batch is running, and
        #: the connections holding an answer until it is durable.
        self._queued: list[_Stored] = []
        self._queued_on_loop = True  # every queued request may run on the loop (`account_only`)
        self._batch_running = False
        self.holding: set[HttpProtocol] = set()
        #: (method, path) -> the Binance route and where its requests run (`_run`); other paths run on the
        #: loop. The front end looks a request up here once (`RawRequest.route`).
        self.runs = {key: (route, self._run(route)) for key, route in ROUTES.items()}

    def run_stored(self, req: RawRequest, plan: Plan | None, on_loop: bool, conn: HttpProtocol,
                   pending: _Pending) -> None:
        """On the loop: run a Binance request in the next batch (module docstring): on the storage thread,
        or on the loop itself when every request of the batch may (`on_loop`: `account_only`) and
        `Backend.claim` gets what the batch needs without waiting. The answer goes to its place in its
        connection's answers (`_finish_batch`), on the loop, as soon as the batch is done (one
        tuple per request: no future, no callback or partial of its own; most write requests take this
        way)."""
        self._queued.append((req, plan, conn, pending))
        self._queued_on_loop = self._queued_on_loop and on_loop
        if not self._batch_running:
            self._batch_running = True
            conn._loop.call_soon(self._start_batch)  # the requests of this loop turn join it

    def _start_batch(self) -> None:
        batch, self._queued = self._queued, []
        on_loop, self._queued_on_loop = self._queued_on_loop, True
        if not batch:
            self._batch_running = False
            return
        claimed = self.backend.claim() if on_loop else None
        if claimed is not None:  # free: no batch runs on the storage thread, the state file is ours
            self._finish_batch(batch, self._run_batch(batch, claimed))
            return
        loop = asyncio.get_running_loop()
        try:
            job = self.storage.submit(self._run_batch, batch)
        except RuntimeError:  # the server is stopping
            self._finish_batch(batch, None)
            return
        job.add_done_callback(lambda f: loop.call_soon_threadsafe(self._finish_batch, batch, _answers(f)))

    def _run_batch(self, batch: list[_Stored], claimed: contextlib.AbstractContextManager[None] | None = None,
                   ) -> list[Response] | None:
        """The batch's answers, or None when its commit failed (on the storage thread; on the loop for
        `account_only` requests, in the group `Backend.claim` made)."""
        answers = []
        dispatch = self.dispatch
        try:
            with claimed if claimed is not None else self.backend.group():
                for req, plan, _, _ in batch:
                    answers.append(dispatch(req, plan))
        except Exception as exc:  # CommitFailed, or the store closing under it
            _log.error("emulator could not save a batch of %d requests: %s", len(batch), exc)
            return None
        return answers

    def change_at_once(self, req: RawRequest, pending: _Pending) -> bool:
        """On the loop: make a change of account state alone on a state file at once, as in memory, its
        rows its own frame of the account journal (`Store.take_journal`), when nothing holds what it
        needs (else False, and it joins the next batch)."""
        backend = self.backend
        lock = backend.lock
        if not lock.acquire(False):
            return False
        store = backend.store
        if not store.take_journal():
            lock.release()
            return False
        try:
            pending.response = self.dispatch(req, None)
        finally:
            store.release_journal()
            lock.release()
        if store.fold_due:
            self._checkpoint_if_due()
        return True

    def _checkpoint_if_due(self) -> None:
        """On the loop: a checkpoint on the storage thread when one is due (`Store.want_checkpoint`)."""
        store = self.backend.store
        if store.want_checkpoint():
            with contextlib.suppress(RuntimeError):  # the server is stopping
                self.storage.submit(store.checkpoint)

    def _finish_batch(self, batch: list[_Stored], answers: list[Response] | None) -> None:
        """On the loop: answer the batch (None: its commit failed), release the answers held for it,
        ask for a checkpoint on the storage thread when one is due (`Store.want_checkpoint`), start the
        next batch."""
        self._checkpoint_if_due()
        durable = answers is not None
        if answers is None:
            answers = [_unknown_outcome(self) for _ in batch]
        for (_, _, conn, pending), answer in zip(batch, answers, strict=True):  # each answered in its place
            pending.response = answer  # (inline, not a call per request: most write requests come this way)
            waiter = pending.answered
            if waiter is not None and not waiter.done():  # done: cancelled, the server stopping
                waiter.set_result(None)
            if conn._tail is pending:  # the next request on the connection waits for nothing (`_previous`)
                conn._tail = None
            conn._flush()
        holding, self.holding = self.holding, set()
        for conn in holding:
            conn.release(durable)
        self._batch_running = False
        if self._queued:
            self._batch_running = True
            self._start_batch()

    def _run(self, route: Route) -> int:
        """Where a Binance route's requests run (`runs`): on the loop (`_LOOP`), in a batch on the storage
        thread when they read or write the store (`_STORED`), in a batch that may run on the loop for a
        change of account state alone on a store whose commits are quick (`_QUICK`: a state file without
        fsync, `run_stored`), at once on the loop for such a change in memory (`_NOW`: it is durable at its own
        commit point) or on a state file whose account journal this process writes (`_JOURNALED`: its own
        frame, `change_at_once`); when a batch holds what either needs, it joins the next batch."""
        if not route.off_loop:
            return _LOOP
        if not (route.account_only and self.backend.store.commits_quickly):
            return _STORED
        store = self.backend.store
        if store.path is None:
            return _NOW
        return _JOURNALED if store.journal_writable else _QUICK

    def close_connections(self) -> None:
        """Close every open connection now and drop the requests still waiting (server shutdown; on
        the loop)."""
        for task in list(self.tasks):
            task.cancel()
        for conn in list(self.connections):
            if conn.transport is not None and not conn.transport.is_closing():  # closing: a stream's close frame
                conn.transport.abort()

    def dispatch(self, req: RawRequest, plan: Plan | None = None) -> Response:
        """Run the pipeline steps (module docstring) for one request; Binance paths are logged. The
        clock is read once: every step of the request sees the same server time, shifted by a planned
        clock skew (the weight counts in the server's own minute). A bug answers like Binance's -1000
        (it must not kill the connection loop or the batch). Steps 2-7 run in this one frame."""
        try:
            route = req.route
            if route is None and req.path.startswith("/emulator/"):
                return self.admin.handle(req)
            started = perf_counter()
            now = self.backend.clock.now_ms()
            fault = None if plan is None else plan.fault
            limiter = self.limiter
            params: Params | None = None
            weight = 0
            used: int | None = None  # the minute's used weight after a success (else read for the log)
            if fault is not None and not fault.applied:
                resp: Response | None = None  # not run: the fault answers alone (below)
            elif route is None:
                resp = self._not_found(req, now)
            else:
                try:
                    body = self.form_body(req) if req.body else ""
                    params = Params(req.query, body)
                    weight = route.weight if isinstance(route.weight, int) else route.weight(params)  # weight_of
                    used = limiter.charge(req.client_ip, weight, now)
                    seen = now if plan is None else now + plan.skew_ms  # the weight stays on the server's clock
                    security = route.security  # the account behind the request (None for public routes)
                    if security is Security.SIGNED:
                        account: Account | None = auth.authenticate_signed(
                            self.backend, req.headers.get("x-mbx-apikey"), params, req.query, body, seen)
                    elif security is Security.NONE:
                        account = None
                    else:  # USER_STREAM, MARKET_DATA: the API key alone
                        account = auth.identify(self.backend, req.headers.get("x-mbx-apikey"))[0]
                    call = Call(self.backend, params, account, req.origin, limiter.limit, seen, now)
                    if route.cacheable and account is not None:
                        answer = self._reused(req.path, route, call, account)
                    else:
                        answer = _json.encode(route.handler(call))
                    resp = Response(200, answer, used)
                except CommitFailed as exc:
                    _log.error("emulator could not save %s %s: %s", req.method, req.path, exc)
                    resp, used = _unknown_outcome(self, req.client_ip, now), None
                except Rejection as exc:
                    resp, used = Response.rejection(exc), None
                    resp.headers.setdefault("X-MBX-USED-WEIGHT-1M", str(limiter.used(req.client_ip, now)))
            if plan is None:
                delay_ms, spec = 0, None
            else:
                delay_ms, spec = plan.delay_ms, None
                if fault is not None:
                    ip = req.client_ip
                    resp, used = fault.answer(resp, ip, limiter.used(ip, now), now + plan.skew_ms), None
                    spec = fault.spec
            assert resp is not None  # a fault that does not let the request run answers itself
            status = resp.status
            self.log.record(
                now, req.client_ip, req.method, req.path,
                params.values if params is not None else self._readable_params(req), weight,
                used if used is not None else limiter.used(req.client_ip, now), status,
                None if status < 400 else _binance_code(resp), delay_ms + (perf_counter() - started) * 1000, spec)
            return resp
        except Exception:
            _log.exception("emulator failed on %s %s", req.method, req.path)
            return Response.rejection(UNKNOWN.reject())

    def _readable_params(self, req: RawRequest) -> dict[str, str]:
        """The parameters of a request the pipeline did not parse (not run, unknown path), if readable."""
        try:
            return Params(req.query, self.form_body(req)).values
        except Rejection:
            return {}

    @staticmethod
    def form_body(req: RawRequest) -> str:
        """The body as parameter text. Ignored: a JSON body (Binance reads query strings and form
        bodies) and any body of a GET ("For GET endpoints, parameters must be sent as a query
        string": a GET signed in its body misses its mandatory `timestamp`, -1102).
        https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info"""
        if not req.body or req.method == "GET" or "json" in req.headers.get("content-type", ""):
            return ""
        return req.body.decode("utf-8", "replace")

    def _reused(self, path: str, route: Route, call: Call, account: Account) -> bytes:
        """Run a cacheable route's handler for `account`, reusing its state-only answer while the
        backend's version stands."""
        values = call.params.values
        names = values.keys() - _PER_REQUEST  # most reads send none but these: no generator then
        args = "&".join(f"{k}={values[k]}" for k in sorted(names)) if names else ""
        key = (path, account.account_id, args)
        version = self.backend.version
        # A commit installs its state before it bumps the version: the account read after the version
        # is at least as new as that version, so an answer is never filed under a newer version than its state.
        call.account = self.backend.accounts.get(account.account_id, account)
        hit = self._answers.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        body = _json.encode(route.handler(call))
        if len(self._answers) > 4096:
            self._answers.clear()
        self._answers[key] = (version, body)
        return body

    def _not_found(self, req: RawRequest, now: int) -> Response:
        used = self.limiter.used(req.client_ip, now)
        return Response.rejection(NOT_FOUND.reject({"X-MBX-USED-WEIGHT-1M": str(used)}))


def _answers(job: Future[list[Response] | None]) -> list[Response] | None:
    """A batch's answers from its storage-thread job (None when it failed or was cancelled)."""
    return None if job.cancelled() or job.exception() is not None else job.result()


def _unknown_outcome(app: App, client_ip: str = "127.0.0.1", now: int | None = None) -> Response:
    """Binance's 503 for a request whose execution status is unknown (here: its save failed)."""
    resp = Response.rejection(UNKNOWN_OUTCOME.reject())
    resp.headers["X-MBX-USED-WEIGHT-1M"] = str(app.limiter.used(client_ip, now))
    return resp


def _binance_code(resp: Response) -> int | None:
    """The Binance error code of a failed answer (None for a body that is not Binance's)."""
    if not resp.body.startswith(b'{"code":'):
        return None
    try:
        code = msgspec.json.decode(resp.body).get("code")
    except (msgspec.DecodeError, AttributeError):
        return None
    return code if isinstance(code, int) else None


#: The status line of every status `HTTPStatus` names (an enum call per answer costs more than the rest).
_STATUS_LINES = {int(status): f"HTTP/1.1 {int(status)} {status.phrase}" for status in HTTPStatus}
#: (status, content type) -> the answer's first two lines, as bytes (a few content types only).
_STARTS: dict[tuple[int, str], bytes] = {}


def _start(status: int, content_type: str) -> bytes:
    """The status line and Content-Type header of an answer not in `_STARTS` yet (filed there: made once
    per status and content type)."""
    line = _STATUS_LINES.get(status)
    if line is None:
        try:
            line = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"
        except ValueError:
            line = f"HTTP/1.1 {status} Unknown"
    start = f"{line}\r\nContent-Type: {content_type}\r\n".encode("latin-1")
    if len(_STARTS) < 1024:
        _STARTS[(status, content_type)] = start
    return start


def _header_fields(headers: dict[str, str]) -> bytes:
    """An answer's header fields other than its used weight (`HttpProtocol._flush`)."""
    text = ""
    for name, value in headers.items():
        text += f"{name}: {value}\r\n"
    return text.encode("latin-1")


#: Header names as received -> lower-cased text: clients send the same few names on every request.
_HEADER_NAMES: dict[bytes, str] = {}


def _header_name(name: bytes) -> str:
    """A header name lower-cased (remembered: at most 1024 distinct names)."""
    key = name.decode("latin-1").lower()
    if len(_HEADER_NAMES) < 1024:
        _HEADER_NAMES[name] = key
    return key


#: Where a request runs (`App.runs`): on the loop, in a batch on the storage thread, in a batch that
#: may run on the loop, at once on the loop (in memory, or on a state file as its own journal frame,
#: when the lock is free), the admin API alone on the storage thread.
_LOOP, _STORED, _QUICK, _NOW, _JOURNALED, _ADMIN = range(6)

#: A request waiting for its batch: the request and its planned faults, the connection and the place
#: in its answers the answer goes to.
_Stored = tuple[RawRequest, "Plan | None", "HttpProtocol", "_Pending"]


class _Refused(Exception):
    """A request the front end refuses (a limit or malformed HTTP): answer `status`, then close."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Pending(msgspec.Struct):
    """A received request's place in the connection's answer order (a struct: made in C, once per
    request)."""

    keep_alive: bool
    head: bool
    response: Response | None = None
    #: Computed from changes not yet durable: sent once their batch is (`HttpProtocol.release`).
    held: bool = False
    #: Set when the answer is in, for a request that waits for this one (`HttpProtocol._previous`).
    answered: asyncio.Future[None] | None = None


class HttpProtocol(asyncio.BufferedProtocol):
    """One connection: httptools parsing, keep-alive, pipelined answers in request order, limits.

    The loop receives into ``buffer``, shared by the server's connections: the parser copies what it
    keeps before the loop reads again. (With ``data_received`` asyncio's loop allocates 256 KB per
    read, which glibc may serve with mmap and fresh pages every time.) Slotted: a connection has more
    attributes than CPython shares dict keys for (30), so each would otherwise carry a dict of its own.
    """

    __slots__ = ("_answers", "_body", "_body_size", "_continued", "_deadline", "_head_bytes", "_head_done",
                 "_headers", "_idle_timeout", "_in_message", "_last", "_loop", "_max_body", "_max_header_bytes",
                 "_max_headers", "_max_pipelined", "_max_request_line", "_on_deadline", "_paused", "_raw_headers",
                 "_seen_headers", "_seen_raw", "_stop_stream", "_tail", "_timer", "_timer_at", "_upgrade", "_url",
                 "_when_idle", "app", "buffer", "client_ip", "limits", "on_message_begin", "on_url", "origin",
                 "parser", "stream", "transport")

    def __init__(self, app: App, buffer: memoryview) -> None:
        self.app = app
        self.limits = app.limits
        self._max_header_bytes = app.limits.max_header_bytes
        self._max_headers = app.limits.max_headers
        self._max_body = app.limits.max_body
        self._max_request_line = app.limits.max_request_line
        self._max_pipelined = app.limits.max_pipelined
        self.buffer = buffer
        #: The request target as received; the parser extends it itself (no Python call per piece:
        #: httptools takes `on_url` once, when the parser is made), `on_message_complete` empties it.
        self._url = bytearray()
        self.on_url: Callable[[bytes], None] = self._url.extend
        #: A request began: set by the parser itself (a C call, no Python frame), cleared when it is
        #: complete or refused.
        self._in_message = False
        self.on_message_begin: Callable[[], None] = partial(setattr, self, "_in_message", True)
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client_ip = "127.0.0.1"
        self.origin = "http://127.0.0.1"
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._headers: dict[str, str] = {}
        #: The last header block made into text, and that text (`on_headers_complete`).
        self._seen_raw: list[tuple[bytes, bytes]] = []
        self._seen_headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._body_size = 0
        self._head_done = False  # the current request's head is complete (`on_headers_complete`)
        # Received while the current request's head is incomplete, counting the reads after the one
        # it began in (httptools buffers a partial header itself: this bounds it to the limit + one read).
        self._head_bytes = 0
        self._continued = False  # the current request began in an earlier read than the one parsed
        self._answers: deque[_Pending] = deque()
        #: The last request run off the loop: its task, or its place when it went straight into a batch.
        self._tail: asyncio.Future[Any] | _Pending | None = None
        #: The armed deadline (loop time) and what happens then; one lazy timer serves them (`_arm`).
        self._deadline: float | None = None
        self._when_idle: Callable[[], None] = self._idle
        self._on_deadline = self._when_idle
        self._idle_timeout = app.limits.idle_timeout
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._loop = asyncio.get_running_loop()  # made by the server's loop, for it
        self._last = False  # a request asked to close (or was refused): nothing after it is read
        self._paused = False
        self._upgrade: RawRequest | None = None
        self.stream: Session | None = None
        self._stop_stream: Callable[[], None] | None = None

    # -- connection --------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the peer and the address it reached; disable Nagle; refuse beyond the limit."""
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        if len(self.app.connections) >= self.limits.max_connections:
            self.transport.abort()
            return
        self.app.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        if peer:
            self.client_ip = str(peer[0])
        local = transport.get_extra_info("sockname")
        if local:
            host = str(local[0])
            self.origin = f"http://{'[' + host + ']' if ':' in host else host}:{local[1]}"
        self._arm(self.limits.idle_timeout, self._idle)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection: its timer, its waiting answers (requests under way still run), an
        upgraded connection's stream, or the server-sent events it was serving."""
        self.app.connections.discard(self)
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._answers.clear()
        if self.stream is not None:
            self.stream.lost()
        if self._stop_stream is not None:
            self._stop_stream()
            self._stop_stream = None

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        """Feed the parser (or the websocket, once upgraded); refuse malformed or oversized requests."""
        if self.stream is not None:
            self.stream.receive(bytes(self.buffer[:nbytes]))
            return
        if self._last:
            return
        if not self._in_message:
            self._deadline = None
        try:
            self.parser.feed_data(self.buffer[:nbytes])
        except httptools.HttpParserUpgrade as exc:
            self._upgraded(bytes(self.buffer[exc.args[0]:nbytes]))
            return
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _Refused):
                raise
            self._refuse(exc.__context__.status)
            return
        except httptools.HttpParserError:  # a limit already passed before the error is refused as such
            self._refuse(self._over_limit() or 400)
            return
        if not self._in_message:
            if self._deadline is None and not self._answers:
                self._arm(self.limits.idle_timeout, self._idle)
            return
        status = self._over_limit()
        if status:
            self._refuse(status)
            return
        if not self._head_done and self._continued:  # a head still incomplete after this read
            self._head_bytes += nbytes
            if self._head_bytes > self.limits.max_request_line + self.limits.max_header_bytes:
                self._refuse(431)
                return
        if not self._continued:  # the request that began in this read is incomplete
            self._continued = True
            self._head_bytes = 0
            self._arm(self.limits.request_timeout, self._too_slow)

    def _over_limit(self) -> int:
        """The refusal the request received so far has earned (0: none): 414 for a long request target,
        431 for too many header fields, or trailers that with the head are too many or too large. Checked
        at the end of a read that leaves a request incomplete, and when the parser fails (what was over
        a limit before the malformed byte is refused as such)."""
        if not self._head_done:
            if len(self._url) > self.limits.max_request_line:
                return 414
            if len(self._raw_headers) > self._max_headers:
                return 431
        elif self._raw_headers and self._over_limits([*self._seen_raw, *self._raw_headers]):  # trailers so far
            return 431
        return 0

    def _upgraded(self, rest: bytes) -> None:
        """A websocket upgrade on a stream path goes to the stream hub; any other upgrade (or CONNECT)
        was queued as plain HTTP (not 101) and is the connection's last answer."""
        req, self._upgrade = self._upgrade, None
        if self.transport is None:
            return
        if req is None or self.app.streams is None:
            self._stop_reading()
            self._flush()
            return
        self._disarm()
        self.stream = self.app.streams.open(self.transport, req, rest)

    def _refuse(self, status: int) -> None:
        """Answer a front-end refusal after the answers already owed, then close."""
        self._in_message = False
        self._answers.append(_Pending(False, False, Response.gateway_page(status)))
        self._stop_reading()
        self._flush()

    def _stop_reading(self) -> None:
        self._last = True
        if self._answers:
            self._answers[-1].keep_alive = False
        if self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()

    # -- timers ------------------------------------------------------------------------------------
    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        """Call `callback` in `seconds` unless re-armed or disarmed first. Lazy: the timer already
        scheduled is kept when it fires no later than the new deadline (it re-checks then), so
        re-arming per request costs no timer of its own in the steady state of a keep-alive connection."""
        loop = self._loop
        deadline = loop.time() + seconds
        self._deadline = deadline
        self._on_deadline = callback
        if self._timer is not None:
            if self._timer_at <= deadline:
                return
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = loop.call_at(deadline, self._expire)

    def _disarm(self) -> None:
        self._deadline = None

    def _expire(self) -> None:
        """The lazy timer fired: act on the deadline if it has passed, else wait for it."""
        self._timer = None
        deadline = self._deadline
        if deadline is None or self.transport is None:
            return
        loop = self._loop
        if loop.time() < deadline - _TIMER_SLACK:
            self._timer_at = deadline
            self._timer = loop.call_at(deadline, self._expire)
            return
        self._deadline = None
        self._on_deadline()

    def _idle(self) -> None:
        """No request under way for `idle_timeout`: close quietly, as front ends do."""
        if self.transport is not None:
            self.transport.close()

    def _too_slow(self) -> None:
        """A request still incomplete after `request_timeout`: 408, then close."""
        self._refuse(408)

    # -- httptools callbacks (and `on_url`, `on_message_begin`: see `__init__`) ------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        """Collect a header as received, or after a chunked body a trailer field: checked against the
        limits when the head (the message) is complete, or at the end of the read (`buffer_updated`)."""
        self._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        """The head is in: its headers as text (names lower-cased), or those of the connection's previous
        request when it sent the same ones (clients repeat them); 431 for a large header block (what a
        head that spans reads holds is bounded by `buffer_updated` meanwhile), 413 for a body announced
        too large, before it is read; 414 for a long request target (one that spans reads: `buffer_updated`)."""
        self._head_done = True
        if len(self._url) > self._max_request_line:
            raise _Refused(414)
        raw = self._raw_headers
        self._raw_headers = []  # the trailers' (`on_message_complete`)
        if raw == self._seen_raw:
            self._headers = self._seen_headers
            return
        if self._over_limits(raw):
            raise _Refused(431)
        headers = self._headers = {_HEADER_NAMES.get(name) or _header_name(name): value.decode("latin-1")
                                   for name, value in raw}
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._max_body:
            raise _Refused(413)
        self._seen_raw, self._seen_headers = raw, headers

    def _over_limits(self, fields: list[tuple[bytes, bytes]]) -> bool:
        """More header fields than `max_headers`, or more bytes than `max_header_bytes`."""
        return len(fields) > self._max_headers or sum([len(n) + len(v) for n, v in fields]) > self._max_header_bytes

    def on_body(self, body: bytes) -> None:
        """Collect body bytes (chunked bodies arrive decoded)."""
        self._body_size += len(body)
        if self._body_size > self._max_body:
            raise _Refused(413)
        self._body.append(body)

    def on_message_complete(self) -> None:
        """Queue the request's answer in request order, then run it: on the loop, or on the storage
        thread when it touches the store, after an injected latency if any."""
        self._in_message = self._continued = self._head_done = False
        self._deadline = None
        url = self._url
        path, _, query = url.decode("latin-1").partition("?")
        url.clear()
        if self._raw_headers:  # trailers: bounded with the head (431), then dropped (the request is
            # judged by its head; the block compared with the next request's stays the head alone)
            trailers, self._raw_headers = self._raw_headers, []
            if self._over_limits([*self._seen_raw, *trailers]):
                raise _Refused(431)
        body = self._body
        if body:
            self._body = []
            self._body_size = 0
        if self._last:
            return
        parser = self.parser
        method = parser.get_method().decode("ascii")
        head = method == "HEAD"
        if head:  # answered as its GET (faults, where it runs, the answer), without the body
            method = "GET"
        app = self.app
        hit = app.runs.get((method, path))  # None: not a Binance route
        route, run = (None, None) if hit is None else hit
        req = RawRequest(method, path, query, b"".join(body) if body else b"", self._headers,
                         self.client_ip, self.origin, route)
        if parser.should_upgrade() and app.streams is not None and app.streams.handles(path):
            self._upgrade = req  # httptools raises HttpParserUpgrade next (see buffer_updated)
            return
        pending = _Pending(parser.should_keep_alive(), head)
        answers = self._answers
        answers.append(pending)
        if not pending.keep_alive:
            self._stop_reading()
        elif len(answers) >= self._max_pipelined and self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()
        if run is None and path.startswith("/emulator/"):  # the emulator's own: no faults; the admin API
            plan, run = None, _LOOP if path.startswith("/emulator/streams") else _ADMIN  # off the loop, alone
        else:
            plan = app.faults.plan(method, path) if app.faults.installed else None
            if run is None:
                run = _LOOP
        previous = None if self._tail is None else self._previous()
        if previous is None and (plan is None or not plan.delay_ms):  # nothing to wait for (most requests)
            if run is _LOOP:
                self._answer_on_loop(pending, req, plan)
                return
            if run is _NOW and plan is None:
                lock = app.backend.lock
                if lock.acquire(False):  # else a batch holds it: join the next one
                    try:
                        pending.response = app.dispatch(req, None)
                    finally:
                        lock.release()
                    self._flush()
                    return
            elif run is _JOURNALED and plan is None and len(app.connections) < AT_ONCE_BELOW \
                    and app.change_at_once(req, pending):
                self._flush()
                return
            if run is not _ADMIN:  # straight into the next batch
                self._tail = pending
                app.run_stored(req, plan, run is not _STORED, self, pending)
                return
        delay = plan.delay_ms / 1000 if plan is not None else 0.0
        task = self._loop.create_task(self._run_later(previous, pending, req, plan, delay, run is not _LOOP,
                                                      run is _NOW or run is _QUICK or run is _JOURNALED))
        self._tail = task
        app.tasks.add(task)
        task.add_done_callback(app.tasks.discard)

    # -- answers -----------------------------------------------------------------------------------
    async def _run_later(self, previous: asyncio.Future[Any] | None, pending: _Pending, req: RawRequest,
                         plan: Plan | None, delay: float, stored: bool, on_loop: bool) -> None:
        """Run a request after the connection's previous one (requests on a connection take effect in
        order), after its injected latency, on the storage thread when it touches the store (`stored`;
        `on_loop`: see `App.runs`)."""
        if previous is not None:
            await asyncio.wait([previous])
        if delay:
            await asyncio.sleep(delay)
        if not stored:
            self._answer_on_loop(pending, req, plan)
            return
        if req.path.startswith("/emulator/"):  # the admin API: alone, outside any batch
            loop = asyncio.get_running_loop()
            pending.response = await loop.run_in_executor(self.app.storage, self.app.dispatch, req, plan)
            self._flush()
        else:
            waiter = pending.answered = self._loop.create_future()
            self.app.run_stored(req, plan, on_loop, self, pending)
            await waiter  # `App._finish_batch` flushes

    def _previous(self) -> asyncio.Future[Any] | None:
        """What the next request on this connection waits for: its previous request, while that one is
        still running off the loop (None when there is nothing to wait for)."""
        tail = self._tail
        if tail is None:
            return None
        if isinstance(tail, _Pending):  # run straight into a batch: a future only when someone waits
            if tail.response is not None:
                return None
            if tail.answered is None:
                tail.answered = asyncio.get_running_loop().create_future()
            return tail.answered
        return None if tail.done() else tail

    def _answer_on_loop(self, pending: _Pending, req: RawRequest, plan: Plan | None) -> None:
        """Answer on the loop; held while changes it may show are not yet durable."""
        pending.response = self.app.dispatch(req, plan)
        backend = self.app.backend
        if backend.applied != backend.durable:
            pending.held = True
            self.app.holding.add(self)
        self._flush()

    def release(self, durable: bool) -> None:
        """The batch the held answers waited for is durable (else failed: they become 503s); send them."""
        for pending in self._answers:
            if pending.held:
                pending.held = False
                if not durable:
                    pending.response = _unknown_outcome(self.app, self.client_ip)
        self._flush()

    def _flush(self) -> None:
        """Write the answers that are ready, in request order, each made in one bytes format (for a HEAD
        request without the body, its length still announced); close after the last one."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return  # the client gave up (its requests still ran, as a server's would)
        answers = self._answers
        while answers:
            pending = answers[0]
            resp = pending.response
            if resp is None or pending.held:
                break
            answers.popleft()
            start = _STARTS.get((resp.status, resp.content_type)) or _start(resp.status, resp.content_type)
            used = resp.used_weight
            fields = _header_fields(resp.headers) if resp.headers else b""
            body = b"" if pending.head else resp.body
            if resp.stream is not None:  # the connection now carries the stream until it closes
                if used is not None:
                    fields = b"X-MBX-USED-WEIGHT-1M: %d\r\n%s" % (used, fields)
                transport.write(b"%s%sConnection: close\r\n\r\n%s" % (start, fields, body))
                self._answers.clear()
                self._last = True  # what the client sends now is ignored, but read: its close is seen
                if self._paused:
                    self._paused = False
                    transport.resume_reading()
                self._disarm()
                self._stop_stream = resp.stream(_threadsafe_writer(transport))
                return
            keep_alive = pending.keep_alive
            close = b"" if keep_alive else b"Connection: close\r\n"
            if used is None:
                data = b"%sContent-Length: %d\r\n%s%s\r\n%s" % (start, len(resp.body), fields, close, body)
            else:  # one format for the head (most answers)
                data = b"%sContent-Length: %d\r\nX-MBX-USED-WEIGHT-1M: %d\r\n%s%s\r\n%s" % (
                    start, len(resp.body), used, fields, close, body)
            if resp.drop or resp.cut is not None:
                if resp.cut is not None:
                    transport.write(data[:len(data) - len(resp.body) + resp.cut])
                self._answers.clear()
                self._close(transport, resp.reset)
                return
            transport.write(data)
            if not keep_alive:
                self._answers.clear()
                transport.close()
                return
        if self._paused and not self._last and len(answers) < self.limits.max_pipelined:
            self._paused = False
            transport.resume_reading()
        if not answers and not self._in_message and not self._last:  # idle: the deadline moves (`_arm`, lazily)
            deadline = self._deadline = self._loop.time() + self._idle_timeout
            self._on_deadline = self._when_idle
            if self._timer is None or self._timer_at > deadline:
                self._arm(self._idle_timeout, self._when_idle)

    @staticmethod
    def _close(transport: asyncio.Transport, reset: bool) -> None:
        """Close after what was written; with `reset`, abort with a TCP RST (SO_LINGER 0) instead."""
        if reset:
            abort(transport)
        else:
            transport.close()


def _threadsafe_writer(transport: asyncio.Transport) -> Callable[[bytes], None]:
    """A writer for a streamed answer whose items may come from the storage thread: the bytes are
    written on the event loop, in order, while the connection is open."""
    loop = asyncio.get_running_loop()

    def write_now(data: bytes) -> None:
        if not transport.is_closing():
            transport.write(data)

    def write(data: bytes) -> None:
        loop.call_soon_threadsafe(write_now, data)

    return write


async def start_server(app: App, host: str, port: int) -> asyncio.Server:
    """Listen on host:port (0 = a free port)."""
    loop = asyncio.get_running_loop()
    buffer = memoryview(bytearray(_RECV_SIZE))
    return await loop.create_server(lambda: HttpProtocol(app, buffer), host, port, reuse_address=True, backlog=1024)
