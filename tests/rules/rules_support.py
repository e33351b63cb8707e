"""Minimal stack JSON for the rules tests: only the blocks a rule reads."""

from __future__ import annotations

from typing import Any

from rules import Finding, Stack, check


def stack_json(
    resources: dict[str, dict[str, dict[str, Any]]] | None = None,
    data: dict[str, dict[str, dict[str, Any]]] | None = None,
    region: str = "us-west-2",
) -> dict[str, Any]:
    """A synthesized-stack document with an AWS provider in ``region``."""
    return {
        "provider": {"aws": [{"region": region}]},
        "resource": resources or {},
        "data": data or {},
    }


def findings(document: dict[str, Any], rule_id: str) -> list[Finding]:
    """The findings of one rule on a stack document."""
    return check(Stack(document, "case"), only=[rule_id])


OUTPOST_ARN = "arn:aws:outposts:us-west-2:111122223333:outpost/op-0123456789abcdef0"
SUBNETS = {
    "outpost": {"outpost_arn": OUTPOST_ARN, "cidr_block": "10.0.1.0/24"},
    "regional": {"cidr_block": "10.0.2.0/24"},
}
