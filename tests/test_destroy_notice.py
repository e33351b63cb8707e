"""make destroy's notice, against moto's server over HTTP: what a destroy deletes with the
deployment is said first, and a destroy that would stop half-way is refused before it starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import ROOT

REGION = "us-west-2"
REPOSITORY = "t/kinesis/producer"
BUCKET = "t-logging-bucket-1111111"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # for this test's own boto3 clients
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset).close()
    return env


def _used_deployment() -> None:
    """An image in the repository, logs (one overwritten, one deleted) in the bucket."""
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName=REPOSITORY)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}
    ecr.put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag="v1")
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for key in ("alb/a.log", "alb/a.log", "alb/b.log"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"log")
    s3.delete_object(Bucket=BUCKET, Key="alb/b.log")


def _state(deletes_data: bool) -> dict[str, Any]:
    def resource(kind: str, attributes: dict[str, Any]) -> dict[str, Any]:
        return {"mode": "managed", "type": kind, "instances": [{"attributes": attributes}]}

    return {
        "resources": [
            resource("aws_ecr_repository", {"name": REPOSITORY, "force_delete": deletes_data}),
            resource("aws_s3_bucket", {"bucket": BUCKET, "force_destroy": deletes_data}),
            {"mode": "data", "type": "aws_s3_bucket", "instances": [{"attributes": {}}]},
        ]
    }


def _notice(tmp_path: Path, env: dict[str, str], state: dict[str, Any] | None) -> Any:
    vars_file = tmp_path / "t.tfvars.json"
    vars_file.write_text((ROOT / "vars" / "test.tfvars.json").read_text())
    if state is not None:
        (tmp_path / "terraform.t.tfstate").write_text(json.dumps(state))
    return subprocess.run(
        [
            *(sys.executable, "scripts/destroy_notice.py"),
            *("--vars-file", str(vars_file), "--state-dir", str(tmp_path)),
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _contents() -> tuple[int, int]:
    images = boto3.client("ecr", region_name=REGION).list_images(repositoryName=REPOSITORY)
    versions = boto3.client("s3", region_name=REGION).list_object_versions(Bucket=BUCKET)
    return len(images["imageIds"]), len(versions["Versions"]) + len(versions["DeleteMarkers"])


def test_what_a_destroy_deletes_is_said_first(tmp_path: Path, aws: dict[str, str]) -> None:
    _used_deployment()
    result = _notice(tmp_path, aws, _state(deletes_data=True))
    assert result.returncode == 0, result.stderr
    assert f"ECR repository {REPOSITORY}: 1 image(s), DELETED with it" in result.stdout
    assert (
        f"S3 bucket {BUCKET}: 3 object version(s) and 1 delete marker(s), DELETED with it"
        in result.stdout
    )
    assert _contents() == (1, 4)  # it only reads


def test_a_destroy_that_would_stop_half_way_is_refused_before_it_starts(
    tmp_path: Path, aws: dict[str, str]
) -> None:
    _used_deployment()
    result = _notice(tmp_path, aws, _state(deletes_data=False))
    assert result.returncode == 1
    assert "which the destroy keeps" in result.stdout
    assert "refusing before deleting anything" in result.stderr
    assert f"ECR repository {REPOSITORY}, S3 bucket {BUCKET}" in result.stderr
    assert "destroy_deletes_data" in result.stderr
    assert _contents() == (1, 4)


def test_empty_holders_and_no_state_pass(tmp_path: Path, aws: dict[str, str]) -> None:
    result = _notice(tmp_path, aws, _state(deletes_data=False))  # nothing was ever created
    assert result.returncode == 0, result.stderr
    assert f"ECR repository {REPOSITORY}: empty" in result.stdout
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    result = _notice(fresh, aws, None)
    assert result.returncode == 0 and "nothing applied yet" in result.stdout


def test_no_way_to_ask_aws_is_a_clear_error(tmp_path: Path) -> None:
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x"}
    env |= {"AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}
    env |= {"AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard"}
    result = _notice(tmp_path, env, _state(deletes_data=True))
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot tell what the destroy deletes")
    assert "Traceback" not in result.stderr
