"""The subnet CIDRs: each a /16 to /28 inside its VPC, none overlapping another, the load
balancer's at least a /27, and in a VPC that already exists, free there."""

from __future__ import annotations

import ipaddress
from typing import Any

from scripts.preflight.aws import paged
from scripts.preflight.context import Context
from scripts.preflight.report import Row, words
from scripts.preflight.stack import literal, networks, where_of

# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer:
# each load balancer subnet is at least a /27 (with at least 8 free addresses).
ALB_MIN_SUBNET_PREFIX = 27
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html: an IPv4 subnet
# is between a /28 and a /16, inside its VPC's CIDR blocks, and overlaps no other subnet.
SUBNET_PREFIXES = (16, 28)


def check_subnets(ctx: Context) -> list[Row]:
    """The subnets fit their VPC and each other; in a VPC that exists, they are free there."""
    name = "subnet CIDRs"
    stack = ctx.stack
    problems: list[str] = []
    notes: list[str] = []
    vpc_blocks: dict[str, list[Any]] = {}
    for vpc in stack.resources("aws_vpc"):
        vpc_blocks[vpc.address] = networks(vpc)
    for association in stack.resources("aws_vpc_ipv4_cidr_block_association"):
        owner = stack.target(association.get("vpc_id"))
        if owner is not None:
            vpc_blocks.setdefault(owner.address, []).extend(networks(association))
    subnets = [(s, networks(s)) for s in stack.resources("aws_subnet")]
    existing: dict[str, list[Any]] = {}
    for subnet, nets in subnets:
        if not nets:
            continue
        net = nets[0]
        low, high = SUBNET_PREFIXES
        if not low <= net.prefixlen <= high:
            problems.append(f"{where_of(subnet)} {net} is not between a /{low} and a /{high}")
        owner = stack.target(subnet.get("vpc_id"))
        vpc_id = literal(subnet.get("vpc_id"))
        if owner is not None:
            blocks = vpc_blocks.get(owner.address, [])
            if blocks and not any(net.version == b.version and net.subnet_of(b) for b in blocks):
                problems.append(f"{where_of(subnet)} {net} is outside {words(map(str, blocks))}")
        elif vpc_id:
            existing.setdefault(vpc_id, []).append((subnet, net))
    for index, (subnet, nets) in enumerate(subnets):
        for other, other_nets in subnets[index + 1 :]:
            if (
                nets
                and other_nets
                and subnet.get("vpc_id") == other.get("vpc_id")
                and nets[0].version == other_nets[0].version
                and nets[0].overlaps(other_nets[0])
            ):
                problems.append(f"{where_of(subnet)} {nets[0]} overlaps {where_of(other)}")
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer
    for lb in stack.resources("aws_lb"):
        for subnet in stack.references(lb.get("subnets")):
            for net in networks(subnet):
                if net.prefixlen > ALB_MIN_SUBNET_PREFIX:
                    problems.append(
                        f"{where_of(subnet)} {net} holds a load balancer and is smaller than a "
                        f"/{ALB_MIN_SUBNET_PREFIX}"
                    )
    ec2 = ctx.aws.client("ec2")
    for vpc_id, members in existing.items():
        found = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"]
        if not found:
            problems.append(f"VPC {vpc_id} does not exist in {ctx.aws.region}")
            continue
        blocks = [
            ipaddress.ip_network(a["CidrBlock"])
            for a in found[0].get("CidrBlockAssociationSet", [])
            if a.get("CidrBlockState", {}).get("State", "associated") == "associated"
        ] or [ipaddress.ip_network(found[0]["CidrBlock"])]
        taken = [
            ipaddress.ip_network(s["CidrBlock"])
            for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
                "Subnets"
            ]
        ]
        for subnet, net in members:
            if not any(net.subnet_of(b) for b in blocks if b.version == net.version):
                problems.append(f"{where_of(subnet)} {net} is outside {vpc_id}")
            clash = [str(t) for t in taken if t.version == net.version and t.overlaps(net)]
            if clash:
                problems.append(f"{where_of(subnet)} {net} overlaps subnets of {vpc_id}: {clash}")
    # https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html: VPCs with
    # overlapping CIDR blocks cannot be peered; not an error for this deployment, only noted.
    ours = [b for blocks in vpc_blocks.values() for b in blocks]
    if ours:
        overlapping = [
            f"{v['VpcId']} ({v['CidrBlock']})"
            for v in paged(ec2, "describe_vpcs", "Vpcs")
            if any(ipaddress.ip_network(v["CidrBlock"]).overlaps(b) for b in ours if b.version == 4)
        ]
        if overlapping:
            notes.append(f"overlaps {words(overlapping)} (no peering with them)")
    if problems:
        return [
            Row(
                name,
                "fail",
                "; ".join(problems),
                "change vpc_main_cidr and the *_subnets_cidr_list keys so that every subnet "
                "is a /16 to /28 inside the VPC, free, overlapping no other, and the load "
                f"balancer's at least a /{ALB_MIN_SUBNET_PREFIX}",
            )
        ]
    count = sum(1 for _, nets in subnets if nets)
    where = words(map(str, ours)) if ours else "existing VPCs"
    detail = f"{count} subnets fit {where}, none overlapping"
    if existing:
        detail += f"; free in {words(existing)}"
    return [Row(name, "pass", "; ".join([detail, *notes]))]
