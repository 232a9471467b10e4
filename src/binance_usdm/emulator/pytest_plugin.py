"""pytest fixtures: `usdm_emulator` (fresh per test) and `usdm_emulator_session` (one per session).

Registered as a `pytest11` entry point; the emulator is imported only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from . import EmulatorServer


@pytest.fixture
def usdm_emulator() -> Iterator[EmulatorServer]:
    """A fresh emulator (demo scenario) on a free port, stopped after the test."""
    from . import EmulatorServer

    with EmulatorServer() as emu:
        yield emu


@pytest.fixture(scope="session")
def usdm_emulator_session() -> Iterator[EmulatorServer]:
    """One emulator shared by the whole session (state persists between tests)."""
    from . import EmulatorServer

    with EmulatorServer() as emu:
        yield emu
