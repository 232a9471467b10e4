"""Suite-wide ordering: the modules whose tests take seconds each run first.

xdist hands tests to its workers in collection order as they become free, so a slow test collected
last (pytest collects `tests/test_*.py` after the directories) keeps one worker busy while the others
have nothing left to do. Run first, the slow tests overlap with the many short ones.
"""

from __future__ import annotations

import pytest

#: Modules whose tests take seconds each: benchmarks and other subprocesses, the browser, long
#: property runs. Listed slowest first; the order of tests within a module is kept.
SLOW_FIRST = (
    "tests/streams/test_live_account.py",
    "tests/test_benchmarks_smoke.py",
    "tests/test_bench_stream_smoke.py",
    "tests/test_bench_export_smoke.py",
    "tests/test_bench_emulator_baseline.py",
    "tests/emulator/test_group_commit.py",
    "tests/streams/test_stream_benchmarks.py",
    "tests/test_soak.py",
    "tests/emulator/test_dashboard.py",
    "tests/emulator/test_stream_clients.py",
    "tests/emulator/test_shutdown.py",
    "tests/resilience/test_fuzz.py",
    "tests/emulator/test_plugin_and_cli.py",
    "tests/emulator/test_persistence.py",
    "tests/emulator/test_atomic_changes.py",
    "tests/cli/test_scripts_and_files.py",
    "tests/resilience/test_fault_matrix.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = [path for path in SLOW_FIRST if not (config.rootpath / path).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py SLOW_FIRST names missing modules: {missing}")
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(SLOW_FIRST)))
