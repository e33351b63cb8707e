"""The ``vpc`` module's Session Manager access: the instance role and profile, the interface
endpoints that SSM needs without internet access, and the S3 gateway endpoint."""

from __future__ import annotations

import dataclasses

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_vpc_endpoint_service import DataAwsVpcEndpointService
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from modules.interface_endpoints import InterfaceEndpoint, add_interface_endpoints
from modules.regions import arn
from modules.vpc_scope import VpcScope
from modules.vpc_variables import _ssm_role_name

__all__ = ["SsmOutputs", "add_ssm"]

# Interface endpoints that Session Manager needs in a VPC without internet access.
_SSM_ENDPOINTS = {
    "ssm": "SSM",
    "ssmmessages": "SSMMESSAGES",
    "ec2": "EC2",
    "ec2messages": "EC2MESSAGES",
    "kms": "KMS",
}

# AWS managed policies, by their path in the partition's account "aws".
_SSM_MANAGED_POLICIES = (
    "policy/AmazonSSMManagedInstanceCore",
    "policy/CloudWatchAgentServerPolicy",
    "policy/service-role/AmazonEC2ContainerServiceforEC2Role",
)

# Regional buckets that the SSM agent reads (patches, documents, distributor packages).
_SSM_BUCKET_PATTERNS = (
    "patch-baseline-snapshot-{region}",
    "aws-ssm-{region}",
    "amazon-ssm-{region}",
    "aws-ssm-distributor-file-{region}",
    "{region}-birdwatcher-prod",
    "aws-ssm-document-attachments-{region}",
)


@dataclasses.dataclass(frozen=True)
class SsmOutputs:
    """The module outputs of this part (``None``: not created)."""

    iam_role_ec2_ssm_id: str | None = None
    iam_instance_profile_ec2_ssm_id: str | None = None
    ssm_security_group_id: str | None = None
    s3_vpc_endpoint: str | None = None


def add_ssm(scope: VpcScope, region: str, private_subnets: list[Subnet]) -> SsmOutputs:
    """With ``enable_ssm``: the role and instance profile (``create_iam_role_ssm``), the
    endpoints' security group and, with private subnets, the interface endpoints. The S3
    gateway endpoint with ``enable_ssm`` or ``enable_s3_endpoint``."""
    config = scope.config
    role_id = profile_id = security_group_id = s3_endpoint_id = None
    if config.enable_ssm and config.create_iam_role_ssm:
        role_id, profile_id = _add_ssm_role(scope, region)
    if config.enable_ssm:
        security_group_id = _add_ssm_endpoints(scope, private_subnets)
    if config.enable_ssm or config.enable_s3_endpoint:
        service = DataAwsVpcEndpointService(
            scope.construct, "s3_endpoint_service", service="s3", service_type="Gateway"
        )
        endpoint = VpcEndpoint(
            scope.construct,
            "s3",
            vpc_id=scope.vpc_id,
            service_name=service.service_name,
            vpc_endpoint_type="Gateway",
            tags=scope.tags(f"{config.vpc_name}-S3-ENDPOINT"),
        )
        s3_endpoint_id = endpoint.id
    return SsmOutputs(role_id, profile_id, security_group_id, s3_endpoint_id)


def _add_ssm_role(scope: VpcScope, region: str) -> tuple[str, str]:
    """The EC2 role (SSM core, CloudWatch agent and ECS container instance managed policies,
    read access to the SSM regional buckets) and its instance profile; their ids."""
    construct = scope.construct
    name = scope.config.vpc_name
    trust = DataAwsIamPolicyDocument(
        construct,
        "ssm_ec2_assume_role",
        statement=[
            DataAwsIamPolicyDocumentStatement(
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=["ec2.amazonaws.com"]
                    )
                ],
            )
        ],
    )
    role = IamRole(
        construct,
        "ssm_ec2_iam_role",
        name=_ssm_role_name(name),
        assume_role_policy=trust.json,
        tags=scope.tags(_ssm_role_name(name)),
    )
    for number, policy in enumerate(_SSM_MANAGED_POLICIES, start=1):
        IamRolePolicyAttachment(
            construct,
            f"ssm_ec2_role_managed_policy_{number}",
            role=role.name,
            policy_arn=arn(region, "iam", policy, account="aws", in_region=False),
        )
    buckets = [pattern.format(region=region) for pattern in _SSM_BUCKET_PATTERNS]
    read_buckets = DataAwsIamPolicyDocument(
        construct,
        "ssm_ec2_inline_policy_document",
        statement=[
            DataAwsIamPolicyDocumentStatement(
                sid="ReadSsmBuckets",
                effect="Allow",
                actions=["s3:GetObject"],
                resources=[arn(region, "s3", f"{bucket}/*", in_region=False) for bucket in buckets],
            )
        ],
    )
    IamRolePolicy(
        construct,
        "ssm_ec2_inline_policy",
        name="ssm-s3-read",
        role=role.id,
        policy=read_buckets.json,
    )
    profile = IamInstanceProfile(
        construct,
        "ec2_ssm",
        name=f"SSM-EC2-{name}-IAM-INSTANCE-PROFILE",
        role=role.name,
        tags=scope.tags(f"SSM-EC2-{name}-IAM-INSTANCE-PROFILE"),
    )
    return role.id, profile.id


def _endpoint_subnet_ids(scope: VpcScope, private_subnets: list[Subnet]) -> list[str]:
    """The first private subnet, or with ``endpoints_ha`` the first two when they sit in two
    AZs (``number_AZ`` >= 2)."""
    wanted = 2 if scope.config.endpoints_ha else 1
    count = min(wanted, len(private_subnets), scope.config.number_AZ)
    return [subnet.id for subnet in private_subnets[:count]]


def _add_ssm_endpoints(scope: VpcScope, private_subnets: list[Subnet]) -> str:
    """The endpoints' security group (HTTPS from ``vpc_main_cidr``) and, with private subnets,
    the interface endpoints; the group's id."""
    config = scope.config
    security_group = SecurityGroup(
        scope.construct,
        "ssm_endpoint_sg",
        name_prefix=f"SSM-endpoint-{config.vpc_name}-sec-group",
        description="SSM interface endpoints: HTTPS from the VPC",
        vpc_id=scope.vpc_id,
        tags=scope.tags(),
        lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
    )
    SecurityGroupRule(
        scope.construct,
        "ssm_endpoint_sg_ing",
        type="ingress",
        from_port=443,
        to_port=443,
        protocol="tcp",
        cidr_blocks=[config.vpc_main_cidr],
        description="HTTPS from the VPC main CIDR block",
        security_group_id=security_group.id,
    )
    if private_subnets:
        endpoints = [
            InterfaceEndpoint(
                service=service,
                construct_id=service,
                lookup_id=f"{service}_endpoint_service",
                tags=scope.tags(f"{config.vpc_name}-{label}-ENDPOINT"),
            )
            for service, label in _SSM_ENDPOINTS.items()
        ]
        add_interface_endpoints(
            scope.construct,
            endpoints,
            vpc_id=scope.vpc_id,
            security_group_id=security_group.id,
            subnet_ids=_endpoint_subnet_ids(scope, private_subnets),
        )
    return security_group.id
