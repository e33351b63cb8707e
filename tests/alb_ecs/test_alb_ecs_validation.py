"""The alb-ecs construct's configuration: defaults, checks and warnings."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from modules.alb_ecs import (
    AlbEcsConfig,
)
from tests.alb_ecs.alb_ecs_support import (
    SUBNET,
    SUBNET_B,
    listener,
    sample,
    service,
)

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
        # The sample's literal AMI (ami-017a715104f93ea81) gives way to the current
        # ECS-optimized AMI's SSM parameter.
        "ecs_ami_id": "",
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
        # The sample's weights (70/20/10) are gone: a capacity provider's group takes none.
        "ecs_asg_override_config": [
            {"instance_type": "m5.2xlarge", "weighted_capacity": None},
            {"instance_type": "c5.2xlarge", "weighted_capacity": None},
            {"instance_type": "r5.2xlarge", "weighted_capacity": None},
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
        "endpoint_subnets": [],
        "deployment_minimum_healthy_percent": 100,
        "deployment_maximum_percent": 200,
        "deployment_circuit_breaker": True,
        "deployment_circuit_breaker_rollback": True,
        "deployment_alarm_names": [],
        "health_check_grace_period_seconds": 60,
        "wait_for_steady_state": False,
        "enable_execute_command": False,
        "ecs_ami_ssm_parameter": (
            "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
        ),
        "ecs_instance_refresh_min_healthy_percentage": 100,
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
        "endpoint_subnets",
        "deployment_minimum_healthy_percent",
        "deployment_maximum_percent",
        "deployment_circuit_breaker",
        "deployment_circuit_breaker_rollback",
        "deployment_alarm_names",
        "health_check_grace_period_seconds",
        "wait_for_steady_state",
        "enable_execute_command",
        "ecs_ami_ssm_parameter",
        "ecs_instance_refresh_min_healthy_percentage",
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
    "instance weights with a capacity provider": (
        {"ecs_asg_override_config": [{"instance_type": "m5.2xlarge", "weighted_capacity": 70}]},
        "ecs_asg_override_config.0.weighted_capacity",
    ),
    "interface endpoints in the Outposts subnet": ({"endpoint_subnets": []}, "endpoint_subnets"),
    "a deployment that can neither stop nor start a task": (
        {"deployment_minimum_healthy_percent": 100, "deployment_maximum_percent": 100},
        "deployment_maximum_percent",
    ),
    "deployment maximum below 100": (
        {"deployment_maximum_percent": 50},
        "deployment_maximum_percent",
    ),
    "an AMI parameter that is not an ECS-optimized AMI's": (
        {"ecs_ami_ssm_parameter": "/my/ami"},
        "ecs_ami_ssm_parameter",
    ),
    "malformed AMI id": ({"ecs_ami_id": "ami-xyz"}, "ecs_ami_id"),
    "a volume type an Outpost does not serve": (
        {"block_device_mappings": [{"device_name": "/dev/xvda", "ebs": {"volume_type": "gp3"}}]},
        "block_device_mappings.0.ebs.volume_type",
    ),
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
