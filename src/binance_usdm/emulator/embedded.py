"""The emulator in a process: ``EmulatorServer`` on a background thread, ``serve`` in the foreground,
and the state file's opening and removal. Its names are the package's (``binance_usdm.emulator``)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import signal
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .accounts import Credential
from .admin import Admin
from .auth import load_public_key
from .backend import INCOME_RETENTION_MS, Backend
from .clock import Clock
from .demo_credentials import DEMO_API_KEY, DEMO_API_SECRET
from .faults import FaultSet
from .journal import held as journal_held
from .ratelimit import RateLimiter
from .reqlog import DEFAULT_CAPACITY, RequestLog
from .scenario import ScenarioError, load_scenario, read_scenario
from .server import App, HttpLimits, start_server
from .store import BUSY_TIMEOUT_S, JOURNAL_SUFFIX, Store
from .stream import StreamHub
from .stream_options import StreamOptions

FaultSpec = str | Mapping[str, Any]


class EmulatorServer:
    """The emulator on a background thread (a free port by default), usable as a context manager.

    `faults`: injected faults (syntax in `faults.py`), installed after the scenario's own `"faults"`;
    `emu.faults` changes them while serving; `fault_seed` makes their probabilities reproducible.
    `stream`: the user data stream's timing and limits (`StreamOptions`: the 24-hour cut, pings,
    the slow-consumer limit); `emu.streams` is the running `StreamHub`.
    `log_capacity`: how many answered requests the request log keeps. The dashboard is served at
    `emu.base_url + "/emulator/"`.
    `limits`: what one client can make the HTTP front end hold (`HttpLimits`: request line, headers,
    body, read and idle timeouts); `busy_timeout`: how long a change waits for a state file locked by
    another process before it fails (answered 503, nothing applied).
    `fsync`: with a `state_path`, every commit waits for the disk, so acknowledged changes survive a
    power loss too (by default they survive the process being killed, kill -9, but a power loss or an
    operating-system crash may lose the last ones; `store.py`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        scenario: str | Path | dict[str, Any] | None = None,
        state_path: str | Path | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        public_key_pem: str | None = None,
        clock: Clock | None = None,
        weight_limit: int = 2400,
        download_delay_ms: int = 3000,
        income_retention_ms: int = INCOME_RETENTION_MS,
        faults: Sequence[FaultSpec] = (),
        fault_seed: int | None = None,
        stream: StreamOptions | None = None,
        log_capacity: int = DEFAULT_CAPACITY,
        limits: HttpLimits | None = None,
        busy_timeout: float = BUSY_TIMEOUT_S,
        keep_demo_key: bool = True,
        reset: bool = False,
        fsync: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.clock = clock or Clock()
        #: With a key given: whether the first account keeps the keys it had (the demo's, in the demo scenario).
        self.keep_demo_key = keep_demo_key or not api_key
        self._scenario = scenario if isinstance(scenario, dict) else _read_scenario(scenario)
        self.backend = Backend(_open_store(state_path, reset, busy_timeout, fsync), self.clock,
                               download_delay_ms=download_delay_ms, income_retention_ms=income_retention_ms)
        self._credentials = (api_key, api_secret, public_key_pem)
        self.limiter = RateLimiter(self.clock, weight_limit)
        try:
            if not self.backend.seeded:
                _load(self.backend, self._scenario, scenario)
            self._add_credentials()
        except BaseException:
            self.backend.store.close()  # (a state file's journal lock released at once)
            raise
        #: The key clients use: the one given, else the scenario's first (the demo scenario's: the demo key).
        self.api_key, self.api_secret = (api_key, api_secret) if api_key else _first_key(self.backend)
        self._start_faults: list[FaultSpec] = [*self._scenario.get("faults", []), *faults]
        self.faults = FaultSet(fault_seed)
        self.faults.extend(self._start_faults)
        self.streams = StreamHub(self.backend, stream)
        #: The request log (`reqlog.py`): `emu.log.entries()`, also `GET /emulator/log` and the dashboard.
        self.log = RequestLog(log_capacity)
        self.app = App(self.backend, self.limiter, Admin(self.backend, self._seed, self.faults, self.log, self.streams),
                       self.faults, self.streams, self.log, limits)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    def _add_credentials(self) -> None:
        """Give the first account the credentials passed to the constructor (if any), besides its own keys
        with `keep_demo_key`, else instead of them (also in a state file seeded before); `StartupError` for
        a public key that is no PEM key, or an API key that belongs to another account of the scenario."""
        key, secret, pem = self._credentials
        if not key:
            return
        if pem is not None:
            try:
                load_public_key(pem)
            except ValueError as exc:
                raise StartupError(f"the public key given: {exc}") from None
        try:
            self.backend.add_credential(self.backend.account().account_id, Credential(key, secret, pem),
                                        only=not self.keep_demo_key)
        except ValueError as exc:
            raise StartupError(f"the API key given: {exc}") from None

    def _seed(self) -> None:
        """Admin reset: load the scenario again, re-add credentials, forget rate-limit state, and
        reinstall the starting faults."""
        load_scenario(self.backend, self._scenario)
        self._add_credentials()
        self.limiter.reset()
        self.faults.clear()
        self.faults.extend(self._start_faults)

    def reset(self) -> None:
        """What `POST /emulator/reset` does: forget all state, load the scenario again, reinstall the
        starting faults, forget rate-limit counters."""
        with self.backend.lock:
            self.backend.reset()
            self._seed()

    @property
    def base_url(self) -> str:
        """`http://host:port` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """`ws://host:port`, where the user data stream is served (`/ws/<listenKey>`, ...)."""
        return f"ws://{self.host}:{self.port}"

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind the port on ``loop`` and start the user data streams (shared by ``start`` and ``serve``)."""
        self._server = loop.run_until_complete(start_server(self.app, self.host, self.port))
        self.port = self._server.sockets[0].getsockname()[1]
        self.streams.start(loop, self.app.storage)

    def _close(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the stopped loop: close the streams, cut every connection, stop listening, close the loop."""
        if self._server is not None:

            async def stop_streams() -> None:  # the streams' close handshakes need a running loop
                self.streams.stop()

            loop.run_until_complete(stop_streams())
            self.app.close_connections()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            self._server = None
        loop.close()

    def serve(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve in the foreground on this thread until Ctrl-C or SIGTERM, then close the store;
        ``on_ready`` runs once the port is bound (the command line prints its banner there)."""
        loop = _new_loop()
        asyncio.set_event_loop(loop)
        try:
            self._open(loop)
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                loop.add_signal_handler(signal.SIGTERM, loop.stop)
            if on_ready is not None:  # once the loop runs, so a signal right after it is handled
                loop.call_soon(on_ready)
            with contextlib.suppress(KeyboardInterrupt):
                loop.run_forever()
        finally:
            self.backend.store.closing()
            self._close(loop)
            self.app.storage.shutdown(wait=False, cancel_futures=True)
            self.backend.store.close()

    def start(self) -> EmulatorServer:
        """Start serving on a background thread; returns once the port is bound."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = _new_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._open(loop)
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                self._close(loop)
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                self._close(loop)

        self._thread = threading.Thread(target=run, name="usdm-emulator", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        """Stop serving and close the store, within about 2 s whatever the server is doing: open
        connections are cut, and work on the store (a write waiting for a locked state file, a long
        bulk insert) is abandoned and rolled back."""
        self.backend.store.closing()
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=1.0)
            self._loop = None
            self._thread = None
        self.app.storage.shutdown(wait=False, cancel_futures=True)
        self.backend.store.close(timeout=0.5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _new_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop when uvloop is installed, else the default one."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def serve(host: str = "127.0.0.1", port: int = 8765, *, log_requests: bool = False, **kwargs: Any) -> None:
    """Run the emulator in the foreground until interrupted (``EmulatorServer(...).serve()``);
    `log_requests` prints every answered Binance request (a `reqlog.Entry` line) to stdout."""
    emu = EmulatorServer(host, port, **kwargs)
    if log_requests:
        emu.log.subscribe(lambda entry: print(entry.line(), flush=True))
    emu.serve()


class StartupError(Exception):
    """The emulator cannot start: a scenario or state file that cannot be used (the message names the
    file and what is wrong)."""


def _read_scenario(path: str | Path | None) -> dict[str, Any]:
    try:
        data: object = read_scenario(path)
    except OSError as exc:
        raise StartupError(f"scenario {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise StartupError(f"scenario {path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise StartupError(f"scenario {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise StartupError(f"scenario {path}: must be a JSON object with \"accounts\" (see scenario.py)")
    return data


def _load(backend: Backend, data: dict[str, Any], source: object) -> None:
    """Seed ``backend`` from a scenario; a scenario of the wrong shape is a ``StartupError``."""
    where = "the scenario" if source is None or isinstance(source, dict) else f"scenario {source}"
    try:
        load_scenario(backend, data)
    except ScenarioError as exc:
        raise StartupError(f"{where}: {exc}") from None
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        what = f"missing field {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        raise StartupError(f"{where} has the wrong shape ({what}; see the format in scenario.py)") from None


def _first_key(backend: Backend) -> tuple[str, str | None]:
    """The first API key of the accounts, in their order, and its HMAC secret (None with a public key);
    the demo key when no account has one (then no key works until one is added)."""
    for account in backend.accounts.values():
        for cred in account.credentials:
            return cred.api_key, cred.secret
    return DEMO_API_KEY, DEMO_API_SECRET


def remove_state(path: str | Path) -> bool:
    """Delete a state file (and its companion files: SQLite's, the account journal); True when there was one.
    Raises `OSError` (EBUSY, naming the journal) while an emulator writes the file: what it wrote next
    would go to files no longer there, and a new file would start beside them."""
    journal = f"{path}{JOURNAL_SUFFIX}"
    if journal_held(journal):
        raise OSError(errno.EBUSY, "in use by a running emulator (stop it first)", journal)
    removed = False
    for suffix in ("", "-wal", "-shm", "-journal", JOURNAL_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
            removed = True
    return removed


def _open_store(path: str | Path | None, reset: bool, busy_timeout: float, fsync: bool) -> Store:
    """The store at ``path`` (memory when None); ``reset`` discards the file's content first."""
    if path is None:
        return Store(None, busy_timeout)
    file = Path(path)  # (for either, SQLite says only "unable to open database file")
    if file.is_dir():
        raise StartupError(f"state file {path}: is a directory")
    if not file.parent.is_dir():
        raise StartupError(f"state file {path}: directory {file.parent} does not exist")
    try:
        if reset:
            remove_state(path)
        return Store(str(path), busy_timeout, fsync)
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise StartupError(f"state file {path}: not an SQLite database (reset starts it again)") from None
        raise StartupError(f"state file {path}: {exc}") from None
    except OSError as exc:  # its account journal (`store.JOURNAL_SUFFIX`), or a file reset cannot remove
        raise StartupError(f"state file {path}: {exc.filename}: {exc.strerror or exc}") from None
