"""python-binance (`Client` and `AsyncClient`) against the emulator, unchanged but for its base URLs.

python-binance and binance-futures-connector both install a top-level `binance` package, so this
runs outside the test suite, in its own environment (see the emulator README)::

    python -m venv /tmp/compat-pb && /tmp/compat-pb/bin/pip install -e . python-binance
    /tmp/compat-pb/bin/python tests/compat/run_python_binance.py      # exit status 0: all passed

Each client is built with its default options (its constructor pings `/api/v3/ping`); only the
`API_URL`, `MARGIN_API_URL`, `FUTURES_URL` and `FUTURES_DATA_URL` class attributes change.
"""

from __future__ import annotations

import asyncio
import sys
import traceback
from collections.abc import Callable
from typing import Any

from binance import AsyncClient, Client
from binance.exceptions import BinanceAPIException
from flat_account import flatten  # tests/compat, the script's own folder

from binance_usdm.emulator import EmulatorServer

Check = Callable[[Any], None]
#: (method, keyword arguments, check of the answer)
STEPS: list[tuple[str, dict[str, Any], Check]] = []
failures: list[str] = []


def step(method: str, check: Check = lambda r: None, **kwargs: Any) -> None:
    STEPS.append((method, kwargs, check))


def expect(condition: bool, detail: Any) -> None:
    if not condition:
        raise AssertionError(detail)


step("futures_ping", lambda r: expect(r == {}, r))
step("futures_time", lambda r: expect(r["serverTime"] > 0, r))
step("futures_exchange_info", lambda r: expect(any(s["symbol"] == "BTCUSDT" for s in r["symbols"]), r))
step("futures_mark_price", lambda r: expect(r["markPrice"] == "95000.00000000", r), symbol="BTCUSDT")
step("futures_account", lambda r: expect(r["totalWalletBalance"] == "25000.00000000", r))
step("futures_account_balance", lambda r: expect({b["asset"] for b in r} >= {"USDT", "BNB"}, r))
step("futures_position_information", lambda r: expect({p["symbol"] for p in r} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}, r))
step("futures_position_information", lambda r: expect(r[0]["positionAmt"] == "0.150", r), symbol="BTCUSDT")
step("futures_change_leverage", lambda r: expect(r["leverage"] == 12, r), symbol="BTCUSDT", leverage=12)
step("futures_change_leverage", lambda r: expect(r["symbol"] == "币安人生USDT", r), symbol="币安人生USDT", leverage=7)
step("futures_change_margin_type", lambda r: expect(r["code"] == 200, r), symbol="BNBUSDT", marginType="ISOLATED")
step("futures_change_margin_type", lambda r: expect(r["code"] == 200, r), symbol="BNBUSDT", marginType="CROSSED")
step("futures_get_position_mode", lambda r: expect(r == {"dualSidePosition": False}, r))
step("futures_income_history", lambda r: expect(len(r) == 5, r), limit=5)
step("futures_income_history", lambda r: expect(all(x["incomeType"] == "FUNDING_FEE" for x in r), r),
     incomeType="FUNDING_FEE")
step("futures_leverage_bracket", lambda r: expect(r[0]["brackets"][0]["initialLeverage"] == 125, r), symbol="BTCUSDT")
step("futures_leverage_bracket", lambda r: expect(len(r) >= 8, r))
step("futures_adl_quantile_estimate", lambda r: expect({q["symbol"] for q in r} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}, r))
step("futures_commission_rate", lambda r: expect(r["takerCommissionRate"] == "0.0005", r), symbol="BTCUSDT")
step("futures_change_position_margin", lambda r: expect(r["code"] == 200, r), symbol="ETHUSDT", amount=10, type=1)
step("futures_change_position_margin", lambda r: expect(r["type"] == 2, r), symbol="ETHUSDT", amount=5, type=2)
step("futures_position_margin_history", lambda r: expect([x["amount"] for x in r][-2:] == ["10", "5"], r),
     symbol="ETHUSDT")
step("futures_get_multi_assets_mode", lambda r: expect(r == {"multiAssetsMargin": False}, r))
step("futures_api_trading_status", lambda r: expect(r["indicators"] == {}, r))
step("futures_account_config", lambda r: expect(r["dualSidePosition"] is False, r))
step("futures_symbol_config", lambda r: expect(r[0]["leverage"] == 12, r), symbol="BTCUSDT")
step("futures_stream_get_listen_key", lambda r: expect(isinstance(r, str) and len(r) == 64, r))
# Position and multi-assets mode need a flat, all-cross account: `flatten` runs before these.
step("flatten")
step("futures_change_position_mode", lambda r: expect(r["code"] == 200, r), dualSidePosition=True)
step("futures_get_position_mode", lambda r: expect(r == {"dualSidePosition": True}, r))
step("futures_change_position_mode", lambda r: expect(r["code"] == 200, r), dualSidePosition=False)
step("futures_change_multi_assets_mode", lambda r: expect(r["code"] == 200, r), multiAssetsMargin=True)
step("futures_get_multi_assets_mode", lambda r: expect(r == {"multiAssetsMargin": True}, r))
step("futures_change_multi_assets_mode", lambda r: expect(r["code"] == 200, r), multiAssetsMargin=False)


def urls(cls: type[Any], emu: EmulatorServer) -> type[Any]:
    """The client class with its REST base URLs on the emulator (nothing else changes)."""
    return type(cls.__name__, (cls,), {
        "API_URL": emu.base_url + "/api",
        "MARGIN_API_URL": emu.base_url + "/sapi",
        "FUTURES_URL": emu.base_url + "/fapi",
        "FUTURES_DATA_URL": emu.base_url + "/futures/data",
    })


def record(label: str, exc: BaseException | None) -> None:
    if exc is None:
        print(f"ok    {label}")
        return
    detail = f"{type(exc).__name__}: {exc}" if isinstance(exc, BinanceAPIException | AssertionError) else (
        traceback.format_exc())
    print(f"FAIL  {label}: {detail}")
    failures.append(label)


def run_sync() -> None:
    with EmulatorServer() as emu:
        client = urls(Client, emu)(emu.api_key, emu.api_secret)  # pings /api/v3/ping
        for method, kwargs, check in STEPS:
            label = f"Client.{method}({kwargs or ''})"
            try:
                if method == "flatten":
                    flatten(emu)
                    continue
                result = getattr(client, method)(**kwargs)
                check(result)
                if method == "futures_stream_get_listen_key":
                    expect(client.futures_stream_keepalive(result) == {"listenKey": result}, "keepalive")
                    expect(client.futures_stream_close(result) == {}, "close")
            except Exception as exc:
                record(label, exc)
            else:
                record(label, None)
        client.close_connection()


async def run_async() -> None:
    with EmulatorServer() as emu:
        client = await urls(AsyncClient, emu).create(emu.api_key, emu.api_secret)  # pings too
        try:
            for method, kwargs, check in STEPS:
                label = f"AsyncClient.{method}({kwargs or ''})"
                try:
                    if method == "flatten":
                        flatten(emu)
                        continue
                    result = await getattr(client, method)(**kwargs)
                    check(result)
                    if method == "futures_stream_get_listen_key":
                        expect(await client.futures_stream_keepalive(result) == {"listenKey": result}, "keepalive")
                        expect(await client.futures_stream_close(result) == {}, "close")
                except Exception as exc:
                    record(label, exc)
                else:
                    record(label, None)
        finally:
            await client.close_connection()


def main() -> int:
    run_sync()
    asyncio.run(run_async())
    total = 2 * sum(1 for s in STEPS if s[0] != "flatten")
    print(f"\n{total - len(failures)}/{total} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
