"""Taken names: no ECS cluster, load balancer, IAM role, log group, ... of the names the
deployment gives exists already in the account and Region."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scripts.preflight.aws import error_code, failed_call
from scripts.preflight.context import Context
from scripts.preflight.report import Row, words
from scripts.preflight.stack import literal

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
                if (n := literal(b.get(kind.attribute)))
            )
        )
        if not names:
            continue
        check = f"name: {kind.label}"
        try:
            taken = kind.taken(ctx, names)
        except (ClientError, BotoCoreError) as error:
            rows.append(failed_call(check, error))
            continue
        if taken:
            rows.append(
                Row(
                    check,
                    "fail",
                    f"taken in account {ctx.account}, {ctx.aws.region}: {words(taken)}",
                    f"the apply would fail on the {kind.label} or take over the one there: "
                    "delete it if it is a leftover, or change the vars file so that this "
                    "deployment's names differ from the other deployment's",
                )
            )
        else:
            rows.append(Row(check, "pass", f"free: {words(names)}"))
    return rows
