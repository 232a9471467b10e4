"""The package's layers, asserted on its real import graph (every import statement, read with ``ast``,
including imports inside functions and under ``TYPE_CHECKING``).

From the top down (docs/ARCHITECTURE.md draws the same picture); a module imports only from its own
layer or from layers below it, and no two modules import each other, directly or around a loop:

    cli                          the ``usdm`` command
    public face                  binance_usdm/__init__, streams, stream/, export
    clients                      _async (written once) and _sync (generated from it), never each other
    downloads                    history-download values and checks (uses _http.files); export formats
                                 and the income page writers (history.export_income writes with them)
    _http, httpx_transport       transports; of _wire only the contract (types) and the parsed URLs
    _wire                        the sans-I/O core: endpoints, policy, requests, responses, config, ...
    models, result, serialize    wire models, the call result, the one serialization of results
    errors, enums, _version      leaves (also closing: the context-manager protocol every layer uses)

The emulator is an independent oracle: it imports nothing of the client.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "binance_usdm"

# (layer, module prefixes); the first matching prefix wins, so longer ones come first
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("cli", ("binance_usdm.cli",)),
    ("public face", ("binance_usdm.streams", "binance_usdm.stream", "binance_usdm.export", "binance_usdm")),
    ("clients", ("binance_usdm._async", "binance_usdm._sync")),
    ("downloads", ("binance_usdm.downloads", "binance_usdm.export_formats", "binance_usdm.income_export",
                   "binance_usdm.arrow_columns")),
    ("_http", ("binance_usdm._http", "binance_usdm.httpx_transport")),
    ("_wire", ("binance_usdm._wire",)),
    ("models", ("binance_usdm.models", "binance_usdm.result", "binance_usdm.serialize")),
    ("leaves", ("binance_usdm.errors", "binance_usdm.enums", "binance_usdm._version", "binance_usdm._lazy",
                "binance_usdm.closing")),
]
RANK = {name: rank for rank, (name, _) in enumerate(reversed(LAYERS))}
# what _http may take from _wire: the transport contract and the parsed URLs, nothing of the client's logic
HTTP_FROM_WIRE = {"binance_usdm._wire.types", "binance_usdm._wire.urls"}
# what the CLI may not use: the client's private machinery (it uses the public names)
CLI_FORBIDDEN = ("binance_usdm._async", "binance_usdm._sync", "binance_usdm._http")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports (``from a import b`` counts as ``a.b`` when that
    is a module, else as ``a``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {target for target in found if target in known and target != name}


@cache
def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def layer_of(module: str) -> str | None:
    """The layer of a module: a prefix names a module and its submodules (the package itself,
    ``binance_usdm``, names only its ``__init__``)."""
    for layer, prefixes in LAYERS:
        for prefix in prefixes:
            if module == prefix or (prefix != "binance_usdm" and module.startswith(prefix + ".")):
                return layer
    return None


def client_modules(edges: dict[str, set[str]]) -> list[str]:
    return [name for name in edges if not name.startswith("binance_usdm.emulator")]


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "binance_usdm._wire.types" in edges["binance_usdm._http.protocol"]  # relative and absolute imports
    assert "binance_usdm._async.core" in edges["binance_usdm._async.account"]
    assert "binance_usdm.models" in edges["binance_usdm._wire.endpoints"]  # ``from binance_usdm import models``
    assert all(layer_of(name) is not None for name in client_modules(edges))
    assert layer_of("binance_usdm._wire.policy") == "_wire" and layer_of("binance_usdm") == "public face"


def cycles_in(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of a graph: its strongly connected components of more than one module
    (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_cycles_are_found() -> None:
    assert cycles_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles_in({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_client() -> None:
    """The client, its CLI and the public face."""
    full = graph()
    edges = {name: full[name] & set(client_modules(full)) for name in client_modules(full)}
    assert cycles_in(edges) == []


def test_no_import_cycle_between_sub_packages() -> None:
    """The same at the scale of the package's parts (``_sync``, ``_wire``, ``income_export``, ...):
    a module of one part importing a module of another counts as the part importing the other (a
    leaf module inside ``_sync`` imported by ``income_export`` while ``_sync.history`` imports
    ``income_export`` is a cycle of parts)."""
    full = graph()
    parts: dict[str, set[str]] = {}
    for name in client_modules(full):
        part = part_of(name)
        parts.setdefault(part, set()).update(
            part_of(target) for target in full[name] if not target.startswith("binance_usdm.emulator")
        )
    assert cycles_in({part: targets - {part} for part, targets in parts.items()}) == []


def part_of(module: str) -> str:
    """The top-level part of the package a module belongs to (``binance_usdm._sync.history`` ->
    ``binance_usdm._sync``)."""
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_in_the_emulator() -> None:
    """The emulator, imports under ``TYPE_CHECKING`` included (api.py and products.py imported each
    other for the handlers' ``Call``, which now has its own module)."""
    full = graph()
    emulator = {name for name in full if name.startswith("binance_usdm.emulator")}
    assert "binance_usdm.emulator.call" in full["binance_usdm.emulator.products"]
    assert cycles_in({name: full[name] & emulator for name in emulator}) == []


def test_imports_point_down_the_layers() -> None:
    edges = graph()
    upward = [
        f"{name} ({layer_of(name)}) -> {target} ({layer_of(target)})"
        for name in client_modules(edges)
        for target in sorted(edges[name])
        if not target.startswith("binance_usdm.emulator")
        and RANK[layer_of(target) or ""] > RANK[layer_of(name) or ""]
    ]
    assert upward == []


@pytest.mark.parametrize(("ours", "theirs"), [("binance_usdm._async", "binance_usdm._sync"),
                                              ("binance_usdm._sync", "binance_usdm._async")])
def test_the_twins_do_not_import_each_other(ours: str, theirs: str) -> None:
    edges = graph()
    crossing = [f"{n} -> {t}" for n in edges if n.startswith(ours) for t in edges[n] if t.startswith(theirs)]
    assert crossing == []


def test_http_takes_only_the_contract_from_wire() -> None:
    edges = graph()
    taken = {t for n in edges if layer_of(n) == "_http" for t in edges[n] if t.startswith("binance_usdm._wire")}
    assert taken <= HTTP_FROM_WIRE


def test_cli_uses_public_names_not_the_client_internals() -> None:
    edges = graph()
    private = [f"{n} -> {t}" for n in edges if n.startswith("binance_usdm.cli")
               for t in edges[n] if t.startswith(CLI_FORBIDDEN)]
    assert private == []


def test_the_emulator_imports_nothing_of_the_client() -> None:
    edges = graph()
    leaks = [f"{n} -> {t}" for n in edges if n.startswith("binance_usdm.emulator")
             for t in edges[n] if not t.startswith("binance_usdm.emulator")]
    assert leaks == []


def test_only_the_cli_and_the_emulator_itself_use_the_emulator() -> None:
    edges = graph()
    users = {n for n in client_modules(edges) for t in edges[n] if t.startswith("binance_usdm.emulator")}
    assert {layer_of(n) for n in users} <= {"cli"}
