"""Check synthesized stacks against rules AWS enforces and the local emulator does not.

    python scripts/aws_rules.py                 # synthesize vars/*.tfvars.json, check each stack
    python scripts/aws_rules.py --stack DIR ... # check these synthesized stack folders

Prints one line a finding (``<stack> <rule id> <resource address>: <message>``) and a summary
line a stack; exits 1 on any finding. The rules and their sources: docs/aws-rules.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from rules import Stack, check  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", type=Path, action="append", help="check this stack folder")
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdktf.out" / "all")
    args = parser.parse_args(argv)
    if args.stack:
        stacks: list[Path] = args.stack
    else:
        # Imported here: only this path loads the provider bindings (to synthesize).
        from deployments import synthesize_all

        stacks = synthesize_all(args.outdir)
    status = 0
    for stack_dir in stacks:
        started = time.monotonic()
        stack = Stack.load(stack_dir)
        findings = check(stack)
        for finding in findings:
            print(f"{stack.name} {finding.rule} {finding.address}: {finding.message}")
        seconds = time.monotonic() - started
        verdict = f"{len(findings)} finding(s)" if findings else "no findings"
        print(f"{stack.name}: {verdict} ({seconds:.2f} s)")
        status = status or (1 if findings else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
