"""The Outpost's local gateway, its route table and the customer-owned IP pool: each exists
and is the only one the deployment looks up, and the pool has free addresses for the load
balancers that take them. Region mode skips these rows."""

from __future__ import annotations

import ipaddress

from scripts.preflight.context import REGION_MODE, Context
from scripts.preflight.report import Row, words
from scripts.preflight.stack import coip_load_balancers

# An ALB on an Outpost takes its addresses from the customer-owned pool it names
# (CustomerOwnedIpv4Pool of
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html).
# AWS names no count of pool addresses an ALB needs: the pool is held to the 8 free addresses
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer
# asks of each load balancer subnet (see ALB_MIN_SUBNET_PREFIX of scripts.preflight.network)
# so that the load balancer can scale.
ALB_FREE_ADDRESSES = 8


def check_local_gateway(ctx: Context) -> list[Row]:
    name = "local gateway"
    if not ctx.on_outpost:
        return [Row(name, "skip", REGION_MODE)]
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
                f"{ctx.outpost_id} (it has {words(ids)})",
                "set outposts_local_gateway_id to the Outpost's local gateway (`aws ec2 "
                f"describe-local-gateways --filters Name=outpost-arn,Values={arn}`)",
            )
        ]
    if len(ids) != 1:
        return [
            Row(
                name,
                "fail",
                f"{ctx.outpost_id} has {len(ids)} local gateways ({words(ids)}); the "
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
        return [Row(name, "skip", REGION_MODE)]
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
                f"({words(ids)}); the deployment looks up the Outpost's one",
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


def check_coip_pool(ctx: Context) -> list[Row]:
    name = "CoIP pool"
    if not ctx.on_outpost:
        return [Row(name, "skip", REGION_MODE)]
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
                f"{ctx.route_table_id} has {len(ids)} CoIP pools ({words(ids)}); the "
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
        f"{ids[0]} ({words(cidrs)}): {total} addresses, {used} in use, {free} free; "
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
