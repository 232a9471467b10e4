"""Suite-wide scheduling: the modules whose tests take seconds each run first, and the modules that
need one worker stay on one.

xdist hands tests to its workers in collection order as they become free, so a slow test collected
last (pytest collects `tests/test_*.py` after the directories) keeps one worker busy while the others
have nothing left to do. Run first, the slow tests overlap with the many short ones.

`--dist loadgroup` (pyproject's addopts) is served by `ModuleGroups` below: xdist's own grouping by the
`xdist_group` mark renames each test's node id, which pytest 9.2 no longer lets a plugin do, so the
mark is silently ignored there (pytest-dev/pytest-xdist#1386). Here a group is a set of whole
modules, named in `ONE_WORKER`.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

#: Modules whose tests take seconds each: benchmarks and other subprocesses, the browser, long
#: property runs. Listed slowest first; the order of tests within a module is kept.
SLOW_FIRST = (
    "tests/resilience/test_fault_matrix.py",
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
    # mostly waiting (pool and read timeouts, retries): in the middle of the run, while the other
    # workers keep both cores busy, rather than last, with the cores idle
    "tests/test_http_transports.py",
    "tests/resilience/test_client_policies.py",
)

#: Modules whose tests all run on one worker, by group: the modules of a group share that worker.
ONE_WORKER = {
    # the browser starts once per run
    "tests/emulator/test_dashboard.py": "browser",
    # mostly waiting (timeouts, injected latencies): one worker, from the start, instead of every
    # worker waiting at once (two cores idle while the matrix ran)
    "tests/resilience/test_fault_matrix.py": "fault-matrix",
    # the last test checks the state of the emulator the fuzzing hit
    "tests/resilience/test_fuzz.py": "fuzz",
    # the import graph of every module is parsed once (a cached function)
    "tests/test_layers.py": "layers",
    # ccxt, python-binance and the connector are imported by one worker (ccxt alone ~0.7 s of CPU)
    "tests/emulator/test_ccxt_compat.py": "peers",
    "tests/emulator/test_connector.py": "peers",
    "tests/emulator/test_stream_clients.py": "peers",
}

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = [path for path in (*SLOW_FIRST, *ONE_WORKER) if not (config.rootpath / path).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py names missing modules: {missing}")
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(SLOW_FIRST)))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With `--dist loadgroup`: each test is its own unit of work, except the groups of `ONE_WORKER`."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return ONE_WORKER.get(nodeid.partition("::")[0], nodeid)

    return ModuleGroups(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Once the tests are collected, freeze what the process holds (the imported modules, the collected
    items): the collector's full passes, ~5-10 per worker and run, then walk only what the tests make.
    Objects made by the tests are collected as before."""
    gc.freeze()
