"""The alb-ecs construct (modules/alb_ecs.py): the sample's wiring, its outputs, and the
Region and Fargate configurations."""

from __future__ import annotations

from typing import cast

import pytest
from cdktf import TerraformElement, TerraformStack, TerraformVariable

from modules.alb_ecs import (
    INTERFACE_ENDPOINTS,
    AlbEcs,
    AlbEcsConfig,
    fargate_memory_sizes,
)
from tests.alb_ecs.alb_ecs_support import (
    CONFIGURATIONS,
    MODULE_ID,
    PRIVATE,
    PRIVATE_B,
    SUBNET,
    SUBNET_B,
    AlbEcsSynth,
    sample,
    service,
)
from tests.support import (
    OUTPOSTS_ARN,
    data_sources,
    json_document,
    resources,
    synthesize,
    terraform_load,
)


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_terraform_loads_every_configuration(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    synthesized: AlbEcsSynth = request.getfixturevalue(configuration)
    terraform_load(synthesized.json)


# ------------------------------------------------------------------ the sample's wiring


def test_sample_resource_counts(outpost: AlbEcsSynth) -> None:
    counts = {kind: len(items) for kind, items in outpost.json["resource"].items()}
    assert counts == {
        "aws_lb": 1,
        "aws_lb_target_group": 1,
        "aws_lb_listener": 1,
        "aws_security_group": 3,
        "aws_security_group_rule": 6,
        "aws_launch_template": 1,
        "aws_autoscaling_group": 1,
        "aws_ecs_capacity_provider": 1,
        "aws_ecs_cluster": 1,
        "aws_ecs_cluster_capacity_providers": 1,
        "aws_cloudwatch_log_group": 1,
        "aws_iam_role": 2,
        "aws_iam_role_policy": 2,
        "aws_ecs_task_definition": 1,
        "aws_ecs_service": 1,
        "aws_vpc_endpoint": 7,
        # Not in the sample: the service's autoscaling (CPU target tracking by default).
        "aws_appautoscaling_target": 1,
        "aws_appautoscaling_policy": 1,
    }
    data_counts = {kind: len(items) for kind, items in outpost.json["data"].items()}
    assert data_counts == {
        "aws_caller_identity": 1,
        "aws_ssm_parameter": 1,
        "aws_outposts_outpost": 1,
        "aws_ec2_local_gateway": 1,
        "aws_ec2_local_gateway_route_table": 1,
        "aws_ec2_coip_pool": 1,
        "aws_iam_policy_document": 3,
        "aws_vpc_endpoint_service": 7,
    }


def test_vpc_is_passed_by_id_not_looked_up(outpost: AlbEcsSynth) -> None:
    assert "aws_vpc" not in outpost.json["data"]
    assert outpost.res("aws_security_group", "alb_sg")["vpc_id"] == "vpc-0123"
    assert outpost.res("aws_security_group", "ecs_sg")["vpc_id"] == "vpc-0123"
    assert outpost.res("aws_lb_target_group", "ecs_alb_tg_port-1")["vpc_id"] == "vpc-0123"
    assert outpost.res("aws_vpc_endpoint", "logs")["vpc_id"] == "vpc-0123"


def test_outpost_lookups_chain_to_the_coip_pool(outpost: AlbEcsSynth) -> None:
    assert outpost.data("aws_outposts_outpost", "target_outpost") == {"arn": OUTPOSTS_ARN}
    outpost_arn = outpost.data_ref("aws_outposts_outpost", "target_outpost", "arn")
    assert outpost.data("aws_ec2_local_gateway", "outposts_lgw")["filter"] == [
        {"name": "outpost-arn", "values": [outpost_arn]}
    ]
    assert outpost.data("aws_ec2_local_gateway_route_table", "outposts_lgw_route_table") == {
        "outpost_arn": outpost_arn,
        "local_gateway_id": outpost.data_ref("aws_ec2_local_gateway", "outposts_lgw", "id"),
    }
    assert outpost.data("aws_ec2_coip_pool", "coip") == {
        "local_gateway_route_table_id": outpost.data_ref(
            "aws_ec2_local_gateway_route_table",
            "outposts_lgw_route_table",
            "local_gateway_route_table_id",
        )
    }


def test_outputs_reference_the_resources(outpost: AlbEcsSynth) -> None:
    assert outpost.output("alb_id") == outpost.ref("aws_lb", "alb", "id")
    assert outpost.output("alb_dns_name") == outpost.ref("aws_lb", "alb", "dns_name")
    assert outpost.output("ecs_cluster_id") == outpost.ref("aws_ecs_cluster", "ecs-cluster", "id")
    assert outpost.output("ecs_cluster_name") == outpost.ref(
        "aws_ecs_cluster", "ecs-cluster", "name"
    )
    assert outpost.output("ecs_service_id") == outpost.ref("aws_ecs_service", "service", "id")
    assert outpost.output("ecs_service_name") == outpost.ref("aws_ecs_service", "service", "name")
    assert outpost.output("ecs_task_definition_id") == outpost.ref(
        "aws_ecs_task_definition", "task_definition", "arn"
    )
    assert outpost.output("ecs_iam_execution_role") == outpost.ref(
        "aws_iam_role", "ecs_execution_role", "id"
    )
    assert outpost.output("ecs_iam_task_role") == outpost.ref("aws_iam_role", "ecs_task_role", "id")
    assert outpost.output("ecs_cw_log_group") == outpost.ref(
        "aws_cloudwatch_log_group", "ecs_log_group", "id"
    )
    assert outpost.module.config is outpost.config


# -------------------------------------------------------------- contrasting configurations


def test_region_deployment_has_no_outpost_parts(region: AlbEcsSynth) -> None:
    for lookup in (
        "aws_outposts_outpost",
        "aws_ec2_local_gateway",
        "aws_ec2_local_gateway_route_table",
        "aws_ec2_coip_pool",
    ):
        assert lookup not in region.json["data"]
    alb = region.res("aws_lb", "alb")
    assert "customer_owned_ipv4_pool" not in alb
    assert "access_logs" not in alb
    assert alb["subnets"] == [SUBNET, SUBNET_B]
    rules = resources(region.json, "aws_security_group_rule")
    assert not [key for key in rules if "coip" in key]
    assert region.count("aws_security_group_rule") == 5
    assert region.res("aws_launch_template", "node")["instance_type"] == "t3.large"


def test_region_tasks_instances_and_endpoints_use_ecs_subnets(region: AlbEcsSynth) -> None:
    assert region.res("aws_autoscaling_group", "ecs_nodes")["vpc_zone_identifier"] == [
        PRIVATE,
        PRIVATE_B,
    ]
    service = region.res("aws_ecs_service", "service")
    assert service["network_configuration"]["subnets"] == [PRIVATE, PRIVATE_B]
    assert service["desired_count"] == 2
    for construct_id, _, _ in INTERFACE_ENDPOINTS:
        assert region.res("aws_vpc_endpoint", construct_id)["subnet_ids"] == [PRIVATE, PRIVATE_B]
    # EC2 in the Region runs on the module's capacity provider, as on an Outpost.
    provider_name = region.ref("aws_ecs_capacity_provider", "capacity_provider", "name")
    assert service["capacity_provider_strategy"] == [
        {"capacity_provider": provider_name, "weight": 1}
    ]
    assert region.module.ecs_capacity_provider_name is not None


def test_without_ecs_subnets_everything_shares_subnets(outpost: AlbEcsSynth) -> None:
    assert outpost.config.ecs_subnets == []
    assert outpost.res("aws_autoscaling_group", "ecs_nodes")["vpc_zone_identifier"] == [SUBNET]
    # But the endpoints: in endpoint_subnets, Regional ones.
    assert outpost.res("aws_vpc_endpoint", "ecs")["subnet_ids"] == [PRIVATE, PRIVATE_B]


def test_fargate_has_no_instances_and_runs_on_the_fargate_provider(fargate: AlbEcsSynth) -> None:
    for kind in ("aws_launch_template", "aws_autoscaling_group", "aws_ecs_capacity_provider"):
        assert fargate.count(kind) == 0, kind
    assert fargate.module.ecs_capacity_provider_name is None
    association = fargate.res(
        "aws_ecs_cluster_capacity_providers", "ecs-cluster-capacity-providers"
    )
    assert association["capacity_providers"] == ["FARGATE"]
    assert association["default_capacity_provider_strategy"] == [
        {"capacity_provider": "FARGATE", "weight": 1}
    ]
    service = fargate.res("aws_ecs_service", "service")
    # A capacity provider strategy, not a launch type: ECS refuses both.
    assert "launch_type" not in service
    assert service["capacity_provider_strategy"] == [{"capacity_provider": "FARGATE", "weight": 1}]
    assert service["network_configuration"] == {
        "subnets": [PRIVATE, PRIVATE_B],
        "security_groups": [fargate.ref("aws_security_group", "ecs_sg", "id")],
        "assign_public_ip": False,
    }
    assert service["desired_count"] == 2


def test_fargate_task_definition(fargate: AlbEcsSynth) -> None:
    task = fargate.res("aws_ecs_task_definition", "task_definition")
    assert task["requires_compatibilities"] == ["FARGATE"]
    assert (task["cpu"], task["memory"]) == ("1024", "3072")
    assert task["network_mode"] == "awsvpc"
    assert task["execution_role_arn"] == fargate.ref("aws_iam_role", "ecs_execution_role", "arn")
    (container,) = json_document(task["container_definitions"])
    assert (container["cpu"], container["memory"]) == (1024, 3072)


def test_fargate_task_sizes() -> None:
    assert fargate_memory_sizes(256) == [512, 1024, 2048]
    assert fargate_memory_sizes(512) == [1024, 2048, 3072, 4096]
    assert fargate_memory_sizes(16384)[:2] == [32768, 40960]
    assert fargate_memory_sizes(384) == []
    size = {"cpu": 4096, "memory": 30720}
    assert AlbEcsConfig(
        **sample(
            outposts_arn="", subnets=[SUBNET, SUBNET_B], ecs_service=service("FARGATE", **size)
        )
    )


def test_values_from_other_constructs_may_be_tokens() -> None:
    def build(stack: TerraformStack) -> AlbEcs:
        def variable(name: str) -> str:
            return TerraformVariable(stack, name, type="string").string_value

        config = AlbEcsConfig(
            **sample(
                vpc_id=variable("vpc_id"),
                vpc_cidr_block=variable("vpc_cidr"),
                subnets=[variable("subnet")],
                ec2_iam_instance_profile=variable("profile"),
                logging_bucket_name=variable("bucket"),
                kinesis_stream_arn=variable("stream_arn"),
            )
        )
        return AlbEcs(stack, MODULE_ID, config)

    result = synthesize(build)
    synthesized = result.json
    terraform_load(synthesized)

    def logical_id(child: str) -> str:
        node = result.built.node.find_child(child)
        return cast(TerraformElement, node).friendly_unique_id

    alb_sg = resources(synthesized, "aws_security_group")[logical_id("alb_sg")]
    assert alb_sg["vpc_id"] == "${var.vpc_id}"
    alb = resources(synthesized, "aws_lb")[logical_id("alb")]
    assert alb["subnets"] == ["${var.subnet}"]
    assert alb["access_logs"]["bucket"] == "${var.bucket}"
    policy = data_sources(synthesized, "aws_iam_policy_document")[
        logical_id("ecs_task_policy_document")
    ]
    assert policy["statement"][0]["resources"] == ["${var.stream_arn}"]
