"""The package's layers, as producer/README.md lists them: each subpackage imports only the
layers below it (the library knows nothing of processes or HTTP), and the README's table
names every source file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCER = ROOT / "producer"

#: What each part of the package may import of the package, besides itself.
ALLOWED = {
    "logs": set(),
    "kinesis": set(),
    "process": {"kinesis", "logs"},
    "service": {"kinesis", "process", "logs"},
    "tools": {"kinesis"},
    "__init__": {"kinesis", "process"},
    "__main__": {"kinesis", "process", "service", "logs"},
}


def _part(path: Path) -> str:
    relative = path.relative_to(PRODUCER)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported_parts(path: Path) -> set[str]:
    """The parts of the package that ``path`` imports, however (relative or absolute, at the
    top or inside a function, under TYPE_CHECKING or not)."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    parts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                module = [*base, *(node.module.split(".") if node.module else [])]
            else:
                module = (node.module or "").split(".")
            names = [alias.name for alias in node.names]
            if module[0] != "producer":
                continue
            if len(module) == 1:
                parts.update(names)  # from producer import kinesis
            else:
                parts.add(module[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                module = alias.name.split(".")
                if module[0] == "producer" and len(module) > 1:
                    parts.add(module[1])
    return parts


def _sources() -> list[Path]:
    return sorted(p for p in PRODUCER.rglob("*.py") if "__pycache__" not in p.parts)


def test_each_layer_imports_only_the_layers_below_it() -> None:
    crossings = []
    for path in _sources():
        part = _part(path)
        for imported in _imported_parts(path) - {part} - ALLOWED[part]:
            crossings.append(f"{path.relative_to(ROOT)} imports producer.{imported}")
    assert not crossings, crossings


def test_the_import_reader_sees_relative_imports_across_layers() -> None:
    # The check above can fail: the front imports the library through "..kinesis".
    assert "kinesis" in _imported_parts(PRODUCER / "process" / "front.py")
    assert "process" in _imported_parts(PRODUCER / "service" / "app.py")


def test_the_readme_table_names_every_source_file() -> None:
    readme = (PRODUCER / "README.md").read_text()
    table = readme[readme.index("## Contents") : readme.index("## The producer library")]
    listed = set(re.findall(r"^\| `([\w/]+\.py)` \|", table, re.M))
    sources = {
        p.relative_to(PRODUCER).as_posix()
        for p in _sources()
        if p.name != "__init__.py" or p.parent == PRODUCER
    }
    assert listed == sources
