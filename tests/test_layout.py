"""The project's own modules import one another without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("modules", "producer", "scripts")
TOP_LEVEL = ("main", "stack", "stack_configs", "variables", "vars_file")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    paths = [ROOT / f"{name}.py" for name in TOP_LEVEL]
    for package in PACKAGES:
        paths += sorted((ROOT / package).rglob("*.py"))
    return {_module_name(path): path for path in paths}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every project module that ``name`` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if module in known and module != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as the modules along it), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state and (cycle := visit(imported)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_no_import_cycle() -> None:
    modules = _project_modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert graph["main"] >= {"vars_file"}  # the walk sees the project's imports
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_a_cycle_is_found() -> None:
    graph = {"main": {"stack"}, "stack": {"variables"}, "variables": {"main"}, "x": set()}
    assert find_cycle(graph) == ["main", "stack", "variables", "main"]
    assert find_cycle({"main": {"stack"}, "stack": set()}) is None
