#!/usr/bin/env python
"""The test deployment: the three modules wired together, plus the Kinesis data stream and the
ALB access-log bucket.

``cdktf synth`` (or ``make synth``) runs this file. It reads the tfvars-like JSON file named by
``VARS_FILE`` (default ``vars/test.tfvars.json``) and writes the Terraform JSON of the stack
``outposts-ecs`` to ``cdktf.out/stacks/outposts-ecs/cdk.tf.json``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from cdktf import App, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_outposts_outpost import DataAwsOutpostsOutpost
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.kinesis_stream import KinesisStream
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.vpc_endpoint_route_table_association import (
    VpcEndpointRouteTableAssociation,
)
from cdktf_cdktf_provider_random.provider import RandomProvider
from constructs import Construct
from pydantic import Field, TypeAdapter, ValidationError, field_validator, model_validator
from pydantic.dataclasses import dataclass

from modules.access_log_bucket import AccessLogBucket
from modules.alb_ecs import AlbEcs, AlbEcsConfig
from modules.docker_ecr_codebuild import DockerEcrCodebuild, DockerEcrCodebuildConfig
from modules.naming import PathNamedStack
from modules.validation import MODULE_CONFIG, Cidr, OutpostsArn, describe_validation_error
from modules.vpc import Vpc, VpcConfig

STACK_NAME = "outposts-ecs"
DEFAULT_VARS_FILE = "vars/test.tfvars.json"

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_STREAM_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass(config=MODULE_CONFIG)
class RootVariables:
    """Variables of the test deployment (the keys of a ``vars/*.tfvars.json`` file)."""

    Environment: str
    """Value of the common ``Environment`` tag."""
    Project: str = Field(min_length=1)
    """Value of the common ``Project`` tag; also part of resource names."""
    Owner: str
    """Value of the common ``Owner`` tag."""
    vpc_name: str = Field(min_length=1)
    """Name of the VPC and prefix of the resources' names."""
    vpc_suffix: str
    """Suffix appended to the VPC name."""
    vpc_main_cidr: Cidr
    """Main IPv4 CIDR block of the VPC."""
    outposts_arn: OutpostsArn
    """ARN of the Outpost; ``""`` deploys without Outposts subnets."""
    outposts_route_to_LGW_destination: str
    """On-premises CIDR routed from the Outposts subnets to the local gateway (``""``: none)."""
    outposts_local_gateway_id: str
    """ID of the Outpost's local gateway (``lgw-...``; ``""``: looked up from the Outpost)."""
    s3_bucket_outposts_logging_name: str
    """Name of the S3 bucket that receives the ALB access logs."""
    kinesis_stream_name: str
    """Name of the Kinesis data stream the producer writes to."""
    number_AZ: int = Field(default=2, ge=1)
    """Number of Availability Zones the subnets of each tier are spread over."""
    private_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the private subnets."""
    tgw_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the transit-gateway subnets."""
    fw_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the network-firewall subnets."""
    public_subnets_cidr_list: list[Cidr] = Field(default_factory=list)
    """CIDR blocks of the public subnets (NAT gateways live here)."""
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
    number_EC2_instances: int = Field(default=1, ge=0)
    """Count of optional test client instances (accepted for compatibility; unused)."""
    alb_access_logs_prefix: str = "alb"
    """Key prefix of the ALB access logs in the logging bucket."""
    aws_region: str = ""
    """Region of the deployment; ``""`` takes the Region of ``outposts_arn``."""

    @field_validator("s3_bucket_outposts_logging_name")
    @classmethod
    def _bucket_name(cls, name: str) -> str:
        if not _BUCKET_NAME.match(name) or ".." in name:
            raise ValueError(
                f"{name!r} is not an S3 bucket name (3-63 lowercase letters, digits, '.', '-')"
            )
        return name

    @field_validator("kinesis_stream_name")
    @classmethod
    def _stream_name(cls, name: str) -> str:
        if not _STREAM_NAME.match(name):
            raise ValueError(f"{name!r} is not a Kinesis stream name (1-128 of a-z A-Z 0-9 _ . -)")
        return name

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
        return self

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


def load_variables(path: str | Path) -> RootVariables:
    """Read and validate a vars file; every problem becomes a ``ConfigError``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such vars file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: must hold a JSON object of variables, not {type(data).__name__}"
        )
    try:
        return TypeAdapter(RootVariables).validate_python(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, str(path))) from None


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


class OutpostsEcsStack(PathNamedStack):
    """The test deployment of the sample, module for module.

    ``test-vpc`` (vpc), one S3-endpoint association per Outposts route table,
    ``ecs-docker-codebuild`` (docker-ecr-codebuild), the ALB access-log bucket,
    ``producer-outposts-ecs-alb`` (alb-ecs) and the Kinesis data stream. Every module output
    is a Terraform output named ``<module>_<output>``; the values a user needs after a deploy
    have short names (``alb_dns_name``, ``ecr_repository_url`` ...).
    """

    def __init__(self, scope: Construct, id: str, variables: RootVariables) -> None:
        super().__init__(scope, id)
        v = variables
        tags = v.common_tags
        AwsProvider(self, "aws", region=v.region)
        RandomProvider(self, "random")
        DataAwsRegion(self, "region")
        account_id = DataAwsCallerIdentity(self, "current").account_id
        DataAwsAvailabilityZones(self, "available", state="available")
        if v.outposts_arn:
            DataAwsOutpostsOutpost(self, "target_outpost", arn=v.outposts_arn)

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
                outposts_arn=v.outposts_arn,
                outposts_route_to_LGW_destination=v.outposts_route_to_LGW_destination,
                outposts_local_gateway_id=v.outposts_local_gateway_id,
                enable_flow_log=True,
                create_flow_log_cloudwatch_log_group=True,
                create_flow_log_cloudwatch_iam_role=True,
            ),
        )
        for index, route_table_id in enumerate(self.vpc.subnet_outposts_route_table_ids):
            VpcEndpointRouteTableAssociation(
                self,
                f"route_outposts_subnet_s3_{index}",
                route_table_id=route_table_id,
                vpc_endpoint_id=self.vpc.s3_vpc_endpoint,
            )

        self.image = DockerEcrCodebuild(
            self,
            "ecs-docker-codebuild",
            DockerEcrCodebuildConfig(tags=tags, prefix_name=v.vpc_name + v.vpc_suffix),
        )
        self.logging_bucket = AccessLogBucket(
            self,
            "s3_bucket_outposts_logging",
            bucket_name=v.s3_bucket_outposts_logging_name,
            logs_prefix=v.alb_access_logs_prefix,
            region=v.region,
            account_id=account_id,
            tags=tags,
        )
        self.stream = KinesisStream(
            self,
            "test_stream",
            name=v.kinesis_stream_name,
            shard_count=1,
            retention_period=48,
            shard_level_metrics=["IncomingBytes", "OutgoingBytes"],
            tags=tags,
        )
        on_outpost = bool(v.outposts_arn)
        subnets = self.vpc.subnet_outposts_ids[:1] if on_outpost else self.vpc.subnet_priv_ids
        self.alb_ecs = AlbEcs(
            self,
            "producer-outposts-ecs-alb",
            AlbEcsConfig(
                tags=tags,
                vpc_name=v.vpc_name + v.vpc_suffix,
                vpc_id=self.vpc.vpc_id,
                vpc_cidr_block=v.vpc_main_cidr,
                alb_name="ALB-ECS",
                subnets=subnets,
                enable_alb_access_logging=True,
                # The policy's attribute, so the ALB waits for log delivery to be allowed.
                logging_bucket_name=self.logging_bucket.bucket_name,
                alb_access_logs_prefix=v.alb_access_logs_prefix,
                port_listeners={
                    "port-1": {
                        "port": 80,
                        "protocol": "HTTP",
                        "inbound_cidr_range": [v.vpc_main_cidr],
                        "target_group": {
                            "port": 8080,
                            "protocol": "HTTP",
                            "health_check_path": "/healthcheck",
                        },
                    }
                },
                outposts_arn=v.outposts_arn,
                ecs_cluster_name="producer-cluster",
                log_group_name="producer-log",
                log_retention_days=30,
                ecr_name=self.image.config.ecr_name,
                ec2_iam_instance_profile=self.vpc.iam_instance_profile_ec2_ssm_id,
                kinesis_stream_name=v.kinesis_stream_name,
                kinesis_stream_arn=self.stream.arn,
            ),
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


def build_app(variables: RootVariables, outdir: str | None = None) -> tuple[App, TerraformStack]:
    app = App(outdir=outdir) if outdir else App()
    stack = OutpostsEcsStack(app, STACK_NAME, variables)
    return app, stack


def main() -> int:
    vars_file = os.environ.get("VARS_FILE") or DEFAULT_VARS_FILE
    try:
        variables = load_variables(vars_file)
        app, _ = build_app(variables)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"error: {describe_validation_error(exc, vars_file)}", file=sys.stderr)
        return 2
    app.synth()
    print(f"Synthesized {vars_file} into stack {STACK_NAME}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
