"""Names: the lengths and patterns AWS accepts for the names of things.

Limits come from botocore's service models at run time (``min``/``max``/``pattern`` of the API
member) where the model has them, else from the API reference sentence the rule cites. A
``name_prefix`` gets Terraform's 26-character unique suffix appended, so its limit is 26 less.
A value with ``${...}`` interpolations is checked on its literal parts: their length is a lower
bound of the final length, and its pattern cannot be checked.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rules.model import Stack, is_literal, literal_length
from rules.registry import rule

__all__ = ["TERRAFORM_UNIQUE_SUFFIX", "Limits", "NameField", "api_limits", "s3_bucket_problems"]

TERRAFORM_UNIQUE_SUFFIX = 26
"""Characters Terraform appends to a ``name_prefix`` (a timestamp and a counter)."""


@dataclass(frozen=True)
class Limits:
    """What a name may be: length bounds, a pattern it must match whole and extra refusals."""

    min: int = 1
    max: int | None = None
    pattern: str | None = None
    extra: Callable[[str], str | None] | None = None


@functools.cache
def api_limits(service: str, operation: str, member: str) -> Limits:
    """The ``min``/``max``/``pattern`` botocore records for an API input member."""
    # Imported here: botocore's models load only when a name rule runs.
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    input_shape = model.operation_model(operation).input_shape
    assert input_shape is not None, f"{service} {operation} takes no input"
    shape = input_shape.members[member]
    meta = shape.metadata
    return Limits(int(meta.get("min", 1)), meta.get("max"), meta.get("pattern"))


@dataclass(frozen=True)
class NameField:
    """A name argument of a resource type and where its limits come from."""

    resource: str
    attribute: str
    limits: Callable[[], Limits]
    prefix: bool = False
    """A ``name_prefix``: Terraform adds TERRAFORM_UNIQUE_SUFFIX characters."""


def _problems(value: str, limits: Limits, prefix: bool) -> Iterator[str]:
    added = TERRAFORM_UNIQUE_SUFFIX if prefix else 0
    kind = "name_prefix" if prefix else "name"
    if limits.max is not None and literal_length(value) + added > limits.max:
        what = "at least " if not is_literal(value) else ""
        suffix = f" + {added} characters Terraform appends" if prefix else ""
        yield (
            f"{kind} {value!r} is {what}{literal_length(value)} characters{suffix}; "
            f"AWS allows at most {limits.max}"
        )
    if not is_literal(value):
        return
    whole = value + "0" * added
    if not prefix and len(value) < limits.min:
        yield f"{kind} {value!r} is shorter than {limits.min} characters"
    if limits.pattern and not re.fullmatch(limits.pattern, whole):
        yield f"{kind} {value!r} does not match {limits.pattern}"
    if limits.extra:
        problem = limits.extra(value if not prefix else whole)
        if problem:
            yield f"{kind} {value!r}: {problem}"


def _check(stack: Stack, fields: list[NameField]) -> Iterator[tuple[str, str]]:
    for name_field in fields:
        for block in stack.resources(name_field.resource):
            value = block.get(name_field.attribute)
            if isinstance(value, str) and value:
                for problem in _problems(value, name_field.limits(), name_field.prefix):
                    yield block.address, problem


def _api(service: str, operation: str, member: str) -> Callable[[], Limits]:
    return lambda: api_limits(service, operation, member)


def _fixed(limits: Limits) -> Callable[[], Limits]:
    return lambda: limits


def _fields(resource: str, attribute: str, limits: Callable[[], Limits]) -> list[NameField]:
    """The name argument and, where Terraform has one, its ``*_prefix`` twin."""
    prefixed = attribute.replace("name", "name_prefix") if attribute.endswith("name") else ""
    prefixed = "bucket_prefix" if attribute == "bucket" else prefixed
    found = [NameField(resource, attribute, limits)]
    if prefixed:
        found.append(NameField(resource, prefixed, limits, prefix=True))
    return found


# ------------------------------------------------------------------------------------ IAM


@rule(
    "names.iam",
    "IAM role, policy and instance profile names",
    source="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.md",
    quote=(
        "Names of users, groups, roles, policies, instance profiles, server certificates, and "
        "paths must be alphanumeric, including the following common characters: plus (+), "
        "equals (=), comma (,), period (.), at (@), underscore (_), and hyphen (-)."
    ),
)
def iam_names(stack: Stack) -> Iterator[tuple[str, str]]:
    """Lengths and characters from botocore's IAM model (roles 64, policies and profiles 128)."""
    yield from _check(
        stack,
        _fields("aws_iam_role", "name", _api("iam", "CreateRole", "RoleName"))
        + _fields("aws_iam_role_policy", "name", _api("iam", "PutRolePolicy", "PolicyName"))
        + _fields("aws_iam_policy", "name", _api("iam", "CreatePolicy", "PolicyName"))
        + _fields(
            "aws_iam_instance_profile",
            "name",
            _api("iam", "CreateInstanceProfile", "InstanceProfileName"),
        ),
    )


# ------------------------------------------------------------------------------------ ECS

# botocore's ECS model gives these names no constraints; the API reference states them.
_ECS_NAME = Limits(1, 255, r"[A-Za-z0-9_-]+")


@rule(
    "names.ecs",
    "ECS cluster, service, capacity provider and task family names",
    source="https://docs.amazonaws.cn/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html",
    quote="Up to 255 characters are allowed.",
)
def ecs_names(stack: Stack) -> Iterator[tuple[str, str]]:
    """Up to 255 letters, digits, underscores and hyphens (CreateCluster, CreateService,
    CreateCapacityProvider and RegisterTaskDefinition say the same)."""
    fixed = _fixed(_ECS_NAME)
    yield from _check(
        stack,
        [
            NameField("aws_ecs_cluster", "name", fixed),
            NameField("aws_ecs_service", "name", fixed),
            NameField("aws_ecs_capacity_provider", "name", fixed),
            NameField("aws_ecs_task_definition", "family", fixed),
        ],
    )


# ------------------------------------------------------------------- Kinesis, ECR, CodeBuild


@rule(
    "names.kinesis",
    "Kinesis data stream names",
    source=(
        "https://docs.aws.amazon.com/sdkfornet1/latest/apidocs/html/"
        "P_Amazon_Kinesis_Model_MergeShardsRequest_StreamName.htm"
    ),
    quote="Constraints: Length 1 - 128 Pattern [a-zA-Z0-9_.-]+",
)
def kinesis_names(stack: Stack) -> Iterator[tuple[str, str]]:
    yield from _check(
        stack,
        [NameField("aws_kinesis_stream", "name", _api("kinesis", "CreateStream", "StreamName"))],
    )


@rule(
    "names.ecr",
    "ECR repository names",
    source=(
        "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ecr/"
        "aws.sdk.kotlin.services.ecr.model/-create-repository-request/repository-name.html"
    ),
    quote=(
        "The repository name must start with a letter and can only contain lowercase letters, "
        "numbers, hyphens, underscores, and forward slashes."
    ),
)
def ecr_names(stack: Stack) -> Iterator[tuple[str, str]]:
    yield from _check(
        stack,
        [
            NameField(
                "aws_ecr_repository", "name", _api("ecr", "CreateRepository", "repositoryName")
            )
        ],
    )


@rule(
    "names.codebuild",
    "CodeBuild project names",
    source="https://docs.aws.amazon.com/it_it/codebuild/latest/APIReference/API_PublicProject.html",
    quote="Length Constraints: Minimum length of 2. Maximum length of 150.",
)
def codebuild_names(stack: Stack) -> Iterator[tuple[str, str]]:
    yield from _check(
        stack,
        [NameField("aws_codebuild_project", "name", _api("codebuild", "CreateProject", "name"))],
    )


# --------------------------------------------------------------------- CloudWatch and logs


@rule(
    "names.logs",
    "CloudWatch Logs log group names",
    source="http://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    quote="Log group names can be between 1 and 512 characters long.",
)
def log_group_names(stack: Stack) -> Iterator[tuple[str, str]]:
    yield from _check(
        stack,
        _fields("aws_cloudwatch_log_group", "name", _api("logs", "CreateLogGroup", "logGroupName")),
    )


# botocore gives dashboard names no constraints; PutDashboard's reference states them.
_DASHBOARD_NAME = Limits(1, 255, r"[A-Za-z0-9_-]+")


@rule(
    "names.cloudwatch",
    "CloudWatch dashboard and alarm names",
    source=(
        "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/"
        "aws.sdk.kotlin.services.cloudwatch.model/-put-dashboard-request/dashboard-name.html"
    ),
    quote='The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_".',
)
def cloudwatch_names(stack: Stack) -> Iterator[tuple[str, str]]:
    """Dashboard names as PutDashboard states; alarm names from botocore (1 to 255)."""
    yield from _check(
        stack,
        [
            NameField("aws_cloudwatch_dashboard", "dashboard_name", _fixed(_DASHBOARD_NAME)),
            NameField(
                "aws_cloudwatch_metric_alarm",
                "alarm_name",
                _api("cloudwatch", "PutMetricAlarm", "AlarmName"),
            ),
        ],
    )


# ------------------------------------------------------------------------------------ EC2


def _security_group_extra(name: str) -> str | None:
    return "must not start with sg-" if name.lower().startswith("sg-") else None


_SECURITY_GROUP_NAME = Limits(
    1, 255, r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+", _security_group_extra
)


@rule(
    "names.ec2",
    "Security group and launch template names",
    source=(
        "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/ec2/"
        "aws.sdk.kotlin.services.ec2.model/-create-security-group-request/group-name.html"
    ),
    quote="Constraints: Up to 255 characters in length. Can't start with sg-.",
)
def ec2_names(stack: Stack) -> Iterator[tuple[str, str]]:
    """Security group names as CreateSecurityGroup states; launch template names from
    botocore's ``LaunchTemplateName`` shape (3 to 128)."""
    yield from _check(
        stack,
        _fields("aws_security_group", "name", _fixed(_SECURITY_GROUP_NAME))
        + _fields("aws_launch_template", "name", _launch_template_limits),
    )


@functools.cache
def _launch_template_limits() -> Limits:
    # The operation's member is a plain String; the named shape carries the limits.
    import botocore.session

    shape = botocore.session.get_session().get_service_model("ec2").shape_for("LaunchTemplateName")
    meta = shape.metadata
    return Limits(int(meta.get("min", 1)), meta.get("max"), meta.get("pattern"))


def _autoscaling_extra(name: str) -> str | None:
    if ":" in name:
        return "must not contain a colon"
    if any(not 33 <= ord(c) <= 126 for c in name):
        return "only ASCII characters 33 to 126"
    return None


@rule(
    "names.autoscaling",
    "Auto Scaling group names",
    source=(
        "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/autoscaling/"
        "aws.sdk.kotlin.services.autoscaling.model/-create-auto-scaling-group-request/"
        "auto-scaling-group-name.html"
    ),
    quote=(
        "The name can contain any ASCII character 33 to 126 including most punctuation "
        "characters, digits, and upper and lowercased letters."
    ),
)
def autoscaling_names(stack: Stack) -> Iterator[tuple[str, str]]:
    """Length from botocore (at most 255); the characters as the reference states (no colon)."""

    def limits() -> Limits:
        api = api_limits("autoscaling", "CreateAutoScalingGroup", "AutoScalingGroupName")
        return Limits(api.min, api.max, None, _autoscaling_extra)

    yield from _check(stack, _fields("aws_autoscaling_group", "name", limits))


# ---------------------------------------------------------------------------------- ELBv2


def _elb_extra(internal_prefix: bool) -> Callable[[str], str | None]:
    def extra(name: str) -> str | None:
        if name.startswith("-") or name.endswith("-"):
            return "must not begin or end with a hyphen"
        if internal_prefix and name.startswith("internal-"):
            return 'must not begin with "internal-"'
        return None

    return extra


_LB_NAME = Limits(1, 32, r"[A-Za-z0-9-]+", _elb_extra(internal_prefix=True))
_TARGET_GROUP_NAME = Limits(1, 32, r"[A-Za-z0-9-]+", _elb_extra(internal_prefix=False))


@rule(
    "names.elbv2",
    "Load balancer and target group names",
    source="https://docs.amazonaws.cn/goto/WebAPI/elasticloadbalancingv2-2015-12-01/CreateLoadBalancer",
    quote=(
        "This name must be unique per region per account, can have a maximum of 32 characters, "
        "must contain only alphanumeric characters or hyphens, must not begin or end with a "
        'hyphen, and must not begin with "internal-".'
    ),
)
def elbv2_names(stack: Stack) -> Iterator[tuple[str, str]]:
    """botocore's ELBv2 model has no limits for these names: the reference sentence's rule,
    which CreateTargetGroup states for target groups too (without the ``internal-`` clause)."""
    fields = _fields("aws_lb", "name", _fixed(_LB_NAME))
    fields += _fields("aws_alb", "name", _fixed(_LB_NAME))
    fields += _fields("aws_lb_target_group", "name", _fixed(_TARGET_GROUP_NAME))
    fields += _fields("aws_alb_target_group", "name", _fixed(_TARGET_GROUP_NAME))
    yield from _check(stack, fields)


# ------------------------------------------------------------------------------------- S3

_S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")


def s3_bucket_problems(name: str) -> str | None:
    """What the S3 general purpose bucket naming rules refuse in a complete name, or None."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        return (
            "only lowercase letters, digits, periods and hyphens, starting and ending with a "
            "letter or digit"
        )
    if ".." in name:
        return "must not contain two adjacent periods"
    try:
        ipaddress.IPv4Address(name)
        return "must not be formatted as an IP address"
    except ValueError:
        pass
    if name.startswith(_S3_RESERVED_PREFIXES):
        return f"must not start with {', '.join(_S3_RESERVED_PREFIXES)}"
    if name.endswith(_S3_RESERVED_SUFFIXES):
        return f"must not end with {', '.join(_S3_RESERVED_SUFFIXES)}"
    return None


_S3_BUCKET_NAME = Limits(3, 63, None, s3_bucket_problems)


@rule(
    "names.s3",
    "S3 bucket names",
    source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    quote="Bucket names must be between 3 (min) and 63 (max) characters long.",
)
def s3_names(stack: Stack) -> Iterator[tuple[str, str]]:
    """The general purpose bucket naming rules (length, characters, reserved prefixes and
    suffixes, no IP address)."""
    yield from _check(stack, _fields("aws_s3_bucket", "bucket", _fixed(_S3_BUCKET_NAME)))
