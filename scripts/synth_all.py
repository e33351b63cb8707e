"""Synthesize the stack of every vars file, each into a folder of its own.

    python scripts/synth_all.py [--outdir DIR]   # default cdktf.out/vars; prints the folders

``make scan`` and ``make validate`` check the same stacks: ``make stacks`` synthesizes them
once (the provider bindings load once for all of them) and both take the folders it prints.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACKS_OUTDIR = ROOT / "cdktf.out" / "vars"

sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def synthesize_all(outdir: Path = STACKS_OUTDIR) -> list[Path]:
    """Synthesize each ``vars/*.tfvars.json`` into ``outdir/<name>``; the stack folders."""
    from cdktf import App

    from stack import OutpostsEcsStack
    from variables import STACK_NAME, load_variables

    stacks = []
    for vars_file in sorted((ROOT / "vars").glob("*.tfvars.json")):
        name = vars_file.name.removesuffix(".tfvars.json")
        print(f">> synthesizing {vars_file.relative_to(ROOT)}", file=sys.stderr, flush=True)
        target = outdir / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        app = App(outdir=str(target))
        OutpostsEcsStack(app, STACK_NAME, load_variables(vars_file))
        app.synth()
        stacks.append(outdir / name / "stacks" / STACK_NAME)
    return stacks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=STACKS_OUTDIR)
    for stack in synthesize_all(parser.parse_args().outdir):
        print(os.path.relpath(stack, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
