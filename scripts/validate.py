"""Terraform's own check of the synthesized JSON: ``terraform init`` and ``terraform validate``.

    python scripts/validate.py                # synthesize vars/*.tfvars.json, init, validate
    python scripts/validate.py --stack DIR    # init and validate one synthesized stack folder

Each stack is checked in a copy of its folder (so no ``.terraform`` lands in ``cdktf.out``),
without a backend (``init -backend=false``: validation needs no state), with the providers
from a filesystem mirror when one is configured or found, else from the registry
(``scripts/terraform_cli.py``). The JSON is validated exactly as synthesized. Any error fails,
and so does any warning (a deprecated argument, say): the JSON must be clean on the provider
that is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from deployments import synthesize_all  # noqa: E402
from scripts.terraform_cli import TerraformError, find_terraform, run, terraform_env  # noqa: E402


@dataclass
class Result:
    """What Terraform said of one stack."""

    stack: str
    provider: str
    errors: list[str]
    warnings: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.errors and not self.warnings


def _provider_versions(work: Path) -> str:
    lock = work / ".terraform.lock.hcl"
    if not lock.is_file():
        return "?"
    lines = [line.strip() for line in lock.read_text().splitlines()]
    versions = [line.split('"')[1] for line in lines if line.startswith("version ")]
    return ", ".join(versions) or "?"


def validate(stack_dir: Path) -> Result:
    """``terraform init`` and ``terraform validate -json`` of a copy of ``stack_dir``."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="validate-") as scratch:
        work = Path(scratch) / "stack"
        shutil.copytree(stack_dir, work, ignore=shutil.ignore_patterns(".terraform*"))
        env = terraform_env(work)
        run(["init", "-input=false", "-no-color", "-backend=false"], work, env, quiet=True)
        result = run(["validate", "-json", "-no-color"], work, env, ok_codes=(0, 1), quiet=True)
        report = json.loads(result.stdout)
        messages: dict[str, list[str]] = {"error": [], "warning": []}
        for diagnostic in report.get("diagnostics", []):
            where = diagnostic.get("address") or diagnostic.get("range", {}).get("filename", "")
            text = f"{diagnostic['summary']}: {diagnostic.get('detail', '')} ({where})".strip()
            messages.setdefault(diagnostic["severity"], []).append(text)
        return Result(
            stack=os.path.relpath(stack_dir, ROOT),
            provider=_provider_versions(work),
            errors=messages["error"],
            warnings=messages["warning"],
            seconds=time.monotonic() - started,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", type=Path, action="append", help="validate this stack folder")
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdktf.out" / "all")
    args = parser.parse_args()
    if find_terraform() is None:
        print("error: terraform is not on the PATH (install Terraform 1.5 or later)")
        return 2
    stacks = args.stack or synthesize_all(args.outdir)
    results = []
    for stack_dir in stacks:
        print(f">> terraform init and validate {stack_dir}", file=sys.stderr, flush=True)
        try:
            results.append(validate(stack_dir))
        except TerraformError as exc:
            print(f"error: {exc}")
            return 1
    print("| stack | aws provider | errors | warnings | seconds |")
    print("|---|---|---|---|---|")
    for r in results:
        counts = f"{len(r.errors)} | {len(r.warnings)}"
        print(f"| {r.stack} | {r.provider} | {counts} | {r.seconds:.1f} |")
    for r in results:
        for kind, messages in (("ERROR", r.errors), ("WARNING", r.warnings)):
            for message in messages:
                print(f"{kind} in {r.stack}: {message}")
    status = 0 if all(r.ok for r in results) else 1
    print("validate: " + ("passed" if status == 0 else "FAILED"))
    return status


if __name__ == "__main__":
    sys.exit(main())
