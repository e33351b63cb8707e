"""Variables of the ``alb-ecs`` module (:class:`AlbEcsConfig` and the objects it holds).

Free of provider bindings, so that ``variables.load_variables`` runs every check at once;
``modules/alb_ecs.py`` re-exports them. Values that other constructs give (ids, ARNs, CIDRs)
may be Terraform tokens, which AWS checks at apply time instead.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic.dataclasses import dataclass

from modules.alb_ecs_object_variables import (
    AsgOverride,
    BlockDeviceMapping,
    EcsService,
    GroupMetric,
    Port,
    PortListener,
    ScalingProcess,
    TerminationPolicy,
    _default_asg_overrides,
    _default_ecs_service,
    _default_port_listeners,
)
from modules.aws_facts import OUTPOSTS_EBS_VOLUME_TYPES
from modules.validation import (
    MODULE_CONFIG,
    AmiId,
    EcrRepositoryName,
    ImageTag,
    InstanceType,
    KmsKeyArn,
    LogRetentionDays,
    OutpostsArn,
    StreamName,
    added,
    check_at_most,
    check_not_fargate_on_outpost,
    is_token,
    matching,
    outposts_instance_warning,
)

_ALB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
# Cluster and capacity provider names.
_ECS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_LISTENER_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_STREAM_ARN = re.compile(
    r"^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream/([A-Za-z0-9_.-]{1,128})$"
)
_TASK_DEFINITION_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}(?::\d+)?$"
)
# The current ECS-optimized Amazon Linux 2023 AMI (x86_64) of the Region.
ECS_OPTIMIZED_AL2023 = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
_HEALTH_CHECK_MATCHER = re.compile(r"^\d{3}(?:-\d{3})?(?:,\d{3}(?:-\d{3})?)*$")
RESERVED_CAPACITY_PROVIDER_PREFIXES = ("aws", "ecs", "fargate")

# Task sizes Fargate runs (Linux): CPU units -> (smallest, largest, step) memory in MiB; with
# 256 units only 512, 1024 and 2048 MiB.
FARGATE_TASK_SIZES = {
    256: (512, 2048, 512),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def fargate_memory_sizes(cpu: int) -> list[int]:
    """The task memory sizes (MiB) Fargate offers with ``cpu`` units; [] for no such CPU size."""
    if cpu not in FARGATE_TASK_SIZES:
        return []
    if cpu == 256:
        return [512, 1024, 2048]
    smallest, largest, step = FARGATE_TASK_SIZES[cpu]
    return list(range(smallest, largest + 1, step))


def _cidr_or_token(value: str) -> str:
    if is_token(value):
        return value
    try:
        if "/" not in value:
            raise ValueError("no prefix length")
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a CIDR block ({exc})") from None
    return value


VpcId = Annotated[str, matching(r"^vpc-[0-9a-f]+$", "a VPC id (vpc-...)")]
SubnetId = Annotated[str, matching(r"^subnet-[0-9a-f]+$", "a subnet id (subnet-...)")]


@dataclass(config=MODULE_CONFIG, kw_only=True)
class AlbEcsConfig:
    """Variables of the ``alb-ecs`` module.

    Names and defaults are the sample's. Added here:

    - ``vpc_id``: the VPC comes by id from the vpc construct; the sample looked it up by its
      Name tag, a lookup that fails on a first deployment (the VPC does not exist yet).
    - ``vpc_cidr_block``: the VPC's main CIDR, allowed to reach the interface endpoints on 443
      (the sample read it from the looked-up VPC).
    - ``kinesis_stream_arn``: the stream the task role may write to; when empty it is built
      from the Region, the account and ``kinesis_stream_name``.
    - ``image_tag``: the tag of the producer image in ECR.
    - The settings whose origin is "added" in the variables tables.

    Ids, ARNs and CIDRs coming from other constructs may be Terraform tokens; their format is
    then checked by AWS at apply time instead of here.
    """

    # -------------------- Names, network and placement --------------------------------------
    tags: dict[str, str]
    """Tags of every resource; must hold ``Project`` and ``Owner`` (used in names and ASG tags)."""
    vpc_name: str
    """Name of the VPC, used in resource names."""
    vpc_id: VpcId = added()
    """Id of the VPC the load balancer, security groups and endpoints live in."""
    vpc_cidr_block: Annotated[str, AfterValidator(_cidr_or_token)] = added()
    """Main CIDR block of the VPC; it may reach the interface endpoints on port 443."""
    alb_name: str
    """Name of the load balancer (target group names start with it)."""
    subnets: list[SubnetId] = Field(min_length=1)
    """Subnets of the load balancer (one Outpost subnet), and of the rest unless ecs_subnets."""
    ecs_subnets: list[SubnetId] = added(default_factory=list)
    """Subnets of the tasks and instances; empty = ``subnets``."""
    endpoint_subnets: list[SubnetId] = added(default_factory=list, sample="the tasks' subnets")
    """Regional subnets of the interface endpoints (required on an Outpost); [] = the tasks'."""
    # -------------------- Load balancer -----------------------------------------------------
    custom_zone: bool = False
    """Give the load balancer a name in a Route 53 zone, with an ACM certificate for HTTPS."""
    zone_id: str = ""
    """Route 53 hosted zone id, required with ``custom_zone``."""
    enable_alb_access_logging: bool = False
    """Send the load balancer's access logs to ``logging_bucket_name``."""
    logging_bucket_name: str = ""
    """S3 bucket of the access logs (SSE-S3, in the Outpost's parent Region)."""
    alb_access_logs_prefix: str = "alb/outposts"
    """Key prefix of the access logs in the bucket."""
    port_listeners: dict[str, PortListener] = Field(default_factory=_default_port_listeners)
    """Listeners by key: port, protocol, allowed CIDRs and target group."""
    alb_enable_deletion_protection: bool = False
    """Protect the load balancer from deletion (off by default so a test deployment destroys)."""
    alb_drop_invalid_header_fields: bool = added(True)
    """The load balancer drops HTTP headers with invalid names."""
    alb_ip_address_type: Literal["ipv4", "dualstack", "dualstack-without-public-ipv4"] = "ipv4"
    """IP address type of the load balancer."""
    # -------------------- Target groups -----------------------------------------------------
    target_group_deregistration_delay: int = Field(default=300, ge=0, le=3600)
    """Seconds a deregistering target keeps draining."""
    target_group_health_check_interval: int = Field(default=30, ge=5, le=300)
    """Seconds between health checks of a target."""
    target_group_health_check_timeout: int = Field(default=10, ge=2, le=120)
    """Seconds without an answer that fail a health check (less than the interval)."""
    target_group_health_check_matcher: str = "200-399"
    """HTTP codes of a healthy answer (like 200, 200,202 or 200-399)."""
    target_group_healthy_threshold: int = Field(default=3, ge=2, le=10)
    """Consecutive successes that make a target healthy."""
    target_group_unhealthy_threshold: int = Field(default=3, ge=2, le=10)
    """Consecutive failures that make a target unhealthy."""
    # -------------------- Outpost -----------------------------------------------------------
    outposts_arn: OutpostsArn = ""
    """ARN of the Outpost; empty to deploy in the Region."""
    # -------------------- Cluster, service and its scaling ----------------------------------
    ecs_cluster_name: str
    """Name of the ECS cluster."""
    ecs_container_insights: Literal["enabled", "enhanced", "disabled"] = added("enabled")
    """CloudWatch Container Insights of the cluster (billed per metric)."""
    ecs_service: EcsService = Field(default_factory=_default_ecs_service)
    """The ECS service: name, task count, launch type, container and task definition."""
    ecs_autoscaling_min_capacity: int = added(1, ge=1)
    """Fewest tasks the service's autoscaling leaves running."""
    ecs_autoscaling_max_capacity: int = added(3, ge=1)
    """Most tasks the service's autoscaling starts."""
    ecs_autoscaling_cpu_target: int = added(65, ge=0, le=100)
    """Average CPU use (%) the task count tracks; 0 for no CPU policy."""
    ecs_autoscaling_requests_per_target: int = added(0, ge=0)
    """ALB requests per task and minute the task count tracks; 0 for none."""
    # -------------------- Deployments -------------------------------------------------------
    deployment_minimum_healthy_percent: int = added(100, ge=0, le=100, sample="0")
    """Share of the desired tasks kept running (and healthy) through a deployment."""
    deployment_maximum_percent: int = added(200, ge=100, le=400, sample="100")
    """Tasks a deployment may run, in percent of the desired count (above 100: new first)."""
    deployment_circuit_breaker: bool = added(True, sample="none")
    """Fail a deployment whose tasks keep failing to start or to pass health checks."""
    deployment_circuit_breaker_rollback: bool = added(True, sample="none")
    """Roll a failed deployment back to the last one that reached a steady state."""
    deployment_alarm_names: list[str] = added(default_factory=list, sample="none")
    """CloudWatch alarms whose ALARM state fails (and rolls back) a deployment; [] for none."""
    health_check_grace_period_seconds: int = added(60, ge=0, le=2147483647, sample="0")
    """Seconds ECS ignores a new task's failing load balancer health checks."""
    wait_for_steady_state: bool = added(False)
    """Terraform waits until the service's deployment reaches a steady state."""
    enable_execute_command: bool = added(False)
    """ECS Exec into the tasks (the task role may open Session Manager channels)."""
    # -------------------- Task definition, logs and image -----------------------------------
    import_aws_ecs_task_definition: bool = False
    """Run ``task_definition_arn`` instead of creating a task definition, log group and roles."""
    task_definition_arn: str = ""
    """ARN of the existing task definition, required with ``import_aws_ecs_task_definition``."""
    log_group_name: str
    """Name of the containers' log group (prefixed with ``<vpc_name>-<Project>-``)."""
    log_retention_days: LogRetentionDays = 365
    """Days the container logs are kept (a CloudWatch Logs retention value)."""
    log_group_kms_key_id: KmsKeyArn = added("")
    """ARN of the KMS key encrypting the containers' log group; "" for none."""
    ecr_name: EcrRepositoryName = "kinesis/producer"
    """ECR repository of the container image, in this account and Region."""
    image_tag: ImageTag = added("latest")
    """Tag of the container image."""
    # -------------------- EC2 capacity (launch template, Auto Scaling group, capacity provider)
    ecs_ami_id: AmiId = ""
    """AMI of the instances; "" (sample: ami-017a715104f93ea81) for ecs_ami_ssm_parameter's."""
    ecs_ami_ssm_parameter: Annotated[
        str, matching(r"^/aws/service/ecs/optimized-ami/", "an ECS-optimized AMI parameter")
    ] = added(ECS_OPTIMIZED_AL2023)
    """Public SSM parameter of the current ECS-optimized AMI (without ``ecs_ami_id``)."""
    ecs_instance_refresh_min_healthy_percentage: int = added(100, ge=0, le=100, sample="none")
    """Share of the instances an instance refresh (a launch template change) keeps in service."""
    ecs_instance_type: InstanceType = "m5.2xlarge"
    """Instance type of the launch template."""
    ec2_iam_instance_profile: str
    """Name of the container instances' IAM instance profile."""
    maximum_scaling_step_size: int = Field(default=1, ge=1, le=10000)
    """Most instances managed scaling adds at once."""
    minimum_scaling_step_size: int = Field(default=1, ge=1, le=10000)
    """Fewest instances managed scaling adds at once."""
    capacity_provider_managed_termination_protection: Literal["ENABLED", "DISABLED"] = "DISABLED"
    """Spare instances running tasks on scale-in (needs ``ecs_asg_protect_from_scale_in``)."""
    capacity_provider_target_capacity: int = Field(default=80, ge=1, le=100)
    """Target utilization of the instances, in percent."""
    ecs_asg_name_prefix: str = "OUTPOST_ECS"
    """Name prefix of the Auto Scaling group; its capacity provider is ``<prefix>-<cluster>``."""
    ecs_asg_max_size: int = Field(default=3, ge=0)
    """Maximum size of the Auto Scaling group."""
    ecs_asg_min_size: int = Field(default=0, ge=0)
    """Minimum size of the Auto Scaling group."""
    ecs_asg_desired_capacity: int = Field(default=1, ge=0)
    """Initial desired capacity (later changes by scaling are kept)."""
    ecs_asg_health_check_type: Literal["EC2", "ELB"] = "ELB"
    """Health check type of the Auto Scaling group."""
    ecs_asg_capacity_rebalance: bool = False
    """Enable capacity rebalancing."""
    ecs_asg_default_cooldown: int = Field(default=300, ge=0)
    """Seconds between two scaling activities."""
    ecs_asg_health_check_grace_period: int = Field(default=300, ge=0)
    """Seconds after launch before an instance's health is checked."""
    ecs_asg_termination_policies: list[TerminationPolicy] = Field(default_factory=list)
    """Order in which instances are chosen for termination."""
    ecs_asg_suspended_processes: list[ScalingProcess] = Field(default_factory=list)
    """Auto Scaling processes to suspend."""
    ecs_asg_enabled_metrics: list[GroupMetric] = Field(default_factory=list)
    """Group metrics to collect."""
    ecs_asg_protect_from_scale_in: bool = False
    """Protect new instances from scale-in."""
    ecs_asg_override_config: list[AsgOverride] = Field(default_factory=_default_asg_overrides)
    """Instance types of the mixed instances policy (without the sample's weights 70/20/10)."""
    import_aws_launch_template: bool = False
    """Use the existing launch template ``launch_template_id`` instead of creating one."""
    launch_template_id: str = ""
    """Id of the existing launch template, required with ``import_aws_launch_template``."""
    launch_template_name_prefix: str = "ecs_node_"
    """Name prefix of the launch template."""
    block_device_mappings: list[BlockDeviceMapping] = Field(default_factory=list)
    """Extra block devices of the container instances."""
    encrypt_root_volume: bool = added(True)
    """Without block_device_mappings, an encrypted gp2 root volume."""
    # -------------------- Stream ------------------------------------------------------------
    kinesis_stream_name: StreamName = "data-processing-stream"
    """Kinesis data stream the producer writes to (passed to the container as STREAM_NAME)."""
    kinesis_stream_arn: str = added("")
    """ARN of that stream for the task role; empty to build it from the Region and account."""
    kinesis_kms_key_arn: KmsKeyArn = added("")
    """ARN of the KMS key encrypting the stream; the task role may use it."""
    # -------------------- Hardening ---------------------------------------------------------
    metrics_namespace: str = added("KinesisProducerLibrary")
    """Only CloudWatch namespace the tasks may put metrics in; "" for none."""
    ecs_egress_ports: list[Port] = added(default_factory=lambda: [80, 443])
    """TCP ports instances and tasks may reach (AWS APIs, package repos)."""
    ecs_egress_all_traffic: bool = added(False)
    """All egress traffic from instances and tasks (the sample's rule)."""

    @model_validator(mode="after")
    def _consistent(self) -> AlbEcsConfig:
        self._check_names()
        self._check_listeners()
        self._check_placement()
        self._check_capacity()
        self._check_imports()
        self._check_autoscaling()
        self._check_deployments()
        return self

    def _check_names(self) -> None:
        missing = [key for key in ("Project", "Owner") if not self.tags.get(key)]
        if missing:
            raise ValueError(f"tags: {', '.join(missing)} missing (used in names and ASG tags)")
        if len(self.alb_name) > 32 or not _ALB_NAME.match(self.alb_name):
            raise ValueError(
                f"alb_name: {self.alb_name!r} must be 1 to 32 letters, digits or hyphens, "
                "not starting or ending with a hyphen"
            )
        if self.alb_name.lower().startswith("internal-"):
            raise ValueError(f"alb_name: {self.alb_name!r} must not start with 'internal-'")
        if not _ECS_NAME.match(self.ecs_cluster_name):
            raise ValueError(
                f"ecs_cluster_name: {self.ecs_cluster_name!r} must be 1 to 255 letters, "
                "digits, hyphens or underscores"
            )
        project = self.tags["Project"]
        for suffix in ("execution", "task"):
            role_name = f"{project}-{self.ecs_cluster_name}-{suffix}"
            if len(role_name) > 64:
                raise ValueError(
                    f"ecs_cluster_name: with the Project tag {project!r}, the IAM role name "
                    f"{role_name!r} would exceed 64 characters"
                )
        if self.ecs_asg_name_prefix.lower().startswith(RESERVED_CAPACITY_PROVIDER_PREFIXES):
            raise ValueError(
                f"ecs_asg_name_prefix: {self.ecs_asg_name_prefix!r} names the capacity provider, "
                "whose name must not start with aws, ecs or fargate"
            )
        if self.ecs_service.launch_type == "EC2" and not _ECS_NAME.match(
            self.capacity_provider_name
        ):
            raise ValueError(
                f"ecs_asg_name_prefix: {self.ecs_asg_name_prefix!r} names the capacity provider "
                f"{self.capacity_provider_name!r}, which must be 1 to 255 letters, digits, "
                "hyphens or underscores"
            )
        if self.kinesis_stream_arn and not is_token(self.kinesis_stream_arn):
            match = _STREAM_ARN.match(self.kinesis_stream_arn)
            if not match:
                raise ValueError(
                    f"kinesis_stream_arn: {self.kinesis_stream_arn!r} is not a Kinesis stream ARN"
                )
            if match.group(1) != self.kinesis_stream_name:
                raise ValueError(
                    f"kinesis_stream_arn: names stream {match.group(1)!r}, but "
                    f"kinesis_stream_name is {self.kinesis_stream_name!r}"
                )
        if not _HEALTH_CHECK_MATCHER.match(self.target_group_health_check_matcher):
            raise ValueError(
                f"target_group_health_check_matcher: {self.target_group_health_check_matcher!r} "
                "is not a list of HTTP codes or ranges (like 200,202 or 200-399)"
            )
        if self.target_group_health_check_timeout >= self.target_group_health_check_interval:
            raise ValueError(
                f"target_group_health_check_timeout: {self.target_group_health_check_timeout} "
                "must be less than target_group_health_check_interval "
                f"({self.target_group_health_check_interval})"
            )

    def _check_listeners(self) -> None:
        if not self.port_listeners:
            raise ValueError("port_listeners: at least one listener is needed")
        seen_ports: dict[int, str] = {}
        for key, listener in self.port_listeners.items():
            where = f"port_listeners.{key}"
            if not _LISTENER_KEY.match(key):
                raise ValueError(f"{where}: keys may hold only letters, digits, - and _")
            if listener.port in seen_ports:
                raise ValueError(
                    f"{where}.port: {listener.port} is already the port of "
                    f"port_listeners.{seen_ports[listener.port]}"
                )
            seen_ports[listener.port] = key
            if listener.protocol == "HTTPS" and not self.custom_zone:
                raise ValueError(
                    f"{where}.protocol: HTTPS needs custom_zone (the certificate is issued "
                    "for the load balancer's name in that zone)"
                )
            target_group_name = f"{self.alb_name}-{listener.port}-xxxx"
            if len(target_group_name) > 32:
                raise ValueError(
                    f"{where}.port: target group name {target_group_name!r} would exceed 32 "
                    "characters; shorten alb_name"
                )
            container_port = self.ecs_service.task_definition.port
            if (
                not self.import_aws_ecs_task_definition
                and listener.target_group.port != container_port
            ):
                raise ValueError(
                    f"{where}.target_group.port: {listener.target_group.port} differs from "
                    f"ecs_service.task_definition.port ({container_port}), the container's "
                    "only port"
                )
        if self.custom_zone and not self.zone_id:
            raise ValueError("zone_id: required when custom_zone is true")
        if self.enable_alb_access_logging and not self.logging_bucket_name:
            raise ValueError("logging_bucket_name: required when enable_alb_access_logging is true")

    def _check_placement(self) -> None:
        launch_type = self.ecs_service.launch_type
        if launch_type == "EXTERNAL":
            raise ValueError(
                "ecs_service.launch_type: EXTERNAL (ECS Anywhere) tasks cannot use the awsvpc "
                "network mode or a load balancer, which this module's service needs"
            )
        if launch_type == "FARGATE":
            self._check_fargate()
        if self.outposts_arn:
            if len(self.subnets) != 1:
                raise ValueError(
                    "subnets: a load balancer on an Outpost takes exactly one Outpost subnet "
                    f"(got {len(self.subnets)})"
                )
            if not self.endpoint_subnets:
                raise ValueError(
                    "endpoint_subnets: on an Outpost the interface endpoints need Regional "
                    "subnets (AWS serves them outside the Outposts subnets)"
                )
            for index, mapping in enumerate(self.block_device_mappings):
                volume_type = mapping.ebs.volume_type if mapping.ebs else None
                if volume_type and volume_type not in OUTPOSTS_EBS_VOLUME_TYPES:
                    raise ValueError(
                        f"block_device_mappings.{index}.ebs.volume_type: {volume_type!r} is not "
                        f"served on an Outposts rack (only {', '.join(OUTPOSTS_EBS_VOLUME_TYPES)})"
                    )
        elif len(self.subnets) < 2:
            raise ValueError(
                "subnets: a load balancer in the Region needs subnets in at least two "
                "Availability Zones"
            )

    def _check_fargate(self) -> None:
        check_not_fargate_on_outpost("ecs_service.launch_type", "FARGATE", self.outposts_arn)
        if self.import_aws_launch_template:
            raise ValueError(
                "import_aws_launch_template: FARGATE tasks run on no instances, so no launch "
                "template; use launch type EC2"
            )
        if self.import_aws_ecs_task_definition:
            return
        size = self.ecs_service.task_definition
        if size.cpu not in FARGATE_TASK_SIZES:
            raise ValueError(
                f"ecs_service.task_definition.cpu: {size.cpu} is not a Fargate task size "
                f"(one of {', '.join(map(str, FARGATE_TASK_SIZES))})"
            )
        if size.memory not in fargate_memory_sizes(size.cpu):
            smallest, largest, step = FARGATE_TASK_SIZES[size.cpu]
            offered = (
                "512, 1024 or 2048 MiB"
                if size.cpu == 256
                else f"{smallest} to {largest} MiB in steps of {step}"
            )
            raise ValueError(
                f"ecs_service.task_definition.memory: Fargate runs {size.cpu} CPU units with "
                f"{offered} (got {size.memory})"
            )

    def _check_autoscaling(self) -> None:
        low, high = self.ecs_autoscaling_min_capacity, self.ecs_autoscaling_max_capacity
        check_at_most("ecs_autoscaling_min_capacity", low, "ecs_autoscaling_max_capacity", high)
        desired = self.ecs_service.desired_count
        if self.autoscaling and not low <= desired <= high:
            raise ValueError(
                f"ecs_service.desired_count: {desired} is outside the autoscaling range "
                f"[{low}, {high}] (ecs_autoscaling_min_capacity, ecs_autoscaling_max_capacity)"
            )

    def _check_deployments(self) -> None:
        low, high = self.deployment_minimum_healthy_percent, self.deployment_maximum_percent
        if low == high == 100:
            raise ValueError(
                "deployment_maximum_percent: with deployment_minimum_healthy_percent 100 it must "
                "exceed 100, or a deployment could neither stop an old task nor start a new one"
            )

    def warnings(self) -> list[str]:
        """What is valid but may not launch: instance types of families not known on Outposts."""
        if not self.outposts_arn:
            return []
        instance_types = {"ecs_instance_type": self.ecs_instance_type} | {
            f"ecs_asg_override_config[{i}].instance_type": override.instance_type
            for i, override in enumerate(self.ecs_asg_override_config)
        }
        found = (outposts_instance_warning(f, t) for f, t in instance_types.items())
        return [warning for warning in found if warning]

    @property
    def autoscaling(self) -> bool:
        """Whether a target tracking policy scales the service's task count."""
        return self.ecs_autoscaling_cpu_target > 0 or self.ecs_autoscaling_requests_per_target > 0

    @property
    def capacity_provider_name(self) -> str:
        """Name of the EC2 capacity provider: one per cluster, and known at plan time."""
        return f"{self.ecs_asg_name_prefix}-{self.ecs_cluster_name}"

    @property
    def task_subnets(self) -> list[str]:
        """Subnets of the tasks and the container instances."""
        return self.ecs_subnets or self.subnets

    @property
    def interface_endpoint_subnets(self) -> list[str]:
        """Subnets of the interface endpoints: Regional ones, else the tasks'."""
        return self.endpoint_subnets or self.task_subnets

    def _check_capacity(self) -> None:
        if not (self.ecs_asg_min_size <= self.ecs_asg_desired_capacity <= self.ecs_asg_max_size):
            raise ValueError(
                f"ecs_asg_desired_capacity: need ecs_asg_min_size ({self.ecs_asg_min_size}) <= "
                f"ecs_asg_desired_capacity ({self.ecs_asg_desired_capacity}) <= "
                f"ecs_asg_max_size ({self.ecs_asg_max_size})"
            )
        if self.minimum_scaling_step_size > self.maximum_scaling_step_size:
            raise ValueError(
                f"minimum_scaling_step_size: {self.minimum_scaling_step_size} exceeds "
                f"maximum_scaling_step_size ({self.maximum_scaling_step_size})"
            )
        if (
            self.capacity_provider_managed_termination_protection == "ENABLED"
            and not self.ecs_asg_protect_from_scale_in
        ):
            raise ValueError(
                "capacity_provider_managed_termination_protection: ENABLED needs "
                "ecs_asg_protect_from_scale_in = true"
            )
        for i, mapping in enumerate(self.block_device_mappings):
            if mapping.ebs and mapping.ebs.kms_key_id and not mapping.ebs.encrypted:
                raise ValueError(
                    f"block_device_mappings[{i}].ebs.kms_key_id: needs encrypted = true"
                )
        if not self.ecs_egress_all_traffic and not self.ecs_egress_ports:
            raise ValueError(
                "ecs_egress_ports: empty, so the instances and tasks could reach neither ECS, "
                "ECR nor Kinesis; give ports or set ecs_egress_all_traffic"
            )
        if len(set(self.ecs_egress_ports)) != len(self.ecs_egress_ports):
            raise ValueError(f"ecs_egress_ports: {self.ecs_egress_ports} repeats a port")
        if self.metrics_namespace.startswith("AWS/"):
            raise ValueError(
                f"metrics_namespace: {self.metrics_namespace!r}: namespaces starting with "
                "AWS/ are reserved for AWS services"
            )

    def _check_imports(self) -> None:
        if self.import_aws_launch_template:
            if not self.launch_template_id:
                raise ValueError("launch_template_id: required when import_aws_launch_template")
            if not (
                is_token(self.launch_template_id)
                or re.match(r"^lt-[0-9a-f]+$", self.launch_template_id)
            ):
                raise ValueError(
                    f"launch_template_id: {self.launch_template_id!r} is not a launch "
                    "template id (lt-...)"
                )
        if self.import_aws_ecs_task_definition:
            if not self.task_definition_arn:
                raise ValueError(
                    "task_definition_arn: required when import_aws_ecs_task_definition"
                )
            if not (
                is_token(self.task_definition_arn)
                or _TASK_DEFINITION_ARN.match(self.task_definition_arn)
            ):
                raise ValueError(
                    f"task_definition_arn: {self.task_definition_arn!r} is not a task "
                    "definition ARN"
                )


# The module's outputs (attributes of the ``AlbEcs`` construct), named and ordered as in the
# sample; an output whose resource the configuration does not create is ``None``.
OUTPUTS: dict[str, str] = {
    "alb_id": "ARN of the Application Load Balancer (its id).",
    "ecs_cluster_id": "ARN of the ECS cluster (its id).",
    "ecs_service_id": "ARN of the ECS service (its id).",
    "ecs_task_definition_id": (
        "ARN of the task definition the service runs: the created one, or `task_definition_arn` "
        "with `import_aws_ecs_task_definition`."
    ),
    "ecs_iam_execution_role": (
        "Name of the task execution role; None with `import_aws_ecs_task_definition`."
    ),
    "ecs_iam_task_role": "Name of the task role; None with `import_aws_ecs_task_definition`.",
    "ecs_cw_log_group": (
        "Name of the containers' CloudWatch log group; None with `import_aws_ecs_task_definition`."
    ),
}
