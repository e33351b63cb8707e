"""Step 3 of ``make deploy``: the producer image for the applied source, built when missing.

The CodeBuild project carries what the build pushes in its environment
(``IMAGE_REPO_NAME_PRODUCER``, ``IMAGE_TAG``, ``SOURCE_DIGEST``, ``REPOSITORY_URI``). When the
tag is the source digest and the repository holds it, that image was built from this very
source: nothing to build. Otherwise the build is started and followed: each phase is printed
as it ends, with its duration and status, and the tail of the build log when the build ends.
A failed, stopped or timed-out build raises :class:`BuildFailed` naming the phase and AWS's
reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from scripts.deploy.progress import DeployError, say

#: Lines of the build log printed when the build ends.
LOG_TAIL_LINES = 25
#: Added to the project's own build timeout before the follower gives up on a build.
FOLLOW_MARGIN_SECONDS = 600


class BuildFailed(DeployError):
    """The image build ended without pushing the image."""


@dataclass(frozen=True)
class ImageProject:
    """The CodeBuild project of a deployment and the image its build pushes."""

    name: str
    repository: str
    repository_uri: str
    tag: str
    source_digest: str
    timeout_minutes: int

    @property
    def image(self) -> str:
        return f"{self.repository_uri}:{self.tag}"


def read_project(codebuild: Any, name: str) -> ImageProject:
    """The applied project ``name``, as CodeBuild has it."""
    found = codebuild.batch_get_projects(names=[name]).get("projects", [])
    if not found:
        raise DeployError(
            f"CodeBuild has no project {name}: the image module's apply did not create it"
        )
    project = found[0]
    env = {v["name"]: v["value"] for v in project["environment"].get("environmentVariables", [])}
    missing = [
        key
        for key in ("IMAGE_REPO_NAME_PRODUCER", "IMAGE_TAG", "SOURCE_DIGEST", "REPOSITORY_URI")
        if key not in env
    ]
    if missing:
        raise DeployError(f"CodeBuild project {name} lacks the environment variables {missing}")
    return ImageProject(
        name=name,
        repository=env["IMAGE_REPO_NAME_PRODUCER"],
        repository_uri=env["REPOSITORY_URI"],
        tag=env["IMAGE_TAG"],
        source_digest=env["SOURCE_DIGEST"],
        timeout_minutes=int(project.get("timeoutInMinutes") or 60),
    )


def image_exists(ecr: Any, repository: str, tag: str) -> bool:
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ImageNotFoundException":
            return False
        raise
    return True


def ensure_image(
    clients: Callable[[str], Any], project_name: str, poll_seconds: float
) -> str | None:
    """The build of the image the applied project pushes, unless the repository already holds
    it for this source: the build's id, or None when there was nothing to build."""
    project = read_project(clients("codebuild"), project_name)
    if project.tag == project.source_digest and image_exists(
        clients("ecr"), project.repository, project.tag
    ):
        say(f"image {project.image} is in the repository: nothing to build")
        return None
    build = clients("codebuild").start_build(projectName=project.name)["build"]
    say(f"building {project.image}: CodeBuild build {build['id']}")
    deadline = (project.timeout_minutes * 60) + FOLLOW_MARGIN_SECONDS
    try:
        follow(clients, build["id"], poll_seconds, deadline)
    except KeyboardInterrupt:
        say(f"interrupted: the build {build['id']} goes on in CodeBuild")
        raise
    return str(build["id"])


def follow(
    clients: Callable[[str], Any], build_id: str, poll_seconds: float, timeout: float
) -> None:
    """Print each phase of the build as it ends until the build ends; raise BuildFailed
    unless it succeeded."""
    codebuild = clients("codebuild")
    started = time.monotonic()
    shown: set[str] = set()
    while True:
        build = codebuild.batch_get_builds(ids=[build_id])["builds"][0]
        for phase in build.get("phases", []):
            if "phaseStatus" in phase and phase["phaseType"] not in shown:
                shown.add(phase["phaseType"])
                seconds = phase.get("durationInSeconds")
                took = f" in {seconds} s" if seconds is not None else ""
                say(f"  {phase['phaseType']:<17} {phase['phaseStatus']}{took}")
        status = build["buildStatus"]
        if status != "IN_PROGRESS":
            break
        if time.monotonic() - started > timeout:
            raise BuildFailed(
                f"the build {build_id} has not ended after {timeout / 60:.0f} minutes; it goes "
                f"on in CodeBuild (aws codebuild batch-get-builds --ids {build_id})"
            )
        time.sleep(poll_seconds)
    print_log_tail(clients("logs"), build)
    if status != "SUCCEEDED":
        raise BuildFailed(f"the image build {build_id} {status}: {failure_reason(build)}")
    say(f"build {build_id} SUCCEEDED")


def failure_reason(build: dict[str, Any]) -> str:
    """The failed phase and AWS's messages for it."""
    for phase in build.get("phases", []):
        if phase.get("phaseStatus") not in (None, "SUCCEEDED"):
            messages = [
                f"{c.get('statusCode', '')}: {c.get('message', '')}".strip(": ")
                for c in phase.get("contexts", [])
                if c.get("message") or c.get("statusCode")
            ]
            reason = "; ".join(messages) or "no message from CodeBuild"
            return f"phase {phase['phaseType']} {phase['phaseStatus']} ({reason})"
    return f"build status {build.get('buildStatus')}, no failed phase named"


def print_log_tail(logs: Any, build: dict[str, Any]) -> None:
    """The last lines of the build's log, when CodeBuild wrote one."""
    where = build.get("logs", {})
    group, stream = where.get("groupName"), where.get("streamName")
    if not group or not stream:
        say("the build wrote no CloudWatch log")
        return
    try:
        events = logs.get_log_events(
            logGroupName=group, logStreamName=stream, limit=LOG_TAIL_LINES, startFromHead=False
        )["events"]
    except ClientError as error:
        say(f"the build log {group} {stream} cannot be read: {error}")
        return
    say(f"the build log's last {len(events)} lines ({group} {stream}):")
    for event in events:
        print(f"   | {event['message'].rstrip()}", flush=True)
