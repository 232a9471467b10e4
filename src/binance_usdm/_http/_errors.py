"""Error construction shared by both transports. Messages name the peer, never header values."""

from __future__ import annotations

import socket
import sys

from binance_usdm.errors import CertificateError, ConnectError, RequestTimeout, TransportError


def fmt_seconds(value: float) -> str:
    return f"{value:.1f}" if value >= 0.1 else f"{value:.3f}"


def connect_failed(exc: BaseException, authority: str, *, proxy: bool = False) -> ConnectError:
    """Map a connect-phase exception (socket, DNS, TLS) to ConnectError."""
    peer = f"proxy {authority}" if proxy else authority
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(f"connection to {peer} refused")
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"could not resolve host of {peer}: {exc.strerror or exc}")
    ssl = sys.modules.get("ssl")  # a TLS error needs ssl loaded: a plain-HTTP process never imports it
    if ssl is not None and isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or "verification failed"
        return CertificateError(f"TLS certificate of {peer} rejected: {reason}")
    if ssl is not None and isinstance(exc, ssl.SSLError):
        return ConnectError(f"TLS handshake with {peer} failed: {exc.reason or exc}")
    if isinstance(exc, OSError) and exc.strerror:
        return ConnectError(f"could not connect to {peer}: {exc.strerror}")
    return ConnectError(f"could not connect to {peer}: {exc}")


def connect_timeout(authority: str, seconds: float) -> RequestTimeout:
    message = f"connect to {authority} timed out after {fmt_seconds(seconds)} s"
    return RequestTimeout(message, request_sent=False)


def read_timeout(seconds: float) -> RequestTimeout:
    return RequestTimeout(f"read timed out after {fmt_seconds(seconds)} s", request_sent=True)


def total_timeout(seconds: float, *, request_sent: bool) -> RequestTimeout:
    phase = "waiting for the response" if request_sent else "before the request was sent"
    return RequestTimeout(
        f"request timed out after {fmt_seconds(seconds)} s (total deadline, {phase})",
        request_sent=request_sent,
    )


def pool_timeout(seconds: float, max_connections: int) -> RequestTimeout:
    return RequestTimeout(
        f"timed out after {fmt_seconds(seconds)} s waiting for a free connection (max_connections={max_connections})",
        request_sent=False,
    )


def closed_early(authority: str, *, partial: bool) -> TransportError:
    if partial:
        msg = f"connection to {authority} closed in the middle of the response"
    else:
        msg = f"connection to {authority} closed before any response (the request may have been received)"
    return TransportError(msg, request_sent=True)


def invalid_response(authority: str, exc: BaseException) -> TransportError:
    return TransportError(f"invalid HTTP response from {authority}: {exc}", request_sent=True)


def send_failed(authority: str, exc: OSError) -> TransportError:
    reason = exc.strerror or type(exc).__name__
    return TransportError(f"sending to {authority} failed: {reason}", request_sent=False)


def recv_failed(authority: str, exc: OSError) -> TransportError:
    reason = exc.strerror or type(exc).__name__
    return TransportError(f"connection to {authority} failed while reading: {reason}", request_sent=True)


def proxy_refused(authority: str, status: int) -> ConnectError:
    what = f"HTTP {status}" if status else "an invalid answer"
    hint = " (proxy authentication required or refused)" if status == 407 else ""
    return ConnectError(f"proxy {authority} refused CONNECT with {what}{hint}")
