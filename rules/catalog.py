"""Every rule module, imported so that its rules register (``rules.registry.RULES``), and the
check that runs them."""

from __future__ import annotations

from collections.abc import Iterable

from rules import (
    access_logs,
    capacity,
    cloudwatch,
    fargate,
    iam_actions,
    names,
    outposts,
    partition,
)
from rules.model import Finding, Stack
from rules.registry import RULES

__all__ = ["MODULES", "check"]

MODULES = (names, iam_actions, partition, access_logs, capacity, outposts, fargate, cloudwatch)


def check(stack: Stack, only: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of the registered rules (or of the rules ``only`` names) on ``stack``."""
    wanted = set(only) if only is not None else set(RULES)
    unknown = wanted - set(RULES)
    if unknown:
        raise KeyError(f"no such rule: {', '.join(sorted(unknown))}")
    return sorted(f for rule_id in sorted(wanted) for f in RULES[rule_id].findings(stack))
