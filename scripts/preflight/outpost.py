"""The Outpost: it exists and is ACTIVE, this account gets the metrics the deployment's
Outpost alarms watch, it offers the instance types the deployment launches, and (where
CloudWatch has the Outposts capacity metric) it has free capacity for them. Region mode skips
these rows."""

from __future__ import annotations

import datetime

from botocore.exceptions import ClientError

from modules.aws_facts import OUTPOSTS_NAMESPACE
from scripts.preflight.aws import error_code
from scripts.preflight.context import REGION_MODE, Context
from scripts.preflight.report import Row, words
from scripts.preflight.stack import instance_consumers, literal

# https://docs.aws.amazon.com/outposts/latest/APIReference/API_Outpost.html documents
# LifeCycleStatus as a string without listing its values; an Outpost in service is ACTIVE, and
# anything else is not taken as usable here.
OUTPOST_USABLE = "ACTIVE"
# https://docs.aws.amazon.com/outposts/latest/userguide/outposts-cloudwatch-metrics.html:
# AWS/Outposts, InstanceTypeCapacityAvailability (percent of the instance type's capacity
# available), dimensions InstanceType and OutpostId, at most every 5 minutes.
CAPACITY_METRIC = "InstanceTypeCapacityAvailability"
CAPACITY_WINDOW = datetime.timedelta(hours=3)


def check_outpost(ctx: Context) -> list[Row]:
    if not ctx.on_outpost:
        return [Row("Outpost", "skip", REGION_MODE)]
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


def check_outpost_alarms(ctx: Context) -> list[Row]:
    """The Outpost's metrics go to its owner account only: an alarm on them in an account the
    Outpost is shared with has no data, and the link alarm counts that as a link down."""
    name = "Outpost alarms"
    if not ctx.on_outpost:
        return [Row(name, "skip", REGION_MODE)]
    if ctx.outpost is None:
        return [Row(name, "skip", "no Outpost to ask (see the Outpost row)")]
    alarms = [
        literal(alarm.get("alarm_name")) or alarm.name
        for alarm in ctx.stack.resources("aws_cloudwatch_metric_alarm")
        if alarm.get("namespace") == OUTPOSTS_NAMESPACE
    ]
    if not alarms:
        return [Row(name, "pass", f"the deployment has no alarm on {OUTPOSTS_NAMESPACE} metrics")]
    owner = str(ctx.outpost.get("OwnerId", ""))
    if owner == ctx.account:
        return [
            Row(name, "pass", f"{ctx.outpost_id} is this account's: {words(alarms)} get its data")
        ]
    if ctx.expected_account is not None and ctx.account != ctx.expected_account:
        return [Row(name, "skip", "not the expected account (see the account row)")]
    return [
        Row(
            name,
            "fail",
            f"{ctx.outpost_id} is account {owner}'s, shared with {ctx.account}: its "
            f"{OUTPOSTS_NAMESPACE} metrics stay in {owner}, so {words(alarms)} would have no "
            "data (outpost-link-down: in ALARM from the start)",
            f"set enable_outpost_alarms to false and watch the Outpost from account {owner}",
        )
    ]


def check_instance_types(ctx: Context) -> list[Row]:
    name = "instance types offered"
    if not ctx.on_outpost:
        return [Row(name, "skip", REGION_MODE)]
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
        lacking = "; ".join(f"{words(types)} (for {where})" for where, types in missing.items())
        return [
            Row(
                name,
                "fail",
                f"not offered on {ctx.outpost_id}: {lacking}; it offers {words(offered)}",
                "use types the Outpost offers (`aws outposts get-outpost-instance-types "
                f"--outpost-id {ctx.outpost_id}`): ec2_instance_type for the test client, "
                "ecs_instance_type and ecs_asg_override_config of the alb-ecs module for the "
                "group",
            )
        ]
    return [Row(name, "pass", f"{words(needed)} offered on {ctx.outpost_id}")]


def _latest_availability(ctx: Context, instance_type: str) -> float | None:
    now = datetime.datetime.now(datetime.UTC)
    answer = ctx.aws.client("cloudwatch").get_metric_statistics(
        Namespace=OUTPOSTS_NAMESPACE,
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
        return [Row(name, "skip", REGION_MODE)]
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
                f"CloudWatch has no {CAPACITY_METRIC} for {words(types)} on "
                f"{ctx.outpost_id} in the last {CAPACITY_WINDOW.seconds // 3600} hours",
            )
        ]
    shown = words(f"{t} {'no data' if v is None else f'{v:g}% free'}" for t, v in free.items())
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
                f"no free capacity for {words(full)}: {shown}",
                "free capacity on the Outpost (stop or move instances, or change its capacity "
                "configuration with a capacity task), or use instance types that have some",
            )
        ]
    return [Row(name, "pass", shown)]
