"""What the HTTP service adds to the producer's metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from ..kinesis.metrics import PREFIX


class ServiceMetrics:
    """Requests refused before they reached the producer."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.rejected_requests = Counter(
            f"{PREFIX}_http_rejected_requests",
            "HTTP requests answered with an error status, by status and reason.",
            ["status", "reason"],
            registry=registry,
        )
