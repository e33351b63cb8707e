"""The stack of the test deployment: how the modules are wired together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cdktf import LocalBackend, S3Backend, TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_kms_key import DataAwsKmsKey
from cdktf_cdktf_provider_aws.kinesis_stream import KinesisStream, KinesisStreamStreamModeDetails
from cdktf_cdktf_provider_aws.vpc_endpoint_route_table_association import (
    VpcEndpointRouteTableAssociation,
)
from constructs import Construct

from modules import alb_ecs_variables, docker_ecr_codebuild_variables, vpc_variables
from modules.access_log_bucket import AccessLogBucket
from modules.alb_ecs import AlbEcs
from modules.docker_ecr_codebuild import DockerEcrCodebuild
from modules.naming import PathNamedStack
from modules.observability import Observability, outpost_id
from modules.provider import aws_provider
from modules.state import LOCAL_STATE
from modules.test_client import TestClient
from modules.vpc import Vpc
from stack_configs import (
    ConstructOutputs,
    alb_ecs_config,
    image_config,
    test_client_config,
    vpc_config,
)

if TYPE_CHECKING:
    from variables import RootVariables

# Outputs of each module, by the name the sample's module gives them.
VPC_OUTPUTS = tuple(vpc_variables.OUTPUTS)
IMAGE_OUTPUTS = tuple(docker_ecr_codebuild_variables.OUTPUTS)
ALB_ECS_OUTPUTS = tuple(alb_ecs_variables.OUTPUTS)


def _created(value: str | None, what: str) -> str:
    """A module output the wiring relies on; its module creates it under this configuration."""
    if value is None:
        raise RuntimeError(f"{what} is missing: the test-vpc configuration must create it")
    return value


class OutpostsEcsStack(PathNamedStack):
    """The test deployment of the sample, module for module.

    ``test-vpc`` (vpc), one S3-endpoint association per Outposts route table,
    ``ecs-docker-codebuild`` (docker-ecr-codebuild), the ALB access-log bucket,
    ``producer-outposts-ecs-alb`` (alb-ecs) and the Kinesis data stream; with
    ``enable_test_client`` (off, as the sample ships it), ``test-client``, the sample's client
    instances. Every module output is a Terraform output named ``<module>_<output>``; the
    values a user needs after a deploy have short names (``alb_dns_name``,
    ``ecr_repository_url`` ...). The state is ``s3_backend``'s, else the local file
    ``terraform.<stack>.tfstate`` at the repository root; the JSON records its vars file
    (``"//"."provenance"``) when given its ``provenance``.

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
    FARGATE. The listener admits the VPC and ``alb_inbound_cidr_range`` (and, for the test
    client in the private subnets, the NAT gateways' addresses).

    Also not in the sample: the service's task count scales between
    ``ecs_autoscaling_min_capacity`` (the initial count) and ``ecs_autoscaling_max_capacity``
    on CPU and, optionally, ALB requests per target; the stream's capacity mode is
    ``kinesis_stream_mode`` (always explicit, so that a switch back is applied) with
    ``kinesis_shard_count`` shards when PROVISIONED; ``observability`` holds the CloudWatch
    dashboard (``enable_dashboard``, output ``dashboard_name``) and the alarms
    (``enable_alarms``; those on the Outpost's own metrics also ``enable_outpost_alarms``),
    which notify ``alarm_sns_topic_arn`` when set; each switch leaves the others alone.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        variables: RootVariables,
        *,
        provenance: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        v = variables
        tags = v.common_tags
        aws_provider(self, v.region)
        self._state(id, v)
        if provenance is not None:
            # Where the JSON came from (its vars file and digest); Terraform ignores "//" keys.
            self.add_override("//.provenance", dict(provenance))
        # The sample's root also looked up the Region, the AZs and the Outpost; the vpc
        # construct does those lookups and nothing at the root reads them.
        account_id = DataAwsCallerIdentity(self, "current").account_id
        on_outpost = bool(v.outposts_arn)

        self.vpc = Vpc(
            self,
            "test-vpc",
            vpc_config(v),
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
            image_config(v),
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
            force_destroy=v.destroy_deletes_data,
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
        outputs = ConstructOutputs(
            vpc_id=self.vpc.vpc_id,
            public_subnet_ids=self.vpc.subnet_public_ids,
            private_subnet_ids=self.vpc.subnet_priv_ids,
            outposts_subnet_ids=self.vpc.subnet_outposts_ids,
            nat_public_ips=self.vpc.nat_public_ips,
            instance_profile=_created(
                self.vpc.iam_instance_profile_ec2_ssm_id,
                "the SSM instance profile of test-vpc",
            ),
            # The policy's attribute, so the ALB waits for log delivery to be allowed.
            logging_bucket_name=self.logging_bucket.bucket_name,
            ecr_name=self.image.config.ecr_name,
            image_tag=self.image.image_tag,
            stream_key_arn=stream_key_arn,
        )
        self.alb_ecs = AlbEcs(self, "producer-outposts-ecs-alb", alb_ecs_config(v, outputs))
        client = test_client_config(v, outputs, self.alb_ecs.alb_dns_name)
        self.test_client = TestClient(self, "test-client", client) if client else None
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
            alarms=v.enable_alarms,
            container_insights=v.ecs_container_insights != "disabled",
            spool_max_bytes=v.producer_spool_max_mib * 2**20 if v.producer_spool else 0,
            outpost_id=outpost_id(v.outposts_arn),
            instance_types=self.alb_ecs.ecs_instance_types,
            capacity_provider_name=self.alb_ecs.ecs_capacity_provider_name,
            outpost_alarms=v.enable_outpost_alarms,
            outpost_link_down_minutes=v.outpost_link_down_minutes,
            outpost_capacity_percent=v.outpost_capacity_utilization_percent,
            capacity_provider_reservation_percent=v.capacity_provider_reservation_percent,
        )
        self._outputs()

    def _state(self, name: str, v: RootVariables) -> None:
        """The state of the deployment ``name``: in S3 with ``s3_backend``, else a local file
        at the repository root.

        The local path is relative to the stack's folder (``cdktf.out/stacks/<name>``), where
        Terraform runs, so the JSON holds no path of the checkout; the cdktf CLI deletes stack
        folders, so the state lives outside them.
        """
        s3 = v.s3_backend
        if s3 is None:
            LocalBackend(self, path=f"../../../{LOCAL_STATE.format(name=name)}")
            return
        S3Backend(
            self,
            bucket=s3.bucket,
            key=s3.state_key(name),
            region=s3.region or v.region,
            encrypt=s3.encrypt,
            kms_key_id=s3.kms_key_id or None,
            workspace_key_prefix=s3.workspace_key_prefix or None,
        )
        # Terraform 1.10's own lock file; cdktf 0.21's S3Backend predates the argument.
        self.add_override("terraform.backend.s3.use_lockfile", s3.use_lockfile)

    def _outputs(self) -> None:
        summary: dict[str, tuple[str | list[str], str]] = {
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
        if self.test_client is not None:
            summary["test_client_instance_ids"] = (
                self.test_client.instance_ids,
                "Test client instances (enable_test_client)",
            )
            summary["test_client_ssm_commands"] = (
                self.test_client.ssm_start_session_commands,
                "Open a shell on a test client, then run send-test-record or load-test-records",
            )
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
