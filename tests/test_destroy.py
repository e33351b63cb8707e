"""make destroy's stages: which resources go before the buckets (nothing a bucket's control
depends on), and a bucket emptied of every version over S3's wire protocol (moto's server).
The whole command against the emulator, with Terraform, runs in make e2e's day-2 unit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from scripts import destroy
from scripts.deploy.progress import DeployError

REGION = "us-west-2"


def resource(address: str, values: dict[str, Any], *depends_on: str) -> dict[str, Any]:
    return {
        "address": address,
        "type": address.split(".")[0],
        "values": values,
        "depends_on": list(depends_on),
    }


STATE = [
    resource("aws_s3_bucket.logs", {"bucket": "logs-1", "force_destroy": True}),
    resource("aws_s3_bucket.source", {"bucket": "source-1", "force_destroy": False}),
    resource(
        "aws_s3_bucket_policy.logs_policy",
        {"bucket": "logs-1"},
        "aws_s3_bucket.logs",
        "aws_iam_role.reader",
    ),
    resource("aws_s3_bucket_versioning.source_versioning", {"bucket": "source-1"}),
    resource("aws_iam_role.reader", {}, "aws_iam_policy.base"),
    resource("aws_iam_policy.base", {}),
    resource("aws_lb.alb", {}, "aws_s3_bucket_policy.logs_policy"),
    resource("aws_ecs_service.service", {}, "aws_lb.alb"),
    # Another bucket's control-like resource that names no bucket of the state.
    resource("aws_s3_bucket_notification.elsewhere", {"bucket": "not-ours"}),
]


def test_the_buckets_and_their_controls_are_one_group() -> None:
    group, buckets = destroy.bucket_group(STATE)
    assert group == {
        "aws_s3_bucket.logs",
        "aws_s3_bucket.source",
        "aws_s3_bucket_policy.logs_policy",
        "aws_s3_bucket_versioning.source_versioning",
    }
    assert buckets == {"logs-1": True, "source-1": False}


def test_what_goes_first_is_nothing_a_control_depends_on() -> None:
    group, _ = destroy.bucket_group(STATE)
    # The role (and the policy it depends on) stays for the bucket policy that names it; the
    # ALB depends on the bucket policy, so it may go first (and must: it writes the logs).
    assert destroy.first_targets(STATE, group) == [
        "aws_ecs_service.service",
        "aws_lb.alb",
        "aws_s3_bucket_notification.elsewhere",
    ]


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    server.stop()


def test_a_bucket_is_emptied_of_every_version_and_delete_marker(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(destroy, "DELETE_BATCH", 3)  # several batches, one partial
    s3.create_bucket(Bucket="versions", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="versions", VersioningConfiguration={"Status": "Enabled"})
    for key in ("a", "a", "b", "c", "c", "c"):
        s3.put_object(Bucket="versions", Key=key, Body=b"x")
    s3.delete_object(Bucket="versions", Key="b")  # a delete marker over b's version
    assert destroy.empty_bucket(s3, "versions") == 7
    listed = s3.list_object_versions(Bucket="versions")
    assert not listed.get("Versions") and not listed.get("DeleteMarkers")
    s3.delete_bucket(Bucket="versions")  # empty: S3 takes it


def test_a_refused_delete_stops_with_the_bucket_kept(s3: Any) -> None:
    class Refusing:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def get_paginator(self, name: str) -> Any:
            return self.inner.get_paginator(name)

        def delete_objects(self, **_: Any) -> dict[str, Any]:
            return {"Errors": [{"Key": "a", "Code": "AccessDenied", "Message": "Access Denied"}]}

    s3.create_bucket(Bucket="refused", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="refused", Key="a", Body=b"x")
    with pytest.raises(DeployError, match=r"refused to delete 1 object version.*a AccessDenied"):
        destroy.empty_bucket(Refusing(s3), "refused")
    assert s3.list_objects_v2(Bucket="refused")["KeyCount"] == 1
