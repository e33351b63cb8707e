"""The deployment's synthesized Terraform JSON: loading the stack made from this very vars
file, reading its blocks (names as written, construct paths, CIDRs), and what in it launches
instances or takes customer-owned addresses."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from rules.model import Block, Stack, is_literal
from scripts.preflight.report import PreflightError
from vars_file import ConfigError, synthesized_stack


def one(value: Any) -> dict[str, Any]:
    """A nested block, written as an object or as a list of one."""
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def literal(value: Any) -> str | None:
    """A value that is a name as written: a non-empty string without interpolation."""
    return str(value) if is_literal(value) and value else None


def where_of(block: Block) -> str:
    """The block's construct path without the stack (``producer-outposts-ecs-alb/ecs_nodes``)."""
    path = str(one(block.get("//")).get("metadata", {}).get("path", ""))
    return path.split("/", 1)[1] if "/" in path else block.name


def networks(block: Block) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The block's ``cidr_block``, when it is written out."""
    cidr = literal(block.get("cidr_block"))
    return [ipaddress.ip_network(cidr, strict=False)] if cidr else []


def load_stack(vars_file: Path, outdir: Path) -> tuple[str, Stack]:
    """The deployment's name and its synthesized stack, made from this very vars file."""
    try:
        name, _, document = synthesized_stack(vars_file, outdir)
    except ConfigError as error:
        raise PreflightError(str(error)) from None
    return name, Stack(document, name)


def instance_consumers(stack: Stack) -> dict[str, list[str]]:
    """What launches instances, and the instance types each may launch."""
    consumers: dict[str, list[str]] = {}
    for group in stack.resources("aws_autoscaling_group"):
        template = one(one(group.get("mixed_instances_policy")).get("launch_template"))
        types = [literal(o.get("instance_type")) for o in many(template.get("override"))]
        if not any(types):
            spec = one(template.get("launch_template_specification")) or one(
                group.get("launch_template")
            )
            launch_template = stack.target(spec.get("launch_template_id") or spec.get("id"))
            if launch_template is not None:
                types = [literal(launch_template.get("instance_type"))]
        consumers[where_of(group)] = list(dict.fromkeys(t for t in types if t))
    for instance in stack.resources("aws_instance"):
        instance_type = literal(instance.get("instance_type"))
        if instance_type:
            consumers[where_of(instance)] = [instance_type]
    return {name: types for name, types in consumers.items() if types}


def coip_load_balancers(stack: Stack) -> list[Block]:
    """The load balancers that take their addresses from a customer-owned IP pool."""
    return [lb for lb in stack.resources("aws_lb") if lb.get("customer_owned_ipv4_pool")]
