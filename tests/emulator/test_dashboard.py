"""The dashboard in a real browser: Chromium from the system packages driven by Playwright.

One browser for the module; each test opens a page on a freshly reset emulator and clicks through
it: an API call made by a client appears in the live request log; a fault added from the page makes
the next call fail; advancing the clock from the page expires a listen key (the stream receives
listenKeyExpired and the page shows it). Screenshots at 1280 px and at a phone's width are written
to build/screenshots/ (gitignored). `.ci/run` installs Chromium (`apt-get install -y chromium`); a
machine without it or without the `playwright` package skips this module, unless
USDM_REQUIRE_BROWSER=1 (set by `.ci/run`) makes that a failure.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from binance_usdm.emulator import Clock, EmulatorServer

from .conftest import Client, err, ok

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parents[2] / "build" / "screenshots"
#: 2026-11-02 00:00:01 UTC: no funding time within the next hours, so a moved clock charges nothing.
T0 = 1_793_577_601_000
#: How long a page and every `expect` wait (generous: the suite runs on 2 busy cores).
TIMEOUT_MS = 20_000

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, LocatorAssertions, Page


def expect(locator: Locator) -> LocatorAssertions:
    """Playwright's `expect`, imported where these tests run rather than at collection (every worker)."""
    from playwright.sync_api import expect as assertions

    return assertions(locator)


def _unavailable() -> str | None:
    if find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("USDM_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import expect as assertions
    from playwright.sync_api import sync_playwright

    assertions.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(clock=Clock(frozen_at_ms=T0)) as emu:
        yield emu


@pytest.fixture
def emu(server: EmulatorServer) -> EmulatorServer:
    server.reset()
    server.faults.clear()
    server.log.clear()
    server.streams.delivered.clear()
    return server


def open_page(browser: Browser, emu: EmulatorServer, **context: Any) -> tuple[Page, list[str]]:
    """The dashboard in a new page; the list collects every URL the page requests."""
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(emu.base_url + "/emulator/")
    expect(page.locator("article.account")).to_have_count(1)
    return page, requested


def only_own_requests(emu: EmulatorServer, requested: list[str]) -> None:
    assert requested
    assert all(url.startswith(emu.base_url + "/emulator/") or url.startswith("data:") for url in requested), requested


def test_a_client_call_appears_in_the_live_log(browser: Browser, emu: EmulatorServer, client: Client) -> None:
    page, requested = open_page(browser, emu, viewport={"width": 1280, "height": 900})
    expect(page.locator("#log-empty")).to_be_visible()
    ok(client.get("/fapi/v2/balance"))
    row = page.locator("#log-body tr[data-path='/fapi/v2/balance']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("GET /fapi/v2/balance")
    expect(row.locator("td").nth(1)).to_have_text("200")
    expect(row.locator("td").nth(3)).to_contain_text("5 /")  # the weight charged
    assert "signature" not in row.inner_text()
    # filter by status class: only the failed call remains
    err(client.get("/fapi/v1/commissionRate", symbol="NOPEUSDT"), -1121)
    page.select_option("#log-status", "4xx")
    expect(page.locator("#log-body tr")).to_have_count(1)
    expect(page.locator("#log-body tr")).to_contain_text("400 -1121")
    # filter by path (and the live stream keeps the filter)
    page.select_option("#log-status", "")
    page.fill("#log-path", "balance")
    expect(page.locator("#log-body tr")).to_have_count(1)
    ok(client.get("/fapi/v2/balance"))
    ok(client.get("/fapi/v2/account"))
    expect(page.locator("#log-body tr")).to_have_count(2)
    only_own_requests(emu, requested)
    page.context.close()


def test_a_fault_added_on_the_page_fails_the_next_call(browser: Browser, emu: EmulatorServer, client: Client) -> None:
    page, _ = open_page(browser, emu, viewport={"width": 1280, "height": 900})
    page.fill("#fault-spec", "GET /fapi/v2/account=status:503,count=1")
    page.click("#fault-add")
    listed = page.locator("#faults-list li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("GET /fapi/v2/account=status:503,count=1")
    assert client.get("/fapi/v2/account").status == 503
    ok(client.get("/fapi/v2/account"))  # count=1: only the next call
    expect(page.locator("#log-body tr[data-status='503']")).to_have_count(1)
    expect(page.locator("#log-body tr[data-status='503']")).to_contain_text("status:503")
    # a bad spec is refused with the emulator's reason; removing the fault from the page uninstalls it
    page.fill("#fault-spec", "GET /fapi/v2/account=explode")
    page.click("#fault-add")
    expect(page.locator("#status")).to_contain_text("Fault refused")
    page.click("#faults-list li button")
    expect(page.locator("#faults-list li")).to_have_count(0)
    assert emu.faults.listing() == []
    page.context.close()


def test_advancing_the_clock_on_the_page_expires_a_listen_key(
        browser: Browser, emu: EmulatorServer, client: Client) -> None:
    from websockets.sync.client import connect

    key = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
    messages: list[dict[str, Any]] = []
    with connect(f"{emu.ws_url}/ws/{key}") as ws:
        reader = threading.Thread(target=lambda: messages.extend(json.loads(m) for m in ws), daemon=True)
        reader.start()
        page, requested = open_page(browser, emu, viewport={"width": 1280, "height": 900})
        expect(page.locator(".listen-key")).to_contain_text("60 min left")
        ok(client.post("/fapi/v1/leverage", symbol="BTCUSDT", leverage=12))  # an event the stream delivers
        expect(page.locator("#events-list li[data-event='ACCOUNT_CONFIG_UPDATE']")).to_have_count(1)
        page.fill("#clock-advance-seconds", "3601")
        page.click("#clock-advance")
        expect(page.locator(".listen-key")).to_have_text("no listen key")
        expect(page.locator("#events-list li[data-event='listenKeyExpired']")).to_have_count(1)
        assert key not in page.locator("#events-list").inner_text()  # listen keys are masked
        reader.join(timeout=TIMEOUT_MS / 1000)
    assert [m["e"] for m in messages] == ["ACCOUNT_CONFIG_UPDATE", "listenKeyExpired"]
    err(client.call("PUT", "/fapi/v1/listenKey", {"listenKey": key}, signed=False), -1125)
    assert emu.clock.now_ms() == T0 + 3_601_000
    # freeze toggles from the page too
    expect(page.locator("#clock-state")).to_have_text("frozen")
    page.click("#clock-freeze")
    expect(page.locator("#clock-state")).to_have_text("running")
    assert not emu.clock.frozen
    emu.clock.freeze()
    only_own_requests(emu, requested)
    page.context.close()


def _screenshot_state(emu: EmulatorServer, client: Client) -> None:
    """Some of everything on the page: calls (one failed, one faulted), faults, stream events."""
    ok(client.get("/fapi/v2/balance"))
    ok(client.get("/fapi/v3/positionRisk"))
    err(client.get("/fapi/v1/commissionRate", symbol="NOPEUSDT"), -1121)
    ok(client.admin("/emulator/faults", {"fault": "GET /fapi/v1/adlQuantile=status:502,count=1"}))
    assert client.get("/fapi/v1/adlQuantile").status == 502
    ok(client.admin("/emulator/faults", {"fault": "POST /fapi/v1/positionMargin=drop_after,p=0.2"}))
    ok(client.post("/fapi/v1/leverage", symbol="SOLUSDT", leverage=6))
    ok(client.admin("/emulator/orders", {"records": [{"symbol": "BTCUSDT", "price": "80000"}]}))


@pytest.mark.parametrize(("name", "context"), [
    ("1280", {"viewport": {"width": 1280, "height": 1000}}),
    ("phone", {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
               "has_touch": True}),
])
def test_screenshots_and_layout(browser: Browser, emu: EmulatorServer, client: Client, name: str,
                                context: dict[str, Any]) -> None:
    from websockets.sync.client import connect

    key = ok(client.call("POST", "/fapi/v1/listenKey", signed=False))["listenKey"]
    with connect(f"{emu.ws_url}/ws/{key}") as ws:
        _screenshot_state(emu, client)
        assert json.loads(ws.recv(timeout=5))["e"] == "ACCOUNT_CONFIG_UPDATE"
        ok(client.admin("/emulator/balances", {"asset": "USDT", "balance": "26000"}))
        assert json.loads(ws.recv(timeout=5))["e"] == "ACCOUNT_UPDATE"
    page, requested = open_page(browser, emu, **context)
    expect(page.locator("#log-body tr")).to_have_count(6)
    expect(page.locator("#events-list li")).to_have_count(2)
    expect(page.locator("#faults-list li")).to_have_count(2)  # a spent count=1 fault stays listed
    width = context["viewport"]["width"]
    # nothing wider than the screen: wide tables scroll inside their card, not the page
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for control in ("#clock-advance", "#clock-freeze", "#fault-add", "#log-status", "#fault-spec"):
        box = page.locator(control).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, control
        assert box["height"] >= 30, control  # large enough to tap
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=True)
    only_own_requests(emu, requested)
    page.context.close()
