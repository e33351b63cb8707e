"""Partition: the ARNs a stack writes out and the service endpoints its image URIs name belong
to the partition of the stack's Region (``aws``, ``aws-cn``, ``aws-us-gov`` ...)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from modules.regions import dns_suffix, known_regions, partition
from rules.model import Stack, literal_parts, strings
from rules.registry import rule

__all__ = ["endpoint_suffixes", "literal_arn_partitions"]

_ARN = re.compile(r"(?<![\w-])arn:([a-z][a-z0-9-]*):")
# A host under a service endpoint domain: ``123.dkr.ecr.us-west-2.amazonaws.com(.cn)``, or any
# ``https://....amazonaws.com(.cn)`` address. Service principals (``ecs-tasks.amazonaws.com``)
# keep ``amazonaws.com`` in every partition, so only endpoints are read.
_ENDPOINT = re.compile(
    r"(?:\.dkr\.ecr\.[a-z0-9-]+|https?://[a-z0-9.-]+?)\.(amazonaws\.com(?:\.cn)?)\b"
)


def literal_arn_partitions(value: str) -> list[str]:
    """The partition of every ARN written literally in ``value`` (``arn:${...}`` is not)."""
    return [m.group(1) for part in literal_parts(value) for m in _ARN.finditer(part)]


def endpoint_suffixes(value: str) -> list[str]:
    """The DNS suffix of every service endpoint host written literally in ``value``."""
    return [m.group(1) for part in literal_parts(value) for m in _ENDPOINT.finditer(part)]


@rule(
    "partition",
    "ARNs and endpoints in the Region's partition",
    source="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns",
    quote="Each AWS account is scoped to one partition.",
)
def partition_literals(stack: Stack) -> Iterator[tuple[str, str]]:
    """Every literal ``arn:<partition>:`` and every literal endpoint suffix, in every resource
    and data source, against the partition and DNS suffix of the provider's Region."""
    region = stack.region
    if region is None or region not in known_regions():
        return
    wanted, suffix = partition(region), dns_suffix(region)
    for block in stack.blocks.values():
        for text in strings(block.body):
            for found in sorted(set(literal_arn_partitions(text)) - {wanted}):
                yield block.address, f"ARN in partition {found!r}; {region} is in {wanted!r}"
            for found in sorted(set(endpoint_suffixes(text)) - {suffix}):
                yield block.address, f"endpoint under {found!r}; {region} uses {suffix!r}"
