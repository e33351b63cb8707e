"""Step 5 of ``make deploy``: the wait until the ECS service is stable.

Stable as AWS's ``services-stable`` waiter means it, and more: the service is ACTIVE, has one
deployment, that deployment's rollout is ``COMPLETED`` and every desired task runs. Each change
of the counts and each new service event is printed; a ``FAILED`` rollout (the deployment
circuit breaker rolled back) or the timeout raises :class:`DeployError` with the last events.
"""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

from scripts.deploy.progress import DeployError, say

#: Service events printed with a failure.
EVENTS_SHOWN = 5


def state_line(service: dict[str, Any]) -> str:
    deployments = service.get("deployments", [])
    rollout = deployments[0].get("rolloutState", "?") if deployments else "none"
    return (
        f"{service['runningCount']} of {service['desiredCount']} task(s) running, "
        f"{service.get('pendingCount', 0)} pending; {len(deployments)} deployment(s), "
        f"the newest {rollout}"
    )


def is_stable(service: dict[str, Any]) -> bool:
    deployments = service.get("deployments", [])
    return (
        service.get("status") == "ACTIVE"
        and len(deployments) == 1
        and deployments[0].get("rolloutState", "COMPLETED") == "COMPLETED"
        and service["runningCount"] == service["desiredCount"]
    )


def event_line(event: dict[str, Any], before_wait: bool) -> str:
    """A service event as printed, with its time (UTC)."""
    created = event.get("createdAt")
    at = created.astimezone(UTC).strftime("%H:%M:%S") if created else "?"
    said = "the last event before this wait" if before_wait else "event"
    return f"  {said} ({at}): {event['message']}"


def wait_stable(ecs: Any, cluster: str, name: str, poll_seconds: float, timeout: float) -> None:
    """Return once the service ``name`` of ``cluster`` is stable (see the module docstring)."""
    started = time.monotonic()
    last_line = ""
    seen_events: set[str] = set()
    first = True
    while True:
        found = ecs.describe_services(cluster=cluster, services=[name]).get("services", [])
        if not found:
            raise DeployError(f"ECS has no service {name} in the cluster {cluster}")
        service = found[0]
        events = service.get("events", [])
        # Events from before this wait are history: only the newest is shown, once, and said
        # to be old, so that an error of a former deployment is not read as this one's.
        for event in reversed(events[:1] if first else events):
            if event["id"] not in seen_events:
                say(event_line(event, before_wait=first))
        seen_events.update(e["id"] for e in events)
        first = False
        line = state_line(service)
        if line != last_line:
            say(f"service {name}: {line}")
            last_line = line
        if is_stable(service):
            say(f"service {name} is stable after {time.monotonic() - started:.0f} s")
            return
        deployments = service.get("deployments", [])
        if deployments and deployments[0].get("rolloutState") == "FAILED":
            raise DeployError(
                f"the rollout of service {name} FAILED: "
                f"{deployments[0].get('rolloutStateReason', 'no reason given')}"
                + _last_events(events)
            )
        if time.monotonic() - started > timeout:
            raise DeployError(
                f"service {name} is not stable after {timeout / 60:.0f} minutes ({line})"
                + _last_events(events)
            )
        time.sleep(poll_seconds)


def _last_events(events: list[dict[str, Any]]) -> str:
    shown = [f"\n  {e['message']}" for e in events[:EVENTS_SHOWN]]
    return "; the service's last events:" + "".join(shown) if shown else ""
