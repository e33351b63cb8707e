"""The closing line of ``make test``: the tests of every pytest lane, added up.

``make test`` runs pytest in two lanes beside the other checks, so neither pytest's closing
line is the last thing printed. This reads their JUnit reports and prints one line that says
what ran in all, and fails when a report is missing or no test ran.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

COUNTS = ("tests", "failures", "errors", "skipped")


def totals(reports: list[Path]) -> dict[str, int]:
    """The counts of ``COUNTS`` over every test suite of the reports."""
    found = dict.fromkeys(COUNTS, 0)
    for report in reports:
        for suite in ElementTree.parse(report).iter("testsuite"):
            for count in COUNTS:
                found[count] += int(suite.get(count, 0))
    return found


def closing_line(found: dict[str, int]) -> str:
    failed = found["failures"] + found["errors"]
    passed = found["tests"] - failed - found["skipped"]
    return f"tests: {passed} passed, {failed} failed, {found['skipped']} skipped"


def main(arguments: list[str]) -> int:
    reports = [Path(argument) for argument in arguments]
    missing = [str(report) for report in reports if not report.is_file()]
    if not reports or missing:
        print(f"error: no pytest report at {', '.join(missing) or '(none given)'}")
        return 1
    found = totals(reports)
    print(closing_line(found))
    return 0 if found["tests"] and not found["failures"] + found["errors"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
