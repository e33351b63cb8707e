"""Load balancer access logs: the bucket's policy lets the Region's ELB log delivery write, and
the bucket is encrypted with S3-managed keys only."""

from __future__ import annotations

import re
from collections.abc import Iterator

from modules.regions import (
    ELB_LOG_DELIVERY_ACCOUNTS,
    ELB_LOG_DELIVERY_SERVICE,
    known_regions,
    partition,
)
from rules.model import Block, Stack, is_literal
from rules.policies import Statement, document_statements, inline_document
from rules.registry import rule

__all__ = ["access_log_buckets", "bucket_policy_statements", "expected_log_principal"]

_LOAD_BALANCERS = ("aws_lb", "aws_alb")
_ACCOUNT_ROOT = re.compile(r"^arn:[a-z0-9-]+:iam::(\d{12}):root$")


def _bucket(stack: Stack, value: object, hops: int = 3) -> Block | None:
    """The ``aws_s3_bucket`` a bucket argument names: through a reference (to the bucket, or to
    a bucket policy's ``bucket``) or by its literal name."""
    target = stack.target(value)
    if target is not None:
        if target.type == "aws_s3_bucket":
            return target
        if hops and "bucket" in target.body:
            return _bucket(stack, target.get("bucket"), hops - 1)
        return None
    if is_literal(value):
        return next((b for b in stack.resources("aws_s3_bucket") if b.get("bucket") == value), None)
    return None


def access_log_buckets(stack: Stack) -> Iterator[tuple[Block, Block]]:
    """(load balancer, bucket) for every load balancer that writes access logs to a bucket of
    the stack."""
    for type_name in _LOAD_BALANCERS:
        for lb in stack.resources(type_name):
            logs = lb.get("access_logs")
            logs = logs[0] if isinstance(logs, list) and logs else logs
            if not isinstance(logs, dict) or logs.get("enabled") in (False, "false"):
                continue
            bucket = _bucket(stack, logs.get("bucket"))
            if bucket is not None:
                yield lb, bucket


def _attached(stack: Stack, bucket: Block, type_name: str) -> list[Block]:
    return [b for b in stack.resources(type_name) if _bucket(stack, b.get("bucket")) == bucket]


def bucket_policy_statements(stack: Stack, bucket: Block) -> list[Statement]:
    """The statements of the bucket policies attached to ``bucket``."""
    found: list[Statement] = []
    for policy in _attached(stack, bucket, "aws_s3_bucket_policy"):
        document = stack.target(policy.get("policy"))
        if document is not None and document.type == "aws_iam_policy_document":
            from rules.policies import statements

            found += [s for s in statements(stack) if s.address == document.address]
        else:
            found += document_statements(policy.address, inline_document(policy.get("policy")))
    return found


def expected_log_principal(region: str) -> tuple[str, str]:
    """The principal that must be granted s3:PutObject for ``region``'s access logs."""
    account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    if account is None:
        return ("Service", ELB_LOG_DELIVERY_SERVICE)
    return ("AWS", f"arn:{partition(region)}:iam::{account}:root")


def _writes(statement: Statement) -> bool:
    return statement.effect.lower() == "allow" and any(
        a.lower() in ("s3:putobject", "s3:*", "*") for a in statement.actions
    )


@rule(
    "elb.log-delivery-principal",
    "Access-log bucket policy names the Region's ELB log delivery",
    source="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
    quote=(
        "Previously, for Regions available before August 2022, we required a policy that "
        "granted permissions to an ELB account that was specific to the Region."
    ),
    emulator="",
)
def log_delivery_principal(stack: Stack) -> Iterator[tuple[str, str]]:
    """The bucket policy of every access-log bucket grants s3:PutObject to the Region's ELB
    account (``modules.regions.ELB_LOG_DELIVERY_ACCOUNTS``) or, for a Region not listed, to
    ``logdelivery.elasticloadbalancing.amazonaws.com``; an ELB account of another Region is
    refused."""
    region = stack.region
    if region is None or region not in known_regions():
        return
    wanted = expected_log_principal(region)
    other_accounts = set(ELB_LOG_DELIVERY_ACCOUNTS.values()) - {
        ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    }
    for lb, bucket in access_log_buckets(stack):
        granted = [
            p for s in bucket_policy_statements(stack, bucket) if _writes(s) for p in s.principals
        ]
        for kind, identifier in granted:
            match = _ACCOUNT_ROOT.match(identifier) if kind == "AWS" else None
            if match and match.group(1) in other_accounts:
                yield (
                    bucket.address,
                    (
                        f"s3:PutObject granted to {identifier}, the ELB account of another Region; "
                        f"{lb.address} in {region} delivers as {wanted[1]}"
                    ),
                )
        if wanted not in granted:
            yield (
                bucket.address,
                (
                    f"no bucket policy grants s3:PutObject to {wanted[0]} {wanted[1]}, which "
                    f"delivers the access logs of {lb.address} in {region}"
                ),
            )


@rule(
    "elb.log-bucket-sse-s3",
    "Access-log bucket encrypted with SSE-S3 only",
    source="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
    quote=(
        "The only server-side encryption option that's supported is Amazon S3-managed keys "
        "(SSE-S3)."
    ),
)
def log_bucket_sse_s3(stack: Stack) -> Iterator[tuple[str, str]]:
    """Default encryption of every access-log bucket is AES256 (or left to S3's default)."""
    seen: set[str] = set()
    for lb, bucket in access_log_buckets(stack):
        for config in _attached(
            stack, bucket, "aws_s3_bucket_server_side_encryption_configuration"
        ):
            if config.address in seen:
                continue
            seen.add(config.address)
            for rule_block in config.get("rule") or []:
                default = (rule_block or {}).get("apply_server_side_encryption_by_default") or {}
                if isinstance(default, list):
                    default = default[0] if default else {}
                algorithm = default.get("sse_algorithm")
                if algorithm and algorithm != "AES256":
                    yield (
                        config.address,
                        (
                            f"sse_algorithm {algorithm!r} on the access-log bucket of "
                            f"{lb.address}; only AES256 (SSE-S3) is supported"
                        ),
                    )
