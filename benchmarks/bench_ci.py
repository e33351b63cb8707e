"""CI benchmark: where ``make test`` spends its time, one step after another and in lanes.

From a warm clone (venvs and node_modules present), in one run:
- serial: each step of ``make test-serial`` on its own (``make typecheck`` from an empty mypy
  cache, as in a fresh clone), pytest split into its end-to-end test and the rest;
- lanes: ``make test`` as CI runs it (three jobs at a time), from an empty mypy cache too;
- the slowest tests of the serial run (pytest's JUnit report);
- with ``--first-run``: ``make install`` in a fresh clone of the commit, the extra time and
  disk a first ``make test`` costs before any step runs.
The serial steps and ``make test`` run back to back, so their ratio holds on a noisy host.
Target: ``make test`` at most 8 minutes from a warm clone on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402  (needs the path above)

#: make test-serial's steps, with pytest split in two (make pytest runs both).
SERIAL_STEPS = (
    "lint",
    "typecheck",
    "pytest-e2e",
    "pytest-rest",
    "stacks",
    "scan",
    "validate",
    "node-lts",
)
TARGET_SECONDS = 8 * 60


#: Where the pytest lanes write their JUnit reports (the Makefile's REPORTS).
REPORTS = ROOT / "cdktf.out" / "test-reports"


def make(target: str, cwd: Path = ROOT) -> float:
    """Wall seconds of ``make TARGET``; its output goes to a log, shown if it fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    print(f">> make {target}", file=sys.stderr, flush=True)
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as log:
        done = subprocess.run(
            ["make", "--no-print-directory", target],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            log.seek(0)
            print(log.read()[-8000:], file=sys.stderr)
            raise SystemExit(f"make {target} failed (exit {done.returncode})")
    print(f"   {elapsed:.0f} s", file=sys.stderr, flush=True)
    return elapsed


def slowest_tests(junit: Path, count: int) -> list[tuple[str, float]]:
    """The ``count`` slowest test cases of a JUnit report: (test id, seconds)."""
    cases = [
        (f"{case.get('classname', '')}::{case.get('name', '')}", float(case.get("time", 0)))
        for case in ElementTree.parse(junit).iter("testcase")
    ]
    return sorted(cases, key=lambda case: -case[1])[:count]


def disk_mib(path: Path) -> float:
    done = subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True, check=True)
    return float(done.stdout.split()[0])


def first_run(folder: Path) -> tuple[float, float]:
    """Seconds and MiB of ``make install`` in a fresh clone of HEAD."""
    clone = folder / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    seconds = make("install", cwd=clone)
    return seconds, disk_mib(clone)


def seconds(value: float) -> str:
    return f"{value:.0f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-run", action="store_true", help="also time make install cold")
    parser.add_argument("--slowest", type=int, default=12, help="slowest tests to list")
    args = parser.parse_args()
    circumstances = report.start(
        "ci",
        "warm clone; make test-serial's steps one by one, then make test, back to back; "
        "mypy from an empty cache in both",
    )

    serial: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ci-") as folder:
        for step in SERIAL_STEPS:
            if step == "typecheck":
                shutil.rmtree(ROOT / ".mypy_cache", ignore_errors=True)
            serial[step] = make(step)
            if step.startswith("pytest"):
                shutil.copy(REPORTS / f"{step}.xml", Path(folder) / f"{step}.xml")
        tests = sorted(
            slowest_tests(Path(folder) / "pytest-e2e.xml", args.slowest)
            + slowest_tests(Path(folder) / "pytest-rest.xml", args.slowest),
            key=lambda case: -case[1],
        )[: args.slowest]
        shutil.rmtree(ROOT / ".mypy_cache", ignore_errors=True)
        lanes = make("test")
        install = first_run(Path(folder)) if args.first_run else None

    total = sum(serial.values())
    steps = report.Table(
        ["step", "seconds", "share"],
        [[step, seconds(s), f"{s / total:.0%}"] for step, s in serial.items()],
        title="make test's steps, one after another (make test-serial)",
    )
    whole = report.Table(
        ["run", "wall", "ratio to serial"],
        [
            ["steps one after another (sum)", seconds(total), "1.00"],
            ["make test (three jobs at a time)", seconds(lanes), f"{lanes / total:.2f}"],
        ],
        title="make test from a warm clone",
    )
    slow = report.Table(
        ["test", "seconds"],
        [[name, f"{s:.1f}"] for name, s in tests],
        title=f"The {len(tests)} slowest tests",
    )
    tables = [steps, whole, slow]
    notes = [
        f"make test: {lanes / 60:.1f} min, target {TARGET_SECONDS // 60} min: "
        + ("met" if lanes <= TARGET_SECONDS else "missed"),
    ]
    if install is not None:
        tables.append(
            report.Table(
                ["first run", "wall", "disk of the clone"],
                [["make install in a fresh clone", seconds(install[0]), f"{install[1]:.0f} MiB"]],
                title="What a first make test adds",
            )
        )
    for table in tables:
        print(f"\n{table.title}\n{table.markdown()}")
    print("\n" + "\n".join(notes))
    path = report.record(circumstances, tables, notes)
    print(f"\nrecorded in {path.relative_to(ROOT)}; make docs renders it into docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
