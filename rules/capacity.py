"""ECS capacity providers on Auto Scaling groups: no instance weights, scale-in protection for
managed termination protection, no reserved name prefix, a managed scaling target AWS accepts."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from modules.alb_ecs_variables import RESERVED_CAPACITY_PROVIDER_PREFIXES
from rules.model import Block, Stack, is_literal
from rules.registry import rule

__all__ = ["capacity_provider_groups", "target_capacity_range"]

_ASG_PAGE = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/asg-capacity-providers.html"
)


def _one(value: Any) -> dict[str, Any]:
    """A nested block, written as an object or as a list of one."""
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def capacity_provider_groups(stack: Stack) -> Iterator[tuple[Block, Block]]:
    """(capacity provider, Auto Scaling group) for every provider whose group is in the stack."""
    for provider in stack.resources("aws_ecs_capacity_provider"):
        settings = _one(provider.get("auto_scaling_group_provider"))
        group = stack.target(settings.get("auto_scaling_group_arn"))
        if group is None:
            group = next(
                (
                    g
                    for g in stack.resources("aws_autoscaling_group")
                    if g.get("name") == settings.get("auto_scaling_group_arn")
                ),
                None,
            )
        if group is not None and group.type == "aws_autoscaling_group":
            yield provider, group


@rule(
    "capacity.no-instance-weights",
    "No instance weights in a capacity provider's group",
    source=_ASG_PAGE,
    quote=(
        "The Auto Scaling group can't have instance weighting settings. Instance weighting "
        "isn't supported when used with an Amazon ECS capacity provider."
    ),
    emulator=(
        "moto stores instance weights and runs no managed scaling, so the group of the "
        "sample (70/20/10 against max_size 3) applied without a complaint."
    ),
)
def no_instance_weights(stack: Stack) -> Iterator[tuple[str, str]]:
    """Every ``mixed_instances_policy.launch_template.override`` of the group has no
    ``weighted_capacity`` or a weight of 1."""
    for provider, group in capacity_provider_groups(stack):
        policy = _one(group.get("mixed_instances_policy"))
        template = _one(policy.get("launch_template"))
        overrides = template.get("override") or []
        for override in overrides if isinstance(overrides, list) else [overrides]:
            weight = (override or {}).get("weighted_capacity")
            if weight is not None and str(weight) != "1":
                yield (
                    group.address,
                    (
                        f"{override.get('instance_type', 'an override')} has weighted_capacity "
                        f"{weight}; the group serves the capacity provider {provider.address}"
                    ),
                )


@rule(
    "capacity.termination-protection",
    "Managed termination protection needs scale-in protection",
    source="https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AutoScalingGroupProviderUpdate.html",
    quote=(
        "The Auto Scaling group and each instance in the Auto Scaling group must have instance "
        "protection from scale-in actions on."
    ),
)
def termination_protection(stack: Stack) -> Iterator[tuple[str, str]]:
    for provider, group in capacity_provider_groups(stack):
        settings = _one(provider.get("auto_scaling_group_provider"))
        if str(settings.get("managed_termination_protection", "")).upper() != "ENABLED":
            continue
        if group.get("protect_from_scale_in") not in (True, "true"):
            yield (
                group.address,
                (
                    f"protect_from_scale_in is not true, but {provider.address} turns managed "
                    "termination protection on"
                ),
            )


@rule(
    "capacity.reserved-prefix",
    "Capacity provider names without a reserved prefix",
    source="https://docs.amazonaws.cn/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html",
    quote='The name can\'t be prefixed with "aws", "ecs", or "fargate".',
)
def reserved_prefix(stack: Stack) -> Iterator[tuple[str, str]]:
    for provider in stack.resources("aws_ecs_capacity_provider"):
        name = provider.get("name")
        if is_literal(name) and str(name).lower().startswith(RESERVED_CAPACITY_PROVIDER_PREFIXES):
            yield (
                provider.address,
                (
                    f"name {name!r} starts with a reserved prefix "
                    f"({', '.join(RESERVED_CAPACITY_PROVIDER_PREFIXES)})"
                ),
            )


@functools.cache
def target_capacity_range() -> tuple[int, int]:
    """The managed scaling target capacity AWS accepts, from botocore's ECS model."""
    import botocore.session
    from botocore.model import StructureShape

    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.shape_for("ManagedScaling")
    assert isinstance(shape, StructureShape)
    meta = shape.members["targetCapacity"].metadata
    return int(meta["min"]), int(meta["max"])


@rule(
    "capacity.target-capacity",
    "Managed scaling target capacity in range",
    source="https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedScaling.html",
    quote=("The specified value must be greater than 0 and less than or equal to 100."),
)
def target_capacity(stack: Stack) -> Iterator[tuple[str, str]]:
    low, high = target_capacity_range()
    for provider in stack.resources("aws_ecs_capacity_provider"):
        scaling = _one(_one(provider.get("auto_scaling_group_provider")).get("managed_scaling"))
        value = scaling.get("target_capacity")
        if isinstance(value, (int, float)) and not low <= value <= high:
            yield provider.address, f"target_capacity {value} is outside {low} to {high}"
