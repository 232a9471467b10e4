"""The declarative table of every endpoint the client calls: verb, path, weight, security, parser."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from functools import cache
from types import GenericAlias
from typing import Any, Generic, TypeVar

import msgspec

from binance_usdm import models as m
from binance_usdm._wire.income_rows import IncomeRow, decode_rows, row_of

R = TypeVar("R")


class Security(Enum):
    """Binance security types: what a request must carry."""

    NONE = "NONE"  # public
    USER_STREAM = "USER_STREAM"  # API key header only
    TRADE = "TRADE"  # API key + timestamp + signature
    USER_DATA = "USER_DATA"  # API key + timestamp + signature

    @property
    def signed(self) -> bool:
        return self is Security.TRADE or self is Security.USER_DATA


class Endpoint(Generic[R]):
    """One Binance endpoint and how to read its answer.

    ``parse`` reads an answer's body into the endpoint's result. ``make_parser`` builds it on the
    endpoint's first answer: a msgspec decoder costs ~0.1-1 ms to build, and a short program
    (``usdm account``) uses five endpoints of thirty. ``retry_safe``: resending after the request
    may have reached the server cannot change the outcome (reads, and settings that set an absolute
    value). ``already_applied`` lists Binance codes meaning "already in the requested state", which
    a retry of such a setting may meet. ``signed``: the request carries timestamp and signature
    (from ``security``).

    A plain class (the table is one module's constants, compared by identity): a dataclass costs
    about a millisecond to define, a start-up cost of every ``usdm`` command.
    """

    __slots__ = ("already_applied", "make_parser", "method", "name", "parse", "path", "retry_safe", "security",
                 "signed", "weight")

    def __init__(self, name: str, method: str, path: str, weight: int, security: Security,
                 make_parser: Callable[[], Callable[[bytes], R]], retry_safe: bool = True,
                 already_applied: frozenset[int] = frozenset()) -> None:
        self.name = name
        self.method = method
        self.path = path
        self.weight = weight
        self.security = security
        self.make_parser = make_parser
        self.retry_safe = retry_safe
        self.already_applied = already_applied
        self.signed = security.signed
        self.parse: Callable[[bytes], R] = self._parse_first

    def _parse_first(self, body: bytes) -> R:
        """``parse`` until the first answer: builds the parser and puts it in its place (a plain
        slot read per call from then on)."""
        parse = self.make_parser()
        self.parse = parse
        return parse(body)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def __repr__(self) -> str:
        return f"Endpoint({self.name}: {self.label}, weight {self.weight}, {self.security.value})"


Parser = Callable[[], Callable[[bytes], R]]
"""Builds an endpoint's parser (``Endpoint.make_parser``)."""


def _decoder(kind: Any) -> Parser[Any]:
    # lax: numbers and booleans Binance sometimes sends as strings ("tranId":"9689322392",
    # "isAutoAddMargin":"false") decode into the declared int / bool fields
    return lambda: msgspec.json.Decoder(kind, strict=False).decode


def _ready(parse: Callable[[bytes], R]) -> Parser[R]:
    """A parser that needs no building."""
    return lambda: parse


M = TypeVar("M", bound=m.Model)


def _one_or_many(kind: type[M]) -> Parser[list[M]]:
    """A parser for answers that are an array, or a single object when asked about one symbol
    (Binance does this for leverageBracket and adlQuantile)."""

    def make() -> Callable[[bytes], list[M]]:
        decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(GenericAlias(list, (kind,)) | kind, strict=False)

        def parse(body: bytes) -> list[M]:
            decoded = decoder.decode(body)
            return decoded if isinstance(decoded, list) else [decoded]

        return parse

    return make


@cache
def _income() -> msgspec.json.Decoder[list[m.IncomeRecord]]:
    return msgspec.json.Decoder(list[m.IncomeRecord], strict=False)


def _parse_income(body: bytes) -> list[m.IncomeRecord]:
    """Income records; a ``tradeId`` sent as a JSON number (as in Binance.Net's published sample)
    is read as the text it stands for. Only an answer that fails the fast path is looked at twice."""
    try:
        return _income().decode(body)
    except msgspec.ValidationError:
        rows = msgspec.json.decode(body)
        if not isinstance(rows, list):
            raise
        for row in rows:
            if isinstance(row, dict) and isinstance(row.get("tradeId"), int | float):
                row["tradeId"] = str(row["tradeId"])
        return msgspec.convert(rows, list[m.IncomeRecord], strict=False)


def _parse_income_rows(body: bytes) -> list[IncomeRow]:
    """Income records as export rows: one msgspec call for a page in Binance's usual form, else
    through ``_parse_income`` (same values either way)."""
    try:
        rows = decode_rows(body)
    except msgspec.ValidationError:
        rows = None
    return [row_of(record) for record in _parse_income(body)] if rows is None else rows


def _listen_key_parser() -> Callable[[bytes], str]:
    decode = msgspec.json.Decoder(m.ListenKey).decode
    return lambda body: decode(body).listen_key


def _parse_empty(body: bytes) -> None:
    msgspec.json.decode(body)  # must at least be JSON


def _ep(
    name: str,
    method: str,
    path: str,
    weight: int,
    security: Security,
    make_parser: Parser[R],
    *,
    retry_safe: bool = True,
    already_applied: frozenset[int] = frozenset(),
) -> Endpoint[R]:
    return Endpoint(name, method, path, weight, security, make_parser, retry_safe, already_applied)


T, U, S, N = Security.TRADE, Security.USER_DATA, Security.USER_STREAM, Security.NONE

_ack: Parser[m.Acknowledgement] = _decoder(m.Acknowledgement)
_download_id: Parser[m.DownloadId] = _decoder(m.DownloadId)
_download_link: Parser[m.DownloadLink] = _decoder(m.DownloadLink)
_balances: Parser[list[m.AccountBalance]] = _decoder(list[m.AccountBalance])

# --- account settings -------------------------------------------------------------------------
CHANGE_INITIAL_LEVERAGE = _ep(
    "change_initial_leverage", "POST", "/fapi/v1/leverage", 1, T, _decoder(m.LeverageChange)
)
CHANGE_MARGIN_TYPE = _ep(
    "change_margin_type", "POST", "/fapi/v1/marginType", 1, T, _ack, already_applied=frozenset({-4046})
)
MODIFY_POSITION_MODE = _ep(
    "modify_position_mode", "POST", "/fapi/v1/positionSide/dual", 1, T, _ack,
    already_applied=frozenset({-4059}),
)
SET_MULTI_ASSETS_MODE = _ep(
    "set_multi_assets_mode", "POST", "/fapi/v1/multiAssetsMargin", 1, T, _ack,
    already_applied=frozenset({-4171}),
)
MODIFY_POSITION_MARGIN = _ep(
    "modify_position_margin", "POST", "/fapi/v1/positionMargin", 1, T,
    _decoder(m.PositionMarginResult), retry_safe=False,
)
# --- account state ----------------------------------------------------------------------------
GET_ACCOUNT_INFO = _ep("get_account_info", "GET", "/fapi/v2/account", 5, U, _decoder(m.AccountInfo))
GET_ACCOUNT_INFO_V3 = _ep(
    "get_account_info_v3", "GET", "/fapi/v3/account", 5, U, _decoder(m.AccountInfoV3)
)
GET_BALANCES = _ep("get_balances", "GET", "/fapi/v2/balance", 5, U, _balances)
GET_BALANCES_V3 = _ep("get_balances_v3", "GET", "/fapi/v3/balance", 5, U, _balances)
GET_BRACKETS = _ep("get_brackets", "GET", "/fapi/v1/leverageBracket", 1, U, _one_or_many(m.SymbolBracket))
GET_MULTI_ASSETS_MODE = _ep(
    "get_multi_assets_mode", "GET", "/fapi/v1/multiAssetsMargin", 30, U, _decoder(m.MultiAssetsMode)
)
GET_POSITION_ADL_QUANTILE_ESTIMATION = _ep(
    "get_position_adl_quantile_estimation", "GET", "/fapi/v1/adlQuantile", 5, U, _one_or_many(m.AdlQuantileEstimation)
)
GET_POSITION_INFORMATION = _ep(
    "get_position_information", "GET", "/fapi/v2/positionRisk", 5, U, _decoder(list[m.PositionDetails])
)
GET_POSITION_INFORMATION_V3 = _ep(
    "get_position_information_v3", "GET", "/fapi/v3/positionRisk", 5, U, _decoder(list[m.PositionV3])
)
GET_POSITION_MODE = _ep(
    "get_position_mode", "GET", "/fapi/v1/positionSide/dual", 30, U, _decoder(m.PositionMode)
)
GET_TRADING_STATUS = _ep(
    "get_trading_status", "GET", "/fapi/v1/apiTradingStatus", 10, U, _decoder(m.TradingStatus)
)
GET_TRADING_STATUS_WEIGHT_ONE_SYMBOL = 1
GET_USER_COMMISSION_RATE = _ep(
    "get_user_commission_rate", "GET", "/fapi/v1/commissionRate", 20, U, _decoder(m.CommissionRate)
)
# --- history ----------------------------------------------------------------------------------
GET_INCOME_HISTORY = _ep(
    "get_income_history", "GET", "/fapi/v1/income", 30, U, _ready(_parse_income)
)
#: The same call read for export (``history.export_income``): rows holding the exported values.
GET_INCOME_ROWS = _ep("get_income_history", "GET", "/fapi/v1/income", 30, U, _ready(_parse_income_rows))
GET_MARGIN_CHANGE_HISTORY = _ep(
    "get_margin_change_history", "GET", "/fapi/v1/positionMargin/history", 1, T,
    _decoder(list[m.MarginChange]),
)
# Each download request spends one of a small monthly quota: never resent once it may have arrived.
GET_DOWNLOAD_ID_FOR_ORDER_HISTORY = _ep(
    "get_download_id_for_order_history", "GET", "/fapi/v1/order/asyn", 1000, U, _download_id,
    retry_safe=False,
)
GET_DOWNLOAD_ID_FOR_TRADE_HISTORY = _ep(
    "get_download_id_for_trade_history", "GET", "/fapi/v1/trade/asyn", 1000, U, _download_id,
    retry_safe=False,
)
GET_DOWNLOAD_ID_FOR_TRANSACTION_HISTORY = _ep(
    "get_download_id_for_transaction_history", "GET", "/fapi/v1/income/asyn", 1000, U, _download_id,
    retry_safe=False,
)
GET_DOWNLOAD_LINK_FOR_ORDER_HISTORY = _ep(
    "get_download_link_for_order_history", "GET", "/fapi/v1/order/asyn/id", 10, U, _download_link
)
GET_DOWNLOAD_LINK_FOR_TRADE_HISTORY = _ep(
    "get_download_link_for_trade_history", "GET", "/fapi/v1/trade/asyn/id", 10, U, _download_link
)
GET_DOWNLOAD_LINK_FOR_TRANSACTION_HISTORY = _ep(
    "get_download_link_for_transaction_history", "GET", "/fapi/v1/income/asyn/id", 10, U, _download_link
)
# --- user data stream -------------------------------------------------------------------------
START_USER_STREAM = _ep("start_user_stream", "POST", "/fapi/v1/listenKey", 1, S, _listen_key_parser)
KEEP_ALIVE_USER_STREAM = _ep("keep_alive_user_stream", "PUT", "/fapi/v1/listenKey", 1, S, _ready(_parse_empty))
STOP_USER_STREAM = _ep("stop_user_stream", "DELETE", "/fapi/v1/listenKey", 1, S, _ready(_parse_empty))
# --- public -----------------------------------------------------------------------------------
PING = _ep("ping", "GET", "/fapi/v1/ping", 1, N, _ready(_parse_empty))


def _parse_server_time(body: bytes) -> int:
    """``serverTime`` of ``{"serverTime": <integer ms>}``, read without a typed decoder: building one
    costs the first call of a process ~70-100 µs, and every client's first signed call reads the time."""
    answer = msgspec.json.decode(body)
    server_time = answer.get("serverTime") if type(answer) is dict else None
    if type(server_time) is not int:
        raise msgspec.ValidationError("expected an object with an integer `serverTime`")
    return server_time


SERVER_TIME = _ep("get_server_time", "GET", "/fapi/v1/time", 1, N, _ready(_parse_server_time))
