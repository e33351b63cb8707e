"""The rule registry: each rule names the AWS page and sentence that state it, and checks it.

A rule module registers its checks with :func:`rule`; :func:`rules.catalog.check` runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rules.model import Finding, Stack

__all__ = ["RULES", "Check", "Rule", "rule"]

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
