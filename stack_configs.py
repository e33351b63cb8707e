"""The module configurations of the stack, from the root variables.

``stack.py`` builds its modules from them with the constructs' attributes
(``ConstructOutputs``); ``load_variables`` (``vars_file.py``) builds them with placeholders of
the same shape, so that every module check runs before the provider bindings load.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, NamedTuple

from modules.alarm_names import alarm_name, deployment_alarm_keys
from modules.alb_ecs_object_variables import (
    AsgOverride,
    EcsService,
    PortListener,
    TargetGroup,
    TaskDefinition,
)
from modules.alb_ecs_variables import AlbEcsConfig
from modules.docker_ecr_codebuild_variables import DockerEcrCodebuildConfig
from modules.test_client_variables import TestClientConfig
from modules.vpc_variables import VpcConfig

if TYPE_CHECKING:
    from variables import RootVariables


# The image module's resources that a first, targeted apply creates (with what they need):
# the README's -target line, make deploy's step 2 and the end-to-end run's first apply.
IMAGE_TARGETS = (
    "aws_ecr_repository_policy.ecs-docker-codebuild_ecr_policy",
    "aws_codebuild_project.ecs-docker-codebuild_ecs_docker",
)


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


def deployment_base(v: RootVariables) -> str:
    """The start of the names the image and alb-ecs modules build (the sample's ``vpc_name``
    and suffix), behind the deployment's prefix so that deployments side by side differ."""
    return f"{v.deployment_prefix}-{v.vpc_name}{v.vpc_suffix}"


def vpc_config(v: RootVariables) -> VpcConfig:
    """``test-vpc``: the sample's settings, plus NAT egress for the tasks in the Region."""
    on_outpost = bool(v.outposts_arn)
    return VpcConfig(
        # The VPC module names its IAM roles, flow-log group and instance profile after it.
        vpc_name=f"{v.deployment_prefix}-{v.vpc_name}",
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
        prefix_name=deployment_base(v),
        ecr_name=f"{v.deployment_prefix}/kinesis/producer",
        ecr_force_delete=v.destroy_deletes_data,
        image_tag=v.image_tag,
        image_tag_mutability=v.image_tag_mutability,
        log_retention_days=v.log_retention_days,
        log_kms_key_id=v.log_group_kms_key_id,
    )


def listener_keys(v: RootVariables) -> list[str]:
    """The keys of the ALB's listeners, one per ``alb_listener_ports`` entry, in its order
    (``port-1`` is the sample's key of its one listener)."""
    return [f"port-{index + 1}" for index in range(len(v.alb_listener_ports))]


def deployment_alarm_names(v: RootVariables) -> list[str]:
    """The alarms of ``observability`` that fail a deployment (``ecs_deployment_alarms``)."""
    return [alarm_name(v.name_prefix, key) for key in deployment_alarm_keys(listener_keys(v))]


def alb_ecs_config(v: RootVariables, outputs: ConstructOutputs) -> AlbEcsConfig:
    """``producer-outposts-ecs-alb``. Outpost: the ALB and the tasks in the first Outposts
    subnet (as the sample). Region: the ALB in the public subnets, the tasks in the private
    ones, one subnet per AZ each."""
    clients = []
    if v.outposts_arn:
        alb_subnets, task_subnets = outputs.outposts_subnet_ids[:1], []
        # Interface endpoints live in the Region's subnets; the tasks reach them over the
        # service link.
        endpoint_subnets = outputs.private_subnet_ids[: v.number_AZ]
    else:
        alb_subnets = outputs.public_subnet_ids[: v.number_AZ]
        task_subnets = outputs.private_subnet_ids[: v.number_AZ]
        endpoint_subnets = []
        if v.enable_test_client:
            # The test client reaches the internet-facing ALB from the NAT gateways' addresses.
            clients = [f"{ip}/32" for ip in outputs.nat_public_ips]
    return AlbEcsConfig(
        tags=v.common_tags,
        vpc_name=deployment_base(v),
        vpc_id=outputs.vpc_id,
        vpc_cidr_block=v.vpc_main_cidr,
        alb_name=f"{v.deployment_prefix}-ALB-ECS",
        subnets=alb_subnets,
        ecs_subnets=task_subnets,
        endpoint_subnets=endpoint_subnets,
        alb_enable_deletion_protection=v.alb_enable_deletion_protection,
        enable_alb_access_logging=True,
        logging_bucket_name=outputs.logging_bucket_name,
        alb_access_logs_prefix=v.alb_access_logs_prefix,
        port_listeners={
            key: PortListener(
                port=port,
                protocol="HTTP",
                inbound_cidr_range=[v.vpc_main_cidr, *v.alb_inbound_cidr_range, *clients],
                target_group=TargetGroup(
                    port=v.service_port, protocol="HTTP", health_check_path="/healthcheck"
                ),
            )
            for key, port in zip(listener_keys(v), v.alb_listener_ports, strict=True)
        },
        outposts_arn=v.outposts_arn,
        ecs_cluster_name=f"{v.deployment_prefix}-producer-cluster",
        ecs_container_insights=v.ecs_container_insights,
        ecs_service=EcsService(
            ecs_service_name="ecs-producer",
            desired_count=v.ecs_autoscaling_min_capacity,
            launch_type=v.ecs_launch_type,
            container_name="producer",
            task_definition=TaskDefinition(
                family=f"{v.deployment_prefix}-producer",
                cpu=512,
                memory=1024,
                port=v.service_port,
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
        deployment_minimum_healthy_percent=v.ecs_deployment_minimum_healthy_percent,
        deployment_maximum_percent=v.ecs_deployment_maximum_percent,
        deployment_circuit_breaker_rollback=v.ecs_deployment_rollback,
        deployment_alarm_names=deployment_alarm_names(v) if v.ecs_deployment_alarms else [],
        health_check_grace_period_seconds=v.ecs_health_check_grace_period_seconds,
        wait_for_steady_state=v.ecs_wait_for_steady_state,
        enable_execute_command=v.ecs_enable_execute_command,
        ecs_ami_id=v.ecs_ami_id,
        ecs_instance_type=v.ecs_instance_types[0],
        ecs_asg_override_config=[AsgOverride(instance_type=t) for t in v.ecs_instance_types],
        ecs_asg_min_size=v.ecs_asg_min_size,
        ecs_asg_max_size=v.ecs_asg_max_size,
        ecs_asg_desired_capacity=v.ecs_asg_desired_capacity,
        log_group_name="producer-log",
        log_retention_days=v.log_retention_days,
        log_group_kms_key_id=v.log_group_kms_key_id,
        ecr_name=outputs.ecr_name,
        image_tag=outputs.image_tag,
        ec2_iam_instance_profile=outputs.instance_profile,
        # No kinesis_stream_arn: the task policy names the stream by an ARN built from its name.
        # A policy document reading the stream's attribute is read only during an apply that
        # changes the stream, so every shard or mode change would plan the policy as well.
        kinesis_stream_name=v.kinesis_stream_name,
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
