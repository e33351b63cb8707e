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
from pathlib import Path
from string import Template
from typing import Any

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
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionVolume,
)
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

# The configuration lives beside the module, free of provider bindings; re-exported here.
from modules.alb_ecs_object_variables import (
    AsgOverride,
    BlockDeviceMapping,
    EbsVolume,
    EcsService,
    PortListener,
    TargetGroup,
    TaskDefinition,
)
from modules.alb_ecs_variables import FARGATE_TASK_SIZES, AlbEcsConfig, fargate_memory_sizes
from modules.provider import provider_region
from modules.rendering import json_document
from modules.validation import cidr_version

__all__ = [
    "FARGATE_CAPACITY_PROVIDER",
    "FARGATE_TASK_SIZES",
    "HTTPS_SSL_POLICY",
    "INTERFACE_ENDPOINTS",
    "AlbEcs",
    "AlbEcsConfig",
    "AsgOverride",
    "BlockDeviceMapping",
    "EbsVolume",
    "EcsService",
    "PortListener",
    "TargetGroup",
    "TaskDefinition",
    "fargate_memory_sizes",
    "producer_process",
    "render_user_data",
]

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
# The capacity provider of the service's tasks with launch type FARGATE.
FARGATE_CAPACITY_PROVIDER = "FARGATE"
# Service autoscaling: seconds after a scale-out before the next scale-out, and after a scale-in
# before the next scale-in (scale out fast, scale in slowly).
SCALE_OUT_COOLDOWN = 60
SCALE_IN_COOLDOWN = 300


class _ScriptTemplate(Template):
    """``@@{name}`` placeholders, so that the shell's own ``$`` needs no escaping."""

    delimiter = "@@"


# The producer's disk spool: a folder of the container instance on EC2, so that a replaced
# task's successor on the same instance replays it; the image runs as this user.
SPOOL_HOST_PATH = "/var/lib/producer-spool"
SPOOL_CONTAINER_PATH = "/var/spool/producer"
SPOOL_VOLUME = "producer-spool"
CONTAINER_UID = 10001


def render_user_data(
    cluster_name: str, environment: str = "Outpost", spool_host_path: str = ""
) -> str:
    """The container instances' boot script for ``cluster_name`` (plain text, not base64);
    ``environment`` is the value of the instances' ``environment`` tag; ``spool_host_path``,
    when set, is made a folder the container's user owns."""
    spool = (
        f"install -d -m 0700 -o {CONTAINER_UID} -g {CONTAINER_UID} {spool_host_path}"
        if spool_host_path
        else "# (no disk spool)"
    )
    return _ScriptTemplate(USER_DATA_TEMPLATE.read_text()).substitute(
        cluster_name=cluster_name, environment=environment, spool_setup=spool
    )


def producer_process(task_cpu: int) -> str:
    """The container's PRODUCER_PROCESS for a task of ``task_cpu`` units (see producer/).

    ECS enforces a task's CPU units as a quota on the task's cgroup, above the container's,
    where the container cannot read it; so the task definition says whether the producer gets
    a process (and a CPU) of its own: from 2 vCPUs (2048 units).
    """
    return "true" if task_cpu >= 2048 else "false"


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
            ipv4 = [c for c in listener.inbound_cidr_range if cidr_version(c) == 4]
            ipv6 = [c for c in listener.inbound_cidr_range if cidr_version(c) == 6]
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
        spool = config.ecs_service.task_definition.spool_max_mib
        user_data = render_user_data(
            config.ecs_cluster_name,
            "Outpost" if config.outposts_arn else "Region",
            SPOOL_HOST_PATH if spool else "",
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
        volumes = self._container_extras(container)
        task_definition = EcsTaskDefinition(
            self,
            "task_definition",
            family=service.task_definition.family,
            container_definitions=json_document([container]),
            volume=volumes or None,
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

    def _container_extras(self, container: dict[str, Any]) -> list[EcsTaskDefinitionVolume]:
        """The container's own health check and the disk spool, when the config asks; the
        task definition's volumes."""
        service = self.config.ecs_service
        task = service.task_definition
        if task.health_check_path:
            # The image has Python and no curl; a check that hangs counts as failed.
            probe = (
                "import urllib.request; urllib.request.urlopen("
                f"'http://127.0.0.1:{task.port}{task.health_check_path}', timeout=3)"
            )
            container["healthCheck"] = {
                "command": ["CMD", "python", "-c", probe],
                "interval": 15,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 30,
            }
        if not task.spool_max_mib:
            return []
        container["environment"] += [
            {"name": "SPOOL_DIR", "value": SPOOL_CONTAINER_PATH},
            {"name": "SPOOL_MAX_BYTES", "value": str(task.spool_max_mib * 2**20)},
        ]
        container["mountPoints"] = [
            {"sourceVolume": SPOOL_VOLUME, "containerPath": SPOOL_CONTAINER_PATH}
        ]
        on_ec2 = service.launch_type == "EC2"
        return [
            EcsTaskDefinitionVolume(
                name=SPOOL_VOLUME, host_path=SPOOL_HOST_PATH if on_ec2 else None
            )
        ]

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
