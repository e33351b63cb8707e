"""The ``vpc`` module's flow log: to CloudWatch Logs (with the log group and the IAM role it
may create) or to S3."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from modules.regions import arn
from modules.validation import terraform_literal
from modules.vpc_scope import VpcScope
from modules.vpc_variables import _flow_log_role_name

__all__ = ["add_flow_log"]


def _literal(text: str | None) -> str | None:
    """``text`` as a Terraform string literal: ``${`` and ``%{`` are not interpolated."""
    return None if text is None else terraform_literal(text)


def add_flow_log(scope: VpcScope, region: str, account_id: str) -> None:
    """The flow log, with ``enable_flow_log``.

    To CloudWatch Logs, it may create the group
    ``<flow_log_cloudwatch_log_group_name_prefix><vpc_name>-vpc-flow-logs`` (optionally
    KMS-encrypted) and the role that writes to it; to S3 (``flow_log_destination_type="s3"``)
    there is neither group nor role. ``flow_log_log_format`` reaches AWS literally: its
    ``${field}`` placeholders are escaped from Terraform interpolation.
    """
    config = scope.config
    if not config.enable_flow_log:
        return
    to_cloudwatch = config.flow_log_destination_type != "s3"
    destination = config.flow_log_destination_arn
    role_arn = config.flow_log_cloudwatch_iam_role_arn if to_cloudwatch else ""

    if to_cloudwatch and config.create_flow_log_cloudwatch_log_group:
        group = CloudwatchLogGroup(
            scope.construct,
            "flow_log_group",
            name=(
                f"{config.flow_log_cloudwatch_log_group_name_prefix}{config.vpc_name}-vpc-flow-logs"
            ),
            retention_in_days=config.flow_log_cloudwatch_log_group_retention_in_days,
            kms_key_id=config.flow_log_cloudwatch_log_group_kms_key_id or None,
            tags=scope.tags(Purpose=f"VPC flow logs of {config.vpc_name}"),
        )
        destination = group.arn
    if to_cloudwatch and config.create_flow_log_cloudwatch_iam_role:
        role_arn = _add_flow_log_role(scope, destination, region, account_id).arn

    FlowLog(
        scope.construct,
        "flow_log",
        vpc_id=scope.vpc_id,
        log_destination_type=config.flow_log_destination_type,
        log_destination=destination,
        log_format=_literal(config.flow_log_log_format),
        iam_role_arn=role_arn or None,
        traffic_type=config.flow_log_traffic_type,
    )


def _add_flow_log_role(scope: VpcScope, log_group_arn: str, region: str, account: str) -> IamRole:
    """Role that the flow-log service assumes, for this account's flow logs only, allowed to
    write to the flow log's group only."""
    name = scope.config.vpc_name
    trust = DataAwsIamPolicyDocument(
        scope.construct,
        "vpc_flow_log_assume_role",
        statement=[
            DataAwsIamPolicyDocumentStatement(
                sid="FlowLogsAssumeRole",
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=["vpc-flow-logs.amazonaws.com"]
                    )
                ],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="StringEquals", variable="aws:SourceAccount", values=[account]
                    ),
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="ArnLike",
                        variable="aws:SourceArn",
                        values=[arn(region, "ec2", "vpc-flow-log/*", account=account)],
                    ),
                ],
            )
        ],
    )
    role = IamRole(
        scope.construct,
        "vpc_flow_log_iam_role",
        name=_flow_log_role_name(name),
        assume_role_policy=trust.json,
        tags=scope.tags(Purpose="Lets VPC flow logs write to CloudWatch Logs"),
    )
    group = log_group_arn.removesuffix(":*")
    write_logs = DataAwsIamPolicyDocument(
        scope.construct,
        "vpc_flow_log_policy_document",
        statement=[
            DataAwsIamPolicyDocumentStatement(
                sid="PutLogs",
                effect="Allow",
                actions=[
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=[group, f"{group}:*"],
            ),
            # DescribeLogGroups lists groups: it names no single group, only the account's.
            DataAwsIamPolicyDocumentStatement(
                sid="DescribeLogGroups",
                effect="Allow",
                actions=["logs:DescribeLogGroups"],
                resources=[arn(region, "logs", "log-group:*", account=account)],
            ),
        ],
    )
    IamRolePolicy(
        scope.construct,
        "vpc_flow_log_iam_policy",
        name=f"{name}-vpcflowlogs-cloudwatch-log-policy",
        role=role.id,
        policy=write_logs.json,
    )
    return role
