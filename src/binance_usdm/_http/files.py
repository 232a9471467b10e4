"""Fetching a prepared history file: streamed to disk in chunks, never held in memory whole.

``FileFetcher`` (blocking, urllib) and ``AsyncFileFetcher`` (the same in a worker thread, so the
event loop never blocks) serve ``history.download`` of the blocking and the asyncio client; both
keep the client's proxy, TLS context and read timeout. The file's URL is on another origin (a
storage bucket), so nothing of the client's credentials is sent there.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from binance_usdm._wire.types import Timeouts
from binance_usdm.errors import DownloadError, RequestTimeout, TransportError
from binance_usdm.models.history import DownloadLink

from ._errors import connect_failed
from .protocol import default_ssl_context

if TYPE_CHECKING:
    import ssl

#: Where a fetched file goes: a path (written through ``<name>.part``) or a binary file object.
Destination = str | os.PathLike[str] | BinaryIO
ByteProgress = Callable[[int, int | None], None]

CHUNK_SIZE = 256 * 1024


class FileFetcher:
    """Streams one URL to a path or a binary file object (blocking)."""

    def __init__(self, proxy: str | None, ssl_context: ssl.SSLContext | None, timeouts: Timeouts) -> None:
        import urllib.request  # with http.client ~14 ms to import: only once a file is fetched

        proxies = None if proxy is None else ({"http": proxy, "https": proxy} if proxy else {})
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler(proxies),
            urllib.request.HTTPSHandler(context=ssl_context or default_ssl_context()),
        )
        self._timeout = timeouts.read

    def fetch(
        self,
        link: DownloadLink,
        destination: Destination,
        progress: ByteProgress | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Write the file of a ready ``link`` to ``destination`` in chunks; returns the byte count.
        A path is written through ``<name>.part`` and renamed once complete, never left half-written."""
        parts = urlsplit(link.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DownloadError(
                f"the link of download {link.download_id} is not an http(s) URL", download_id=link.download_id
            )
        if not isinstance(destination, str | os.PathLike):
            return self._stream(link, destination, progress, stop)
        path = Path(destination)
        partial = path.with_name(path.name + ".part")
        try:
            with partial.open("wb") as out:
                size = self._stream(link, out, progress, stop)
            partial.replace(path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        return size

    def _stream(
        self, link: DownloadLink, out: BinaryIO, progress: ByteProgress | None, stop: threading.Event | None
    ) -> int:
        import http.client
        import urllib.error
        import urllib.request

        host = urlsplit(link.url).netloc.rpartition("@")[2]  # never the query: it signs the link
        request = urllib.request.Request(link.url, headers={"Accept": "*/*"})  # noqa: S310 - scheme checked
        try:
            response = self._opener.open(request, timeout=self._timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DownloadError(
                f"file server {host} answered HTTP {exc.code} {exc.reason}", download_id=link.download_id
            ) from None
        except urllib.error.URLError as exc:
            reason = exc.reason if isinstance(exc.reason, BaseException) else OSError(str(exc.reason))
            if isinstance(reason, TimeoutError):
                raise RequestTimeout(f"connect to {host} timed out", request_sent=False) from None
            raise connect_failed(reason, host) from None
        except TimeoutError:
            raise RequestTimeout(f"connect to {host} timed out", request_sent=False) from None
        with response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            try:
                while chunk := response.read(CHUNK_SIZE):
                    if stop is not None and stop.is_set():
                        raise TransportError(f"download from {host} cancelled", request_sent=True)
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            except TimeoutError:
                raise RequestTimeout(
                    f"read from {host} timed out after {self._timeout} s", request_sent=True
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                raise TransportError(f"download from {host} failed: {exc!r}", request_sent=True) from None
        if total is not None and done != total:
            raise TransportError(
                f"download from {host} ended after {done} of {total} bytes", request_sent=True
            )
        return done


class AsyncFileFetcher:
    """``FileFetcher`` run in a worker thread; progress is reported on the event loop's thread."""

    def __init__(self, proxy: str | None, ssl_context: ssl.SSLContext | None, timeouts: Timeouts) -> None:
        self._fetcher = FileFetcher(proxy, ssl_context, timeouts)

    async def fetch(
        self, link: DownloadLink, destination: Destination, progress: ByteProgress | None = None
    ) -> int:
        """Write the file of a ready ``link`` to ``destination`` without blocking the loop;
        cancelling stops the transfer at the next chunk."""
        import asyncio  # here, not at the top: the blocking client never loads asyncio

        loop = asyncio.get_running_loop()
        stop = threading.Event()
        report: ByteProgress | None = None
        if progress is not None:
            callback = progress

            def report(done: int, total: int | None) -> None:
                loop.call_soon_threadsafe(callback, done, total)

        try:
            return await asyncio.to_thread(self._fetcher.fetch, link, destination, report, stop)
        except asyncio.CancelledError:
            stop.set()
            raise
