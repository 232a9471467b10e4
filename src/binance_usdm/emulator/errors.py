"""The catalogue of Binance error answers the emulator gives: code -> HTTP status -> message.

Every refusal anywhere in the emulator is one entry of this catalogue, raised as a `Rejection`
(`raise BAD_SYMBOL.reject()`, `raise INVALID_LEVERAGE.reject(leverage=7)`). Codes and messages are
Binance's own wording (USDⓈ-M error-code page,
https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code); `{name}`
placeholders are filled by `reject`. HTTP statuses follow Binance's "HTTP Return Codes"
(https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info): 4XX for the
sender's mistakes (401 for API-key problems), 408 for a backend timeout, 429/418 for rate limits,
5XX for Binance's side, where "the execution status is UNKNOWN".
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

_json = msgspec.json.Encoder()


class Rejection(Exception):
    """An error answer `{"code": code, "msg": msg}` with its HTTP status and extra headers."""

    def __init__(self, code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def body(self) -> bytes:
        """The JSON body Binance sends."""
        return _json.encode({"code": self.code, "msg": self.msg})


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One catalogue entry: Binance's code, the HTTP status it comes with, the message template."""

    code: int
    status: int
    message: str

    def reject(self, headers: dict[str, str] | None = None, **fields: object) -> Rejection:
        """The `Rejection` to raise, with the message's `{placeholders}` filled from `fields`."""
        return Rejection(self.code, self.message.format(**fields), self.status, headers)

    def body(self, **fields: object) -> bytes:
        """The JSON body of this answer (for answers built outside the request pipeline)."""
        return Rejection(self.code, self.message.format(**fields), self.status).body()


# -- 10xx: general server or network issues ------------------------------------------------------------
UNKNOWN = ErrorCode(-1000, 500, "An unknown error occured while processing the request.")
#: The 503 of Binance's general info: "Unknown error, please check your request or try again later."
#: -- the request may or may not have been executed.
UNKNOWN_OUTCOME = ErrorCode(-1000, 503, "Unknown error, please check your request or try again later.")
#: Binance documents the download quotas but not their error code; the emulator answers -1000.
DOWNLOAD_QUOTA = ErrorCode(-1000, 400, "Request limit of {quota} times per month reached for {kind} downloads.")
TOO_MANY_REQUESTS = ErrorCode(
    -1003, 429, "Too many requests; current limit of IP({ip}) is {limit} requests per minute. "
    "Please use the websocket for live updates to avoid polling the API.")
TOO_MANY_REQUESTS_FAULT = ErrorCode(
    -1003, 429, "Too many requests; current limit of IP({ip}) is exceeded (injected fault). "
    "Please use the websocket for live updates to avoid polling the API.")
IP_BANNED = ErrorCode(
    -1003, 418, "Way too many requests; IP({ip}) banned until {until}. "
    "Please use the websocket for live updates to avoid bans.")
TIMEOUT = ErrorCode(-1007, 408, "Timeout waiting for response from backend server. "
                               "Send status unknown; execution status unknown.")
TIMESTAMP_AHEAD = ErrorCode(-1021, 400, "Timestamp for this request was 1000ms ahead of the server's time.")
TIMESTAMP_OUTSIDE_WINDOW = ErrorCode(-1021, 400, "Timestamp for this request is outside of the recvWindow.")
INVALID_SIGNATURE = ErrorCode(-1022, 400, "Signature for this request is not valid.")
START_AFTER_END = ErrorCode(-1023, 400, "Start time is greater than end time.")
NOT_FOUND = ErrorCode(-1099, 404, "Not found, unauthenticated, or unauthorized")

# -- 11xx: request issues --------------------------------------------------------------------------------
ILLEGAL_CHARS = ErrorCode(-1100, 400, "Illegal characters found in parameter '{name}'; legal range is '{legal}'.")
DUPLICATE_PARAM = ErrorCode(-1101, 400, "Duplicate values for a parameter detected.")
MANDATORY_PARAM = ErrorCode(-1102, 400, "Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
MANDATORY_EITHER = ErrorCode(-1102, 400, "Param '{first}' or '{second}' must be sent, but both were empty/null!")
BAD_PRECISION = ErrorCode(-1111, 400, "Precision is over the maximum defined for this asset.")
BAD_SYMBOL = ErrorCode(-1121, 400, "Invalid symbol.")
NO_SUCH_LISTEN_KEY = ErrorCode(-1125, 400, "This listenKey does not exist.")
LOOKUP_INTERVAL_TOO_BIG = ErrorCode(-1127, 400, "Lookup interval is too big.")
BAD_COMBINATION = ErrorCode(-1128, 400, "Combination of optional parameters invalid.")
INVALID_PARAMETER = ErrorCode(-1130, 400, "Data sent for parameter '{name}' is not valid.")
BAD_RECV_WINDOW = ErrorCode(-1131, 400, "recvWindow must be less than 60000")

# -- 20xx: processing issues ---------------------------------------------------------------------------
BAD_API_KEY_FMT = ErrorCode(-2014, 401, "API-key format invalid.")
NO_SUCH_ORDER = ErrorCode(-2013, 400, "Order does not exist.")
REJECTED_MBX_KEY = ErrorCode(-2015, 401, "Invalid API-key, IP, or permissions for action.")
MIN_LEVERAGE_RATIO = ErrorCode(-2028, 400, "Leverage is smaller than permitted: insufficient margin balance.")

# -- 40xx-41xx: filters and account rules ----------------------------------------------------------------
INVALID_LEVERAGE = ErrorCode(-4028, 400, "Leverage {leverage} is not valid")
NO_NEED_TO_CHANGE_MARGIN_TYPE = ErrorCode(-4046, 400, "No need to change margin type.")
THERE_EXISTS_OPEN_ORDERS = ErrorCode(-4047, 400, "Margin type cannot be changed if there exists open orders.")
THERE_EXISTS_QUANTITY = ErrorCode(-4048, 400, "Margin type cannot be changed if there exists position.")
ADD_ISOLATED_MARGIN_REJECT = ErrorCode(-4049, 400, "Add margin only support for isolated position.")
CROSS_BALANCE_INSUFFICIENT = ErrorCode(-4050, 400, "Cross balance insufficient.")
ISOLATED_BALANCE_INSUFFICIENT = ErrorCode(-4051, 400, "Isolated balance insufficient.")
NO_POSITION_MARGIN = ErrorCode(-4054, 400, "Cannot add position margin: position is 0.")
AMOUNT_MUST_BE_POSITIVE = ErrorCode(-4055, 400, "Amount must be positive.")
NO_NEED_TO_CHANGE_POSITION_SIDE = ErrorCode(-4059, 400, "No need to change position side.")
INVALID_POSITION_SIDE = ErrorCode(-4060, 400, "Invalid position side.")
POSITION_SIDE_NOT_MATCH = ErrorCode(-4061, 400, "Order's position side does not match user's setting.")
POSITION_SIDE_CHANGE_EXISTS_OPEN_ORDERS = ErrorCode(
    -4067, 400, "Position side cannot be changed if there exists open orders.")
POSITION_SIDE_CHANGE_EXISTS_QUANTITY = ErrorCode(
    -4068, 400, "Position side cannot be changed if there exists position.")
ISOLATED_LEVERAGE_REJECT_WITH_POSITION = ErrorCode(
    -4161, 400, "Leverage reduction is not supported in Isolated Margin Mode with open positions")
INVALID_TIME_INTERVAL = ErrorCode(-4165, 400, "Maximum time interval is 30 days")
MULTI_ASSETS_WITH_ISOLATED = ErrorCode(
    -4167, 400, "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode.")
ISOLATED_UNDER_MULTI_ASSETS = ErrorCode(
    -4168, 400, "Unable to adjust to isolated-margin mode under the Multi-Assets mode.")
MULTI_ASSETS_INSUFFICIENT_MARGIN = ErrorCode(
    -4169, 400, "Unable to adjust Multi-Assets Mode with insufficient margin balance in USDⓈ-M Futures.")
MULTI_ASSETS_WITH_OPEN_ORDERS = ErrorCode(
    -4170, 400, "Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures.")
MULTI_ASSETS_NO_NEED_TO_CHANGE = ErrorCode(
    -4171, 400, "Adjusted asset mode is currently set and does not need to be adjusted repeatedly.")
MULTI_ASSETS_NEGATIVE_BALANCE = ErrorCode(
    -4172, 400, "Unable to adjust Multi-Assets Mode with a negative wallet balance of margin available asset "
    "in USDⓈ-M Futures account.")
