"""The alb-ecs construct: container instances, capacity provider, service and autoscaling."""

from __future__ import annotations

import base64

from modules.alb_ecs import (
    render_user_data,
)
from tests.alb_ecs.alb_ecs_support import (
    SUBNET,
    TAGS,
    AlbEcsSynth,
)


def test_launch_template(outpost: AlbEcsSynth) -> None:
    template = outpost.res("aws_launch_template", "node")
    assert template["name_prefix"] == "ecs_node_"
    # The current ECS-optimized AL2023 AMI, read from its public SSM parameter at every plan.
    current_ami = outpost.data_ref("aws_ssm_parameter", "ecs_ami", "insecure_value")
    assert template["image_id"] == current_ami
    assert outpost.data("aws_ssm_parameter", "ecs_ami") == {
        "name": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    }
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


def test_user_data_configures_the_ecs_agent_and_ssm(outpost: AlbEcsSynth) -> None:
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


def test_auto_scaling_group(outpost: AlbEcsSynth) -> None:
    group = outpost.res("aws_autoscaling_group", "ecs_nodes")
    assert group["name_prefix"] == "OUTPOST_ECS"
    assert (group["min_size"], group["desired_capacity"], group["max_size"]) == (0, 1, 3)
    assert group["vpc_zone_identifier"] == [SUBNET]
    assert group["health_check_type"] == "ELB"
    assert group["default_cooldown"] == 300
    assert group["health_check_grace_period"] == 300
    assert group["protect_from_scale_in"] is False
    policy = group["mixed_instances_policy"]["launch_template"]
    # The template's version number: a new version changes the group, which refreshes.
    assert policy["launch_template_specification"] == {
        "launch_template_id": outpost.ref("aws_launch_template", "node", "id"),
        "version": outpost.ref("aws_launch_template", "node", "latest_version"),
    }
    # No instance weights: a capacity provider's group counts instances.
    assert policy["override"] == [
        {"instance_type": "m5.2xlarge"},
        {"instance_type": "c5.2xlarge"},
        {"instance_type": "r5.2xlarge"},
    ]
    assert group["instance_refresh"] == {
        "strategy": "Rolling",
        "preferences": {
            "min_healthy_percentage": 100,
            "max_healthy_percentage": 200,
            "scale_in_protected_instances": "Refresh",
            "skip_matching": True,
        },
    }
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


def test_capacity_provider_and_cluster(outpost: AlbEcsSynth) -> None:
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


def test_service_runs_on_the_capacity_provider(outpost: AlbEcsSynth) -> None:
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
    # New tasks start before old ones stop; a failing deployment rolls back.
    assert service["deployment_maximum_percent"] == 200
    assert service["deployment_minimum_healthy_percent"] == 100
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert "alarms" not in service
    assert service["health_check_grace_period_seconds"] == 60
    assert service["wait_for_steady_state"] is False
    assert service["enable_execute_command"] is False
    assert service["ordered_placement_strategy"] == [{"type": "spread", "field": "instanceId"}]
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


# ------------------------------------------------------------------------- autoscaling


def test_service_autoscaling_on_cpu_by_default(outpost: AlbEcsSynth) -> None:
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


def test_task_scaling_composes_with_managed_instance_scaling(outpost: AlbEcsSynth) -> None:
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


def test_autoscaling_on_requests_per_target(scaled: AlbEcsSynth) -> None:
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


def test_without_policies_terraform_keeps_the_task_count(unscaled: AlbEcsSynth) -> None:
    assert unscaled.count("aws_appautoscaling_target") == 0
    assert unscaled.count("aws_appautoscaling_policy") == 0
    assert "lifecycle" not in unscaled.res("aws_ecs_service", "service")
    assert unscaled.module.ecs_autoscaling_target_id is None


def test_imported_launch_template(imported_template: AlbEcsSynth) -> None:
    assert imported_template.count("aws_launch_template") == 0
    group = imported_template.res("aws_autoscaling_group", "ecs_nodes")
    spec = group["mixed_instances_policy"]["launch_template"]["launch_template_specification"]
    assert spec == {"launch_template_id": "lt-0123456789abcdef0", "version": "$Latest"}
    assert imported_template.count("aws_ecs_task_definition") == 1


def test_block_device_mappings(block_devices: AlbEcsSynth) -> None:
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


# -------------------------------------------------------------------------- day 2


def test_a_pinned_ami_wins_over_the_parameter(operated: AlbEcsSynth) -> None:
    assert operated.res("aws_launch_template", "node")["image_id"] == "ami-0123456789abcdef0"
    assert operated.count("aws_ssm_parameter") == 0


def test_instance_refresh_keeps_at_most_100_points_between_its_bounds(
    operated: AlbEcsSynth,
) -> None:
    preferences = operated.res("aws_autoscaling_group", "ecs_nodes")["instance_refresh"][
        "preferences"
    ]
    assert (preferences["min_healthy_percentage"], preferences["max_healthy_percentage"]) == (
        50,
        150,
    )


def test_deployment_settings_reach_the_service(operated: AlbEcsSynth) -> None:
    service = operated.res("aws_ecs_service", "service")
    assert (
        service["deployment_minimum_healthy_percent"],
        service["deployment_maximum_percent"],
    ) == (0, 100)
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": False}
    assert service["alarms"] == {
        "alarm_names": ["p-alb-target-5xx", "p-unhealthy-hosts-port-1"],
        "enable": True,
        "rollback": False,
    }
    assert service["health_check_grace_period_seconds"] == 0
    assert service["wait_for_steady_state"] is True
    assert service["enable_execute_command"] is True


def test_ecs_exec_lets_the_task_role_open_session_manager_channels(
    operated: AlbEcsSynth, outpost: AlbEcsSynth
) -> None:
    def statements(synth: AlbEcsSynth) -> dict[str, dict[str, object]]:
        document = synth.data("aws_iam_policy_document", "ecs_task_policy_document")
        return {item["sid"]: item for item in document["statement"]}

    assert statements(operated)["ExecuteCommand"]["actions"] == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    assert "ExecuteCommand" not in statements(outpost)


def test_fargate_takes_no_placement_strategy(fargate: AlbEcsSynth) -> None:
    assert "ordered_placement_strategy" not in fargate.res("aws_ecs_service", "service")
