"""The stack model the rules read: a synthesized ``cdk.tf.json``, its blocks by Terraform
address, references between them and the Region its AWS provider deploys to.

Only JSON is read here: no provider binding and no cdktf import, so a stack is checked in well
under a second.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Block",
    "Finding",
    "Stack",
    "interpolations",
    "is_literal",
    "literal_length",
    "literal_parts",
    "strings",
]

# A whole value that is one reference: ``${aws_subnet.x.id}``, ``${data.aws_kms_key.k.arn}``.
_REFERENCE = re.compile(r"^\$\{((?:data\.)?[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_-]+)(?:\.[^}]*)?\}$")
# Any reference inside an expression.
_ANY_REFERENCE = re.compile(r"(?<![\w.-])((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)")


@dataclass(frozen=True, order=True)
class Finding:
    """One place where the configuration breaks a rule: the rule, the block and what is wrong."""

    rule: str
    address: str
    message: str


@dataclass(frozen=True)
class Block:
    """A resource or data source: its Terraform address, type and arguments."""

    address: str
    type: str
    name: str
    body: dict[str, Any] = field(repr=False)

    @property
    def is_data(self) -> bool:
        return self.address.startswith("data.")

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)


def _split(value: str) -> Iterator[tuple[bool, str]]:
    """``value`` cut into (is_interpolation, text) pieces; ``$${`` is a literal ``${``."""
    i, start, n = 0, 0, len(value)
    literal: list[str] = []
    while i < n:
        if value.startswith("$${", i):
            literal.append(value[start:i] + "${")
            i += 3
            start = i
        elif value.startswith("${", i):
            literal.append(value[start:i])
            if "".join(literal):
                yield False, "".join(literal)
            literal = []
            depth, j = 1, i + 2
            while j < n and depth:
                depth += {"{": 1, "}": -1}.get(value[j], 0)
                j += 1
            # An unbalanced expression runs to the end of the value: never an error here.
            yield True, value[i:j]
            i = start = j
        else:
            i += 1
    literal.append(value[start:])
    if "".join(literal):
        yield False, "".join(literal)


def literal_parts(value: str) -> list[str]:
    """The literal text of a string between its ``${...}`` interpolations."""
    return [text for interpolated, text in _split(value) if not interpolated]


def interpolations(value: str) -> list[str]:
    """The ``${...}`` expressions of a string."""
    return [text for interpolated, text in _split(value) if interpolated]


def is_literal(value: Any) -> bool:
    """A plain string that Terraform passes through unchanged."""
    return isinstance(value, str) and not interpolations(value)


def literal_length(value: str) -> int:
    """A lower bound of the length the string has once Terraform has evaluated it."""
    return sum(len(part) for part in literal_parts(value))


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value, metadata (``//``) left out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            if key != "//":
                yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)


class Stack:
    """A synthesized stack: its blocks by address, and the Region its AWS provider uses."""

    def __init__(self, document: dict[str, Any], name: str = "stack") -> None:
        self.name = name
        self.document = document
        self.blocks: dict[str, Block] = {}
        for kind, prefix in (("resource", ""), ("data", "data.")):
            for type_name, named in (document.get(kind) or {}).items():
                for block_name, body in (named or {}).items():
                    address = f"{prefix}{type_name}.{block_name}"
                    self.blocks[address] = Block(address, type_name, block_name, body or {})

    @classmethod
    def load(cls, path: Path) -> Stack:
        """A stack folder (holding ``cdk.tf.json``) or the JSON file itself."""
        file = path / "cdk.tf.json" if path.is_dir() else path
        name = file.parent.name if file.name == "cdk.tf.json" else file.stem
        return cls(json.loads(file.read_text(encoding="utf-8")), name)

    @property
    def region(self) -> str | None:
        """The Region of the default (alias-less) AWS provider, when it is a literal."""
        providers = (self.document.get("provider") or {}).get("aws") or []
        if isinstance(providers, dict):
            providers = [providers]
        for provider in providers:
            if not provider.get("alias") and is_literal(provider.get("region")):
                return str(provider["region"])
        return None

    def resources(self, type_name: str) -> list[Block]:
        return [b for b in self.blocks.values() if b.type == type_name and not b.is_data]

    def data(self, type_name: str) -> list[Block]:
        return [b for b in self.blocks.values() if b.type == type_name and b.is_data]

    def target(self, value: Any) -> Block | None:
        """The block a value refers to when the whole value is one reference, else ``None``."""
        if not isinstance(value, str):
            return None
        match = _REFERENCE.match(value)
        return self.blocks.get(match.group(1)) if match else None

    def references(self, value: Any) -> list[Block]:
        """Every block referred to anywhere inside a value, in order of first mention."""
        found: dict[str, Block] = {}
        for text in strings(value):
            for expression in interpolations(text):
                for address in _ANY_REFERENCE.findall(expression):
                    if address in self.blocks:
                        found.setdefault(address, self.blocks[address])
        return list(found.values())

    def referrers(self, block: Block, type_name: str) -> list[Block]:
        """The blocks of ``type_name`` whose arguments refer to ``block``."""
        return [
            b
            for b in self.blocks.values()
            if b.type == type_name
            and any(r.address == block.address for r in self.references(b.body))
        ]
