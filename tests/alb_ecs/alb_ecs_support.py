"""What the alb-ecs construct's tests share: the sample's wiring of the module, and one
configuration synthesized with lookups by construct id (``AlbEcsSynth``)."""

from __future__ import annotations

from typing import Any, cast

from cdktf import TerraformElement, TerraformOutput, TerraformStack

from modules.alb_ecs import AlbEcs, AlbEcsConfig
from tests.support import OUTPOSTS_ARN, data_sources, resources, synthesize

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
        "endpoint_subnets": [PRIVATE, PRIVATE_B],
        "ecs_cluster_name": "producer-cluster",
        "log_group_name": "producer-log",
        "log_retention_days": 30,
        "ecr_name": "kinesis/producer",
        "ec2_iam_instance_profile": "some-profile",
    }
    config.update(overrides)
    return config


def service(launch_type: str = "EC2", desired_count: int = 1, **size: int) -> dict[str, Any]:
    return {
        "ecs_service_name": "ecs-producer",
        "desired_count": desired_count,
        "launch_type": launch_type,
        "container_name": "producer",
        "task_definition": {"family": "producer", "cpu": 512, "memory": 1024, "port": 8080} | size,
    }


class AlbEcsSynth:
    """One configuration synthesized, with lookups by construct id below the module."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = AlbEcsConfig(**config)

        def build(stack: TerraformStack) -> AlbEcs:
            module = AlbEcs(stack, MODULE_ID, self.config)
            for name in OUTPUTS:
                value = getattr(module, name)
                if value is not None:
                    TerraformOutput(stack, name, value=value)
            return module

        synthesized = synthesize(build)
        self.json = synthesized.json
        self.module = synthesized.built

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


# The configurations the conftest synthesizes, by fixture name.
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
