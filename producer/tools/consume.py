"""``python -m producer.tools.consume --stream NAME``: read a stream back, one user record a line.

Reads every shard from its oldest record (or only new records with ``--from LATEST``),
deaggregates KPL aggregated records, and prints each user record as a JSON object::

    {"shardId": "...", "sequenceNumber": "...", "subSequenceNumber": 0,
     "partitionKey": "...", "data": "..."}

``data`` is the record as text when it is UTF-8, else ``dataBase64`` holds it. Like the KCL,
user records outside the hash-key range of the shard they were read from are skipped: after a
reshard the producer re-sends those to the right shard (``--keep-misplaced`` shows them).

Standard AWS configuration applies (credentials, ``AWS_REGION``, ``AWS_ENDPOINT_URL_KINESIS``
for a local server); ``--region`` and ``--endpoint-url`` override it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
from aws_kinesis_agg import DIGEST_SIZE, MAGIC

# The deaggregator module puts its own directory on sys.path, which its generated
# messages_pb2 needs to import config_pb2; its messages module is the one to use.
from aws_kinesis_agg.deaggregator import messages_pb2
from botocore.exceptions import BotoCoreError, ClientError

from ..kinesis.records import hash_key_of


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """One user record as read from the stream."""

    shard_id: str
    sequence_number: str
    sub_sequence_number: int
    partition_key: str
    explicit_hash_key: str | None
    data: bytes
    aggregated: bool

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "shardId": self.shard_id,
            "sequenceNumber": self.sequence_number,
            "subSequenceNumber": self.sub_sequence_number,
            "partitionKey": self.partition_key,
        }
        if self.explicit_hash_key is not None:
            out["explicitHashKey"] = self.explicit_hash_key
        try:
            out["data"] = self.data.decode("utf-8")
        except UnicodeDecodeError:
            out["dataBase64"] = base64.b64encode(self.data).decode("ascii")
        return out


def deaggregate(data: bytes, partition_key: str) -> Iterator[tuple[str, str | None, bytes, bool]]:
    """(partition key, explicit hash key, data, aggregated) of each user record in a record.

    Parsed with the aggregation library's own message definition. Its ``deaggregator``
    module is not used: it expects Lambda-shaped records, and it gives a user record without
    an explicit hash key the first one of the aggregate, which would break the shard check.
    """
    body = data[len(MAGIC) : -DIGEST_SIZE]
    if (
        data.startswith(MAGIC)
        and len(data) > len(MAGIC) + DIGEST_SIZE
        and hashlib.md5(body).digest() == data[-DIGEST_SIZE:]
    ):
        message = messages_pb2.AggregatedRecord()
        message.ParseFromString(body)
        keys = message.partition_key_table
        hash_keys = message.explicit_hash_key_table
        for record in message.records:
            hash_key = (
                hash_keys[record.explicit_hash_key_index]
                if record.HasField("explicit_hash_key_index")
                else None
            )
            yield keys[record.partition_key_index], hash_key, record.data, True
    else:
        yield partition_key, None, data, False


def _shards(client: Any, stream: str) -> list[dict[str, Any]]:
    shards: list[dict[str, Any]] = []
    response = client.list_shards(StreamName=stream)
    shards.extend(response["Shards"])
    while response.get("NextToken"):
        response = client.list_shards(NextToken=response["NextToken"])
        shards.extend(response["Shards"])
    return shards


def read_stream(
    client: Any,
    stream: str,
    *,
    start: str = "TRIM_HORIZON",
    follow: bool = False,
    keep_misplaced: bool = False,
    poll_interval: float = 1.0,
) -> Iterator[ConsumedRecord]:
    """Yield the stream's user records, shard by shard (all shards, open and closed).

    Without ``follow``, stops at the end of what each shard holds now.
    """
    shards = _shards(client, stream)
    iterators: dict[str, str | None] = {}
    ranges: dict[str, tuple[int, int]] = {}
    for shard in shards:
        shard_id = shard["ShardId"]
        ranges[shard_id] = (
            int(shard["HashKeyRange"]["StartingHashKey"]),
            int(shard["HashKeyRange"]["EndingHashKey"]),
        )
        iterators[shard_id] = client.get_shard_iterator(
            StreamName=stream, ShardId=shard_id, ShardIteratorType=start
        )["ShardIterator"]
    while any(iterators.values()):
        idle = True
        for shard_id, iterator in list(iterators.items()):
            while iterator:
                response = client.get_records(ShardIterator=iterator, Limit=10_000)
                iterator = response.get("NextShardIterator")
                for record in response["Records"]:
                    yield from _user_records(shard_id, record, ranges[shard_id], keep_misplaced)
                if response["Records"]:
                    idle = False
                if not response["Records"] or response.get("MillisBehindLatest", 0) == 0:
                    break
            iterators[shard_id] = iterator if follow else None
        if follow and idle:
            time.sleep(poll_interval)


def _user_records(
    shard_id: str, record: dict[str, Any], hash_range: tuple[int, int], keep_misplaced: bool
) -> Iterator[ConsumedRecord]:
    low, high = hash_range
    parts = deaggregate(record["Data"], record["PartitionKey"])
    for index, (partition_key, explicit_hash_key, data, aggregated) in enumerate(parts):
        # The KCL's rule: a user record outside the shard's range was re-sent elsewhere.
        if (
            aggregated
            and not keep_misplaced
            and not low <= hash_key_of(partition_key, explicit_hash_key) <= high
        ):
            continue
        yield ConsumedRecord(
            shard_id,
            record["SequenceNumber"],
            index,
            partition_key,
            explicit_hash_key,
            data,
            aggregated,
        )


def make_client(region: str | None = None, endpoint_url: str | None = None) -> Any:
    """A plain (synchronous) Kinesis client with the standard AWS configuration."""
    session = botocore.session.get_session()
    region = region or os.environ.get("REGION") or None
    return session.create_client("kinesis", region_name=region, endpoint_url=endpoint_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m producer.tools.consume",
        description="Print the user records of a Kinesis stream, deaggregated, as JSON lines.",
    )
    parser.add_argument("--stream", required=True, help="stream name")
    parser.add_argument("--region", help="AWS Region (default: AWS configuration, or REGION)")
    parser.add_argument("--endpoint-url", help="Kinesis endpoint (default: AWS configuration)")
    parser.add_argument(
        "--from",
        dest="start",
        choices=["TRIM_HORIZON", "LATEST"],
        default="TRIM_HORIZON",
        help="read from the oldest record (default) or only records added from now on",
    )
    parser.add_argument("--follow", action="store_true", help="keep reading until Ctrl-C")
    parser.add_argument("--limit", type=int, help="stop after this many user records")
    parser.add_argument(
        "--keep-misplaced",
        action="store_true",
        help="also print user records outside their shard's hash-key range",
    )
    args = parser.parse_args(argv)
    count = 0
    try:
        client = make_client(args.region, args.endpoint_url)
        for record in read_stream(
            client,
            args.stream,
            start=args.start,
            follow=args.follow,
            keep_misplaced=args.keep_misplaced,
        ):
            print(json.dumps(record.to_json(), ensure_ascii=False), flush=args.follow)
            count += 1
            if args.limit is not None and count >= args.limit:
                break
    except KeyboardInterrupt:
        pass
    except (BotoCoreError, ClientError) as error:
        print(f"producer.tools.consume: {error}", file=sys.stderr)
        return 1
    print(f"{count} user records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
