"""What a check finds (a ``Row``), what stops every check (``PreflightError``), and how the
rows are shown: the table and the summary line."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Result = Literal["pass", "fail", "skip"]


@dataclass
class Row:
    """One check: what it looked at, its result, what it found and, failed, what to do."""

    check: str
    result: Result
    detail: str
    fix: str = ""


class PreflightError(Exception):
    """The checks cannot run at all (exit status 2); the message says why."""


def words(items: Iterable[str]) -> str:
    listed = list(items)
    return ", ".join(listed) if listed else "none"


def render_table(rows: list[Row], width: int) -> str:
    header = Row("check", "pass", "detail", "fix")
    check_width = max(len(r.check) for r in [header, *rows])
    result_width = 6
    rest = max(width - check_width - result_width - 6, 40)
    # Without a failure the fix column stays empty: the detail takes its room.
    detail_width = rest * 11 // 20 if any(r.fix for r in rows) else rest - 3
    fix_width = rest - detail_width
    widths = (check_width, result_width, detail_width, fix_width)

    def lines(cells: tuple[str, str, str, str]) -> list[str]:
        wrapped = [
            textwrap.wrap(c, w, break_on_hyphens=False) or [""]
            for c, w in zip(cells, widths, strict=True)
        ]
        height = max(len(w) for w in wrapped)
        return [
            "  ".join(
                (w[i] if i < len(w) else "").ljust(widths[j]) for j, w in enumerate(wrapped)
            ).rstrip()
            for i in range(height)
        ]

    out = lines(("CHECK", "RESULT", "DETAIL", "FIX"))
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        result = "FAIL" if row.result == "fail" else row.result
        out += lines((row.check, result, row.detail, row.fix))
    return "\n".join(out)


def summary(rows: list[Row]) -> str:
    counts = Counter(r.result for r in rows)
    verdict = "preflight FAILED" if counts["fail"] else "preflight passed"
    return f"{verdict}: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"
