"""The alb-ecs construct: task definition, logs, IAM and interface endpoints."""

from __future__ import annotations

import pytest

from modules.alb_ecs import (
    producer_process,
)
from tests.alb_ecs.alb_ecs_support import (
    PRIVATE,
    PRIVATE_B,
    TAGS,
    AlbEcsSynth,
)
from tests.support import (
    REGION,
    json_document,
    resources,
)


def test_task_definition_and_container(outpost: AlbEcsSynth) -> None:
    task = outpost.res("aws_ecs_task_definition", "task_definition")
    assert task["family"] == "producer"
    assert (task["cpu"], task["memory"]) == ("512", "1024")
    assert task["network_mode"] == "awsvpc"
    assert task["requires_compatibilities"] == ["EC2"]
    assert task["execution_role_arn"] == outpost.ref("aws_iam_role", "ecs_execution_role", "arn")
    assert task["task_role_arn"] == outpost.ref("aws_iam_role", "ecs_task_role", "arn")

    account = outpost.data_ref("aws_caller_identity", "current", "account_id")
    region = REGION
    (container,) = json_document(task["container_definitions"])
    assert container == {
        "name": "producer",
        "image": f"{account}.dkr.ecr.{region}.amazonaws.com/kinesis/producer:latest",
        "essential": True,
        # ECS waits this long after SIGTERM: the producer's drain (SHUTDOWN_TIMEOUT_MS) and
        # 15 s to stop.
        "stopTimeout": 45,
        "cpu": 512,
        "memory": 1024,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": outpost.ref("aws_cloudwatch_log_group", "ecs_log_group", "name"),
                "awslogs-region": region,
                "awslogs-stream-prefix": "producer",
                # The application never blocks on a log line (the service link down).
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        },
        "environment": [
            {"name": "REGION", "value": region},
            {"name": "STREAM_NAME", "value": "data-processing-stream"},
            # 512 CPU units: half a vCPU, no room for a producer process of its own.
            {"name": "PRODUCER_PROCESS", "value": "false"},
            {"name": "SHUTDOWN_TIMEOUT_MS", "value": "30000"},
        ],
    }


@pytest.mark.parametrize(
    ("cpu", "expected"), [(256, "false"), (1024, "false"), (2048, "true"), (4096, "true")]
)
def test_the_producer_gets_a_process_of_its_own_from_2_vcpus(cpu: int, expected: str) -> None:
    assert producer_process(cpu) == expected


def test_log_group(outpost: AlbEcsSynth) -> None:
    group = outpost.res("aws_cloudwatch_log_group", "ecs_log_group")
    name = "outposts-AoD-challenge-outposts-AoD-producer-log"
    assert group["name"] == name
    assert group["retention_in_days"] == 30
    assert group["tags"] == {**TAGS, "Purpose": "CW log group for ECS", "Name": name}


def test_iam_roles_and_policies(outpost: AlbEcsSynth) -> None:
    assume = outpost.data("aws_iam_policy_document", "ecs_tasks_assume_role")
    assert assume["statement"] == [
        {
            "effect": "Allow",
            "actions": ["sts:AssumeRole"],
            "principals": [{"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}],
        }
    ]
    assume_json = outpost.data_ref("aws_iam_policy_document", "ecs_tasks_assume_role", "json")
    execution = outpost.res("aws_iam_role", "ecs_execution_role")
    assert execution["name"] == "outposts-AoD-producer-cluster-execution"
    assert execution["assume_role_policy"] == assume_json
    task_role = outpost.res("aws_iam_role", "ecs_task_role")
    assert task_role["name"] == "outposts-AoD-producer-cluster-task"
    assert task_role["assume_role_policy"] == assume_json

    partition = "aws"
    region = REGION
    account = outpost.data_ref("aws_caller_identity", "current", "account_id")
    log_group_arn = outpost.ref("aws_cloudwatch_log_group", "ecs_log_group", "arn")

    # The execution role: an inline policy naming the repository and the log group instead of
    # the managed AmazonECSTaskExecutionRolePolicy (which has "*" everywhere).
    assert outpost.count("aws_iam_role_policy_attachment") == 0
    execution_policy = outpost.res("aws_iam_role_policy", "ecs_execution_policy")
    assert execution_policy["role"] == outpost.ref("aws_iam_role", "ecs_execution_role", "id")
    assert execution_policy["policy"] == outpost.data_ref(
        "aws_iam_policy_document", "ecs_execution_policy_document", "json"
    )
    pull = {
        item["sid"]: item
        for item in outpost.data("aws_iam_policy_document", "ecs_execution_policy_document")[
            "statement"
        ]
    }
    assert pull["PullImage"]["resources"] == [
        f"arn:{partition}:ecr:{region}:{account}:repository/kinesis/producer"
    ]
    assert set(pull["PullImage"]["actions"]) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    }
    assert pull["RegistryLogin"] == {
        "sid": "RegistryLogin",
        "effect": "Allow",
        "actions": ["ecr:GetAuthorizationToken"],
        "resources": ["*"],
    }
    assert pull["ShipLogs"]["resources"] == [log_group_arn, f"{log_group_arn}:*"]
    assert pull["ShipLogs"]["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents"]

    policy = outpost.res("aws_iam_role_policy", "ecs_task_policy")
    assert policy["name"] == "outposts-AoD-ecs-task-policy"
    assert policy["role"] == outpost.ref("aws_iam_role", "ecs_task_role", "id")
    assert policy["policy"] == outpost.data_ref(
        "aws_iam_policy_document", "ecs_task_policy_document", "json"
    )
    statements = {
        item["sid"]: item
        for item in outpost.data("aws_iam_policy_document", "ecs_task_policy_document")["statement"]
    }
    assert statements["WriteToStream"]["resources"] == [
        f"arn:{partition}:kinesis:{region}:{account}:stream/data-processing-stream"
    ]
    assert "kinesis:PutRecords" in statements["WriteToStream"]["actions"]
    assert "kinesis:ListShards" in statements["WriteToStream"]["actions"]
    assert statements["WriteLogs"]["resources"] == [log_group_arn, f"{log_group_arn}:*"]
    assert statements["WriteLogs"]["actions"] == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    # PutMetricData takes no resource: "*", held to one namespace by a condition.
    assert statements["PublishMetrics"]["actions"] == ["cloudwatch:PutMetricData"]
    assert statements["PublishMetrics"]["resources"] == ["*"]
    assert statements["PublishMetrics"]["condition"] == [
        {
            "test": "StringEquals",
            "variable": "cloudwatch:namespace",
            "values": ["KinesisProducerLibrary"],
        }
    ]
    # No stream key given: no KMS permission.
    assert set(statements) == {"WriteToStream", "WriteLogs", "PublishMetrics"}
    assert all(item["effect"] == "Allow" for item in statements.values())


def test_interface_endpoints(outpost: AlbEcsSynth) -> None:
    endpoints_sg = outpost.res("aws_security_group", "ecs_endpoints_sec_group")
    assert endpoints_sg["name"] == "outposts-AoD-challenge-outposts-AoD-ecs-endpoint"
    (ingress,) = endpoints_sg["ingress"]
    assert (ingress["from_port"], ingress["to_port"], ingress["protocol"]) == (443, 443, "tcp")
    assert ingress["cidr_blocks"] == ["10.181.192.0/19"]
    services = {
        "ecs": "ecs",
        "ecs-agent": "ecs-agent",
        "ecs-telemetry": "ecs-telemetry",
        "ecr_api": "ecr.api",
        "ecr_dkr": "ecr.dkr",
        "secretsmanager": "secretsmanager",
        "logs": "logs",
    }
    for construct_id, service in services.items():
        lookup = f"endpoint_service_{construct_id}"
        assert outpost.data("aws_vpc_endpoint_service", lookup) == {"service": service}
        endpoint = outpost.res("aws_vpc_endpoint", construct_id)
        assert endpoint["service_name"] == outpost.data_ref(
            "aws_vpc_endpoint_service", lookup, "service_name"
        )
        assert endpoint["vpc_endpoint_type"] == "Interface"
        # In the Region's subnets, not the Outposts subnet of the tasks.
        assert endpoint["subnet_ids"] == [PRIVATE, PRIVATE_B]
        assert endpoint["private_dns_enabled"] is True
        assert endpoint["security_group_ids"] == [
            outpost.ref("aws_security_group", "ecs_endpoints_sec_group", "id")
        ]
    assert outpost.res("aws_vpc_endpoint", "ecr_dkr")["tags"]["Name"] == (
        "outposts-AoD-challenge-outposts-AoD-ecr-dkr-endpoint"
    )


def test_imported_task_definition(imported_task: AlbEcsSynth) -> None:
    for kind in (
        "aws_ecs_task_definition",
        "aws_cloudwatch_log_group",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
    ):
        assert imported_task.count(kind) == 0, kind
    assert "aws_iam_policy_document" not in imported_task.json["data"]
    arn = "arn:aws:ecs:us-west-2:111122223333:task-definition/producer:7"
    assert imported_task.res("aws_ecs_service", "service")["task_definition"] == arn
    module = imported_task.module
    assert module.ecs_task_definition_id == arn
    assert module.ecs_iam_execution_role is None
    assert module.ecs_iam_task_role is None
    assert module.ecs_cw_log_group is None
    assert imported_task.output("ecs_task_definition_id") == arn
    # Two distinct container ports: one egress and one ECS ingress rule each.
    for port in (8080, 9090):
        egress = imported_task.res("aws_security_group_rule", f"alb_healthcheck_egress_{port}")
        assert (egress["from_port"], egress["to_port"]) == (port, port)
        ingress = imported_task.res("aws_security_group_rule", f"ecs_alb_in_{port}")
        assert (ingress["from_port"], ingress["to_port"]) == (port, port)
    # A listener without CIDRs gets no CIDR rule, only the CoIP one.
    rules = resources(imported_task.json, "aws_security_group_rule")
    assert imported_task.logical_id("alb_listener_in_coip_port-2") in rules
    assert imported_task.module.node.try_find_child("alb_listener_in_port-2") is None


def test_the_stop_timeout_covers_the_producer_s_drain_within_ecs_s_limit() -> None:
    from modules.alb_ecs_task import SHUTDOWN_TIMEOUT_MS, STOP_TIMEOUT_SECONDS
    from producer.service.settings import load_settings

    # The drain covers every record the producer may still hold (RecordTtl), and ECS allows
    # at most 120 s between SIGTERM and SIGKILL.
    environment = {"STREAM_NAME": "s", "SHUTDOWN_TIMEOUT_MS": str(SHUTDOWN_TIMEOUT_MS)}
    settings = load_settings(environment)
    assert settings.shutdown_timeout_ms >= settings.record_ttl_ms
    assert SHUTDOWN_TIMEOUT_MS / 1000 < STOP_TIMEOUT_SECONDS <= 120
