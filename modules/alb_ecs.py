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

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_ec2_coip_pool import DataAwsEc2CoipPool
from cdktf_cdktf_provider_aws.data_aws_ec2_local_gateway import (
    DataAwsEc2LocalGateway,
    DataAwsEc2LocalGatewayFilter,
)
from cdktf_cdktf_provider_aws.data_aws_ec2_local_gateway_route_table import (
    DataAwsEc2LocalGatewayRouteTable,
)
from cdktf_cdktf_provider_aws.data_aws_outposts_outpost import DataAwsOutpostsOutpost
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupIngress
from constructs import Construct

from modules import regions
from modules.alb_ecs_capacity import FARGATE_CAPACITY_PROVIDER, add_capacity, render_user_data
from modules.alb_ecs_load_balancer import HTTPS_SSL_POLICY, LoadBalancer, SecurityGroups

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
from modules.alb_ecs_scope import AlbEcsScope
from modules.alb_ecs_service import ClusterService
from modules.alb_ecs_task import AwsEnvironment, add_task_definition, producer_process
from modules.alb_ecs_variables import FARGATE_TASK_SIZES, AlbEcsConfig, fargate_memory_sizes
from modules.interface_endpoints import InterfaceEndpoint, add_interface_endpoints
from modules.provider import provider_region

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


class AlbEcs(Construct):
    """The sample's ``alb-ecs`` module: ALB, ECS cluster on an Auto Scaling group, service.

    Always created: the load balancer (internet-facing so that it gets customer-owned IPs,
    in ``subnets``, with access logs when ``enable_alb_access_logging``); per ``port_listeners``
    key, an IP target group ``<alb_name>-<port>-<suffix>`` and a forward
    listener; the ALB and ECS security groups and their rules; the cluster, its capacity
    providers and the service; the interface endpoints (ecs, ecs-agent, ecs-telemetry, ecr.api,
    ecr.dkr, secretsmanager, logs; with FARGATE, which runs no container agent, without the
    three ecs ones) with their security group. Tasks and instances live in ``ecs_subnets``,
    or in ``subnets`` when it is empty (as in the sample); the endpoints in
    ``endpoint_subnets`` (Regional subnets, required on an Outpost), else with the tasks. The
    instances' ``environment`` tag says ``Outpost`` or ``Region``. The service deploys with
    the circuit breaker (rollback per ``deployment_circuit_breaker_rollback``), within
    ``deployment_minimum_healthy_percent`` and ``deployment_maximum_percent``, and on EC2
    spreads its tasks over the container instances.

    Conditional:

    - launch type EC2 (the only one on an Outpost): the Auto Scaling group (mixed instances
      policy on the launch template's latest version number, without instance weights, an
      instance refresh when it changes, desired capacity left to scaling after creation)
      and its capacity provider with managed scaling, which the cluster
      registers as its default strategy and the service runs on
      (:class:`~modules.alb_ecs_capacity.Ec2Capacity`).
    - launch type FARGATE (Region only; not in the sample, whose service took the launch type
      but ran on the EC2 cluster regardless): no launch template, Auto Scaling group or
      capacity provider; the cluster registers the ``FARGATE`` capacity provider, the service
      runs on it and the task definition requires FARGATE compatibility (a task size Fargate
      offers is checked) (:class:`~modules.alb_ecs_capacity.FargateCapacity`).
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
      only, hop limit 1, optional block devices, user data joining the cluster) on
      ``ecs_ami_id``, or without it on the AMI that the public SSM parameter
      ``ecs_ami_ssm_parameter`` names (a lookup); else ``launch_template_id`` at ``$Latest``.
    - ``deployment_alarm_names``: the service's deployment alarms; ``enable_execute_command``:
      ECS Exec, and the task role may open Session Manager channels.
    - not ``import_aws_ecs_task_definition``: the task definition, its log group, execution
      role and task role; else ``task_definition_arn`` and none of those.

    The parts live beside this module, each creating its resources on this construct (the
    addresses are the module's): ``alb_ecs_load_balancer`` (security groups, ALB, certificate,
    target groups, listeners), ``alb_ecs_capacity`` (EC2 or Fargate), ``alb_ecs_task`` (task
    definition, log group, roles), ``alb_ecs_service`` (cluster, service, scaling) and the
    shared ``interface_endpoints`` builder.

    Outputs are the sample's, as attributes, and the ones the root deployment's outputs,
    dashboard and alarms need. The departures from the sample (most of them fix a defect), the
    hardening behind its variables, the AWS provider 6 translations, and the generated inputs
    and outputs are in ``docs/modules/alb-ecs.md``.
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
    ecs_instance_types: list[str]
    ecs_autoscaling_target_id: str | None

    def __init__(self, scope: Construct, id: str, config: AlbEcsConfig) -> None:
        super().__init__(scope, id)
        self.config = config
        # Every part creates its resources on this construct: the addresses are the module's.
        parts = AlbEcsScope(self, config)
        region = provider_region(self)
        account = DataAwsCallerIdentity(self, "current")
        coip_pool = self._outpost_lookups()

        security_groups = SecurityGroups(parts, coip_pool)
        load_balancer = LoadBalancer(parts, security_groups.alb, coip_pool)
        self.alb_id = load_balancer.alb.id
        self.alb_dns_name = load_balancer.alb.dns_name
        self.alb_arn_suffix = load_balancer.alb.arn_suffix
        self.target_group_arn_suffixes = {
            key: target_group.arn_suffix
            for key, target_group in load_balancer.target_groups.items()
        }

        capacity = add_capacity(parts, security_groups.ecs.id)
        self.ecs_capacity_provider_name = capacity.capacity_provider_name
        self.ecs_instance_types = capacity.instance_types

        task = add_task_definition(
            parts,
            AwsEnvironment(region, account.account_id, regions.partition(region)),
            capacity.spool_host_path,
        )
        self.ecs_task_definition_id = task.task_definition_arn
        self.ecs_iam_execution_role = task.execution_role_id
        self.ecs_iam_task_role = task.task_role_id
        self.ecs_cw_log_group = task.log_group_id

        service = ClusterService(
            parts,
            capacity_provider_name=capacity.provider_name,
            task_definition_arn=self.ecs_task_definition_id,
            security_group_id=security_groups.ecs.id,
            load_balancer=load_balancer,
        )
        self.ecs_cluster_id = service.cluster.id
        self.ecs_cluster_name = service.cluster.name
        self.ecs_service_id = service.service.id
        self.ecs_service_name = service.service.name
        target = service.autoscaling_target
        self.ecs_autoscaling_target_id = target.id if target is not None else None

        self._endpoints(parts, with_container_agent=capacity.runs_container_agent)

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

    def _endpoints(self, parts: AlbEcsScope, *, with_container_agent: bool) -> None:
        """The interface endpoints of :data:`INTERFACE_ENDPOINTS` and their security group;
        the ecs ones only where container agents run (not on Fargate)."""
        config = self.config
        sg_name = f"{parts.name_prefix}-ecs-endpoint"
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
            tags=parts.named(sg_name),
        )
        endpoints = [
            InterfaceEndpoint(
                service=service_name,
                construct_id=construct_id,
                lookup_id=f"endpoint_service_{construct_id}",
                tags=parts.named(f"{parts.name_prefix}-{name_suffix}"),
            )
            for construct_id, service_name, name_suffix in INTERFACE_ENDPOINTS
            if with_container_agent or not service_name.startswith("ecs")
        ]
        add_interface_endpoints(
            self,
            endpoints,
            vpc_id=config.vpc_id,
            security_group_id=endpoints_sg.id,
            subnet_ids=config.interface_endpoint_subnets,
        )
