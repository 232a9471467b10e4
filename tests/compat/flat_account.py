"""The emulator's demo account made flat and all-cross: position mode and Multi-Assets mode changes
need it. Shared by the peer clients' compatibility runs (run_python_binance.py, test_ccxt_compat.py)."""

from __future__ import annotations

from binance_usdm.emulator import EmulatorServer


def flatten(emu: EmulatorServer) -> None:
    """Close every position and make every symbol cross."""
    acc = emu.backend.account()
    for p in list(acc.positions.values()):
        emu.backend.close_position(acc, p.symbol, p.side)
    for symbol, settings in acc.settings.items():
        if settings.isolated:
            emu.backend.change_margin_type(acc, symbol, False)
