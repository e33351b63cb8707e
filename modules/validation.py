"""Shared validation for the root variables and the module configurations.

Every configuration is a pydantic dataclass with ``extra="forbid"``: unknown keys, missing
required keys and wrong types are refused when the configuration is built, with an error that
names the field and the bad value. The helpers here hold the rules that several modules share.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import re
import typing
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticUndefined

from modules.regions import SUPPORTED_PARTITIONS, known_regions

# Attribute docstrings become field descriptions: the generated variables tables show them.
MODULE_CONFIG = ConfigDict(extra="forbid", use_attribute_docstrings=True)


def added(default: Any = PydanticUndefined, *, sample: str = "", **constraints: Any) -> Any:
    """A field for a variable the sample does not have: ``Field`` with its provenance.

    ``sample`` is what the sample does instead (a fixed value, like ``latest``), if anything.
    The variables tables show it in their "origin" column (see :func:`origin`).
    """
    return Field(default, json_schema_extra={"origin": "added", "sample": sample}, **constraints)


def origin(extra: Any) -> str:
    """Where a variable comes from, from its field's ``json_schema_extra``: the sample, or
    added here (and what the sample does instead)."""
    if not isinstance(extra, dict) or extra.get("origin") != "added":
        return "sample"
    return f"added (sample: {extra['sample']})" if extra.get("sample") else "added"


# The EC2 instance families AWS Outposts offers, by form factor. An Outpost runs only the
# families it was ordered with, and AWS adds families over time: a family missing here is a
# warning, not an error. Source and date: docs/outposts-instance-types.md (a test compares).
OUTPOSTS_INSTANCE_FAMILIES: dict[str, tuple[str, ...]] = {
    "rack, first generation": ("m5", "m5d", "c5", "c5d", "r5", "r5d", "g4dn", "i3en"),
    "rack, second generation": ("m7i", "c7i", "r7i"),
    "server": ("c6gd", "c6id"),
}

# Retention periods CloudWatch Logs accepts (0: never expire).
LOG_RETENTION_DAYS = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip

_OUTPOSTS_ARN = re.compile(
    r"^arn:(aws[a-z-]*):outposts:([a-z0-9-]+):\d{12}:outpost/op-[0-9a-f]{17}$"
)
# The shape of a Region name (us-west-2, eusc-de-east-1); botocore's data says which exist.
_REGION_NAME = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d+$")
AZ_NAME = re.compile(r"^[a-z]{2,4}(-[a-z0-9]+)+[a-z]$")
"""The shape of an Availability Zone (or Local Zone) name."""
_INSTANCE_TYPE = re.compile(r"^([a-z][a-z0-9-]*)\.([a-z0-9]+)$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(?:mrk-)?[0-9a-f-]{32,36}$")


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a CIDR block ({exc})") from None
    return value


def check_region(region: str) -> str:
    """Refuse a name that is not a Region botocore knows, with a "did you mean"."""
    if not _REGION_NAME.match(region):
        raise ValueError(f"{region!r} is not an AWS Region name (like us-west-2)")
    regions = known_regions()
    if region not in regions:
        import botocore

        close = difflib.get_close_matches(region, sorted(regions), n=2, cutoff=0.75)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise ValueError(
            f"{region!r} is not a Region that botocore {botocore.__version__} knows; {hint}"
            "(for a Region newer than it, upgrade botocore and its pin in requirements.txt)"
        )
    if regions[region] not in SUPPORTED_PARTITIONS:
        raise ValueError(
            f"{region!r} is in the partition {regions[region]}, whose log-delivery accounts, "
            "service principals and public images this project does not know; it deploys to "
            f"the partitions {', '.join(SUPPORTED_PARTITIONS)}"
        )
    return region


def _optional_region(value: str) -> str:
    return check_region(value) if value else value


def _outposts_arn(value: str) -> str:
    if not value:
        return value
    match = _OUTPOSTS_ARN.match(value)
    if not match:
        raise ValueError(
            f"{value!r} is not an Outposts ARN "
            "(expected arn:aws:outposts:<region>:<account>:outpost/op-<17 hex digits>)"
        )
    partition, region = match.groups()
    try:
        check_region(region)
    except ValueError as exc:
        raise ValueError(f"{value!r}: its Region {exc}") from None
    expected = known_regions()[region]
    if partition != expected:
        raise ValueError(
            f"{value!r}: {region} is in the partition {expected}, so the ARN starts with "
            f"arn:{expected}:"
        )
    return value


def _kms_key_arn(value: str) -> str:
    # A token (a key created in the same stack) is checked by AWS at apply time.
    if value and not value.startswith("${") and not _KMS_KEY_ARN.match(value):
        raise ValueError(
            f"{value!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)"
        )
    return value


def _log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{days} is not a CloudWatch Logs retention period "
            f"(one of {', '.join(str(d) for d in LOG_RETENTION_DAYS)})"
        )
    return days


def _finite_log_retention(days: int) -> int:
    if days == 0:
        raise ValueError("0 keeps logs forever; give a retention period")
    return _log_retention(days)


def is_token(value: str) -> bool:
    """Whether ``value`` holds a Terraform expression (a cdktf token), known at apply time.

    cdktf encodes an unresolved string as ``${TfToken[...]}``; this test needs no bindings.
    """
    return "${" in value


def matching(pattern: str, what: str, *, optional: bool = False) -> AfterValidator:
    """A validator accepting a match of ``pattern`` (``""`` too when ``optional``) or a
    Terraform token, a value only known at apply time."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if (optional and value == "") or value.startswith("${") or compiled.match(value):
            return value
        raise ValueError(f"{value!r} is not {what}")

    return AfterValidator(check)


AmiId = Annotated[
    str,
    matching(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$", "an AMI id (ami-...) or ''", optional=True),
]
"""An AMI id, or "" for one that a public SSM parameter names."""

_STREAM = r"^[A-Za-z0-9_.-]{1,128}$"
_IMAGE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
_REPOSITORY = r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
_BUCKET = r"^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"

StreamName = Annotated[str, matching(_STREAM, "a Kinesis stream name (1-128 of A-Z a-z 0-9 _ . -)")]
ImageTag = Annotated[str, matching(_IMAGE, "an image tag")]
OptionalImageTag = Annotated[str, matching(_IMAGE, "an image tag", optional=True)]
EcrRepositoryName = Annotated[
    str,
    Field(max_length=256),
    matching(_REPOSITORY, "an ECR repository name (lowercase parts joined by '/')"),
]
BucketName = Annotated[
    str, matching(_BUCKET, "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')")
]
OptionalBucketName = Annotated[
    str,
    matching(
        _BUCKET, "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')", optional=True
    ),
]

Cidr = Annotated[str, AfterValidator(_cidr)]
"""An IPv4 or IPv6 network in CIDR notation with no host bits set."""

CidrOrReference = Annotated[str, AfterValidator(lambda v: v if is_token(v) else _cidr(v))]
"""A CIDR block, or a Terraform expression giving one (an address + ``/32``, say)."""


def cidr_version(block: str) -> int:
    """4 or 6; an expression counts as IPv4 (what the stack passes is a NAT gateway's address)."""
    return 4 if is_token(block) else ipaddress.ip_network(block).version


OptionalCidr = Annotated[str, AfterValidator(lambda v: _cidr(v) if v else v)]
"""A CIDR block, or ``""`` for none."""

NonEmptyStr = Annotated[str, Field(min_length=1)]
"""A string of at least one character."""

OutpostsArn = Annotated[str, AfterValidator(_outposts_arn)]
"""An Outposts ARN, or ``""`` for none (the Region)."""

KmsKeyArn = Annotated[str, AfterValidator(_kms_key_arn)]
"""The ARN of a KMS key, or ``""`` for none."""

SseAlgorithm = Literal["AES256", "aws:kms"]
"""Server-side encryption of an S3 bucket: SSE-S3, or SSE-KMS."""

OptionalRegion = Annotated[str, AfterValidator(_optional_region)]
"""A Region botocore knows, or ``""`` for none."""

LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
"""A CloudWatch Logs retention period in days; 0 keeps the events forever."""

FiniteLogRetentionDays = Annotated[int, AfterValidator(_finite_log_retention)]
"""A CloudWatch Logs retention period in days, not forever."""


def terraform_literal(text: str) -> str:
    """``text`` as a Terraform string literal: its ``${`` and ``%{`` are not interpolated.

    Every string of a Terraform JSON configuration is a template; text meant for AWS as is
    (a shell script, AWS's own ``${field}`` placeholders) must escape both sequences.
    """
    return text.replace("${", "$${").replace("%{", "%%{")


def instance_family(instance_type: str) -> str:
    """The family of an EC2 instance type (``m5`` for ``m5.2xlarge``)."""
    match = _INSTANCE_TYPE.match(instance_type)
    if not match:
        raise ValueError(f"{instance_type!r} is not an EC2 instance type (like m5.2xlarge)")
    return match.group(1)


def _instance_type(value: str) -> str:
    instance_family(value)
    return value


InstanceType = Annotated[str, AfterValidator(_instance_type)]
"""A well-formed EC2 instance type (``<family>.<size>``), whatever its family."""


def outposts_instance_warning(field: str, instance_type: str) -> str | None:
    """A warning when ``instance_type`` is of a family not known to run on Outposts, else None."""
    family = instance_family(instance_type)
    if any(family in families for families in OUTPOSTS_INSTANCE_FAMILIES.values()):
        return None
    return (
        f"{field}: {instance_type!r} is of the family {family}, which is not among the "
        "families Outposts racks and servers offer (docs/outposts-instance-types.md); it "
        "launches only if your Outpost has it: aws outposts get-outpost-instance-types"
    )


def check_not_fargate_on_outpost(field: str, launch_type: str, outposts_arn: str) -> None:
    """Refuse FARGATE on an Outpost: Outposts run ECS tasks on EC2 container instances only."""
    if launch_type == "FARGATE" and outposts_arn:
        raise ValueError(
            f"{field}: FARGATE does not run on an Outpost; use EC2, or deploy in the Region "
            '(outposts_arn = "")'
        )


def check_at_most(low_field: str, low: int, high_field: str, high: int) -> None:
    """Refuse a range whose upper end ``high`` lies below its lower end ``low``."""
    if high < low:
        raise ValueError(f"{high_field}: {high} is below {low_field} ({low})")


DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
"""The names CloudWatch takes for a dashboard."""


def dashboard_name(name_prefix: str) -> str:
    """The name of the deployment's dashboard for a name prefix."""
    return f"{name_prefix}-producer"


def check_dashboard_name(field: str, name_prefix: str, *, built_from: str = "") -> None:
    """Refuse a name prefix that gives a dashboard name CloudWatch does not take;
    ``built_from`` names the variables the prefix comes from."""
    name = dashboard_name(name_prefix)
    if not DASHBOARD_NAME.match(name):
        origin = f", built from {built_from}," if built_from else ""
        raise ValueError(
            f"{field}: dashboard name {name!r}{origin} may hold only letters, digits, - and _ "
            "(at most 255)"
        )


def check_subnets_in_vpc(vpc_cidrs: Iterable[str], subnet_lists: dict[str, list[str]]) -> None:
    """Every subnet lies inside one of the VPC's CIDR blocks and no two subnets overlap.

    ``subnet_lists`` maps a field name to its CIDR list, so errors name the field.
    """
    vpc_networks = [ipaddress.ip_network(c) for c in vpc_cidrs]
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for field, cidrs in subnet_lists.items():
        for index, cidr in enumerate(cidrs):
            net = ipaddress.ip_network(cidr)
            where = f"{field}[{index}]"
            if not any(
                net.version == vpc.version and net.subnet_of(vpc)  # type: ignore[arg-type]
                for vpc in vpc_networks
            ):
                raise ValueError(
                    f"{where}: {cidr!r} is outside the VPC CIDR blocks "
                    f"({', '.join(str(v) for v in vpc_networks)})"
                )
            for other_where, other in seen:
                if net.version == other.version and net.overlaps(other):
                    raise ValueError(f"{where}: {cidr!r} overlaps {other_where} ({other})")
            seen.append((where, net))


_TYPE_NAMES = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "an object",
    "dataclass_type": 'an object of keys ({"key": value, ...})',
}


def _shown(value: Any) -> str:
    """A bad value as the message shows it: JSON, cut short."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _location(error: ErrorDetails) -> str:
    parts = [f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]]
    return "".join(parts).removeprefix(".")


def _keys_at(model: type | None, loc: tuple[int | str, ...]) -> list[str]:
    """The keys the object at ``loc`` (a path below ``model``) may have."""
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = getattr(model, "__pydantic_fields__", {}).get(part)
        nested = [
            arg
            for arg in (typing.get_args(field.annotation) or (field.annotation,) if field else ())
            if hasattr(arg, "__pydantic_fields__")
        ]
        model = nested[0] if nested else None
    return list(getattr(model, "__pydantic_fields__", {}))


def _problem(
    error: ErrorDetails, fields: Mapping[str, dataclasses.Field[Any]], model: type | None = None
) -> str:
    location = _location(error)
    kind, value, context = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "unexpected_keyword_argument":
        name = str(error["loc"][-1])
        known = _keys_at(model, error["loc"][:-1]) if len(error["loc"]) > 1 else list(fields)
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if not close:
            close = [f for f in known if f.lower() == name.lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"{location}: unknown key{hint}"
    if kind == "missing":
        return f"{location}: required, and missing"
    if not location:
        # A rule across keys: its message names them, and the input is the whole file.
        return error["msg"].removeprefix("Value error, ")
    if value is None:
        field = fields.get(location)
        required = field is not None and field.default is dataclasses.MISSING
        fix = "give a value" if required else "leave the key out to get its default"
        return f"{location}: null is not a value here; {fix}"
    shown = _shown(value)
    if kind in _TYPE_NAMES:
        return f"{location}: {shown} is not {_TYPE_NAMES[kind]}"
    if kind == "literal_error":
        return f"{location}: {shown} is not {context['expected']}"
    if kind == "greater_than_equal":
        return f"{location}: {shown} is below {context['ge']}, the least it may be"
    if kind == "less_than_equal":
        return f"{location}: {shown} is above {context['le']}, the most it may be"
    message = error["msg"].removeprefix("Value error, ")
    # An object's own rule names its keys; the object itself would only be a dump.
    if shown in message or repr(value) in message or isinstance(value, dict):
        return f"{location}: {message}"
    return f"{location}: {message} (got {shown})"


def describe_validation_error(
    exc: ValidationError,
    source: str,
    *,
    fields: Mapping[str, dataclasses.Field[Any]] | None = None,
    model: type | None = None,
) -> str:
    """A short, human message for a configuration error: one line per problem, naming the
    key, the value and what would do; ``fields`` (the known keys) give a "did you mean", and
    ``model`` (the validated class) one for the keys of its nested objects."""
    lines = [f"{source}: {exc.error_count()} problem(s)"]
    lines += [
        f"  {_problem(error, fields or {}, model)}" for error in exc.errors(include_url=False)
    ]
    return "\n".join(lines)
