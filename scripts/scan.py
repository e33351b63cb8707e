"""Security scan: checkov on the synthesized stack of every vars file, against the baseline.

    python scripts/scan.py                 # synthesize vars/*.tfvars.json, scan, judge
    python scripts/scan.py --stack DIR     # scan and judge a synthesized stack directory

Every failed check must be accepted by an entry of ``security/checkov-baseline.yaml`` (check
id, resource-name pattern, one-line reason); any other failure fails the scan, and so does a
baseline entry that no stack needs any more, so the baseline never outlives its reason.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "security" / "checkov-baseline.yaml"
CHECKOV = ROOT / ".venv-scan" / "bin" / "checkov"

sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from deployments import synthesize_all  # noqa: E402


@dataclass(frozen=True)
class Accepted:
    """A baseline entry: failures of ``check`` on resources matching ``resource`` are known."""

    check: str
    resource: str
    reason: str

    def matches(self, failure: Failure) -> bool:
        return failure.check == self.check and fnmatch.fnmatchcase(failure.name, self.resource)


@dataclass(frozen=True)
class Failure:
    check: str
    title: str
    resource: str

    @property
    def name(self) -> str:
        """The resource's logical name (checkov prefixes it inconsistently)."""
        return self.resource.rsplit(".", 1)[-1]


@dataclass
class Report:
    stack: str
    passed: int
    failures: list[Failure]
    accepted: list[tuple[Failure, Accepted]] = field(default_factory=list)
    new: list[Failure] = field(default_factory=list)


def load_baseline(path: Path = BASELINE) -> list[Accepted]:
    """Read the baseline; every entry needs a check id, a resource pattern and a reason."""
    if not path.is_file():
        raise ValueError(f"{path}: no such baseline file")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of entries")
    entries = []
    for index, item in enumerate(data):
        where = f"{path}: entry {index + 1}"
        if not isinstance(item, dict) or set(item) != {"check", "resource", "reason"}:
            raise ValueError(f"{where}: needs exactly the keys check, resource, reason")
        if not str(item["check"]).startswith(("CKV_", "CKV2_")):
            raise ValueError(f"{where}: {item['check']!r} is not a checkov check id")
        reason = str(item["reason"]).strip()
        if not reason or "\n" in reason:
            raise ValueError(f"{where}: the reason must be one non-empty line")
        entries.append(Accepted(str(item["check"]), str(item["resource"]), reason))
    return entries


def run_checkov(stack_dir: Path, checkov: Path = CHECKOV) -> Report:
    """Run checkov on one synthesized stack directory."""
    if not Path(checkov).is_file():
        raise SystemExit(f"checkov is not installed at {checkov}: run `make scan` once")
    command = [str(checkov), "-d", str(stack_dir), "--framework", "terraform_json"]
    result = subprocess.run(
        [*command, "-o", "json", "--quiet", "--compact", "--skip-download"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"checkov failed on {stack_dir}:\n{result.stderr}")
    output: Any = json.loads(result.stdout or "{}")
    reports = output if isinstance(output, list) else [output]
    failures: list[Failure] = []
    passed = 0
    for report in reports:
        if not report or "results" not in report:
            continue
        passed += report["summary"]["passed"]
        failures += [
            Failure(c["check_id"], c["check_name"], c["resource"])
            for c in report["results"]["failed_checks"]
        ]
    if passed == 0 and not failures:
        raise SystemExit(f"checkov found nothing to scan in {stack_dir}")
    return Report(stack=str(stack_dir), passed=passed, failures=failures)


def judge(report: Report, baseline: list[Accepted]) -> Report:
    """Split a report's failures into accepted (with their entry) and new ones."""
    for failure in report.failures:
        entry = next((e for e in baseline if e.matches(failure)), None)
        if entry is None:
            report.new.append(failure)
        else:
            report.accepted.append((failure, entry))
    return report


def summarize(reports: list[Report], baseline: list[Accepted]) -> int:
    print("| stack | passed | failed | accepted by the baseline | new failures |")
    print("|---|---|---|---|---|")
    for r in reports:
        print(f"| {r.stack} | {r.passed} | {len(r.failures)} | {len(r.accepted)} | {len(r.new)} |")
    status = 0
    for r in reports:
        for failure in r.new:
            print(
                f"NEW FAILURE {failure.check} on {failure.resource} in {r.stack}: {failure.title}"
            )
            status = 1
    used = {entry for r in reports for _, entry in r.accepted}
    for entry in baseline:
        if entry not in used:
            print(f"STALE BASELINE ENTRY {entry.check} {entry.resource}: no stack fails it")
            status = 1
    print("scan: " + ("passed" if status == 0 else "FAILED"))
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", type=Path, action="append", help="scan this stack directory")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--checkov", type=Path, default=CHECKOV)
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdktf.out" / "all")
    args = parser.parse_args()
    try:
        baseline = load_baseline(args.baseline)
    except (ValueError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stacks = args.stack or synthesize_all(args.outdir)
    reports = []
    for stack_dir in stacks:
        print(f">> checkov on {stack_dir}", file=sys.stderr, flush=True)
        reports.append(judge(run_checkov(stack_dir, args.checkov), baseline))
        reports[-1].stack = os.path.relpath(stack_dir, ROOT)
    return summarize(reports, baseline)


if __name__ == "__main__":
    sys.exit(main())
