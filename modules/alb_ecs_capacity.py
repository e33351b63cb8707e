"""Where the ``alb-ecs`` module's tasks run: EC2 container instances or Fargate.

:func:`add_capacity` picks the variant for the service's launch type. Both answer the same
questions (:class:`Capacity`): which capacity provider the cluster and the service use, whether
a container agent runs (it needs the ecs interface endpoints) and where on the host the
producer's disk spool lives.
"""

from __future__ import annotations

import base64
from pathlib import Path
from string import Template

from cdktf import TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupInstanceRefresh,
    AutoscalingGroupInstanceRefreshPreferences,
    AutoscalingGroupMixedInstancesPolicy,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplate,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecification,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplateOverride,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.ecs_capacity_provider import (
    EcsCapacityProvider,
    EcsCapacityProviderAutoScalingGroupProvider,
    EcsCapacityProviderAutoScalingGroupProviderManagedScaling,
)
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMetadataOptions,
)

from modules import regions
from modules.alb_ecs_scope import AlbEcsScope
from modules.alb_ecs_variables import AlbEcsConfig
from modules.aws_facts import OUTPOSTS_EBS_VOLUME_TYPES
from modules.provider import provider_region

__all__ = [
    "CONTAINER_UID",
    "FARGATE_CAPACITY_PROVIDER",
    "SPOOL_HOST_PATH",
    "Capacity",
    "Ec2Capacity",
    "FargateCapacity",
    "add_capacity",
    "render_user_data",
]

USER_DATA_TEMPLATE = Path(__file__).parent / "templates" / "ecs_user_data.sh"

# Device name of the root volume of the Amazon Linux ECS-optimized AMIs.
ROOT_DEVICE_NAME = "/dev/xvda"
# EBS volume type of the encrypted root volume: one an Outposts rack serves (gp2).
ROOT_VOLUME_TYPE = OUTPOSTS_EBS_VOLUME_TYPES[0]

# The capacity provider of the service's tasks with launch type FARGATE.
FARGATE_CAPACITY_PROVIDER = "FARGATE"

# The producer's disk spool: a folder of the container instance on EC2, so that a replaced
# task's successor on the same instance replays it; the image runs as this user.
SPOOL_HOST_PATH = "/var/lib/producer-spool"
CONTAINER_UID = 10001


class _ScriptTemplate(Template):
    """``@@{name}`` placeholders, so that the shell's own ``$`` needs no escaping."""

    delimiter = "@@"


def render_user_data(
    cluster_name: str,
    environment: str = "Outpost",
    spool_host_path: str = "",
    dns_suffix: str = "amazonaws.com",
) -> str:
    """The container instances' boot script for ``cluster_name`` (plain text, not base64);
    ``environment`` is the value of the instances' ``environment`` tag; ``spool_host_path``,
    when set, is made a folder the container's user owns; ``dns_suffix`` is that of the
    Region's endpoints (``amazonaws.com.cn`` in China)."""
    spool = (
        f"install -d -m 0700 -o {CONTAINER_UID} -g {CONTAINER_UID} {spool_host_path}"
        if spool_host_path
        else "# (no disk spool)"
    )
    return _ScriptTemplate(USER_DATA_TEMPLATE.read_text()).substitute(
        cluster_name=cluster_name,
        environment=environment,
        spool_setup=spool,
        dns_suffix=dns_suffix,
    )


def _bool_string(value: bool | None) -> str | None:
    """The provider's string booleans of launch template block devices."""
    return None if value is None else str(value).lower()


class Capacity:
    """What the rest of the module needs to know of the tasks' capacity."""

    provider_name: str
    """The capacity provider that the cluster registers and the service's strategy names."""
    capacity_provider_name: str | None
    """The module's own capacity provider (the ``ecs_capacity_provider_name`` output)."""
    runs_container_agent: bool
    """Whether ECS container agents run (and need the ecs interface endpoints)."""
    spool_host_path: str | None
    """The host folder of the disk spool volume (``None``: the task's own storage)."""
    instance_types: list[str]
    """The instance types the group may launch, as far as the configuration names them."""


class FargateCapacity(Capacity):
    """Launch type FARGATE (Region only): nothing to create; the cluster registers the
    ``FARGATE`` capacity provider that AWS offers every cluster."""

    def __init__(self) -> None:
        self.provider_name = FARGATE_CAPACITY_PROVIDER
        self.capacity_provider_name = None
        self.runs_container_agent = False
        self.spool_host_path = None
        self.instance_types = []


class Ec2Capacity(Capacity):
    """Launch type EC2 (the only one on an Outpost): the launch template (unless
    ``import_aws_launch_template``), the Auto Scaling group and its capacity provider.

    The launch template requires IMDSv2 (hop limit 1), encrypts the configured block devices
    unless told otherwise (or, without any, gives the instances an encrypted gp2 root volume
    with ``encrypt_root_volume``) and boots the instances into the cluster, on ``ecs_ami_id``
    or the current ECS-optimized AMI (``ecs_ami_ssm_parameter``). The group uses a mixed
    instances policy, without instance weights, on the template's latest version number (a
    new version is a change of the group, rolled out by its instance refresh) and leaves its
    desired capacity to scaling after creation. The capacity provider scales the group with managed
    scaling: tasks that find no room raise its ``CapacityProviderReservation`` above
    ``capacity_provider_target_capacity``, which adds instances; idle instances go.
    """

    def __init__(self, scope: AlbEcsScope, security_group_id: str) -> None:
        construct, config = scope.construct, scope.config
        self.runs_container_agent = True
        self.spool_host_path = SPOOL_HOST_PATH
        self.instance_types = _group_instance_types(config)
        if config.import_aws_launch_template:
            launch_template_id, version = config.launch_template_id, "$Latest"
        else:
            template = self._launch_template(scope, security_group_id)
            # The version number, not "$Latest": a new version then changes the group, and
            # the change starts the instance refresh.
            launch_template_id, version = template.id, Token.as_string(template.latest_version)

        asg_tags = {
            "Name": config.ecs_asg_name_prefix,
            "Project": scope.project,
            "Owner": config.tags["Owner"],
            "AmazonECSManaged": "",
        }
        asg = AutoscalingGroup(
            construct,
            "ecs_nodes",
            name_prefix=config.ecs_asg_name_prefix,
            max_size=config.ecs_asg_max_size,
            min_size=config.ecs_asg_min_size,
            desired_capacity=config.ecs_asg_desired_capacity,
            vpc_zone_identifier=config.task_subnets,
            health_check_type=config.ecs_asg_health_check_type,
            capacity_rebalance=config.ecs_asg_capacity_rebalance,
            default_cooldown=config.ecs_asg_default_cooldown,
            health_check_grace_period=config.ecs_asg_health_check_grace_period,
            termination_policies=list(config.ecs_asg_termination_policies),
            suspended_processes=list(config.ecs_asg_suspended_processes),
            enabled_metrics=list(config.ecs_asg_enabled_metrics),
            protect_from_scale_in=config.ecs_asg_protect_from_scale_in,
            mixed_instances_policy=AutoscalingGroupMixedInstancesPolicy(
                launch_template=AutoscalingGroupMixedInstancesPolicyLaunchTemplate(
                    launch_template_specification=(
                        AutoscalingGroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecification(
                            launch_template_id=launch_template_id, version=version
                        )
                    ),
                    # No weights: a capacity provider's group counts instances, one each.
                    override=[
                        AutoscalingGroupMixedInstancesPolicyLaunchTemplateOverride(
                            instance_type=override.instance_type
                        )
                        for override in config.ecs_asg_override_config
                    ],
                )
            ),
            tag=[
                AutoscalingGroupTag(key=key, value=value, propagate_at_launch=True)
                for key, value in asg_tags.items()
            ],
            instance_refresh=_instance_refresh(config.ecs_instance_refresh_min_healthy_percentage),
            lifecycle=TerraformResourceLifecycle(
                create_before_destroy=True, ignore_changes=["desired_capacity"]
            ),
        )
        # A name known at plan time: the group's generated name is not, and a service whose
        # capacity provider strategy names an unknown value fails its first apply with
        # "Provider produced inconsistent final plan" (hashicorp/terraform-provider-aws#39584).
        provider = EcsCapacityProvider(
            construct,
            "capacity_provider",
            name=config.capacity_provider_name,
            auto_scaling_group_provider=EcsCapacityProviderAutoScalingGroupProvider(
                auto_scaling_group_arn=asg.arn,
                managed_termination_protection=(
                    config.capacity_provider_managed_termination_protection
                ),
                managed_scaling=EcsCapacityProviderAutoScalingGroupProviderManagedScaling(
                    status="ENABLED",
                    target_capacity=config.capacity_provider_target_capacity,
                    minimum_scaling_step_size=config.minimum_scaling_step_size,
                    maximum_scaling_step_size=config.maximum_scaling_step_size,
                ),
            ),
            tags=config.tags,
        )
        self.provider_name = provider.name
        self.capacity_provider_name = provider.name

    @staticmethod
    def _launch_template(scope: AlbEcsScope, security_group_id: str) -> LaunchTemplate:
        config = scope.config
        spool = config.ecs_service.task_definition.spool_max_mib
        user_data = render_user_data(
            config.ecs_cluster_name,
            "Outpost" if config.outposts_arn else "Region",
            SPOOL_HOST_PATH if spool else "",
            regions.dns_suffix(provider_region(scope.construct)),
        )
        return LaunchTemplate(
            scope.construct,
            "node",
            name_prefix=config.launch_template_name_prefix,
            image_id=config.ecs_ami_id or _current_ecs_ami(scope),
            instance_type=config.ecs_instance_type,
            vpc_security_group_ids=[security_group_id],
            user_data=base64.b64encode(user_data.encode()).decode(),
            iam_instance_profile=LaunchTemplateIamInstanceProfile(
                name=config.ec2_iam_instance_profile
            ),
            block_device_mappings=_block_devices(scope) or None,
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
            ),
            update_default_version=True,
            tags=config.tags,
        )


def _group_instance_types(config: AlbEcsConfig) -> list[str]:
    """The overrides' instance types, else the launch template's; an imported template's type
    is not known here."""
    named = [override.instance_type for override in config.ecs_asg_override_config]
    if not named and not config.import_aws_launch_template:
        named = [config.ecs_instance_type]
    return list(dict.fromkeys(named))


def _current_ecs_ami(scope: AlbEcsScope) -> str:
    """The AMI that ``ecs_ami_ssm_parameter`` names now: every plan reads it again, so a
    newer AMI is a new launch template version, rolled out by the instance refresh."""
    parameter = DataAwsSsmParameter(
        scope.construct, "ecs_ami", name=scope.config.ecs_ami_ssm_parameter
    )
    # An AMI id is no secret; the sensitive ``value`` would hide it in every plan.
    return parameter.insecure_value


def _instance_refresh(min_healthy_percentage: int) -> AutoscalingGroupInstanceRefresh:
    """A rolling replacement of the instances whenever the group's launch template changes.

    New instances start before old ones stop (up to 100 points above the minimum, at most
    200 %); instances that the capacity provider protects from scale-in because they run
    tasks are replaced too, ECS draining them first (managed draining).
    """
    return AutoscalingGroupInstanceRefresh(
        strategy="Rolling",
        preferences=AutoscalingGroupInstanceRefreshPreferences(
            min_healthy_percentage=min_healthy_percentage,
            max_healthy_percentage=min(200, min_healthy_percentage + 100),
            scale_in_protected_instances="Refresh",
            skip_matching=True,
        ),
    )


def _block_devices(scope: AlbEcsScope) -> list[LaunchTemplateBlockDeviceMappings]:
    """The configured block devices, or the encrypted root volume when there are none."""
    config = scope.config
    if not config.block_device_mappings:
        if not config.encrypt_root_volume:
            return []
        return [
            LaunchTemplateBlockDeviceMappings(
                device_name=ROOT_DEVICE_NAME,
                ebs=LaunchTemplateBlockDeviceMappingsEbs(
                    delete_on_termination="true",
                    encrypted="true",
                    volume_type=ROOT_VOLUME_TYPE,
                ),
            )
        ]
    return [
        LaunchTemplateBlockDeviceMappings(
            device_name=mapping.device_name,
            no_device="true" if mapping.no_device else None,
            virtual_name=mapping.virtual_name,
            ebs=(
                LaunchTemplateBlockDeviceMappingsEbs(
                    delete_on_termination=_bool_string(mapping.ebs.delete_on_termination),
                    encrypted=_bool_string(mapping.ebs.encrypted),
                    iops=mapping.ebs.iops,
                    kms_key_id=mapping.ebs.kms_key_id,
                    snapshot_id=mapping.ebs.snapshot_id,
                    volume_size=mapping.ebs.volume_size,
                    volume_type=mapping.ebs.volume_type,
                )
                if mapping.ebs
                else None
            ),
        )
        for mapping in config.block_device_mappings
    ]


def add_capacity(scope: AlbEcsScope, security_group_id: str) -> Capacity:
    """The capacity of the service's launch type, its resources created on the module."""
    if scope.config.ecs_service.launch_type == "EC2":
        return Ec2Capacity(scope, security_group_id)
    return FargateCapacity()
