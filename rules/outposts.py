"""Outposts placement: what runs in an Outposts subnet (an ``aws_subnet`` with ``outpost_arn``)
only as AWS supports it there."""

from __future__ import annotations

from collections.abc import Iterator

from modules.aws_facts import OUTPOSTS_EBS_VOLUME_TYPES
from rules.model import Block, Stack
from rules.registry import rule

__all__ = ["on_outpost", "outposts_subnets"]

_LOAD_BALANCERS = ("aws_lb", "aws_alb")


def outposts_subnets(stack: Stack) -> set[str]:
    """Addresses of the subnets the stack creates on an Outpost."""
    return {s.address for s in stack.resources("aws_subnet") if s.get("outpost_arn")}


def on_outpost(stack: Stack, value: object) -> list[Block]:
    """The Outposts subnets a value (a list of subnet ids, say) refers to."""
    subnets = outposts_subnets(stack)
    return [b for b in stack.references(value) if b.address in subnets]


def _subnet_values(lb: Block) -> list[object]:
    mappings = lb.get("subnet_mapping") or []
    return list(lb.get("subnets") or []) + [
        m.get("subnet_id") for m in mappings if isinstance(m, dict)
    ]


@rule(
    "outposts.alb-one-subnet",
    "A load balancer on an Outpost in its one Outposts subnet",
    source=(
        "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/elasticloadbalancingv2/"
        "aws.sdk.kotlin.services.elasticloadbalancingv2.model/-create-load-balancer-request/"
        "subnets.html"
    ),
    quote="[Application Load Balancers on Outposts] You must specify one Outpost subnet.",
    emulator=(
        "The Outposts responder makes the Outposts subnet (CreateSubnet keeps OutpostArn); "
        "moto takes a load balancer in any number of subnets, Outposts or not."
    ),
)
def alb_one_subnet(stack: Stack) -> Iterator[tuple[str, str]]:
    for type_name in _LOAD_BALANCERS:
        for lb in stack.resources(type_name):
            subnets = _subnet_values(lb)
            if on_outpost(stack, subnets) and len(subnets) != 1:
                yield (
                    lb.address,
                    (
                        f"{len(subnets)} subnets, among them an Outposts subnet; a load balancer "
                        "on an Outpost takes exactly one subnet, the Outposts subnet"
                    ),
                )


@rule(
    "outposts.alb-coip-pool",
    "Customer-owned IP pool only, and then, on an Outpost",
    source="https://docs.amazonaws.cn/goto/WebAPI/elasticloadbalancingv2-2015-12-01/CreateLoadBalancer",
    quote=(
        "[Application Load Balancers on Outposts] The ID of the customer-owned address pool "
        "(CoIP pool)."
    ),
    emulator=(
        "The Outposts responder answers DescribeCoipPools for the vars file's Outpost and the "
        "ELBv2 shim stores CustomerOwnedIpv4Pool; neither checks where the pool may be used."
    ),
)
def alb_coip_pool(stack: Stack) -> Iterator[tuple[str, str]]:
    """``customer_owned_ipv4_pool`` only on a load balancer in an Outposts subnet; and an
    internet-facing load balancer on an Outpost of a stack that looks up a CoIP pool sets it."""
    pools = stack.data("aws_ec2_coip_pool")
    for type_name in _LOAD_BALANCERS:
        for lb in stack.resources(type_name):
            outpost = bool(on_outpost(stack, _subnet_values(lb)))
            pool = lb.get("customer_owned_ipv4_pool")
            if pool and not outpost:
                yield (
                    lb.address,
                    f"customer_owned_ipv4_pool {pool!r} on a load balancer outside an Outpost",
                )
            internal = lb.get("internal") in (True, "true")
            if outpost and pools and not pool and not internal:
                yield (
                    lb.address,
                    (
                        "internet-facing on an Outpost without customer_owned_ipv4_pool, although "
                        f"the stack looks up the CoIP pool {pools[0].address}"
                    ),
                )


def _fargate(service: Block) -> bool:
    if str(service.get("launch_type", "")).upper() == "FARGATE":
        return True
    strategy = service.get("capacity_provider_strategy") or []
    return any(
        str((s or {}).get("capacity_provider", "")).upper() in ("FARGATE", "FARGATE_SPOT")
        for s in (strategy if isinstance(strategy, list) else [strategy])
    )


@rule(
    "outposts.no-fargate",
    "No Fargate on an Outpost",
    source="https://docs.amazonaws.cn/en_us/AmazonECS/latest/developerguide/using-outposts.html",
    quote="Amazon Fargate is not available on Amazon Outposts.",
    emulator="moto runs no task: a Fargate service in an Outposts subnet is accepted.",
)
def no_fargate(stack: Stack) -> Iterator[tuple[str, str]]:
    for service in stack.resources("aws_ecs_service"):
        subnets = on_outpost(stack, service.get("network_configuration"))
        if subnets and _fargate(service):
            yield service.address, f"runs on Fargate in the Outposts subnet {subnets[0].address}"


def _volume_types(template: Block) -> Iterator[str]:
    for mapping in template.get("block_device_mappings") or []:
        ebs = (mapping or {}).get("ebs") or {}
        ebs = ebs[0] if isinstance(ebs, list) and ebs else ebs
        if isinstance(ebs, dict) and ebs.get("volume_type"):
            yield str(ebs["volume_type"])


@rule(
    "outposts.ebs-volume-type",
    "EBS volume types an Outposts rack serves",
    source="https://docs.amazonaws.cn/en_us/eks/latest/userguide/eks-outposts-local-cluster-create.html",
    quote="Outposts support Amazon EBS gp2 volumes only.",
    emulator=(
        "The EC2 instances shim sizes the container instances' volumes; moto creates a "
        "volume of any type in an Outposts subnet."
    ),
)
def ebs_volume_type(stack: Stack) -> Iterator[tuple[str, str]]:
    """Block devices of launch templates that an Auto Scaling group launches into an Outposts
    subnet, and root and EBS volumes of instances in one, are of a type in
    ``modules.aws_facts.OUTPOSTS_EBS_VOLUME_TYPES``."""
    allowed = ", ".join(OUTPOSTS_EBS_VOLUME_TYPES)
    for group in stack.resources("aws_autoscaling_group"):
        if not on_outpost(stack, group.get("vpc_zone_identifier")):
            continue
        for template in stack.references(
            {k: group.get(k) for k in ("launch_template", "mixed_instances_policy")}
        ):
            if template.type != "aws_launch_template":
                continue
            for volume_type in _volume_types(template):
                if volume_type not in OUTPOSTS_EBS_VOLUME_TYPES:
                    yield (
                        template.address,
                        (
                            f"volume_type {volume_type!r} for instances of {group.address} on an "
                            f"Outpost; the Outpost serves {allowed}"
                        ),
                    )
    for instance in stack.resources("aws_instance"):
        if not on_outpost(stack, instance.get("subnet_id")):
            continue
        devices = [instance.get("root_block_device"), *(instance.get("ebs_block_device") or [])]
        for raw in devices:
            device = raw[0] if isinstance(raw, list) and raw else raw
            kind = device.get("volume_type") if isinstance(device, dict) else None
            if kind and kind not in OUTPOSTS_EBS_VOLUME_TYPES:
                yield (
                    instance.address,
                    f"volume_type {kind!r} on an Outpost; the Outpost serves {allowed}",
                )
