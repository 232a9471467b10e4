"""The ``usdm`` script's entry point (``[project.scripts]``): ``cli.main.main`` in a process of its own."""

from __future__ import annotations

from binance_usdm.cli.loading import loading, pause_collector_while_loading


def main() -> None:
    """Run ``usdm`` with the command line of this process, its code loaded without the garbage
    collector (``cli.loading``)."""
    pause_collector_while_loading()
    with loading():
        from binance_usdm.cli.main import main as usdm

    usdm()
