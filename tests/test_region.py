"""Region mode: the same app with ``outposts_arn = ""``, on Fargate and on EC2."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from stack_configs import IMAGE_TARGETS
from tests.conftest import ROOT
from tests.support import (
    addresses,
    data_sources,
    resources,
    synth_deployment,
    target_closure,
    terraform_load,
)

ALB = "producer-outposts-ecs-alb"
PUBLIC = ["${aws_subnet.test-vpc_subnet_public_0.id}", "${aws_subnet.test-vpc_subnet_public_1.id}"]
PRIVATE = ["${aws_subnet.test-vpc_subnet_priv_0.id}", "${aws_subnet.test-vpc_subnet_priv_1.id}"]
TABLE = "aws_route_table.test-vpc_subnet_priv_route_table"
REGION_VARS = json.loads((ROOT / "vars" / "region.tfvars.json").read_text())
# What moving the sample deployment from the Outpost to the Region changes in its vars file.
MOVED_KEYS = {
    "aws_region",
    "outposts_arn",
    "outposts_route_to_LGW_destination",
    "outposts_local_gateway_id",
    "outposts_subnets_cidr_list",
    "alb_inbound_cidr_range",
    "ecs_launch_type",
}
# What the Region example names otherwise because it deploys beside the Outpost example.
SIDE_BY_SIDE_KEYS = {"s3_bucket_outposts_logging_name", "kinesis_stream_name"}


@pytest.fixture(scope="module")
def fargate() -> dict[str, Any]:
    """vars/region.tfvars.json as it is: Fargate, CPU and request tracking, 2 to 6 tasks."""
    return synth_deployment(REGION_VARS)


@pytest.fixture(scope="module")
def ec2() -> dict[str, Any]:
    """The Region file on EC2 container instances, CPU tracking only, a two-shard stream."""
    return synth_deployment(
        {
            **REGION_VARS,
            "ecs_launch_type": "EC2",
            "ecs_autoscaling_requests_per_target": 0,
            "kinesis_shard_count": 2,
        }
    )


MODES = ("fargate", "ec2")


def _one(synthesized: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (block,) = resources(synthesized, resource_type).values()
    return block


@pytest.mark.parametrize("mode", MODES)
def test_region_configurations_load_in_terraform(mode: str, request: pytest.FixtureRequest) -> None:
    synthesized = request.getfixturevalue(mode)
    config = terraform_load(synthesized)
    assert len(config["ManagedResources"]) == sum(
        len(blocks) for blocks in synthesized["resource"].values()
    )
    assert synthesized["provider"]["aws"][0]["region"] == "us-west-2"


@pytest.mark.parametrize("mode", MODES)
def test_no_outposts_parts(mode: str, request: pytest.FixtureRequest) -> None:
    synthesized = request.getfixturevalue(mode)
    assert not [name for name in resources(synthesized, "aws_subnet") if "outposts" in name]
    assert not resources(synthesized, "aws_ec2_local_gateway_route_table_vpc_association")
    for lookup in (
        "aws_outposts_outpost",
        "aws_ec2_coip_pool",
        "aws_ec2_local_gateway",
        "aws_ec2_local_gateway_route_table",
    ):
        assert not data_sources(synthesized, lookup), lookup
    assert "customer_owned_ipv4_pool" not in _one(synthesized, "aws_lb")
    rules = resources(synthesized, "aws_security_group_rule")
    assert not [name for name in rules if "coip" in name]
    routes = resources(synthesized, "aws_route")
    assert not [route for route in routes.values() if "local_gateway_id" in route]


@pytest.mark.parametrize("mode", MODES)
def test_alb_in_public_subnets_tasks_in_private_subnets(
    mode: str, request: pytest.FixtureRequest
) -> None:
    synthesized = request.getfixturevalue(mode)
    alb = _one(synthesized, "aws_lb")
    assert alb["subnets"] == PUBLIC
    assert alb["internal"] is False
    service = _one(synthesized, "aws_ecs_service")
    assert service["network_configuration"]["subnets"] == PRIVATE
    assert service["network_configuration"]["assign_public_ip"] is False
    interface = {
        name: endpoint
        for name, endpoint in resources(synthesized, "aws_vpc_endpoint").items()
        if name.startswith(f"{ALB}_")
    }
    # Fargate runs no container agent: no ecs, ecs-agent or ecs-telemetry endpoint.
    expected = {"ecr_api", "ecr_dkr", "logs", "secretsmanager"}
    if mode == "ec2":
        expected |= {"ecs", "ecs-agent", "ecs-telemetry"}
    assert {name.removeprefix(f"{ALB}_") for name in interface} == expected
    for name, endpoint in interface.items():
        assert endpoint["subnet_ids"] == PRIVATE, name
    # The listener admits the VPC, the clients of alb_inbound_cidr_range and, since the
    # example turns the test client on, the NAT gateways its requests leave from.
    listener_in = resources(synthesized, "aws_security_group_rule")[f"{ALB}_alb_listener_in_port-1"]
    assert listener_in["cidr_blocks"] == [
        "10.181.192.0/19",
        "203.0.113.0/24",
        "${aws_nat_gateway.test-vpc_nat_gateway_0.public_ip}/32",
        "${aws_nat_gateway.test-vpc_nat_gateway_1.public_ip}/32",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_private_subnets_egress_through_nat(mode: str, request: pytest.FixtureRequest) -> None:
    synthesized = request.getfixturevalue(mode)
    routes = resources(synthesized, "aws_route")
    for index in (0, 1):
        route = routes[f"test-vpc_private_nat_gateway_{index}"]
        assert route["route_table_id"] == f"${{{TABLE}_{index}.id}}"
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        assert route["nat_gateway_id"] == f"${{aws_nat_gateway.test-vpc_nat_gateway_{index}.id}}"
    associations = resources(synthesized, "aws_vpc_endpoint_route_table_association")
    tables = {name: a["route_table_id"] for name, a in associations.items()}
    assert tables == {f"route_private_subnet_s3_{i}": f"${{{TABLE}_{i}.id}}" for i in (0, 1)}


def test_fargate_has_no_instances(fargate: dict[str, Any]) -> None:
    for kind in (
        "aws_launch_template",
        "aws_autoscaling_group",
        "aws_ecs_capacity_provider",
    ):
        assert not resources(fargate, kind), kind
    association = _one(fargate, "aws_ecs_cluster_capacity_providers")
    assert association["capacity_providers"] == ["FARGATE"]
    service = _one(fargate, "aws_ecs_service")
    assert service["capacity_provider_strategy"] == [{"capacity_provider": "FARGATE", "weight": 1}]
    assert "launch_type" not in service
    task = _one(fargate, "aws_ecs_task_definition")
    assert task["requires_compatibilities"] == ["FARGATE"]
    assert (task["cpu"], task["memory"], task["network_mode"]) == ("512", "1024", "awsvpc")
    assert task["execution_role_arn"] == f"${{aws_iam_role.{ALB}_ecs_execution_role.arn}}"


def test_fargate_service_scales_on_cpu_and_requests(fargate: dict[str, Any]) -> None:
    service = _one(fargate, "aws_ecs_service")
    assert service["desired_count"] == 2
    target = _one(fargate, "aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 6)
    policies = resources(fargate, "aws_appautoscaling_policy")
    by_metric = {
        p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"][
            "predefined_metric_type"
        ]: p["target_tracking_scaling_policy_configuration"]["target_value"]
        for p in policies.values()
    }
    assert by_metric == {"ECSServiceAverageCPUUtilization": 65, "ALBRequestCountPerTarget": 1000}


def test_ec2_in_the_region_runs_instances_in_private_subnets(ec2: dict[str, Any]) -> None:
    group = _one(ec2, "aws_autoscaling_group")
    assert group["vpc_zone_identifier"] == PRIVATE
    provider = _one(ec2, "aws_ecs_capacity_provider")
    assert provider["auto_scaling_group_provider"]["managed_scaling"]["status"] == "ENABLED"
    association = _one(ec2, "aws_ecs_cluster_capacity_providers")
    assert association["capacity_providers"] == [
        f"${{aws_ecs_capacity_provider.{ALB}_capacity_provider.name}}"
    ]
    assert _one(ec2, "aws_ecs_task_definition")["requires_compatibilities"] == ["EC2"]
    assert len(resources(ec2, "aws_appautoscaling_policy")) == 1
    stream = _one(ec2, "aws_kinesis_stream")
    assert (stream["shard_count"], stream["stream_mode_details"]) == (
        2,
        {"stream_mode": "PROVISIONED"},
    )


def test_targeted_first_apply_is_the_image_module_in_the_region(fargate: dict[str, Any]) -> None:
    selected = target_closure(fargate, list(IMAGE_TARGETS))
    image = {
        a
        for a in addresses(fargate)
        if not a.startswith("data.") and a.split(".", 1)[1].startswith("ecs-docker-codebuild_")
    }
    assert {a for a in selected if not a.startswith("data.")} == image


def test_region_file_is_the_sample_moved() -> None:
    """Moving to the Region changes these keys; the README's section names each of them."""
    sample = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())
    changed = {
        key
        for key in sample.keys() | REGION_VARS.keys()
        if key in MOVED_KEYS and sample.get(key) != REGION_VARS.get(key)
    }
    assert changed == MOVED_KEYS
    # Everything else the sample sets stays as it was (resources keep their names), but for
    # what the example, a second deployment, may not share with the first.
    for key, value in sample.items():
        if key not in MOVED_KEYS | SIDE_BY_SIDE_KEYS:
            assert REGION_VARS[key] == value, key
    for key in SIDE_BY_SIDE_KEYS:
        assert REGION_VARS[key] != sample[key], key
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Moving to the Region", 1)[1].split("\n## ", 1)[0]
    for key in MOVED_KEYS | SIDE_BY_SIDE_KEYS:
        assert f"`{key}`" in section, key


def test_architecture_diagram_shows_both_modes() -> None:
    readme = (ROOT / "README.md").read_text()
    diagram = readme.split("```mermaid", 1)[1].split("```", 1)[0]
    for text in (
        "Outpost mode",
        "Region mode: ALB",
        "Region mode: producer tasks",
        "FARGATE",
        "CoIP pool",
        "Application Auto Scaling",
        "dashboard, alarms",
        "PROVISIONED or ON_DEMAND",
    ):
        assert text in diagram, text


def test_region_instances_are_tagged_as_in_the_region(ec2: dict[str, Any]) -> None:
    template = _one(ec2, "aws_launch_template")
    script = base64.b64decode(template["user_data"]).decode()
    assert 'ECS_CONTAINER_INSTANCE_TAGS={"environment": "Region"}' in script.splitlines()
