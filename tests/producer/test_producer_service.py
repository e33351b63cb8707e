"""The HTTP service, started as ``python -m producer``: records end to end, and bad input."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from producer_support import (
    AWS_ENV,
    ROOT,
    ServiceProcess,
    assert_all_in_stream,
    http,
    launch_service,
    read_stream,
    run_to_exit,
    wait_until,
)
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.timeout(120)

RECEIVED = "kinesis_producer_user_records_received_total"


def wait_until_put(service: ServiceProcess, count: int) -> None:
    wait_until(
        lambda: (
            service.metrics().get("kinesis_producer_user_records_put_total", 0) >= count
            and service.metrics()["kinesis_producer_outstanding_user_records"] == 0
        ),
        40,
        f"{count} records put",
    )


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


@pytest.mark.parametrize("own_process", ["true", "false"])
def test_records_in_over_http_are_in_the_stream_once_in_their_shard(
    kinesis: Any,
    make_stream: Callable[[int], str],
    start_service: Callable[..., ServiceProcess],
    own_process: str,
) -> None:
    stream = make_stream(3)
    service = start_service(stream, PRODUCER_PROCESS=own_process)
    (listening,) = [line for line in service.log_lines() if line.get("message") == "listening"]
    assert listening["producer_process"] is (own_process == "true")
    sent: dict[bytes, tuple[str | None, str | None]] = {}
    texts = ["plain", "ünïcödé ✓ 🚀", 'quotes " and \\ backslashes', "new\nline\ttab", " "]

    for n in range(120):
        data = f"{texts[n % len(texts)]} #{n} {uuid.uuid4()}"
        body: dict[str, Any] = {"data": data}
        key: str | None = None
        explicit: str | None = None
        if n % 3 == 1:
            key = body["partitionKey"] = f"customer-{n % 7}"
        if n % 5 == 2:
            explicit = body["explicitHashKey"] = str((n * 2**121 + 12345) % (2**128 - 1))
        status, headers, answer = http("POST", f"{service.url}/", json.dumps(body))
        assert (status, json.loads(answer)) == (200, {"accepted": 1})
        assert headers["Content-Type"].startswith("application/json")
        sent[data.encode()] = (key, explicit)

    # The sample's request, byte for byte.
    status, _, _ = http("POST", f"{service.url}/", '{"data":" This is a testing record"}')
    assert status == 200
    sent[b" This is a testing record"] = (None, None)

    large = "L" * 1_000_000
    assert http("POST", f"{service.url}/", json.dumps({"data": large}))[0] == 200
    sent[large.encode()] = (None, None)

    for batch in range(4):
        records = []
        for n in range(250):
            record: dict[str, Any] = {"data": f"batch {batch} line {n} ✓ {uuid.uuid4()}"}
            if n % 4 == 0:
                record["partitionKey"] = f"k{n}"
            if n % 9 == 0:
                record["explicitHashKey"] = str(n * 10**30)
            records.append(record)
            sent[record["data"].encode()] = (
                record.get("partitionKey"),
                record.get("explicitHashKey"),
            )
        body_bytes = ndjson(records).replace(b"\n", b"\r\n", 3) + b"\n\n"  # blank lines, CRLF
        status, _, answer = http(
            "POST", f"{service.url}/records", body_bytes, "application/x-ndjson"
        )
        assert (status, json.loads(answer)) == (200, {"accepted": 250})

    status, _, answer = http(
        "POST", f"{service.url}/?wait=true", '{"data":"confirmed","partitionKey":"w"}'
    )
    assert status == 200
    confirmed = json.loads(answer)
    assert set(confirmed) == {"shardId", "sequenceNumber", "subSequenceNumber"}
    sent[b"confirmed"] = ("w", None)

    wait_until_put(service, len(sent))
    stored = assert_all_in_stream(kinesis, stream, sent)
    (where,) = [r for r in stored if r.data == b"confirmed"]
    assert (where.shard_id, where.sequence_number, where.sub_sequence_number) == (
        confirmed["shardId"],
        confirmed["sequenceNumber"],
        confirmed["subSequenceNumber"],
    )
    random_keys = [r.partition_key for r in stored if sent[r.data][0] is None]
    assert len(set(random_keys)) == len(random_keys)
    assert all(uuid.UUID(key).version == 4 for key in random_keys)
    metrics = service.metrics()
    assert metrics["kinesis_producer_user_records_put_total"] == len(sent)
    assert metrics["kinesis_producer_kinesis_records_put_total"] < len(sent) / 5
    exit_status, seconds = service.terminate()
    assert exit_status == 0 and seconds <= 10, (exit_status, seconds)
    for line in service.log_lines():
        assert {"level", "logger", "message", "time"} <= line.keys(), line


# Bad input -----------------------------------------------------------------------------------

MAX_BATCH_RECORDS = 50
MAX_BATCH_BODY = 2 * 1024 * 1024
MAX_BODY = 1_047_552


@pytest.fixture(scope="module")
def quiet_stream(kinesis: Any) -> str:
    name = f"test-bad-input-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return name


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str, quiet_stream: str
) -> Iterator[ServiceProcess]:
    service = launch_service(
        tmp_path_factory.mktemp("bad-input"),
        moto_endpoint,
        quiet_stream,
        MAX_BATCH_RECORDS=str(MAX_BATCH_RECORDS),
        MAX_BATCH_BODY_BYTES=str(MAX_BATCH_BODY),
    )
    yield service
    service.kill()


BAD_RECORDS: list[tuple[str, bytes, str, int, str]] = [
    # (id, body, content type, status, error)
    ("truncated JSON", b'{"data":', "application/json", 400, "invalid_json"),
    ("not JSON", b"data=hello", "application/json", 400, "invalid_json"),
    ("empty body", b"", "application/json", 400, "invalid_json"),
    ("deeply nested", b"[" * 100_000, "application/json", 400, "invalid_json"),
    ("array", b'[{"data":"x"}]', "application/json", 400, "not_an_object"),
    ("string", b'"x"', "application/json", 400, "not_an_object"),
    ("null", b"null", "application/json", 400, "not_an_object"),
    ("number", b"42", "application/json", 400, "not_an_object"),
    ("data missing", b"{}", "application/json", 400, "missing_data"),
    ("only a key", b'{"partitionKey":"k"}', "application/json", 400, "missing_data"),
    ("data null", b'{"data":null}', "application/json", 400, "missing_data"),
    ("data number", b'{"data":42}', "application/json", 400, "invalid_data"),
    ("data list", b'{"data":["x"]}', "application/json", 400, "invalid_data"),
    ("data object", b'{"data":{"x":1}}', "application/json", 400, "invalid_data"),
    ("data bool", b'{"data":true}', "application/json", 400, "invalid_data"),
    ("data empty", b'{"data":""}', "application/json", 400, "invalid_data"),
    ("lone surrogate", b'{"data":"\\ud800"}', "application/json", 400, "invalid_data"),
    ("unknown field", b'{"data":"x","Data":"y"}', "application/json", 400, "unknown_fields"),
    ("invalid UTF-8", b'{"data":"\xff\xfe"}', "application/json", 400, "invalid_utf8"),
    ("Latin-1 body", '{"data":"é"}'.encode("latin-1"), "application/json", 400, "invalid_utf8"),
    ("key too long", b'{"data":"x","partitionKey":"%s"}' % (b"k" * 257), "application/json",
     400, "invalid_partition_key"),
    ("key empty", b'{"data":"x","partitionKey":""}', "application/json", 400,
     "invalid_partition_key"),
    # 129 characters outside the BMP: 258 UTF-16 code units, as Kinesis and the KPL count.
    ("key of 129 emoji", json.dumps({"data": "x", "partitionKey": "🚀" * 129}).encode(),
     "application/json", 400, "invalid_partition_key"),
    ("key number", b'{"data":"x","partitionKey":5}', "application/json", 400,
     "invalid_partition_key"),
    ("hash key letters", b'{"data":"x","explicitHashKey":"abc"}', "application/json", 400,
     "invalid_explicit_hash_key"),
    ("hash key negative", b'{"data":"x","explicitHashKey":"-1"}', "application/json", 400,
     "invalid_explicit_hash_key"),
    ("hash key leading zero", b'{"data":"x","explicitHashKey":"01"}', "application/json", 400,
     "invalid_explicit_hash_key"),
    ("hash key 2^128", b'{"data":"x","explicitHashKey":"%d"}' % 2**128, "application/json",
     400, "invalid_explicit_hash_key"),
    ("hash key number", b'{"data":"x","explicitHashKey":5}', "application/json", 400,
     "invalid_explicit_hash_key"),
    ("text/plain", b'{"data":"x"}', "text/plain", 415, "unsupported_media_type"),
    ("form", b"data=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("ndjson to /", b'{"data":"x"}\n', "application/x-ndjson", 415, "unsupported_media_type"),
    ("too large", b'{"data":"%s"}' % (b"x" * (MAX_BODY - 11 + 1)), "application/json", 413,
     "body_too_large"),
]  # fmt: skip


def assert_error(
    status: int, headers: dict[str, str], body: bytes, expected: tuple[int, str]
) -> dict[str, Any]:
    assert status == expected[0], body
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)
    assert error["error"] == expected[1], error
    assert isinstance(error["message"], str) and len(error["message"]) > 10
    return error


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [case[1:] for case in BAD_RECORDS],
    ids=[case[0] for case in BAD_RECORDS],
)
def test_bad_records_get_a_4xx_that_says_why(
    service: ServiceProcess, body: bytes, content_type: str, status: int, code: str
) -> None:
    before = service.metrics()[RECEIVED]
    answer = http("POST", f"{service.url}/", body, content_type)
    error = assert_error(*answer, expected=(status, code))
    if code.startswith("invalid_") and code not in ("invalid_json", "invalid_utf8"):
        assert error["field"] in {"data", "partitionKey", "explicitHashKey"}
    assert service.metrics()[RECEIVED] == before


def test_a_body_of_exactly_the_limit_is_accepted(service: ServiceProcess) -> None:
    body = b'{"data":"%s"}' % (b"x" * (MAX_BODY - 11))
    assert len(body) == MAX_BODY
    assert http("POST", f"{service.url}/", body)[0] == 200


def test_a_chunked_body_over_the_limit_is_refused(service: ServiceProcess) -> None:
    chunks = iter([b'{"data":"', b"x" * MAX_BODY, b'"}'])
    answer = http("POST", f"{service.url}/", chunks, headers={"Transfer-Encoding": "chunked"})
    assert_error(*answer, expected=(413, "body_too_large"))


def test_a_missing_content_type_is_refused(service: ServiceProcess) -> None:
    answer = http("POST", f"{service.url}/", b'{"data":"x"}', content_type=None)
    assert_error(*answer, expected=(415, "unsupported_media_type"))


def test_wait_must_be_a_boolean(service: ServiceProcess) -> None:
    answer = http("POST", f"{service.url}/?wait=maybe", b'{"data":"x"}')
    assert_error(*answer, expected=(400, "invalid_parameter"))


BAD_BATCHES: list[tuple[str, bytes, str, int, str, int | None]] = [
    # (id, body, content type, status, error, line)
    ("bad second line", b'{"data":"a"}\n{"data":5}\n', "application/x-ndjson", 400,
     "invalid_data", 2),
    ("not JSON on line 3", b'{"data":"a"}\n\n{oops\n', "application/jsonl", 400,
     "invalid_json", 3),
    ("unknown field", b'{"data":"a","x":1}\n', "application/x-ndjson", 400, "unknown_fields", 1),
    ("bad UTF-8", b'{"data":"a"}\n{"data":"\xc3"}\n', "application/x-ndjson", 400,
     "invalid_utf8", 2),
    ("empty", b"", "application/x-ndjson", 400, "empty_batch", None),
    ("blank lines only", b"\n \n\r\n", "application/x-ndjson", 400, "empty_batch", None),
    ("JSON array", b'[{"data":"a"}]', "application/x-ndjson", 400, "not_an_object", 1),
    ("as JSON", b'{"data":"a"}\n', "application/json", 415, "unsupported_media_type", None),
    ("too many", b'{"data":"a"}\n' * (MAX_BATCH_RECORDS + 1), "application/x-ndjson", 400,
     "too_many_records", None),
    ("too large", b'{"data":"%s"}\n' % (b"x" * MAX_BATCH_BODY), "application/x-ndjson", 413,
     "body_too_large", None),
    ("record over 1 MiB", b'{"data":"ok"}\n{"data":"%s"}\n' % (b"x" * (1024 * 1024)),
     "application/x-ndjson", 413, "record_too_large", 2),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "line"),
    [case[1:] for case in BAD_BATCHES],
    ids=[case[0] for case in BAD_BATCHES],
)
def test_bad_batches_are_refused_whole(
    service: ServiceProcess,
    body: bytes,
    content_type: str,
    status: int,
    code: str,
    line: int | None,
) -> None:
    before = service.metrics()[RECEIVED]
    error = assert_error(
        *http("POST", f"{service.url}/records", body, content_type), expected=(status, code)
    )
    assert error.get("line") == line
    assert service.metrics()[RECEIVED] == before


def test_unknown_routes_and_methods_get_json_errors(service: ServiceProcess) -> None:
    assert_error(*http("GET", f"{service.url}/nowhere"), expected=(404, "not_found"))
    status, headers, body = http("GET", f"{service.url}/")
    assert_error(status, headers, body, expected=(405, "method_not_allowed"))
    assert headers["Allow"] == "POST"
    assert_error(*http("DELETE", f"{service.url}/records"), expected=(405, "method_not_allowed"))


def test_bad_input_never_reached_the_stream(
    kinesis: Any, quiet_stream: str, service: ServiceProcess
) -> None:
    """Runs after the cases above: only the one valid record is in the stream."""
    wait_until_put(service, 1)
    assert service.metrics()[RECEIVED] == 1
    data = sorted(len(record.data) for record in read_stream(kinesis, quiet_stream))
    assert data == [MAX_BODY - 11]


# Health, metrics, OpenAPI, logs, configuration -------------------------------------------------


def test_health_check(service: ServiceProcess) -> None:
    status, _headers, body = http("GET", f"{service.url}/healthcheck")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_metrics_in_prometheus_text_format(service: ServiceProcess) -> None:
    status, headers, body = http("GET", f"{service.url}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    for name, kind in {
        "kinesis_producer_user_records_received": "counter",
        "kinesis_producer_user_records_put": "counter",
        "kinesis_producer_user_records_failed": "counter",
        "kinesis_producer_kinesis_records_put": "counter",
        "kinesis_producer_put_records_calls": "counter",
        "kinesis_producer_retries": "counter",
        "kinesis_producer_outstanding_user_records": "gauge",
        "kinesis_producer_outstanding_bytes": "gauge",
        "kinesis_producer_buffering_seconds": "histogram",
        "kinesis_producer_put_records_seconds": "histogram",
        "kinesis_producer_http_rejected_requests": "counter",
    }.items():
        assert families[name].type == kind, name
    rejected = {
        (s.labels["status"], s.labels["reason"])
        for s in families["kinesis_producer_http_rejected_requests"].samples
    }
    assert ("415", "unsupported_media_type") in rejected


def test_openapi_document_is_valid_and_covers_every_route(service: ServiceProcess) -> None:
    status, _, body = http("GET", f"{service.url}/openapi.json")
    assert status == 200
    document = json.loads(body)
    validate(document)
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations == {
        ("/healthcheck", "get"),
        ("/livez", "get"),
        ("/", "post"),
        ("/records", "post"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    }
    put = document["paths"]["/"]["post"]["responses"]
    assert {"200", "400", "413", "415", "502", "503"} <= put.keys()
    assert {"200", "400", "413", "415", "503"} <= document["paths"]["/records"]["post"][
        "responses"
    ].keys()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PORT", "eighty"), ("RECORD_TTL_MS", "-5"), ("MAX_OUTSTANDING_RECORDS", "0")],
)
def test_invalid_configuration_is_named_without_a_traceback(variable: str, value: str) -> None:
    env = {**os.environ, **AWS_ENV, "STREAM_NAME": "s", "REGION": "us-east-1", variable: value}
    result = run_to_exit({**env, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert f"{variable}='{value}'" in output
    assert "Traceback" not in output
    (log_line,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert log_line["level"] == "ERROR" and variable in log_line["error"]


def test_a_missing_stream_name_is_named(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STREAM_NAME"}
    result = run_to_exit({**env, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert "STREAM_NAME is not set" in result.stderr


def test_readme_documents_every_variable_with_its_default() -> None:
    from producer.service.settings import Settings

    readme = (ROOT / "producer" / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+?) \|", readme, flags=re.MULTILINE))
    assert set(rows) == {name.upper() for name in Settings.model_fields}
    for name, field in Settings.model_fields.items():
        if field.is_required():
            assert rows[name.upper()] == "(required)"
        elif field.default is None:
            assert rows[name.upper()].startswith("(")
        else:
            default = field.default
            text = str(default).lower() if isinstance(default, bool) else str(default)
            assert rows[name.upper()] == f"`{text}`", name
