"""The asynchronous client, written once; ``binance_usdm._sync`` is generated from it."""
