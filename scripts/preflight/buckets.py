"""S3 bucket names, which are global across all AWS accounts: the deployment's are free or
the account's own, and the ``s3_backend`` state bucket exists and is the account's."""

from __future__ import annotations

from typing import Literal

from botocore.exceptions import ClientError

from rules.model import Block
from scripts.preflight.aws import error_code
from scripts.preflight.context import Context
from scripts.preflight.report import Row, words
from scripts.preflight.stack import literal, one, where_of


def _bucket_state(ctx: Context, bucket: str) -> Literal["free", "own", "taken"]:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html: 200 when the
    bucket exists and the caller may access it, 403 or 404 otherwise, 404 when no bucket of
    the name exists in any account. Whose it is, ListBuckets (the account's own) tells."""
    s3 = ctx.aws.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404 or error_code(error) in ("404", "NoSuchBucket", "NotFound"):
            return "free"
        if status not in (301, 400, 403):
            raise
    if "own_buckets" not in ctx.facts:
        ctx.facts["own_buckets"] = {str(b["Name"]) for b in s3.list_buckets().get("Buckets", [])}
    return "own" if bucket in ctx.facts["own_buckets"] else "taken"


def check_buckets(ctx: Context) -> list[Row]:
    name = "S3 bucket names"
    named: list[tuple[Block, str]] = []
    generated: list[str] = []
    for block in ctx.stack.resources("aws_s3_bucket"):
        bucket = literal(block.get("bucket"))
        if bucket:
            named.append((block, bucket))
        elif block.get("bucket_prefix"):
            generated.append(str(block.get("bucket_prefix")))
    states = {bucket: _bucket_state(ctx, bucket) for _, bucket in named}
    taken = [bucket for bucket, state in states.items() if state == "taken"]
    own = [bucket for bucket, state in states.items() if state == "own"]
    free = [bucket for bucket, state in states.items() if state == "free"]
    parts = []
    if free:
        parts.append(f"free: {words(free)}")
    if own:
        parts.append(
            f"the account's own already: {words(own)} (the apply stops on it unless this "
            "deployment's state holds it)"
        )
    if generated:
        parts.append(f"named by AWS at apply: {words(p + '*' for p in generated)}")
    if taken:
        keys = [
            "s3_bucket_outposts_logging_name"
            if bucket == ctx.variables.s3_bucket_outposts_logging_name
            else f"the bucket of {where_of(block)}"
            for block, bucket in named
            if bucket in taken
        ]
        return [
            Row(
                name,
                "fail",
                f"taken by another account: {words(taken)}; " + "; ".join(parts),
                f"choose another name for {words(keys)}: bucket names are global across all "
                "AWS accounts",
            )
        ]
    return [Row(name, "pass", "; ".join(parts) or "the deployment names no bucket")]


def check_state_bucket(ctx: Context) -> list[Row]:
    backend = one((ctx.stack.document.get("terraform") or {}).get("backend", {}).get("s3"))
    bucket = literal(backend.get("bucket"))
    if not bucket:
        return []
    name = "state bucket"
    state = _bucket_state(ctx, bucket)
    if state == "own":
        return [Row(name, "pass", f"{bucket} exists in account {ctx.account}")]
    if state == "free":
        return [
            Row(
                name,
                "fail",
                f"{bucket} (s3_backend.bucket) does not exist",
                "create the state bucket first (versioned, encrypted), or fix s3_backend.bucket",
            )
        ]
    return [
        Row(
            name,
            "fail",
            f"{bucket} (s3_backend.bucket) is not the account's own",
            "use a state bucket of this account, or credentials that own it",
        )
    ]
