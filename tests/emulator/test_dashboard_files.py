"""The dashboard's files: served by the emulator itself, no build step, no request to another host."""

from __future__ import annotations

import re

from binance_usdm.emulator import EmulatorServer

from .conftest import Client


def test_the_page_and_its_files_are_served_without_third_party_urls(emu: EmulatorServer, client: Client) -> None:
    for path, ctype in (("/emulator/", "text/html"), ("/emulator/dashboard.css", "text/css"),
                        ("/emulator/dashboard.js", "text/javascript")):
        answer = client.raw("GET", path)
        assert answer.status == 200 and answer.headers["content-type"].startswith(ctype)
        text = answer.body.decode()
        # every URL the page loads is its own (absolute paths on this server, or data: URIs)
        urls = re.findall(r"""(?:src|href)=["']([^"']+)""", text) + re.findall(r"""url\(([^)]+)\)""", text)
        urls += re.findall(r"""(?:fetch|EventSource)\(\s*["'`]([^"'`]+)""", text)
        assert all(u.startswith(("/emulator/", "data:")) for u in urls), urls
        assert "http://" not in text and "https://" not in text
    assert client.raw("GET", "/emulator/missing.js").status == 404
    assert client.raw("GET", "/emulator").status == 404  # a Binance path: Binance's 404
