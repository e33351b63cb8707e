"""The README's variables tables match the configuration dataclasses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts.gen_variables_doc import README, render, type_name, updated_readme
from tests.conftest import ROOT


def test_variables_tables_are_current() -> None:
    current = README.read_text(encoding="utf-8")
    assert updated_readme(current) == current, "README.md is stale: run `make docs`"


def test_every_field_is_documented() -> None:
    rendered = render()
    for line in rendered.splitlines():
        if line.startswith("| `"):
            assert not line.rstrip().endswith("|  |"), f"field without a description: {line}"
    for name in ("`number_AZ`", "`port_listeners`", "`ecr_name`", "`kinesis_stream_name`"):
        assert name in rendered


def test_type_names() -> None:
    assert type_name(list[str]) == "list(string)"
    assert type_name(dict[str, str]) == "map(string)"
    assert type_name(int | None) == "number or null"


def test_check_mode_fails_on_a_stale_readme(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(README.read_text().replace("`number_AZ`", "`number_az`"))
    script = ROOT / "scripts" / "gen_variables_doc.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check", "--readme", str(stale)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "stale" in result.stderr


def test_the_e2e_docs_list_every_emulator_shim() -> None:
    import ast

    emulator = ast.get_docstring(ast.parse((ROOT / "tests/e2e/emulator.py").read_text()))
    assert emulator is not None
    shims = " ".join(emulator[emulator.index("- KMS:") :].split())
    docs = (ROOT / "docs" / "e2e.md").read_text(encoding="utf-8")
    listed = " ".join(docs[docs.index("- KMS:") :].split())
    assert listed == shims, "docs/e2e.md lists other shims than tests/e2e/emulator.py"
