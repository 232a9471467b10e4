"""The URLs a client is configured with, parsed and checked: the API origin and an HTTP proxy.

Pure values (no sockets): the configuration checks them when a client is created, and the transport
connects to what they name. Messages never repeat a URL (it may carry credentials).
"""

from __future__ import annotations

import base64
import ipaddress
from typing import Final
from urllib.parse import unquote, urlsplit

import msgspec

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class Origin(msgspec.Struct, frozen=True):
    """The one origin a transport talks to."""

    scheme: str
    host: str
    port: int
    base_path: str

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def authority(self) -> str:
        """``host:port`` (IPv6 in brackets), as used in CONNECT and error messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        if self.host.lower() == "localhost" or self.host.lower().endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @classmethod
    def parse(cls, base_url: str) -> Origin:
        parts = urlsplit(base_url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"base_url must start with http:// or https://, got {scheme or 'no'} scheme")
        if not parts.hostname:
            raise ValueError("base_url has no host")
        if not parts.hostname.isascii() or not parts.path.isascii() or " " in parts.path:
            raise ValueError("base_url must be ASCII without spaces (IDNA-encode a host, percent-encode a path)")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("base_url must not carry credentials, a query or a fragment")
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError as exc:
            raise ValueError(f"base_url has an invalid port: {exc}") from None
        return cls(scheme, parts.hostname, port, parts.path.rstrip("/"))


class ProxyConfig(msgspec.Struct, frozen=True):
    """An ``http://`` proxy. ``authorization`` is the ready ``Basic ...`` value, or None."""

    host: str
    port: int
    authorization: str | None  # holds the proxy password (base64 is not hiding): never in ``repr``

    def __repr__(self) -> str:
        return f"ProxyConfig(host={self.host!r}, port={self.port!r})"

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @classmethod
    def parse(cls, url: str) -> ProxyConfig:
        if "://" not in url:
            url = "http://" + url
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme != "http":
            # Never echo the URL: it may carry a password.
            raise ValueError(f"unsupported proxy scheme {scheme!r}: only http:// proxies are supported")
        if not parts.hostname:
            raise ValueError("proxy URL has no host")
        try:
            port = parts.port or 80
        except ValueError:
            raise ValueError("proxy URL has an invalid port") from None
        auth = None
        if parts.username is not None:
            userpass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            auth = "Basic " + base64.b64encode(userpass.encode("utf-8")).decode("ascii")
        return cls(parts.hostname, port, auth)
