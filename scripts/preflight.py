"""Preflight: read-only checks of the AWS account a deployment is about to be applied to.

    python scripts/preflight.py --vars-file vars/prod.tfvars.json [--account 123456789012]
    make preflight VARS_FILE=vars/prod.tfvars.json    # synthesizes the deployment first

With the operator's credentials, in the deployment's Region, it checks what the first apply
needs and Terraform cannot see before it starts creating: the credentials' account; the Outpost
(ACTIVE), the instance types of the Auto Scaling group and the test client (offered on it and,
where CloudWatch has the Outposts capacity metrics, with free capacity), the local gateway, its
route table and the CoIP pool (with free addresses for the ALB); the subnet CIDRs; the globally
named S3 buckets (free or the account's own); every name the deployment would create (not
taken); the NAT gateway, Elastic IP, VPC and endpoint quotas. Region mode skips the Outpost
rows. What the deployment creates is read from its synthesized Terraform JSON
(``cdktf.out/stacks/<deployment>/cdk.tf.json``), so the names are the ones it would apply.

Only Describe, Get, List, Head and BatchGet calls are made: any other operation is refused
before it is sent. A table of the checks goes to stdout (``--format json`` for a JSON
document), progress to stderr. Exit status: 0 when no check failed, 1 when one did, 2 when the
checks could not run (an unreadable vars file, no synthesized JSON, no usable credentials).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import ipaddress
import json
import os
import re
import shutil
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rules.model import Block, Stack, is_literal  # noqa: E402
from variables import RootVariables  # noqa: E402
from vars_file import ConfigError, deployment_name, load_variables  # noqa: E402

Result = Literal["pass", "fail", "skip"]
_READ_ONLY = re.compile(r"^(Describe|Get|List|Head|BatchGet)[A-Z]")
_ACCOUNT = re.compile(r"^\d{12}$")
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "Forbidden",
}

# https://docs.aws.amazon.com/outposts/latest/APIReference/API_Outpost.html documents
# LifeCycleStatus as a string without listing its values; an Outpost in service is ACTIVE, and
# anything else is not taken as usable here.
OUTPOST_USABLE = "ACTIVE"
# https://docs.aws.amazon.com/outposts/latest/userguide/outposts-cloudwatch-metrics.html:
# AWS/Outposts, InstanceTypeCapacityAvailability (percent of the instance type's capacity
# available), dimensions InstanceType and OutpostId, at most every 5 minutes.
CAPACITY_NAMESPACE = "AWS/Outposts"
CAPACITY_METRIC = "InstanceTypeCapacityAvailability"
CAPACITY_WINDOW = datetime.timedelta(hours=3)
# An ALB on an Outpost takes its addresses from the customer-owned pool it names
# (CustomerOwnedIpv4Pool of
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html).
# AWS names no count of pool addresses an ALB needs: the pool is held to the 8 free addresses
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer
# asks of each load balancer subnet (with at least a /27) so that the load balancer can scale.
ALB_FREE_ADDRESSES = 8
ALB_MIN_SUBNET_PREFIX = 27
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html: an IPv4 subnet
# is between a /28 and a /16, inside its VPC's CIDR blocks, and overlaps no other subnet.
SUBNET_PREFIXES = (16, 28)


@dataclass
class Row:
    """One check: what it looked at, its result, what it found and, failed, what to do."""

    check: str
    result: Result
    detail: str
    fix: str = ""


class PreflightError(Exception):
    """The checks cannot run at all (exit status 2); the message says why."""


class WriteRefused(Exception):
    """An operation that is not read-only was about to be sent."""


def _refuse_writes(model: Any, **_: Any) -> None:
    if not _READ_ONLY.match(model.name):
        raise WriteRefused(f"{model.service_model.service_name}:{model.name} is not read-only")


class Aws:
    """boto3 clients of one Region, each refusing every call that is not read-only."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.session = boto3.session.Session(region_name=region)
        self.config = Config(
            retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30
        )
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self.session.client(service, config=self.config)  # type: ignore[call-overload]
            client.meta.events.register("before-call", _refuse_writes)
            self._clients[service] = client
        return self._clients[service]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _one(value: Any) -> dict[str, Any]:
    """A nested block, written as an object or as a list of one."""
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _literal(value: Any) -> str | None:
    """A value that is a name as written: a non-empty string without interpolation."""
    return str(value) if is_literal(value) and value else None


def _where(block: Block) -> str:
    """The block's construct path without the stack (``producer-outposts-ecs-alb/ecs_nodes``)."""
    path = str(_one(block.get("//")).get("metadata", {}).get("path", ""))
    return path.split("/", 1)[1] if "/" in path else block.name


def _words(items: Iterable[str]) -> str:
    listed = list(items)
    return ", ".join(listed) if listed else "none"


@dataclass
class Context:
    """What every check reads, and what the earlier checks found for the later ones."""

    variables: RootVariables
    stack: Stack
    aws: Aws
    expected_account: str | None
    expected_from: str = "the owner in outposts_arn"
    account: str = ""
    outpost: dict[str, Any] | None = None
    local_gateway_id: str | None = None
    route_table_id: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def on_outpost(self) -> bool:
        return bool(self.variables.outposts_arn)

    @property
    def outpost_id(self) -> str:
        return self.variables.outposts_arn.rsplit("/", 1)[-1]


# The account -------------------------------------------------------------------------------


def caller_account(aws: Aws) -> str:
    """The account of the credentials; no usable credentials is a PreflightError."""
    try:
        identity = aws.client("sts").get_caller_identity()
    except NoCredentialsError:
        raise PreflightError(
            "no AWS credentials found: set AWS_PROFILE (or the AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY variables) to the operator's credentials"
        ) from None
    except ClientError as error:
        raise PreflightError(
            f"AWS refused the credentials ({error_code(error)}): "
            f"{error.response.get('Error', {}).get('Message', '')}"
        ) from None
    except BotoCoreError as error:
        raise PreflightError(f"cannot ask AWS STS who the credentials are: {error}") from None
    return str(identity["Account"])


def check_account(ctx: Context) -> list[Row]:
    expected = ctx.expected_account
    if expected is None:
        return [
            Row(
                "account",
                "pass",
                f"the credentials are account {ctx.account} (no expected account: pass "
                "--account to check it)",
            )
        ]
    source = ctx.expected_from
    if ctx.account == expected:
        return [Row("account", "pass", f"the credentials are account {expected} ({source})")]
    return [
        Row(
            "account",
            "fail",
            f"the credentials are account {ctx.account}, expected {expected} ({source})",
            f"use credentials of account {expected} (AWS_PROFILE=...); if the Outpost is "
            "shared with this account through AWS RAM, pass --account "
            f"{ctx.account}",
        )
    ]


# The Outpost -------------------------------------------------------------------------------

_REGION_MODE = "Region mode: outposts_arn is empty"


def check_outpost(ctx: Context) -> list[Row]:
    if not ctx.on_outpost:
        return [Row("Outpost", "skip", _REGION_MODE)]
    arn = ctx.variables.outposts_arn
    try:
        outpost = ctx.aws.client("outposts").get_outpost(OutpostId=arn)["Outpost"]
    except ClientError as error:
        if error_code(error) not in ("NotFoundException", "ValidationException"):
            raise
        return [
            Row(
                "Outpost",
                "fail",
                f"{ctx.outpost_id} not found by account {ctx.account} in {ctx.aws.region}",
                "check outposts_arn: `aws outposts list-outposts` lists the Outposts this "
                "account sees (an Outpost of another account must be shared with it through "
                "AWS RAM)",
            )
        ]
    ctx.outpost = outpost
    status = str(outpost.get("LifeCycleStatus", ""))
    where = f"{ctx.outpost_id} ({outpost.get('Name', '')}, {outpost.get('AvailabilityZone', '')})"
    if status != OUTPOST_USABLE:
        return [
            Row(
                "Outpost",
                "fail",
                f"{where} is {status or 'without a status'}, not {OUTPOST_USABLE}",
                f"deploy when the Outpost is {OUTPOST_USABLE} (its status is in the AWS "
                "Outposts console), or set outposts_arn to an Outpost that is",
            )
        ]
    return [Row("Outpost", "pass", f"{where} is {status} in {ctx.aws.region}")]


def instance_consumers(stack: Stack) -> dict[str, list[str]]:
    """What launches instances, and the instance types each may launch."""
    consumers: dict[str, list[str]] = {}
    for group in stack.resources("aws_autoscaling_group"):
        template = _one(_one(group.get("mixed_instances_policy")).get("launch_template"))
        types = [_literal(o.get("instance_type")) for o in _many(template.get("override"))]
        if not any(types):
            spec = _one(template.get("launch_template_specification")) or _one(
                group.get("launch_template")
            )
            launch_template = stack.target(spec.get("launch_template_id") or spec.get("id"))
            if launch_template is not None:
                types = [_literal(launch_template.get("instance_type"))]
        consumers[_where(group)] = list(dict.fromkeys(t for t in types if t))
    for instance in stack.resources("aws_instance"):
        instance_type = _literal(instance.get("instance_type"))
        if instance_type:
            consumers[_where(instance)] = [instance_type]
    return {name: types for name, types in consumers.items() if types}


def check_instance_types(ctx: Context) -> list[Row]:
    name = "instance types offered"
    if not ctx.on_outpost:
        return [Row(name, "skip", _REGION_MODE)]
    if ctx.outpost is None:
        return [Row(name, "skip", "no Outpost to ask (see the Outpost row)")]
    consumers = instance_consumers(ctx.stack)
    needed = list(dict.fromkeys(t for types in consumers.values() for t in types))
    if not needed:
        return [Row(name, "pass", "the deployment launches no EC2 instances")]
    outposts = ctx.aws.client("outposts")
    offered: list[str] = []
    token: str | None = None
    while True:
        # https://docs.aws.amazon.com/outposts/latest/APIReference/API_GetOutpostInstanceTypes.html
        page = outposts.get_outpost_instance_types(
            OutpostId=ctx.variables.outposts_arn, **({"NextToken": token} if token else {})
        )
        offered += [str(t["InstanceType"]) for t in page.get("InstanceTypes", [])]
        token = page.get("NextToken")
        if not token:
            break
    missing = {where: [t for t in types if t not in offered] for where, types in consumers.items()}
    missing = {where: types for where, types in missing.items() if types}
    if missing:
        lacking = "; ".join(f"{_words(types)} (for {where})" for where, types in missing.items())
        return [
            Row(
                name,
                "fail",
                f"not offered on {ctx.outpost_id}: {lacking}; it offers {_words(offered)}",
                "use types the Outpost offers (`aws outposts get-outpost-instance-types "
                f"--outpost-id {ctx.outpost_id}`): ec2_instance_type for the test client, "
                "ecs_instance_type and ecs_asg_override_config of the alb-ecs module for the "
                "group",
            )
        ]
    return [Row(name, "pass", f"{_words(needed)} offered on {ctx.outpost_id}")]


def _latest_availability(ctx: Context, instance_type: str) -> float | None:
    now = datetime.datetime.now(datetime.UTC)
    answer = ctx.aws.client("cloudwatch").get_metric_statistics(
        Namespace=CAPACITY_NAMESPACE,
        MetricName=CAPACITY_METRIC,
        Dimensions=[
            {"Name": "OutpostId", "Value": ctx.outpost_id},
            {"Name": "InstanceType", "Value": instance_type},
        ],
        StartTime=now - CAPACITY_WINDOW,
        EndTime=now,
        Period=300,
        Statistics=["Average"],
    )
    points = sorted(answer.get("Datapoints", []), key=lambda p: p["Timestamp"])
    return float(points[-1]["Average"]) if points else None


def check_capacity(ctx: Context) -> list[Row]:
    name = "instance capacity"
    if not ctx.on_outpost:
        return [Row(name, "skip", _REGION_MODE)]
    if ctx.outpost is None:
        return [Row(name, "skip", "no Outpost to ask (see the Outpost row)")]
    consumers = instance_consumers(ctx.stack)
    types = list(dict.fromkeys(t for ts in consumers.values() for t in ts))
    free = {t: _latest_availability(ctx, t) for t in types}
    if all(value is None for value in free.values()):
        return [
            Row(
                name,
                "skip",
                f"CloudWatch has no {CAPACITY_METRIC} for {_words(types)} on "
                f"{ctx.outpost_id} in the last {CAPACITY_WINDOW.seconds // 3600} hours",
            )
        ]
    shown = _words(f"{t} {'no data' if v is None else f'{v:g}% free'}" for t, v in free.items())
    full = [
        where
        for where, ts in consumers.items()
        if all(free[t] is not None and free[t] == 0 for t in ts)
    ]
    if full:
        return [
            Row(
                name,
                "fail",
                f"no free capacity for {_words(full)}: {shown}",
                "free capacity on the Outpost (stop or move instances, or change its capacity "
                "configuration with a capacity task), or use instance types that have some",
            )
        ]
    return [Row(name, "pass", shown)]


def check_local_gateway(ctx: Context) -> list[Row]:
    name = "local gateway"
    if not ctx.on_outpost:
        return [Row(name, "skip", _REGION_MODE)]
    if ctx.outpost is None:
        return [Row(name, "skip", "no Outpost to ask (see the Outpost row)")]
    ec2 = ctx.aws.client("ec2")
    arn = ctx.variables.outposts_arn
    wanted = ctx.variables.outposts_local_gateway_id
    gateways = ec2.describe_local_gateways(Filters=[{"Name": "outpost-arn", "Values": [arn]}])[
        "LocalGateways"
    ]
    ids = [str(g["LocalGatewayId"]) for g in gateways]
    if wanted and wanted not in ids:
        return [
            Row(
                name,
                "fail",
                f"outposts_local_gateway_id {wanted} is not a local gateway of "
                f"{ctx.outpost_id} (it has {_words(ids)})",
                "set outposts_local_gateway_id to the Outpost's local gateway (`aws ec2 "
                f"describe-local-gateways --filters Name=outpost-arn,Values={arn}`)",
            )
        ]
    if len(ids) != 1:
        return [
            Row(
                name,
                "fail",
                f"{ctx.outpost_id} has {len(ids)} local gateways ({_words(ids)}); the "
                "deployment looks up exactly one",
                "ask the Outpost's owner: a rack Outpost has one local gateway once it is "
                "installed",
            )
        ]
    (gateway,) = gateways
    state = str(gateway.get("State", ""))
    ctx.local_gateway_id = ids[0]
    if state and state != "available":
        return [
            Row(
                name,
                "fail",
                f"{ids[0]} is {state}",
                "wait until the local gateway is available",
            )
        ]
    return [Row(name, "pass", f"{ids[0]} of {ctx.outpost_id}")]


def check_route_table(ctx: Context) -> list[Row]:
    name = "local gateway route table"
    if not ctx.on_outpost:
        return [Row(name, "skip", _REGION_MODE)]
    if ctx.local_gateway_id is None:
        return [Row(name, "skip", "no local gateway (see the row above)")]
    tables = ctx.aws.client("ec2").describe_local_gateway_route_tables(
        Filters=[{"Name": "outpost-arn", "Values": [ctx.variables.outposts_arn]}]
    )["LocalGatewayRouteTables"]
    ids = [str(t["LocalGatewayRouteTableId"]) for t in tables]
    if len(ids) != 1:
        return [
            Row(
                name,
                "fail",
                f"{ctx.outpost_id} has {len(ids)} local gateway route tables "
                f"({_words(ids)}); the deployment looks up the Outpost's one",
                "ask the Outpost's owner: the deployment associates its VPC with the "
                "Outpost's only local gateway route table",
            )
        ]
    (table,) = tables
    if table.get("LocalGatewayId") not in (None, ctx.local_gateway_id):
        return [
            Row(
                name,
                "fail",
                f"{ids[0]} belongs to {table.get('LocalGatewayId')}, not {ctx.local_gateway_id}",
                "ask the Outpost's owner to check the local gateway's route table",
            )
        ]
    ctx.route_table_id = ids[0]
    mode = f", {table['Mode']} mode" if table.get("Mode") else ""
    return [Row(name, "pass", f"{ids[0]} of {ctx.local_gateway_id}{mode}")]


def coip_load_balancers(stack: Stack) -> list[Block]:
    return [lb for lb in stack.resources("aws_lb") if lb.get("customer_owned_ipv4_pool")]


def check_coip_pool(ctx: Context) -> list[Row]:
    name = "CoIP pool"
    if not ctx.on_outpost:
        return [Row(name, "skip", _REGION_MODE)]
    balancers = coip_load_balancers(ctx.stack)
    if not balancers:
        return [Row(name, "pass", "no load balancer of the deployment takes customer-owned IPs")]
    if ctx.route_table_id is None:
        return [Row(name, "skip", "no local gateway route table (see the rows above)")]
    ec2 = ctx.aws.client("ec2")
    pools = ec2.describe_coip_pools(
        Filters=[{"Name": "coip-pool.local-gateway-route-table-id", "Values": [ctx.route_table_id]}]
    )["CoipPools"]
    ids = [str(p["PoolId"]) for p in pools]
    if len(ids) != 1:
        return [
            Row(
                name,
                "fail",
                f"{ctx.route_table_id} has {len(ids)} CoIP pools ({_words(ids)}); the "
                "deployment looks up exactly one",
                "ask the Outpost's owner for a customer-owned IP pool on the local gateway "
                "route table (the deployment takes the table's only pool)",
            )
        ]
    (pool,) = pools
    cidrs = [str(c) for c in pool.get("PoolCidrs", [])]
    total = sum(ipaddress.ip_network(c, strict=False).num_addresses for c in cidrs)
    used = 0
    token: str | None = None
    while True:
        # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetCoipPoolUsage.html:
        # the pool's allocations, each with its address and who holds it.
        page = ec2.get_coip_pool_usage(PoolId=ids[0], **({"NextToken": token} if token else {}))
        used += sum(
            1
            for usage in page.get("CoipAddressUsages", [])
            if usage.get("AllocationId") or usage.get("AwsAccountId") or usage.get("AwsService")
        )
        token = page.get("NextToken")
        if not token:
            break
    free = total - used
    needed = ALB_FREE_ADDRESSES * len(balancers)
    detail = (
        f"{ids[0]} ({_words(cidrs)}): {total} addresses, {used} in use, {free} free; "
        f"{len(balancers)} load balancer(s) need {needed}"
    )
    if free < needed:
        return [
            Row(
                name,
                "fail",
                detail,
                "release customer-owned addresses of the pool (`aws ec2 get-coip-pool-usage "
                f"--pool-id {ids[0]}` lists who holds them), or ask the Outpost's owner to add "
                "a CIDR to the pool",
            )
        ]
    return [Row(name, "pass", detail)]


# The network -------------------------------------------------------------------------------


def _networks(block: Block) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    cidr = _literal(block.get("cidr_block"))
    return [ipaddress.ip_network(cidr, strict=False)] if cidr else []


def check_subnets(ctx: Context) -> list[Row]:
    """The subnets fit their VPC and each other; in a VPC that exists, they are free there."""
    name = "subnet CIDRs"
    stack = ctx.stack
    problems: list[str] = []
    notes: list[str] = []
    vpc_blocks: dict[str, list[Any]] = {}
    for vpc in stack.resources("aws_vpc"):
        vpc_blocks[vpc.address] = _networks(vpc)
    for association in stack.resources("aws_vpc_ipv4_cidr_block_association"):
        owner = stack.target(association.get("vpc_id"))
        if owner is not None:
            vpc_blocks.setdefault(owner.address, []).extend(_networks(association))
    subnets = [(s, _networks(s)) for s in stack.resources("aws_subnet")]
    existing: dict[str, list[Any]] = {}
    for subnet, nets in subnets:
        if not nets:
            continue
        net = nets[0]
        low, high = SUBNET_PREFIXES
        if not low <= net.prefixlen <= high:
            problems.append(f"{_where(subnet)} {net} is not between a /{low} and a /{high}")
        owner = stack.target(subnet.get("vpc_id"))
        vpc_id = _literal(subnet.get("vpc_id"))
        if owner is not None:
            blocks = vpc_blocks.get(owner.address, [])
            if blocks and not any(net.version == b.version and net.subnet_of(b) for b in blocks):
                problems.append(f"{_where(subnet)} {net} is outside {_words(map(str, blocks))}")
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
                problems.append(f"{_where(subnet)} {nets[0]} overlaps {_where(other)}")
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer
    for lb in stack.resources("aws_lb"):
        for subnet in stack.references(lb.get("subnets")):
            for net in _networks(subnet):
                if net.prefixlen > ALB_MIN_SUBNET_PREFIX:
                    problems.append(
                        f"{_where(subnet)} {net} holds a load balancer and is smaller than a "
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
                problems.append(f"{_where(subnet)} {net} is outside {vpc_id}")
            clash = [str(t) for t in taken if t.version == net.version and t.overlaps(net)]
            if clash:
                problems.append(f"{_where(subnet)} {net} overlaps subnets of {vpc_id}: {clash}")
    # https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html: VPCs with
    # overlapping CIDR blocks cannot be peered; not an error for this deployment, only noted.
    ours = [b for blocks in vpc_blocks.values() for b in blocks]
    if ours:
        overlapping = [
            f"{v['VpcId']} ({v['CidrBlock']})"
            for v in _paged(ec2, "describe_vpcs", "Vpcs")
            if any(ipaddress.ip_network(v["CidrBlock"]).overlaps(b) for b in ours if b.version == 4)
        ]
        if overlapping:
            notes.append(f"overlaps {_words(overlapping)} (no peering with them)")
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
    where = _words(map(str, ours)) if ours else "existing VPCs"
    detail = f"{count} subnets fit {where}, none overlapping"
    if existing:
        detail += f"; free in {_words(existing)}"
    return [Row(name, "pass", "; ".join([detail, *notes]))]


def _paged(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    for page in paginator.paginate(**params):
        yield from page.get(key, [])


# Buckets -----------------------------------------------------------------------------------


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
        bucket = _literal(block.get("bucket"))
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
        parts.append(f"free: {_words(free)}")
    if own:
        parts.append(
            f"the account's own already: {_words(own)} (the apply stops on it unless this "
            "deployment's state holds it)"
        )
    if generated:
        parts.append(f"named by AWS at apply: {_words(p + '*' for p in generated)}")
    if taken:
        keys = [
            "s3_bucket_outposts_logging_name"
            if bucket == ctx.variables.s3_bucket_outposts_logging_name
            else f"the bucket of {_where(block)}"
            for block, bucket in named
            if bucket in taken
        ]
        return [
            Row(
                name,
                "fail",
                f"taken by another account: {_words(taken)}; " + "; ".join(parts),
                f"choose another name for {_words(keys)}: bucket names are global across all "
                "AWS accounts",
            )
        ]
    return [Row(name, "pass", "; ".join(parts) or "the deployment names no bucket")]


def check_state_bucket(ctx: Context) -> list[Row]:
    backend = _one((ctx.stack.document.get("terraform") or {}).get("backend", {}).get("s3"))
    bucket = _literal(backend.get("bucket"))
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


# Names -------------------------------------------------------------------------------------

Lookup = Callable[[Context, list[str]], list[str]]


def _each(call: Callable[[Context, str], Any], *missing: str) -> Lookup:
    """A lookup of one name at a time; ``missing`` are the error codes of a free name."""

    def taken(ctx: Context, names: list[str]) -> list[str]:
        found = []
        for name in names:
            try:
                call(ctx, name)
            except ClientError as error:
                if error_code(error) in missing:
                    continue
                raise
            found.append(name)
        return found

    return taken


def _ecs_clusters(ctx: Context, names: list[str]) -> list[str]:
    found = ctx.aws.client("ecs").describe_clusters(clusters=names)["clusters"]
    return [str(c["clusterName"]) for c in found if c.get("status") != "INACTIVE"]


def _capacity_providers(ctx: Context, names: list[str]) -> list[str]:
    found = ctx.aws.client("ecs").describe_capacity_providers(capacityProviders=names)
    return [
        str(p["name"]) for p in found.get("capacityProviders", []) if p.get("status") != "INACTIVE"
    ]


def _log_groups(ctx: Context, names: list[str]) -> list[str]:
    logs = ctx.aws.client("logs")
    taken = []
    for name in names:
        groups = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
        if any(g.get("logGroupName") == name for g in groups):
            taken.append(name)
    return taken


def _codebuild_projects(ctx: Context, names: list[str]) -> list[str]:
    found = ctx.aws.client("codebuild").batch_get_projects(names=names).get("projects", [])
    return [str(p["name"]) for p in found]


def _alarms(ctx: Context, names: list[str]) -> list[str]:
    found = ctx.aws.client("cloudwatch").describe_alarms(AlarmNames=names)
    alarms = found.get("MetricAlarms", []) + found.get("CompositeAlarms", [])
    return [str(a["AlarmName"]) for a in alarms]


def _auto_scaling_groups(ctx: Context, names: list[str]) -> list[str]:
    found = ctx.aws.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=names)
    return [str(g["AutoScalingGroupName"]) for g in found.get("AutoScalingGroups", [])]


def _iam_policy(ctx: Context, name: str) -> Any:
    partition = ctx.aws.session.get_partition_for_region(ctx.aws.region)
    arn = f"arn:{partition}:iam::{ctx.account}:policy/{name}"
    return ctx.aws.client("iam").get_policy(PolicyArn=arn)


@dataclass(frozen=True)
class NameKind:
    """Names of one kind the deployment gives, and how to find one already in use."""

    label: str
    resource_type: str
    attribute: str
    taken: Lookup


# Names unique in the account and Region (IAM: in the account). Names scoped to something the
# deployment creates itself (security groups in its VPC, services in its cluster) cannot clash.
NAME_KINDS = (
    NameKind("ECS cluster", "aws_ecs_cluster", "name", _ecs_clusters),
    NameKind("ECS capacity provider", "aws_ecs_capacity_provider", "name", _capacity_providers),
    NameKind(
        "load balancer",
        "aws_lb",
        "name",
        _each(
            lambda c, n: c.aws.client("elbv2").describe_load_balancers(Names=[n]),
            "LoadBalancerNotFound",
        ),
    ),
    NameKind(
        "target group",
        "aws_lb_target_group",
        "name",
        _each(
            lambda c, n: c.aws.client("elbv2").describe_target_groups(Names=[n]),
            "TargetGroupNotFound",
        ),
    ),
    NameKind("Auto Scaling group", "aws_autoscaling_group", "name", _auto_scaling_groups),
    NameKind(
        "launch template",
        "aws_launch_template",
        "name",
        _each(
            lambda c, n: c.aws.client("ec2").describe_launch_templates(LaunchTemplateNames=[n]),
            "InvalidLaunchTemplateName.NotFoundException",
        ),
    ),
    NameKind(
        "ECR repository",
        "aws_ecr_repository",
        "name",
        _each(
            lambda c, n: c.aws.client("ecr").describe_repositories(repositoryNames=[n]),
            "RepositoryNotFoundException",
        ),
    ),
    NameKind("CodeBuild project", "aws_codebuild_project", "name", _codebuild_projects),
    NameKind(
        "IAM role",
        "aws_iam_role",
        "name",
        _each(lambda c, n: c.aws.client("iam").get_role(RoleName=n), "NoSuchEntity"),
    ),
    NameKind(
        "IAM instance profile",
        "aws_iam_instance_profile",
        "name",
        _each(
            lambda c, n: c.aws.client("iam").get_instance_profile(InstanceProfileName=n),
            "NoSuchEntity",
        ),
    ),
    NameKind("IAM policy", "aws_iam_policy", "name", _each(_iam_policy, "NoSuchEntity")),
    NameKind("log group", "aws_cloudwatch_log_group", "name", _log_groups),
    NameKind(
        "Kinesis stream",
        "aws_kinesis_stream",
        "name",
        _each(
            lambda c, n: c.aws.client("kinesis").describe_stream_summary(StreamName=n),
            "ResourceNotFoundException",
        ),
    ),
    NameKind(
        "dashboard",
        "aws_cloudwatch_dashboard",
        "dashboard_name",
        _each(
            lambda c, n: c.aws.client("cloudwatch").get_dashboard(DashboardName=n),
            "ResourceNotFound",
            "ResourceNotFoundException",
        ),
    ),
    NameKind("alarm", "aws_cloudwatch_metric_alarm", "alarm_name", _alarms),
)


def check_names(ctx: Context) -> list[Row]:
    rows = []
    for kind in NAME_KINDS:
        names = list(
            dict.fromkeys(
                n
                for b in ctx.stack.resources(kind.resource_type)
                if (n := _literal(b.get(kind.attribute)))
            )
        )
        if not names:
            continue
        check = f"name: {kind.label}"
        try:
            taken = kind.taken(ctx, names)
        except (ClientError, BotoCoreError) as error:
            rows.append(_failed_call(check, error))
            continue
        if taken:
            rows.append(
                Row(
                    check,
                    "fail",
                    f"taken in account {ctx.account}, {ctx.aws.region}: {_words(taken)}",
                    f"the apply would fail on the {kind.label} or take over the one there: "
                    "delete it if it is a leftover, or change the vars file so that this "
                    "deployment's names differ from the other deployment's",
                )
            )
        else:
            rows.append(Row(check, "pass", f"free: {_words(names)}"))
    return rows


# Quotas ------------------------------------------------------------------------------------


def service_quota(ctx: Context, service: str, code: str) -> tuple[float, str]:
    """The applied value of a quota, else AWS's default, and which of the two it is.

    https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html
    (the applied value, not available for every quota) and
    https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html
    """
    quotas = ctx.aws.client("service-quotas")
    try:
        answer = quotas.get_service_quota(ServiceCode=service, QuotaCode=code)
        return float(answer["Quota"]["Value"]), "applied"
    except ClientError as error:
        if error_code(error) != "NoSuchResourceException":
            raise
    answer = quotas.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)
    return float(answer["Quota"]["Value"]), "AWS default"


@dataclass(frozen=True)
class Quota:
    label: str
    service: str
    code: str
    fix: str


# https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html names these quotas
# (and the Elastic IP addresses per Region); their codes are those of Service Quotas.
VPCS = Quota("VPCs", "vpc", "L-F678F1CE", "delete unused VPCs")
NAT_GATEWAYS = Quota(
    "NAT gateways per AZ", "vpc", "L-FE5A380F", "delete unused NAT gateways in that zone"
)
ELASTIC_IPS = Quota("Elastic IPs", "ec2", "L-0263D0A3", "release unused Elastic IP addresses")
INTERFACE_ENDPOINTS = Quota(
    "interface endpoints", "vpc", "L-29B6F2EB", "leave out endpoints the VPC needs not"
)
GATEWAY_ENDPOINTS = Quota(
    "gateway endpoints", "vpc", "L-1B52E74A", "delete unused gateway endpoints"
)


def _quota_value(ctx: Context, quota: Quota) -> tuple[float, str]:
    cache = ctx.facts.setdefault("quotas", {})
    if quota.code not in cache:
        cache[quota.code] = service_quota(ctx, quota.service, quota.code)
    value: tuple[float, str] = cache[quota.code]
    return value


def _quota_row(ctx: Context, quota: Quota, counts: list[tuple[str, int, int]]) -> Row:
    """The quota against (where, in use, added by the deployment) of each place it limits."""
    check = f"quota: {quota.label}"
    counts = [c for c in counts if c[2]]
    if not counts:
        return Row(check, "pass", "the deployment adds none")
    try:
        value, source = _quota_value(ctx, quota)
    except (ClientError, BotoCoreError) as error:
        return _failed_call(check, error)
    over: list[str] = []
    fine: list[str] = []
    for where, used, adds in counts:
        text = f"{where}{used} in use + {adds} added = {used + adds}"
        (over if used + adds > value else fine).append(text)
    detail = f"{'; '.join(over or fine)}; quota {value:g} ({source}, {quota.service} {quota.code})"
    if over:
        return Row(
            check,
            "fail",
            detail,
            f"request an increase of {quota.service} {quota.code} in Service Quotas "
            f"({ctx.aws.region}), or {quota.fix}",
        )
    return Row(check, "pass", detail)


def _zone_names(ctx: Context, data: Block) -> list[str]:
    """The zone names an ``aws_availability_zones`` data source of the stack would read."""
    filters = [
        {"Name": str(f.get("name")), "Values": [str(v) for v in _many(f.get("values"))]}
        for f in _many(data.get("filter"))
    ]
    if data.get("state"):
        filters.append({"Name": "state", "Values": [str(data.get("state"))]})
    zones = ctx.aws.client("ec2").describe_availability_zones(
        Filters=filters, AllAvailabilityZones=bool(data.get("all_availability_zones"))
    )["AvailabilityZones"]
    excluded = set(_many(data.get("exclude_names")))
    return sorted(str(z["ZoneName"]) for z in zones if z["ZoneName"] not in excluded)


_ZONE_INDEX = re.compile(r"^\$\{(data\.aws_availability_zones\.[A-Za-z0-9_-]+)\.names\[(\d+)\]\}$")


def _zone_of(ctx: Context, subnet: Block | None) -> str | None:
    if subnet is None:
        return None
    zone = subnet.get("availability_zone")
    if _literal(zone):
        return str(zone)
    match = _ZONE_INDEX.match(str(zone or ""))
    data = ctx.stack.blocks.get(match.group(1)) if match else None
    if match is None or data is None:
        return None
    cache = ctx.facts.setdefault("zones", {})
    if data.address not in cache:
        cache[data.address] = _zone_names(ctx, data)
    names: list[str] = cache[data.address]
    index = int(match.group(2))
    return names[index] if index < len(names) else None


def check_quotas(ctx: Context) -> list[Row]:
    stack, ec2 = ctx.stack, ctx.aws.client("ec2")
    vpcs = sum(1 for _ in _paged(ec2, "describe_vpcs", "Vpcs"))
    rows = [_quota_row(ctx, VPCS, [("in the Region: ", vpcs, len(stack.resources("aws_vpc")))])]

    # https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html: a NAT gateway
    # counts against the quota of its zone while pending, available or deleting.
    gateways = [
        g
        for g in _paged(ec2, "describe_nat_gateways", "NatGateways")
        if g.get("State") in ("pending", "available", "deleting")
    ]
    subnet_ids = sorted({str(g["SubnetId"]) for g in gateways if g.get("SubnetId")})
    zone_of_subnet = {
        str(s["SubnetId"]): str(s["AvailabilityZone"])
        for s in (ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"] if subnet_ids else [])
    }
    used = Counter(zone_of_subnet.get(str(g.get("SubnetId")), "") for g in gateways)
    adds = Counter(
        _zone_of(ctx, stack.target(g.get("subnet_id"))) or ""
        for g in stack.resources("aws_nat_gateway")
    )
    rows.append(
        _quota_row(
            ctx,
            NAT_GATEWAYS,
            [
                # A zone the JSON does not name is held against the fullest zone.
                (
                    f"in {zone}: " if zone else "in a zone: ",
                    used[zone] if zone else max(used.values(), default=0),
                    n,
                )
                for zone, n in sorted(adds.items())
            ],
        )
    )

    addresses = ec2.describe_addresses().get("Addresses", [])
    in_vpc = sum(1 for a in addresses if a.get("Domain", "vpc") == "vpc")
    eips = [e for e in stack.resources("aws_eip") if e.get("domain", "vpc") == "vpc"]
    rows.append(_quota_row(ctx, ELASTIC_IPS, [("in the Region: ", in_vpc, len(eips))]))

    endpoints = stack.resources("aws_vpc_endpoint")
    by_vpc = Counter(
        str(e.get("vpc_id")) for e in endpoints if e.get("vpc_endpoint_type") == "Interface"
    )
    interface_counts = []
    for vpc, count in sorted(by_vpc.items()):
        existing = 0
        owner = stack.target(vpc)
        if _literal(vpc):
            existing = sum(
                1
                for e in _paged(
                    ec2,
                    "describe_vpc_endpoints",
                    "VpcEndpoints",
                    Filters=[{"Name": "vpc-id", "Values": [vpc]}],
                )
                if e.get("VpcEndpointType") == "Interface"
            )
        label = _where(owner) if owner is not None else vpc
        interface_counts.append((f"in {label}: ", existing, count))
    rows.append(_quota_row(ctx, INTERFACE_ENDPOINTS, interface_counts))

    gateway_endpoints = sum(1 for e in endpoints if e.get("vpc_endpoint_type") == "Gateway")
    existing_gateways = 0
    if gateway_endpoints:
        existing_gateways = sum(
            1
            for e in _paged(ec2, "describe_vpc_endpoints", "VpcEndpoints")
            if e.get("VpcEndpointType") == "Gateway"
        )
    rows.append(
        _quota_row(
            ctx, GATEWAY_ENDPOINTS, [("in the Region: ", existing_gateways, gateway_endpoints)]
        )
    )
    return rows


# Running and reporting ---------------------------------------------------------------------

CHECKS: tuple[tuple[str, Callable[[Context], list[Row]]], ...] = (
    ("account", check_account),
    ("Outpost", check_outpost),
    ("instance types offered", check_instance_types),
    ("instance capacity", check_capacity),
    ("local gateway", check_local_gateway),
    ("local gateway route table", check_route_table),
    ("CoIP pool", check_coip_pool),
    ("subnet CIDRs", check_subnets),
    ("S3 bucket names", check_buckets),
    ("state bucket", check_state_bucket),
    ("names", check_names),
    ("quotas", check_quotas),
)


def _failed_call(check: str, error: Exception) -> Row:
    if isinstance(error, ClientError):
        operation = getattr(error, "operation_name", "a call")
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        if code in _DENIED:
            fix = (
                f"allow {operation} to these credentials (preflight needs read-only access: "
                "Describe, Get, List, Head)"
            )
        else:
            fix = "run it again; if it persists, check the credentials and the Region"
        return Row(check, "fail", f"{operation} failed: {code}: {message}", fix)
    return Row(check, "fail", f"could not check: {error}", "check the network, then run it again")


def run_checks(ctx: Context, progress: Callable[[str], None]) -> list[Row]:
    rows: list[Row] = []
    for index, (title, check) in enumerate(CHECKS, 1):
        progress(f"[{index}/{len(CHECKS)}] {title} ...")
        try:
            found = check(ctx)
        except WriteRefused:
            raise
        except (ClientError, BotoCoreError) as error:
            found = [_failed_call(title, error)]
        for row in found:
            progress(f"    {row.result:4}  {row.check}")
        rows += found
    return rows


def render_table(rows: list[Row], width: int) -> str:
    header = Row("check", "pass", "detail", "fix")
    check_width = max(len(r.check) for r in [header, *rows])
    result_width = 6
    rest = max(width - check_width - result_width - 6, 40)
    # Without a failure the fix column stays empty: the detail takes its room.
    detail_width = rest * 11 // 20 if any(r.fix for r in rows) else rest - 3
    fix_width = rest - detail_width
    widths = (check_width, result_width, detail_width, fix_width)

    def lines(cells: tuple[str, str, str, str]) -> list[str]:
        wrapped = [
            textwrap.wrap(c, w, break_on_hyphens=False) or [""]
            for c, w in zip(cells, widths, strict=True)
        ]
        height = max(len(w) for w in wrapped)
        return [
            "  ".join(
                (w[i] if i < len(w) else "").ljust(widths[j]) for j, w in enumerate(wrapped)
            ).rstrip()
            for i in range(height)
        ]

    out = lines(("CHECK", "RESULT", "DETAIL", "FIX"))
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        result = "FAIL" if row.result == "fail" else row.result
        out += lines((row.check, result, row.detail, row.fix))
    return "\n".join(out)


def summary(rows: list[Row]) -> str:
    counts = Counter(r.result for r in rows)
    verdict = "preflight FAILED" if counts["fail"] else "preflight passed"
    return f"{verdict}: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"


def load_stack(vars_file: Path, outdir: Path) -> tuple[str, Stack]:
    """The deployment's name and its synthesized stack, made from this very vars file."""
    name = deployment_name(vars_file)
    path = outdir / "stacks" / name / "cdk.tf.json"
    synth = f"make synth VARS_FILE={vars_file}"
    if not path.is_file():
        raise PreflightError(f"{path}: no synthesized stack of deployment {name}; run {synth}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PreflightError(f"{path}: cannot read it ({error}); run {synth}") from None
    digest = hashlib.sha256(vars_file.read_bytes()).hexdigest()
    recorded = _one(document.get("//")).get("provenance", {}).get("sha256")
    if recorded and recorded != digest:
        raise PreflightError(
            f"{path} was synthesized from another version of {vars_file}; run {synth}"
        )
    return name, Stack(document, name)


def expected_account(v: RootVariables, flag: str | None) -> str | None:
    if flag is not None:
        if not _ACCOUNT.match(flag):
            raise PreflightError(f"--account {flag!r}: an AWS account id is 12 digits")
        return flag
    return v.outposts_arn.split(":")[4] if v.outposts_arn else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--vars-file",
        type=Path,
        default=Path(os.environ["VARS_FILE"]) if os.environ.get("VARS_FILE") else None,
        help="the deployment's vars file (default: $VARS_FILE)",
    )
    parser.add_argument(
        "--account",
        help="the AWS account the credentials must be (default: the owner in outposts_arn)",
    )
    parser.add_argument(
        "--outdir",
        type=Path,
        default=Path(os.environ.get("CDKTF_OUTDIR") or ROOT / "cdktf.out"),
        help="where make synth wrote the stacks (default: cdktf.out)",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(f"preflight: {message}", file=sys.stderr, flush=True)

    try:
        if args.vars_file is None:
            raise PreflightError(
                "no vars file: pass --vars-file vars/<name>.tfvars.json or set VARS_FILE"
            )
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


if __name__ == "__main__":
    sys.exit(main())
