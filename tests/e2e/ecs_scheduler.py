"""A stand-in for the ECS service scheduler, in the emulator's process.

AWS starts a service's tasks once their images can be pulled: the service then reports its
tasks running and its deployment ``COMPLETED``; while an image is missing (the build has not
pushed it yet) the tasks fail with ``CannotPullContainerError`` and the deployment stays
``IN_PROGRESS``. moto starts nothing: a service reports ``MOTO_ECS_SERVICE_RUNNING`` tasks
(0 by default) whatever its images, so no deployment ever completes.

:func:`install` makes ``DescribeServices`` answer as AWS would settle: every task running and
one ``COMPLETED`` deployment when each image of the service's task definition that names an
ECR repository of the emulator exists there (repository and tag); otherwise none running,
the deployment ``IN_PROGRESS`` and a service event naming the missing image. Images outside
the emulator's ECR are taken as pullable. Nothing else of moto's ECS changes.
"""

from __future__ import annotations

import re
from typing import Any

#: ``<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>:<tag>``
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?$"
)


def missing_image(image: str) -> str | None:
    """Why ``image`` cannot be pulled from the emulator's ECR, or None when it can (or when it
    is not an ECR image of the emulator)."""
    from moto.ecr.models import ecr_backends

    match = _ECR_IMAGE.match(image)
    if match is None:
        return None
    backend = ecr_backends[match["account"]][match["region"]]
    repository = backend.repositories.get(match["repository"])
    if repository is None:
        return f"repository {match['repository']} does not exist"
    tag = match["tag"] or "latest"
    if not any(tag in found.image_tags for found in repository.images):
        return f"{image}: not found"
    return None


def settle(backend: Any, service: Any) -> None:
    """Set ``service``'s counts and deployment as the scheduler would have them by now."""
    definition = backend.describe_task_definition(service.task_definition)
    reasons = [
        reason
        for container in definition.container_definitions
        if (reason := missing_image(str(container.get("image", "")))) is not None
    ]
    running = 0 if reasons else service.desired_count
    service.running_count = running
    service.pending_count = service.desired_count - running
    for deployment in service.deployments[:1]:
        deployment.update(
            runningCount=running,
            pendingCount=service.pending_count,
            desiredCount=service.desired_count,
            taskDefinition=service.task_definition,
            rolloutState="IN_PROGRESS" if reasons else "COMPLETED",
        )
    if reasons:
        message = (
            f"(service {service.name}) is unable to start tasks: CannotPullContainerError: "
            + "; ".join(reasons)
        )
        if not service.events or service.events[0].get("message") != message:
            from moto.core.utils import utcnow

            service.events.insert(
                0,
                {
                    "id": f"event-{len(service.events) + 1}",
                    "createdAt": utcnow(),
                    "message": message,
                },
            )


def install() -> None:
    """Settle every service ``DescribeServices`` returns (see the module docstring)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.describe_services
    if getattr(original, "_e2e_shim", False):
        return

    def describe_services(
        self: EC2ContainerServiceBackend, cluster_str: str, names: list[str]
    ) -> tuple[list[Any], list[dict[str, str]]]:
        services, failures = original(self, cluster_str, names)
        for service in services:
            if service.status == "ACTIVE":
                settle(self, service)
        return services, failures

    describe_services._e2e_shim = True  # type: ignore[attr-defined]
    EC2ContainerServiceBackend.describe_services = describe_services  # type: ignore[method-assign,assignment]
