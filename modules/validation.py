"""Shared validation for the module configurations.

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
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

# Attribute docstrings become field descriptions: the README variables tables are built from them.
MODULE_CONFIG = ConfigDict(extra="forbid", use_attribute_docstrings=True)

# Instance families that Outposts racks offer for ECS container instances and the ALB.
OUTPOSTS_INSTANCE_FAMILIES = ("m5", "m5d", "c5", "c5d", "r5", "r5d", "g4dn", "i3en")

# Retention periods CloudWatch Logs accepts (0: never expire).
LOG_RETENTION_DAYS = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip

_OUTPOSTS_ARN = re.compile(r"^arn:aws[a-z-]*:outposts:[a-z0-9-]+:\d{12}:outpost/op-[0-9a-f]{17}$")
_INSTANCE_TYPE = re.compile(r"^([a-z][a-z0-9-]*)\.([a-z0-9]+)$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(?:mrk-)?[0-9a-f-]{32,36}$")


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a CIDR block ({exc})") from None
    return value


def _outposts_arn(value: str) -> str:
    if value and not _OUTPOSTS_ARN.match(value):
        raise ValueError(
            f"{value!r} is not an Outposts ARN "
            "(expected arn:aws:outposts:<region>:<account>:outpost/op-<17 hex digits>)"
        )
    return value


def _kms_key_arn(value: str) -> str:
    # A token (a key created in the same stack) is checked by AWS at apply time.
    if value and not value.startswith("${") and not _KMS_KEY_ARN.match(value):
        raise ValueError(
            f"{value!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)"
        )
    return value


def check_log_retention(field: str, days: int | None) -> None:
    """Refuse a retention period CloudWatch Logs does not offer."""
    if days is not None and days not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{field}: {days} is not a CloudWatch Logs retention period "
            f"(one of {', '.join(str(d) for d in LOG_RETENTION_DAYS)})"
        )


def matching(pattern: str, what: str, *, optional: bool = False) -> AfterValidator:
    """A validator accepting a match of ``pattern`` (``""`` too when ``optional``) or a
    Terraform token, a value only known at apply time."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if (optional and value == "") or value.startswith("${") or compiled.match(value):
            return value
        raise ValueError(f"{value!r} is not {what}")

    return AfterValidator(check)


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

OptionalCidr = Annotated[str, AfterValidator(lambda v: _cidr(v) if v else v)]
"""A CIDR block, or ``""`` for none."""

NonEmptyStr = Annotated[str, Field(min_length=1)]
"""A string of at least one character."""

OutpostsArn = Annotated[str, AfterValidator(_outposts_arn)]
"""An Outposts ARN, or ``""`` for none (the Region)."""

KmsKeyArn = Annotated[str, AfterValidator(_kms_key_arn)]
"""The ARN of a KMS key, or ``""`` for none."""


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


def check_outposts_instance_type(field: str, instance_type: str) -> None:
    """Refuse an instance type whose family an Outpost does not run."""
    family = instance_family(instance_type)
    if family not in OUTPOSTS_INSTANCE_FAMILIES:
        raise ValueError(
            f"{field}: {instance_type!r} is not offered on Outposts "
            f"(families: {', '.join(OUTPOSTS_INSTANCE_FAMILIES)})"
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


def _problem(error: ErrorDetails, fields: Mapping[str, dataclasses.Field[Any]]) -> str:
    location = _location(error)
    kind, value, context = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "unexpected_keyword_argument":
        close = difflib.get_close_matches(location, list(fields), n=1, cutoff=0.6)
        if not close:
            close = [f for f in fields if f.lower() == location.lower()]
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
    if shown in message or repr(value) in message:
        return f"{location}: {message}"
    return f"{location}: {message} (got {shown})"


def describe_validation_error(
    exc: ValidationError, source: str, *, fields: Mapping[str, dataclasses.Field[Any]] | None = None
) -> str:
    """A short, human message for a configuration error: one line per problem, naming the
    key, the value and what would do; ``fields`` (the known keys) give a "did you mean"."""
    lines = [f"{source}: {exc.error_count()} problem(s)"]
    lines += [f"  {_problem(error, fields or {})}" for error in exc.errors(include_url=False)]
    return "\n".join(lines)
