"""make test's closing line: the pytest lanes' reports added up."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.test_summary import main


def _report(folder: Path, name: str, tests: int, failures: int, skipped: int) -> Path:
    path = folder / name
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites>'
        f'<testsuite name="pytest" tests="{tests}" failures="{failures}" errors="0" '
        f'skipped="{skipped}"></testsuite></testsuites>'
    )
    return path


def test_the_lanes_are_added_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _report(tmp_path, "a.xml", 3, 0, 0)
    second = _report(tmp_path, "b.xml", 10, 0, 2)
    assert main([str(first), str(second)]) == 0
    assert capsys.readouterr().out == "tests: 11 passed, 0 failed, 2 skipped\n"


def test_a_failure_in_either_lane_fails(tmp_path: Path) -> None:
    assert (
        main([str(_report(tmp_path, "a.xml", 3, 1, 0)), str(_report(tmp_path, "b.xml", 2, 0, 0))])
        == 1
    )


def test_no_test_or_no_report_fails(tmp_path: Path) -> None:
    assert main([str(_report(tmp_path, "a.xml", 0, 0, 0))]) == 1
    assert main([str(tmp_path / "missing.xml")]) == 1
    assert main([]) == 1
