"""Service quotas: VPCs, NAT gateways per Availability Zone, Elastic IPs, interface endpoints
per VPC and gateway endpoints, in use plus what the deployment adds, against the applied quota
(else AWS's default)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from rules.model import Block
from scripts.preflight.aws import error_code, failed_call, paged
from scripts.preflight.context import Context
from scripts.preflight.report import Row
from scripts.preflight.stack import literal, many, where_of


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
        return failed_call(check, error)
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
        {"Name": str(f.get("name")), "Values": [str(v) for v in many(f.get("values"))]}
        for f in many(data.get("filter"))
    ]
    if data.get("state"):
        filters.append({"Name": "state", "Values": [str(data.get("state"))]})
    zones = ctx.aws.client("ec2").describe_availability_zones(
        Filters=filters, AllAvailabilityZones=bool(data.get("all_availability_zones"))
    )["AvailabilityZones"]
    excluded = set(many(data.get("exclude_names")))
    return sorted(str(z["ZoneName"]) for z in zones if z["ZoneName"] not in excluded)


_ZONE_INDEX = re.compile(r"^\$\{(data\.aws_availability_zones\.[A-Za-z0-9_-]+)\.names\[(\d+)\]\}$")


def _zone_of(ctx: Context, subnet: Block | None) -> str | None:
    if subnet is None:
        return None
    zone = subnet.get("availability_zone")
    if literal(zone):
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
    vpcs = sum(1 for _ in paged(ec2, "describe_vpcs", "Vpcs"))
    rows = [_quota_row(ctx, VPCS, [("in the Region: ", vpcs, len(stack.resources("aws_vpc")))])]

    # https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html: a NAT gateway
    # counts against the quota of its zone while pending, available or deleting.
    gateways = [
        g
        for g in paged(ec2, "describe_nat_gateways", "NatGateways")
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
        if literal(vpc):
            existing = sum(
                1
                for e in paged(
                    ec2,
                    "describe_vpc_endpoints",
                    "VpcEndpoints",
                    Filters=[{"Name": "vpc-id", "Values": [vpc]}],
                )
                if e.get("VpcEndpointType") == "Interface"
            )
        label = where_of(owner) if owner is not None else vpc
        interface_counts.append((f"in {label}: ", existing, count))
    rows.append(_quota_row(ctx, INTERFACE_ENDPOINTS, interface_counts))

    gateway_endpoints = sum(1 for e in endpoints if e.get("vpc_endpoint_type") == "Gateway")
    existing_gateways = 0
    if gateway_endpoints:
        existing_gateways = sum(
            1
            for e in paged(ec2, "describe_vpc_endpoints", "VpcEndpoints")
            if e.get("VpcEndpointType") == "Gateway"
        )
    rows.append(
        _quota_row(
            ctx, GATEWAY_ENDPOINTS, [("in the Region: ", existing_gateways, gateway_endpoints)]
        )
    )
    return rows
