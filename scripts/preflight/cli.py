"""The command line (``python -m scripts.preflight``, ``make preflight``): its arguments, the
output (a table and a summary line, or ``--format json``) on stdout, progress on stderr, and
the exit status: 0 when no check failed, 1 when one did, 2 when the checks could not run."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict

import scripts.preflight
from scripts.preflight.account import expected_account
from scripts.preflight.aws import Aws, caller_account
from scripts.preflight.checks import run_checks
from scripts.preflight.context import Context
from scripts.preflight.report import PreflightError, render_table, summary
from scripts.preflight.stack import load_stack
from vars_file import (
    ConfigError,
    add_deployment_arguments,
    load_variables,
    parse_deployment_arguments,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        # The name the usage line and argparse's errors give, as when this was one script.
        prog="preflight.py",
        description=(scripts.preflight.__doc__ or "").splitlines()[0],
    )
    add_deployment_arguments(parser)
    parser.add_argument(
        "--account",
        help="the AWS account the credentials must be (default: the owner in outposts_arn)",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parse_deployment_arguments(parser, argv)

    def progress(message: str) -> None:
        print(f"preflight: {message}", file=sys.stderr, flush=True)

    try:
        variables = load_variables(args.vars_file)
        name, stack = load_stack(args.vars_file, args.outdir)
        expected = expected_account(variables, args.account)
        aws = Aws(variables.region)
        ctx = Context(variables, stack, aws, expected)
        if args.account is not None:
            ctx.expected_from = "--account"
        ctx.account = caller_account(aws)
        progress(f"deployment {name} in {variables.region}, account {ctx.account}")
        rows = run_checks(ctx, progress)
    except (ConfigError, PreflightError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.format == "json":
        document = {
            "deployment": name,
            "region": variables.region,
            "account": ctx.account,
            "rows": [asdict(row) for row in rows],
            "failed": sum(1 for row in rows if row.result == "fail"),
        }
        print(json.dumps(document, indent=2))
    else:
        print(render_table(rows, shutil.get_terminal_size((120, 24)).columns))
        print(summary(rows))
    return 1 if any(row.result == "fail" for row in rows) else 0
