"""The alb-ecs configurations the tests of this folder read, each synthesized once per session."""

from __future__ import annotations

import pytest

from tests.alb_ecs.alb_ecs_support import (
    LOGS_KEY,
    PRIVATE,
    PRIVATE_B,
    STREAM_KEY,
    SUBNET,
    SUBNET_B,
    AlbEcsSynth,
    listener,
    sample,
    service,
)


@pytest.fixture(scope="session")
def outpost() -> AlbEcsSynth:
    return AlbEcsSynth(sample())


@pytest.fixture(scope="session")
def region() -> AlbEcsSynth:
    """In the Region on EC2: the ALB in two public subnets, the rest in two private ones."""
    return AlbEcsSynth(
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


@pytest.fixture(scope="session")
def fargate() -> AlbEcsSynth:
    """In the Region on Fargate, with a larger task."""
    return AlbEcsSynth(
        sample(
            outposts_arn="",
            subnets=[SUBNET, SUBNET_B],
            ecs_subnets=[PRIVATE, PRIVATE_B],
            ecs_service=service("FARGATE", desired_count=2, cpu=1024, memory=3072),
        )
    )


@pytest.fixture(scope="session")
def scaled() -> AlbEcsSynth:
    """Two listeners, the task count tracking ALB requests per target only."""
    return AlbEcsSynth(
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


@pytest.fixture(scope="session")
def unscaled() -> AlbEcsSynth:
    """No target tracking policy: the sample's fixed task count."""
    return AlbEcsSynth(sample(ecs_autoscaling_cpu_target=0, ecs_autoscaling_requests_per_target=0))


@pytest.fixture(scope="session")
def https() -> AlbEcsSynth:
    return AlbEcsSynth(
        sample(
            custom_zone=True,
            zone_id="Z0123456789ABCDEFGHIJ",
            port_listeners={
                "https": listener(443, protocol="HTTPS", cidrs=("10.0.0.0/8",)),
                "http": listener(80, cidrs=("10.0.0.0/8",)),
            },
        )
    )


@pytest.fixture(scope="session")
def multi() -> AlbEcsSynth:
    return AlbEcsSynth(
        sample(
            port_listeners={
                "port-1": listener(80, cidrs=("10.181.192.0/19",)),
                "port-2": listener(8081, cidrs=("192.168.0.0/16", "2001:db8::/32")),
            }
        )
    )


@pytest.fixture(scope="session")
def imported_task() -> AlbEcsSynth:
    return AlbEcsSynth(
        sample(
            import_aws_ecs_task_definition=True,
            task_definition_arn="arn:aws:ecs:us-west-2:111122223333:task-definition/producer:7",
            port_listeners={
                "port-1": listener(80, target_port=8080, cidrs=("10.181.192.0/19",)),
                "port-2": listener(81, target_port=9090),
            },
        )
    )


@pytest.fixture(scope="session")
def imported_template() -> AlbEcsSynth:
    return AlbEcsSynth(
        sample(import_aws_launch_template=True, launch_template_id="lt-0123456789abcdef0")
    )


@pytest.fixture(scope="session")
def block_devices() -> AlbEcsSynth:
    """In the Region, which serves gp3 (an Outposts rack serves gp2 only)."""
    return AlbEcsSynth(
        sample(
            outposts_arn="",
            subnets=[SUBNET, SUBNET_B],
            ecs_subnets=[PRIVATE, PRIVATE_B],
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
            ],
        )
    )


@pytest.fixture(scope="session")
def relaxed() -> AlbEcsSynth:
    """Every hardening switched off, every optional protection switched on."""
    return AlbEcsSynth(
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


@pytest.fixture(scope="session")
def operated() -> AlbEcsSynth:
    """The day-2 switches: a pinned AMI, ECS Exec, deployment alarms, the sample's stop-first
    deployments without rollback, and an instance refresh that may stop instances first."""
    return AlbEcsSynth(
        sample(
            ecs_ami_id="ami-0123456789abcdef0",
            enable_execute_command=True,
            deployment_alarm_names=["p-alb-target-5xx", "p-unhealthy-hosts-port-1"],
            deployment_minimum_healthy_percent=0,
            deployment_maximum_percent=100,
            deployment_circuit_breaker_rollback=False,
            health_check_grace_period_seconds=0,
            wait_for_steady_state=True,
            ecs_instance_refresh_min_healthy_percentage=50,
        )
    )
