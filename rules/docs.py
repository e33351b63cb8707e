"""The rules' tables: every rule with its source and sentence (``docs/aws-rules.md``), and what
the emulator harness fakes or skips of each (``docs/e2e.md``). ``scripts/gen_docs.py`` writes
them as generated blocks."""

from __future__ import annotations

from rules.registry import RULES, Rule

__all__ = ["emulator_table", "rules_table"]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _rules() -> list[Rule]:
    import rules.catalog  # noqa: F401  (registers every rule)

    return [RULES[rule_id] for rule_id in sorted(RULES)]


def rules_table() -> str:
    """One row a rule: id, what it checks, the page and the sentence that state it."""
    rows = ["| rule | checks | source | AWS says |", "|---|---|---|---|"]
    for rule in _rules():
        rows.append(
            f'| `{rule.id}` | {_cell(rule.title)} | <{rule.source}> | "{_cell(rule.quote)}" |'
        )
    return "\n".join(rows)


def emulator_table() -> str:
    """The rules whose ``emulator`` note says what tests/e2e fakes or skips of them."""
    noted = [rule for rule in _rules() if rule.emulator.strip()]
    if not noted:
        return "No rule has an emulator note yet."
    rows = ["| rule | in the emulator harness |", "|---|---|"]
    rows += [f"| `{rule.id}` | {_cell(rule.emulator)} |" for rule in noted]
    return "\n".join(rows)
