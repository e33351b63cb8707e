"""The OpenAPI 3.0 document of the HTTP service, served at ``GET /openapi.json``."""

from __future__ import annotations

from typing import Any

from ..kinesis.records import MAX_HASH_KEY, MAX_PARTITION_KEY_LENGTH

#: Media types ``POST /records`` accepts: newline-delimited JSON.
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")


def decimal_at_most_pattern(maximum: int) -> str:
    """A regular expression for decimal integers from 0 to ``maximum``, no leading zeros.

    JSON Schema cannot bound a number written as a string, so the bound goes into the
    pattern: numbers shorter than ``maximum`` are all fine; one of the same length must share
    a prefix with it and then have a smaller digit, or be equal to it.
    """
    digits = str(maximum)
    width = len(digits)
    options = ["0"]
    if width > 1:
        options.append(f"[1-9][0-9]{{0,{width - 2}}}")
    for index, digit in enumerate(digits):
        low = 1 if index == 0 else 0
        if int(digit) - 1 >= low:
            rest = width - index - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            options.append(f"{digits[:index]}[{low}-{int(digit) - 1}]{tail}")
    options.append(digits)
    return "^(" + "|".join(options) + ")$"


EXPLICIT_HASH_KEY_SCHEMA_PATTERN = decimal_at_most_pattern(MAX_HASH_KEY)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _unavailable() -> dict[str, Any]:
    return {
        **_error(
            "Not accepted now: error is back_pressure (outstanding records at their bound), "
            "shutting_down, spool_error (the records could not be written to the spool before "
            "their answer; they may still be put), or a cause of /healthcheck (the stream "
            "missing or refused, Kinesis unreachable, a backlog that would outlive RecordTtl, "
            "the spool full, the producer process restarting or hung). Retry after the given "
            "delay."
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer", "minimum": 0},
            }
        },
    }


def _health(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
    }


def _method_not_allowed() -> dict[str, Any]:
    return _error("The route exists but not for this method.")


def openapi_document(
    max_body_bytes: int, max_batch_body_bytes: int, max_batch_records: int
) -> dict[str, Any]:
    """The document, with the configured limits written into the descriptions."""
    record_schema = {
        "type": "object",
        "description": "One user record.",
        "required": ["data"],
        "additionalProperties": False,
        "properties": {
            "data": {
                "type": "string",
                "minLength": 1,
                "description": "The record; its UTF-8 bytes are written to the stream.",
            },
            "partitionKey": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_PARTITION_KEY_LENGTH,
                "description": "Partition key (default: a random UUID).",
            },
            "explicitHashKey": {
                "type": "string",
                "pattern": EXPLICIT_HASH_KEY_SCHEMA_PATTERN,
                "description": (
                    "Hash key that picks the shard instead of the partition key's MD5: "
                    "a decimal integer from 0 to 2^128 - 1."
                ),
            },
        },
    }
    batch_body = {
        "schema": {
            "type": "array",
            "minItems": 1,
            "maxItems": max_batch_records,
            "items": {"$ref": "#/components/schemas/Record"},
            "description": (
                "Newline-delimited JSON: one Record object per line (shown here as an array "
                "of its lines). Blank lines are ignored."
            ),
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Kinesis producer",
            "version": "1.0.0",
            "description": (
                "Accepts records over HTTP and writes them to a Kinesis data stream with KPL "
                "aggregation. Every error body is a JSON Error object."
            ),
        },
        "paths": {
            "/healthcheck": {
                "get": {
                    "operationId": "healthcheck",
                    "summary": "Readiness, for the load balancer: may this task take records?",
                    "responses": {
                        "200": _health("Records are taken."),
                        "503": _health(
                            "Records are refused now; status names the cause (starting, "
                            "kinesis_error, kinesis_unreachable, overloaded, spool_full, "
                            "producer_restarting, producer_unresponsive, producer_failed, "
                            "draining)."
                        ),
                        "405": _method_not_allowed(),
                    },
                }
            },
            "/livez": {
                "get": {
                    "operationId": "livez",
                    "summary": "Liveness, for the container health check: replace this task?",
                    "responses": {
                        "200": _health("Alive (even while Kinesis is unreachable)."),
                        "503": _health(
                            "The producer process hung or cannot be restarted: replace the task."
                        ),
                        "405": _method_not_allowed(),
                    },
                }
            },
            "/": {
                "post": {
                    "operationId": "putRecord",
                    "summary": "Accept one record.",
                    "description": (
                        "Answers 200 once the record is buffered; with wait=true, once Kinesis "
                        f"confirmed it. Bodies over {max_body_bytes} bytes get 413."
                    ),
                    "parameters": [
                        {
                            "name": "wait",
                            "in": "query",
                            "required": False,
                            "description": "Answer only after Kinesis confirmed the record.",
                            "schema": {"type": "boolean", "default": False},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Record"}}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": (
                                "Accepted (Accepted), or with wait=true put (PutResult)."
                            ),
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/Accepted"},
                                            {"$ref": "#/components/schemas/PutResult"},
                                        ]
                                    }
                                }
                            },
                        },
                        "400": _error(
                            "Invalid body: not JSON, not UTF-8, not an object, data missing, "
                            "empty or not a string, unknown fields, bad partition or hash key."
                        ),
                        "405": _method_not_allowed(),
                        "408": _error("The body did not arrive within BODY_TIMEOUT_MS."),
                        "413": _error(f"Body larger than {max_body_bytes} bytes."),
                        "415": _error("Content-Type is not application/json."),
                        "502": _error(
                            "wait=true only: Kinesis did not take the record within its "
                            "RecordTtl; errorCode says why."
                        ),
                        "503": _unavailable(),
                    },
                }
            },
            "/records": {
                "post": {
                    "operationId": "putRecords",
                    "summary": "Accept a batch of records, all or none.",
                    "description": (
                        f"Up to {max_batch_records} records and {max_batch_body_bytes} bytes. "
                        "Answers 200 once every record is buffered; an invalid line rejects "
                        "the whole batch."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": dict.fromkeys(NDJSON_TYPES, batch_body),
                    },
                    "responses": {
                        "200": {
                            "description": "All records accepted.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Accepted"}
                                }
                            },
                        },
                        "400": _error(
                            "A line is invalid (see line), or the batch is empty or holds more "
                            f"than {max_batch_records} records."
                        ),
                        "405": _method_not_allowed(),
                        "408": _error("The body did not arrive within BODY_TIMEOUT_MS."),
                        "413": _error(
                            f"Body larger than {max_batch_body_bytes} bytes, or a record larger "
                            "than Kinesis' 1 MiB limit."
                        ),
                        "415": _error(f"Content-Type is not one of {', '.join(NDJSON_TYPES)}."),
                        "503": _unavailable(),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics.",
                    "responses": {
                        "200": {
                            "description": "Metrics in the Prometheus text format.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        "405": _method_not_allowed(),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "405": _method_not_allowed(),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Record": record_schema,
                "Accepted": {
                    "type": "object",
                    "required": ["accepted"],
                    "additionalProperties": False,
                    "properties": {
                        "accepted": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "Records accepted.",
                        }
                    },
                },
                "PutResult": {
                    "type": "object",
                    "required": ["shardId", "sequenceNumber", "subSequenceNumber"],
                    "additionalProperties": False,
                    "properties": {
                        "shardId": {"type": "string"},
                        "sequenceNumber": {"type": "string"},
                        "subSequenceNumber": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Position of the record in its aggregated record.",
                        },
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": {"type": "string", "description": "ok, alive, or the cause"},
                        "message": {"type": "string"},
                        "errorCode": {"type": "string"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {
                            "type": "string",
                            "description": "A stable code for the kind of error.",
                        },
                        "message": {"type": "string", "description": "What is wrong."},
                        "field": {
                            "type": "string",
                            "description": "The offending field of the record, if any.",
                        },
                        "line": {
                            "type": "integer",
                            "description": "POST /records: the offending line (from 1).",
                        },
                        "errorCode": {
                            "type": "string",
                            "description": "502: the Kinesis error code of the last attempt.",
                        },
                    },
                },
            }
        },
    }
