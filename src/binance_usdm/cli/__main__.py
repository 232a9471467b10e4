"""``python -m binance_usdm.cli``: the same as the ``usdm`` script."""

from binance_usdm.cli.script import main

if __name__ == "__main__":
    main()
