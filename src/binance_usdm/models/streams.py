"""User data stream listen keys."""

from binance_usdm.models._base import Model


class ListenKey(Model):
    """A listen key answer; PUT answers ``{}`` on older servers, hence the empty default."""

    listen_key: str = ""
