"""The docker-ecr-codebuild construct: ECR repository, CodeBuild project, their IAM."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cdktf import TerraformStack
from pydantic import ValidationError

from modules.docker_ecr_codebuild import (
    BUILDSPEC,
    CODEBUILD_IMAGE,
    DockerEcrCodebuild,
    DockerEcrCodebuildConfig,
    source_digest,
    staged_source,
)
from modules.validation import terraform_literal
from tests.support import REGION, resources, synthesize, terraform_load

TAGS = {"Environment": "dev", "Project": "outposts-AoD", "Owner": "adf"}
LOGS_KEY = "arn:aws:kms:us-west-2:111122223333:key/0123abcd-12ab-34cd-56ef-1234567890ab"
DIGEST = source_digest(Path("producer"))


def _one(synthesized: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources(synthesized, resource_type)
    assert len(found) == 1, f"{resource_type}: {sorted(found)}"
    return next(iter(found.values()))


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    config = DockerEcrCodebuildConfig(tags=TAGS, prefix_name="outposts-AoD-challenge")
    return synthesize(lambda stack: DockerEcrCodebuild(stack, "ecs-docker-codebuild", config)).json


@pytest.fixture(scope="module")
def relaxed() -> dict[str, Any]:
    """The sample's mutable latest tag, every hardening off, every optional protection on."""
    config = DockerEcrCodebuildConfig(
        tags=TAGS,
        prefix_name="outposts-AoD-challenge",
        image_tag="latest",
        image_tag_mutability="MUTABLE",
        scan_on_push=False,
        ecr_encryption_type="AES256",
        source_bucket_sse_algorithm="AES256",
        source_bucket_versioning=False,
        log_kms_key_id=LOGS_KEY,
        source_bucket_access_log_bucket="access-logs-111122223333",
        ecr_max_image_count=0,
    )
    return synthesize(lambda stack: DockerEcrCodebuild(stack, "ecs-docker-codebuild", config)).json


def test_defaults_are_the_modules() -> None:
    config = DockerEcrCodebuildConfig(tags=TAGS, prefix_name="p")
    assert config.ecr_name == "kinesis/producer"
    # Not the sample's: one tag per source digest, in an immutable repository.
    assert config.image_tag == ""
    assert config.image_tag_mutability == "IMMUTABLE"


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
        "REPOSITORY_URI",
        "IMAGE_REPO_NAME_PRODUCER",
        "IMAGE_TAG",
        "AWS_DEFAULT_REGION",
        "SOURCE_REPO",
        "SOURCE_DIGEST",
    }
    assert variables["IMAGE_TAG"] == DIGEST
    # The repository's own URL (amazonaws.com.cn in China), not one built in the buildspec.
    assert variables["REPOSITORY_URI"].startswith("${aws_ecr_repository.")
    assert variables["REPOSITORY_URI"].endswith(".repository_url}")
    assert variables["IMAGE_REPO_NAME_PRODUCER"] == "kinesis/producer"
    assert variables["AWS_DEFAULT_REGION"] == REGION
    assert variables["SOURCE_REPO"].startswith("s3://${aws_s3_object.")
    assert variables["SOURCE_DIGEST"] == DIGEST
    assert project["source"]["type"] == "S3"
    # The shell's ${...} are escaped from Terraform's templating: CodeBuild gets the file as is.
    buildspec = project["source"]["buildspec"]
    assert buildspec == terraform_literal(BUILDSPEC.read_text())
    assert not re.search(r"(?<!\$)\$\{", buildspec)
    assert buildspec.replace("$${", "${") == BUILDSPEC.read_text()
    assert project["logs_config"]["cloudwatch_logs"]["status"] == "ENABLED"
    assert project["depends_on"] == [
        "aws_iam_role_policy.ecs-docker-codebuild_codebuild_policy",
        "aws_ecr_lifecycle_policy.ecs-docker-codebuild_ecr_lifecycle_policy",
    ]


def test_buildspec_logs_in_with_get_login_password_and_builds_the_source_root() -> None:
    spec = yaml.safe_load(BUILDSPEC.read_text())
    commands = [c for phase in spec["phases"].values() for c in phase["commands"]]
    text = "\n".join(commands)
    assert "aws ecr get-login-password" in text
    assert "get-login " not in text
    assert re.search(r"docker build --tag \S+ \.;", text)
    # One tag pushed, IMAGE_TAG, and the push belongs to the build phase (post_build would run
    # after a failed build too).
    assert set(spec["phases"]) == {"pre_build", "build"}
    assert re.findall(r"docker push (\S+)", text) == ['"${REPOSITORY_URI}:${IMAGE_TAG}";']


def _run_buildspec(
    tmp_path: Path, *, image_tag: str, describe: str = "absent", build_fails: bool = False
) -> tuple[int, list[str]]:
    """Run the buildspec's commands as CodeBuild does, with stand-ins for aws and docker.

    Commands run in order in one shell; the first that fails ends the build. ``describe``:
    what ``aws ecr describe-images`` finds (``absent``, ``present``, ``denied``). Returns the
    exit status and the aws and docker calls made.
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls.log"
    stubs = {
        "aws": """
case "$2" in
  describe-images)
    case "$FAKE_DESCRIBE" in
      present) echo sha256:0123 ;;
      absent) echo "An error occurred (ImageNotFoundException): no such tag" >&2; exit 254 ;;
      *) echo "An error occurred (AccessDeniedException): not authorized" >&2; exit 254 ;;
    esac ;;
  get-login-password) echo password ;;
esac
""",
        "docker": """
case "$1" in
  build) [ -z "$FAKE_BUILD_FAILS" ] || exit 1 ;;
  login) cat >/dev/null ;;
esac
""",
    }
    for name, body in stubs.items():
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "$CALLS"\n{body}')
        stub.chmod(0o755)
    spec = yaml.safe_load(BUILDSPEC.read_text())
    commands = [c for phase in spec["phases"].values() for c in phase["commands"]]
    script = "".join(f"{{\n{command}\n}} || exit $?\n" for command in commands)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(calls),
        "AWS_ACCOUNT_ID": "111122223333",
        "AWS_DEFAULT_REGION": "us-west-2",
        "REPOSITORY_URI": "111122223333.dkr.ecr.us-west-2.amazonaws.com/kinesis/producer",
        "IMAGE_REPO_NAME_PRODUCER": "kinesis/producer",
        "IMAGE_TAG": image_tag,
        "SOURCE_DIGEST": DIGEST,
        "SOURCE_REPO": "s3://bucket/producer/x.zip",
        "FAKE_DESCRIBE": describe,
        "FAKE_BUILD_FAILS": "1" if build_fails else "",
    }
    result = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    made = calls.read_text().splitlines() if calls.exists() else []
    return result.returncode, made


IMAGE = f"111122223333.dkr.ecr.us-west-2.amazonaws.com/kinesis/producer:{DIGEST}"


def test_buildspec_builds_and_pushes_a_new_digest_tag(tmp_path: Path) -> None:
    status, calls = _run_buildspec(tmp_path, image_tag=DIGEST, describe="absent")
    assert status == 0
    assert any(c.startswith("aws ecr describe-images") and f"imageTag={DIGEST}" in c for c in calls)
    assert f"docker build --tag {IMAGE} ." in calls
    assert f"docker push {IMAGE}" in calls


def test_buildspec_skips_a_digest_tag_already_pushed(tmp_path: Path) -> None:
    status, calls = _run_buildspec(tmp_path, image_tag=DIGEST, describe="present")
    assert status == 0
    assert not [c for c in calls if c.startswith("docker")]
    assert not [c for c in calls if "get-login-password" in c]


def test_buildspec_fails_when_it_cannot_tell_whether_the_tag_exists(tmp_path: Path) -> None:
    status, calls = _run_buildspec(tmp_path, image_tag=DIGEST, describe="denied")
    assert status != 0
    assert not [c for c in calls if c.startswith("docker")]


def test_buildspec_always_rebuilds_another_tag(tmp_path: Path) -> None:
    # The sample's mutable "latest": rebuilt and pushed on every build, never looked up.
    status, calls = _run_buildspec(tmp_path, image_tag="latest", describe="present")
    assert status == 0
    assert not [c for c in calls if "describe-images" in c]
    latest = "111122223333.dkr.ecr.us-west-2.amazonaws.com/kinesis/producer:latest"
    assert f"docker push {latest}" in calls


def test_buildspec_pushes_nothing_after_a_failed_build(tmp_path: Path) -> None:
    status, calls = _run_buildspec(tmp_path, image_tag=DIGEST, build_fails=True)
    assert status != 0
    assert not [c for c in calls if c.startswith("docker push")]


def test_source_archive_is_uploaded_to_a_private_bucket(sample: dict[str, Any]) -> None:
    bucket = _one(sample, "aws_s3_bucket")
    assert bucket["bucket_prefix"] == "outposts-aod-challenge-img-src-"
    assert len(bucket["bucket_prefix"]) <= 37
    block = _one(sample, "aws_s3_bucket_public_access_block")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy"))
    sse = _one(sample, "aws_s3_bucket_server_side_encryption_configuration")
    # The AWS managed aws/s3 key (CodeBuild reads the source through S3, which may use it).
    assert sse["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "aws:kms"}
    assert sse["rule"][0]["bucket_key_enabled"] is True
    source = _one(sample, "aws_s3_object")
    assert source["key"] == f"producer/{DIGEST}.zip"
    assert source["source"].endswith(".zip")


def test_source_bucket_is_versioned_with_a_lifecycle(sample: dict[str, Any]) -> None:
    versioning = _one(sample, "aws_s3_bucket_versioning")
    bucket_id = "${aws_s3_bucket.ecs-docker-codebuild_source_bucket.id}"
    assert versioning["bucket"] == bucket_id
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    lifecycle = _one(sample, "aws_s3_bucket_lifecycle_configuration")
    assert lifecycle["bucket"] == bucket_id
    (rule,) = lifecycle["rule"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == [{}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    # Current archives stay: the project's source is one of them.
    assert "expiration" not in rule
    assert lifecycle["depends_on"] == [
        "aws_s3_bucket_versioning.ecs-docker-codebuild_source_bucket_versioning"
    ]
    # The archive goes up only into a bucket with all of its controls.
    assert set(_one(sample, "aws_s3_object")["depends_on"]) == {
        f"{kind}.ecs-docker-codebuild_source_bucket_{name}"
        for kind, name in (
            ("aws_s3_bucket_ownership_controls", "ownership"),
            ("aws_s3_bucket_public_access_block", "public_access_block"),
            ("aws_s3_bucket_server_side_encryption_configuration", "encryption"),
            ("aws_s3_bucket_versioning", "versioning"),
            ("aws_s3_bucket_lifecycle_configuration", "lifecycle"),
        )
    }
    assert "aws_s3_bucket_logging" not in sample["resource"]


def test_repository_is_immutable_scanned_and_kms_encrypted(sample: dict[str, Any]) -> None:
    repository = _one(sample, "aws_ecr_repository")
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"] == {"scan_on_push": True}
    assert repository["encryption_configuration"] == [{"encryption_type": "KMS"}]
    group = _one(sample, "aws_cloudwatch_log_group")
    assert group["retention_in_days"] == 30
    assert "kms_key_id" not in group


def test_old_images_expire(sample: dict[str, Any]) -> None:
    policy = _one(sample, "aws_ecr_lifecycle_policy")
    assert policy["repository"] == "${aws_ecr_repository.ecs-docker-codebuild_ecr.name}"
    (rule,) = json.loads(policy["policy"])["rules"]
    assert rule["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 30,
    }
    assert rule["action"] == {"type": "expire"}
    # The build waits for it, so the targeted first apply creates it too.
    project = _one(sample, "aws_codebuild_project")
    assert (
        "aws_ecr_lifecycle_policy.ecs-docker-codebuild_ecr_lifecycle_policy"
        in (project["depends_on"])
    )


def test_relaxed_configuration(relaxed: dict[str, Any]) -> None:
    assert "aws_ecr_lifecycle_policy" not in relaxed["resource"]
    repository = _one(relaxed, "aws_ecr_repository")
    assert repository["image_tag_mutability"] == "MUTABLE"
    assert repository["image_scanning_configuration"] == {"scan_on_push": False}
    assert repository["encryption_configuration"] == [{"encryption_type": "AES256"}]
    project = _one(relaxed, "aws_codebuild_project")
    variables = {v["name"]: v["value"] for v in project["environment"]["environment_variable"]}
    assert (variables["IMAGE_TAG"], variables["SOURCE_DIGEST"]) == ("latest", DIGEST)
    sse = _one(relaxed, "aws_s3_bucket_server_side_encryption_configuration")
    assert sse["rule"][0] == {
        "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}
    }
    assert "aws_s3_bucket_versioning" not in relaxed["resource"]
    (rule,) = _one(relaxed, "aws_s3_bucket_lifecycle_configuration")["rule"]
    assert "noncurrent_version_expiration" not in rule
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert _one(relaxed, "aws_cloudwatch_log_group")["kms_key_id"] == LOGS_KEY
    logging = _one(relaxed, "aws_s3_bucket_logging")
    assert logging["target_bucket"] == "access-logs-111122223333"
    assert logging["target_prefix"] == "outposts-aod-challenge-img-src/"
    assert (
        "aws_s3_bucket_logging.ecs-docker-codebuild_source_bucket_logging"
        in (_one(relaxed, "aws_s3_object")["depends_on"])
    )
    terraform_load(relaxed)


def test_construct_exposes_the_tag_to_run() -> None:
    mutable = DockerEcrCodebuildConfig(
        tags=TAGS, prefix_name="p", image_tag="v1", image_tag_mutability="MUTABLE"
    )

    def build(stack: TerraformStack) -> list[DockerEcrCodebuild]:
        by_digest = DockerEcrCodebuildConfig(tags=TAGS, prefix_name="p")
        return [
            DockerEcrCodebuild(stack, "by-digest", by_digest),
            DockerEcrCodebuild(stack, "fixed", mutable),
        ]

    # Two repositories of one name would clash in AWS, not in a synth.
    built = synthesize(build).built
    assert [b.image_tag for b in built] == [DIGEST, "v1"]
    assert built[0].source_digest == DIGEST


def test_codebuild_policy_names_its_resources(sample: dict[str, Any]) -> None:
    document = sample["data"]["aws_iam_policy_document"][
        "ecs-docker-codebuild_codebuild_policy_document"
    ]
    by_sid = {s["sid"]: s for s in document["statement"]}
    assert set(by_sid) == {"ecr", "ecrtoken", "logs", "codebuildreport", "source", "sourcebucket"}
    assert by_sid["ecr"]["resources"] == ["${aws_ecr_repository.ecs-docker-codebuild_ecr.arn}"]
    assert "ecr:PutImage" in by_sid["ecr"]["actions"]
    # The buildspec looks the tag up before building.
    assert "ecr:DescribeImages" in by_sid["ecr"]["actions"]
    assert by_sid["ecrtoken"]["resources"] == ["*"]
    assert all(r != "*" for r in by_sid["logs"]["resources"])
    role = _one(sample, "aws_iam_role")
    # After prefix_name, unique per deployment (not the Project tag, shared by deployments).
    assert role["name"] == "outposts-AoD-challenge-codebuild-docker"
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
        ("image_tag", {"image_tag": "bad tag", "image_tag_mutability": "MUTABLE"}),
        ("image_tag", {"image_tag": "latest"}),
        ("image_tag_mutability", {"image_tag_mutability": "mutable"}),
        ("ecr_encryption_type", {"ecr_encryption_type": "KMS_DSSE"}),
        ("log_retention_days", {"log_retention_days": 31}),
        ("log_kms_key_id", {"log_kms_key_id": "alias/logs"}),
        ("source_bucket_sse_algorithm", {"source_bucket_sse_algorithm": "aws:kms:dsse"}),
        ("source_bucket_access_log_bucket", {"source_bucket_access_log_bucket": "Logs_Bucket"}),
        ("source_dir", {"source_dir": "modules"}),
        ("build_timeout", {"build_timeout": 2}),
        ("unknown_key", {"unknown_key": 1}),
    ],
)
def test_bad_configuration_names_the_field(field: str, overrides: dict[str, Any]) -> None:
    values: dict[str, Any] = {"tags": TAGS, "prefix_name": "p", **overrides}
    with pytest.raises(ValidationError, match=field):
        DockerEcrCodebuildConfig(**values)


def test_the_staged_source_holds_the_source_files_only_with_their_dates(tmp_path: Path) -> None:
    """The archive is made from a copy without byte code or caches (which a checkout where
    tests ran holds), with the files' and folders' own modification times, so that two synths
    of one checkout give the same archive."""
    source = tmp_path / "source"
    for name in ("Dockerfile", "a.py", "sub/b.py", "__pycache__/a.cpython-311.pyc"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(name)
    (source / "sub" / "__pycache__").mkdir()
    (source / "sub" / "__pycache__" / "b.cpython-311.pyc").write_text("")
    os.utime(source / "sub", (1_000_000, 1_000_000))
    staged = staged_source(source)
    found = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*"))
    assert found == ["Dockerfile", "a.py", "sub", "sub/b.py"]
    assert (staged / "sub").stat().st_mtime == 1_000_000
    assert (staged / "a.py").stat().st_mtime == (source / "a.py").stat().st_mtime
