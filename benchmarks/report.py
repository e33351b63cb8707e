"""Benchmark results: what a run printed, kept as data and rendered into docs/benchmarks.md.

Each benchmark builds its tables as :class:`Table` objects, prints them, and records them with
the run's circumstances in ``benchmarks/results/<benchmark>.json``. Those files are committed;
``scripts/gen_docs.py`` renders each into its block of ``docs/benchmarks.md``, so the tables
there are always the last recorded run's, never edited by hand.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Table:
    """A table as printed: a header row and rows of cells, every cell already formatted."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    title: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {len(row)} cells in a table of {self.columns}")

    def markdown(self) -> str:
        lines = [
            "| " + " | ".join(self.columns) + " |",
            "|" + "---|" * len(self.columns),
            *(
                "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
                for row in self.rows
            ),
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Run:
    """One recorded run of a benchmark."""

    benchmark: str
    #: UTC day of the run.
    date: str
    #: The commit measured (``+`` when the working tree had changes).
    commit: str
    cpus: int
    #: One-minute load average when the run started: how quiet the machine was.
    load_average: float
    #: The command line's settings, as the benchmark reports them.
    settings: str
    tables: list[Table]
    #: Lines the benchmark printed after its tables (targets met or missed, and the like).
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        context = (
            f"Recorded {self.date} at commit `{self.commit}`, {self.cpus} CPUs, load average "
            f"{self.load_average:.2f} at the start; {self.settings}."
        )
        parts = [context]
        for table in self.tables:
            if table.title:
                parts.append(f"**{table.title}**")
            parts.append(table.markdown())
        if self.notes:
            parts.append("\n".join(f"- {note}" for note in self.notes))
        return "\n\n".join(parts)


def _commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+" if git("status", "--porcelain", "--untracked-files=no") else "")


def start(benchmark: str, settings: str) -> dict[str, Any]:
    """The circumstances of a run that begins now (call before measuring)."""
    return {
        "benchmark": benchmark,
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "commit": _commit(),
        "cpus": os.cpu_count() or 0,
        "load_average": os.getloadavg()[0],
        "settings": settings,
    }


def record(
    circumstances: dict[str, Any],
    tables: list[Table],
    notes: list[str],
    results: Path = RESULTS,
) -> Path:
    """Write the run to ``<results>/<benchmark>.json``; returns the path."""
    run = Run(**circumstances, tables=tables, notes=notes)
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{run.benchmark}.json"
    path.write_text(json.dumps(asdict(run), indent=2, ensure_ascii=False) + "\n")
    return path


def load(benchmark: str, results: Path = RESULTS) -> Run:
    """The recorded run of ``benchmark``."""
    data = json.loads((results / f"{benchmark}.json").read_text())
    tables = [Table(**table) for table in data.pop("tables")]
    return Run(**data, tables=tables)


def recorded(results: Path = RESULTS) -> list[str]:
    """The benchmarks with a recorded run."""
    return sorted(path.stem for path in results.glob("*.json"))
