"""Symbols beyond ASCII letters and digits: Binance lists USDⓈ-M symbols such as 币安人生USDT (since
October 2025) and quarterly contracts such as BTCUSDT_260327. They are sent percent-encoded (UTF-8)
and signed as sent; look-alike characters are refused before anything is sent."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from binance_usdm import AsyncBinanceRestClient, BinanceRestClient, ValidationError
from binance_usdm._wire import validate as check
from binance_usdm.emulator import EmulatorServer
from tests.client import samples
from tests.client.conftest import API_SECRET, Caller
from tests.scripted_server import Reply, ScriptedServer

WIDE = "币安人生USDT"
WIDE_SENT = "%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT"


@pytest.mark.parametrize(("given", "checked"), [
    ("BTCUSDT", "BTCUSDT"), (" btcusdt ", "BTCUSDT"), ("btcusdt_260327", "BTCUSDT_260327"),
    ("币安人生usdt", WIDE), (WIDE, WIDE),
])
def test_symbols_binance_lists_are_taken(given: str, checked: str) -> None:
    assert check.symbol(given) == checked


@pytest.mark.parametrize(("given", "problem"), [
    ("", "non-empty"), ("BTC/USDT", "only letters"), ("BTC-USDT", "only letters"), ("BTC USDT", "only letters"),
    ("\uff22\uff34\uff23USDT", "look-alike"),  # full-width letters: not BTCUSDT
    ("BTC\u00b2USDT", "look-alike"),  # a superscript digit
])
def test_other_symbols_are_refused_before_sending(given: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        check.symbol(given)


def _signed_as_sent(query: str) -> bool:
    payload, _, signature = query.rpartition("&signature=")
    return hmac.compare_digest(hmac.new(API_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest(), signature)


@pytest.mark.parametrize(("op", "args", "route", "reply", "sent"), [
    ("change_initial_leverage", (WIDE, 5), ("POST", "/fapi/v1/leverage"), samples.LEVERAGE,
     f"symbol={WIDE_SENT}&leverage=5&"),
    ("change_margin_type", (WIDE, "ISOLATED"), ("POST", "/fapi/v1/marginType"), samples.ACK,
     f"symbol={WIDE_SENT}&marginType=ISOLATED&"),
    ("get_user_commission_rate", (WIDE,), ("GET", "/fapi/v1/commissionRate"), samples.COMMISSION,
     f"symbol={WIDE_SENT}&"),
    ("get_income_history", (WIDE,), ("GET", "/fapi/v1/income"), samples.INCOME, f"symbol={WIDE_SENT}&"),
    ("get_margin_change_history", ("btcusdt_260327",), ("GET", "/fapi/v1/positionMargin/history"), b"[]",
     "symbol=BTCUSDT_260327&"),
])
def test_sent_percent_encoded_and_signed_as_sent(stub: ScriptedServer, call: Caller, op: str, args: tuple[Any, ...],
                                                 route: tuple[str, str], reply: bytes, sent: str) -> None:
    """Every transport (asyncio, blocking, httpx) sends the query the signature covers, unchanged."""
    stub.route(*route, Reply(body=reply))
    assert call(op, *args).success
    (request,) = stub.requests
    assert request.query.startswith(sent) and _signed_as_sent(request.query)


def test_the_emulator_takes_them_signed_as_sent(usdm_emulator: EmulatorServer) -> None:
    with BinanceRestClient(usdm_emulator.api_key, usdm_emulator.api_secret, base_url=usdm_emulator.base_url) as client:
        account = client.usd_futures_api.account
        changed = account.change_initial_leverage("币安人生usdt", 7).unwrap()
        assert (changed.symbol, changed.leverage) == (WIDE, 7)
        assert account.change_margin_type(WIDE, "ISOLATED").success
        assert account.get_brackets(WIDE).unwrap()[0].symbol == WIDE
        assert [p.symbol for p in account.get_position_information(WIDE).unwrap()] == [WIDE]
        assert account.get_income_history(WIDE).unwrap() == []


async def test_the_async_client_too(usdm_emulator: EmulatorServer) -> None:
    async with AsyncBinanceRestClient(usdm_emulator.api_key, usdm_emulator.api_secret,
                                      base_url=usdm_emulator.base_url) as client:
        rate = (await client.usd_futures_api.account.get_user_commission_rate(WIDE)).unwrap()
        assert rate.symbol == WIDE
