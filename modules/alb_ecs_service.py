"""The ``alb-ecs`` module's cluster and service, and the service's task-count scaling."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService as EcsServiceResource,
)
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsServiceAlarms,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
    EcsServiceOrderedPlacementStrategy,
)

from modules.alb_ecs_load_balancer import LoadBalancer
from modules.alb_ecs_scope import AlbEcsScope

__all__ = ["SCALE_IN_COOLDOWN", "SCALE_OUT_COOLDOWN", "ClusterService"]

# Service autoscaling: seconds after a scale-out before the next scale-out, and after a scale-in
# before the next scale-in (scale out fast, scale in slowly).
SCALE_OUT_COOLDOWN = 60
SCALE_IN_COOLDOWN = 300


class ClusterService:
    """The cluster (Container Insights per ``ecs_container_insights``), its capacity providers
    and the service behind the load balancer's target groups; with ``config.autoscaling`` the
    service's scalable target and target tracking policies.

    The cluster registers ``capacity_provider_name`` as its only capacity provider and default
    strategy, and the service runs on it through a capacity provider strategy rather than a
    ``launch_type``: ECS refuses both at once, and only tasks placed through the strategy
    drive managed scaling. The service waits for the listeners (ECS refuses a target group
    without a load balancer) and for the cluster's capacity providers.

    Deployments keep ``deployment_minimum_healthy_percent`` of the tasks and run up to
    ``deployment_maximum_percent``; the circuit breaker (and, with
    ``deployment_alarm_names``, the alarms) fail a deployment, rolled back with
    ``deployment_circuit_breaker_rollback``. On EC2 the tasks spread over the instances.
    """

    def __init__(
        self,
        scope: AlbEcsScope,
        *,
        capacity_provider_name: str,
        task_definition_arn: str,
        security_group_id: str,
        load_balancer: LoadBalancer,
    ) -> None:
        construct, config = scope.construct, scope.config
        self.cluster = EcsCluster(
            construct,
            "ecs-cluster",
            name=config.ecs_cluster_name,
            setting=[
                EcsClusterSetting(name="containerInsights", value=config.ecs_container_insights)
            ],
            tags=config.tags,
        )
        cluster_capacity = EcsClusterCapacityProviders(
            construct,
            "ecs-cluster-capacity-providers",
            cluster_name=self.cluster.name,
            capacity_providers=[capacity_provider_name],
            default_capacity_provider_strategy=[
                EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(
                    capacity_provider=capacity_provider_name, weight=1
                )
            ],
        )
        service = config.ecs_service
        self.service = EcsServiceResource(
            construct,
            "service",
            name=f"{scope.project}-{service.ecs_service_name}",
            cluster=self.cluster.id,
            task_definition=task_definition_arn,
            desired_count=service.desired_count,
            capacity_provider_strategy=[
                EcsServiceCapacityProviderStrategy(
                    capacity_provider=capacity_provider_name, weight=1
                )
            ],
            deployment_maximum_percent=config.deployment_maximum_percent,
            deployment_minimum_healthy_percent=config.deployment_minimum_healthy_percent,
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(
                enable=config.deployment_circuit_breaker,
                rollback=config.deployment_circuit_breaker_rollback,
            ),
            alarms=(
                EcsServiceAlarms(
                    alarm_names=config.deployment_alarm_names,
                    enable=True,
                    rollback=config.deployment_circuit_breaker_rollback,
                )
                if config.deployment_alarm_names
                else None
            ),
            health_check_grace_period_seconds=config.health_check_grace_period_seconds,
            wait_for_steady_state=config.wait_for_steady_state,
            enable_execute_command=config.enable_execute_command,
            # One task a container instance before two on any: an instance lost takes the
            # fewest tasks with it. Fargate places tasks itself and takes no strategy.
            ordered_placement_strategy=(
                [EcsServiceOrderedPlacementStrategy(type="spread", field="instanceId")]
                if service.launch_type == "EC2"
                else None
            ),
            enable_ecs_managed_tags=True,
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=config.task_subnets,
                security_groups=[security_group_id],
                assign_public_ip=False,
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=load_balancer.target_groups[key].arn,
                    container_name=service.container_name,
                    container_port=listener.target_group.port,
                )
                for key, listener in config.port_listeners.items()
            ],
            tags=config.tags,
            depends_on=[*load_balancer.listeners, cluster_capacity],
            # Autoscaling owns the task count once the service exists.
            lifecycle=(
                TerraformResourceLifecycle(ignore_changes=["desired_count"])
                if config.autoscaling
                else None
            ),
        )
        self.autoscaling_target = self._autoscaling(scope, load_balancer)

    def _autoscaling(
        self, scope: AlbEcsScope, load_balancer: LoadBalancer
    ) -> AppautoscalingTarget | None:
        """Scalable target on the service's desired count and its target tracking policies:
        on the service's average CPU and, with requests per target, on
        ``ALBRequestCountPerTarget`` per target group."""
        construct, config = scope.construct, scope.config
        if not config.autoscaling:
            return None
        target = AppautoscalingTarget(
            construct,
            "service_scaling_target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{self.cluster.name}/{self.service.name}",
            min_capacity=config.ecs_autoscaling_min_capacity,
            max_capacity=config.ecs_autoscaling_max_capacity,
            tags=config.tags,
        )
        policy_name = f"{scope.project}-{config.ecs_service.ecs_service_name}"
        policies: list[tuple[str, str, int, str | None]] = []
        if config.ecs_autoscaling_cpu_target:
            policies.append(
                ("cpu", "ECSServiceAverageCPUUtilization", config.ecs_autoscaling_cpu_target, None)
            )
        if config.ecs_autoscaling_requests_per_target:
            alb_arn_suffix = load_balancer.alb.arn_suffix
            for key, target_group in load_balancer.target_groups.items():
                policies.append(
                    (
                        f"requests-{key}",
                        "ALBRequestCountPerTarget",
                        config.ecs_autoscaling_requests_per_target,
                        f"{alb_arn_suffix}/{target_group.arn_suffix}",
                    )
                )
        for name, metric, value, label in policies:
            AppautoscalingPolicy(
                construct,
                f"service_scaling_{name}",
                name=f"{policy_name}-{name}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=(
                    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                        target_value=value,
                        predefined_metric_specification=(
                            AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                                predefined_metric_type=metric, resource_label=label
                            )
                        ),
                        scale_out_cooldown=SCALE_OUT_COOLDOWN,
                        scale_in_cooldown=SCALE_IN_COOLDOWN,
                    )
                ),
            )
        return target
