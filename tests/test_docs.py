"""The generated docs: the README's variables and each module's inputs and outputs are current,
complete, and name what the constructs really expose."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modules import (
    alb_ecs_variables,
    docker_ecr_codebuild_variables,
    test_client_variables,
    vpc_variables,
)
from scripts.gen_docs import (
    AWS_RULES_DOC,
    BENCHMARKS_DOC,
    E2E_DOC,
    MODULE_DOCS,
    MODULES,
    begin,
    blocks,
    end,
    stale,
    type_name,
    updated,
    write,
)
from tests.conftest import ROOT


def _docs_tree(tmp_path: Path) -> Path:
    """A copy of the files the generator writes."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / MODULE_DOCS, tmp_path / MODULE_DOCS)
    shutil.copy(ROOT / BENCHMARKS_DOC, tmp_path / BENCHMARKS_DOC)
    shutil.copy(ROOT / AWS_RULES_DOC, tmp_path / AWS_RULES_DOC)
    shutil.copy(ROOT / E2E_DOC, tmp_path / E2E_DOC)
    return tmp_path


def test_generated_blocks_are_current() -> None:
    assert stale() == [], "generated docs are stale: run `make docs`"


def test_every_module_has_a_doc_with_its_sections() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = sorted(path.stem for path in (ROOT / MODULE_DOCS).glob("*.md"))
    assert documented == sorted(module.name for module in MODULES)
    for module in MODULES:
        text = (ROOT / module.doc).read_text(encoding="utf-8")
        headings = [line for line in text.splitlines() if line.startswith("## ")]
        assert headings[0] == "## Conditional creation", module.name
        assert headings[-2:] == ["## Inputs", "## Outputs"], module.name
        assert f"]({module.doc.as_posix()})" in readme, f"README.md links no {module.doc}"


def test_every_field_and_output_is_described() -> None:
    rendered = "\n".join(body for generated in blocks().values() for body in generated.values())
    for line in rendered.splitlines():
        if line.startswith("| `"):
            assert not line.rstrip().endswith("|  |"), f"row without a description: {line}"
    for name in ("`number_AZ`", "`port_listeners`", "`ecr_name`", "`kinesis_stream_name`"):
        assert name in rendered
    generated = blocks()
    for module in MODULES:
        outputs = importlib.import_module(module.variables).OUTPUTS
        assert generated[module.doc]["outputs"].count("\n| `") == len(outputs), module.name


def test_an_output_without_description_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(vpc_variables.OUTPUTS, "vpc_id", " ")
    with pytest.raises(ValueError, match="vpc_id"):
        blocks()


def test_type_names() -> None:
    assert type_name(list[str]) == "list(string)"
    assert type_name(dict[str, str]) == "map(string)"
    assert type_name(int | None) == "number or null"


@pytest.mark.parametrize(
    ("path", "block"),
    [(path, block) for path, generated in blocks().items() for block in generated],
    ids=lambda value: str(value),
)
def test_a_stale_block_is_found_and_rewritten(path: Path, block: str, tmp_path: Path) -> None:
    root = _docs_tree(tmp_path)
    text = (root / path).read_text(encoding="utf-8")
    head, rest = text.split(begin(block))
    body, tail = rest.split(end(block))
    (root / path).write_text(f"{head}{begin(block)}{body[:-40]}{end(block)}{tail}")
    assert stale(root) == [path]
    assert write(root) == [path]
    assert (root / path).read_text(encoding="utf-8") == text
    assert stale(root) == []


def test_check_mode_fails_on_a_stale_doc(tmp_path: Path) -> None:
    root = _docs_tree(tmp_path)
    doc = root / MODULE_DOCS / "alb-ecs.md"
    doc.write_text(doc.read_text().replace("| `ecs_cw_log_group` |", "| `ecs_log_group` |"))
    script = ROOT / "scripts" / "gen_docs.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "docs/modules/alb-ecs.md" in result.stderr and "stale" in result.stderr
    assert "README.md" not in result.stderr


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(ValueError, match="outputs:begin"):
        updated("# A doc without markers\n", {"outputs": "| name | description |"})


def test_the_stack_makes_each_module_output_a_terraform_output(
    deployment: dict[str, Any],
) -> None:
    """Every name in a module's OUTPUTS is an attribute of its construct: the sample deployment,
    which creates every one of them, has exactly those outputs per module."""
    from stack import ALB_ECS_OUTPUTS, IMAGE_OUTPUTS, VPC_OUTPUTS

    # The id the root deployment gives each of the sample's modules: (stack's, module's).
    modules = {
        "test-vpc": (VPC_OUTPUTS, vpc_variables.OUTPUTS),
        "ecs-docker-codebuild": (IMAGE_OUTPUTS, docker_ecr_codebuild_variables.OUTPUTS),
        "producer-outposts-ecs-alb": (ALB_ECS_OUTPUTS, alb_ecs_variables.OUTPUTS),
    }
    for module_id, (stack_outputs, outputs) in modules.items():
        assert list(stack_outputs) == list(outputs), module_id
        found = [name for name in deployment["output"] if name.startswith(f"{module_id}_")]
        assert sorted(found) == sorted(f"{module_id}_{name}" for name in outputs), module_id
        for name in found:
            assert deployment["output"][name]["value"] is not None, name


def test_the_test_client_outputs_are_its_attributes() -> None:
    from modules.test_client import TestClient, TestClientConfig
    from tests.support import synthesize

    config = TestClientConfig(
        name_prefix="outposts-AoD",
        vpc_id="vpc-0123456789abcdef0",
        subnets=["subnet-0123456789abcdef0"],
        ec2_iam_instance_profile="profile",
        alb_dns_name="alb.example.com",
    )
    client = synthesize(lambda stack: TestClient(stack, "test-client", config)).built
    declared = [
        name for name in TestClient.__annotations__ if not name.startswith("_") and name != "config"
    ]
    assert declared == list(test_client_variables.OUTPUTS)
    for name in test_client_variables.OUTPUTS:
        assert getattr(client, name), name


def test_the_e2e_docs_list_every_emulator_shim() -> None:
    import ast

    emulator = ast.get_docstring(ast.parse((ROOT / "tests/e2e/emulator.py").read_text()))
    assert emulator is not None
    shims = " ".join(emulator[emulator.index("- KMS:") :].split())
    docs = (ROOT / "docs" / "e2e.md").read_text(encoding="utf-8")
    # The list ends where the next section starts.
    listed = " ".join(docs[docs.index("- KMS:") :].split("\n## ")[0].split())
    assert listed == shims, "docs/e2e.md lists other shims than tests/e2e/emulator.py"
