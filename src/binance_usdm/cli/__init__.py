"""The ``usdm`` command line (``binance_usdm.cli.main:main``); importing ``binance_usdm`` never loads it."""
