"""IAM policy documents in a stack: the ``aws_iam_policy_document`` data sources' statements and
the inline JSON policies of resources (``policy``, ``assume_role_policy``), as one statement
shape, so that the rules read actions and principals the same way wherever they are written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rules.model import Block, Stack, interpolations

__all__ = ["POLICY_ATTRIBUTES", "Statement", "document_statements", "statements"]

POLICY_ATTRIBUTES = ("policy", "assume_role_policy")
"""Resource arguments that hold a policy document."""


@dataclass(frozen=True)
class Statement:
    """One policy statement, wherever it was written."""

    address: str
    """The data source or resource that holds it."""
    effect: str = "Allow"
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    principals: tuple[tuple[str, str], ...] = field(default=())
    """(type, identifier) pairs: ("AWS", "arn:aws:iam::...:root"), ("Service", "...")."""


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _from_data(block: Block) -> Iterator[Statement]:
    for raw in _list(block.get("statement")):
        if not isinstance(raw, dict):
            continue
        principals = tuple(
            (str(p.get("type", "")), str(identifier))
            for p in _list(raw.get("principals"))
            if isinstance(p, dict)
            for identifier in _list(p.get("identifiers"))
        )
        yield Statement(
            block.address,
            str(raw.get("effect", "Allow")),
            tuple(str(a) for a in _list(raw.get("actions"))),
            tuple(str(a) for a in _list(raw.get("not_actions"))),
            principals,
        )


def document_statements(address: str, document: Any) -> Iterator[Statement]:
    """The statements of an IAM JSON policy document (already parsed)."""
    if not isinstance(document, dict):
        return
    for raw in _list(document.get("Statement")):
        if not isinstance(raw, dict):
            continue
        principal = raw.get("Principal")
        pairs: list[tuple[str, str]] = []
        if isinstance(principal, dict):
            pairs = [(str(k), str(v)) for k, values in principal.items() for v in _list(values)]
        elif principal == "*":
            pairs = [("*", "*")]
        yield Statement(
            address,
            str(raw.get("Effect", "Allow")),
            tuple(str(a) for a in _list(raw.get("Action"))),
            tuple(str(a) for a in _list(raw.get("NotAction"))),
            tuple(pairs),
        )


_JSONENCODE = re.compile(r"^\$\{jsonencode\((.*)\)\}$", re.S)
_QUOTED = re.compile(r'("(?:[^"\\]|\\.)*")')
_BARE = re.compile(r"(?<![\w\"])(?!true\b|false\b|null\b)([A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])+)")


def _jsonencoded(value: str) -> Any:
    """The document of a ``${jsonencode(...)}`` value, bare references made strings; or None."""
    match = _JSONENCODE.match(value)
    if not match:
        return None
    parts = _QUOTED.split(match.group(1))
    for index in range(0, len(parts), 2):  # the text between quoted strings
        parts[index] = _BARE.sub(r'"\1"', parts[index].replace(" = ", ": "))
    try:
        return json.loads("".join(parts))
    except ValueError:
        return None  # an expression beyond a literal object: nothing to read


def inline_document(value: Any) -> Any:
    """The document a policy argument holds as JSON text or ``jsonencode``; None for a reference."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("{") and not interpolations(text):
        try:
            return json.loads(text)
        except ValueError:
            return None
    return _jsonencoded(text)


def statements(stack: Stack) -> Iterator[Statement]:
    """Every statement of every policy document in the stack."""
    for block in stack.data("aws_iam_policy_document"):
        yield from _from_data(block)
    for block in stack.blocks.values():
        if block.is_data:
            continue
        for attribute in POLICY_ATTRIBUTES:
            yield from document_statements(block.address, inline_document(block.get(attribute)))
