"""The root deployment's variables: the keys of a ``vars/*.tfvars.json`` file.

``vars_file.py`` reads and validates a vars file into ``RootVariables`` before anything loads
the provider bindings; ``stack_configs.py`` builds the stack's module configurations from them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from modules.state import S3State
from modules.test_client_variables import MAX_INSTANCES
from modules.validation import (
    MODULE_CONFIG,
    AmiId,
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
)

_SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
# A KMS key as Kinesis takes it: alias name, alias ARN, key ARN, key id or multi-Region key id.
_KMS_KEY = re.compile(
    r"^(?:alias/[A-Za-z0-9/_-]+"
    r"|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:alias/[A-Za-z0-9/_-]+|key/[A-Za-z0-9-]+)"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|mrk-[0-9a-f]{32})$"
)


# The deployment's part of the names: lowercase letters, digits and inner hyphens, as the
# strictest of the names it starts allows (ECR repositories are lowercase; ALB and target group
# names take letters, digits and hyphens). The longest: a target group's, at most 32 characters:
# "<prefix>-ALB-ECS-<port, up to 5 digits>-<4 characters>" leaves 13 for the prefix.
DEPLOYMENT_PREFIX_MAX = 13
_DEPLOYMENT_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def deployment_prefix_of(deployment: str) -> str:
    """The default ``deployment_prefix`` of the deployment named ``deployment``."""
    return deployment.lower().replace("_", "-")


def _check_deployment_prefix(prefix: str) -> str:
    if not _DEPLOYMENT_PREFIX.match(prefix) or len(prefix) > DEPLOYMENT_PREFIX_MAX:
        raise ValueError(
            f"{prefix!r} cannot start the deployment's names: at most {DEPLOYMENT_PREFIX_MAX} "
            "lowercase letters, digits and inner hyphens (the default is the vars file's name; "
            "set deployment_prefix when that name does not fit)"
        )
    return prefix


DeploymentPrefix = Annotated[str, AfterValidator(_check_deployment_prefix)]
Port = Annotated[int, Strict(), Field(ge=1, le=65535)]


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
    ecs_deployment_minimum_healthy_percent: StrictInt = added(100, ge=0, le=100, sample="0")
    """Share of the tasks kept serving through a deployment (docs/modules/alb-ecs.md)."""
    ecs_deployment_maximum_percent: StrictInt = added(200, ge=100, le=400, sample="100")
    """Tasks a deployment may run at once, in percent: above 100, new tasks start first."""
    ecs_deployment_rollback: StrictBool = added(True, sample="no circuit breaker")
    """A deployment that the circuit breaker (or an alarm) fails is rolled back."""
    ecs_deployment_alarms: StrictBool = added(False, sample="none")
    """The ALB's 5xx and unhealthy-target alarms fail (and roll back) a deployment."""
    ecs_health_check_grace_period_seconds: StrictInt = added(60, ge=0, le=86400, sample="0")
    """Seconds a new task's failing ALB health checks are ignored."""
    ecs_wait_for_steady_state: StrictBool = added(False)
    """cdktf deploy waits until the service's deployment is steady (or fails)."""
    ecs_enable_execute_command: StrictBool = added(False)
    """ECS Exec into the producer tasks (aws ecs execute-command)."""
    ecs_ami_id: AmiId = added("", sample="ami-017a715104f93ea81")
    """AMI of the ECS container instances; "" for the current ECS-optimized AL2023 AMI."""
    kinesis_stream_mode: Literal["PROVISIONED", "ON_DEMAND"] = added("PROVISIONED")
    """Capacity mode of the stream; ON_DEMAND manages the shards itself."""
    kinesis_shard_count: StrictInt = added(1, ge=1, le=10000, sample="1")
    """Shards of a PROVISIONED stream."""
    enable_dashboard: StrictBool = added(True)
    """CloudWatch dashboard of the article's metrics (output dashboard_name); the alarms
    have their own switch, enable_alarms."""
    alarm_sns_topic_arn: str = added("")
    """Existing SNS topic the alarms notify; "" for alarms without actions."""
    enable_alarms: StrictBool = added(True)
    """CloudWatch alarms of the service, the stream, the Outpost and the capacity provider
    (README, Runbook: alarms on an Outpost)."""
    enable_outpost_alarms: StrictBool = added(True)
    """With enable_alarms, the alarms on the Outpost's own metrics (outpost-link-down,
    outpost-capacity-<type>); false where the Outpost is shared with this account through AWS
    RAM: its metrics are in the owner's account only, and the link alarm would never clear."""
    outpost_link_down_minutes: StrictInt = added(5, ge=1, le=1440)
    """Minutes in a row the Outpost's service link is down (ConnectedStatus below 1, or no
    data) before its alarm fires."""
    outpost_capacity_utilization_percent: StrictInt = added(80, ge=1, le=100)
    """Share (%) of an instance type's capacity on the Outpost in use (15 minutes) at which
    that type's alarm fires."""
    capacity_provider_reservation_percent: StrictInt = added(100, ge=100, le=200)
    """CapacityProviderReservation (%) the EC2 capacity provider stays above for 15 minutes
    before its alarm fires; above 100, tasks wait for instances."""
    producer_spool: StrictBool = added(True)
    """The producer's disk spool for records Kinesis cannot take in time (a service-link
    outage): on EC2 a folder of the container instance, on FARGATE the task's storage. Off, an
    outage fails the tasks' readiness and ECS replaces them over and over."""
    producer_spool_max_mib: StrictInt = added(1024, ge=64, le=65536)
    """Size bound of each task's spool, in MiB; full, it refuses records (503)."""
    enable_test_client: StrictBool = added(False, sample="the file is disabled (.tf_)")
    """The sample's test client: ``number_EC2_instances`` instances in the Outposts subnets
    (the private ones in the Region), reached with Session Manager (module test-client)."""
    service_port: StrictInt = added(8080, ge=1, le=65535, sample="8080")
    """Port the producer listens on in its container: the task's port mapping and health
    check, and the target group's port."""
    alb_listener_ports: list[Port] = added(
        default_factory=lambda: [80], min_length=1, sample="one listener, 80"
    )
    """Ports of the ALB's HTTP listeners (keys port-1, port-2, ... in this order), each
    forwarding to the service and open to the VPC, alb_inbound_cidr_range and the test client."""
    ecs_instance_types: list[InstanceType] = added(
        default_factory=lambda: ["m5.2xlarge", "c5.2xlarge", "r5.2xlarge"],
        min_length=1,
        sample="the same, fixed",
    )
    """Instance types of the ECS container instances, most preferred first: the launch
    template's is the first, the group's mixed instances policy takes them all in this order."""
    ecs_asg_min_size: StrictInt = added(0, ge=0, sample="0")
    """Fewest container instances of the Auto Scaling group."""
    ecs_asg_max_size: StrictInt = added(3, ge=0, sample="3")
    """Most container instances of the Auto Scaling group."""
    ecs_asg_desired_capacity: StrictInt = added(1, ge=0, sample="1")
    """Container instances at the first apply (managed scaling changes it later)."""
    destroy_deletes_data: StrictBool = added(True, sample="false")
    """A destroy deletes the ECR repository with its images and the ALB log bucket with its
    objects and their versions, in one go (make destroy says first what it deletes); false:
    make destroy refuses before deleting anything while either holds data."""
    deployment_prefix: DeploymentPrefix = added("", sample="fixed names")
    """First part of every name that must be unique in the account and Region (ECS cluster,
    ALB, ECR repository, IAM roles, log groups, CodeBuild project, dashboard, alarms), so that
    deployments side by side never share a resource; "" (the default) takes the deployment's
    name (``vars/prod-eu.tfvars.json``: ``prod-eu``), lowercase, ``_`` as ``-``."""
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

    @field_validator("alb_listener_ports", "ecs_instance_types")
    @classmethod
    def _distinct(cls, values: list[object]) -> list[object]:
        repeated = sorted({str(value) for value in values if values.count(value) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} named more than once")
        return values

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
        if not self.deployment_prefix:
            raise ValueError(
                "deployment_prefix: empty; the vars file loader sets it to the deployment's name"
            )
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
            if not self.private_subnets_cidr_list:
                raise ValueError(
                    "private_subnets_cidr_list: empty, but on an Outpost the interface "
                    "endpoints of ECS, ECR and CloudWatch Logs need a Regional subnet (AWS "
                    "does not serve them in Outposts subnets)"
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
        if self.ecs_deployment_alarms and not self.enable_alarms:
            raise ValueError(
                "ecs_deployment_alarms: true, but enable_alarms is false: the deployment alarms "
                "(the ALB's 5xx and unhealthy-target alarms) would not exist; set "
                "ecs_deployment_alarms to false or enable_alarms to true"
            )
        if self.enable_dashboard:
            check_dashboard_name(
                "vpc_name", self.name_prefix, built_from="vpc_name, vpc_suffix and Project"
            )

    @property
    def name_prefix(self) -> str:
        """Prefix of the dashboard's and the alarms' names."""
        return f"{self.deployment_prefix}-{self.vpc_name}{self.vpc_suffix}-{self.Project}"

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
