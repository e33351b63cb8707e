"""The AWS side: boto3 clients that refuse every call that is not read-only before it is sent,
the account of the credentials, paged listing, and a failed call as a failed row."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from scripts.preflight.report import PreflightError, Row

_READ_ONLY = re.compile(r"^(Describe|Get|List|Head|BatchGet)[A-Z]")
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "Forbidden",
}


class WriteRefused(Exception):
    """An operation that is not read-only was about to be sent."""


def _refuse_writes(model: Any, **_: Any) -> None:
    if not _READ_ONLY.match(model.name):
        raise WriteRefused(f"{model.service_model.service_name}:{model.name} is not read-only")


class Aws:
    """boto3 clients of one Region, each refusing every call that is not read-only."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.session = boto3.session.Session(region_name=region)
        self.config = Config(
            retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30
        )
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self.session.client(service, config=self.config)  # type: ignore[call-overload]
            client.meta.events.register("before-call", _refuse_writes)
            self._clients[service] = client
        return self._clients[service]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def paged(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item under ``key`` of every page of a paginated operation."""
    paginator = client.get_paginator(operation)
    for page in paginator.paginate(**params):
        yield from page.get(key, [])


def caller_account(aws: Aws) -> str:
    """The account of the credentials; no usable credentials is a PreflightError."""
    try:
        identity = aws.client("sts").get_caller_identity()
    except NoCredentialsError:
        raise PreflightError(
            "no AWS credentials found: set AWS_PROFILE (or the AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY variables) to the operator's credentials"
        ) from None
    except ClientError as error:
        raise PreflightError(
            f"AWS refused the credentials ({error_code(error)}): "
            f"{error.response.get('Error', {}).get('Message', '')}"
        ) from None
    except BotoCoreError as error:
        raise PreflightError(f"cannot ask AWS STS who the credentials are: {error}") from None
    return str(identity["Account"])


def failed_call(check: str, error: Exception) -> Row:
    """The row of a check whose call failed (a ClientError or BotoCoreError)."""
    if isinstance(error, ClientError):
        operation = getattr(error, "operation_name", "a call")
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        if code in _DENIED:
            fix = (
                f"allow {operation} to these credentials (preflight needs read-only access: "
                "Describe, Get, List, Head)"
            )
        else:
            fix = "run it again; if it persists, check the credentials and the Region"
        return Row(check, "fail", f"{operation} failed: {code}: {message}", fix)
    return Row(check, "fail", f"could not check: {error}", "check the network, then run it again")
