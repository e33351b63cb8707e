"""The ``alb-ecs`` module: an Application Load Balancer in front of an ECS service on EC2 capacity.

On an Outpost there is no Fargate: the service's tasks run on EC2 container instances that an
Auto Scaling group launches and an ECS capacity provider scales. The load balancer takes its
addresses from the Outpost subnet and from the customer-owned IP (CoIP) pool of the Outpost's
local gateway, so it is reachable from the data center without any public exposure.

In the Region (``outposts_arn`` empty) the same module builds the same architecture: the load
balancer in ``subnets`` (public subnets of two or more AZs), the tasks, instances and
interface endpoints in ``ecs_subnets`` (private subnets), and the tasks on EC2 instances or,
with launch type FARGATE, on Fargate. Both modes may scale the service's task count.

:class:`AlbEcsConfig` holds the module's variables (same names and defaults as the sample's
``alb-ecs`` module) and refuses inconsistent combinations before anything is synthesized;
:class:`AlbEcs` builds the resources.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from pathlib import Path
from string import Template
from typing import Annotated, Any, Literal

from cdktf import Fn, TerraformIterator, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupMixedInstancesPolicy,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplate,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecification,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplateOverride,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_ec2_coip_pool import DataAwsEc2CoipPool
from cdktf_cdktf_provider_aws.data_aws_ec2_local_gateway import (
    DataAwsEc2LocalGateway,
    DataAwsEc2LocalGatewayFilter,
)
from cdktf_cdktf_provider_aws.data_aws_ec2_local_gateway_route_table import (
    DataAwsEc2LocalGatewayRouteTable,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_outposts_outpost import DataAwsOutpostsOutpost
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.data_aws_vpc_endpoint_service import DataAwsVpcEndpointService
from cdktf_cdktf_provider_aws.ecs_capacity_provider import (
    EcsCapacityProvider,
    EcsCapacityProviderAutoScalingGroupProvider,
    EcsCapacityProviderAutoScalingGroupProviderManagedScaling,
)
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService as EcsServiceResource,
)
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsServiceCapacityProviderStrategy,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMetadataOptions,
)
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupIngress
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct
from pydantic import AfterValidator, Field, model_validator
from pydantic.dataclasses import dataclass

from modules.provider import provider_region
from modules.validation import (
    LOG_RETENTION_DAYS,
    MODULE_CONFIG,
    Cidr,
    EcrRepositoryName,
    ImageTag,
    KmsKeyArn,
    OutpostsArn,
    StreamName,
    check_outposts_instance_type,
    instance_family,
    matching,
)

USER_DATA_TEMPLATE = Path(__file__).parent / "templates" / "ecs_user_data.sh"

# The TLS policy of HTTPS listeners: TLS 1.3 and 1.2 only, forward secrecy.
HTTPS_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

# Device name of the root volume of the Amazon Linux ECS-optimized AMIs.
ROOT_DEVICE_NAME = "/dev/xvda"
# EBS volume type of the encrypted root volume: Outposts racks serve gp2.
ROOT_VOLUME_TYPE = "gp2"

# Interface endpoints the container instances and tasks need to reach ECS, ECR, Secrets Manager
# and CloudWatch Logs privately: (construct id, endpoint service, Name tag suffix).
INTERFACE_ENDPOINTS = (
    ("ecs", "ecs", "ecs-endpoint"),
    ("ecs-agent", "ecs-agent", "ecs-agent-endpoint"),
    ("ecs-telemetry", "ecs-telemetry", "ecs-telemetry-endpoint"),
    ("ecr_api", "ecr.api", "ecr-api-endpoint"),
    ("ecr_dkr", "ecr.dkr", "ecr-dkr-endpoint"),
    ("secretsmanager", "secretsmanager", "secrets-manager-endpoint"),
    ("logs", "logs", "logs-endpoint"),
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
_HEALTH_CHECK_MATCHER = re.compile(r"^\d{3}(?:-\d{3})?(?:,\d{3}(?:-\d{3})?)*$")
_RESERVED_CAPACITY_PROVIDER_PREFIXES = ("aws", "ecs", "fargate")

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
# The capacity provider of the service's tasks with launch type FARGATE.
FARGATE_CAPACITY_PROVIDER = "FARGATE"
# Service autoscaling: seconds after a scale-out before the next scale-out, and after a scale-in
# before the next scale-in (scale out fast, scale in slowly).
SCALE_OUT_COOLDOWN = 60
SCALE_IN_COOLDOWN = 300


def fargate_memory_sizes(cpu: int) -> list[int]:
    """The task memory sizes (MiB) Fargate offers with ``cpu`` units; [] for no such CPU size."""
    if cpu not in FARGATE_TASK_SIZES:
        return []
    if cpu == 256:
        return [512, 1024, 2048]
    smallest, largest, step = FARGATE_TASK_SIZES[cpu]
    return list(range(smallest, largest + 1, step))


class _ScriptTemplate(Template):
    """``@@{name}`` placeholders, so that the shell's own ``$`` needs no escaping."""

    delimiter = "@@"


def render_user_data(cluster_name: str, environment: str = "Outpost") -> str:
    """The container instances' boot script for ``cluster_name`` (plain text, not base64);
    ``environment`` is the value of the instances' ``environment`` tag."""
    return _ScriptTemplate(USER_DATA_TEMPLATE.read_text()).substitute(
        cluster_name=cluster_name, environment=environment
    )


def producer_process(task_cpu: int) -> str:
    """The container's PRODUCER_PROCESS for a task of ``task_cpu`` units (see producer/).

    ECS enforces a task's CPU units as a quota on the task's cgroup, above the container's,
    where the container cannot read it; so the task definition says whether the producer gets
    a process (and a CPU) of its own: from 2 vCPUs (2048 units).
    """
    return "true" if task_cpu >= 2048 else "false"


def _cidr_or_token(value: str) -> str:
    if Token.is_unresolved(value):
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
Port = Annotated[int, Field(ge=1, le=65535)]


@dataclass(config=MODULE_CONFIG, kw_only=True)
class TargetGroup:
    """Where a listener forwards: the containers' port and protocol, and the health check."""

    port: Port
    """Port the containers listen on; the health check uses it too."""
    protocol: Literal["HTTP", "HTTPS"]
    """Protocol from the load balancer to the containers (and of the health check)."""
    health_check_path: str = "/"
    """Path the load balancer requests to decide whether a container is healthy."""

    @model_validator(mode="after")
    def _path(self) -> TargetGroup:
        if not self.health_check_path.startswith("/"):
            raise ValueError(f"health_check_path: {self.health_check_path!r} must start with '/'")
        return self


@dataclass(config=MODULE_CONFIG, kw_only=True)
class PortListener:
    """One load balancer listener and the target group it forwards to."""

    port: Port
    """Port the load balancer listens on."""
    protocol: Literal["HTTP", "HTTPS"]
    """Listener protocol; HTTPS needs ``custom_zone`` (the certificate comes from there)."""
    inbound_cidr_range: list[Cidr] = Field(default_factory=list)
    """Networks allowed to reach the listener (besides the CoIP pool on an Outpost)."""
    target_group: TargetGroup
    """The target group the listener forwards to."""


@dataclass(config=MODULE_CONFIG, kw_only=True)
class TaskDefinition:
    """Size and port of the service's task."""

    family: str
    """Task definition family name."""
    cpu: int = Field(ge=128)
    """CPU units of the task and of its container (1024 = one vCPU)."""
    memory: int = Field(ge=6)
    """Memory of the task and of its container, in MiB."""
    port: Port
    """Port the container listens on (its one port mapping)."""


@dataclass(config=MODULE_CONFIG, kw_only=True)
class EcsService:
    """The ECS service and the container it runs."""

    ecs_service_name: str
    """Service name; the service is called ``<Project>-<ecs_service_name>``."""
    desired_count: int = Field(ge=0)
    """Number of tasks the service keeps running."""
    launch_type: Literal["EC2", "FARGATE", "EXTERNAL"]
    """Where tasks run: EC2 on the module's capacity provider (only one on an Outpost), FARGATE."""
    container_name: str
    """Name of the container; the load balancer forwards to it."""
    task_definition: TaskDefinition
    """Family, size and port of the task definition."""


@dataclass(config=MODULE_CONFIG, kw_only=True)
class AsgOverride:
    """An instance type the Auto Scaling group may launch, with its weight."""

    instance_type: str
    """EC2 instance type (an Outposts family when ``outposts_arn`` is set)."""
    weighted_capacity: int = Field(ge=1, le=999)
    """Capacity units an instance of this type counts for."""


@dataclass(config=MODULE_CONFIG, kw_only=True)
class EbsVolume:
    """EBS settings of a block device; ``None`` leaves a setting to the AMI or to EC2."""

    delete_on_termination: bool | None = None
    """Delete the volume when the instance terminates."""
    encrypted: bool = True
    """Encrypt the volume (true when not given; the sample left it to the AMI)."""
    iops: int | None = Field(default=None, ge=100)
    """Provisioned IOPS (io1, io2, gp3)."""
    kms_key_id: str | None = None
    """KMS key ARN for the encryption (needs ``encrypted``)."""
    snapshot_id: str | None = None
    """Snapshot to create the volume from."""
    volume_size: int | None = Field(default=None, ge=1)
    """Size in GiB."""
    volume_type: Literal["standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"] | None = None
    """EBS volume type."""


@dataclass(config=MODULE_CONFIG, kw_only=True)
class BlockDeviceMapping:
    """A block device of the container instances' launch template."""

    device_name: str
    """Device name, like /dev/xvda."""
    no_device: bool = False
    """Suppress this device of the AMI's block device mapping."""
    virtual_name: str | None = None
    """Instance store volume name (ephemeral0 and so on)."""
    ebs: EbsVolume | None = None
    """EBS volume settings."""


def _default_port_listeners() -> dict[str, PortListener]:
    return {
        "port-1": PortListener(
            port=80,
            protocol="HTTP",
            inbound_cidr_range=[],
            target_group=TargetGroup(port=8080, protocol="HTTP", health_check_path="/"),
        )
    }


def _default_ecs_service() -> EcsService:
    return EcsService(
        ecs_service_name="ecs-producer",
        desired_count=1,
        launch_type="EC2",
        container_name="producer",
        task_definition=TaskDefinition(family="producer", cpu=512, memory=1024, port=8080),
    )


def _default_asg_overrides() -> list[AsgOverride]:
    return [
        AsgOverride(instance_type="m5.2xlarge", weighted_capacity=70),
        AsgOverride(instance_type="c5.2xlarge", weighted_capacity=20),
        AsgOverride(instance_type="r5.2xlarge", weighted_capacity=10),
    ]


TerminationPolicy = Literal[
    "OldestInstance",
    "NewestInstance",
    "OldestLaunchConfiguration",
    "ClosestToNextInstanceHour",
    "OldestLaunchTemplate",
    "AllocationStrategy",
    "Default",
]
ScalingProcess = Literal[
    "Launch",
    "Terminate",
    "HealthCheck",
    "ReplaceUnhealthy",
    "AZRebalance",
    "AlarmNotification",
    "ScheduledActions",
    "AddToLoadBalancer",
    "InstanceRefresh",
]
GroupMetric = Literal[
    "GroupDesiredCapacity",
    "GroupInServiceCapacity",
    "GroupPendingCapacity",
    "GroupMinSize",
    "GroupMaxSize",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupStandbyCapacity",
    "GroupTerminatingCapacity",
    "GroupTerminatingInstances",
    "GroupTotalCapacity",
    "GroupTotalInstances",
]


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
    - The hardening settings whose description starts with "Not in the sample".

    Ids, ARNs and CIDRs coming from other constructs may be Terraform tokens; their format is
    then checked by AWS at apply time instead of here.
    """

    tags: dict[str, str]
    """Tags of every resource; must hold ``Project`` and ``Owner`` (used in names and ASG tags)."""
    vpc_name: str
    """Name of the VPC, used in resource names."""
    vpc_id: VpcId
    """Id of the VPC the load balancer, security groups and endpoints live in."""
    vpc_cidr_block: Annotated[str, AfterValidator(_cidr_or_token)]
    """Main CIDR block of the VPC; it may reach the interface endpoints on port 443."""
    alb_name: str
    """Name of the load balancer (target group names start with it)."""
    subnets: list[SubnetId] = Field(min_length=1)
    """Subnets of the load balancer (one Outpost subnet), and of the rest unless ecs_subnets."""
    ecs_subnets: list[SubnetId] = Field(default_factory=list)
    """Not in the sample: subnets of the tasks, instances and endpoints; empty = ``subnets``."""
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
    alb_drop_invalid_header_fields: bool = True
    """Not in the sample: the load balancer drops HTTP headers with invalid names."""
    alb_ip_address_type: Literal["ipv4", "dualstack", "dualstack-without-public-ipv4"] = "ipv4"
    """IP address type of the load balancer."""
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
    outposts_arn: OutpostsArn = ""
    """ARN of the Outpost; empty to deploy in the Region."""
    ecs_cluster_name: str
    """Name of the ECS cluster."""
    ecs_container_insights: Literal["enabled", "enhanced", "disabled"] = "enabled"
    """Not in the sample: CloudWatch Container Insights of the cluster (billed per metric)."""
    ecs_service: EcsService = Field(default_factory=_default_ecs_service)
    """The ECS service: name, task count, launch type, container and task definition."""
    ecs_autoscaling_min_capacity: int = Field(default=1, ge=1)
    """Not in the sample: fewest tasks the service's autoscaling leaves running."""
    ecs_autoscaling_max_capacity: int = Field(default=3, ge=1)
    """Not in the sample: most tasks the service's autoscaling starts."""
    ecs_autoscaling_cpu_target: int = Field(default=65, ge=0, le=100)
    """Not in the sample: average CPU use (%) the task count tracks; 0 for no CPU policy."""
    ecs_autoscaling_requests_per_target: int = Field(default=0, ge=0)
    """Not in the sample: ALB requests per task and minute the task count tracks; 0 for none."""
    import_aws_ecs_task_definition: bool = False
    """Run ``task_definition_arn`` instead of creating a task definition, log group and roles."""
    task_definition_arn: str = ""
    """ARN of the existing task definition, required with ``import_aws_ecs_task_definition``."""
    log_group_name: str
    """Name of the containers' log group (prefixed with ``<vpc_name>-<Project>-``)."""
    log_retention_days: int = 365
    """Days the container logs are kept (a CloudWatch Logs retention value)."""
    log_group_kms_key_id: KmsKeyArn = ""
    """Not in the sample: ARN of the KMS key encrypting the containers' log group; "" for none."""
    ecr_name: EcrRepositoryName = "kinesis/producer"
    """ECR repository of the container image, in this account and Region."""
    image_tag: ImageTag = "latest"
    """Tag of the container image."""
    ecs_ami_id: Annotated[str, matching(r"^ami-[0-9a-f]{8,17}$", "an AMI id (ami-...)")] = (
        "ami-017a715104f93ea81"
    )
    """ECS-optimized AMI of the container instances."""
    ecs_instance_type: str = "m5.2xlarge"
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
    """Instance types of the mixed instances policy, with weights."""
    import_aws_launch_template: bool = False
    """Use the existing launch template ``launch_template_id`` instead of creating one."""
    launch_template_id: str = ""
    """Id of the existing launch template, required with ``import_aws_launch_template``."""
    launch_template_name_prefix: str = "ecs_node_"
    """Name prefix of the launch template."""
    block_device_mappings: list[BlockDeviceMapping] = Field(default_factory=list)
    """Extra block devices of the container instances."""
    encrypt_root_volume: bool = True
    """Not in the sample: without block_device_mappings, an encrypted gp2 root volume."""
    kinesis_stream_name: StreamName = "data-processing-stream"
    """Kinesis data stream the producer writes to (passed to the container as STREAM_NAME)."""
    kinesis_stream_arn: str = ""
    """ARN of that stream for the task role; empty to build it from the Region and account."""
    kinesis_kms_key_arn: KmsKeyArn = ""
    """Not in the sample: ARN of the KMS key encrypting the stream; the task role may use it."""
    metrics_namespace: str = "KinesisProducerLibrary"
    """Not in the sample: only CloudWatch namespace the tasks may put metrics in; "" for none."""
    ecs_egress_ports: list[Port] = Field(default_factory=lambda: [80, 443])
    """Not in the sample: TCP ports instances and tasks may reach (AWS APIs, package repos)."""
    ecs_egress_all_traffic: bool = False
    """Not in the sample: all egress traffic from instances and tasks (the sample's rule)."""

    @model_validator(mode="after")
    def _consistent(self) -> AlbEcsConfig:
        self._check_names()
        self._check_listeners()
        self._check_placement()
        self._check_capacity()
        self._check_imports()
        self._check_autoscaling()
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
                    f"ecs_cluster_name: IAM role name {role_name!r} would exceed 64 characters"
                )
        if self.ecs_asg_name_prefix.lower().startswith(_RESERVED_CAPACITY_PROVIDER_PREFIXES):
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
        if self.kinesis_stream_arn and not Token.is_unresolved(self.kinesis_stream_arn):
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
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"log_retention_days: {self.log_retention_days} is not one of "
                f"{', '.join(map(str, LOG_RETENTION_DAYS))}"
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
        instance_types = {"ecs_instance_type": self.ecs_instance_type} | {
            f"ecs_asg_override_config[{i}].instance_type": override.instance_type
            for i, override in enumerate(self.ecs_asg_override_config)
        }
        for field, instance_type in instance_types.items():
            try:
                if self.outposts_arn:
                    check_outposts_instance_type(field, instance_type)
                else:
                    instance_family(instance_type)
            except ValueError as exc:
                message = str(exc)
                raise ValueError(
                    message if message.startswith(field) else f"{field}: {message}"
                ) from None
        if launch_type == "FARGATE":
            self._check_fargate()
        if self.outposts_arn:
            if len(self.subnets) != 1:
                raise ValueError(
                    "subnets: a load balancer on an Outpost takes exactly one Outpost subnet "
                    f"(got {len(self.subnets)})"
                )
        elif len(self.subnets) < 2:
            raise ValueError(
                "subnets: a load balancer in the Region needs subnets in at least two "
                "Availability Zones"
            )

    def _check_fargate(self) -> None:
        if self.outposts_arn:
            raise ValueError("ecs_service.launch_type: FARGATE does not run on Outposts; use EC2")
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
        if high < low:
            raise ValueError(
                f"ecs_autoscaling_max_capacity: {high} is below ecs_autoscaling_min_capacity "
                f"({low})"
            )
        desired = self.ecs_service.desired_count
        if self.autoscaling and not low <= desired <= high:
            raise ValueError(
                f"ecs_service.desired_count: {desired} is outside the autoscaling range "
                f"[{low}, {high}] (ecs_autoscaling_min_capacity, ecs_autoscaling_max_capacity)"
            )

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
        """Subnets of the tasks, the container instances and the interface endpoints."""
        return self.ecs_subnets or self.subnets

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
                Token.is_unresolved(self.launch_template_id)
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
                Token.is_unresolved(self.task_definition_arn)
                or _TASK_DEFINITION_ARN.match(self.task_definition_arn)
            ):
                raise ValueError(
                    f"task_definition_arn: {self.task_definition_arn!r} is not a task "
                    "definition ARN"
                )


def _bool_string(value: bool | None) -> str | None:
    """The provider's string booleans of launch template block devices."""
    return None if value is None else str(value).lower()


class AlbEcs(Construct):
    """The sample's ``alb-ecs`` module: ALB, ECS cluster on an Auto Scaling group, service.

    Always created: the load balancer (internet-facing so that it gets customer-owned IPs,
    in ``subnets``, with access logs when ``enable_alb_access_logging``); per ``port_listeners``
    key, an IP target group ``<alb_name>-<port>-<suffix>`` and a forward
    listener; the ALB and ECS security groups and their rules; the cluster, its capacity
    providers and the service; the interface endpoints (ecs, ecs-agent, ecs-telemetry, ecr.api,
    ecr.dkr, secretsmanager, logs; with FARGATE, which runs no container agent, without the
    three ecs ones) with their security group. Tasks, instances and endpoints live in
    ``ecs_subnets``, or in ``subnets`` when it is empty (as in the sample). The instances'
    ``environment`` tag says ``Outpost`` or ``Region``.

    Conditional:

    - launch type EC2 (the only one on an Outpost): the Auto Scaling group (mixed instances
      policy on the launch template's ``$Latest`` version, desired capacity left to scaling
      after creation) and its capacity provider with managed scaling, which the cluster
      registers as its default strategy and the service runs on.
    - launch type FARGATE (Region only; not in the sample, whose service took the launch type
      but ran on the EC2 cluster regardless): no launch template, Auto Scaling group or
      capacity provider; the cluster registers the ``FARGATE`` capacity provider, the service
      runs on it and the task definition requires FARGATE compatibility (a task size Fargate
      offers is checked).
    - autoscaling (not in the sample; on when ``ecs_autoscaling_cpu_target`` or
      ``ecs_autoscaling_requests_per_target`` is above 0): an Application Auto Scaling target
      on the service's desired count, from ``ecs_autoscaling_min_capacity`` to
      ``ecs_autoscaling_max_capacity``; a target tracking policy on the service's average CPU
      and, with requests per target, one on ``ALBRequestCountPerTarget`` per target group
      (scale out after 60 s, scale in after 300 s). The service then ignores changes of its
      desired count, which autoscaling owns. With launch type EC2 the two levels compose:
      the policies set how many tasks run; tasks that find no room wait in PROVISIONING,
      which raises the capacity provider's ``CapacityProviderReservation`` above
      ``capacity_provider_target_capacity`` so that managed scaling adds instances (up to
      ``ecs_asg_max_size``); when tasks go, the reservation falls and managed scaling removes
      the idle instances.

    - ``outposts_arn`` set: the outpost, local gateway, local gateway route table and CoIP pool
      lookups; the load balancer takes addresses from that pool and every listener port
      accepts traffic from the pool's CIDRs.
    - ``custom_zone``: the zone lookup, an alias record ``<alb_name>.<zone>``, an ACM
      certificate with one DNS validation record per validation option and the validation;
      HTTPS listeners use that certificate.
    - launch type EC2 and not ``import_aws_launch_template``: the launch template (IMDSv2
      only, hop limit 1, optional block devices, user data joining the cluster); else
      ``launch_template_id``.
    - not ``import_aws_ecs_task_definition``: the task definition, its log group, execution
      role and task role; else ``task_definition_arn`` and none of those.

    AWS provider 6: the cluster's capacity providers are an ``aws_ecs_cluster_capacity_providers``
    resource; the Region is the stack provider's, known at synth time (no ``aws_region`` lookup,
    whose attribute differs between provider 5 and 6); the user data is rendered in
    Python from ``templates/ecs_user_data.sh`` (no template provider); HTTPS listeners use
    ``ELBSecurityPolicy-TLS13-1-2-2021-06`` instead of the sample's 2018 forward-secrecy policy.

    Departures from the sample (most of them fix a defect):

    - The VPC comes by id (``vpc_id``, ``vpc_cidr_block``): no lookup by Name tag, which fails
      before the VPC exists.
    - One CoIP ingress rule per listener port (the sample keyed them by a constant, so only
      one port was ever opened to the pool). The ALB-to-ECS egress and ECS ingress rules are
      one per distinct target port, since two listeners forwarding to the same container port
      would otherwise ask EC2 for the same rule twice.
    - The local gateway lookup exists only with an Outpost (the sample ran it always and failed
      in the Region); the outpost and local gateway lookups feed the route table lookup.
    - An ingress rule is made only for listeners with CIDRs (an empty list is a rule AWS
      refuses).
    - Access logs are configured only when enabled (no block with an empty bucket name).
    - The service waits for the listeners (a target group without a load balancer is refused by
      ECS) and for the cluster's capacity providers. It runs on its capacity provider (the
      module's with EC2, ``FARGATE`` with FARGATE) through a capacity provider strategy, not
      ``launch_type``: ECS refuses both at once, and only tasks placed through the strategy
      drive managed scaling.
    - Capacity provider settings are applied on change (the sample ignored every change). The
      capacity provider is named ``<ecs_asg_name_prefix>-<ecs_cluster_name>``, known at plan
      time, not after the group's generated name: a strategy naming a value unknown at plan
      time fails the service's first apply (a provider defect). A new ``ecs_asg_name_prefix``
      replaces the group and the capacity provider under new names.
    - Target group names end in 4 hex digits of a digest of what forces their replacement
      (VPC, port, protocol, target type) instead of a random suffix that never changed, so a
      replacement (create before destroy) does not collide with the old group's name, and no
      ``random`` provider is needed.
    - The task role is scoped: Kinesis writes (and ``DescribeStreamSummary``) on the stream,
      CloudWatch Logs actions on the log group; ``kinesis:ListStreams`` (account-wide, not
      needed to write to a known stream) is left out. The task role trusts
      ``ecs-tasks.amazonaws.com`` only. The policy documents are ``aws_iam_policy_document``
      data sources.
    - The image is pinned to ``image_tag``; the container's environment and log settings use
      the container definition's documented key names. Besides REGION and STREAM_NAME the
      container gets PRODUCER_PROCESS, from the task's CPU units (:func:`producer_process`).
    - The cluster is tagged and makes the capacity provider its default strategy.

    Hardening, each behind its variable (defaults on):

    - The load balancer drops headers with invalid names (``alb_drop_invalid_header_fields``).
      Deletion protection stays ``alb_enable_deletion_protection``, off by default so that a
      test deployment can be destroyed.
    - The cluster has Container Insights (``ecs_container_insights``).
    - The ECS security group lets instances and tasks out on ``ecs_egress_ports`` only (TCP
      443 for the AWS APIs, 80 for the AMI's package repositories) instead of all traffic
      (``ecs_egress_all_traffic`` restores the sample's rule). Every group and rule has a
      description.
    - The launch template encrypts every EBS volume of ``block_device_mappings`` unless told
      otherwise, and without mappings gives the instances an encrypted gp2 root volume
      (``encrypt_root_volume``).
    - The containers' log group is KMS-encrypted with ``log_group_kms_key_id`` (the key's
      policy must let CloudWatch Logs use it).
    - The execution role's permissions are an inline policy naming the repository and the log
      group, instead of the managed AmazonECSTaskExecutionRolePolicy (``*`` everywhere); only
      ``ecr:GetAuthorizationToken`` keeps ``*``. With ``kinesis_kms_key_arn`` the task role may
      generate data keys with that key (writing to a KMS-encrypted stream needs it);
      ``cloudwatch:PutMetricData`` is limited to ``metrics_namespace``.

    Outputs are the sample's, as attributes: ``ecs_task_definition_id`` is the imported ARN
    with ``import_aws_ecs_task_definition``, when ``ecs_iam_execution_role``,
    ``ecs_iam_task_role`` and ``ecs_cw_log_group`` are ``None`` (the sample failed there).
    ``alb_dns_name``, ``ecs_cluster_name`` and ``ecs_service_name`` are added for the root
    deployment's outputs; ``alb_arn_suffix`` and ``target_group_arn_suffixes`` (the metric
    dimensions), ``ecs_capacity_provider_name`` (``None`` with FARGATE) and
    ``ecs_autoscaling_target_id`` (``None`` without autoscaling) for its dashboard and alarms.
    """

    alb_id: str
    alb_dns_name: str
    ecs_cluster_id: str
    ecs_cluster_name: str
    ecs_service_id: str
    ecs_service_name: str
    ecs_task_definition_id: str
    ecs_iam_execution_role: str | None
    ecs_iam_task_role: str | None
    ecs_cw_log_group: str | None
    alb_arn_suffix: str
    target_group_arn_suffixes: dict[str, str]
    ecs_capacity_provider_name: str | None
    ecs_autoscaling_target_id: str | None

    def __init__(self, scope: Construct, id: str, config: AlbEcsConfig) -> None:
        super().__init__(scope, id)
        self.config = config
        self._project = config.tags["Project"]
        self._name_prefix = f"{config.vpc_name}-{self._project}"
        self._region = provider_region(self)
        self._account = DataAwsCallerIdentity(self, "current")
        self._partition = DataAwsPartition(self, "partition")
        self._coip_pool = self._outpost_lookups()

        self._security_groups()
        self._load_balancer()
        self._capacity_provider: EcsCapacityProvider | None = None
        if config.ecs_service.launch_type == "EC2":
            self._capacity_provider = self._capacity()
        self.ecs_capacity_provider_name = (
            self._capacity_provider.name if self._capacity_provider else None
        )
        self._task_definition()
        self._ecs()
        self._endpoints()

    # ---------------------------------------------------------------- lookups

    def _outpost_lookups(self) -> DataAwsEc2CoipPool | None:
        """The CoIP pool of the outpost's local gateway route table (None in the Region)."""
        if not self.config.outposts_arn:
            return None
        outpost = DataAwsOutpostsOutpost(self, "target_outpost", arn=self.config.outposts_arn)
        local_gateway = DataAwsEc2LocalGateway(
            self,
            "outposts_lgw",
            filter=[DataAwsEc2LocalGatewayFilter(name="outpost-arn", values=[outpost.arn])],
        )
        route_table = DataAwsEc2LocalGatewayRouteTable(
            self,
            "outposts_lgw_route_table",
            outpost_arn=outpost.arn,
            local_gateway_id=local_gateway.id,
        )
        return DataAwsEc2CoipPool(
            self,
            "coip",
            local_gateway_route_table_id=route_table.local_gateway_route_table_id,
        )

    def _named(self, name: str, **extra: str) -> dict[str, str]:
        return {**self.config.tags, **extra, "Name": name}

    # -------------------------------------------------------- security groups

    def _security_groups(self) -> None:
        config = self.config
        alb_sg_name = f"{self._name_prefix}-{config.alb_name}-sec-group"
        self._alb_sg = SecurityGroup(
            self,
            "alb_sg",
            name=alb_sg_name,
            description="Security group for ECS ALB",
            vpc_id=config.vpc_id,
            tags=self._named(alb_sg_name),
        )
        ecs_sg_name = f"{self._name_prefix}-ecs-sec-group"
        self._ecs_sg = SecurityGroup(
            self,
            "ecs_sg",
            name=ecs_sg_name,
            description="Security group for ECS",
            vpc_id=config.vpc_id,
            tags=self._named(ecs_sg_name),
        )

        for key, listener in config.port_listeners.items():
            ipv4 = [c for c in listener.inbound_cidr_range if ipaddress.ip_network(c).version == 4]
            ipv6 = [c for c in listener.inbound_cidr_range if ipaddress.ip_network(c).version == 6]
            if ipv4 or ipv6:
                SecurityGroupRule(
                    self,
                    f"alb_listener_in_{key}",
                    type="ingress",
                    from_port=listener.port,
                    to_port=listener.port,
                    protocol="tcp",
                    cidr_blocks=ipv4 or None,
                    ipv6_cidr_blocks=ipv6 or None,
                    description=f"listener {key} from its inbound CIDR ranges",
                    security_group_id=self._alb_sg.id,
                )
            if self._coip_pool is not None:
                SecurityGroupRule(
                    self,
                    f"alb_listener_in_coip_{key}",
                    type="ingress",
                    from_port=listener.port,
                    to_port=listener.port,
                    protocol="tcp",
                    cidr_blocks=self._coip_pool.pool_cidrs,
                    description=f"listener {key} from the customer-owned IP pool",
                    security_group_id=self._alb_sg.id,
                )

        target_ports = sorted({item.target_group.port for item in config.port_listeners.values()})
        for port in target_ports:
            SecurityGroupRule(
                self,
                f"alb_healthcheck_egress_{port}",
                type="egress",
                from_port=port,
                to_port=port,
                protocol="tcp",
                source_security_group_id=self._ecs_sg.id,
                description="traffic and health checks to the containers",
                security_group_id=self._alb_sg.id,
            )
            SecurityGroupRule(
                self,
                f"ecs_alb_in_{port}",
                type="ingress",
                from_port=port,
                to_port=port,
                protocol="tcp",
                source_security_group_id=self._alb_sg.id,
                description="traffic and health checks from the load balancer",
                security_group_id=self._ecs_sg.id,
            )
        if config.ecs_egress_all_traffic:
            SecurityGroupRule(
                self,
                "ecs_traffic_out",
                type="egress",
                from_port=0,
                to_port=0,
                protocol="-1",
                cidr_blocks=["0.0.0.0/0"],
                description="all egress traffic",
                security_group_id=self._ecs_sg.id,
            )
            return
        for port in config.ecs_egress_ports:
            SecurityGroupRule(
                self,
                f"ecs_traffic_out_{port}",
                type="egress",
                from_port=port,
                to_port=port,
                protocol="tcp",
                # The AWS APIs (ECS, ECR, S3, Kinesis, Logs, SSM) and package repositories.
                cidr_blocks=["0.0.0.0/0"],
                description=f"TCP {port} out: AWS APIs and package repositories",
                security_group_id=self._ecs_sg.id,
            )

    # --------------------------------------------------- load balancer and TLS

    def _load_balancer(self) -> None:
        config = self.config
        access_logs = (
            LbAccessLogs(
                bucket=config.logging_bucket_name,
                prefix=config.alb_access_logs_prefix,
                enabled=True,
            )
            if config.enable_alb_access_logging
            else None
        )
        self._alb = Lb(
            self,
            "alb",
            name=config.alb_name,
            internal=False,
            load_balancer_type="application",
            security_groups=[self._alb_sg.id],
            subnets=config.subnets,
            enable_deletion_protection=config.alb_enable_deletion_protection,
            drop_invalid_header_fields=config.alb_drop_invalid_header_fields,
            customer_owned_ipv4_pool=self._coip_pool.pool_id if self._coip_pool else None,
            ip_address_type=config.alb_ip_address_type,
            access_logs=access_logs,
            tags=config.tags,
        )
        self.alb_id = self._alb.id
        self.alb_dns_name = self._alb.dns_name
        self.alb_arn_suffix = self._alb.arn_suffix
        certificate_arn = self._certificate() if config.custom_zone else None

        self._target_groups: dict[str, LbTargetGroup] = {}
        self.target_group_arn_suffixes = {}
        self._listeners: list[LbListener] = []
        for key, listener in config.port_listeners.items():
            target = listener.target_group
            # The sample's 4-character suffix was random and never changed, so a replacement
            # (create before destroy) collided with the old group's name. This one is a digest
            # of what forces a replacement, so the new group always gets a new name.
            replaced_by = Fn.join("-", [config.vpc_id, str(target.port), target.protocol, "ip"])
            suffix = Fn.substr(Fn.sha1(replaced_by), 0, 4)
            target_group = LbTargetGroup(
                self,
                f"ecs_alb_tg_{key}",
                name=f"{config.alb_name}-{listener.port}-{suffix}",
                vpc_id=config.vpc_id,
                port=target.port,
                protocol=target.protocol,
                target_type="ip",
                deregistration_delay=str(config.target_group_deregistration_delay),
                health_check=LbTargetGroupHealthCheck(
                    interval=config.target_group_health_check_interval,
                    protocol=target.protocol,
                    port=str(target.port),
                    path=target.health_check_path,
                    timeout=config.target_group_health_check_timeout,
                    matcher=config.target_group_health_check_matcher,
                    healthy_threshold=config.target_group_healthy_threshold,
                    unhealthy_threshold=config.target_group_unhealthy_threshold,
                ),
                tags=config.tags,
                lifecycle=TerraformResourceLifecycle(
                    create_before_destroy=True, ignore_changes=["name"]
                ),
            )
            self._target_groups[key] = target_group
            self.target_group_arn_suffixes[key] = target_group.arn_suffix
            https = listener.protocol == "HTTPS"
            self._listeners.append(
                LbListener(
                    self,
                    f"listener_{key}",
                    load_balancer_arn=self._alb.arn,
                    port=listener.port,
                    protocol=listener.protocol,
                    ssl_policy=HTTPS_SSL_POLICY if https else None,
                    certificate_arn=certificate_arn if https else None,
                    default_action=[
                        LbListenerDefaultAction(type="forward", target_group_arn=target_group.arn)
                    ],
                    tags=config.tags,
                )
            )

    def _certificate(self) -> str:
        """Alias record and DNS-validated certificate; returns the validated certificate ARN."""
        config = self.config
        zone = DataAwsRoute53Zone(self, "hostedzone", zone_id=config.zone_id)
        domain_name = f"{config.alb_name}.{zone.name}"
        Route53Record(
            self,
            "HostRecordALB",
            zone_id=zone.zone_id,
            name=domain_name,
            type="A",
            alias=Route53RecordAlias(
                name=self._alb.dns_name,
                zone_id=self._alb.zone_id,
                evaluate_target_health=True,
            ),
        )
        certificate = AcmCertificate(
            self,
            "alb-cert",
            domain_name=domain_name,
            validation_method="DNS",
            tags=self._named(f"{config.alb_name}-ALB-certificate"),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        options = TerraformIterator.from_complex_list(
            certificate.domain_validation_options, "domain_name"
        )
        records = Route53Record(
            self,
            "alb_cert_validation",
            for_each=options,
            zone_id=zone.zone_id,
            name=options.get_string("resource_record_name"),
            type=options.get_string("resource_record_type"),
            records=[options.get_string("resource_record_value")],
            ttl=300,
            allow_overwrite=True,
        )
        validation = AcmCertificateValidation(
            self,
            "alb-cert-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=Token.as_list(
                TerraformIterator.from_resources(records).pluck_property("fqdn")
            ),
        )
        return validation.certificate_arn

    # --------------------------------------------------------------- capacity

    def _capacity(self) -> EcsCapacityProvider:
        """Launch template, Auto Scaling group and their capacity provider (launch type EC2)."""
        config = self.config
        if config.import_aws_launch_template:
            launch_template_id = config.launch_template_id
        else:
            launch_template_id = self._launch_template().id

        asg_tags = {
            "Name": config.ecs_asg_name_prefix,
            "Project": self._project,
            "Owner": config.tags["Owner"],
            "AmazonECSManaged": "",
        }
        asg = AutoscalingGroup(
            self,
            "ecs_nodes",
            name_prefix=config.ecs_asg_name_prefix,
            max_size=config.ecs_asg_max_size,
            min_size=config.ecs_asg_min_size,
            desired_capacity=config.ecs_asg_desired_capacity,
            vpc_zone_identifier=config.task_subnets,
            health_check_type=config.ecs_asg_health_check_type,
            capacity_rebalance=config.ecs_asg_capacity_rebalance,
            default_cooldown=config.ecs_asg_default_cooldown,
            health_check_grace_period=config.ecs_asg_health_check_grace_period,
            termination_policies=list(config.ecs_asg_termination_policies),
            suspended_processes=list(config.ecs_asg_suspended_processes),
            enabled_metrics=list(config.ecs_asg_enabled_metrics),
            protect_from_scale_in=config.ecs_asg_protect_from_scale_in,
            mixed_instances_policy=AutoscalingGroupMixedInstancesPolicy(
                launch_template=AutoscalingGroupMixedInstancesPolicyLaunchTemplate(
                    launch_template_specification=(
                        AutoscalingGroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecification(
                            launch_template_id=launch_template_id, version="$Latest"
                        )
                    ),
                    override=[
                        AutoscalingGroupMixedInstancesPolicyLaunchTemplateOverride(
                            instance_type=override.instance_type,
                            weighted_capacity=str(override.weighted_capacity),
                        )
                        for override in config.ecs_asg_override_config
                    ],
                )
            ),
            tag=[
                AutoscalingGroupTag(key=key, value=value, propagate_at_launch=True)
                for key, value in asg_tags.items()
            ],
            lifecycle=TerraformResourceLifecycle(
                create_before_destroy=True, ignore_changes=["desired_capacity"]
            ),
        )
        # A name known at plan time: the group's generated name is not, and a service whose
        # capacity provider strategy names an unknown value fails its first apply with
        # "Provider produced inconsistent final plan" (hashicorp/terraform-provider-aws#39584).
        return EcsCapacityProvider(
            self,
            "capacity_provider",
            name=config.capacity_provider_name,
            auto_scaling_group_provider=EcsCapacityProviderAutoScalingGroupProvider(
                auto_scaling_group_arn=asg.arn,
                managed_termination_protection=(
                    config.capacity_provider_managed_termination_protection
                ),
                managed_scaling=EcsCapacityProviderAutoScalingGroupProviderManagedScaling(
                    status="ENABLED",
                    target_capacity=config.capacity_provider_target_capacity,
                    minimum_scaling_step_size=config.minimum_scaling_step_size,
                    maximum_scaling_step_size=config.maximum_scaling_step_size,
                ),
            ),
            tags=config.tags,
        )

    def _launch_template(self) -> LaunchTemplate:
        config = self.config
        user_data = render_user_data(
            config.ecs_cluster_name, "Outpost" if config.outposts_arn else "Region"
        )
        return LaunchTemplate(
            self,
            "node",
            name_prefix=config.launch_template_name_prefix,
            image_id=config.ecs_ami_id,
            instance_type=config.ecs_instance_type,
            vpc_security_group_ids=[self._ecs_sg.id],
            user_data=base64.b64encode(user_data.encode()).decode(),
            iam_instance_profile=LaunchTemplateIamInstanceProfile(
                name=config.ec2_iam_instance_profile
            ),
            block_device_mappings=self._block_devices() or None,
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
            ),
            update_default_version=True,
            tags=config.tags,
        )

    def _block_devices(self) -> list[LaunchTemplateBlockDeviceMappings]:
        """The configured block devices, or the encrypted root volume when there are none."""
        config = self.config
        if not config.block_device_mappings:
            if not config.encrypt_root_volume:
                return []
            return [
                LaunchTemplateBlockDeviceMappings(
                    device_name=ROOT_DEVICE_NAME,
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        delete_on_termination="true",
                        encrypted="true",
                        volume_type=ROOT_VOLUME_TYPE,
                    ),
                )
            ]
        return [
            LaunchTemplateBlockDeviceMappings(
                device_name=mapping.device_name,
                no_device="true" if mapping.no_device else None,
                virtual_name=mapping.virtual_name,
                ebs=(
                    LaunchTemplateBlockDeviceMappingsEbs(
                        delete_on_termination=_bool_string(mapping.ebs.delete_on_termination),
                        encrypted=_bool_string(mapping.ebs.encrypted),
                        iops=mapping.ebs.iops,
                        kms_key_id=mapping.ebs.kms_key_id,
                        snapshot_id=mapping.ebs.snapshot_id,
                        volume_size=mapping.ebs.volume_size,
                        volume_type=mapping.ebs.volume_type,
                    )
                    if mapping.ebs
                    else None
                ),
            )
            for mapping in config.block_device_mappings
        ]

    # ------------------------------------------- task definition, logs and IAM

    def _task_definition(self) -> None:
        """The task definition with its log group and roles, or the imported definition."""
        config = self.config
        self.ecs_iam_execution_role = None
        self.ecs_iam_task_role = None
        self.ecs_cw_log_group = None
        if config.import_aws_ecs_task_definition:
            self.ecs_task_definition_id = config.task_definition_arn
            return

        log_group_name = f"{self._name_prefix}-{config.log_group_name}"
        log_group = CloudwatchLogGroup(
            self,
            "ecs_log_group",
            name=log_group_name,
            retention_in_days=config.log_retention_days,
            kms_key_id=config.log_group_kms_key_id or None,
            tags=self._named(log_group_name, Purpose="CW log group for ECS"),
        )
        execution_role, task_role = self._roles(log_group)

        service = config.ecs_service
        region = self._region
        image = (
            f"{self._account.account_id}.dkr.ecr.{region}.amazonaws.com/"
            f"{config.ecr_name}:{config.image_tag}"
        )
        container: dict[str, Any] = {
            "name": service.container_name,
            "image": image,
            "essential": True,
            "cpu": service.task_definition.cpu,
            "memory": service.task_definition.memory,
            "portMappings": [{"containerPort": service.task_definition.port, "protocol": "tcp"}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group.name,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": service.container_name,
                },
            },
            "environment": [
                {"name": "REGION", "value": region},
                {"name": "STREAM_NAME", "value": config.kinesis_stream_name},
                {
                    "name": "PRODUCER_PROCESS",
                    "value": producer_process(service.task_definition.cpu),
                },
            ],
        }
        task_definition = EcsTaskDefinition(
            self,
            "task_definition",
            family=service.task_definition.family,
            container_definitions=json.dumps([container]),
            task_role_arn=task_role.arn,
            execution_role_arn=execution_role.arn,
            cpu=str(service.task_definition.cpu),
            memory=str(service.task_definition.memory),
            requires_compatibilities=[service.launch_type],
            network_mode="awsvpc",
            tags=config.tags,
        )
        self.ecs_task_definition_id = task_definition.arn
        self.ecs_iam_execution_role = execution_role.id
        self.ecs_iam_task_role = task_role.id
        self.ecs_cw_log_group = log_group.id

    def _roles(self, log_group: CloudwatchLogGroup) -> tuple[IamRole, IamRole]:
        """Execution role (pull the image, ship logs) and task role (write to Kinesis)."""
        config = self.config
        partition = self._partition.partition
        assume = DataAwsIamPolicyDocument(
            self,
            "ecs_tasks_assume_role",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    effect="Allow",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["ecs-tasks.amazonaws.com"]
                        )
                    ],
                )
            ],
        )
        region, account = self._region, self._account.account_id
        execution_role = IamRole(
            self,
            "ecs_execution_role",
            name=f"{self._project}-{config.ecs_cluster_name}-execution",
            assume_role_policy=assume.json,
            tags=config.tags,
        )
        repository_arn = f"arn:{partition}:ecr:{region}:{account}:repository/{config.ecr_name}"
        execution_policy = DataAwsIamPolicyDocument(
            self,
            "ecs_execution_policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="PullImage",
                    effect="Allow",
                    actions=[
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                    ],
                    resources=[repository_arn],
                ),
                # GetAuthorizationToken is account-wide: it takes no resource.
                DataAwsIamPolicyDocumentStatement(
                    sid="RegistryLogin",
                    effect="Allow",
                    actions=["ecr:GetAuthorizationToken"],
                    resources=["*"],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="ShipLogs",
                    effect="Allow",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.arn, f"{log_group.arn}:*"],
                ),
            ],
        )
        IamRolePolicy(
            self,
            "ecs_execution_policy",
            name=f"{self._project}-ecs-execution-policy",
            role=execution_role.id,
            policy=execution_policy.json,
        )
        task_role = IamRole(
            self,
            "ecs_task_role",
            name=f"{self._project}-{config.ecs_cluster_name}-task",
            assume_role_policy=assume.json,
            tags=config.tags,
        )
        stream_arn = config.kinesis_stream_arn or (
            f"arn:{partition}:kinesis:{region}:{account}:stream/{config.kinesis_stream_name}"
        )
        statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="WriteToStream",
                effect="Allow",
                actions=[
                    "kinesis:DescribeStreamSummary",
                    "kinesis:ListShards",
                    "kinesis:PutRecord",
                    "kinesis:PutRecords",
                ],
                resources=[stream_arn],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="WriteLogs",
                effect="Allow",
                actions=[
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[log_group.arn, f"{log_group.arn}:*"],
            ),
        ]
        if config.kinesis_kms_key_arn:
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid="EncryptStreamRecords",
                    effect="Allow",
                    actions=["kms:GenerateDataKey"],
                    resources=[config.kinesis_kms_key_arn],
                )
            )
        if config.metrics_namespace:
            statements.append(
                # PutMetricData has no resource type: "*", narrowed to one namespace.
                DataAwsIamPolicyDocumentStatement(
                    sid="PublishMetrics",
                    effect="Allow",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals",
                            variable="cloudwatch:namespace",
                            values=[config.metrics_namespace],
                        )
                    ],
                )
            )
        task_policy = DataAwsIamPolicyDocument(
            self, "ecs_task_policy_document", statement=statements
        )
        IamRolePolicy(
            self,
            "ecs_task_policy",
            name=f"{self._project}-ecs-task-policy",
            role=task_role.id,
            policy=task_policy.json,
        )
        return execution_role, task_role

    # -------------------------------------------------------- cluster, service

    def _ecs(self) -> None:
        config = self.config
        cluster = EcsCluster(
            self,
            "ecs-cluster",
            name=config.ecs_cluster_name,
            setting=[
                EcsClusterSetting(name="containerInsights", value=config.ecs_container_insights)
            ],
            tags=config.tags,
        )
        # EC2: the module's capacity provider; FARGATE: the provider AWS offers every cluster.
        capacity_provider = (
            self._capacity_provider.name if self._capacity_provider else FARGATE_CAPACITY_PROVIDER
        )
        cluster_capacity = EcsClusterCapacityProviders(
            self,
            "ecs-cluster-capacity-providers",
            cluster_name=cluster.name,
            capacity_providers=[capacity_provider],
            default_capacity_provider_strategy=[
                EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(
                    capacity_provider=capacity_provider, weight=1
                )
            ],
        )
        service = config.ecs_service
        ecs_service = EcsServiceResource(
            self,
            "service",
            name=f"{self._project}-{service.ecs_service_name}",
            cluster=cluster.id,
            task_definition=self.ecs_task_definition_id,
            desired_count=service.desired_count,
            capacity_provider_strategy=[
                EcsServiceCapacityProviderStrategy(capacity_provider=capacity_provider, weight=1)
            ],
            deployment_maximum_percent=100,
            deployment_minimum_healthy_percent=0,
            enable_ecs_managed_tags=True,
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=config.task_subnets,
                security_groups=[self._ecs_sg.id],
                assign_public_ip=False,
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=self._target_groups[key].arn,
                    container_name=service.container_name,
                    container_port=listener.target_group.port,
                )
                for key, listener in config.port_listeners.items()
            ],
            tags=config.tags,
            depends_on=[*self._listeners, cluster_capacity],
            # Autoscaling owns the task count once the service exists.
            lifecycle=(
                TerraformResourceLifecycle(ignore_changes=["desired_count"])
                if config.autoscaling
                else None
            ),
        )
        self.ecs_cluster_id = cluster.id
        self.ecs_cluster_name = cluster.name
        self.ecs_service_id = ecs_service.id
        self.ecs_service_name = ecs_service.name
        self._autoscaling(cluster, ecs_service)

    def _autoscaling(self, cluster: EcsCluster, service: EcsServiceResource) -> None:
        """Scalable target on the service's desired count and its target tracking policies."""
        config = self.config
        self.ecs_autoscaling_target_id = None
        if not config.autoscaling:
            return
        target = AppautoscalingTarget(
            self,
            "service_scaling_target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster.name}/{service.name}",
            min_capacity=config.ecs_autoscaling_min_capacity,
            max_capacity=config.ecs_autoscaling_max_capacity,
            tags=config.tags,
        )
        self.ecs_autoscaling_target_id = target.id
        policy_name = f"{self._project}-{config.ecs_service.ecs_service_name}"
        policies: list[tuple[str, str, int, str | None]] = []
        if config.ecs_autoscaling_cpu_target:
            policies.append(
                ("cpu", "ECSServiceAverageCPUUtilization", config.ecs_autoscaling_cpu_target, None)
            )
        if config.ecs_autoscaling_requests_per_target:
            for key, suffix in self.target_group_arn_suffixes.items():
                policies.append(
                    (
                        f"requests-{key}",
                        "ALBRequestCountPerTarget",
                        config.ecs_autoscaling_requests_per_target,
                        f"{self.alb_arn_suffix}/{suffix}",
                    )
                )
        for name, metric, value, label in policies:
            AppautoscalingPolicy(
                self,
                f"service_scaling_{name}",
                name=f"{policy_name}-{name}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=(
                    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                        target_value=value,
                        predefined_metric_specification=(
                            AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                                predefined_metric_type=metric, resource_label=label
                            )
                        ),
                        scale_out_cooldown=SCALE_OUT_COOLDOWN,
                        scale_in_cooldown=SCALE_IN_COOLDOWN,
                    )
                ),
            )

    # ---------------------------------------------------------------- endpoints

    def _endpoints(self) -> None:
        config = self.config
        sg_name = f"{self._name_prefix}-ecs-endpoint"
        endpoints_sg = SecurityGroup(
            self,
            "ecs_endpoints_sec_group",
            name=sg_name,
            description="HTTPS from the VPC to the ECS, ECR, Secrets Manager and Logs endpoints",
            vpc_id=config.vpc_id,
            ingress=[
                SecurityGroupIngress(
                    description="TLS from VPC",
                    from_port=443,
                    to_port=443,
                    protocol="tcp",
                    cidr_blocks=[config.vpc_cidr_block],
                )
            ],
            tags=self._named(sg_name),
        )
        for construct_id, service_name, name_suffix in INTERFACE_ENDPOINTS:
            if service_name.startswith("ecs") and config.ecs_service.launch_type == "FARGATE":
                continue  # only the container agent of EC2 instances talks to these
            endpoint_service = DataAwsVpcEndpointService(
                self, f"endpoint_service_{construct_id}", service=service_name
            )
            VpcEndpoint(
                self,
                construct_id,
                vpc_id=config.vpc_id,
                service_name=endpoint_service.service_name,
                vpc_endpoint_type="Interface",
                security_group_ids=[endpoints_sg.id],
                subnet_ids=config.task_subnets,
                private_dns_enabled=True,
                tags=self._named(f"{self._name_prefix}-{name_suffix}"),
            )
