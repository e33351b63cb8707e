"""Benchmark of the producer service against a local Kinesis-compatible server (moto).

    .venv/bin/python benchmarks/bench_producer.py            (make bench-producer)

Compares, on this machine and in one run:

(a) the producer (``python -m producer``), with its producer process (PRODUCER_PROCESS=true)
    and, beside it, in one process (PRODUCER_PROCESS=false);
(b) a naive producer: the same HTTP framework, one ``PutRecord`` per request, answered once it
    returns (what the KPL replaces);
(c) a no-op server in the same framework that parses the body and answers 200: the ceiling of
    the HTTP layer.

Load comes from ``wrk`` when installed (Debian: ``apt-get install -y wrk``), else from the
Python load client (``load_generators.py``), run in a second process. Latency at a fixed rate
(half of (a)'s saturated rate) always comes from the Python client, which is open-loop: it
sends on a schedule and measures from the scheduled time, so a slow answer cannot hide the wait
it causes; (c) is measured at the same rate. Where allowed (as root), that client runs ahead of
moto and the producer process in priority, so that its own waits for a CPU do not count as the
server's latency. Peak RSS and CPU per request count every process of a server.

On ``POST /``, each server's HTTP process runs on a CPU of its own, and the load client, moto
and the producer process share the others (:class:`Placement`), so that the load does not
preempt the server it measures. (a) and (c) alternate for ``--rounds`` rounds; (a)'s share
of (c) is the median of the rounds' ratios, each taken from runs seconds apart.

The servers (b) and (c) are ``baseline_servers.py``; the runner that starts the servers and
their load is ``bench.py``, measuring with ``harness.py``. The tables printed at the end are
recorded in ``benchmarks/results/producer.json`` and rendered into ``docs/benchmarks.md``.

Every record sent is verified in the stream afterwards: read back, deaggregated, each unique,
as many as the server accepted and at least as many as the client saw acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from benchmarks.bench import Bench  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    DATA_BYTES,
    Placement,
    get_json,
    metrics,
    peak_rss_mib,
    process_tree,
)

# The spool's fsync policies, each benchmarked (producer/README.md, The spool).
SPOOL_FSYNC_POLICIES = ("always", "interval", "never")
# Loads of the spool rows (wrk connections). Each answer waits for its record to be written
# by the producer process: at the first, the clients' round trips bound the rate; the second
# keeps the server busy, and measures what the log costs in throughput.
SPOOL_CONNECTIONS = (64, 256)


@dataclass
class Result:
    name: str
    requests_per_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    half_rate: float | None = None
    half_p50_ms: float | None = None
    half_p99_ms: float | None = None
    peak_rss_mib: float = 0.0
    records_per_put_call: str = "n/a"
    kinesis_per_10k: str = "n/a"
    #: CPU microseconds per request at saturation: the HTTP process (+ the producer process).
    cpu_us: str = "n/a"
    #: Requests/s as a share of (c)'s in the same round.
    round_ratios: list[float] = field(default_factory=list)
    verified: str = ""
    notes: list[str] = field(default_factory=list)


def drain(port: int, timeout: float = 120) -> dict[str, float]:
    """Wait until nothing is outstanding; fail if any record could not be put."""
    deadline = time.monotonic() + timeout
    while True:
        values = metrics(port)
        if values["kinesis_producer_outstanding_user_records"] == 0:
            failed = {k: v for k, v in values.items() if "user_records_failed_total" in k and v}
            if failed:
                raise AssertionError(f"records failed: {failed}")
            return values
        if time.monotonic() > deadline:
            raise AssertionError("records still outstanding")
        time.sleep(0.2)


def per_put_call(values: dict[str, float]) -> str:
    """User records per PutRecords call, from the producer's metrics."""
    calls = values['kinesis_producer_put_records_calls_total{outcome="success"}']
    return f"{values['kinesis_producer_user_records_put_total'] / calls:,.0f}"


def kinesis_per_10k(values: dict[str, float]) -> str:
    """Kinesis records per 10,000 user records, from the producer's metrics."""
    put = values["kinesis_producer_user_records_put_total"]
    return f"{values['kinesis_producer_kinesis_records_put_total'] / put * 10_000:,.0f}"


def cpu_text(run: dict[str, Any], batch: int = 1) -> str:
    """CPU microseconds per request (per record with batches), per process: "HTTP + producer"."""
    return " + ".join(f"{us / batch:.1f}" for us in run.get("cpu_us", [])) or "n/a"


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(runs, key=lambda run: run["requests_per_s"])[len(runs) // 2]


def take_median(result: Result, runs: list[dict[str, Any]]) -> None:
    """Fill ``result`` from the median of saturated ``runs``, and list every run's rate."""
    median = median_run(runs)
    result.requests_per_s = median["requests_per_s"]
    result.p50_ms, result.p99_ms = median["p50_ms"], median["p99_ms"]
    result.cpu_us = cpu_text(median)
    result.notes.append(
        "runs: " + ", ".join(f"{run['requests_per_s']:,.0f}" for run in runs) + " requests/s"
    )


def bench_producer(bench: Bench, shards: int, rounds: int) -> tuple[Result, Result, Result, Result]:
    """(a), (a) in one process and (c) under the same load, alternately, ``rounds`` times:
    medians compared.

    Alternating matters on a shared machine, where whatever else runs changes the speed of
    everything from one minute to the next.
    """
    result = Result("(a) producer")
    inline = Result("(a) producer in one process (PRODUCER_PROCESS=false)")
    noop = Result("(c) no-op (same framework)")
    stream = bench.stream(shards)
    process, port = bench.start("producer", stream)
    inline_stream = bench.stream(shards)
    inline_process, inline_port = bench.start("producer", inline_stream, PRODUCER_PROCESS="false")
    noop_process, noop_port = bench.start("noop", bench.stream(1))
    servers = [process.pid, inline_process.pid, noop_process.pid]
    bench.placement.place(servers, [*process_tree(process.pid)[1:], bench.processes[0].pid])
    a_runs, i_runs, c_runs = [], [], []
    for round_ in range(rounds):
        c_runs.append(bench.saturate(noop_port, "/", f"c{round_}"))
        a_runs.append(bench.saturate(port, "/", f"a{round_}"))
        i_runs.append(bench.saturate(inline_port, "/", f"n{round_}"))
        print(
            f"round {round_ + 1}: (a) {a_runs[-1]['requests_per_s']:,.0f}/s, "
            f"(a) in one process {i_runs[-1]['requests_per_s']:,.0f}/s, "
            f"(c) {c_runs[-1]['requests_per_s']:,.0f}/s; HTTP process preempted "
            + ", ".join(f"{runs[-1]['preempted_per_1k']:.1f}" for runs in (a_runs, i_runs, c_runs))
            + " times per 1,000 requests; CPU time stolen by the host "
            + ", ".join(f"{runs[-1]['stolen_pct']:.1f}%" for runs in (a_runs, i_runs, c_runs)),
            flush=True,
        )
    # Each round's (a) and (c) ran seconds apart; the machine's speed drifts over minutes.
    result.round_ratios = [
        a["requests_per_s"] / c["requests_per_s"] for a, c in zip(a_runs, c_runs, strict=True)
    ]
    inline.round_ratios = [
        i["requests_per_s"] / c["requests_per_s"] for i, c in zip(i_runs, c_runs, strict=True)
    ]
    for target in (result, inline):
        target.notes.append(
            "of (c) per round: " + ", ".join(f"{ratio:.0%}" for ratio in target.round_ratios)
        )
    take_median(inline, i_runs)
    values = drain(inline_port)
    inline.peak_rss_mib = peak_rss_mib(inline_process)
    inline.records_per_put_call = per_put_call(values)
    inline.kinesis_per_10k = kinesis_per_10k(values)
    inline.verified = bench.verify(
        inline_stream,
        int(values["kinesis_producer_user_records_received_total"]),
        sum(run["ok"] for run in i_runs),
        ["n"],
    )
    bench.stop(inline_process)
    take_median(noop, c_runs)
    noop.verified = "nothing is written"
    take_median(result, a_runs)
    values = drain(port)
    result.records_per_put_call = per_put_call(values)
    result.kinesis_per_10k = kinesis_per_10k(values)
    # Latency at half of (a)'s rate, alternately with (c) at the same rate: (c)'s figure is
    # what the machine and the load client allow at that rate.
    a_half, c_half = [], []
    for round_ in range(rounds):
        c_half.append(bench.fixed_rate(noop_port, result.requests_per_s / 2, f"i{round_}"))
        a_half.append(bench.fixed_rate(port, result.requests_per_s / 2, f"h{round_}"))
        print(
            f"half rate, round {round_ + 1}: p99 (a) {a_half[-1]['p99_ms']:.1f} ms, "
            f"(c) {c_half[-1]['p99_ms']:.1f} ms; CPU time stolen by the host "
            f"{a_half[-1]['stolen_pct']:.1f}%, {c_half[-1]['stolen_pct']:.1f}%; load client "
            + ("ahead of" if a_half[-1]["prioritized"] else "at the priority of")
            + " moto and the producer process",
            flush=True,
        )
    for target, runs in ((result, a_half), (noop, c_half)):
        half = sorted(runs, key=lambda run: run["p99_ms"])[len(runs) // 2]
        target.half_rate = half["requests_per_s"]
        target.half_p50_ms, target.half_p99_ms = half["p50_ms"], half["p99_ms"]
        target.notes.append(
            "p99 at half rate: " + ", ".join(f"{run['p99_ms']:.1f}" for run in runs) + " ms"
        )
    bench.placement.release()
    noop.peak_rss_mib = peak_rss_mib(noop_process)
    bench.stop(noop_process)
    values = drain(port)
    result.peak_rss_mib = peak_rss_mib(process)
    accepted = int(values["kinesis_producer_user_records_received_total"])
    acknowledged = sum(run["ok"] for run in a_runs + a_half)
    result.verified = bench.verify(stream, accepted, acknowledged, ["a", "h"])
    bench.stop(process)

    batch = Result("(a) producer, POST /records")
    stream = bench.stream(shards)
    process, port = bench.start("producer", stream)
    loaded = bench.saturate(port, "/records", "b", batch=1_000)
    values = drain(port)
    batch.requests_per_s = loaded["ok"] * 1_000 / bench.duration
    batch.p50_ms, batch.p99_ms = loaded["p50_ms"], loaded["p99_ms"]
    batch.cpu_us = cpu_text(loaded, 1_000) + " per accepted record"
    batch.records_per_put_call = per_put_call(values)
    batch.kinesis_per_10k = kinesis_per_10k(values)
    batch.peak_rss_mib = peak_rss_mib(process)
    if loaded.get("non_2xx") or len(loaded.get("statuses", {})) > 1:
        batch.notes.append(f"non-200 answers: {loaded.get('non_2xx', loaded.get('statuses'))}")
    batch.verified = bench.verify(
        stream,
        int(values["kinesis_producer_user_records_received_total"]),
        loaded["ok"] * 1_000,
        ["b"],
    )
    bench.stop(process)
    return result, inline, batch, noop


def bench_back_pressure(bench: Bench, width: int, bound: str) -> Result:
    """POST /records into one shard (1 MiB/s): the outstanding records reach their bound."""
    result = Result(f"(a) at the {bound} bound, {width}-byte records")
    stream = bench.stream(1)
    process, port = bench.start("producer", stream)
    tag = f"p{width}"
    loaded = bench.saturate(port, "/records", tag, batch=1_000, width=width)
    during = metrics(port)
    result.peak_rss_mib = peak_rss_mib(process)
    # Refused at the outstanding bound (back_pressure), or at what one shard puts within a
    # quarter of RecordTtl (overloaded), whichever is lower.
    refused = sum(
        during.get(
            f'kinesis_producer_http_rejected_requests_total{{reason="{reason}",status="503"}}', 0
        )
        for reason in ("back_pressure", "overloaded")
    )
    result.notes.append(
        f"{int(refused):,} requests of 1,000 records refused with 503; at the end "
        f"{int(during['kinesis_producer_outstanding_user_records']):,} records and "
        f"{during['kinesis_producer_outstanding_bytes'] / 2**20:.1f} MiB outstanding"
    )
    values = drain(port, timeout=300)
    result.requests_per_s = loaded["ok"] * 1_000 / bench.duration
    result.verified = bench.verify(
        stream,
        int(values["kinesis_producer_user_records_received_total"]),
        loaded["ok"] * 1_000,
        [tag],
        width,
    )
    bench.stop(process)
    return result


def bench_spool(bench: Bench, shards: int, fsync: str, rounds: int) -> list[Result]:
    """(a) with the disk spool on (SPOOL_DIR) at one SPOOL_FSYNC policy while Kinesis answers,
    alternated with (c) for ``rounds`` rounds at each load of SPOOL_CONNECTIONS: what the
    write-ahead log costs (every record is appended, and under ``always`` flushed, before its
    200). An outage's records wait on disk; tests cover that, not speed."""
    stream = bench.stream(shards)
    noop_process, noop_port = bench.start("noop", bench.stream(1))
    results = []
    runs = 0
    with tempfile.TemporaryDirectory(prefix="bench-spool-") as spool_dir:
        process, port = bench.start("producer", stream, SPOOL_DIR=spool_dir, SPOOL_FSYNC=fsync)
        acknowledged = 0
        for connections in SPOOL_CONNECTIONS if fsync == "always" else SPOOL_CONNECTIONS[:1]:
            result = Result(
                f"(a) with the spool on (SPOOL_DIR, SPOOL_FSYNC={fsync}), {connections} connections"
            )
            bench.connections, default = connections, bench.connections
            a_runs: list[dict[str, Any]] = []
            c_runs: list[dict[str, Any]] = []
            pairs = ((noop_process, noop_port, c_runs), (process, port, a_runs))
            for _ in range(rounds if fsync == "always" else 1):
                for server, port_, kept in pairs:
                    bench.placement.place(
                        [server.pid], [*process_tree(server.pid)[1:], bench.processes[0].pid]
                    )
                    kept.append(bench.saturate(port_, "/", f"s{fsync[0]}{runs}"))
                    bench.placement.release()
                    runs += 1
                result.round_ratios.append(
                    a_runs[-1]["requests_per_s"] / c_runs[-1]["requests_per_s"]
                )
            bench.connections = default
            take_median(result, a_runs)
            result.notes.append(
                "of (c) per round: "
                + ", ".join(f"{r:.0%}" for r in result.round_ratios)
                + "; (c): "
                + ", ".join(f"{run['requests_per_s']:,.0f}" for run in c_runs)
                + " requests/s"
            )
            acknowledged += sum(run["ok"] for run in a_runs)
            results.append(result)
        values = drain(port)
        spooled = values.get("kinesis_producer_user_records_spooled_total", 0)
        for result in results:
            result.peak_rss_mib = peak_rss_mib(process)
            result.records_per_put_call = per_put_call(values)
            result.kinesis_per_10k = kinesis_per_10k(values)
        results[0].notes.append(f"{int(spooled):,} records spooled")
        results[0].verified = bench.verify(
            stream,
            int(values["kinesis_producer_user_records_received_total"]),
            acknowledged,
            [f"s{fsync[0]}"],
        )
        for result in results[1:]:
            result.verified = "in the row above"
        bench.stop(process)
    bench.stop(noop_process)
    return results


def bench_other(bench: Bench, kind: str, name: str) -> Result:
    result = Result(name)
    stream = bench.stream(1)
    process, port = bench.start(kind, stream)
    saturated = bench.saturate(port, "/", kind[0])
    result.requests_per_s = saturated["requests_per_s"]
    result.p50_ms, result.p99_ms = saturated["p50_ms"], saturated["p99_ms"]
    result.cpu_us = cpu_text(saturated)
    result.peak_rss_mib = peak_rss_mib(process)
    # Requests still in flight when the load stopped finish on their own: wait for them.
    accepted, previous = -1, -2
    while accepted != previous:
        previous = accepted
        time.sleep(1.0)
        accepted = get_json(f"http://127.0.0.1:{port}/count")["accepted"]
    if kind == "naive":
        result.records_per_put_call = "1 (PutRecord)"
        result.kinesis_per_10k = "10,000"
        result.verified = bench.verify(stream, accepted, saturated["ok"], [kind[0]])
    else:
        result.verified = f"{accepted:,} parsed (nothing is written)"
    bench.stop(process)
    return result


def handover_us(records: int = 200_000, per_message: int = 170) -> float:
    """CPU microseconds per record that the HTTP process spends handing records over to the
    producer process, measured alone: admission, batching, framing and writing to the socket
    (a drain reads the other end), without HTTP and without a producer."""
    import uvloop

    from producer.process.front import ProducerProcess

    async def run() -> float:
        front = ProducerProcess("bench")
        front._loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        _, front._writer = await asyncio.open_unix_connection(sock=ours)
        reader, _ = await asyncio.open_unix_connection(sock=theirs)

        async def drain() -> None:
            while await reader.read(1 << 20):
                pass

        drainer = asyncio.create_task(drain())
        key, data = str(uuid.uuid4()), b"x" * DATA_BYTES
        started = time.process_time()
        for number in range(records):
            front.add_user_record_nowait(key, data)
            if number % per_message == per_message - 1:
                front._send_now()
                # As if the producer process had put them all.
                front._settled_records = front._admitted_records
                front._settled_bytes = front._admitted_bytes
                await asyncio.sleep(0)
        used = time.process_time() - started
        drainer.cancel()
        return used / records * 1e6

    return uvloop.run(run())


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def table(results: list[Result]) -> report.Table:
    columns = [
        "server",
        "requests/s (records/s for /records)",
        "p50 ms",
        "p99 ms",
        "p99 ms at half rate",
        "peak RSS MiB",
        "user records per PutRecords",
        "Kinesis records per 10,000",
        "CPU µs per request",
        "verified",
    ]
    rows = []
    for r in results:
        half = (
            "n/a"
            if r.half_p99_ms is None
            else (f"{fmt(r.half_p99_ms)} (at {r.half_rate:,.0f}/s; p50 {fmt(r.half_p50_ms)})")
        )
        rows.append(
            [
                r.name,
                f"{r.requests_per_s:,.0f}",
                fmt(r.p50_ms),
                fmt(r.p99_ms),
                half,
                f"{r.peak_rss_mib:,.0f}",
                r.records_per_put_call,
                r.kinesis_per_10k,
                r.cpu_us,
                r.verified + ("; " + "; ".join(r.notes) if r.notes else ""),
            ]
        )
    return report.Table(columns, rows)


def rows(results: list[Result]) -> str:
    """Rows of the results table, without its header: progress while the run goes on."""
    return "\n".join(table(results).markdown().splitlines()[2:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--shards", type=int, default=16, help="shards of the stream for (a)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="alternate runs of (a) and (c) (the median of the rounds' ratios is compared)",
    )
    parser.add_argument(
        "--no-placement",
        action="store_true",
        help="let the scheduler place every process (default: HTTP processes get a CPU)",
    )
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    args = parser.parse_args()

    use_wrk = not args.python_client and shutil.which("wrk") is not None
    if not use_wrk and not args.python_client:
        print(
            "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install "
            "wrk); using the Python load client instead.",
            file=sys.stderr,
        )
    placement = Placement(not args.no_placement)
    handover = handover_us()
    settings = (
        f"load from {'wrk' if use_wrk else 'the Python client'}, {args.connections} "
        f"connections, {args.duration} s per run, {args.rounds} rounds, {args.shards} shards; "
        f"{placement.describe()}; hand-over to the producer process alone: {handover:.2f} µs "
        "of CPU per record"
    )
    circumstances = report.start("producer", settings)
    print(f"{os.cpu_count()} CPUs, load average {circumstances['load_average']:.2f}; {settings}")
    bench = Bench(args.duration, args.connections, use_wrk, placement)
    try:
        naive = bench_other(bench, "naive", "(b) naive PutRecord per request")
        print(table([naive]).markdown(), flush=True)
        producer, inline, batch, noop = bench_producer(bench, args.shards, args.rounds)
        print(rows([producer, inline, noop, batch]), flush=True)
        by_policy = {
            fsync: bench_spool(bench, args.shards, fsync, args.rounds)
            for fsync in SPOOL_FSYNC_POLICIES
        }
        spooling = [result for results in by_policy.values() for result in results]
        print(rows(spooling), flush=True)
        by_count = bench_back_pressure(bench, DATA_BYTES, "record-count")
        by_bytes = bench_back_pressure(bench, 1_024, "byte")
    finally:
        bench.close()
    results = [producer, inline, *spooling, batch, by_count, by_bytes, naive, noop]
    print()
    print(table(results).markdown())
    print()
    ratio = statistics.median(producer.round_ratios)
    checks = [
        (
            "(a) >= 75% of (c) requests/s",
            ratio >= 0.75,
            f"{ratio:.0%} (median of the rounds' ratios; ratio of the medians "
            f"{producer.requests_per_s / noop.requests_per_s:.0%})",
        ),
        (
            "POST / p99 at half rate < 10 ms",
            (producer.half_p99_ms or 1e9) < 10,
            f"{fmt(producer.half_p99_ms)} ms",
        ),
        (
            ">= 500 user records per PutRecords at saturation",
            float(producer.records_per_put_call.replace(",", "")) >= 500,
            producer.records_per_put_call,
        ),
        *(
            (
                f"(a) with the spool, SPOOL_FSYNC=always (fsync per batch) >= 80% of (c) "
                f"requests/s, {result.name.rsplit(', ', 1)[1]}",
                statistics.median(result.round_ratios) >= 0.8,
                f"{statistics.median(result.round_ratios):.0%} (median of the rounds' ratios)",
            )
            for result in by_policy["always"]
        ),
        (
            "POST /records >= 100,000 records/s",
            batch.requests_per_s >= 100_000,
            f"{batch.requests_per_s:,.0f}",
        ),
        (
            "peak RSS < 200 MiB at the back-pressure bound",
            max(by_count.peak_rss_mib, by_bytes.peak_rss_mib) < 200,
            f"{by_count.peak_rss_mib:.0f} MiB (record bound), "
            f"{by_bytes.peak_rss_mib:.0f} MiB (byte bound)",
        ),
    ]
    notes = [f"{'met' if met else 'MISSED'}: {name}: {value}" for name, met, value in checks]
    print("\n".join(notes))
    path = report.record(circumstances, [table(results)], notes)
    print(f"recorded in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
