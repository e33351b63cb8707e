"""Logging: one JSON object per line on stdout, which the awslogs driver ships as is."""

from __future__ import annotations

import logging
import sys

from aiohttp.http_exceptions import HttpProcessingError
from pythonjsonlogger.json import JsonFormatter

#: The extra field that comes out as the embedded metric format's ``_aws`` member (service/emf.py).
EMF_FIELD = "aws_emf"


class MalformedRequestFilter(logging.Filter):
    """aiohttp logs a request it cannot parse with a traceback; a client's garbage is not the
    service's error, so it becomes one warning naming what was wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = "malformed request"
            record.args = ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.error = f"{type(error).__name__}: {error.message or error}".strip()
            record.status = error.code
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send every log record to stdout as JSON, with an ISO 8601 UTC timestamp.

    Fields given with ``extra=`` become keys of the object.
    """
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            timestamp="time",
            # The formatter drops "_"-prefixed extras; the CloudWatch metrics lines need _aws.
            rename_fields={"levelname": "level", "name": "logger", EMF_FIELD: "_aws"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestFilter) for f in server.filters):
        server.addFilter(MalformedRequestFilter())
    # The CloudWatch metrics lines (service/emf.py) are data, not chatter: always written.
    logging.getLogger("producer.cloudwatch").setLevel(logging.INFO)
    # The SDK logs every request at DEBUG and credential lookups at INFO.
    for noisy in ("botocore", "aiobotocore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
