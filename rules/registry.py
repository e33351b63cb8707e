"""The rule registry: each rule names the AWS page and sentence that state it, and checks it.

A rule module registers its checks with :func:`rule`; :func:`check` runs every registered rule
(or the ones asked for) on a :class:`~rules.model.Stack` and returns their findings, sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rules.model import Finding, Stack

__all__ = ["RULES", "Check", "Rule", "check", "rule"]

Check = Callable[[Stack], Iterable[tuple[str, str]]]
"""A rule's check: yields (resource address, message) for every place that breaks it."""


@dataclass(frozen=True)
class Rule:
    """A rule AWS enforces and the local emulator does not."""

    id: str
    title: str
    source: str
    """The AWS documentation page that states the rule."""
    quote: str
    """The sentence of that page that states it, verbatim."""
    check: Check
    emulator: str = ""
    """What the emulator harness (tests/e2e) fakes or skips about this rule; may be empty."""

    def findings(self, stack: Stack) -> Iterator[Finding]:
        for address, message in self.check(stack):
            yield Finding(self.id, address, message)


RULES: dict[str, Rule] = {}


def rule(
    id: str, title: str, *, source: str, quote: str, emulator: str = ""
) -> Callable[[Check], Check]:
    """Register the decorated function as the check of the rule ``id``."""

    def register(function: Check) -> Check:
        if id in RULES:
            raise ValueError(f"rule {id!r} is registered twice")
        RULES[id] = Rule(id, title, source, quote, function, emulator)
        return function

    return register


def check(stack: Stack, only: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of the registered rules (or of the rules ``only`` names) on ``stack``."""
    # Imported for their registrations: the registry is complete once the package is loaded.
    import rules.catalog  # noqa: F401

    wanted = set(only) if only is not None else set(RULES)
    unknown = wanted - set(RULES)
    if unknown:
        raise KeyError(f"no such rule: {', '.join(sorted(unknown))}")
    return sorted(f for rule_id in sorted(wanted) for f in RULES[rule_id].findings(stack))
