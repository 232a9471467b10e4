# GENERATED from binance_usdm/_async/__init__.py by scripts/gen_sync.py: do not edit.
"""The blocking client, generated from ``binance_usdm._async`` by scripts/gen_sync.py."""
