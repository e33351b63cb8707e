"""Property-based run of the service's OpenAPI document with schemathesis: no 5xx, and every
answer conforms to the document (status, content type, headers, body schema)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from producer_support import ServiceProcess, http, launch_service
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
]


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def ndjson(context: Any, value: Any) -> bytes:
    """The document shows an NDJSON body as the array of its lines."""
    if isinstance(value, list):
        return b"".join(json.dumps(item).encode() + b"\n" for item in value)
    # Anything but an array has no NDJSON form: send it as one line that is not a record.
    return json.dumps([value]).encode() + b"\n"


@schemathesis.hook
def filter_body(context: Any, body: Any) -> bool:
    # moto routes a hash key equal to a shard's ending key to no shard and answers 500 (its
    # ranges exclude the end, Kinesis' include it): keep the test about the service.
    if not isinstance(body, dict):
        return True
    # JSON Schema counts a string's length in code points; Kinesis counts a partition key in
    # UTF-16 code units, so a key of astral characters within maxLength may still be too long.
    key = body.get("partitionKey")
    if isinstance(key, str) and len(key.encode("utf-16-le", "surrogatepass")) > 2 * 256:
        return False
    return body.get("explicitHashKey") != str(2**128 - 1)


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str, kinesis: Any
) -> Iterator[ServiceProcess]:
    stream = f"test-fuzz-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    service = launch_service(
        tmp_path_factory.mktemp("fuzz"),
        moto_endpoint,
        stream,
        RECORD_MAX_BUFFERED_TIME_MS="10",
        MAX_BATCH_RECORDS="200",
    )
    # A first put confirms the stream writable: from then on records are answered once
    # buffered, as the document describes, without waiting for Kinesis.
    assert http("POST", f"{service.url}/", '{"data":"confirm"}')[0] == 200
    yield service
    service.kill()


def operations(service: ServiceProcess) -> Iterator[Any]:
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation the document does not describe validly
        yield result.ok()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors_and_answers_conform_to_the_document(
    service: ServiceProcess, mode: GenerationMode
) -> None:
    tested = []
    for operation in operations(service):
        if mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET":
            continue  # nothing to make invalid: no parameters, no body
        tested.append(operation.label)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(base_url=service.url, timeout=30)
            case.validate_response(response, checks=CHECKS)

        run()
    # Every route (schemathesis leaves out the one serving the document it was loaded from).
    expected = ["GET /healthcheck", "GET /livez", "GET /metrics", "POST /", "POST /records"]
    if mode is GenerationMode.NEGATIVE:
        expected = expected[3:]
    assert sorted(tested) == expected
    assert service.process.poll() is None
