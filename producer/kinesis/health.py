"""Whether records may be taken now, and why not: the producer's status.

The producer (in whichever process it runs) keeps one :class:`Status`; the HTTP process reads
it to refuse records with a 503 naming the cause, and serves it as readiness
(``GET /healthcheck``, the load balancer's question: may this task take records now?).
Liveness (``GET /livez``, the container health check's question: must this task be
replaced?) fails only for what a new task would cure: a producer process that stopped
answering or cannot be restarted. A Region-side outage fails readiness, never liveness, or
ECS would replace every task in a loop while the service link is down.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Causes of a refusal (the ``status`` of ``/healthcheck`` and the ``error`` of a 503).
STARTING = "starting"
KINESIS_ERROR = "kinesis_error"
KINESIS_UNREACHABLE = "kinesis_unreachable"
OVERLOADED = "overloaded"
SPOOL_FULL = "spool_full"
PRODUCER_RESTARTING = "producer_restarting"
PRODUCER_UNRESPONSIVE = "producer_unresponsive"
PRODUCER_FAILED = "producer_failed"
DRAINING = "draining"

#: Error codes that waiting cannot cure: the stream is missing, or the task may not use it
#: or its KMS key. The producer refuses records until a probe of the stream succeeds again.
FATAL_ERROR_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
        "KMSOptInRequired",
        "ResourceInUseException",
    }
)


@dataclass(frozen=True, slots=True)
class Status:
    """``cause`` is None when records may be taken."""

    cause: str | None = None
    message: str = "ok"
    #: The Kinesis error code behind a ``kinesis_error``.
    error_code: str | None = None
    #: A put succeeded since start (or since the last fatal error): until then the service
    #: waits for each record's put before answering, so that no 200 is given for a record
    #: that cannot be written.
    confirmed: bool = True

    @property
    def ready(self) -> bool:
        return self.cause is None


READY = Status()
