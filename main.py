#!/usr/bin/env python
"""The entry of the cdktf app: the test deployment, synthesized for one vars file.

``cdktf synth`` (or ``make synth``) runs this file. It reads the tfvars-like JSON file named by
``VARS_FILE`` (default ``vars/test.tfvars.json``) and validates it (``variables.py``), then
writes the Terraform JSON of the stack ``outposts-ecs`` (``stack.py``: the three modules wired
together, plus the Kinesis data stream and the ALB access-log bucket) to
``cdktf.out/stacks/outposts-ecs/cdk.tf.json``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from modules.validation import describe_validation_error
from variables import DEFAULT_VARS_FILE, STACK_NAME, ConfigError, RootVariables, load_variables

if TYPE_CHECKING:
    from cdktf import App

    from stack import OutpostsEcsStack


def build_app(variables: RootVariables) -> tuple[App, OutpostsEcsStack]:
    """The cdktf app holding the deployment's one stack."""
    # Imported only once the vars file is valid: loading the provider bindings takes seconds,
    # and a typo in the vars file should be reported at once.
    from cdktf import App

    from stack import OutpostsEcsStack

    app = App()
    return app, OutpostsEcsStack(app, STACK_NAME, variables)


def remove_stale_output(outdir: Path) -> None:
    """Remove what an earlier synth wrote for the stack, so that nothing applies it by mistake.

    After a failed synth the folder would still hold the previous configuration, and the next
    ``terraform plan`` there would plan it as if nothing had happened.
    """
    stack_dir = outdir / "stacks" / STACK_NAME
    if stack_dir.exists():
        shutil.rmtree(stack_dir)
        print(f"removed the previous output {stack_dir}: nothing was synthesized", file=sys.stderr)


def main() -> int:
    vars_file = os.environ.get("VARS_FILE") or DEFAULT_VARS_FILE
    # The cdktf CLI names the output folder; App() defaults to the same.
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    try:
        variables = load_variables(vars_file)
        for warning in variables.warnings():
            print(f"warning: {vars_file}: {warning}", file=sys.stderr)
        app, _ = build_app(variables)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        remove_stale_output(outdir)
        return 2
    except ValidationError as exc:
        print(f"error: {describe_validation_error(exc, vars_file)}", file=sys.stderr)
        remove_stale_output(outdir)
        return 2
    app.synth()
    # On stdout: the cdktf CLI shows a synth's stderr as [ERROR].
    print(f"Synthesized {vars_file} into stack {STACK_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
