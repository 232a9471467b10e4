"""What an endpoint handler gets: the backend, the request's parameters, the authenticated account and
the request's context (base URL, weight limit, the server time it sees). The route table (`api.py`) and
the handlers outside it (`products.py`) share it from here.
"""

from __future__ import annotations

import msgspec

from .accounts import Account
from .backend import Backend
from .params import Params


class Call(msgspec.Struct, gc=False):
    """What a handler gets: the backend, parameters, the authenticated account, and context. (A struct:
    one is made per request, in C; a dataclass runs a Python `__init__`.)"""

    backend: Backend
    params: Params
    account: Account | None
    base_url: str
    weight_limit: int
    #: The server time this request sees (read once per request; an injected clock skew, `faults`,
    #: already applied).
    now: int
    #: The same clock reading without the skew: the time a leverage change records (`Backend.set_leverage`;
    #: other changes read the clock as they are made). A skew fault shifts what the request sees, not
    #: when its change happened.
    server_now: int

    def now_ms(self) -> int:
        """The server time this request sees."""
        return self.now

    @property
    def acc(self) -> Account:
        """The authenticated account (signed and USER_STREAM endpoints)."""
        assert self.account is not None
        return self.account

    def symbol(self, *, required: bool = False) -> str | None:
        """`symbol`, checked against the known symbols (-1121)."""
        s = self.params.text("symbol") if required else self.params.get("symbol")
        if s is not None:
            self.backend.symbol(s)
        return s
