"""The emulator's fault injection itself: syntax, matching, count and probability, and the three
ways to configure it (command line, scenario file, admin API); and its OpenAPI document."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.__main__ import main as emulator_main
from binance_usdm.emulator.admin import ROUTES as ADMIN_ROUTES
from binance_usdm.emulator.api import ROUTES
from binance_usdm.emulator.faults import FaultError, FaultSet, Kind, parse_fault
from binance_usdm.emulator.scenario import read_scenario


def _http(emu: EmulatorServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(emu.host, emu.port, timeout=5)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(("spec", "expected"), [
    ("*=latency:250", ("*", "*", Kind.LATENCY, 250, None, 1.0, False)),
    ("POST /fapi/v1/positionMargin=drop_after,count=1", ("POST", "/fapi/v1/positionMargin", Kind.DROP_AFTER, "fin",
                                                         1, 1.0, True)),
    ("/fapi/v2/*=status:502,p=0.25", ("*", "/fapi/v2/*", Kind.STATUS, 502, None, 0.25, False)),
    ("get /fapi/v1/leverage=unknown,applied=true", ("GET", "/fapi/v1/leverage", Kind.UNKNOWN, None, None, 1.0, True)),
    ("*=truncated:close", ("*", "*", Kind.TRUNCATED, "close", None, 1.0, True)),
    ("*=skew:-1500", ("*", "*", Kind.SKEW, -1500, None, 1.0, False)),
    ("*=ban", ("*", "*", Kind.BAN, 120, None, 1.0, False)),
])
def test_syntax(spec: str, expected: tuple[Any, ...]) -> None:
    f = parse_fault(spec)
    assert (f["method"], f["path"], f["kind"], f["arg"], f["count"], f["probability"], f["applied"]) == expected
    fault = FaultSet().add(spec)
    assert parse_fault(fault.spec) == f  # the listing's spec round-trips


@pytest.mark.parametrize("spec", [
    "latency:5", "*=nope", "*=latency", "*=latency:x", "*=status:404", "*=drop_after:maybe",
    "*=drop_before,applied=true", "*=drop_after,applied=false", "*=malformed:3", "*=html,count=-1",
    "*=html,p=2", "*=html,colour=red", "fapi=html",
])
def test_bad_syntax(spec: str) -> None:
    with pytest.raises(FaultError):
        parse_fault(spec)


def test_object_form() -> None:
    f = parse_fault({"target": "POST /fapi/v1/leverage", "kind": "status", "arg": 502, "count": 2})
    assert (f["method"], f["kind"], f["arg"], f["count"]) == ("POST", Kind.STATUS, 502, 2)
    with pytest.raises(FaultError):
        parse_fault({"kind": "status", "colour": "red"})


def test_count_probability_and_precedence() -> None:
    faults = FaultSet(seed=7)
    once = faults.add("GET /fapi/v2/*=status,count=1")
    faults.add("*=html")
    delay = faults.add("*=latency:10")
    first, second = faults.plan("GET", "/fapi/v2/account"), faults.plan("GET", "/fapi/v2/account")
    assert first is not None and first.fault is once and first.delay_ms == 10
    assert second is not None and second.fault is not None and second.fault.kind is Kind.HTML
    assert (once.fired, once.remaining, delay.fired) == (1, 0, 2)
    faults.clear()
    half = faults.add("*=status,p=0.5")
    fired = sum(faults.plan("GET", "/x") is not None for _ in range(400))
    assert fired == half.fired and 150 < fired < 250
    assert FaultSet().plan("GET", "/x") is None


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    scenario = read_scenario()
    scenario["faults"] = ["GET /fapi/v1/time=status:503,count=1"]
    with EmulatorServer(scenario=scenario, faults=[{"target": "/fapi/v1/ping", "kind": "html"}]) as server:
        yield server


def test_scenario_constructor_and_admin_api(emu: EmulatorServer) -> None:
    status, body = _http(emu, "GET", "/emulator/faults")
    listed = json.loads(body)["faults"]
    assert status == 200 and [f["spec"] for f in listed] == [
        "GET /fapi/v1/time=status:503,count=1", "/fapi/v1/ping=html:502"]
    assert _http(emu, "GET", "/fapi/v1/time")[0] == 503
    assert _http(emu, "GET", "/fapi/v1/time")[0] == 200  # count=1 used up
    assert _http(emu, "GET", "/fapi/v1/ping")[0] == 502
    assert _http(emu, "GET", "/emulator/state")[0] == 200  # admin paths are never faulted

    status, body = _http(emu, "POST", "/emulator/faults", {"faults": ["GET /fapi/v1/exchangeInfo=rate_limit:7"]})
    added = json.loads(body)["added"][0]
    assert status == 200 and added["kind"] == "rate_limit" and added["arg"] == 7
    assert _http(emu, "POST", "/emulator/faults", {"fault": "GET /x=bad"})[0] == 400
    assert _http(emu, "DELETE", f"/emulator/faults/{added['id']}")[0] == 200
    assert _http(emu, "DELETE", f"/emulator/faults/{added['id']}")[0] == 404
    assert _http(emu, "POST", "/emulator/faults", {"target": "/fapi/v1/time", "kind": "timeout"})[0] == 200
    assert _http(emu, "GET", "/fapi/v1/time")[0] == 408
    assert json.loads(_http(emu, "DELETE", "/emulator/faults")[1]) == {"removed": 3}
    assert _http(emu, "GET", "/fapi/v1/ping")[0] == 200

    assert _http(emu, "POST", "/emulator/reset", {})[0] == 200  # back to the starting faults
    assert len(emu.faults.listing()) == 2 and _http(emu, "GET", "/fapi/v1/time")[0] == 503


def test_command_line_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:  # refused before serving: no second interpreter needed
        emulator_main(["--fault", "*=explode"])
    assert refused.value.code == 2 and "unknown fault kind" in capsys.readouterr().err
    proc = subprocess.Popen([sys.executable, "-m", "binance_usdm.emulator", "--port", "0", "--fault",
                             "GET /fapi/v1/ping=status:502,count=1", "--fault", "*=latency:1", "--fault-seed", "3"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        lines = [proc.stdout.readline() for _ in range(4)]
        assert any("fault 1: GET /fapi/v1/ping=status:502,count=1" in line for line in lines), lines
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/fapi/v1/ping")
        assert conn.getresponse().status == 502
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_openapi_document_covers_every_route(emu: EmulatorServer) -> None:
    status, body = _http(emu, "GET", "/emulator/openapi.json")
    doc = json.loads(body)
    assert status == 200 and doc["openapi"].startswith("3.")
    served = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert served == set(ROUTES) | set(ADMIN_ROUTES)  # the admin API is documented too
    leverage = doc["paths"]["/fapi/v1/leverage"]["post"]
    params = {p["name"]: p for p in leverage["parameters"]}
    assert params["leverage"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 125}
    assert params["signature"]["required"] and params["timestamp"]["required"] and not params["recvWindow"]["required"]
    assert leverage["security"] == [{"apiKey": []}] and "security" not in doc["paths"]["/fapi/v1/ping"]["get"]
    assert doc["components"]["securitySchemes"]["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-MBX-APIKEY"}
    assert "BTCUSDT" in doc["components"]["schemas"]["Symbol"]["enum"]
