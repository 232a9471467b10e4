"""The proxy settings of the environment, read by the rules of ``urllib.request`` without importing it.

``urllib.request`` (with ``http.client`` and ``email``) costs ~15 ms to import, paid by every process
that creates a client although most never use a proxy. The rules, as in ``getproxies_environment``
and ``proxy_bypass_environment`` of Python 3.11+:

- ``<scheme>_proxy`` in any case, the lowercase name winning over the others; a lowercase variable
  set empty removes the scheme's proxy;
- in a CGI process (``REQUEST_METHOD`` set) a non-lowercase ``HTTP_PROXY`` is ignored, since a
  client's ``Proxy:`` header reaches it as that variable (CVE-2016-1000110);
- ``no_proxy``: ``*`` bypasses every host, else comma-separated names, each matching the host
  itself (with or without its port) and every subdomain, leading dots ignored.

macOS and Windows keep proxy settings in the system configuration as well: there, when no variable
is set, the lookup is ``urllib.request``'s own (which reads that configuration).
"""

from __future__ import annotations

import os
import sys

_SYSTEM_SETTINGS = sys.platform in ("darwin", "win32")
"""Whether the platform has proxy settings outside the environment (read by ``urllib.request``)."""


def environment_proxies() -> dict[str, str]:
    """Scheme (``http``, ``https``, ``all``, ``no`` ...) -> the variable's value."""
    proxies: dict[str, str] = {}
    lowercase: list[tuple[str, str]] = []
    for name, value in os.environ.items():
        if name[-6:].lower() != "_proxy":
            continue
        if value:
            proxies[name[:-6].lower()] = value
        if name[-6:] == "_proxy":
            lowercase.append((name[:-6].lower(), value))
    if "REQUEST_METHOD" in os.environ:
        proxies.pop("http", None)
    for scheme, value in lowercase:
        if value:
            proxies[scheme] = value
        else:
            proxies.pop(scheme, None)
    return proxies


def bypassed(host: str, no_proxy: str | None) -> bool:
    """Whether ``no_proxy`` says to reach ``host`` (a name or address, maybe ``:port``) directly."""
    if not no_proxy:
        return False
    if no_proxy == "*":
        return True
    host = host.lower()
    hostonly = _without_port(host)
    for entry in no_proxy.split(","):
        name = entry.strip().lstrip(".").lower()
        if name and (name in (hostonly, host) or hostonly.endswith("." + name) or host.endswith("." + name)):
            return True
    return False


def _without_port(host: str) -> str:
    """``host`` without a trailing ``:port`` (as ``urllib.parse._splitport``: digits or nothing after the colon)."""
    name, colon, port = host.rpartition(":")
    return name if colon and all(c in "0123456789" for c in port) else host


def proxy_for(scheme: str, host: str) -> tuple[str, str | None]:
    """The proxy for reaching ``host`` over ``scheme``: the variable's scheme (``scheme`` when its
    variable is set, else ``all``) and its URL, None for a direct connection."""
    proxies = environment_proxies()
    if not proxies and _SYSTEM_SETTINGS:  # pragma: no cover - macOS / Windows system configuration
        from urllib.request import getproxies, proxy_bypass

        proxies = getproxies()
        name = scheme if scheme in proxies else "all"
        return name, None if not proxies.get(name) or proxy_bypass(host) else proxies[name]
    name = scheme if scheme in proxies else "all"
    url = proxies.get(name)
    return name, None if not url or bypassed(host, proxies.get("no")) else url
