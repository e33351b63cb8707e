"""make deploy's image and service steps against the emulator: a build followed to its end
(pushed, or failed with its phase and reason), nothing to build for an image already pushed,
and the wait for a service that starts once its image exists. The whole command, with
Terraform, runs in make e2e."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest

from scripts.deploy.image import BuildFailed, ensure_image
from scripts.deploy.progress import DeployError
from scripts.deploy.service import wait_stable

from .codebuild import update_state
from .emulator import Emulator

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
REPOSITORY = "deploy/kinesis/producer"
DIGEST = "0123456789abcdef"


def source_zip(app: str) -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("Dockerfile", "FROM scratch\n")
        archive.writestr("service/app.py", app)
    return packed.getvalue()


@pytest.fixture
def emulator(start_emulator: Callable[..., Emulator]) -> Emulator:
    emulator = start_emulator(REGION)
    update_state(emulator.endpoint, {"phase_seconds": 0.05})
    return emulator


def make_project(emulator: Emulator, name: str, app: str) -> str:
    """A project as the image module makes it, with its source, repository and log group."""
    s3 = emulator.client("s3")
    bucket = f"{name}-source"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="source.zip", Body=source_zip(app))
    ecr = emulator.client("ecr")
    try:
        uri = ecr.create_repository(repositoryName=REPOSITORY)["repository"]["repositoryUri"]
    except ecr.exceptions.RepositoryAlreadyExistsException:
        uri = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0][
            "repositoryUri"
        ]
    emulator.client("logs").create_log_group(logGroupName=f"/aws/codebuild/{name}")
    role = emulator.client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    variables = {
        "IMAGE_REPO_NAME_PRODUCER": REPOSITORY,
        "REPOSITORY_URI": uri,
        "IMAGE_TAG": DIGEST,
        "SOURCE_DIGEST": DIGEST,
    }
    emulator.client("codebuild").create_project(
        name=name,
        source={"type": "S3", "location": f"{bucket}/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [{"name": k, "value": v} for k, v in variables.items()],
        },
        serviceRole=role,
        logsConfig={"cloudWatchLogs": {"status": "ENABLED"}},
    )
    return name


def tags(emulator: Emulator) -> list[str]:
    images = emulator.client("ecr").list_images(repositoryName=REPOSITORY)["imageIds"]
    return [i["imageTag"] for i in images if "imageTag" in i]


def test_a_build_is_followed_to_its_push_and_then_there_is_nothing_to_build(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(emulator, "good", "print('ready')\n")
    build_id = ensure_image(emulator.client, project, poll_seconds=0.02)
    assert build_id is not None and build_id.startswith("good:")
    said = capsys.readouterr().out
    # Every phase printed once, as it ended, then the log's tail.
    for phase in ("DOWNLOAD_SOURCE", "PRE_BUILD", "BUILD", "POST_BUILD", "FINALIZING"):
        assert said.count(f"  {phase} ") == 1, said
    assert f"build {build_id} SUCCEEDED" in said
    assert "the build log's last" in said and "   | " in said
    assert tags(emulator) == [DIGEST]
    assert ensure_image(emulator.client, project, poll_seconds=0.02) is None
    assert "is in the repository: nothing to build" in capsys.readouterr().out
    assert (
        len(emulator.client("codebuild").list_builds_for_project(projectName=project)["ids"]) == 1
    )


def test_a_failed_build_names_its_phase_and_reason_and_pushes_nothing(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(emulator, "broken", "def broken(:\n")
    with pytest.raises(BuildFailed) as failed:
        ensure_image(emulator.client, project, poll_seconds=0.02)
    message = str(failed.value)
    assert "FAILED" in message and "phase BUILD FAILED" in message
    assert "COMMAND_EXECUTION_ERROR" in message
    said = capsys.readouterr().out
    assert "SyntaxError" in said  # the log's tail shows why
    assert tags(emulator) == []


def service_of(emulator: Emulator, image: str) -> tuple[str, str]:
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="deploy-cluster")
    definition = ecs.register_task_definition(
        family="deploy-producer",
        containerDefinitions=[{"name": "producer", "image": image, "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="deploy-cluster",
        serviceName="deploy-service",
        taskDefinition=definition,
        desiredCount=2,
    )
    return "deploy-cluster", "deploy-service"


def test_the_wait_ends_once_the_services_image_exists(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(emulator, "service", "print('ready')\n")
    uri = emulator.client("ecr").describe_repositories(repositoryNames=[REPOSITORY])[
        "repositories"
    ][0]["repositoryUri"]
    cluster, name = service_of(emulator, f"{uri}:{DIGEST}")
    ecs = emulator.client("ecs")
    with pytest.raises(DeployError) as waited:
        wait_stable(ecs, cluster, name, poll_seconds=0.05, timeout=0.3)
    assert "is not stable" in str(waited.value)
    assert "CannotPullContainerError" in str(waited.value)
    assert "0 of 2 task(s) running" in capsys.readouterr().out
    ensure_image(emulator.client, project, poll_seconds=0.02)
    wait_stable(ecs, cluster, name, poll_seconds=0.05, timeout=5)
    said = capsys.readouterr().out
    assert "2 of 2 task(s) running, 0 pending; 1 deployment(s), the newest COMPLETED" in said
    assert f"service {name} is stable" in said


def test_a_missing_service_is_said(emulator: Emulator) -> None:
    emulator.client("ecs").create_cluster(clusterName="empty")
    with pytest.raises(DeployError, match="ECS has no service gone in the cluster empty"):
        wait_stable(emulator.client("ecs"), "empty", "gone", poll_seconds=0.05, timeout=1)
