"""Benchmark results are data: recorded as printed, rendered into docs/benchmarks.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import report
from scripts.gen_docs import BENCHMARKS_DOC, begin, benchmark_blocks, end, stale, updated
from tests.conftest import ROOT


def _run(results: Path, cell: str = "1.09") -> Path:
    circumstances = report.start("demo", "2 rounds")
    table = report.Table(["process", "time / floor"], [["floor", "1.00"], ["synth", cell]])
    return report.record(circumstances, [table], ["met: synth within 125%"], results)


def test_a_recorded_run_reads_back_as_it_was_printed(tmp_path: Path) -> None:
    path = _run(tmp_path)
    assert path == tmp_path / "demo.json"
    run = report.load("demo", tmp_path)
    assert run.tables[0].rows == [["floor", "1.00"], ["synth", "1.09"]]
    assert run.settings == "2 rounds" and run.notes == ["met: synth within 125%"]
    text = run.markdown()
    assert "| process | time / floor |\n|---|---|\n| floor | 1.00 |\n| synth | 1.09 |" in text
    assert f"commit `{run.commit}`" in text and "- met: synth within 125%" in text


def test_a_new_run_makes_the_doc_stale_until_it_is_rewritten(tmp_path: Path) -> None:
    results = tmp_path / "results"
    _run(results)
    doc = f"# Benchmarks\n\n{begin('bench-demo')}\n{end('bench-demo')}\n"
    first = updated(doc, benchmark_blocks(results))
    assert "| synth | 1.09 |" in first
    _run(results, cell="1.31")
    second = updated(first, benchmark_blocks(results))
    assert second != first and "| synth | 1.31 |" in second and "1.09" not in second


def test_a_row_that_does_not_fit_its_table_is_refused() -> None:
    with pytest.raises(ValueError, match="a row of 1 cells"):
        report.Table(["process", "time / floor"], [["floor"]])


def test_every_recorded_benchmark_is_rendered_in_the_doc() -> None:
    recorded = report.recorded()
    assert recorded, "no benchmark results are committed"
    text = (ROOT / BENCHMARKS_DOC).read_text(encoding="utf-8")
    for name in recorded:
        data = json.loads((report.RESULTS / f"{name}.json").read_text())
        for table in data["tables"]:
            assert "| " + " | ".join(table["columns"]) + " |" in text, name
    assert BENCHMARKS_DOC not in stale(), "docs/benchmarks.md is stale: run `make docs`"
