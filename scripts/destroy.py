#!/usr/bin/env python
"""``make destroy VARS_FILE=...``: a used deployment removed in one go, no bucket ever left
holding data without its controls.

Terraform deletes a bucket's policy, public access block, encryption and versioning before the
bucket (they depend on it), and its ``force_destroy`` empties the bucket only then. So:

1. ``scripts/destroy_notice.py`` says what data goes (images, log objects and their versions),
   or refuses before anything is deleted; then one question (``--auto-approve`` skips it);
2. everything but the S3 buckets, their controls and what those depend on is destroyed
   (``terraform destroy -target=...``): the ALB stops writing logs, the service and the
   repository (with its images, ``force_delete``) go;
3. each bucket the applied configuration lets the destroy empty (``force_destroy``) is emptied:
   every object version and delete marker, with a count. A failure stops here, with the
   buckets and their controls in place;
4. the rest is destroyed: the controls of empty buckets, then the buckets.

Exit status: 0 destroyed (or nothing to destroy), 1 refused or a step failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from scripts.deploy.cli import clients_of  # noqa: E402
from scripts.deploy.progress import DeployError, ask_yes, say  # noqa: E402
from scripts.destroy_notice import NoticeError, notice  # noqa: E402
from scripts.terraform_cli import TerraformError, run, stream, terraform_env  # noqa: E402
from vars_file import (  # noqa: E402
    ConfigError,
    add_deployment_arguments,
    load_variables,
    parse_deployment_arguments,
    synthesized_stack,
)

#: Object versions deleted per DeleteObjects call (S3's limit).
DELETE_BATCH = 1000


def bucket_group(resources: Iterable[Mapping[str, Any]]) -> tuple[set[str], dict[str, bool]]:
    """The addresses of the state's S3 buckets and of their controls (``aws_s3_bucket_*`` on
    one of them), and each bucket's name with whether a destroy may empty it."""
    buckets = {
        str(r["values"]["bucket"]): bool(r["values"].get("force_destroy"))
        for r in resources
        if r["type"] == "aws_s3_bucket"
    }
    group = {
        str(r["address"])
        for r in resources
        if r["type"] == "aws_s3_bucket"
        or (r["type"].startswith("aws_s3_bucket_") and r["values"].get("bucket") in buckets)
    }
    return group, buckets


def first_targets(resources: Sequence[Mapping[str, Any]], group: set[str]) -> list[str]:
    """What stage 2 destroys: every managed resource outside ``group`` that no member of the
    group depends on, directly or not (a -target destroy also takes what depends on a
    target, so a dependency of a bucket's control would take the control with it)."""
    depends = {str(r["address"]): set(r.get("depends_on", [])) for r in resources}
    needed: set[str] = set()
    pending = [d for member in group for d in depends.get(member, ())]
    while pending:
        address = pending.pop()
        if address not in needed:
            needed.add(address)
            pending.extend(depends.get(address, ()))
    return sorted(a for a in depends if a not in group and a not in needed)


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker of ``bucket``; how many went."""
    deleted = 0
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
    batch: list[dict[str, str]] = []
    for page in pages:
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            batch.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
            if len(batch) == DELETE_BATCH:
                deleted += _delete(s3, bucket, batch)
                batch = []
    if batch:
        deleted += _delete(s3, bucket, batch)
    return deleted


def _delete(s3: Any, bucket: str, batch: list[dict[str, str]]) -> int:
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    errors = answer.get("Errors", [])
    if errors:
        first = errors[0]
        raise DeployError(
            f"S3 refused to delete {len(errors)} object version(s) of {bucket} (first: "
            f"{first.get('Key')} {first.get('Code')}: {first.get('Message')}); the buckets and "
            "their controls are kept: fix that, then make destroy again"
        )
    return len(batch)


def destroy(stack: Path, vars_file: Path, region: str, auto_approve: bool) -> None:
    # The local state is where the stack's backend puts it: three folders up (the project).
    status, lines = notice(vars_file, stack.parents[2])
    for line in lines:
        print(line, flush=True)
    if status != 0:
        raise DeployError("refused (see above)")
    env = terraform_env(stack)
    stream(["init", "-input=false", "-no-color"], stack, env)
    shown = json.loads(run(["show", "-json"], stack, env, quiet=True).stdout)
    resources = [
        r
        for r in shown.get("values", {}).get("root_module", {}).get("resources", [])
        if r.get("mode") == "managed"
    ]
    if not resources:
        say("nothing applied: nothing to destroy")
        return
    if not auto_approve:
        ask_yes(
            f"Destroy the {len(resources)} resources of {stack.name}?",
            no_terminal="no terminal to ask on: run make destroy in one, or with "
            "DESTROY_ARGS=--auto-approve",
            refused="not confirmed: nothing was deleted",
        )
    group, buckets = bucket_group(resources)
    targets = first_targets(resources, group)
    say(f"1/3 everything but the {len(buckets)} S3 bucket(s) and their controls")
    if targets:
        args = ["destroy", "-input=false", "-no-color", "-auto-approve"]
        label = f"{' '.join(args)} -target=... ({len(targets)} resources)"
        stream([*args, *(f"-target={t}" for t in targets)], stack, env, shown=label)
    s3 = clients_of(region)("s3")
    say("2/3 the buckets' objects, every version")
    for bucket, may_empty in sorted(buckets.items()):
        if may_empty:
            say(f"  {bucket}: {empty_bucket(s3, bucket):,} object version(s) deleted")
    say("3/3 the buckets' controls, then the buckets")
    stream(["destroy", "-input=false", "-no-color", "-auto-approve"], stack, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make destroy", description=__doc__.splitlines()[0])
    add_deployment_arguments(parser)
    parser.add_argument("--auto-approve", action="store_true", help="destroy without asking")
    args = parse_deployment_arguments(parser, argv)
    try:
        variables = load_variables(args.vars_file)
        _, stack, _ = synthesized_stack(args.vars_file, args.outdir)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        destroy(stack, args.vars_file, variables.region, args.auto_approve)
    except (NoticeError, BotoCoreError, ClientError) as error:
        print(f"error: cannot tell what the destroy deletes: {error}", file=sys.stderr)
        return 2
    except (DeployError, TerraformError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
