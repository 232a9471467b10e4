"""The ``usdm`` command line (``binance_usdm.cli.script:main``); importing ``binance_usdm`` never loads it."""
