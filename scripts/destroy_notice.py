#!/usr/bin/env python
"""What a destroy of a deployment deletes with it, said before it starts (``make destroy``).

A used deployment holds data that only a destroy removes: the images in its ECR repository
and the ALB access logs, with their versions, in its log bucket. Terraform deletes them with
their repository and bucket only when the applied configuration says so (ECR
``force_delete``, S3 ``force_destroy``: the vars key ``destroy_deletes_data``); otherwise the
destroy fails at that resource, after it already deleted the bucket's policy, public access
block and encryption. So this runs first, with read-only calls:

* every holder of data is listed with what it holds;
* where the applied configuration would refuse to delete data (``destroy_deletes_data`` false
  when last applied), it stops (exit 1) before anything is deleted, naming the way out;
* otherwise it exits 0 and ``cdktf destroy`` asks for the confirmation.

The applied flags come from the deployment's state (the local file, or the S3 backend's
object), since Terraform destroys with what it last applied, not with what the vars file now
says. Exit 2: bad input or no way to ask AWS.

    .venv/bin/python scripts/destroy_notice.py --vars-file vars/prod.tfvars.json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modules.state import LOCAL_STATE  # noqa: E402
from vars_file import (  # noqa: E402
    ConfigError,
    add_vars_file_argument,
    deployment_name,
    load_variables,
    parse_deployment_arguments,
)

#: Counting stops here: beyond it, "more than" says enough.
COUNT_LIMIT = 100_000


class NoticeError(Exception):
    """Bad input, or AWS could not be asked; the message says which."""


@dataclass(frozen=True)
class Holder:
    """A resource that holds data: what it is, its name, whether a destroy deletes the data."""

    kind: str
    name: str
    deletes_data: bool


def applied_state(vars_file: Path, state_dir: Path = ROOT) -> dict[str, Any] | None:
    """The deployment's state as last applied (None: nothing applied yet); a local state is
    in ``state_dir``."""
    variables = load_variables(vars_file)
    name = deployment_name(vars_file)
    backend = variables.s3_backend
    if backend is None:
        path = state_dir / LOCAL_STATE.format(name=name)
        return json.loads(path.read_text()) if path.exists() else None
    import boto3
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3", region_name=backend.region or variables.region)
    try:
        body = s3.get_object(Bucket=backend.bucket, Key=backend.state_key(name))["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(body.read())


def holders(state: dict[str, Any]) -> list[Holder]:
    """The ECR repositories and the named S3 buckets of the state, with their applied flags.
    The image source bucket is among them: its archives are the build's input, deleted too."""
    found = []
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        for instance in resource.get("instances", []):
            attributes = instance.get("attributes", {})
            if resource["type"] == "aws_ecr_repository":
                found.append(
                    Holder(
                        "ECR repository", attributes["name"], bool(attributes.get("force_delete"))
                    )
                )
            elif resource["type"] == "aws_s3_bucket":
                found.append(
                    Holder("S3 bucket", attributes["bucket"], bool(attributes.get("force_destroy")))
                )
    return found


def held(holder: Holder, region: str) -> str | None:
    """What ``holder`` holds now, in words; None when it holds nothing (or is gone)."""
    import boto3
    from botocore.exceptions import ClientError

    try:
        if holder.kind == "ECR repository":
            ecr = boto3.client("ecr", region_name=region)
            images = _count(
                ecr.get_paginator("list_images"), "imageIds", repositoryName=holder.name
            )
            return f"{_number(images)} image(s)" if images else None
        s3 = boto3.client("s3", region_name=region)
        versions_pages = s3.get_paginator("list_object_versions")
        versions = _count(versions_pages, "Versions", Bucket=holder.name)
        markers = _count(versions_pages, "DeleteMarkers", Bucket=holder.name)
        if not versions and not markers:
            return None
        return f"{_number(versions)} object version(s) and {_number(markers)} delete marker(s)"
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("RepositoryNotFoundException", "NoSuchBucket", "404"):
            return None
        raise NoticeError(f"cannot read {holder.kind} {holder.name}: {error}") from None


def _count(paginator: Any, key: str, **arguments: Any) -> int:
    total = 0
    for page in paginator.paginate(**arguments):
        total += len(page.get(key, []))
        if total >= COUNT_LIMIT:
            break
    return total


def _number(count: int) -> str:
    return f"more than {COUNT_LIMIT:,}" if count >= COUNT_LIMIT else f"{count:,}"


def notice(vars_file: Path, state_dir: Path = ROOT) -> tuple[int, list[str]]:
    """The exit status and the lines to print."""
    try:
        variables = load_variables(vars_file)
    except ConfigError as error:
        raise NoticeError(str(error)) from None
    name = deployment_name(vars_file)
    state = applied_state(vars_file, state_dir)
    if state is None:
        return 0, [f"{name}: nothing applied yet; the destroy has nothing to delete"]
    lines, refused = [], []
    for holder in holders(state):
        holding = held(holder, variables.region)
        if holding is None:
            lines.append(f"  {holder.kind} {holder.name}: empty")
        elif holder.deletes_data:
            lines.append(f"  {holder.kind} {holder.name}: {holding}, DELETED with it")
        else:
            lines.append(f"  {holder.kind} {holder.name}: {holding}, which the destroy keeps")
            refused.append(holder)
    header = f"Destroying the deployment {name} deletes every resource of its state, and:"
    if not refused:
        return 0, [header, *lines]
    names = ", ".join(f"{holder.kind} {holder.name}" for holder in refused)
    return 1, [
        header,
        *lines,
        f"error: refusing before deleting anything: {names} hold(s) data that the applied "
        "configuration does not delete (destroy_deletes_data was false when last applied), so "
        "the destroy would stop there, with the bucket's controls already gone. Either set "
        "destroy_deletes_data to true and apply (make deploy), or empty them yourself, then "
        "make destroy again.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_vars_file_argument(parser)
    parser.add_argument(
        "--state-dir", type=Path, default=ROOT, help="where local states are (the repository)"
    )
    args = parse_deployment_arguments(parser, argv)
    try:
        status, lines = notice(args.vars_file, args.state_dir)
    except NoticeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # credentials, endpoints: say what, not a traceback
        from botocore.exceptions import BotoCoreError, ClientError

        if not isinstance(error, BotoCoreError | ClientError | json.JSONDecodeError):
            raise
        print(f"error: cannot tell what the destroy deletes: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line, file=sys.stderr if line.startswith("error:") else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
