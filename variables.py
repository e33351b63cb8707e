"""The root deployment's variables: the keys of a ``vars/*.tfvars.json`` file, and reading one.

``load_variables`` reads and validates a vars file before anything loads the provider
bindings, so that a mistake is reported at once: the root variables, and every module
configuration the stack builds from them (``vpc_config``, ``image_config``,
``alb_ecs_config``, which ``stack.py`` uses too). ``main.py`` synthesizes the stack from the
result.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    Field,
    Strict,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from modules.alb_ecs_object_variables import EcsService, PortListener, TargetGroup, TaskDefinition
from modules.alb_ecs_variables import AlbEcsConfig
from modules.docker_ecr_codebuild_variables import DockerEcrCodebuildConfig
from modules.state import S3State
from modules.test_client_variables import MAX_INSTANCES, TestClientConfig
from modules.validation import (
    MODULE_CONFIG,
    BucketName,
    Cidr,
    FiniteLogRetentionDays,
    InstanceType,
    KmsKeyArn,
    NonEmptyStr,
    OptionalImageTag,
    OptionalRegion,
    OutpostsArn,
    StreamName,
    added,
    check_at_most,
    check_dashboard_name,
    check_not_fargate_on_outpost,
    dashboard_name,
    describe_validation_error,
    outposts_instance_warning,
)
from modules.vpc_variables import VpcConfig

_SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
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
    """AMI of the test client instances (with ``enable_test_client``); "" for the Region's
    latest Amazon Linux 2023."""
    ec2_instance_type: InstanceType = "m5.2xlarge"
    """Instance type of the test client instances (with ``enable_test_client``)."""
    number_EC2_instances: StrictInt = Field(default=1, ge=0, le=MAX_INSTANCES)
    """Count of test client instances (with ``enable_test_client``)."""
    alb_access_logs_prefix: str = "alb"
    """Key prefix of the ALB access logs in the logging bucket."""
    aws_region: OptionalRegion = added("")
    """Region of the deployment; ``""`` takes that of ``outposts_arn``."""
    availability_zones: list[str] = added(default_factory=list)
    """AZ names the Region's subnets may use; [] for the first number_AZ."""
    kinesis_encryption_type: Literal["KMS", "NONE"] = added("KMS")
    """Encryption at rest of the Kinesis stream."""
    kinesis_kms_key_id: str = added("alias/aws/kinesis")
    """KMS key of the stream (alias, key id or ARN); AWS managed by default."""
    image_tag: OptionalImageTag = added("", sample="latest")
    """Tag of the producer image; "" for the source digest."""
    image_tag_mutability: Literal["IMMUTABLE", "MUTABLE"] = added("IMMUTABLE", sample="MUTABLE")
    """Whether a pushed tag may be moved to a new image."""
    alb_enable_deletion_protection: StrictBool = added(False)
    """Protect the ALB from deletion; off so the test deployment destroys."""
    alb_access_logs_versioning: StrictBool = added(True)
    """Version the access-log bucket (deleted logs stay recoverable a week)."""
    alb_access_logs_expiration_days: StrictInt = added(90, ge=0, le=36500)
    """Days the ALB access logs are kept; 0 keeps them forever."""
    log_retention_days: Annotated[FiniteLogRetentionDays, Strict()] = added(30)
    """Retention in days of every log group (flow logs, build, tasks)."""
    log_group_kms_key_id: KmsKeyArn = added("")
    """ARN of the KMS key encrypting every log group; "" for none."""
    ecs_container_insights: Literal["enabled", "enhanced", "disabled"] = added("enabled")
    """CloudWatch Container Insights of the ECS cluster (billed per metric)."""
    alb_inbound_cidr_range: list[Cidr] = added(default_factory=list)
    """Networks besides the VPC that may reach the ALB (its clients)."""
    ecs_launch_type: Literal["EC2", "FARGATE"] = added("EC2")
    """Tasks on EC2 container instances, or on FARGATE (Region only)."""
    ecs_autoscaling_min_capacity: StrictInt = added(1, ge=1, le=5000, sample="1 task")
    """Tasks the service starts with and keeps at least."""
    ecs_autoscaling_max_capacity: StrictInt = added(3, ge=1, le=5000)
    """Most tasks autoscaling runs (3 fit one m5.2xlarge in awsvpc mode)."""
    ecs_autoscaling_cpu_target: StrictInt = added(65, ge=0, le=100)
    """Average CPU use (%) the task count tracks; 0 for no CPU policy."""
    ecs_autoscaling_requests_per_target: StrictInt = added(0, ge=0)
    """ALB requests per task and minute the task count tracks; 0 for none."""
    kinesis_stream_mode: Literal["PROVISIONED", "ON_DEMAND"] = added("PROVISIONED")
    """Capacity mode of the stream; ON_DEMAND manages the shards itself."""
    kinesis_shard_count: StrictInt = added(1, ge=1, le=10000, sample="1")
    """Shards of a PROVISIONED stream."""
    enable_dashboard: StrictBool = added(True)
    """CloudWatch dashboard of the article's metrics (output dashboard_name)."""
    alarm_sns_topic_arn: str = added("")
    """Existing SNS topic the alarms notify; "" for alarms without actions."""
    producer_spool: StrictBool = added(True)
    """The producer's disk spool for records Kinesis cannot take in time (a service-link
    outage): on EC2 a folder of the container instance, on FARGATE the task's storage. Off, an
    outage fails the tasks' readiness and ECS replaces them over and over."""
    producer_spool_max_mib: StrictInt = added(1024, ge=64, le=65536)
    """Size bound of each task's spool, in MiB; full, it refuses records (503)."""
    enable_test_client: StrictBool = added(False, sample="the file is disabled (.tf_)")
    """The sample's test client: ``number_EC2_instances`` instances in the Outposts subnets
    (the private ones in the Region), reached with Session Manager (module test-client)."""
    s3_backend: S3State | None = added(None)
    """Terraform state in S3 (``bucket``, and optionally ``key``, ``region``, ``use_lockfile``,
    ``encrypt``, ``kms_key_id``, ``workspace_key_prefix``); null: the local file
    ``terraform.<deployment>.tfstate``."""

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
        check_not_fargate_on_outpost("ecs_launch_type", self.ecs_launch_type, self.outposts_arn)
        if self.outposts_arn:
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
        check_at_most(
            "ecs_autoscaling_min_capacity",
            self.ecs_autoscaling_min_capacity,
            "ecs_autoscaling_max_capacity",
            self.ecs_autoscaling_max_capacity,
        )
        if self.kinesis_stream_mode == "ON_DEMAND" and self.kinesis_shard_count != 1:
            raise ValueError(
                f"kinesis_shard_count: {self.kinesis_shard_count}, but an ON_DEMAND stream "
                "manages its shards itself; leave kinesis_shard_count out"
            )
        if self.enable_dashboard:
            check_dashboard_name(
                "vpc_name", self.name_prefix, built_from="vpc_name, vpc_suffix and Project"
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
        if self.outposts_arn and self.enable_test_client:
            client = outposts_instance_warning("ec2_instance_type", self.ec2_instance_type)
            found += [client] if client else []
        return found + module_configs(self).alb_ecs.warnings()

    @property
    def name_prefix(self) -> str:
        """Prefix of the dashboard's and the alarms' names."""
        return f"{self.vpc_name}{self.vpc_suffix}-{self.Project}"

    @property
    def dashboard_name(self) -> str:
        return dashboard_name(self.name_prefix)

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
            # Where the state of the resources is: the backend the stack declares.
            "Terraformbackend": (
                "terraform-backend-s3" if self.s3_backend else "terraform-backend-local"
            ),
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
    """Read and validate a vars file, and the module configurations the stack builds from it;
    every problem becomes a ``ConfigError``."""
    path = Path(path)
    data = read_vars_file(path)
    try:
        variables = TypeAdapter(RootVariables).validate_python(data)
    except ValidationError as exc:
        raise ConfigError(
            describe_validation_error(
                exc, str(path), fields=RootVariables.__dataclass_fields__, model=RootVariables
            )
        ) from None
    placeholders = ConstructOutputs.placeholders(variables)
    builders: dict[str, Callable[[], object]] = {
        "vpc": lambda: vpc_config(variables),
        "docker-ecr-codebuild": lambda: image_config(variables),
        "alb-ecs": lambda: alb_ecs_config(variables, placeholders),
        "test-client": lambda: test_client_config(variables, placeholders, "alb.example.com"),
    }
    for module, build in builders.items():
        try:
            build()
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc, f"{path} (module {module})")) from None
    return variables


# ---------------------------------------------------------------------------------------------
# The module configurations of the stack, from the root variables
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ConstructOutputs:
    """What the alb-ecs configuration takes from the other constructs of the stack.

    ``stack.py`` gives the constructs' attributes (Terraform tokens, known at apply time);
    ``load_variables`` gives placeholders of the same shape (one subnet id per CIDR block),
    so that every check of the configuration runs before the provider bindings load.
    """

    vpc_id: str
    public_subnet_ids: list[str]
    private_subnet_ids: list[str]
    outposts_subnet_ids: list[str]
    nat_public_ips: list[str]
    instance_profile: str
    logging_bucket_name: str
    ecr_name: str
    image_tag: str
    stream_arn: str
    stream_key_arn: str

    @classmethod
    def placeholders(cls, v: RootVariables) -> ConstructOutputs:
        def ids(kind: str, cidrs: list[str]) -> list[str]:
            return [f"${{{kind}[{index}].id}}" for index in range(len(cidrs))]

        return cls(
            vpc_id="${vpc.id}",
            public_subnet_ids=ids("subnet.public", v.public_subnets_cidr_list),
            private_subnet_ids=ids("subnet.private", v.private_subnets_cidr_list),
            outposts_subnet_ids=ids("subnet.outposts", v.outposts_subnets_cidr_list),
            nat_public_ips=["${nat.public_ip}"],
            instance_profile="${instance_profile.id}",
            logging_bucket_name="${bucket.id}",
            ecr_name=image_config(v).ecr_name,
            image_tag="${image.tag}",
            stream_arn="${stream.arn}",
            stream_key_arn="${key.arn}" if v.kinesis_encryption_type == "KMS" else "",
        )


class ModuleConfigs(NamedTuple):
    """The configurations of the stack's three modules."""

    vpc: VpcConfig
    image: DockerEcrCodebuildConfig
    alb_ecs: AlbEcsConfig


def module_configs(v: RootVariables, outputs: ConstructOutputs | None = None) -> ModuleConfigs:
    """The three module configurations; ``outputs`` defaults to placeholders."""
    return ModuleConfigs(
        vpc_config(v),
        image_config(v),
        alb_ecs_config(v, outputs or ConstructOutputs.placeholders(v)),
    )


def vpc_config(v: RootVariables) -> VpcConfig:
    """``test-vpc``: the sample's settings, plus NAT egress for the tasks in the Region."""
    on_outpost = bool(v.outposts_arn)
    return VpcConfig(
        vpc_name=v.vpc_name,
        vpc_suffix=v.vpc_suffix,
        tags=v.common_tags,
        vpc_main_cidr=v.vpc_main_cidr,
        enable_ipv6=False,
        enable_dns_hostnames=True,
        enable_dns_support=True,
        enable_internet_gateway=True,
        enable_nat_gateway=True,
        enable_ssm=True,
        create_iam_role_ssm=True,
        number_AZ=v.number_AZ,
        endpoints_ha=True,
        private_subnets_cidr_list=v.private_subnets_cidr_list,
        tgw_subnets_cidr_list=v.tgw_subnets_cidr_list,
        fw_subnets_cidr_list=v.fw_subnets_cidr_list,
        public_subnets_cidr_list=v.public_subnets_cidr_list,
        web_tier_subnets_cidr_list=v.web_tier_subnets_cidr_list,
        pres_tier_subnets_cidr_list=v.pres_tier_subnets_cidr_list,
        database_tier_subnets_cidr_list=v.database_tier_subnets_cidr_list,
        outposts_subnets_cidr_list=v.outposts_subnets_cidr_list,
        outposts_subnets_internet_access_nat_gw=True,
        # In the Region the tasks live in the private subnets: NAT egress for them.
        private_subnets_internet_access_nat_gw=not on_outpost,
        outposts_arn=v.outposts_arn,
        outposts_route_to_LGW_destination=v.outposts_route_to_LGW_destination,
        outposts_local_gateway_id=v.outposts_local_gateway_id,
        enable_flow_log=True,
        create_flow_log_cloudwatch_log_group=True,
        create_flow_log_cloudwatch_iam_role=True,
        flow_log_cloudwatch_log_group_retention_in_days=v.log_retention_days,
        flow_log_cloudwatch_log_group_kms_key_id=v.log_group_kms_key_id,
        availability_zones=v.availability_zones,
    )


def image_config(v: RootVariables) -> DockerEcrCodebuildConfig:
    """``ecs-docker-codebuild``: the image of this repository's producer."""
    return DockerEcrCodebuildConfig(
        tags=v.common_tags,
        prefix_name=v.vpc_name + v.vpc_suffix,
        image_tag=v.image_tag,
        image_tag_mutability=v.image_tag_mutability,
        log_retention_days=v.log_retention_days,
        log_kms_key_id=v.log_group_kms_key_id,
    )


def alb_ecs_config(v: RootVariables, outputs: ConstructOutputs) -> AlbEcsConfig:
    """``producer-outposts-ecs-alb``. Outpost: the ALB and the tasks in the first Outposts
    subnet (as the sample). Region: the ALB in the public subnets, the tasks in the private
    ones, one subnet per AZ each."""
    clients = []
    if v.outposts_arn:
        alb_subnets, task_subnets = outputs.outposts_subnet_ids[:1], []
    else:
        alb_subnets = outputs.public_subnet_ids[: v.number_AZ]
        task_subnets = outputs.private_subnet_ids[: v.number_AZ]
        if v.enable_test_client:
            # The test client reaches the internet-facing ALB from the NAT gateways' addresses.
            clients = [f"{ip}/32" for ip in outputs.nat_public_ips]
    return AlbEcsConfig(
        tags=v.common_tags,
        vpc_name=v.vpc_name + v.vpc_suffix,
        vpc_id=outputs.vpc_id,
        vpc_cidr_block=v.vpc_main_cidr,
        alb_name="ALB-ECS",
        subnets=alb_subnets,
        ecs_subnets=task_subnets,
        alb_enable_deletion_protection=v.alb_enable_deletion_protection,
        enable_alb_access_logging=True,
        logging_bucket_name=outputs.logging_bucket_name,
        alb_access_logs_prefix=v.alb_access_logs_prefix,
        port_listeners={
            "port-1": PortListener(
                port=80,
                protocol="HTTP",
                inbound_cidr_range=[v.vpc_main_cidr, *v.alb_inbound_cidr_range, *clients],
                target_group=TargetGroup(
                    port=8080, protocol="HTTP", health_check_path="/healthcheck"
                ),
            )
        },
        outposts_arn=v.outposts_arn,
        ecs_cluster_name="producer-cluster",
        ecs_container_insights=v.ecs_container_insights,
        ecs_service=EcsService(
            ecs_service_name="ecs-producer",
            desired_count=v.ecs_autoscaling_min_capacity,
            launch_type=v.ecs_launch_type,
            container_name="producer",
            task_definition=TaskDefinition(
                family="producer",
                cpu=512,
                memory=1024,
                port=8080,
                # Liveness: a Region-side outage fails /healthcheck (the ALB's readiness check)
                # but not /livez, so ECS does not replace every task while the link is down.
                health_check_path="/livez",
                spool_max_mib=v.producer_spool_max_mib if v.producer_spool else 0,
            ),
        ),
        ecs_autoscaling_min_capacity=v.ecs_autoscaling_min_capacity,
        ecs_autoscaling_max_capacity=v.ecs_autoscaling_max_capacity,
        ecs_autoscaling_cpu_target=v.ecs_autoscaling_cpu_target,
        ecs_autoscaling_requests_per_target=v.ecs_autoscaling_requests_per_target,
        log_group_name="producer-log",
        log_retention_days=v.log_retention_days,
        log_group_kms_key_id=v.log_group_kms_key_id,
        ecr_name=outputs.ecr_name,
        image_tag=outputs.image_tag,
        ec2_iam_instance_profile=outputs.instance_profile,
        kinesis_stream_name=v.kinesis_stream_name,
        kinesis_stream_arn=outputs.stream_arn,
        kinesis_kms_key_arn=outputs.stream_key_arn,
    )


def test_client_config(
    v: RootVariables, outputs: ConstructOutputs, alb_dns_name: str
) -> TestClientConfig | None:
    """``test-client`` with ``enable_test_client``: in the Outposts subnets on an Outpost, in
    the private subnets (one per AZ) in the Region; None without it."""
    if not v.enable_test_client:
        return None
    subnets = (
        outputs.outposts_subnet_ids if v.outposts_arn else outputs.private_subnet_ids[: v.number_AZ]
    )
    return TestClientConfig(
        name_prefix=v.name_prefix,
        vpc_id=outputs.vpc_id,
        subnets=subnets,
        ec2_iam_instance_profile=outputs.instance_profile,
        alb_dns_name=alb_dns_name,
        number_EC2_instances=v.number_EC2_instances,
        ec2_ami_id=v.ec2_ami_id,
        ec2_instance_type=v.ec2_instance_type,
        outposts_arn=v.outposts_arn,
        tags=v.common_tags,
    )
