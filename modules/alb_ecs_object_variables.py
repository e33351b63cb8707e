"""The objects among the ``alb-ecs`` module's variables: listeners and their target groups,
the service and its task definition, Auto Scaling group overrides and block devices.

Part of the module's variables (``modules/alb_ecs_variables.py``), free of provider bindings.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

from modules.validation import MODULE_CONFIG, CidrOrReference, InstanceType, added

Port = Annotated[int, Field(ge=1, le=65535)]


@dataclass(config=MODULE_CONFIG, kw_only=True)
class TargetGroup:
    """Where a listener forwards: the containers' port and protocol, and the health check."""

    port: Port
    """Port the containers listen on; the health check uses it too."""
    protocol: Literal["HTTP", "HTTPS"]
    """Protocol from the load balancer to the containers (and of the health check)."""
    health_check_path: str = "/"
    """Path the load balancer requests to decide whether a container is healthy."""

    @model_validator(mode="after")
    def _path(self) -> TargetGroup:
        if not self.health_check_path.startswith("/"):
            raise ValueError(f"health_check_path: {self.health_check_path!r} must start with '/'")
        return self


@dataclass(config=MODULE_CONFIG, kw_only=True)
class PortListener:
    """One load balancer listener and the target group it forwards to."""

    port: Port
    """Port the load balancer listens on."""
    protocol: Literal["HTTP", "HTTPS"]
    """Listener protocol; HTTPS needs ``custom_zone`` (the certificate comes from there)."""
    inbound_cidr_range: list[CidrOrReference] = Field(default_factory=list)
    """Networks allowed to reach the listener (besides the CoIP pool on an Outpost)."""
    target_group: TargetGroup
    """The target group the listener forwards to."""


@dataclass(config=MODULE_CONFIG, kw_only=True)
class TaskDefinition:
    """Size and port of the service's task."""

    family: str
    """Task definition family name."""
    cpu: int = Field(ge=128)
    """CPU units of the task and of its container (1024 = one vCPU)."""
    memory: int = Field(ge=6)
    """Memory of the task and of its container, in MiB."""
    port: Port
    """Port the container listens on (its one port mapping)."""
    # ECS replaces a task whose own check fails; the load balancer's check only routes.
    health_check_path: str = added("")
    """Path of the container's own health check on 127.0.0.1:<port>; "" for none."""
    # EC2: a folder of the container instance, so a task's successor there replays what it
    # left; FARGATE: the task's ephemeral storage.
    spool_max_mib: int = added(0, ge=0, le=65536)
    """Size of the producer's disk spool (SPOOL_DIR, SPOOL_MAX_BYTES) in MiB; 0 for none."""

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, path: str) -> str:
        if path and not re.match(r"^/[A-Za-z0-9/_.-]*$", path):
            raise ValueError(f"{path!r}: a path like /livez (letters, digits, / _ . -)")
        return path


@dataclass(config=MODULE_CONFIG, kw_only=True)
class EcsService:
    """The ECS service and the container it runs."""

    ecs_service_name: str
    """Service name; the service is called ``<Project>-<ecs_service_name>``."""
    desired_count: int = Field(ge=0)
    """Number of tasks the service keeps running."""
    launch_type: Literal["EC2", "FARGATE", "EXTERNAL"]
    """Where tasks run: EC2 on the module's capacity provider (only one on an Outpost), FARGATE."""
    container_name: str
    """Name of the container; the load balancer forwards to it."""
    task_definition: TaskDefinition
    """Family, size and port of the task definition."""


@dataclass(config=MODULE_CONFIG, kw_only=True)
class AsgOverride:
    """An instance type the Auto Scaling group may launch."""

    instance_type: InstanceType
    """EC2 instance type (on an Outpost, one of the families it has)."""
    weighted_capacity: int | None = None
    """Instance weight: none or 1 (a capacity provider's group takes no instance weights)."""

    @field_validator("weighted_capacity")
    @classmethod
    def _no_weights(cls, value: int | None) -> int | None:
        if value not in (None, 1):
            raise ValueError(
                f"{value!r}: an ECS capacity provider's Auto Scaling group can't have instance "
                "weights (each instance counts as 1); remove weighted_capacity"
            )
        return value


@dataclass(config=MODULE_CONFIG, kw_only=True)
class EbsVolume:
    """EBS settings of a block device; ``None`` leaves a setting to the AMI or to EC2."""

    delete_on_termination: bool | None = None
    """Delete the volume when the instance terminates."""
    encrypted: bool = True
    """Encrypt the volume (true when not given; the sample left it to the AMI)."""
    iops: int | None = Field(default=None, ge=100)
    """Provisioned IOPS (io1, io2, gp3)."""
    kms_key_id: str | None = None
    """KMS key ARN for the encryption (needs ``encrypted``)."""
    snapshot_id: str | None = None
    """Snapshot to create the volume from."""
    volume_size: int | None = Field(default=None, ge=1)
    """Size in GiB."""
    volume_type: Literal["standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"] | None = None
    """EBS volume type."""


@dataclass(config=MODULE_CONFIG, kw_only=True)
class BlockDeviceMapping:
    """A block device of the container instances' launch template."""

    device_name: str
    """Device name, like /dev/xvda."""
    no_device: bool = False
    """Suppress this device of the AMI's block device mapping."""
    virtual_name: str | None = None
    """Instance store volume name (ephemeral0 and so on)."""
    ebs: EbsVolume | None = None
    """EBS volume settings."""


def _default_port_listeners() -> dict[str, PortListener]:
    return {
        "port-1": PortListener(
            port=80,
            protocol="HTTP",
            inbound_cidr_range=[],
            target_group=TargetGroup(port=8080, protocol="HTTP", health_check_path="/"),
        )
    }


def _default_ecs_service() -> EcsService:
    return EcsService(
        ecs_service_name="ecs-producer",
        desired_count=1,
        launch_type="EC2",
        container_name="producer",
        task_definition=TaskDefinition(family="producer", cpu=512, memory=1024, port=8080),
    )


def _default_asg_overrides() -> list[AsgOverride]:
    return [
        AsgOverride(instance_type="m5.2xlarge"),
        AsgOverride(instance_type="c5.2xlarge"),
        AsgOverride(instance_type="r5.2xlarge"),
    ]


TerminationPolicy = Literal[
    "OldestInstance",
    "NewestInstance",
    "OldestLaunchConfiguration",
    "ClosestToNextInstanceHour",
    "OldestLaunchTemplate",
    "AllocationStrategy",
    "Default",
]
ScalingProcess = Literal[
    "Launch",
    "Terminate",
    "HealthCheck",
    "ReplaceUnhealthy",
    "AZRebalance",
    "AlarmNotification",
    "ScheduledActions",
    "AddToLoadBalancer",
    "InstanceRefresh",
]
GroupMetric = Literal[
    "GroupDesiredCapacity",
    "GroupInServiceCapacity",
    "GroupPendingCapacity",
    "GroupMinSize",
    "GroupMaxSize",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupStandbyCapacity",
    "GroupTerminatingCapacity",
    "GroupTerminatingInstances",
    "GroupTotalCapacity",
    "GroupTotalInstances",
]
