"""Consistent public signatures: per-call options are keyword-only (openai-python's convention), and
an operation's own parameters come first, in the same order across operations."""

from __future__ import annotations

import inspect

import pytest

from binance_usdm import AccountApi, AsyncAccountApi


def operations(api: type) -> list[tuple[str, inspect.Signature]]:
    return [(name, inspect.signature(member)) for name, member in vars(api).items()
            if callable(member) and not name.startswith("_")]


@pytest.mark.parametrize("api", [AccountApi, AsyncAccountApi])
def test_receive_window_is_keyword_only_everywhere(api: type) -> None:
    with_window = [(name, sig) for name, sig in operations(api) if "receive_window" in sig.parameters]
    assert len(with_window) == 25  # every signed operation takes it
    for name, sig in with_window:
        assert sig.parameters["receive_window"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert list(sig.parameters)[-1] == "receive_window", name


@pytest.mark.parametrize("api", [AccountApi, AsyncAccountApi])
def test_symbol_comes_first_where_an_operation_takes_one(api: type) -> None:
    for name, sig in operations(api):
        params = [p for p in sig.parameters if p != "self"]
        if "symbol" in params:
            assert params[0] == "symbol", name
    assert list(inspect.signature(api.get_trading_status).parameters)[1:] == ["symbol", "receive_window"]
