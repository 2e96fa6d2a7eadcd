"""Architecture boundaries that keep the core small (see docs/architecture.md, "Where things live").

Import facts are read from the source with `ast` (every import, also those inside functions), except the
textual check, which imports the core in a fresh interpreter and looks at what got loaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "emulator"
TOP_LEVEL_MODULES = {"__init__", "__main__", "errors", "signals", "values", "testing"}
MAX_LINES = 400


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(path: Path, *, module_level_only: bool = False) -> set[str]:
    """The emulator modules `path` imports (`from emulator.x import y` counts as emulator.x and emulator.x.y)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("emulator"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("emulator"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _package(module: str) -> str:
    """The package a module belongs to: emulator.<first part> (a top-level module is its own)."""
    return ".".join(module.split(".")[:2])


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_never_imports_textual() -> None:
    mods = _modules_after("import emulator.cli, emulator.runtime.worker, emulator.runtime.executor, "
                          "emulator.inspect.render_detail, emulator.cli.inspect")
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


def test_oplog_imports_neither_wasmtime_nor_textual() -> None:
    mods = _modules_after("import emulator.oplog.store, emulator.oplog.oplog, emulator.oplog.codec")
    assert "wasmtime" not in mods and "textual" not in mods


def test_inspection_is_free_of_wasmtime() -> None:
    names = " ,".join(n for n, _ in _modules() if n.startswith("emulator.inspect"))
    mods = _modules_after(f"import {names}")
    assert "wasmtime" not in mods


def test_only_the_package_roots_live_at_the_top_of_emulator() -> None:
    loose = {p.stem for p in ROOT.glob("*.py")} - TOP_LEVEL_MODULES
    assert not loose, f"move {sorted(loose)} into the package of their role"


def test_the_host_never_imports_the_runtime() -> None:
    offenders = {name: sorted(m for m in _imports(path) if m.startswith("emulator.runtime"))
                 for name, path in _modules() if name.startswith("emulator.host")}
    assert not {k: v for k, v in offenders.items() if v}


def test_no_import_cycle_between_packages() -> None:
    known = {name for name, _ in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in _modules():  # every import, deferred ones in functions too: a late import is still a cycle
        targets = {_package(m) for m in _imports(path) if m in known}
        graph.setdefault(_package(name), set()).update(targets - {_package(name)})
    cycles = []
    for start in graph:  # a path from a package back to itself is a cycle
        stack, seen = [(start, (start,))], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycles.append(" -> ".join((*path, nxt)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*path, nxt)))
    assert not cycles, cycles


@pytest.mark.parametrize("name,path", list(_modules()), ids=[n for n, _ in _modules()])
def test_no_module_over_400_lines(name: str, path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it along its roles"


def _called(node: ast.AST) -> str:
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else ""


def test_nothing_outside_the_store_asks_which_class_a_store_is() -> None:
    offenders = []
    for name, path in _modules():
        if name.startswith("emulator.oplog"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            if _called(node) == "isinstance" and len(node.args) > 1 and "Store" in ast.unparse(node.args[1]):
                offenders.append(f"{name}: {ast.unparse(node)}")
            if _called(node) in ("getattr", "hasattr") and "store" in ast.unparse(node.args[0]).lower():
                offenders.append(f"{name}: {ast.unparse(node)}")
    assert not offenders, offenders


# What each package may import, beyond the roots every package may use. Kept equal to the "may import" column
# of docs/architecture.md's table by the test below, so the documented layering is the enforced one.
ROOTS = {"emulator.errors", "emulator.signals", "emulator.values"}
MAY_IMPORT = {
    "oplog": set(), "replay": {"oplog"}, "lifecycle": {"oplog", "replay"},
    "host": {"oplog", "replay", "lifecycle", "inspect", "storage", "wave"},
    "runtime": {"oplog", "replay", "lifecycle", "host", "replication", "wave"},
    "inspect": {"oplog", "replay", "lifecycle"}, "replication": {"oplog"}, "storage": set(), "scaffold": set(),
    "wave": set(), "tui": {"inspect", "oplog"}, "server": {"runtime", "inspect", "lifecycle", "oplog", "wave"},
}


def test_every_package_imports_only_what_the_architecture_page_allows() -> None:
    known = {name for name, _ in _modules()}
    extra: dict[str, set[str]] = {}
    for name, path in _modules():
        package = _package(name).removeprefix("emulator.")
        if package not in MAY_IMPORT:
            continue  # chaos, cli, testing, __main__: the top of the graph, checked by the cycle test
        allowed = {f"emulator.{p}" for p in MAY_IMPORT[package] | {package}} | ROOTS | {"emulator"}
        found = {_package(m) for m in _imports(path) if m in known} - allowed
        if found:
            extra.setdefault(name, set()).update(found)
    assert not extra, extra


def test_the_architecture_page_says_what_each_package_may_import() -> None:
    rows = [line for line in (ROOT.parent / "docs" / "architecture.md").read_text().splitlines()
            if line.startswith("| `") and line.split(" | ")[0].endswith("/`")]
    order = [row.split("`")[1].rstrip("/") for row in rows]
    for package, allowed in MAY_IMPORT.items():
        row = rows[order.index(package)]
        column = row.rstrip(" |").rsplit(" | ", 1)[1]
        named = {word.strip().split(" ")[0].strip("`") for word in column.replace(";", ",").split(",")}
        if "everything above" in column:
            named |= set(order[:order.index(package)])
        for dependency in allowed:
            assert dependency in named, (package, dependency, column)
