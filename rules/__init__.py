"""Rules AWS enforces and the local emulator does not, checked on synthesized Terraform JSON.

``check(Stack.load(path))`` returns every finding; ``rules.docs`` renders the rules' tables.
Nothing here imports cdktf or the provider bindings.
"""

from __future__ import annotations

from rules.catalog import check
from rules.model import Finding, Stack
from rules.registry import RULES, Rule

__all__ = ["RULES", "Finding", "Rule", "Stack", "check"]
