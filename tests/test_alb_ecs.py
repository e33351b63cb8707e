"""Synthesis and validation tests of the alb-ecs construct (modules/alb_ecs.py)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any, cast

import pytest
from cdktf import TerraformElement, TerraformOutput, TerraformStack, TerraformVariable
from pydantic import TypeAdapter, ValidationError

from modules.alb_ecs import (
    HTTPS_SSL_POLICY,
    INTERFACE_ENDPOINTS,
    AlbEcs,
    AlbEcsConfig,
    fargate_memory_sizes,
    producer_process,
    render_user_data,
)
from tests.support import (
    OUTPOSTS_ARN,
    REGION,
    data_sources,
    json_document,
    resources,
    synth,
    terraform_load,
)

MODULE_ID = "producer-outposts-ecs-alb"
LOGS_KEY = "arn:aws:kms:us-west-2:111122223333:key/0123abcd-12ab-34cd-56ef-1234567890ab"
STREAM_KEY = "arn:aws:kms:us-west-2:111122223333:key/mrk-0123456789abcdef0123456789abcdef"
SUBNET = "subnet-0aaa1111bbbb2222c"
SUBNET_B = "subnet-0bbb1111bbbb2222c"
PRIVATE = "subnet-0ccc1111bbbb2222c"
PRIVATE_B = "subnet-0ddd1111bbbb2222c"
TAGS = {
    "Environment": "dev",
    "Project": "outposts-AoD",
    "Owner": "adf",
    "managedBy": "terraform",
    "Terraformbackend": "terraform-backend-s3",
}
OUTPUTS = (
    "alb_id",
    "alb_dns_name",
    "ecs_cluster_id",
    "ecs_cluster_name",
    "ecs_service_id",
    "ecs_service_name",
    "ecs_task_definition_id",
    "ecs_iam_execution_role",
    "ecs_iam_task_role",
    "ecs_cw_log_group",
)


def listener(
    port: int, target_port: int = 8080, protocol: str = "HTTP", cidrs: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "port": port,
        "protocol": protocol,
        "inbound_cidr_range": list(cidrs),
        "target_group": {
            "port": target_port,
            "protocol": "HTTP",
            "health_check_path": "/healthcheck",
        },
    }


def sample(**overrides: Any) -> dict[str, Any]:
    """The sample deployment's wiring of the module, with ``overrides`` applied."""
    config: dict[str, Any] = {
        "tags": TAGS,
        "vpc_name": "outposts-AoD-challenge",
        "vpc_id": "vpc-0123",
        "vpc_cidr_block": "10.181.192.0/19",
        "alb_name": "ALB-ECS",
        "subnets": [SUBNET],
        "enable_alb_access_logging": True,
        "logging_bucket_name": "outposts-aod-logging-bucket-1111111",
        "alb_access_logs_prefix": "alb",
        "port_listeners": {"port-1": listener(80, cidrs=("10.181.192.0/19",))},
        "outposts_arn": OUTPOSTS_ARN,
        "ecs_cluster_name": "producer-cluster",
        "log_group_name": "producer-log",
        "log_retention_days": 30,
        "ecr_name": "kinesis/producer",
        "ec2_iam_instance_profile": "some-profile",
    }
    config.update(overrides)
    return config


class Synthesized:
    """One configuration synthesized, with lookups by construct id below the module."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = AlbEcsConfig(**config)
        built: list[AlbEcs] = []

        def build(stack: TerraformStack) -> None:
            module = AlbEcs(stack, MODULE_ID, self.config)
            built.append(module)
            for name in OUTPUTS:
                value = getattr(module, name)
                if value is not None:
                    TerraformOutput(stack, name, value=value)

        self.json = synth(build)
        self.module = built[0]

    def logical_id(self, child: str) -> str:
        return cast(TerraformElement, self.module.node.find_child(child)).friendly_unique_id

    def res(self, resource_type: str, child: str) -> dict[str, Any]:
        return resources(self.json, resource_type)[self.logical_id(child)]

    def data(self, data_type: str, child: str) -> dict[str, Any]:
        return data_sources(self.json, data_type)[self.logical_id(child)]

    def ref(self, resource_type: str, child: str, attribute: str) -> str:
        return f"${{{resource_type}.{self.logical_id(child)}.{attribute}}}"

    def data_ref(self, data_type: str, child: str, attribute: str) -> str:
        return f"${{data.{data_type}.{self.logical_id(child)}.{attribute}}}"

    def count(self, resource_type: str) -> int:
        return len(resources(self.json, resource_type))

    def output(self, name: str) -> Any:
        return self.json["output"][name]["value"]


@pytest.fixture(scope="module")
def outpost() -> Synthesized:
    return Synthesized(sample())


def service(launch_type: str = "EC2", desired_count: int = 1, **size: int) -> dict[str, Any]:
    return {
        "ecs_service_name": "ecs-producer",
        "desired_count": desired_count,
        "launch_type": launch_type,
        "container_name": "producer",
        "task_definition": {"family": "producer", "cpu": 512, "memory": 1024, "port": 8080} | size,
    }


@pytest.fixture(scope="module")
def region() -> Synthesized:
    """In the Region on EC2: the ALB in two public subnets, the rest in two private ones."""
    return Synthesized(
        sample(
            outposts_arn="",
            subnets=[SUBNET, SUBNET_B],
            ecs_subnets=[PRIVATE, PRIVATE_B],
            enable_alb_access_logging=False,
            ecs_instance_type="t3.large",
            ecs_asg_override_config=[{"instance_type": "t3.large", "weighted_capacity": 1}],
            ecs_service=service(desired_count=2),
        )
    )


@pytest.fixture(scope="module")
def fargate() -> Synthesized:
    """In the Region on Fargate, with a larger task."""
    return Synthesized(
        sample(
            outposts_arn="",
            subnets=[SUBNET, SUBNET_B],
            ecs_subnets=[PRIVATE, PRIVATE_B],
            ecs_service=service("FARGATE", desired_count=2, cpu=1024, memory=3072),
        )
    )


@pytest.fixture(scope="module")
def scaled() -> Synthesized:
    """Two listeners, the task count tracking ALB requests per target only."""
    return Synthesized(
        sample(
            port_listeners={
                "port-1": listener(80, cidrs=("10.181.192.0/19",)),
                "port-2": listener(8081),
            },
            ecs_service=service(desired_count=2),
            ecs_autoscaling_min_capacity=2,
            ecs_autoscaling_max_capacity=8,
            ecs_autoscaling_cpu_target=0,
            ecs_autoscaling_requests_per_target=500,
        )
    )


@pytest.fixture(scope="module")
def unscaled() -> Synthesized:
    """No target tracking policy: the sample's fixed task count."""
    return Synthesized(sample(ecs_autoscaling_cpu_target=0, ecs_autoscaling_requests_per_target=0))


@pytest.fixture(scope="module")
def https() -> Synthesized:
    return Synthesized(
        sample(
            custom_zone=True,
            zone_id="Z0123456789ABCDEFGHIJ",
            port_listeners={
                "https": listener(443, protocol="HTTPS", cidrs=("10.0.0.0/8",)),
                "http": listener(80, cidrs=("10.0.0.0/8",)),
            },
        )
    )


@pytest.fixture(scope="module")
def multi() -> Synthesized:
    return Synthesized(
        sample(
            port_listeners={
                "port-1": listener(80, cidrs=("10.181.192.0/19",)),
                "port-2": listener(8081, cidrs=("192.168.0.0/16", "2001:db8::/32")),
            }
        )
    )


@pytest.fixture(scope="module")
def imported_task() -> Synthesized:
    return Synthesized(
        sample(
            import_aws_ecs_task_definition=True,
            task_definition_arn="arn:aws:ecs:us-west-2:111122223333:task-definition/producer:7",
            port_listeners={
                "port-1": listener(80, target_port=8080, cidrs=("10.181.192.0/19",)),
                "port-2": listener(81, target_port=9090),
            },
        )
    )


@pytest.fixture(scope="module")
def imported_template() -> Synthesized:
    return Synthesized(
        sample(import_aws_launch_template=True, launch_template_id="lt-0123456789abcdef0")
    )


@pytest.fixture(scope="module")
def block_devices() -> Synthesized:
    return Synthesized(
        sample(
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "delete_on_termination": True,
                        "encrypted": True,
                        "kms_key_id": "arn:aws:kms:us-west-2:111122223333:key/abcd",
                        "volume_size": 100,
                        "volume_type": "gp3",
                        "iops": 3000,
                    },
                },
                {"device_name": "/dev/sdb", "no_device": True},
                {"device_name": "/dev/sdc", "ebs": {"volume_size": 50}},
                {"device_name": "/dev/sdd", "ebs": {"encrypted": False, "volume_size": 10}},
            ]
        )
    )


@pytest.fixture(scope="module")
def relaxed() -> Synthesized:
    """Every hardening switched off, every optional protection switched on."""
    return Synthesized(
        sample(
            alb_drop_invalid_header_fields=False,
            alb_enable_deletion_protection=True,
            ecs_container_insights="disabled",
            ecs_egress_all_traffic=True,
            encrypt_root_volume=False,
            metrics_namespace="",
            log_group_kms_key_id=LOGS_KEY,
            kinesis_kms_key_arn=STREAM_KEY,
        )
    )


CONFIGURATIONS = (
    "outpost",
    "region",
    "fargate",
    "scaled",
    "unscaled",
    "https",
    "multi",
    "imported_task",
    "imported_template",
    "block_devices",
    "relaxed",
)


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_terraform_loads_every_configuration(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(configuration)
    terraform_load(synthesized.json)


# ------------------------------------------------------------------ the sample's wiring


def test_sample_resource_counts(outpost: Synthesized) -> None:
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
        "aws_partition": 1,
        "aws_outposts_outpost": 1,
        "aws_ec2_local_gateway": 1,
        "aws_ec2_local_gateway_route_table": 1,
        "aws_ec2_coip_pool": 1,
        "aws_iam_policy_document": 3,
        "aws_vpc_endpoint_service": 7,
    }


def test_vpc_is_passed_by_id_not_looked_up(outpost: Synthesized) -> None:
    assert "aws_vpc" not in outpost.json["data"]
    assert outpost.res("aws_security_group", "alb_sg")["vpc_id"] == "vpc-0123"
    assert outpost.res("aws_security_group", "ecs_sg")["vpc_id"] == "vpc-0123"
    assert outpost.res("aws_lb_target_group", "ecs_alb_tg_port-1")["vpc_id"] == "vpc-0123"
    assert outpost.res("aws_vpc_endpoint", "logs")["vpc_id"] == "vpc-0123"


def test_outpost_lookups_chain_to_the_coip_pool(outpost: Synthesized) -> None:
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


def test_load_balancer(outpost: Synthesized) -> None:
    alb = outpost.res("aws_lb", "alb")
    assert alb["name"] == "ALB-ECS"
    assert alb["internal"] is False
    assert alb["load_balancer_type"] == "application"
    assert alb["subnets"] == [SUBNET]
    assert alb["security_groups"] == [outpost.ref("aws_security_group", "alb_sg", "id")]
    assert alb["customer_owned_ipv4_pool"] == outpost.data_ref(
        "aws_ec2_coip_pool", "coip", "pool_id"
    )
    assert alb["ip_address_type"] == "ipv4"
    assert alb["enable_deletion_protection"] is False
    assert alb["access_logs"] == {
        "bucket": "outposts-aod-logging-bucket-1111111",
        "prefix": "alb",
        "enabled": True,
    }
    assert alb["tags"] == TAGS


def test_target_group_and_its_name_suffix(outpost: Synthesized) -> None:
    group = outpost.res("aws_lb_target_group", "ecs_alb_tg_port-1")
    # 4 hex digits of what forces a replacement: a replaced group gets a new name.
    digest = 'sha1(join("-", ["vpc-0123", "8080", "HTTP", "ip"]))'
    assert group["name"] == f"ALB-ECS-80-${{substr({digest}, 0, 4)}}"
    assert (group["port"], group["protocol"], group["target_type"]) == (8080, "HTTP", "ip")
    assert group["deregistration_delay"] == "300"
    assert group["health_check"] == {
        "interval": 30,
        "protocol": "HTTP",
        "port": "8080",
        "path": "/healthcheck",
        "timeout": 10,
        "matcher": "200-399",
        "healthy_threshold": 3,
        "unhealthy_threshold": 3,
    }
    assert group["lifecycle"] == {"create_before_destroy": True, "ignore_changes": ["name"]}


def test_listener_forwards_to_its_target_group(outpost: Synthesized) -> None:
    item = outpost.res("aws_lb_listener", "listener_port-1")
    assert item["load_balancer_arn"] == outpost.ref("aws_lb", "alb", "arn")
    assert (item["port"], item["protocol"]) == (80, "HTTP")
    assert item["default_action"] == [
        {
            "type": "forward",
            "target_group_arn": outpost.ref("aws_lb_target_group", "ecs_alb_tg_port-1", "arn"),
        }
    ]
    assert "ssl_policy" not in item
    assert "certificate_arn" not in item


def test_security_groups_and_rules(outpost: Synthesized) -> None:
    alb_sg = outpost.res("aws_security_group", "alb_sg")
    assert alb_sg["name"] == "outposts-AoD-challenge-outposts-AoD-ALB-ECS-sec-group"
    assert alb_sg["tags"] == {**TAGS, "Name": alb_sg["name"]}
    ecs_sg = outpost.res("aws_security_group", "ecs_sg")
    assert ecs_sg["name"] == "outposts-AoD-challenge-outposts-AoD-ecs-sec-group"
    alb_sg_id = outpost.ref("aws_security_group", "alb_sg", "id")
    ecs_sg_id = outpost.ref("aws_security_group", "ecs_sg", "id")

    listener_in = outpost.res("aws_security_group_rule", "alb_listener_in_port-1")
    assert listener_in["type"] == "ingress"
    assert (listener_in["from_port"], listener_in["to_port"], listener_in["protocol"]) == (
        80,
        80,
        "tcp",
    )
    assert listener_in["cidr_blocks"] == ["10.181.192.0/19"]
    assert listener_in["security_group_id"] == alb_sg_id

    coip_in = outpost.res("aws_security_group_rule", "alb_listener_in_coip_port-1")
    assert coip_in["type"] == "ingress"
    assert (coip_in["from_port"], coip_in["to_port"]) == (80, 80)
    coip = outpost.logical_id("coip")
    assert coip_in["cidr_blocks"] == f"${{tolist(data.aws_ec2_coip_pool.{coip}.pool_cidrs)}}"
    assert coip_in["security_group_id"] == alb_sg_id

    egress = outpost.res("aws_security_group_rule", "alb_healthcheck_egress_8080")
    assert (egress["type"], egress["from_port"], egress["to_port"]) == ("egress", 8080, 8080)
    assert egress["source_security_group_id"] == ecs_sg_id
    assert egress["security_group_id"] == alb_sg_id

    ecs_in = outpost.res("aws_security_group_rule", "ecs_alb_in_8080")
    assert (ecs_in["type"], ecs_in["from_port"], ecs_in["to_port"]) == ("ingress", 8080, 8080)
    assert ecs_in["source_security_group_id"] == alb_sg_id
    assert ecs_in["security_group_id"] == ecs_sg_id

    # Egress of the instances and tasks: HTTP and HTTPS only, not all traffic.
    for port in (80, 443):
        ecs_out = outpost.res("aws_security_group_rule", f"ecs_traffic_out_{port}")
        assert (ecs_out["type"], ecs_out["protocol"], ecs_out["cidr_blocks"]) == (
            "egress",
            "tcp",
            ["0.0.0.0/0"],
        )
        assert (ecs_out["from_port"], ecs_out["to_port"]) == (port, port)
        assert ecs_out["security_group_id"] == ecs_sg_id
    assert outpost.module.node.try_find_child("ecs_traffic_out") is None
    rules = resources(outpost.json, "aws_security_group_rule").values()
    assert not [rule for rule in rules if rule["protocol"] == "-1"]


def test_launch_template(outpost: Synthesized) -> None:
    template = outpost.res("aws_launch_template", "node")
    assert template["name_prefix"] == "ecs_node_"
    assert template["image_id"] == "ami-017a715104f93ea81"
    assert template["instance_type"] == "m5.2xlarge"
    assert template["vpc_security_group_ids"] == [outpost.ref("aws_security_group", "ecs_sg", "id")]
    assert template["iam_instance_profile"] == {"name": "some-profile"}
    assert template["metadata_options"] == {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
    }
    assert template["update_default_version"] is True
    # No block devices configured: the root volume is encrypted all the same.
    assert template["block_device_mappings"] == [
        {
            "device_name": "/dev/xvda",
            "ebs": {"delete_on_termination": "true", "encrypted": "true", "volume_type": "gp2"},
        }
    ]
    assert template["tags"] == TAGS


def test_user_data_configures_the_ecs_agent_and_ssm(outpost: Synthesized) -> None:
    encoded = outpost.res("aws_launch_template", "node")["user_data"]
    script = base64.b64decode(encoded).decode()
    assert script == render_user_data("producer-cluster", "Outpost")
    assert script.startswith("#!/bin/bash\n")
    lines = script.splitlines()
    assert "ECS_CLUSTER=producer-cluster" in lines
    assert "ECS_ENABLE_CONTAINER_METADATA=true" in lines
    assert "ECS_IMAGE_PULL_BEHAVIOR=prefer-cached" in lines
    assert 'ECS_CONTAINER_INSTANCE_TAGS={"environment": "Outpost"}' in lines
    assert "@@" not in script
    assert "/latest/linux_amd64/amazon-ssm-agent.rpm" in script
    assert "systemctl enable --now amazon-ssm-agent" in lines
    # IMDSv2 is required by the launch template: the script asks for a token first.
    assert "/latest/api/token" in script


def test_auto_scaling_group(outpost: Synthesized) -> None:
    group = outpost.res("aws_autoscaling_group", "ecs_nodes")
    assert group["name_prefix"] == "OUTPOST_ECS"
    assert (group["min_size"], group["desired_capacity"], group["max_size"]) == (0, 1, 3)
    assert group["vpc_zone_identifier"] == [SUBNET]
    assert group["health_check_type"] == "ELB"
    assert group["default_cooldown"] == 300
    assert group["health_check_grace_period"] == 300
    assert group["protect_from_scale_in"] is False
    policy = group["mixed_instances_policy"]["launch_template"]
    assert policy["launch_template_specification"] == {
        "launch_template_id": outpost.ref("aws_launch_template", "node", "id"),
        "version": "$Latest",
    }
    assert policy["override"] == [
        {"instance_type": "m5.2xlarge", "weighted_capacity": "70"},
        {"instance_type": "c5.2xlarge", "weighted_capacity": "20"},
        {"instance_type": "r5.2xlarge", "weighted_capacity": "10"},
    ]
    assert group["tag"] == [
        {"key": "Name", "value": "OUTPOST_ECS", "propagate_at_launch": True},
        {"key": "Project", "value": "outposts-AoD", "propagate_at_launch": True},
        {"key": "Owner", "value": "adf", "propagate_at_launch": True},
        {"key": "AmazonECSManaged", "value": "", "propagate_at_launch": True},
    ]
    assert group["lifecycle"] == {
        "create_before_destroy": True,
        "ignore_changes": ["desired_capacity"],
    }


def test_capacity_provider_and_cluster(outpost: Synthesized) -> None:
    provider = outpost.res("aws_ecs_capacity_provider", "capacity_provider")
    # Known at plan time (not the group's generated name): see the provider defect in AlbEcs.
    assert provider["name"] == "OUTPOST_ECS-producer-cluster"
    assert provider["auto_scaling_group_provider"] == {
        "auto_scaling_group_arn": outpost.ref("aws_autoscaling_group", "ecs_nodes", "arn"),
        "managed_termination_protection": "DISABLED",
        "managed_scaling": {
            "status": "ENABLED",
            "target_capacity": 80,
            "minimum_scaling_step_size": 1,
            "maximum_scaling_step_size": 1,
        },
    }
    assert "lifecycle" not in provider

    cluster = outpost.res("aws_ecs_cluster", "ecs-cluster")
    assert cluster["name"] == "producer-cluster"
    assert "capacity_providers" not in cluster
    provider_name = outpost.ref("aws_ecs_capacity_provider", "capacity_provider", "name")
    association = outpost.res(
        "aws_ecs_cluster_capacity_providers", "ecs-cluster-capacity-providers"
    )
    assert association["cluster_name"] == outpost.ref("aws_ecs_cluster", "ecs-cluster", "name")
    assert association["capacity_providers"] == [provider_name]
    assert association["default_capacity_provider_strategy"] == [
        {"capacity_provider": provider_name, "weight": 1}
    ]


def test_service_runs_on_the_capacity_provider(outpost: Synthesized) -> None:
    service = outpost.res("aws_ecs_service", "service")
    assert service["name"] == "outposts-AoD-ecs-producer"
    assert service["cluster"] == outpost.ref("aws_ecs_cluster", "ecs-cluster", "id")
    assert service["task_definition"] == outpost.ref(
        "aws_ecs_task_definition", "task_definition", "arn"
    )
    assert service["desired_count"] == 1
    assert "launch_type" not in service
    assert service["capacity_provider_strategy"] == [
        {
            "capacity_provider": outpost.ref(
                "aws_ecs_capacity_provider", "capacity_provider", "name"
            ),
            "weight": 1,
        }
    ]
    assert service["deployment_maximum_percent"] == 100
    assert service["deployment_minimum_healthy_percent"] == 0
    assert service["enable_ecs_managed_tags"] is True
    assert service["network_configuration"] == {
        "subnets": [SUBNET],
        "security_groups": [outpost.ref("aws_security_group", "ecs_sg", "id")],
        "assign_public_ip": False,
    }
    assert service["load_balancer"] == [
        {
            "target_group_arn": outpost.ref("aws_lb_target_group", "ecs_alb_tg_port-1", "arn"),
            "container_name": "producer",
            "container_port": 8080,
        }
    ]
    assert service["depends_on"] == [
        f"aws_lb_listener.{outpost.logical_id('listener_port-1')}",
        "aws_ecs_cluster_capacity_providers."
        + outpost.logical_id("ecs-cluster-capacity-providers"),
    ]
    assert service["tags"] == TAGS
    # Autoscaling owns the task count after creation.
    assert service["lifecycle"] == {"ignore_changes": ["desired_count"]}


def test_task_definition_and_container(outpost: Synthesized) -> None:
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
        "cpu": 512,
        "memory": 1024,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": outpost.ref("aws_cloudwatch_log_group", "ecs_log_group", "name"),
                "awslogs-region": region,
                "awslogs-stream-prefix": "producer",
            },
        },
        "environment": [
            {"name": "REGION", "value": region},
            {"name": "STREAM_NAME", "value": "data-processing-stream"},
            # 512 CPU units: half a vCPU, no room for a producer process of its own.
            {"name": "PRODUCER_PROCESS", "value": "false"},
        ],
    }


@pytest.mark.parametrize(
    ("cpu", "expected"), [(256, "false"), (1024, "false"), (2048, "true"), (4096, "true")]
)
def test_the_producer_gets_a_process_of_its_own_from_2_vcpus(cpu: int, expected: str) -> None:
    assert producer_process(cpu) == expected


def test_log_group(outpost: Synthesized) -> None:
    group = outpost.res("aws_cloudwatch_log_group", "ecs_log_group")
    name = "outposts-AoD-challenge-outposts-AoD-producer-log"
    assert group["name"] == name
    assert group["retention_in_days"] == 30
    assert group["tags"] == {**TAGS, "Purpose": "CW log group for ECS", "Name": name}


def test_iam_roles_and_policies(outpost: Synthesized) -> None:
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

    partition = outpost.data_ref("aws_partition", "partition", "partition")
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


def test_interface_endpoints(outpost: Synthesized) -> None:
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
        assert endpoint["subnet_ids"] == [SUBNET]
        assert endpoint["private_dns_enabled"] is True
        assert endpoint["security_group_ids"] == [
            outpost.ref("aws_security_group", "ecs_endpoints_sec_group", "id")
        ]
    assert outpost.res("aws_vpc_endpoint", "ecr_dkr")["tags"]["Name"] == (
        "outposts-AoD-challenge-outposts-AoD-ecr-dkr-endpoint"
    )


def test_outputs_reference_the_resources(outpost: Synthesized) -> None:
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


def test_region_deployment_has_no_outpost_parts(region: Synthesized) -> None:
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


def test_region_tasks_instances_and_endpoints_use_ecs_subnets(region: Synthesized) -> None:
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


def test_without_ecs_subnets_everything_shares_subnets(outpost: Synthesized) -> None:
    assert outpost.config.ecs_subnets == []
    assert outpost.res("aws_autoscaling_group", "ecs_nodes")["vpc_zone_identifier"] == [SUBNET]
    assert outpost.res("aws_vpc_endpoint", "ecs")["subnet_ids"] == [SUBNET]


def test_fargate_has_no_instances_and_runs_on_the_fargate_provider(fargate: Synthesized) -> None:
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


def test_fargate_task_definition(fargate: Synthesized) -> None:
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


# ------------------------------------------------------------------------- autoscaling


def test_service_autoscaling_on_cpu_by_default(outpost: Synthesized) -> None:
    target = outpost.res("aws_appautoscaling_target", "service_scaling_target")
    cluster_name = outpost.ref("aws_ecs_cluster", "ecs-cluster", "name")
    service_name = outpost.ref("aws_ecs_service", "service", "name")
    assert target["resource_id"] == f"service/{cluster_name}/{service_name}"
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    assert target["service_namespace"] == "ecs"
    assert (target["min_capacity"], target["max_capacity"]) == (1, 3)
    assert target["tags"] == TAGS
    policy = outpost.res("aws_appautoscaling_policy", "service_scaling_cpu")
    assert policy["name"] == "outposts-AoD-ecs-producer-cpu"
    assert policy["policy_type"] == "TargetTrackingScaling"
    for attribute in ("resource_id", "scalable_dimension", "service_namespace"):
        assert policy[attribute] == outpost.ref(
            "aws_appautoscaling_target", "service_scaling_target", attribute
        )
    assert policy["target_tracking_scaling_policy_configuration"] == {
        "target_value": 65,
        "predefined_metric_specification": {
            "predefined_metric_type": "ECSServiceAverageCPUUtilization"
        },
        "scale_out_cooldown": 60,
        "scale_in_cooldown": 300,
    }
    assert outpost.module.ecs_autoscaling_target_id is not None


def test_task_scaling_composes_with_managed_instance_scaling(outpost: Synthesized) -> None:
    """Autoscaling sets the task count; tasks without room drive the capacity provider.

    The chain that makes it work: the scalable target changes the service's desired count;
    the service places tasks through the capacity provider strategy (not a launch type), so
    tasks that find no room wait in PROVISIONING and count in the capacity provider's
    reservation; managed scaling tracks that reservation at the target capacity and changes
    the group's desired capacity. Terraform must leave both counts to their scaler.
    """
    provider_name = outpost.ref("aws_ecs_capacity_provider", "capacity_provider", "name")
    service = outpost.res("aws_ecs_service", "service")
    assert "launch_type" not in service
    assert service["capacity_provider_strategy"] == [
        {"capacity_provider": provider_name, "weight": 1}
    ]
    assert service["lifecycle"]["ignore_changes"] == ["desired_count"]
    target = outpost.res("aws_appautoscaling_target", "service_scaling_target")
    assert outpost.ref("aws_ecs_service", "service", "name") in target["resource_id"]

    provider = outpost.res("aws_ecs_capacity_provider", "capacity_provider")
    scaling = provider["auto_scaling_group_provider"]["managed_scaling"]
    assert (scaling["status"], scaling["target_capacity"]) == ("ENABLED", 80)
    group = outpost.res("aws_autoscaling_group", "ecs_nodes")
    assert "desired_capacity" in group["lifecycle"]["ignore_changes"]
    assert group["max_size"] == 3
    # The instances the group may add are what managed scaling works with.
    assert provider["auto_scaling_group_provider"]["auto_scaling_group_arn"] == outpost.ref(
        "aws_autoscaling_group", "ecs_nodes", "arn"
    )


def test_autoscaling_on_requests_per_target(scaled: Synthesized) -> None:
    target = scaled.res("aws_appautoscaling_target", "service_scaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 8)
    assert scaled.module.node.try_find_child("service_scaling_cpu") is None
    alb_suffix = scaled.ref("aws_lb", "alb", "arn_suffix")
    for key in ("port-1", "port-2"):
        policy = scaled.res("aws_appautoscaling_policy", f"service_scaling_requests-{key}")
        assert policy["name"] == f"outposts-AoD-ecs-producer-requests-{key}"
        group_suffix = scaled.ref("aws_lb_target_group", f"ecs_alb_tg_{key}", "arn_suffix")
        assert policy["target_tracking_scaling_policy_configuration"] == {
            "target_value": 500,
            "predefined_metric_specification": {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": f"{alb_suffix}/{group_suffix}",
            },
            "scale_out_cooldown": 60,
            "scale_in_cooldown": 300,
        }
    assert scaled.count("aws_appautoscaling_policy") == 2
    assert scaled.res("aws_ecs_service", "service")["desired_count"] == 2


def test_without_policies_terraform_keeps_the_task_count(unscaled: Synthesized) -> None:
    assert unscaled.count("aws_appautoscaling_target") == 0
    assert unscaled.count("aws_appautoscaling_policy") == 0
    assert "lifecycle" not in unscaled.res("aws_ecs_service", "service")
    assert unscaled.module.ecs_autoscaling_target_id is None


def test_custom_zone_certificate_and_https_listener(https: Synthesized) -> None:
    assert https.data("aws_route53_zone", "hostedzone") == {"zone_id": "Z0123456789ABCDEFGHIJ"}
    zone_name = https.data_ref("aws_route53_zone", "hostedzone", "name")
    zone_id = https.data_ref("aws_route53_zone", "hostedzone", "zone_id")

    alias = https.res("aws_route53_record", "HostRecordALB")
    assert alias["name"] == f"ALB-ECS.{zone_name}"
    assert (alias["type"], alias["zone_id"]) == ("A", zone_id)
    assert alias["alias"] == {
        "name": https.ref("aws_lb", "alb", "dns_name"),
        "zone_id": https.ref("aws_lb", "alb", "zone_id"),
        "evaluate_target_health": True,
    }

    certificate = https.res("aws_acm_certificate", "alb-cert")
    assert certificate["domain_name"] == f"ALB-ECS.{zone_name}"
    assert certificate["validation_method"] == "DNS"
    assert certificate["tags"] == {**TAGS, "Name": "ALB-ECS-ALB-certificate"}
    assert certificate["lifecycle"] == {"create_before_destroy": True}

    records = https.res("aws_route53_record", "alb_cert_validation")
    options = https.ref("aws_acm_certificate", "alb-cert", "domain_validation_options")[2:-1]
    assert records["for_each"] == (
        f"${{{{ for key, val in tolist({options}): val.domain_name => val }}}}"
    )
    assert records["name"] == "${each.value.resource_record_name}"
    assert records["type"] == "${each.value.resource_record_type}"
    assert records["records"] == ["${each.value.resource_record_value}"]
    assert (records["ttl"], records["allow_overwrite"], records["zone_id"]) == (300, True, zone_id)

    validation = https.res("aws_acm_certificate_validation", "alb-cert-validation")
    assert validation["certificate_arn"] == https.ref("aws_acm_certificate", "alb-cert", "arn")
    records_address = f"aws_route53_record.{https.logical_id('alb_cert_validation')}"
    assert validation["validation_record_fqdns"] == (
        f"${{[ for key, val in {records_address}: val.fqdn]}}"
    )

    secure = https.res("aws_lb_listener", "listener_https")
    assert (secure["port"], secure["protocol"]) == (443, "HTTPS")
    assert secure["ssl_policy"] == HTTPS_SSL_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert secure["certificate_arn"] == https.ref(
        "aws_acm_certificate_validation", "alb-cert-validation", "certificate_arn"
    )
    plain = https.res("aws_lb_listener", "listener_http")
    assert "ssl_policy" not in plain
    assert "certificate_arn" not in plain


def test_listeners_sharing_a_container_port_share_its_rules(https: Synthesized) -> None:
    assert https.count("aws_lb_target_group") == 2
    rules = resources(https.json, "aws_security_group_rule")
    assert len([key for key in rules if "healthcheck_egress" in key]) == 1
    assert len([key for key in rules if "ecs_alb_in" in key]) == 1


def test_several_listeners(multi: Synthesized) -> None:
    assert multi.count("aws_lb_target_group") == 2
    assert multi.count("aws_lb_listener") == 2
    second = multi.res("aws_lb_listener", "listener_port-2")
    assert (second["port"], second["protocol"]) == (8081, "HTTP")
    assert second["default_action"][0]["target_group_arn"] == multi.ref(
        "aws_lb_target_group", "ecs_alb_tg_port-2", "arn"
    )
    assert multi.res("aws_lb_target_group", "ecs_alb_tg_port-2")["name"].startswith("ALB-ECS-8081-")

    first_in = multi.res("aws_security_group_rule", "alb_listener_in_port-1")
    assert first_in["cidr_blocks"] == ["10.181.192.0/19"]
    second_in = multi.res("aws_security_group_rule", "alb_listener_in_port-2")
    assert (second_in["from_port"], second_in["to_port"]) == (8081, 8081)
    assert second_in["cidr_blocks"] == ["192.168.0.0/16"]
    assert second_in["ipv6_cidr_blocks"] == ["2001:db8::/32"]

    # One CoIP ingress rule per listener port (the sample kept only one of them).
    coip_ports = sorted(
        (rule["from_port"], rule["to_port"])
        for key, rule in resources(multi.json, "aws_security_group_rule").items()
        if "coip" in key
    )
    assert coip_ports == [(80, 80), (8081, 8081)]
    assert multi.res("aws_security_group_rule", "alb_listener_in_coip_port-2")["from_port"] == 8081

    # Both listeners forward to the container's one port: one egress and one ECS ingress rule.
    assert multi.count("aws_security_group_rule") == 2 + 2 + 1 + 1 + 2
    service = multi.res("aws_ecs_service", "service")
    assert [item["target_group_arn"] for item in service["load_balancer"]] == [
        multi.ref("aws_lb_target_group", "ecs_alb_tg_port-1", "arn"),
        multi.ref("aws_lb_target_group", "ecs_alb_tg_port-2", "arn"),
    ]
    assert len(service["depends_on"]) == 3


def test_imported_task_definition(imported_task: Synthesized) -> None:
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


def test_imported_launch_template(imported_template: Synthesized) -> None:
    assert imported_template.count("aws_launch_template") == 0
    group = imported_template.res("aws_autoscaling_group", "ecs_nodes")
    spec = group["mixed_instances_policy"]["launch_template"]["launch_template_specification"]
    assert spec == {"launch_template_id": "lt-0123456789abcdef0", "version": "$Latest"}
    assert imported_template.count("aws_ecs_task_definition") == 1


def test_block_device_mappings(block_devices: Synthesized) -> None:
    template = block_devices.res("aws_launch_template", "node")
    assert template["block_device_mappings"] == [
        {
            "device_name": "/dev/xvda",
            "ebs": {
                "delete_on_termination": "true",
                "encrypted": "true",
                "iops": 3000,
                "kms_key_id": "arn:aws:kms:us-west-2:111122223333:key/abcd",
                "volume_size": 100,
                "volume_type": "gp3",
            },
        },
        {"device_name": "/dev/sdb", "no_device": "true"},
        # Encrypted unless told otherwise.
        {"device_name": "/dev/sdc", "ebs": {"encrypted": "true", "volume_size": 50}},
        {"device_name": "/dev/sdd", "ebs": {"encrypted": "false", "volume_size": 10}},
    ]


def test_values_from_other_constructs_may_be_tokens() -> None:
    built: dict[str, Any] = {}

    def build(stack: TerraformStack) -> None:
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
        built["module"] = AlbEcs(stack, MODULE_ID, config)

    synthesized = synth(build)
    terraform_load(synthesized)

    def logical_id(child: str) -> str:
        node = built["module"].node.find_child(child)
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


# ------------------------------------------------------------------------------ hardening


def test_hardening_defaults(outpost: Synthesized) -> None:
    alb = outpost.res("aws_lb", "alb")
    assert alb["drop_invalid_header_fields"] is True
    assert alb["enable_deletion_protection"] is False
    cluster = outpost.res("aws_ecs_cluster", "ecs-cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]
    group = outpost.res("aws_cloudwatch_log_group", "ecs_log_group")
    assert "kms_key_id" not in group


def test_hardening_switched_off_and_optional_protections_on(relaxed: Synthesized) -> None:
    alb = relaxed.res("aws_lb", "alb")
    assert alb["drop_invalid_header_fields"] is False
    assert alb["enable_deletion_protection"] is True
    cluster = relaxed.res("aws_ecs_cluster", "ecs-cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "disabled"}]
    # The sample's all-traffic egress rule, and no per-port rules.
    out = relaxed.res("aws_security_group_rule", "ecs_traffic_out")
    assert (out["type"], out["protocol"], out["from_port"], out["to_port"]) == (
        "egress",
        "-1",
        0,
        0,
    )
    rules = resources(relaxed.json, "aws_security_group_rule")
    assert not [key for key in rules if "ecs_traffic_out_" in key]
    assert "block_device_mappings" not in relaxed.res("aws_launch_template", "node")
    group = relaxed.res("aws_cloudwatch_log_group", "ecs_log_group")
    assert group["kms_key_id"] == LOGS_KEY
    statements = {
        item["sid"]: item
        for item in relaxed.data("aws_iam_policy_document", "ecs_task_policy_document")["statement"]
    }
    assert "PublishMetrics" not in statements
    assert statements["EncryptStreamRecords"] == {
        "sid": "EncryptStreamRecords",
        "effect": "Allow",
        "actions": ["kms:GenerateDataKey"],
        "resources": [STREAM_KEY],
    }


def test_egress_ports_are_configurable() -> None:
    config = AlbEcsConfig(**sample(ecs_egress_ports=[443]))
    assert config.ecs_egress_ports == [443]
    with pytest.raises(ValidationError, match="ecs_egress_ports: empty"):
        AlbEcsConfig(**sample(ecs_egress_ports=[]))
    # All traffic needs no port list.
    assert AlbEcsConfig(**sample(ecs_egress_ports=[], ecs_egress_all_traffic=True))


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_every_security_group_and_rule_is_described(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(configuration)
    groups = resources(synthesized.json, "aws_security_group")
    rules = resources(synthesized.json, "aws_security_group_rule")
    assert groups and rules
    for name, group in groups.items():
        assert group["description"].strip(), name
        for inline in group.get("ingress", []) + group.get("egress", []):
            assert inline["description"].strip(), name
    for name, rule in rules.items():
        assert rule["description"].strip(), name


# ------------------------------------------------------------------------------ validation


def test_variables_and_defaults_mirror_the_sample() -> None:
    config = AlbEcsConfig(
        tags={"Project": "p", "Owner": "o"},
        vpc_name="vpc",
        vpc_id="vpc-0123",
        vpc_cidr_block="10.0.0.0/16",
        alb_name="alb",
        subnets=[SUBNET, SUBNET_B],
        ecs_cluster_name="cluster",
        log_group_name="logs",
        ec2_iam_instance_profile="profile",
    )
    values = TypeAdapter(AlbEcsConfig).dump_python(config)
    defaults = {
        "custom_zone": False,
        "zone_id": "",
        "enable_alb_access_logging": False,
        "logging_bucket_name": "",
        "alb_access_logs_prefix": "alb/outposts",
        "port_listeners": {
            "port-1": {
                "port": 80,
                "protocol": "HTTP",
                "inbound_cidr_range": [],
                "target_group": {"port": 8080, "protocol": "HTTP", "health_check_path": "/"},
            }
        },
        "alb_enable_deletion_protection": False,
        "alb_ip_address_type": "ipv4",
        "target_group_deregistration_delay": 300,
        "target_group_health_check_interval": 30,
        "target_group_health_check_timeout": 10,
        "target_group_health_check_matcher": "200-399",
        "target_group_healthy_threshold": 3,
        "target_group_unhealthy_threshold": 3,
        "outposts_arn": "",
        "ecs_service": {
            "ecs_service_name": "ecs-producer",
            "desired_count": 1,
            "launch_type": "EC2",
            "container_name": "producer",
            "task_definition": {
                "family": "producer",
                "cpu": 512,
                "memory": 1024,
                "port": 8080,
                "health_check_path": "",
                "spool_max_mib": 0,
            },
        },
        "import_aws_ecs_task_definition": False,
        "task_definition_arn": "",
        "log_retention_days": 365,
        "ecr_name": "kinesis/producer",
        "ecs_ami_id": "ami-017a715104f93ea81",
        "ecs_instance_type": "m5.2xlarge",
        "maximum_scaling_step_size": 1,
        "minimum_scaling_step_size": 1,
        "capacity_provider_managed_termination_protection": "DISABLED",
        "capacity_provider_target_capacity": 80,
        "ecs_asg_name_prefix": "OUTPOST_ECS",
        "ecs_asg_max_size": 3,
        "ecs_asg_min_size": 0,
        "ecs_asg_desired_capacity": 1,
        "ecs_asg_health_check_type": "ELB",
        "ecs_asg_capacity_rebalance": False,
        "ecs_asg_default_cooldown": 300,
        "ecs_asg_health_check_grace_period": 300,
        "ecs_asg_termination_policies": [],
        "ecs_asg_suspended_processes": [],
        "ecs_asg_enabled_metrics": [],
        "ecs_asg_protect_from_scale_in": False,
        "ecs_asg_override_config": [
            {"instance_type": "m5.2xlarge", "weighted_capacity": 70},
            {"instance_type": "c5.2xlarge", "weighted_capacity": 20},
            {"instance_type": "r5.2xlarge", "weighted_capacity": 10},
        ],
        "import_aws_launch_template": False,
        "launch_template_id": "",
        "launch_template_name_prefix": "ecs_node_",
        "block_device_mappings": [],
        "kinesis_stream_name": "data-processing-stream",
        # Added beyond the sample's variables.
        "kinesis_stream_arn": "",
        "image_tag": "latest",
        "alb_drop_invalid_header_fields": True,
        "ecs_container_insights": "enabled",
        "log_group_kms_key_id": "",
        "encrypt_root_volume": True,
        "kinesis_kms_key_arn": "",
        "metrics_namespace": "KinesisProducerLibrary",
        "ecs_egress_ports": [80, 443],
        "ecs_egress_all_traffic": False,
        "ecs_subnets": [],
        "ecs_autoscaling_min_capacity": 1,
        "ecs_autoscaling_max_capacity": 3,
        "ecs_autoscaling_cpu_target": 65,
        "ecs_autoscaling_requests_per_target": 0,
    }
    required = {
        "tags",
        "vpc_name",
        "alb_name",
        "subnets",
        "ecs_cluster_name",
        "log_group_name",
        "ec2_iam_instance_profile",
    }
    added = {
        "vpc_id",
        "vpc_cidr_block",
        "kinesis_stream_arn",
        "image_tag",
        "alb_drop_invalid_header_fields",
        "ecs_container_insights",
        "log_group_kms_key_id",
        "encrypt_root_volume",
        "kinesis_kms_key_arn",
        "metrics_namespace",
        "ecs_egress_ports",
        "ecs_egress_all_traffic",
        "ecs_subnets",
        "ecs_autoscaling_min_capacity",
        "ecs_autoscaling_max_capacity",
        "ecs_autoscaling_cpu_target",
        "ecs_autoscaling_requests_per_target",
    }
    assert set(values) == set(defaults) | required | {"vpc_id", "vpc_cidr_block"}
    assert len(set(values) - added) == 51
    assert {name: values[name] for name in defaults} == defaults


def test_every_field_has_a_one_line_description() -> None:
    from modules import alb_ecs

    classes: tuple[type[Any], ...] = (
        alb_ecs.AlbEcsConfig,
        alb_ecs.PortListener,
        alb_ecs.TargetGroup,
        alb_ecs.EcsService,
        alb_ecs.TaskDefinition,
        alb_ecs.AsgOverride,
        alb_ecs.BlockDeviceMapping,
        alb_ecs.EbsVolume,
    )
    for cls in classes:
        for name, field in cls.__pydantic_fields__.items():
            assert field.description, f"{cls.__name__}.{name}"
            assert "\n" not in field.description, f"{cls.__name__}.{name}"


def test_json_style_dicts_are_accepted() -> None:
    config = AlbEcsConfig(**json.loads(json.dumps(sample())))
    assert config.port_listeners["port-1"].target_group.health_check_path == "/healthcheck"
    assert config.ecs_service.task_definition.port == 8080


def _reported(exc: ValidationError) -> list[str]:
    """Each error as '<location> <message>', or just the message for whole-model checks."""
    reported = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        reported.append(f"{location} {message}" if location else message)
    return reported


INVALID = {
    "malformed outposts ARN": (
        {"outposts_arn": "arn:aws:outposts:us-west-2:111122223333:outpost/op-123"},
        "outposts_arn",
    ),
    "malformed instance type": ({"ecs_instance_type": "m5-large"}, "ecs_instance_type"),
    "malformed override": (
        {"ecs_asg_override_config": [{"instance_type": "t3_xlarge", "weighted_capacity": 1}]},
        "ecs_asg_override_config.0.instance_type",
    ),
    "fargate on an outpost": (
        {
            "ecs_service": {
                "ecs_service_name": "s",
                "desired_count": 1,
                "launch_type": "FARGATE",
                "container_name": "c",
                "task_definition": {"family": "f", "cpu": 512, "memory": 1024, "port": 8080},
            }
        },
        "ecs_service.launch_type",
    ),
    "external launch type": (
        {
            "ecs_service": {
                "ecs_service_name": "s",
                "desired_count": 1,
                "launch_type": "EXTERNAL",
                "container_name": "c",
                "task_definition": {"family": "f", "cpu": 512, "memory": 1024, "port": 8080},
            }
        },
        "ecs_service.launch_type",
    ),
    "listener protocol": (
        {"port_listeners": {"port-1": listener(80, protocol="TCP")}},
        "port_listeners.port-1.protocol",
    ),
    "https without custom_zone": (
        {"port_listeners": {"port-1": listener(443, protocol="HTTPS")}},
        "port_listeners.port-1.protocol",
    ),
    "custom_zone without zone_id": ({"custom_zone": True}, "zone_id"),
    "desired above max": ({"ecs_asg_desired_capacity": 4}, "ecs_asg_desired_capacity"),
    "min above desired": ({"ecs_asg_min_size": 2}, "ecs_asg_desired_capacity"),
    "imported launch template without id": (
        {"import_aws_launch_template": True},
        "launch_template_id",
    ),
    "malformed launch template id": (
        {"import_aws_launch_template": True, "launch_template_id": "my-template"},
        "launch_template_id",
    ),
    "imported task definition without ARN": (
        {"import_aws_ecs_task_definition": True},
        "task_definition_arn",
    ),
    "malformed task definition ARN": (
        {"import_aws_ecs_task_definition": True, "task_definition_arn": "producer:7"},
        "task_definition_arn",
    ),
    "access logs without bucket": ({"logging_bucket_name": ""}, "logging_bucket_name"),
    "inbound CIDR with host bits": (
        {"port_listeners": {"port-1": listener(80, cidrs=("10.181.192.1/19",))}},
        "port_listeners.port-1.inbound_cidr_range.0",
    ),
    "inbound CIDR not a CIDR": (
        {"port_listeners": {"port-1": listener(80, cidrs=("anywhere",))}},
        "port_listeners.port-1.inbound_cidr_range.0",
    ),
    "no subnets": ({"subnets": []}, "subnets"),
    "two subnets on an outpost": ({"subnets": [SUBNET, SUBNET_B]}, "subnets"),
    "one subnet in the region": ({"outposts_arn": "", "subnets": [SUBNET]}, "subnets"),
    "malformed subnet id": ({"subnets": ["sub-123"]}, "subnets.0"),
    "malformed VPC id": ({"vpc_id": "vpc_0123"}, "vpc_id"),
    "malformed VPC CIDR": ({"vpc_cidr_block": "10.181.192.0"}, "vpc_cidr_block"),
    "tags without Owner": ({"tags": {"Project": "p"}}, "tags"),
    "ALB name with underscore": ({"alb_name": "ALB_ECS"}, "alb_name"),
    "ALB name too long": ({"alb_name": "a" * 33}, "alb_name"),
    "target group name too long": ({"alb_name": "a" * 26}, "port_listeners.port-1.port"),
    "two listeners on one port": (
        {"port_listeners": {"port-1": listener(80), "port-2": listener(80)}},
        "port_listeners.port-2.port",
    ),
    "target port not the container port": (
        {"port_listeners": {"port-1": listener(80, target_port=9090)}},
        "port_listeners.port-1.target_group.port",
    ),
    "no listeners": ({"port_listeners": {}}, "port_listeners"),
    "health check path": (
        {
            "port_listeners": {
                "port-1": {
                    "port": 80,
                    "protocol": "HTTP",
                    "target_group": {
                        "port": 8080,
                        "protocol": "HTTP",
                        "health_check_path": "healthcheck",
                    },
                }
            }
        },
        "port_listeners.port-1.target_group",
    ),
    "health check timeout not below interval": (
        {"target_group_health_check_timeout": 30},
        "target_group_health_check_timeout",
    ),
    "health check matcher": (
        {"target_group_health_check_matcher": "ok"},
        "target_group_health_check_matcher",
    ),
    "log retention": ({"log_retention_days": 31}, "log_retention_days"),
    "termination protection without scale-in protection": (
        {"capacity_provider_managed_termination_protection": "ENABLED"},
        "capacity_provider_managed_termination_protection",
    ),
    "scaling steps": (
        {"minimum_scaling_step_size": 3, "maximum_scaling_step_size": 2},
        "minimum_scaling_step_size",
    ),
    "reserved capacity provider prefix": (
        {"ecs_asg_name_prefix": "ecs-nodes"},
        "ecs_asg_name_prefix",
    ),
    "cluster name": ({"ecs_cluster_name": "producer cluster"}, "ecs_cluster_name"),
    "IAM role name too long": ({"ecs_cluster_name": "c" * 60}, "ecs_cluster_name"),
    "ECR repository name": ({"ecr_name": "Kinesis/Producer"}, "ecr_name"),
    "image tag": ({"image_tag": "latest build"}, "image_tag"),
    "stream ARN of another stream": (
        {"kinesis_stream_arn": "arn:aws:kinesis:us-west-2:111122223333:stream/other"},
        "kinesis_stream_arn",
    ),
    "stream key not a key ARN": (
        {"kinesis_kms_key_arn": "alias/aws/kinesis"},
        "kinesis_kms_key_arn",
    ),
    "log group key not a key ARN": ({"log_group_kms_key_id": "key-1"}, "log_group_kms_key_id"),
    "container insights value": ({"ecs_container_insights": "on"}, "ecs_container_insights"),
    "egress port out of range": ({"ecs_egress_ports": [0]}, "ecs_egress_ports.0"),
    "egress port twice": ({"ecs_egress_ports": [443, 443]}, "ecs_egress_ports"),
    "reserved metrics namespace": ({"metrics_namespace": "AWS/Kinesis"}, "metrics_namespace"),
    "malformed stream ARN": (
        {"kinesis_stream_arn": "data-processing-stream"},
        "kinesis_stream_arn",
    ),
    "KMS key without encryption": (
        {
            "block_device_mappings": [
                {
                    "device_name": "/dev/xvda",
                    "ebs": {"kms_key_id": "arn:aws:kms:::key/k", "encrypted": False},
                }
            ]
        },
        "block_device_mappings[0].ebs.kms_key_id",
    ),
    "termination policy": (
        {"ecs_asg_termination_policies": ["Newest"]},
        "ecs_asg_termination_policies.0",
    ),
    "unknown variable": ({"vpc_names": "x"}, "vpc_names"),
    "fargate with an imported launch template": (
        {
            "outposts_arn": "",
            "subnets": [SUBNET, SUBNET_B],
            "ecs_service": service("FARGATE"),
            "import_aws_launch_template": True,
            "launch_template_id": "lt-0123456789abcdef0",
        },
        "import_aws_launch_template",
    ),
    "fargate CPU size": (
        {
            "outposts_arn": "",
            "subnets": [SUBNET, SUBNET_B],
            "ecs_service": service("FARGATE", cpu=768),
        },
        "ecs_service.task_definition.cpu",
    ),
    "fargate memory for the CPU": (
        {
            "outposts_arn": "",
            "subnets": [SUBNET, SUBNET_B],
            "ecs_service": service("FARGATE", cpu=256, memory=1536),
        },
        "ecs_service.task_definition.memory",
    ),
    "fargate memory above the CPU's range": (
        {
            "outposts_arn": "",
            "subnets": [SUBNET, SUBNET_B],
            "ecs_service": service("FARGATE", cpu=512, memory=8192),
        },
        "ecs_service.task_definition.memory",
    ),
    "autoscaling max below min": (
        {"ecs_autoscaling_min_capacity": 3, "ecs_autoscaling_max_capacity": 2},
        "ecs_autoscaling_max_capacity",
    ),
    "desired count outside the autoscaling range": (
        {"ecs_service": service(desired_count=5)},
        "ecs_service.desired_count",
    ),
    "autoscaling min of 0": ({"ecs_autoscaling_min_capacity": 0}, "ecs_autoscaling_min_capacity"),
    "CPU target above 100": ({"ecs_autoscaling_cpu_target": 101}, "ecs_autoscaling_cpu_target"),
    "negative requests per target": (
        {"ecs_autoscaling_requests_per_target": -1},
        "ecs_autoscaling_requests_per_target",
    ),
    "malformed task subnet id": ({"ecs_subnets": ["private-1"]}, "ecs_subnets.0"),
}


@pytest.mark.parametrize(("overrides", "field"), INVALID.values(), ids=INVALID.keys())
def test_invalid_configuration_names_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(field)) as caught:
        AlbEcsConfig(**sample(**overrides))
    reported = _reported(caught.value)
    assert any(entry.startswith(field) for entry in reported), reported


def test_sample_configuration_is_valid() -> None:
    AlbEcsConfig(**sample())


def test_an_instance_family_not_known_on_outposts_is_a_warning_not_an_error() -> None:
    overrides = [
        {"instance_type": "m7i.xlarge", "weighted_capacity": 1},
        {"instance_type": "t3.xlarge", "weighted_capacity": 1},
    ]
    config = AlbEcsConfig(**sample(ecs_instance_type="t3.large", ecs_asg_override_config=overrides))
    first, second = config.warnings()
    assert first.startswith("ecs_instance_type: 't3.large' is of the family t3")
    assert second.startswith("ecs_asg_override_config[1].instance_type: 't3.xlarge'")
    assert AlbEcsConfig(**sample()).warnings() == []
    in_region = AlbEcsConfig(
        **sample(outposts_arn="", subnets=[SUBNET, SUBNET_B], ecs_instance_type="t3.large")
    )
    assert in_region.warnings() == []
