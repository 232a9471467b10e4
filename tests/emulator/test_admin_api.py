"""The admin API's route table: typed bodies, NaN / Infinity / out-of-range numbers refused with 400,
bounded bulk work, no body shape that reaches a 500, and documentation of every route."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from binance_usdm.emulator import EmulatorServer
from binance_usdm.emulator.admin import MAX_GENERATED_ROWS, ROUTES

from .conftest import Client, ok

README = Path(__file__).parents[2] / "src" / "binance_usdm" / "emulator" / "README.md"


def refused(answer: Any, field: str) -> None:
    assert answer.status == 400, (answer.status, answer.body)
    assert field in answer.body["error"], answer.body


@pytest.mark.parametrize("price", ["NaN", "nan", "Infinity", "-Infinity", "sNaN", "1e999", "0", "-5", 1e300, "1e-9"])
def test_mark_price_must_be_a_positive_finite_decimal(client: Client, price: Any) -> None:
    refused(client.admin("/emulator/mark-price", {"symbol": "BTCUSDT", "price": price}), "'price'")
    # the account reads keep working (a NaN mark used to turn every read into a 500)
    ok(client.get("/fapi/v2/account"))
    ok(client.get("/fapi/v3/positionRisk"))


@pytest.mark.parametrize("body", [{"advance": 1e308}, {"advance": -1e308}, {"set": -1}, {"set": 2**64},
                                  {"set": 2**63 - 1}, {"set": 0, "advance": -1}, {"freeze": True, "advance": 1e12},
                                  {"set": 1.5}, {"advance": "10"}, {"freeze": "yes"}])
def test_clock_numbers_are_range_checked(client: Client, body: dict[str, Any]) -> None:
    before = ok(client.admin("/emulator/state", method="GET"))
    assert client.admin("/emulator/clock", body).status == 400
    after = ok(client.admin("/emulator/state", method="GET"))
    assert abs(after["time"] - before["time"]) < 60_000 and after["frozen"] == before["frozen"]  # nothing applied


def test_non_finite_json_numbers_are_refused(emu: EmulatorServer, client: Client) -> None:
    # JSON has no NaN/Infinity literals; a body that uses them is not JSON
    answer = client.raw("POST", "/emulator/clock", "", '{"advance": NaN}', {"Content-Type": "application/json"})
    refused(answer, "JSON")
    answer = client.raw("POST", "/emulator/clock", "", '{"advance": Infinity}', {"Content-Type": "application/json"})
    assert answer.status == 400


def test_generate_is_bounded(client: Client) -> None:
    started = time.perf_counter()
    answer = client.admin("/emulator/generate", {"symbols": ["BTCUSDT"], "days": 1e9})
    refused(answer, "'days'")
    answer = client.admin("/emulator/generate", {"symbols": ["BTCUSDT", "ETHUSDT"], "days": 366, "interval": "1h",
                                                 "tradesPerInterval": 100})
    refused(answer, str(MAX_GENERATED_ROWS))
    assert time.perf_counter() - started < 5  # refused before any work
    assert ok(client.admin("/emulator/generate", {"symbols": ["BTCUSDT"], "days": 2}))["added"] > 0
    refused(client.admin("/emulator/generate", {"symbols": "BTCUSDT"}), "'symbols'")
    refused(client.admin("/emulator/generate", {"symbols": ["BTCUSDT"], "interval": "2h"}), "interval")


def test_typed_errors_name_the_field(client: Client) -> None:
    refused(client.admin("/emulator/balances", {"asset": "USDT"}), "'balance'")
    refused(client.admin("/emulator/balances", {"asset": "USDT", "balance": "1.123456789"}), "8 decimals")
    refused(client.admin("/emulator/positions", {"symbol": "BTCUSDT", "positionAmt": [], "entryPrice": "1"}),
            "'positionAmt'")
    refused(client.admin("/emulator/income", {"records": [{"incomeType": "GIFT", "income": "1"}]}), "incomeType")
    refused(client.admin("/emulator/income", {"records": [{"incomeType": "TRANSFER", "income": "Infinity"}]}),
            "'income'")
    refused(client.admin("/emulator/income", {"records": "all"}), "'records'")
    refused(client.admin("/emulator/margin-history", {"records": [{"symbol": "SOLUSDT", "type": 3, "amount": "1"}]}),
            "'type'")
    refused(client.admin("/emulator/positions/close", {"symbol": "XRPUSDT"}), "no BOTH position")
    refused(client.admin("/emulator/balances", {"asset": "USDT", "balance": "1", "account": "ghost"}), "ghost")
    refused(client.admin("/emulator/trading-status", {"indicators": [1]}), "'indicators'")
    assert client.admin("/emulator/faults/abc", method="DELETE").status == 404
    assert client.admin("/emulator/nothing").status == 404
    assert client.admin("/emulator/state").status == 404  # POST on a GET route
    answer = client.raw("POST", "/emulator/balances", "", "[1, 2]", {"Content-Type": "application/json"})
    refused(answer, "JSON object")
    # a Binance rule behind the admin API keeps Binance's answer
    answer = client.admin("/emulator/mark-price", {"symbol": "NOPEUSDT", "price": "1"})
    assert answer.status == 400 and answer.body["code"] == -1121


_JUNK: list[Any] = [None, True, "NaN", "Infinity", 1e308, -1, "", [], {}, "x" * 300, [{"a": 1}], 2**70]


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_no_body_shape_reaches_a_500(emu: EmulatorServer, client: Client, method: str, path: str) -> None:
    """Every admin route, every declared field, every junk value: an answer below 500."""
    route = ROUTES[(method, path)]
    if path.endswith("/stream") or path == "/emulator/reset":
        return
    names = list((route.body or {}).get("properties", {})) or ["x"]
    target = path.replace("{id}", "1")
    for name in names:
        for junk in _JUNK:
            answer = client.admin(target, {name: junk}, method=method) if method == "POST" else \
                client.raw(method, target, urlencode({name: junk}))
            assert answer.status < 500, (method, path, name, junk, answer.body)
    ok(client.get("/fapi/v2/account"))  # and the account still reads


def test_openapi_covers_the_admin_api(client: Client) -> None:
    doc = ok(client.admin("/emulator/openapi.json", method="GET"))
    for (method, path), route in ROUTES.items():
        op = doc["paths"][path][method.lower()]
        assert op["summary"] == route.summary and op["tags"] == ["emulator admin"]
        if route.body is not None:
            assert op["requestBody"]["content"]["application/json"]["schema"] == route.body
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_readme_documents_every_admin_route() -> None:
    text = README.read_text("utf-8")
    for method, path in ROUTES:
        assert f"{method} {path}" in text, f"README lacks {method} {path}"
    assert "curl" in text


def test_readme_scenario_example_loads() -> None:
    """The README's complete scenario example is a scenario the emulator loads."""
    text = README.read_text("utf-8")
    start = text.index("```json\n", text.index("## Scenario files")) + len("```json\n")
    scenario = json.loads(text[start:text.index("```", start)])
    with EmulatorServer(scenario=scenario) as emu:
        account = scenario["accounts"][0]
        client = Client(emu.base_url, account["apiKey"], emu.clock.now_ms, secret=account["apiSecret"])
        assert [o["orderId"] for o in ok(client.get("/fapi/v1/openOrders"))] == [101, 102]  # 102: ETHUSDT's placeholder
        assert ok(client.get("/fapi/v1/forceOrders"))[0]["orderId"] == 99
        assert ok(client.get("/fapi/v1/feeBurn")) == {"feeBurn": False}
        assert ok(client.get("/fapi/v1/openAlgoOrders"))
        assert ok(client.get("/fapi/v3/account"))["positions"]
        client.close()
