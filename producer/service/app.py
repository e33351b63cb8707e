"""The HTTP service: records in over HTTP, into the producer; health, metrics, OpenAPI.

Routes (see ``openapi.py`` for the full contract)::

    GET  /healthcheck      readiness: 200 while records may be taken, else 503 naming the cause
    GET  /livez            liveness: 200 unless only a new task would help (hung producer)
    POST /                 one record: {"data": "...", "partitionKey"?, "explicitHashKey"?}
    POST /records          newline-delimited JSON records, all or none
    GET  /metrics          Prometheus text format
    GET  /openapi.json     the OpenAPI document

Invalid input never reaches the producer and gets a 4xx whose JSON body says what is wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from uuid_utils import uuid4

from ..kinesis.health import DRAINING, Status
from ..kinesis.protocol import Producer
from ..kinesis.records import (
    BackPressureError,
    InvalidRecordError,
    ProducerClosedError,
    RecordInput,
    RecordTooLargeError,
    UnavailableError,
    UserRecordFailedError,
    UserRecordResult,
)
from ..process.cpus import wants_own_process
from ..process.front import ProducerProcess, ProducerStartError
from .emf import METRICS_LOG, EmfReporter
from .metrics import ServiceMetrics
from .openapi import NDJSON_TYPES, openapi_document
from .settings import Settings

log = logging.getLogger(__name__)

_RECORD_FIELDS = frozenset({"data", "partitionKey", "explicitHashKey"})
_ACCEPTED_ONE = b'{"accepted":1}'
_HEALTH_OK = b'{"status":"ok"}'
_ALIVE = b'{"status":"alive"}'
_DRAINING = Status(DRAINING, "the service is shutting down")
#: Seconds a client should wait after a 503.
RETRY_AFTER_SECONDS = 1

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpError(Exception):
    """An error answer: status, a stable code, a message, and extra JSON fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        close: bool = False,
        **fields: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.close = close
        self.fields = fields

    def response(self) -> web.Response:
        body = {"error": self.code, "message": self.message, **self.fields}
        response = web.json_response(body, status=self.status, headers=self.headers)
        if self.close:
            response.force_close()
        return response


def _bad_request(code: str, message: str, **fields: Any) -> NoReturn:
    raise HttpError(400, code, message, **fields)


def _load_json_refused(body: bytes, where: dict[str, Any]) -> Any:
    """Parse JSON that orjson (used first, for speed) refused, or explain what is wrong.

    orjson refuses some JSON the standard library takes (NaN, lone surrogate escapes, numbers
    beyond 64 bits); those bodies get the standard library's reading, so the answer never
    depends on which parser ran, and invalid UTF-8 gets its own error.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        _bad_request("invalid_utf8", f"body is not valid UTF-8: {error.reason}", **where)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        _bad_request("invalid_json", f"body is not valid JSON: {error}", **where)


def _parse_record(body: bytes, /, **where: Any) -> tuple[bytes, str | None, str | None]:
    """Validate one JSON record; return (data bytes, partition key, explicit hash key)."""
    try:
        record = orjson.loads(body)
    except orjson.JSONDecodeError:
        record = _load_json_refused(body, where)
    # The sample's body, {"data": "<non-empty string>"}, checked inline: this runs per record.
    if type(record) is dict and len(record) == 1:
        data = record.get("data")
        if type(data) is str and data:
            try:
                return data.encode(), None, None
            except UnicodeEncodeError:
                pass
    return _check_record(record, where)


def _check_record(record: Any, where: dict[str, Any]) -> tuple[bytes, str | None, str | None]:
    """The full checks of a parsed record, each with the error that explains it."""
    if not isinstance(record, dict):
        _bad_request(
            "not_an_object",
            f"body must be a JSON object, not {type(record).__name__}",
            **where,
        )
    if not record.keys() <= _RECORD_FIELDS:
        unknown = sorted(record.keys() - _RECORD_FIELDS)
        _bad_request(
            "unknown_fields",
            f"unknown fields {unknown}; allowed: data, partitionKey, explicitHashKey",
            **where,
        )
    data = record.get("data")
    if data is None:
        _bad_request("missing_data", '"data" is missing (or null)', field="data", **where)
    if not isinstance(data, str):
        _bad_request("invalid_data", '"data" must be a string', field="data", **where)
    if not data:
        _bad_request("invalid_data", '"data" must not be empty', field="data", **where)
    try:
        data_bytes = data.encode("utf-8")
    except UnicodeEncodeError:
        _bad_request(
            "invalid_data",
            '"data" is not valid Unicode (it holds a lone surrogate escape)',
            field="data",
            **where,
        )
    key = record.get("partitionKey")
    if "partitionKey" in record and not isinstance(key, str):
        _bad_request(
            "invalid_partition_key",
            '"partitionKey" must be a string',
            field="partitionKey",
            **where,
        )
    hash_key = record.get("explicitHashKey")
    if "explicitHashKey" in record and not isinstance(hash_key, str):
        _bad_request(
            "invalid_explicit_hash_key",
            '"explicitHashKey" must be a string',
            field="explicitHashKey",
            **where,
        )
    return data_bytes, key, hash_key


def _invalid_record(error: InvalidRecordError, **where: Any) -> HttpError:
    if isinstance(error, RecordTooLargeError):
        return HttpError(413, "record_too_large", str(error), field=error.field, **where)
    code = {"partitionKey": "invalid_partition_key", "explicitHashKey": "invalid_explicit_hash_key"}
    return HttpError(
        400, code.get(error.field, "invalid_data"), str(error), field=error.field, **where
    )


class ProducerService:
    """The aiohttp application in front of a started :class:`Producer`."""

    def __init__(self, producer: Producer, settings: Settings) -> None:
        self.producer = producer
        self.settings = settings
        self.draining = False
        self._bytes_reading = 0
        self._body_timeout = settings.body_timeout_ms / 1000
        self.metrics = ServiceMetrics(producer.registry)
        self._openapi = json.dumps(
            openapi_document(
                settings.max_body_bytes, settings.max_batch_body_bytes, settings.max_batch_records
            ),
            indent=1,
        ).encode()
        # No middleware: aiohttp would wrap every handler in it per request, which measured
        # as several percent of a request's cost. Handlers catch their own errors, and
        # fallback routes give 404 and 405 the same JSON shape.
        self.app = web.Application(
            # Bodies are read and bounded per route (_read_body); this only has to let them in.
            client_max_size=max(settings.max_body_bytes, settings.max_batch_body_bytes) + 1,
        )
        router = self.app.router
        routes: list[tuple[str, str, Handler]] = [
            ("/healthcheck", "GET", self.healthcheck),
            ("/livez", "GET", self.livez),
            ("/", "POST", self.put_record),
            ("/records", "POST", self.put_records),
            ("/metrics", "GET", self.metrics_text),
            ("/openapi.json", "GET", self.openapi),
        ]
        for path, method, handler in routes:
            if method == "GET":
                router.add_get(path, handler)  # and HEAD
            else:
                router.add_route(method, path, handler)
            allowed = "GET, HEAD" if method == "GET" else method
            router.add_route("*", path, self._method_not_allowed(allowed))
        router.add_route("*", "/{path:.*}", self.not_found)

    def start_draining(self) -> None:
        """Shutting down: fail the health check and refuse records from now on."""
        self.draining = True

    def _error(self, error: HttpError) -> web.Response:
        self.metrics.rejected_requests.labels(str(error.status), error.code).inc()
        return error.response()

    def _method_not_allowed(self, allowed: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            return self._error(
                HttpError(
                    405,
                    "method_not_allowed",
                    f"{request.method} is not allowed on {request.path}; use {allowed}",
                    {"Allow": allowed},
                )
            )

        return handler

    async def not_found(self, request: web.Request) -> web.Response:
        return self._error(HttpError(404, "not_found", f"there is no {request.path}"))

    # Routes ---------------------------------------------------------------------------------

    def status(self) -> Status:
        """Readiness: why records cannot be taken now (``cause`` None: they can)."""
        return _DRAINING if self.draining else self.producer.status

    async def healthcheck(self, request: web.Request) -> web.Response:
        status = self.status()
        if status.cause is None:
            return web.Response(body=_HEALTH_OK, content_type="application/json")
        body: dict[str, Any] = {"status": status.cause, "message": status.message}
        if status.error_code:
            body["errorCode"] = status.error_code
        return web.json_response(body, status=503)

    async def livez(self, request: web.Request) -> web.Response:
        if self.producer.alive:
            return web.Response(body=_ALIVE, content_type="application/json")
        status = self.producer.status
        return web.json_response(
            {"status": status.cause or "dead", "message": status.message}, status=503
        )

    async def put_record(self, request: web.Request) -> web.Response:
        try:
            self._check_accepting()
            if request.content_type != "application/json":
                self._unsupported_media_type(request, "application/json")
            wait = self._wait(request) if request.query_string else False
            body = await self._read_body(request, self.settings.max_body_bytes)
            data, key, hash_key = _parse_record(body)
            if key is None:
                key = str(uuid4())
            # Until a put succeeded, the stream may be listed yet not writable: the answer
            # waits for the put, so that no 200 is given for a record that cannot be written.
            confirming = not self.producer.status.confirmed
            try:
                if not wait and not confirming:
                    # Fire and forget, as the sample does: no future to make or complete.
                    self.producer.add_user_record_nowait(key, data, hash_key)
                    await self._durable()
                    return web.Response(body=_ACCEPTED_ONE, content_type="application/json")
                future = self.producer.add_user_record(key, data, hash_key)
            except InvalidRecordError as error:
                raise _invalid_record(error) from None
            except (BackPressureError, ProducerClosedError, UnavailableError) as error:
                raise self._unavailable(error) from None
            try:
                # The record goes on even if this client goes away.
                result = await asyncio.shield(future)
            except UserRecordFailedError as error:
                if not wait:
                    raise self._not_written(error) from None
                raise HttpError(
                    502,
                    "put_failed",
                    f"Kinesis did not take the record: {error}",
                    errorCode=error.error_code or "Unknown",
                ) from None
            if not wait:
                return web.Response(body=_ACCEPTED_ONE, content_type="application/json")
        except HttpError as error:
            return self._error(error)
        return web.json_response(
            {
                "shardId": result.shard_id,
                "sequenceNumber": result.sequence_number,
                "subSequenceNumber": result.sub_sequence_number,
            }
        )

    async def put_records(self, request: web.Request) -> web.Response:
        try:
            self._check_accepting()
            if request.content_type not in NDJSON_TYPES:
                self._unsupported_media_type(request, " or ".join(NDJSON_TYPES))
            body = await self._read_body(request, self.settings.max_batch_body_bytes)
            count, futures = self._parse_batch(body)
            if futures:
                await self._confirm(futures)
            else:
                await self._durable()
        except HttpError as error:
            return self._error(error)
        return web.Response(body=b'{"accepted":%d}' % count, content_type="application/json")

    async def _durable(self) -> None:
        """Before a 200: the records are on the spool's device as SPOOL_FSYNC promises."""
        try:
            await self.producer.durable()
        except UnavailableError as error:
            raise self._unavailable(error) from None
        except (OSError, ProducerClosedError) as error:
            raise HttpError(
                503,
                "spool_error",
                f"the records could not be written to the spool: {error}",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None

    async def _confirm(self, futures: list[asyncio.Future[UserRecordResult]]) -> None:
        """Wait for the puts of a batch taken before the stream was confirmed writable."""
        results = await asyncio.shield(asyncio.gather(*futures, return_exceptions=True))
        failed = [result for result in results if isinstance(result, UserRecordFailedError)]
        if failed:
            raise self._not_written(failed[0], len(failed), len(results))

    def _not_written(self, error: UserRecordFailedError, failed: int = 1, of: int = 1) -> HttpError:
        """A record taken while the stream was not yet confirmed writable, then not put."""
        status = self.producer.status
        counted = f"{failed} of {of} records" if of > 1 else "the record"
        return HttpError(
            503,
            status.cause or "put_failed",
            f"Kinesis did not take {counted}: {error}",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
            errorCode=error.error_code or "Unknown",
        )

    def _parse_batch(self, body: bytes) -> tuple[int, list[asyncio.Future[UserRecordResult]]]:
        limit = self.settings.max_batch_records
        records: list[RecordInput] = []
        line_numbers = []
        for number, line in enumerate(body.split(b"\n"), start=1):
            if not line.strip():
                continue
            if len(records) == limit:
                _bad_request("too_many_records", f"a batch holds at most {limit} records")
            data, key, hash_key = _parse_record(line, line=number)
            records.append((str(uuid4()) if key is None else key, data, hash_key))
            line_numbers.append(number)
        if not records:
            _bad_request("empty_batch", "the batch holds no records")
        confirming = not self.producer.status.confirmed
        try:
            futures = self.producer.add_user_records(records, futures=confirming)
        except InvalidRecordError as error:
            raise _invalid_record(error, line=line_numbers[error.index or 0]) from None
        except (BackPressureError, ProducerClosedError, UnavailableError) as error:
            raise self._unavailable(error) from None
        return len(records), futures

    async def metrics_text(self, request: web.Request) -> web.Response:
        await self.producer.refresh_metrics()
        return web.Response(
            body=generate_latest(self.producer.registry),
            headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4},
        )

    async def openapi(self, request: web.Request) -> web.Response:
        return web.Response(body=self._openapi, content_type="application/json")

    # Helpers --------------------------------------------------------------------------------

    def _check_accepting(self) -> None:
        if self.draining:
            raise self._unavailable(ProducerClosedError("the service is shutting down"))
        status = self.producer.status
        if status.cause is not None:
            raise self._unavailable(
                UnavailableError(status.cause, status.message, status.error_code)
            )

    def _unavailable(self, error: Exception) -> HttpError:
        fields: dict[str, Any] = {}
        if isinstance(error, UnavailableError):
            code = error.cause
            if error.error_code:
                fields["errorCode"] = error.error_code
        else:
            code = "back_pressure" if isinstance(error, BackPressureError) else "shutting_down"
        return HttpError(
            503, code, str(error), headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, **fields
        )

    def _unsupported_media_type(self, request: web.Request, expected: str) -> NoReturn:
        given = request.headers.get("Content-Type", "none")
        raise HttpError(
            415, "unsupported_media_type", f"Content-Type must be {expected}, not {given}"
        )

    def _wait(self, request: web.Request) -> bool:
        value = request.query.get("wait")
        if value is None or value == "false":
            return False
        if value == "true":
            return True
        _bad_request("invalid_parameter", f"wait must be true or false, not {value!r}")

    def _back_pressure(self, reading: int) -> None:
        """Refuse a request (at least one record) that the limits would refuse, counting the
        bodies being read, with ``reading`` more bytes of this one."""
        producer = self.producer
        admission = producer.admission
        records, held = producer.outstanding_records, producer.outstanding_bytes
        if not admission.fits(records, held + self._bytes_reading, 1, reading):
            raise self._unavailable(admission.back_pressure_error(records, held))

    async def _read_body(self, request: web.Request, limit: int) -> bytes:
        """Read the body, at most ``limit`` bytes, within BODY_TIMEOUT_MS; refuse at once what
        back-pressure would refuse once it is read.

        Bodies being read count against the outstanding-bytes bound too, as their bytes
        arrive (a client that declares a large body and trickles it holds only what it sent),
        so that a burst of large requests is turned away instead of being held in memory.
        """
        length = request.content_length
        if length is not None and length > limit:
            self._too_large(limit)
        self._back_pressure(0)
        content = request.content
        if length is not None and content.is_eof():
            # Arrived with the head (the common, small request): nothing to wait for.
            return await request.read()
        reserved = 0
        chunks = []
        try:
            async with asyncio.timeout(self._body_timeout):
                async for chunk in content.iter_any():
                    reserved += len(chunk)
                    if reserved > limit:
                        self._too_large(limit)
                    self._back_pressure(len(chunk))
                    self._bytes_reading += len(chunk)
                    chunks.append(chunk)
        except TimeoutError:
            raise HttpError(
                408,
                "body_timeout",
                f"the body did not arrive within {self._body_timeout:g} s",
                close=True,
            ) from None
        finally:
            self._bytes_reading -= sum(map(len, chunks))
        return b"".join(chunks)

    def _too_large(self, limit: int) -> NoReturn:
        raise HttpError(413, "body_too_large", f"the body is larger than {limit} bytes", close=True)


async def start_producer(settings: Settings, on_exit: Callable[[], None]) -> Producer:
    """The producer in a process of its own, or in this one (PRODUCER_PROCESS). Either way,
    with a spool a record's 200 waits until it is written there (:meth:`Producer.durable`)."""
    if wants_own_process(settings.producer_process):
        process = ProducerProcess(
            settings.stream_name,
            region=settings.region,
            config=settings.producer_config(),
            log_level=settings.log_level,
            orphan_timeout=settings.shutdown_timeout_ms / 1000,
            on_exit=on_exit,
            heartbeat_timeout=settings.heartbeat_timeout_ms / 1000,
        )
        await process.start()
        return process
    # Imported here: the HTTP process needs the AWS SDK only when the producer runs in it.
    from botocore.exceptions import BotoCoreError

    from ..kinesis.core import KinesisProducer

    producer = KinesisProducer(
        settings.stream_name, region=settings.region, config=settings.producer_config()
    )
    try:
        await producer.start()
    except BotoCoreError as error:
        raise ProducerStartError(f"cannot create the Kinesis client: {error}") from None
    except OSError as error:
        raise ProducerStartError(f"cannot open the spool: {error}") from None
    return producer


def _write_metrics(reporter: EmfReporter) -> None:
    # The period's line, then one per error code and refusal reason seen in it.
    for line in reporter.lines():
        METRICS_LOG.info("metrics", extra=line)


async def _report_metrics(producer: Producer, reporter: EmfReporter, interval: float) -> None:
    """A CloudWatch metrics line every ``interval`` seconds (none when 0)."""
    if not interval:
        return
    while True:
        await asyncio.sleep(interval)
        try:
            await producer.refresh_metrics()
        except Exception as error:  # the line still goes out, with what the registry holds
            log.warning("cannot refresh the metrics", extra={"error": str(error)})
        _write_metrics(reporter)


async def run_service(
    settings: Settings,
    stop: asyncio.Event | None = None,
    on_started: Callable[[int], None] | None = None,
) -> int:
    """Run until SIGTERM or SIGINT (or ``stop``), then shut down gracefully; return an exit code.

    Shutting down: the health check turns 503 at once so the load balancer drains this target,
    new records get 503, everything buffered is put (for at most SHUTDOWN_TIMEOUT_MS), and the
    server closes. Exits 0 when no record answered 200 was lost or left unconfirmed during the
    whole life of the process; 1 when some were (the "stopped" line says how many), or the
    producer process could not be restarted.
    """
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    service: ProducerService | None = None

    def producer_exited() -> None:
        # Nothing can be put any more: fail the health check so that the task is replaced.
        if service is not None:
            service.start_draining()
        stop.set()

    producer = await start_producer(settings, producer_exited)
    service = ProducerService(producer, settings)
    runner = web.AppRunner(
        service.app,
        handle_signals=False,
        access_log=log if settings.access_log else None,
        # Handlers still running once the producer is closed are only waiting to answer.
        shutdown_timeout=2.0,
        keepalive_timeout=settings.keepalive_timeout_ms / 1000,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, backlog=1024)
    try:
        await site.start()
    except OSError as error:
        log.error(
            "cannot listen",
            extra={"host": settings.host, "port": settings.port, "error": str(error)},
        )
        await runner.cleanup()
        await producer.close(timeout=0)
        return 1
    port = runner.addresses[0][1] if runner.addresses else settings.port

    def begin_shutdown(signal_name: str) -> None:
        if not stop.is_set():
            log.info("shutting down", extra={"signal": signal_name})
            # At once, in the signal handler: no record is accepted after this point.
            service.start_draining()
            stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, begin_shutdown, signal.Signals(signum).name)
    log.info(
        "listening",
        extra={
            "port": port,
            "stream": settings.stream_name,
            "region": settings.region,
            "shards": producer.shards,
            "producer_process": isinstance(producer, ProducerProcess),
        },
    )
    if on_started is not None:
        on_started(port)
    reporter = EmfReporter(producer.registry, settings.stream_name)
    interval = settings.metrics_log_interval_ms / 1000
    metrics_task = asyncio.create_task(_report_metrics(producer, reporter, interval))
    try:
        await stop.wait()
        service.start_draining()
        started = loop.time()
        abandoned = await producer.close(timeout=settings.shutdown_timeout_ms / 1000)
        await runner.cleanup()
    finally:
        metrics_task.cancel()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    if interval:
        # The last minute's counts, what the shutdown lost included.
        _write_metrics(reporter)
    lost, unconfirmed = producer.lost_records, producer.unconfirmed_records
    (log.error if lost or unconfirmed or abandoned else log.info)(
        "stopped",
        extra={
            "seconds": round(loop.time() - started, 3),
            "user_records_abandoned": abandoned,
            "user_records_lost": lost,
            "user_records_unconfirmed": unconfirmed,
        },
    )
    return 1 if lost or unconfirmed or abandoned or producer.failed else 0
