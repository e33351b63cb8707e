"""The stack of the test deployment: how the modules are wired together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_kms_key import DataAwsKmsKey
from cdktf_cdktf_provider_aws.kinesis_stream import KinesisStream, KinesisStreamStreamModeDetails
from cdktf_cdktf_provider_aws.vpc_endpoint_route_table_association import (
    VpcEndpointRouteTableAssociation,
)
from constructs import Construct

from modules.access_log_bucket import AccessLogBucket
from modules.alb_ecs import (
    AlbEcs,
    AlbEcsConfig,
    EcsService,
    PortListener,
    TargetGroup,
    TaskDefinition,
)
from modules.docker_ecr_codebuild import DockerEcrCodebuild, DockerEcrCodebuildConfig
from modules.naming import PathNamedStack
from modules.observability import Observability
from modules.provider import aws_provider
from modules.vpc import Vpc, VpcConfig

if TYPE_CHECKING:
    from variables import RootVariables

# Outputs of each module, by the name the sample's module gives them.
VPC_OUTPUTS = (
    "vpc_id",
    "subnet_priv_ids",
    "subnet_public_ids",
    "subnet_priv_tgw_ids",
    "subnet_fw_ids",
    "subnet_web_ids",
    "subnet_presentation_ids",
    "subnet_database_ids",
    "subnet_outposts_ids",
    "subnet_public_route_table_ids",
    "subnet_priv_route_table_ids",
    "subnet_priv_tgw_route_table_ids",
    "subnet_fw_route_table_ids",
    "subnet_web_tier_route_table_ids",
    "subnet_pres_tier_route_table_ids",
    "subnet_database_tier_route_table_ids",
    "subnet_outposts_route_table_ids",
    "iam_role_ec2_ssm_id",
    "iam_instance_profile_ec2_ssm_id",
    "ssm_security_group_id",
    "igw_id",
    "s3_vpc_endpoint",
)
IMAGE_OUTPUTS = ("ecr_id",)
ALB_ECS_OUTPUTS = (
    "alb_id",
    "ecs_cluster_id",
    "ecs_service_id",
    "ecs_task_definition_id",
    "ecs_iam_execution_role",
    "ecs_iam_task_role",
    "ecs_cw_log_group",
)
# The image module's resources that a first, targeted apply creates (with what they need).
IMAGE_TARGETS = (
    "aws_ecr_repository_policy.ecs-docker-codebuild_ecr_policy",
    "aws_codebuild_project.ecs-docker-codebuild_ecs_docker",
)


def _created(value: str | None, what: str) -> str:
    """A module output the wiring relies on; its module creates it under this configuration."""
    if value is None:
        raise RuntimeError(f"{what} is missing: the test-vpc configuration must create it")
    return value


class OutpostsEcsStack(PathNamedStack):
    """The test deployment of the sample, module for module.

    ``test-vpc`` (vpc), one S3-endpoint association per Outposts route table,
    ``ecs-docker-codebuild`` (docker-ecr-codebuild), the ALB access-log bucket,
    ``producer-outposts-ecs-alb`` (alb-ecs) and the Kinesis data stream. Every module output
    is a Terraform output named ``<module>_<output>``; the values a user needs after a deploy
    have short names (``alb_dns_name``, ``ecr_repository_url`` ...).

    Not in the sample (root variables in parentheses): the stream is encrypted at rest
    (``kinesis_encryption_type``) with ``kinesis_kms_key_id``, the AWS managed
    ``alias/aws/kinesis`` key by default; the ``aws_kms_key`` lookup of that key gives the
    task role the key's ARN to generate data keys with (looking up an AWS managed alias also
    creates its key when the account has none yet). The tasks run the image tag the image
    module builds (``image_tag``, by default the source digest, in an ``image_tag_mutability``
    repository). Every log group keeps ``log_retention_days`` and may be KMS-encrypted
    (``log_group_kms_key_id``); the ALB access logs expire after
    ``alb_access_logs_expiration_days`` in a versioned bucket (``alb_access_logs_versioning``);
    the cluster has Container Insights (``ecs_container_insights``); deletion protection of
    the ALB is ``alb_enable_deletion_protection``, off so that the test deployment can be
    destroyed; ``availability_zones`` pins the AZ lookups.

    Region mode (``outposts_arn`` empty): the same constructs without the Outpost. The ALB goes
    to the public subnets and the tasks (with their instances and interface endpoints) to the
    private subnets, the first ``number_AZ`` of each (one per AZ); the private subnets get NAT
    routes, and the S3 gateway endpoint serves the tasks' route tables (the private ones here,
    the Outposts ones on an Outpost). ``ecs_launch_type`` runs the tasks on EC2 instances or on
    FARGATE. The listener admits the VPC and ``alb_inbound_cidr_range``.

    Also not in the sample: the service's task count scales between
    ``ecs_autoscaling_min_capacity`` (the initial count) and ``ecs_autoscaling_max_capacity``
    on CPU and, optionally, ALB requests per target; the stream's capacity mode is
    ``kinesis_stream_mode`` (always explicit, so that a switch back is applied) with
    ``kinesis_shard_count`` shards when PROVISIONED; ``observability`` holds the CloudWatch
    dashboard (``enable_dashboard``, output ``dashboard_name``) and the alarms, which notify
    ``alarm_sns_topic_arn`` when set.
    """

    def __init__(self, scope: Construct, id: str, variables: RootVariables) -> None:
        super().__init__(scope, id)
        v = variables
        tags = v.common_tags
        aws_provider(self, v.region)
        # The sample's root also looked up the Region, the AZs and the Outpost; the vpc
        # construct does those lookups and nothing at the root reads them.
        account_id = DataAwsCallerIdentity(self, "current").account_id
        on_outpost = bool(v.outposts_arn)

        self.vpc = Vpc(
            self,
            "test-vpc",
            VpcConfig(
                vpc_name=v.vpc_name,
                vpc_suffix=v.vpc_suffix,
                tags=tags,
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
            ),
        )
        # The tasks' route tables reach S3 (ECR image layers) through the gateway endpoint.
        s3_endpoint = _created(self.vpc.s3_vpc_endpoint, "the S3 gateway endpoint of test-vpc")
        tier, route_tables = (
            ("outposts", self.vpc.subnet_outposts_route_table_ids)
            if on_outpost
            else ("private", self.vpc.subnet_priv_route_table_ids)
        )
        for index, route_table_id in enumerate(route_tables):
            VpcEndpointRouteTableAssociation(
                self,
                f"route_{tier}_subnet_s3_{index}",
                route_table_id=route_table_id,
                vpc_endpoint_id=s3_endpoint,
            )

        self.image = DockerEcrCodebuild(
            self,
            "ecs-docker-codebuild",
            DockerEcrCodebuildConfig(
                tags=tags,
                prefix_name=v.vpc_name + v.vpc_suffix,
                image_tag=v.image_tag,
                image_tag_mutability=v.image_tag_mutability,
                log_retention_days=v.log_retention_days,
                log_kms_key_id=v.log_group_kms_key_id,
            ),
        )
        self.logging_bucket = AccessLogBucket(
            self,
            "s3_bucket_outposts_logging",
            bucket_name=v.s3_bucket_outposts_logging_name,
            logs_prefix=v.alb_access_logs_prefix,
            region=v.region,
            account_id=account_id,
            tags=tags,
            versioning=v.alb_access_logs_versioning,
            expiration_days=v.alb_access_logs_expiration_days,
        )
        encrypted = v.kinesis_encryption_type == "KMS"
        # The mode is always explicit: the provider keeps a mode it is no longer told about.
        on_demand = v.kinesis_stream_mode == "ON_DEMAND"
        self.stream = KinesisStream(
            self,
            "test_stream",
            name=v.kinesis_stream_name,
            shard_count=None if on_demand else v.kinesis_shard_count,
            stream_mode_details=KinesisStreamStreamModeDetails(stream_mode=v.kinesis_stream_mode),
            retention_period=48,
            shard_level_metrics=["IncomingBytes", "OutgoingBytes"],
            encryption_type=v.kinesis_encryption_type,
            kms_key_id=v.kinesis_kms_key_id if encrypted else None,
            tags=tags,
        )
        # The key's ARN, for the task role: the stream itself takes any form of key id.
        stream_key_arn = (
            DataAwsKmsKey(self, "kinesis_key", key_id=v.kinesis_kms_key_id).arn if encrypted else ""
        )
        # Outpost: the ALB and the tasks in the first Outposts subnet (as the sample). Region: the
        # ALB in the public subnets, the tasks in the private ones, one subnet per AZ each.
        if on_outpost:
            alb_subnets, task_subnets = self.vpc.subnet_outposts_ids[:1], []
        else:
            alb_subnets = self.vpc.subnet_public_ids[: v.number_AZ]
            task_subnets = self.vpc.subnet_priv_ids[: v.number_AZ]
        self.alb_ecs = AlbEcs(
            self,
            "producer-outposts-ecs-alb",
            AlbEcsConfig(
                tags=tags,
                vpc_name=v.vpc_name + v.vpc_suffix,
                vpc_id=self.vpc.vpc_id,
                vpc_cidr_block=v.vpc_main_cidr,
                alb_name="ALB-ECS",
                subnets=alb_subnets,
                ecs_subnets=task_subnets,
                alb_enable_deletion_protection=v.alb_enable_deletion_protection,
                enable_alb_access_logging=True,
                # The policy's attribute, so the ALB waits for log delivery to be allowed.
                logging_bucket_name=self.logging_bucket.bucket_name,
                alb_access_logs_prefix=v.alb_access_logs_prefix,
                port_listeners={
                    "port-1": PortListener(
                        port=80,
                        protocol="HTTP",
                        inbound_cidr_range=[v.vpc_main_cidr, *v.alb_inbound_cidr_range],
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
                        family="producer", cpu=512, memory=1024, port=8080
                    ),
                ),
                ecs_autoscaling_min_capacity=v.ecs_autoscaling_min_capacity,
                ecs_autoscaling_max_capacity=v.ecs_autoscaling_max_capacity,
                ecs_autoscaling_cpu_target=v.ecs_autoscaling_cpu_target,
                ecs_autoscaling_requests_per_target=v.ecs_autoscaling_requests_per_target,
                log_group_name="producer-log",
                log_retention_days=v.log_retention_days,
                log_group_kms_key_id=v.log_group_kms_key_id,
                ecr_name=self.image.config.ecr_name,
                image_tag=self.image.image_tag,
                ec2_iam_instance_profile=_created(
                    self.vpc.iam_instance_profile_ec2_ssm_id, "the SSM instance profile of test-vpc"
                ),
                kinesis_stream_name=v.kinesis_stream_name,
                kinesis_stream_arn=self.stream.arn,
                kinesis_kms_key_arn=stream_key_arn,
            ),
        )
        self.observability = Observability(
            self,
            "observability",
            name_prefix=v.name_prefix,
            region=v.region,
            load_balancer=self.alb_ecs.alb_arn_suffix,
            target_groups=self.alb_ecs.target_group_arn_suffixes,
            cluster_name=self.alb_ecs.ecs_cluster_name,
            service_name=self.alb_ecs.ecs_service_name,
            stream_name=self.stream.name,
            tags=tags,
            alarm_topic_arn=v.alarm_sns_topic_arn,
            dashboard=v.enable_dashboard,
            container_insights=v.ecs_container_insights != "disabled",
        )
        self._outputs()

    def _outputs(self) -> None:
        summary = {
            "alb_dns_name": (self.alb_ecs.alb_dns_name, "DNS name of the ALB (curl it)"),
            "ecr_repository_url": (self.image.ecr_repository_url, "Repository of the image"),
            "codebuild_project_name": (
                self.image.codebuild_project_name,
                "Start the image build: aws codebuild start-build --project-name <this>",
            ),
            "kinesis_stream_name": (self.stream.name, "Stream the producer writes to"),
            "kinesis_stream_arn": (self.stream.arn, "ARN of the stream"),
            "ecs_cluster_name": (self.alb_ecs.ecs_cluster_name, "ECS cluster"),
            "ecs_service_name": (self.alb_ecs.ecs_service_name, "ECS service of the producer"),
        }
        if self.observability.dashboard_name is not None:
            summary["dashboard_name"] = (
                self.observability.dashboard_name,
                "CloudWatch dashboard of the ALB, stream and service metrics",
            )
        for name, (value, description) in summary.items():
            TerraformOutput(self, name, value=value, description=description)
        modules: list[tuple[Construct, tuple[str, ...]]] = [
            (self.vpc, VPC_OUTPUTS),
            (self.image, IMAGE_OUTPUTS),
            (self.alb_ecs, ALB_ECS_OUTPUTS),
        ]
        for construct, outputs in modules:
            for output in outputs:
                value = getattr(construct, output)
                if value is not None:
                    TerraformOutput(self, f"{construct.node.id}_{output}", value=value)
