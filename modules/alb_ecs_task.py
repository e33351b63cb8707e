"""The ``alb-ecs`` module's task definition: the container, its log group and its two roles.

With ``import_aws_ecs_task_definition`` nothing is created and the imported ARN is used.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from modules.alb_ecs_scope import AlbEcsScope
from modules.regions import dns_suffix
from modules.rendering import json_document

__all__ = ["AwsEnvironment", "TaskDefinitionOutputs", "add_task_definition", "producer_process"]

SPOOL_CONTAINER_PATH = "/var/spool/producer"
# Memory the awslogs driver holds log lines in while CloudWatch Logs is out of reach (Docker's
# default is 1 MiB): about 100,000 of the producer's lines, minutes of a service-link outage.
AWSLOGS_MAX_BUFFER_SIZE = "25m"
SPOOL_VOLUME = "producer-spool"
# The port the producer image listens on unless told otherwise (its ENV PORT, producer/Dockerfile).
IMAGE_PORT = 8080
# On SIGTERM the producer puts what it holds for up to SHUTDOWN_TIMEOUT_MS: RecordTtl (30 s),
# after which no record it holds could be put anyway. ECS then waits STOP_TIMEOUT_SECONDS in
# all before SIGKILL (its default is 30 s): the drain and 15 s to stop the server and flush.
SHUTDOWN_TIMEOUT_MS = 30_000
STOP_TIMEOUT_SECONDS = SHUTDOWN_TIMEOUT_MS // 1000 + 15


def producer_process(task_cpu: int) -> str:
    """The container's PRODUCER_PROCESS for a task of ``task_cpu`` units (see producer/).

    ECS enforces a task's CPU units as a quota on the task's cgroup, above the container's,
    where the container cannot read it; so the task definition says whether the producer gets
    a process (and a CPU) of its own: from 2 vCPUs (2048 units).
    """
    return "true" if task_cpu >= 2048 else "false"


@dataclasses.dataclass(frozen=True)
class AwsEnvironment:
    """Where the task runs: the Region (a literal), the account id and the partition."""

    region: str
    account_id: str
    partition: str


@dataclasses.dataclass(frozen=True)
class TaskDefinitionOutputs:
    """The module outputs of the task definition (``None``: imported, not created)."""

    task_definition_arn: str
    execution_role_id: str | None = None
    task_role_id: str | None = None
    log_group_id: str | None = None


def add_task_definition(
    scope: AlbEcsScope, environment: AwsEnvironment, spool_host_path: str | None
) -> TaskDefinitionOutputs:
    """The task definition with its log group and roles, or the imported definition.

    ``spool_host_path`` is the capacity's host folder of the disk spool volume.
    """
    construct, config = scope.construct, scope.config
    if config.import_aws_ecs_task_definition:
        return TaskDefinitionOutputs(task_definition_arn=config.task_definition_arn)

    log_group_name = f"{scope.name_prefix}-{config.log_group_name}"
    log_group = CloudwatchLogGroup(
        construct,
        "ecs_log_group",
        name=log_group_name,
        retention_in_days=config.log_retention_days,
        kms_key_id=config.log_group_kms_key_id or None,
        tags=scope.named(log_group_name, Purpose="CW log group for ECS"),
    )
    execution_role, task_role = _roles(scope, environment, log_group)

    service = config.ecs_service
    region = environment.region
    image = (
        f"{environment.account_id}.dkr.ecr.{region}.{dns_suffix(region)}/"
        f"{config.ecr_name}:{config.image_tag}"
    )
    container: dict[str, Any] = {
        "name": service.container_name,
        "image": image,
        "essential": True,
        "stopTimeout": STOP_TIMEOUT_SECONDS,
        "cpu": service.task_definition.cpu,
        "memory": service.task_definition.memory,
        "portMappings": [{"containerPort": service.task_definition.port, "protocol": "tcp"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group.name,
                "awslogs-region": region,
                "awslogs-stream-prefix": service.container_name,
                # Non-blocking: with CloudWatch Logs out of reach (the service link down) the
                # application must not stall on a full pipe; lines beyond the buffer are lost.
                "mode": "non-blocking",
                "max-buffer-size": AWSLOGS_MAX_BUFFER_SIZE,
            },
        },
        "environment": [
            {"name": "REGION", "value": region},
            {"name": "STREAM_NAME", "value": config.kinesis_stream_name},
            {
                "name": "PRODUCER_PROCESS",
                "value": producer_process(service.task_definition.cpu),
            },
            {"name": "SHUTDOWN_TIMEOUT_MS", "value": str(SHUTDOWN_TIMEOUT_MS)},
        ],
    }
    if service.task_definition.port != IMAGE_PORT:
        # The image listens on IMAGE_PORT (its PORT); another port is the task's to pass.
        container["environment"].append(
            {"name": "PORT", "value": str(service.task_definition.port)}
        )
    volumes = _container_extras(scope, container, spool_host_path)
    task_definition = EcsTaskDefinition(
        construct,
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
    return TaskDefinitionOutputs(
        task_definition_arn=task_definition.arn,
        execution_role_id=execution_role.id,
        task_role_id=task_role.id,
        log_group_id=log_group.id,
    )


def _container_extras(
    scope: AlbEcsScope, container: dict[str, Any], spool_host_path: str | None
) -> list[EcsTaskDefinitionVolume]:
    """The container's own health check and the disk spool, when the config asks; the
    task definition's volumes."""
    task = scope.config.ecs_service.task_definition
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
    return [EcsTaskDefinitionVolume(name=SPOOL_VOLUME, host_path=spool_host_path)]


def _roles(
    scope: AlbEcsScope, environment: AwsEnvironment, log_group: CloudwatchLogGroup
) -> tuple[IamRole, IamRole]:
    """Execution role (pull the image, ship logs) and task role (write to Kinesis)."""
    construct, config = scope.construct, scope.config
    partition = environment.partition
    assume = DataAwsIamPolicyDocument(
        construct,
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
    region, account = environment.region, environment.account_id
    execution_role = IamRole(
        construct,
        "ecs_execution_role",
        name=f"{scope.project}-{config.ecs_cluster_name}-execution",
        assume_role_policy=assume.json,
        tags=config.tags,
    )
    repository_arn = f"arn:{partition}:ecr:{region}:{account}:repository/{config.ecr_name}"
    execution_policy = DataAwsIamPolicyDocument(
        construct,
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
        construct,
        "ecs_execution_policy",
        name=f"{scope.project}-ecs-execution-policy",
        role=execution_role.id,
        policy=execution_policy.json,
    )
    task_role = IamRole(
        construct,
        "ecs_task_role",
        name=f"{scope.project}-{config.ecs_cluster_name}-task",
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
    if config.enable_execute_command:
        statements.append(
            # ECS Exec: the agent in the task opens Session Manager channels (no resource type).
            DataAwsIamPolicyDocumentStatement(
                sid="ExecuteCommand",
                effect="Allow",
                actions=[
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                resources=["*"],
            )
        )
    task_policy = DataAwsIamPolicyDocument(
        construct, "ecs_task_policy_document", statement=statements
    )
    IamRolePolicy(
        construct,
        "ecs_task_policy",
        name=f"{scope.project}-ecs-task-policy",
        role=task_role.id,
        policy=task_policy.json,
    )
    return execution_role, task_role
