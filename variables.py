"""The root deployment's variables: the keys of a ``vars/*.tfvars.json`` file, and reading one.

``load_variables`` reads and validates a vars file before anything loads the provider
bindings, so that a mistake is reported at once; ``main.py`` synthesizes the stack from the
result, ``stack.py`` wires the modules from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from modules.validation import (
    MODULE_CONFIG,
    BucketName,
    Cidr,
    KmsKeyArn,
    NonEmptyStr,
    OptionalImageTag,
    OutpostsArn,
    StreamName,
    check_log_retention,
    describe_validation_error,
)

STACK_NAME = "outposts-ecs"
DEFAULT_VARS_FILE = "vars/test.tfvars.json"

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# A KMS key as Kinesis takes it: alias name, alias ARN, key ARN, key id or multi-Region key id.
_KMS_KEY = re.compile(
    r"^(?:alias/[A-Za-z0-9/_-]+"
    r"|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:alias/[A-Za-z0-9/_-]+|key/[A-Za-z0-9-]+)"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|mrk-[0-9a-f]{32})$"
)


@dataclass(config=MODULE_CONFIG)
class RootVariables:
    """Variables of the test deployment (the keys of a ``vars/*.tfvars.json`` file).

    Booleans and numbers are as strict as Terraform's: ``"yes"`` is no bool, ``true`` no number.
    """

    Environment: str
    """Value of the common ``Environment`` tag."""
    Project: NonEmptyStr
    """Value of the common ``Project`` tag; also part of resource names."""
    Owner: str
    """Value of the common ``Owner`` tag."""
    vpc_name: NonEmptyStr
    """Name of the VPC and prefix of the resources' names."""
    vpc_suffix: str
    """Suffix appended to the VPC name."""
    vpc_main_cidr: Cidr
    """Main IPv4 CIDR block of the VPC."""
    outposts_arn: OutpostsArn
    """ARN of the Outpost; ``""`` deploys in the Region (Region mode, needs ``aws_region``)."""
    outposts_route_to_LGW_destination: str
    """On-premises CIDR routed from the Outposts subnets to the local gateway (``""``: none)."""
    outposts_local_gateway_id: str
    """ID of the Outpost's local gateway (``lgw-...``; ``""``: looked up from the Outpost)."""
    s3_bucket_outposts_logging_name: BucketName
    """Name of the S3 bucket that receives the ALB access logs."""
    kinesis_stream_name: StreamName
    """Name of the Kinesis data stream the producer writes to."""
    number_AZ: StrictInt = Field(default=2, ge=1, le=6)
    """Number of Availability Zones the subnets of each tier are spread over."""
    private_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the private subnets (in Region mode the tasks run in the first two)."""
    tgw_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the transit-gateway subnets."""
    fw_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the network-firewall subnets."""
    public_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the public subnets (NAT gateways; in Region mode also the ALB)."""
    web_tier_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the web-tier subnets."""
    pres_tier_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the presentation-tier subnets."""
    database_tier_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the database-tier subnets."""
    outposts_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the Outposts subnets (the ALB and the tasks run in the first one)."""
    ec2_ami_id: str = "ami-00f9f4069d04c0c6e"
    """AMI of the sample's optional test client instance (accepted for compatibility; unused)."""
    ec2_instance_type: str = "m5.2xlarge"
    """Instance type of the optional test client instance (accepted for compatibility; unused)."""
    number_EC2_instances: StrictInt = Field(default=1, ge=0, le=100)
    """Count of optional test client instances (accepted for compatibility; unused)."""
    alb_access_logs_prefix: str = "alb"
    """Key prefix of the ALB access logs in the logging bucket."""
    aws_region: str = ""
    """Not in the sample: Region of the deployment; ``""`` takes that of ``outposts_arn``."""
    availability_zones: list[str] = Field(default_factory=list)
    """Not in the sample: AZ names the Region's subnets may use; [] for the first number_AZ."""
    kinesis_encryption_type: Literal["KMS", "NONE"] = "KMS"
    """Not in the sample: encryption at rest of the Kinesis stream."""
    kinesis_kms_key_id: str = "alias/aws/kinesis"
    """Not in the sample: KMS key of the stream (alias, key id or ARN); AWS managed by default."""
    image_tag: OptionalImageTag = ""
    """Not in the sample (latest there): tag of the producer image; "" for the source digest."""
    image_tag_mutability: Literal["IMMUTABLE", "MUTABLE"] = "IMMUTABLE"
    """Not in the sample (MUTABLE there): whether a pushed tag may be moved to a new image."""
    alb_enable_deletion_protection: StrictBool = False
    """Not in the sample: protect the ALB from deletion; off so the test deployment destroys."""
    alb_access_logs_versioning: StrictBool = True
    """Not in the sample: version the access-log bucket (deleted logs stay recoverable a week)."""
    alb_access_logs_expiration_days: StrictInt = Field(default=90, ge=0, le=36500)
    """Not in the sample: days the ALB access logs are kept; 0 keeps them forever."""
    log_retention_days: StrictInt = 30
    """Not in the sample: retention in days of every log group (flow logs, build, tasks)."""
    log_group_kms_key_id: KmsKeyArn = ""
    """Not in the sample: ARN of the KMS key encrypting every log group; "" for none."""
    ecs_container_insights: Literal["enabled", "enhanced", "disabled"] = "enabled"
    """Not in the sample: CloudWatch Container Insights of the ECS cluster (billed per metric)."""
    alb_inbound_cidr_range: list[Cidr] = Field(default_factory=list)
    """Not in the sample: networks besides the VPC that may reach the ALB (its clients)."""
    ecs_launch_type: Literal["EC2", "FARGATE"] = "EC2"
    """Not in the sample: tasks on EC2 container instances, or on FARGATE (Region only)."""
    ecs_autoscaling_min_capacity: StrictInt = Field(default=1, ge=1, le=5000)
    """Not in the sample (1 task there): tasks the service starts with and keeps at least."""
    ecs_autoscaling_max_capacity: StrictInt = Field(default=3, ge=1, le=5000)
    """Not in the sample: most tasks autoscaling runs (3 fit one m5.2xlarge in awsvpc mode)."""
    ecs_autoscaling_cpu_target: StrictInt = Field(default=65, ge=0, le=100)
    """Not in the sample: average CPU use (%) the task count tracks; 0 for no CPU policy."""
    ecs_autoscaling_requests_per_target: StrictInt = Field(default=0, ge=0)
    """Not in the sample: ALB requests per task and minute the task count tracks; 0 for none."""
    kinesis_stream_mode: Literal["PROVISIONED", "ON_DEMAND"] = "PROVISIONED"
    """Not in the sample: capacity mode of the stream; ON_DEMAND manages the shards itself."""
    kinesis_shard_count: StrictInt = Field(default=1, ge=1, le=10000)
    """Not in the sample (1 there): shards of a PROVISIONED stream."""
    enable_dashboard: StrictBool = True
    """Not in the sample: CloudWatch dashboard of the article's metrics (output dashboard_name)."""
    alarm_sns_topic_arn: str = ""
    """Not in the sample: existing SNS topic the alarms notify; "" for alarms without actions."""

    @field_validator("aws_region")
    @classmethod
    def _region_name(cls, region: str) -> str:
        if region and not _REGION.match(region):
            raise ValueError(f"{region!r} is not an AWS Region name (like us-west-2)")
        return region

    @field_validator("alb_access_logs_prefix")
    @classmethod
    def _log_prefix(cls, prefix: str) -> str:
        if prefix.startswith("/") or prefix.endswith("/") or "AWSLogs" in prefix:
            raise ValueError(f"{prefix!r}: no leading or trailing '/', and no 'AWSLogs'")
        return prefix

    @field_validator("alarm_sns_topic_arn")
    @classmethod
    def _topic_arn(cls, arn: str) -> str:
        if arn and not _SNS_TOPIC_ARN.match(arn):
            raise ValueError(
                f"{arn!r} is not the ARN of a standard SNS topic "
                "(arn:aws:sns:<region>:<account>:<topic name>)"
            )
        return arn

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, days: int) -> int:
        if days == 0:
            raise ValueError("0 keeps logs forever; give a retention period")
        check_log_retention("log_retention_days", days)
        return days

    @model_validator(mode="after")
    def _consistent(self) -> RootVariables:
        if self.outposts_arn and not self.outposts_subnets_cidr_list:
            raise ValueError(
                "outposts_subnets_cidr_list: empty, but the ALB and the tasks run in the first "
                "Outposts subnet when outposts_arn is set"
            )
        if not self.region:
            raise ValueError("aws_region: required when outposts_arn is empty")
        if self.outposts_arn and self.aws_region and self.aws_region != self.outposts_region:
            raise ValueError(
                f"aws_region: {self.aws_region!r} differs from the Region of outposts_arn "
                f"({self.outposts_region!r})"
            )
        for index, zone in enumerate(self.availability_zones):
            if not zone.startswith(self.region) or len(zone) != len(self.region) + 1:
                raise ValueError(
                    f"availability_zones[{index}]: {zone!r} is not an Availability Zone of "
                    f"{self.region} (like {self.region}a)"
                )
        if self.kinesis_encryption_type == "KMS" and not _KMS_KEY.match(self.kinesis_kms_key_id):
            raise ValueError(
                f"kinesis_kms_key_id: {self.kinesis_kms_key_id!r} is not a KMS key (alias/..., "
                "a key id, or a key or alias ARN)"
            )
        if self.image_tag and self.image_tag_mutability == "IMMUTABLE":
            raise ValueError(
                f"image_tag: {self.image_tag!r} is a fixed tag, which an IMMUTABLE repository "
                "takes only once; leave it empty (one tag per source digest) or set "
                "image_tag_mutability to MUTABLE"
            )
        self._check_placement()
        self._check_scaling()
        return self

    def _check_placement(self) -> None:
        """Outpost: EC2 tasks. Region: ALB and tasks each in two AZs, NAT in public subnets."""
        if self.outposts_arn:
            if self.ecs_launch_type == "FARGATE":
                raise ValueError(
                    "ecs_launch_type: FARGATE does not run on an Outpost; use EC2, or deploy in "
                    'the Region (outposts_arn = "")'
                )
            return
        for field in ("outposts_subnets_cidr_list", "outposts_route_to_LGW_destination"):
            if getattr(self, field):
                raise ValueError(
                    f"{field}: {getattr(self, field)!r}, but outposts_arn is empty (the Region "
                    "has no Outposts subnets or local gateway)"
                )
        if self.number_AZ < 2:
            raise ValueError(
                f"number_AZ: {self.number_AZ}, but in the Region (outposts_arn empty) the ALB "
                "and the tasks need subnets in two Availability Zones"
            )
        for field, what in (
            ("public_subnets_cidr_list", "the ALB and the NAT gateways"),
            ("private_subnets_cidr_list", "the tasks"),
        ):
            count = len(getattr(self, field))
            if count < 2:
                raise ValueError(
                    f"{field}: {count} subnet(s), but in the Region (outposts_arn empty) {what} "
                    "need one in each of two Availability Zones"
                )

    def _check_scaling(self) -> None:
        if self.ecs_autoscaling_max_capacity < self.ecs_autoscaling_min_capacity:
            raise ValueError(
                f"ecs_autoscaling_max_capacity: {self.ecs_autoscaling_max_capacity} is below "
                f"ecs_autoscaling_min_capacity ({self.ecs_autoscaling_min_capacity})"
            )
        if self.kinesis_stream_mode == "ON_DEMAND" and self.kinesis_shard_count != 1:
            raise ValueError(
                f"kinesis_shard_count: {self.kinesis_shard_count}, but an ON_DEMAND stream "
                "manages its shards itself; leave kinesis_shard_count out"
            )
        if self.enable_dashboard and not _DASHBOARD_NAME.match(self.dashboard_name):
            raise ValueError(
                f"vpc_name: the dashboard name {self.dashboard_name!r} built from vpc_name, "
                "vpc_suffix and Project may hold only letters, digits, - and _"
            )

    def warnings(self) -> list[str]:
        """What is valid but probably not meant: one line each, naming the keys."""
        found = []
        public = len(self.public_subnets_cidr_list)
        if 0 < public < self.number_AZ:
            found.append(
                f"number_AZ: {self.number_AZ}, but public_subnets_cidr_list has {public} "
                "subnet(s): one NAT gateway serves every AZ instead of one per AZ; give "
                "number_AZ public subnets for a NAT gateway in each"
            )
        return found

    @property
    def name_prefix(self) -> str:
        """Prefix of the dashboard's and the alarms' names."""
        return f"{self.vpc_name}{self.vpc_suffix}-{self.Project}"

    @property
    def dashboard_name(self) -> str:
        return f"{self.name_prefix}-producer"

    @property
    def outposts_region(self) -> str:
        return self.outposts_arn.split(":")[3] if self.outposts_arn else ""

    @property
    def region(self) -> str:
        return self.aws_region or self.outposts_region

    @property
    def common_tags(self) -> dict[str, str]:
        return {
            "Environment": self.Environment,
            "Project": self.Project,
            "Owner": self.Owner,
            "managedBy": "terraform",
            "Terraformbackend": "terraform-backend-s3",
        }


class ConfigError(Exception):
    """A vars file or a module configuration that cannot be deployed; the message says why."""


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys; Terraform refuses the file.
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


_HCL_LINE = re.compile(r"^\s*[A-Za-z_][\w-]*\s*=")
_YAML_LINE = re.compile(r"^\s*[A-Za-z_][\w-]*\s*:(\s|$)")
_COMMENT_LINE = re.compile(r"^\s*(//|#|/\*)")


def _not_json(text: str) -> str:
    """What a file that is not JSON looks like, and what to do about it."""
    lines = [line for line in text.splitlines() if line.strip()]
    if any(_COMMENT_LINE.match(line) for line in lines):
        return 'has comments, which JSON does not allow; put a note in a "//" key instead'
    first = next((line for line in lines if not _COMMENT_LINE.match(line)), "")
    if _HCL_LINE.match(first):
        return (
            'looks like HCL (a .tfvars file); write it as JSON: {"key": value, ...} in a '
            ".tfvars.json file"
        )
    if _YAML_LINE.match(first):
        return 'looks like YAML; write it as JSON: {"key": value, ...}'
    return "is not valid JSON"


def read_vars_file(path: Path) -> dict[str, Any]:
    """The variables of a vars file as a dictionary; a file that is not one is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such vars file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a vars file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    if not text.strip():
        raise ConfigError(f"{path}: is empty; it must hold a JSON object of variables")
    if text.startswith("\ufeff"):
        raise ConfigError(
            f"{path}: starts with a byte-order mark (BOM), which Terraform refuses; save it as "
            "UTF-8 without one"
        )
    try:
        data: Any = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey as exc:
        raise ConfigError(
            f"{path}: key {exc.key!r} appears twice, which Terraform refuses; keep one"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: {_not_json(text)} ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(data), "a number"
        )
        raise ConfigError(f"{path}: must hold a JSON object of variables, not {kind}")
    # "//" is Terraform JSON's comment key.
    data.pop("//", None)
    return data


def load_variables(path: str | Path) -> RootVariables:
    """Read and validate a vars file; every problem becomes a ``ConfigError``."""
    path = Path(path)
    data = read_vars_file(path)
    try:
        return TypeAdapter(RootVariables).validate_python(data)
    except ValidationError as exc:
        raise ConfigError(
            describe_validation_error(exc, str(path), fields=RootVariables.__dataclass_fields__)
        ) from None
