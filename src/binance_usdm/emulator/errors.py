"""Binance error answers: code, message and HTTP status, raised by the backend and the server.

Messages are Binance's own wording (USDⓈ-M error-code page); `%s` placeholders are filled here.
"""

from __future__ import annotations


class BinanceError(Exception):
    """An error answer `{"code": code, "msg": msg}` with its HTTP status."""

    def __init__(self, code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}


def mandatory(name: str) -> BinanceError:
    """-1102 MANDATORY_PARAM_EMPTY_OR_MALFORMED."""
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def illegal_chars(name: str, legal: str) -> BinanceError:
    """-1100 ILLEGAL_CHARS."""
    return BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.")


def invalid_param(name: str) -> BinanceError:
    """-1130 INVALID_PARAMETER (current documentation wording)."""
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


def duplicate_param() -> BinanceError:
    """-1101 TOO_MANY_PARAMETERS (duplicate variant)."""
    return BinanceError(-1101, "Duplicate values for a parameter detected.")


def bad_symbol() -> BinanceError:
    """-1121 BAD_SYMBOL."""
    return BinanceError(-1121, "Invalid symbol.")


def start_after_end() -> BinanceError:
    """-1023 START_TIME_GREATER_THAN_END_TIME."""
    return BinanceError(-1023, "Start time is greater than end time.")


def rule(code: int, msg: str) -> BinanceError:
    """A business-rule rejection (HTTP 400)."""
    return BinanceError(code, msg, 400)
