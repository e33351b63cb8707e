"""The docker-ecr-codebuild construct: ECR repository, CodeBuild project, their IAM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from modules.docker_ecr_codebuild import (
    BUILDSPEC,
    CODEBUILD_IMAGE,
    DockerEcrCodebuild,
    DockerEcrCodebuildConfig,
    source_digest,
)
from tests.support import resources, synth, terraform_load

TAGS = {"Environment": "dev", "Project": "outposts-AoD", "Owner": "adf"}


def _one(synthesized: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources(synthesized, resource_type)
    assert len(found) == 1, f"{resource_type}: {sorted(found)}"
    return next(iter(found.values()))


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    config = DockerEcrCodebuildConfig(tags=TAGS, prefix_name="outposts-AoD-challenge")
    return synth(lambda stack: DockerEcrCodebuild(stack, "ecs-docker-codebuild", config))


def test_defaults_are_the_modules() -> None:
    config = DockerEcrCodebuildConfig(tags=TAGS, prefix_name="p")
    assert config.ecr_name == "kinesis/producer"
    assert config.image_tag == "latest"


def test_repository_and_pull_policy(sample: dict[str, Any]) -> None:
    repository = _one(sample, "aws_ecr_repository")
    assert repository["name"] == "kinesis/producer"
    assert repository["tags"]["Name"] == "outposts-AoD-challenge"
    policy = _one(sample, "aws_ecr_repository_policy")
    assert policy["repository"] == "${aws_ecr_repository.ecs-docker-codebuild_ecr.name}"
    document = sample["data"]["aws_iam_policy_document"]["ecs-docker-codebuild_ecr_policy_document"]
    statement = document["statement"][0]
    assert statement["principals"][0]["identifiers"] == [
        "arn:aws:iam::${data.aws_caller_identity.ecs-docker-codebuild_current.account_id}:root"
    ]
    assert set(statement["actions"]) == {
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "ecr:BatchCheckLayerAvailability",
    }


def test_codebuild_project(sample: dict[str, Any]) -> None:
    project = _one(sample, "aws_codebuild_project")
    assert project["name"] == "outposts-AoD-challenge-outposts-AoD-ecs-docker-image"
    assert project["build_timeout"] == 10
    assert project["artifacts"] == {"type": "NO_ARTIFACTS"}
    environment = project["environment"]
    assert environment["privileged_mode"] is True
    assert environment["compute_type"] == "BUILD_GENERAL1_SMALL"
    assert environment["image"] == CODEBUILD_IMAGE
    variables = {v["name"]: v["value"] for v in environment["environment_variable"]}
    assert set(variables) == {
        "AWS_ACCOUNT_ID",
        "IMAGE_REPO_NAME_PRODUCER",
        "IMAGE_TAG",
        "AWS_DEFAULT_REGION",
        "SOURCE_REPO",
        "SOURCE_DIGEST",
    }
    assert variables["IMAGE_TAG"] == "latest"
    assert variables["IMAGE_REPO_NAME_PRODUCER"] == "kinesis/producer"
    assert variables["AWS_DEFAULT_REGION"].endswith(".region}")
    assert variables["SOURCE_REPO"].startswith("s3://${aws_s3_object.")
    assert variables["SOURCE_DIGEST"] == source_digest(Path("producer"))
    assert project["source"]["type"] == "S3"
    assert project["source"]["buildspec"] == BUILDSPEC.read_text()
    assert project["logs_config"]["cloudwatch_logs"]["status"] == "ENABLED"
    assert project["depends_on"] == ["aws_iam_role_policy.ecs-docker-codebuild_codebuild_policy"]


def test_buildspec_logs_in_with_get_login_password_and_builds_the_source_root() -> None:
    spec = yaml.safe_load(BUILDSPEC.read_text())
    commands = [c for phase in spec["phases"].values() for c in phase["commands"]]
    text = "\n".join(commands)
    assert "aws ecr get-login-password" in text
    assert "get-login " not in text
    assert any(c.startswith("docker build") and c.endswith(" .") for c in commands)
    assert sum(c.startswith("docker push") for c in commands) == 2


def test_source_archive_is_uploaded_to_a_private_bucket(sample: dict[str, Any]) -> None:
    bucket = _one(sample, "aws_s3_bucket")
    assert bucket["bucket_prefix"] == "outposts-aod-challenge-img-src-"
    assert len(bucket["bucket_prefix"]) <= 37
    block = _one(sample, "aws_s3_bucket_public_access_block")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy"))
    sse = _one(sample, "aws_s3_bucket_server_side_encryption_configuration")
    assert sse["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
    source = _one(sample, "aws_s3_object")
    assert source["key"] == f"producer/{source_digest(Path('producer'))}.zip"
    assert source["source"].endswith(".zip")


def test_codebuild_policy_names_its_resources(sample: dict[str, Any]) -> None:
    document = sample["data"]["aws_iam_policy_document"][
        "ecs-docker-codebuild_codebuild_policy_document"
    ]
    by_sid = {s["sid"]: s for s in document["statement"]}
    assert set(by_sid) == {"ecr", "ecrtoken", "logs", "codebuildreport", "source", "sourcebucket"}
    assert by_sid["ecr"]["resources"] == ["${aws_ecr_repository.ecs-docker-codebuild_ecr.arn}"]
    assert "ecr:PutImage" in by_sid["ecr"]["actions"]
    assert by_sid["ecrtoken"]["resources"] == ["*"]
    assert all(r != "*" for r in by_sid["logs"]["resources"])
    role = _one(sample, "aws_iam_role")
    assert role["name"] == "outposts-AoD-codebuild-docker"
    assume = json.dumps(sample["data"]["aws_iam_policy_document"])
    assert "codebuild.amazonaws.com" in assume


def test_loads_in_terraform(sample: dict[str, Any]) -> None:
    config = terraform_load(sample)
    assert config["ManagedResources"]


def test_source_digest_ignores_caches_and_follows_sources(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    before = source_digest(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0\1")
    assert source_digest(tmp_path) == before
    (tmp_path / "app.py").write_text("print(2)\n")
    assert source_digest(tmp_path) != before


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("tags", {"tags": {"Owner": "x"}}),
        ("prefix_name", {"prefix_name": ""}),
        ("ecr_name", {"ecr_name": "Kinesis/Producer"}),
        ("ecr_name", {"ecr_name": "kinesis//producer"}),
        ("image_tag", {"image_tag": "bad tag"}),
        ("source_dir", {"source_dir": "modules"}),
        ("build_timeout", {"build_timeout": 2}),
        ("unknown_key", {"unknown_key": 1}),
    ],
)
def test_bad_configuration_names_the_field(field: str, overrides: dict[str, Any]) -> None:
    values: dict[str, Any] = {"tags": TAGS, "prefix_name": "p", **overrides}
    with pytest.raises(ValidationError, match=field):
        DockerEcrCodebuildConfig(**values)
