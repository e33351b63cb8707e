"""What the task definition gives the producer: its health checks and its disk spool."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.support import json_document, resources, synth_deployment

TASK = "producer-outposts-ecs-alb_task_definition"
TARGET_GROUP = "producer-outposts-ecs-alb_ecs_alb_tg_port-1"
SPOOL_ENV = {"SPOOL_DIR": "/var/spool/producer", "SPOOL_MAX_BYTES": str(1024 * 2**20)}


def _container(synthesized: dict[str, Any]) -> dict[str, Any]:
    task = resources(synthesized, "aws_ecs_task_definition")[TASK]
    (container,) = json_document(task["container_definitions"])
    return container


def _environment(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["environment"]}


@pytest.fixture(scope="module")
def region_vars() -> dict[str, Any]:
    return json.loads((ROOT / "vars" / "region.tfvars.json").read_text())


@pytest.fixture(scope="module")
def region_fargate_spool(region_vars: dict[str, Any]) -> dict[str, Any]:
    return synth_deployment({**region_vars, "ecs_launch_type": "FARGATE"})


def test_the_alb_asks_readiness_and_ecs_asks_liveness(deployment: dict[str, Any]) -> None:
    """A Region-side outage fails readiness only: the ALB stops sending, ECS keeps the task."""
    group = resources(deployment, "aws_lb_target_group")[TARGET_GROUP]
    assert group["health_check"]["path"] == "/healthcheck"
    check = _container(deployment)["healthCheck"]
    assert check["command"][:3] == ["CMD", "python", "-c"]
    assert "'http://127.0.0.1:8080/livez'" in check["command"][3]
    assert (check["interval"], check["retries"], check["startPeriod"]) == (15, 3, 30)


def test_on_an_outpost_the_spool_is_a_folder_of_the_instance(deployment: dict[str, Any]) -> None:
    container = _container(deployment)
    assert _environment(container).items() >= SPOOL_ENV.items()
    assert container["mountPoints"] == [
        {"sourceVolume": "producer-spool", "containerPath": "/var/spool/producer"}
    ]
    task = resources(deployment, "aws_ecs_task_definition")[TASK]
    assert task["volume"] == [{"name": "producer-spool", "host_path": "/var/lib/producer-spool"}]
    (template,) = resources(deployment, "aws_launch_template").values()
    script = base64.b64decode(template["user_data"]).decode()
    assert "install -d -m 0700 -o 10001 -g 10001 /var/lib/producer-spool" in script


def test_in_the_region_the_spool_is_on_too(region_vars: dict[str, Any]) -> None:
    """Without it a Kinesis outage fails readiness, and ECS would replace tasks in a loop."""
    synthesized = synth_deployment({**region_vars, "ecs_launch_type": "EC2"})
    container = _container(synthesized)
    assert _environment(container).items() >= SPOOL_ENV.items()
    task = resources(synthesized, "aws_ecs_task_definition")[TASK]
    assert task["volume"] == [{"name": "producer-spool", "host_path": "/var/lib/producer-spool"}]
    assert container["healthCheck"]["command"][3].endswith("/livez', timeout=3)")


def test_on_fargate_the_spool_is_the_tasks_storage(region_fargate_spool: dict[str, Any]) -> None:
    container = _container(region_fargate_spool)
    assert _environment(container).items() >= SPOOL_ENV.items()
    task = resources(region_fargate_spool, "aws_ecs_task_definition")[TASK]
    assert task["volume"] == [{"name": "producer-spool"}]  # no host path: ephemeral storage


def test_the_spool_can_be_turned_off(sample_vars: dict[str, Any]) -> None:
    synthesized = synth_deployment(
        {**sample_vars, "producer_spool": False, "producer_spool_max_mib": 64}
    )
    container = _container(synthesized)
    assert not {"SPOOL_DIR", "SPOOL_MAX_BYTES"} & set(_environment(container))
    assert "mountPoints" not in container
    assert "volume" not in resources(synthesized, "aws_ecs_task_definition")[TASK]
    (template,) = resources(synthesized, "aws_launch_template").values()
    assert "/var/lib/producer-spool" not in base64.b64decode(template["user_data"]).decode()
    alarms = resources(synthesized, "aws_cloudwatch_metric_alarm")
    assert "observability_alarm_producer-spool-filling" not in alarms
    assert "observability_alarm_producer-records-lost" in alarms
