"""Income pages decoded for export: one slim struct per record holding the values an export writes.

``GET /fapi/v1/income`` answers a JSON array of records
(https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-Income-History).
A page decodes into ``IncomeRow`` in one msgspec call: ``income`` stays the text Binance sent, which
is already the exported form when it is a plain decimal (``-0.37500000``); the income type stays its
wire name. A page that does not fit (a number sent as a JSON number or with an exponent, a ``tradeId``
sent as a number) goes through ``IncomeRecord`` instead and each row is made from the record under
``binance_usdm.serialize``'s rules, so every page gives the values ``export(iter_income(...))`` writes.
"""

from __future__ import annotations

import re

import msgspec

from binance_usdm import models as m
from binance_usdm.models._base import wire_name
from binance_usdm.serialize import decimal_text

#: Plain decimal text, the only form ``format(Decimal(text), "f")`` gives back unchanged.
PLAIN_DECIMAL = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"
#: A page's income texts joined by commas, each plain: one regex call checks a whole page.
_PLAIN_PAGE = re.compile(f"{PLAIN_DECIMAL}(?:,{PLAIN_DECIMAL})*")


class IncomeRow(msgspec.Struct, rename=wire_name, kw_only=True, gc=False):
    """One income record as exported: ``IncomeRecord``'s fields, in its order, with the income as
    exact decimal text and the type as Binance's name for it."""

    symbol: str = ""
    income_type: str
    income_str: str  # plain decimal text (``decode_rows`` checks)
    asset: str
    time_ms: int
    tran_id: int
    info: str = ""
    trade_id: str = ""


_decode = msgspec.json.Decoder(list[IncomeRow], strict=False).decode


def decode_rows(body: bytes) -> list[IncomeRow] | None:
    """A page's rows in one decoding call, or None for a page that needs ``row_of`` (an income that
    is not plain decimal text; a record that does not fit the row raises ``msgspec.ValidationError``)."""
    rows = _decode(body)
    if rows and _PLAIN_PAGE.fullmatch(",".join([row.income_str for row in rows])) is None:
        return None
    return rows


def row_of(record: m.IncomeRecord) -> IncomeRow:
    """The row of a record decoded the general way (its income written without exponent)."""
    return IncomeRow(
        symbol=record.symbol, income_type=str(record.income_type.value), income_str=decimal_text(record.income),
        asset=record.asset, time_ms=record.time_ms, tran_id=record.tran_id, info=record.info,
        trade_id=record.trade_id,
    )
