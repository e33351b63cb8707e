"""The names of the CloudWatch alarms that ``observability`` creates.

Known before the alarms exist: the ECS service names some of them as deployment alarms, and
the service is created first (the alarms watch it).
"""

from __future__ import annotations

__all__ = [
    "ALB_TARGET_5XX",
    "CAPACITY_PROVIDER_RESERVATION",
    "OUTPOST_LINK_DOWN",
    "alarm_name",
    "deployment_alarm_keys",
    "outpost_capacity",
    "unhealthy_hosts",
]

ALB_TARGET_5XX = "alb-target-5xx"
OUTPOST_LINK_DOWN = "outpost-link-down"
CAPACITY_PROVIDER_RESERVATION = "capacity-provider-reservation"


def unhealthy_hosts(listener_key: str) -> str:
    """The key of the unhealthy-targets alarm of one listener's target group."""
    return f"unhealthy-hosts-{listener_key}"


def outpost_capacity(instance_type: str) -> str:
    """The key of the capacity alarm of one instance type of the Outpost."""
    return f"outpost-capacity-{instance_type}"


def alarm_name(name_prefix: str, key: str) -> str:
    """The name of the alarm ``key`` of a deployment whose names start with ``name_prefix``."""
    return f"{name_prefix}-{key}"


def deployment_alarm_keys(listener_keys: list[str]) -> list[str]:
    """The alarms a bad image sets off within minutes: 5xx answers and unhealthy targets."""
    return [ALB_TARGET_5XX, *(unhealthy_hosts(key) for key in listener_keys)]
