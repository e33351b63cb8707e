"""CodeBuild builds that run, in the emulator's process: a stand-in for the project's buildspec.

moto's ``StartBuild`` only records a build, and its ``BatchGetBuilds`` reports every build
``SUCCEEDED`` at once (appending the whole list of phases again on every call): nothing is
built, nothing pushed, no log written. :func:`install` replaces ``StartBuild``,
``BatchGetBuilds`` and ``StopBuild`` with builds that advance with the clock, one phase after
another as AWS reports them (``SUBMITTED``, ``QUEUED``, ``PROVISIONING``, ``DOWNLOAD_SOURCE``,
``INSTALL``, ``PRE_BUILD``, ``BUILD``, ``POST_BUILD``, ``UPLOAD_ARTIFACTS``, ``FINALIZING``,
``COMPLETED``), each taking :attr:`Settings.phase_seconds`; ``SUBMITTED`` ends as the build
starts. A build's id is ``<project>:<UUID>``, its log stream the UUID (``<streamName>/<UUID>``
when the project's ``logsConfig`` names a stream prefix), as CodeBuild names them.

Nothing runs in the background (moto's state is not thread-safe): a build catches up with the
clock whenever the emulator serves a request (:class:`CodeBuildResponder` sees to that before
every request, so ECR and CloudWatch Logs show what a build did by then), and a phase's work is
done when the phase ends. Phases that fail go on as AWS does: after a failed ``BUILD``,
``POST_BUILD`` and ``UPLOAD_ARTIFACTS`` are still attempted; after an earlier failure the build
goes to ``FINALIZING``; ``buildStatus`` stays ``IN_PROGRESS`` until ``COMPLETED``.

What the phases do stands in for ``modules/templates/buildspec.yml`` (the buildspec text itself
is not run, and Docker is not involved):

- ``DOWNLOAD_SOURCE`` reads the project's S3 source (``bucket/key``; the build's
  ``sourceVersion`` is the object version) from moto's S3 in the build's account; a missing
  bucket or key, or an object that is no zip, fails the phase with ``CLIENT_ERROR``.
- ``PRE_BUILD``: when ``IMAGE_TAG`` equals ``SOURCE_DIGEST`` and the ECR repository
  ``IMAGE_REPO_NAME_PRODUCER`` already holds ``IMAGE_TAG``, nothing is built or pushed (the log
  says so); a missing repository then fails the phase, as ``describe-images`` would.
- ``BUILD`` fails (``COMMAND_EXECUTION_ERROR``, ``docker build``) when the archive has no
  ``Dockerfile`` at its root or a ``*.py`` file of it does not compile (the producer's
  Dockerfile runs ``python -m compileall``; the log shows the ``SyntaxError``). Otherwise it
  pushes an image to ``REPOSITORY_URI`` under ``IMAGE_TAG``: a Docker v2 schema 2 manifest
  whose config and layer digests derive from the archive's sha256; a tag that an IMMUTABLE
  repository already holds fails the ``docker push``.
- Every phase from ``DOWNLOAD_SOURCE`` to ``UPLOAD_ARTIFACTS`` logs to the project's CloudWatch
  Logs group (``logsConfig``, by default ``/aws/codebuild/<project>``) in CodeBuild's format;
  when the group does not exist the build runs unlogged. Environment variables are taken as
  PLAINTEXT; of StartBuild's overrides only ``environmentVariablesOverride``, ``sourceVersion``
  and ``sourceLocationOverride`` are applied.

``GET /_codebuild/state`` reads the settings, ``POST /_codebuild/state`` (a JSON object of the
fields of :data:`SETTABLE`) changes them for the builds started after.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import re
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import state_endpoint
from .state_endpoint import WsgiApp, serve_state

STATE_PATH = "/_codebuild/state"
#: The fields of :class:`Settings` a test may set through ``POST /_codebuild/state``.
SETTABLE = ("phase_seconds",)
#: Long enough for a follower polling every 0.5 to 1 s to see a build in progress.
DEFAULT_PHASE_SECONDS = 0.5
PHASES = (
    "SUBMITTED",
    "QUEUED",
    "PROVISIONING",
    "DOWNLOAD_SOURCE",
    "INSTALL",
    "PRE_BUILD",
    "BUILD",
    "POST_BUILD",
    "UPLOAD_ARTIFACTS",
    "FINALIZING",
    "COMPLETED",
)
#: The phases the build container runs, and logs.
CONTAINER_PHASES = PHASES[PHASES.index("DOWNLOAD_SOURCE") : PHASES.index("FINALIZING")]
#: Phases attempted even after a failed one: a failed BUILD still gets POST_BUILD and
#: UPLOAD_ARTIFACTS (https://docs.aws.amazon.com/codebuild/latest/userguide/view-build-details-phases.html).
_ALWAYS_FOLLOWED = ("BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING")
#: ``<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>``
_REPOSITORY_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+)$"
)
_MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
# The commands the stand-in "runs", as the log and the failure contexts name them.
DESCRIBE_IMAGES = (
    'aws ecr describe-images --repository-name "${IMAGE_REPO_NAME_PRODUCER}" '
    '--image-ids imageTag="${IMAGE_TAG}"'
)
DOCKER_LOGIN = (
    "aws ecr get-login-password | docker login --username AWS --password-stdin "
    '"${REPOSITORY_URI%%/*}"'
)
DOCKER_BUILD = 'docker build --tag "${REPOSITORY_URI}:${IMAGE_TAG}" .'
DOCKER_PUSH = 'docker push "${REPOSITORY_URI}:${IMAGE_TAG}"'
_COMPILE_STEP = "/bin/sh -c python -m compileall -q ."


@dataclass
class Settings:
    """How the emulator's builds run; a build keeps the settings it started with."""

    phase_seconds: float = DEFAULT_PHASE_SECONDS
    """How long each phase from QUEUED to FINALIZING takes."""

    def state(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: Mapping[str, Any]) -> None:
        if not isinstance(changes, Mapping):
            raise TypeError("a JSON object of settings is expected")
        unknown = set(changes) - set(SETTABLE)
        if unknown:
            raise ValueError(f"not settable: {', '.join(sorted(unknown))}")
        if "phase_seconds" in changes:
            seconds = changes["phase_seconds"]
            if (
                isinstance(seconds, bool)
                or not isinstance(seconds, int | float)
                or not math.isfinite(seconds)
                or seconds < 0
            ):
                raise ValueError(f"phase_seconds must be a number of seconds >= 0: {seconds!r}")
            self.phase_seconds = float(seconds)


def read_state(endpoint: str) -> dict[str, Any]:
    """The emulator's build settings (``GET /_codebuild/state``)."""
    return state_endpoint.read_state(endpoint, STATE_PATH)


def update_state(endpoint: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set fields of :data:`SETTABLE`; the settings after."""
    return state_endpoint.update_state(endpoint, STATE_PATH, changes)


def _now() -> datetime:
    return datetime.now(UTC)


class PhaseFailed(Exception):
    """The phase ends with ``status``; ``code`` and ``message`` are its context."""

    def __init__(self, code: str, message: str, status: str = "FAILED") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Build:
    """One build of a project: its ``Build`` shape in :attr:`metadata`, kept up to date by
    :meth:`advance`."""

    def __init__(
        self,
        account: str,
        region: str,
        project: Mapping[str, Any],
        number: int,
        phase_seconds: float,
        now: datetime,
        *,
        variables_override: Iterable[Mapping[str, Any]] = (),
        source_version: str | None = None,
        source_location: str | None = None,
    ) -> None:
        self.account, self.region = account, region
        self.phase_seconds = phase_seconds
        self.uuid = str(uuid.uuid4())
        self.id = f"{project['name']}:{self.uuid}"
        environment = copy.deepcopy(project.get("environment") or {})
        variables = {v["name"]: dict(v) for v in environment.get("environmentVariables") or []}
        variables.update({v["name"]: dict(v) for v in variables_override})
        environment["environmentVariables"] = list(variables.values())
        self.variables = {name: str(v.get("value", "")) for name, v in variables.items()}
        source = copy.deepcopy(project.get("source") or {})
        if source_location:
            source["location"] = source_location
        cloudwatch = dict((project.get("logsConfig") or {}).get("cloudWatchLogs") or {})
        cloudwatch.setdefault("status", "ENABLED")
        self.cloudwatch = cloudwatch
        self.result = "SUCCEEDED"
        self.complete = False
        self.push_image = True
        self.files: dict[str, bytes] = {}
        self.archive = b""
        self.log_group: Any = None
        self.stream_name = ""
        self._lines: list[tuple[datetime, str]] = []
        self._phase_start = now
        partition = "aws-cn" if region.startswith("cn-") else "aws"
        self.metadata: dict[str, Any] = {
            "id": self.id,
            "arn": f"arn:{partition}:codebuild:{region}:{account}:build/{self.id}",
            "buildNumber": number,
            "startTime": now,
            "currentPhase": "SUBMITTED",
            "buildStatus": "IN_PROGRESS",
            "projectName": project["name"],
            "phases": [],
            "source": source,
            "secondarySources": copy.deepcopy(project.get("secondarySources") or []),
            "secondarySourceVersions": [],
            "artifacts": {"location": ""},
            "secondaryArtifacts": [],
            "cache": copy.deepcopy(project.get("cache") or {"type": "NO_CACHE"}),
            "environment": environment,
            "serviceRole": project.get("serviceRole", ""),
            # Known once the build container has created its stream.
            "logs": {
                "deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region={region}"
                "#logEvent:group=null;stream=null",
                "cloudWatchLogs": cloudwatch,
                "s3Logs": {"status": "DISABLED", "encryptionDisabled": False},
            },
            "timeoutInMinutes": project.get("timeoutInMinutes") or 60,
            "queuedTimeoutInMinutes": project.get("queuedTimeoutInMinutes") or 480,
            "buildComplete": False,
            "encryptionKey": project.get("encryptionKey", ""),
        }
        if source_version or project.get("sourceVersion"):
            self.metadata["sourceVersion"] = source_version or project["sourceVersion"]
        if project.get("vpcConfig"):
            self.metadata["vpcConfig"] = copy.deepcopy(project["vpcConfig"])
        self.metadata["phases"].append(
            {
                "phaseType": "SUBMITTED",
                "phaseStatus": "SUCCEEDED",
                "startTime": now,
                "endTime": now,
                "durationInSeconds": 0,
            }
        )
        self._enter("QUEUED", now)

    # The clock.

    def advance(self, now: datetime) -> None:
        """Run every phase that has ended by ``now``."""
        while not self.complete:
            end = self._phase_start + timedelta(seconds=self.phase_seconds)
            if now < end:
                return
            self._finish(end)

    def stop(self, now: datetime) -> None:
        """StopBuild: the running phase ends ``STOPPED`` and the build goes to FINALIZING."""
        self.advance(now)
        phase = self.metadata["currentPhase"]
        if self.complete or phase == "FINALIZING":
            return
        self._close(phase, now, "STOPPED", [])
        self.result = "STOPPED"
        self._enter("FINALIZING", now)

    def _enter(self, phase: str, start: datetime) -> None:
        self._phase_start = start
        self.metadata["currentPhase"] = phase
        self.metadata["phases"].append({"phaseType": phase, "startTime": start})
        if phase == "COMPLETED":
            self.metadata.update(buildStatus=self.result, endTime=start, buildComplete=True)
            self.complete = True
        elif phase == "DOWNLOAD_SOURCE":
            self._open_log(start)
            self._container(start, "Waiting for agent ping")
            self._container(start, "Waiting for DOWNLOAD_SOURCE")
        elif phase in CONTAINER_PHASES:
            self._container(start, f"Entering phase {phase}")

    def _finish(self, end: datetime) -> None:
        phase = self.metadata["currentPhase"]
        status, code, message = "SUCCEEDED", "", ""
        try:
            getattr(self, f"_phase_{phase.lower()}", lambda: None)()
        except PhaseFailed as failure:
            status, code, message = failure.status, failure.code, failure.message
        except Exception as error:
            # A fault of the stand-in, not of the build: AWS's word for its own faults.
            traceback.print_exc()
            status, code, message = "FAULT", "INTERNAL_ERROR", repr(error)
        # AWS gives contexts (empty ones when all went well) from PROVISIONING on.
        contexts = [{"statusCode": code, "message": message}] if phase != "QUEUED" else []
        self._close(phase, end, status, contexts)
        if status != "SUCCEEDED" and self.result == "SUCCEEDED":
            self.result = status
        following = (
            PHASES[PHASES.index(phase) + 1]
            if status == "SUCCEEDED" or phase in _ALWAYS_FOLLOWED
            else "FINALIZING"
        )
        self._enter(following, end)

    def _close(
        self, phase: str, end: datetime, status: str, contexts: list[dict[str, str]]
    ) -> None:
        entry = self.metadata["phases"][-1]
        entry.update(
            phaseStatus=status,
            endTime=end,
            durationInSeconds=round((end - entry["startTime"]).total_seconds()),
        )
        if contexts:
            entry["contexts"] = contexts
        if phase in CONTAINER_PHASES:
            self._container(end, f"Phase complete: {phase} State: {status}")
            context = contexts[0] if contexts else {"statusCode": "", "message": ""}
            self._container(
                end,
                f"Phase context status code: {context['statusCode']} Message: {context['message']}",
            )
        self._flush()

    # The log.

    def _open_log(self, start: datetime) -> None:
        """Create the build's log stream, as the build container does when it starts."""
        from moto.logs.models import logs_backends

        if self.cloudwatch.get("status") != "ENABLED":
            return
        group_name = (
            self.cloudwatch.get("groupName") or f"/aws/codebuild/{self.metadata['projectName']}"
        )
        prefix = self.cloudwatch.get("streamName")
        self.stream_name = f"{prefix}/{self.uuid}" if prefix else self.uuid
        self.log_group = logs_backends[self.account][self.region].groups.get(group_name)
        if self.log_group is None:
            return  # AWS would fail to log; the build itself goes on
        self.log_group.create_log_stream(self.stream_name)
        self.metadata["logs"].update(
            groupName=group_name,
            streamName=self.stream_name,
            deepLink=f"https://console.aws.amazon.com/cloudwatch/home?region={self.region}"
            f"#logEvent:group={group_name};stream={self.stream_name}",
            cloudWatchLogsArn=f"{self.log_group.arn.removesuffix(':*')}"
            f":log-stream:{self.stream_name}",
        )

    def _container(self, when: datetime, text: str) -> None:
        """A line of the build agent, ``[Container] 2026/12/06 11:00:00.000000 ...``."""
        self._lines.append((when, f"[Container] {when:%Y/%m/%d %H:%M:%S.%f} {text}"))

    def _output(self, *lines: str) -> None:
        """Lines a command printed, at the start of the running phase."""
        self._lines.extend((self._phase_start, line) for line in lines)

    def _flush(self) -> None:
        if self.log_group is not None and self._lines:
            self.log_group.put_log_events(
                self.stream_name,
                [
                    {"timestamp": int(when.timestamp() * 1000), "message": text}
                    for when, text in self._lines
                ],
            )
        self._lines.clear()

    def _command(self, command: str) -> None:
        self._container(self._phase_start, f"Running command {command}")

    def _fail(self, command: str, *output: str) -> PhaseFailed:
        """The failure of ``command`` that printed ``output`` and exited with status 1."""
        self._output(*output)
        self._container(
            self._phase_start, f"Command did not exit successfully {command} exit status 1"
        )
        return PhaseFailed(
            "COMMAND_EXECUTION_ERROR",
            f"Error while executing command: {command}. Reason: exit status 1",
        )

    # The phases' work.

    def _phase_download_source(self) -> None:
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends

        source = self.metadata["source"]
        self._container(self._phase_start, "Phase is DOWNLOAD_SOURCE")
        if source.get("type") != "S3":
            raise PhaseFailed(
                "CLIENT_ERROR", f"the emulator builds S3 sources only, not {source.get('type')}"
            )
        location = str(source.get("location", ""))
        bucket, _, key = location.partition("/")
        version = self.metadata.get("sourceVersion")
        partition = self.metadata["arn"].split(":")[1]
        try:
            found = s3_backends[self.account][partition].get_object(bucket, key, version)
            error = "NoSuchKey: The specified key does not exist."
        except MissingBucket:
            found, error = None, "NoSuchBucket: The specified bucket does not exist"
        if found is None:
            raise PhaseFailed(
                "CLIENT_ERROR",
                f"{error} status code: 404, request id: {uuid.uuid4().hex[:16].upper()}, "
                f"host id: {uuid.uuid4().hex} for primary source and source version "
                f"arn:{partition}:s3:::{location}",
            )
        self.archive = bytes(found.value)
        try:
            with zipfile.ZipFile(io.BytesIO(self.archive)) as archive:
                self.files = {
                    info.filename: archive.read(info)
                    for info in archive.infolist()
                    if not info.is_dir()
                }
        except zipfile.BadZipFile as bad:
            raise PhaseFailed("CLIENT_ERROR", f"zip: not a valid zip file: {location}") from bad
        self._container(self._phase_start, "CODEBUILD_SRC_DIR=/codebuild/output/src/src")
        self._container(self._phase_start, "Processing environment variables")

    def _phase_pre_build(self) -> None:
        from moto.ecr.models import ecr_backends

        v = self.variables
        uri, tag = v.get("REPOSITORY_URI", ""), v.get("IMAGE_TAG", "")
        self._command("PUSH_IMAGE=yes")
        if tag and tag == v.get("SOURCE_DIGEST"):
            self._command(DESCRIBE_IMAGES)
            name = v.get("IMAGE_REPO_NAME_PRODUCER", "")
            region = v.get("AWS_DEFAULT_REGION") or self.region
            repository = ecr_backends[self.account][region].repositories.get(name)
            if repository is None:
                raise self._fail(
                    DESCRIBE_IMAGES,
                    f"Cannot tell whether {uri}:{tag} exists: An error occurred "
                    "(RepositoryNotFoundException) when calling the DescribeImages operation: "
                    f"The repository with name '{name}' does not exist in the registry with "
                    f"id '{self.account}'",
                )
            image = next((i for i in repository.images if tag in i.image_tags), None)
            if image is not None:
                self.push_image = False
                self._output(
                    f"{uri}:{tag} is already in the repository ({image.image_digest}): "
                    "nothing to build"
                )
        if self.push_image:
            self._command(DOCKER_LOGIN)
            self._output("Login Succeeded")

    def _phase_build(self) -> None:
        if not self.push_image:
            return
        v = self.variables
        image = f"{v.get('REPOSITORY_URI', '')}:{v.get('IMAGE_TAG', '')}"
        self._command(DOCKER_BUILD)
        if "Dockerfile" not in self.files:
            raise self._fail(
                DOCKER_BUILD,
                "ERROR: failed to solve: failed to read dockerfile: "
                "open Dockerfile: no such file or directory",
            )
        errors = self._compile_errors()
        if errors:
            failure = f'process "{_COMPILE_STEP}" did not complete successfully: exit code: 1'
            raise self._fail(
                DOCKER_BUILD,
                "#1 [stand-in] RUN python -m compileall -q .",
                *(f"#1 0.100 {line}" for line in errors),
                f"#1 ERROR: {failure}",
                f"ERROR: failed to solve: {failure}",
            )
        self._output(f"#2 naming to {image} done")
        self._push(image)
        self._output(f"Pushed {image}")

    def _compile_errors(self) -> list[str]:
        """What ``python -m compileall -q`` prints for the archive's Python files."""
        lines: list[str] = []
        for name in sorted(self.files):
            if not name.endswith(".py"):
                continue
            # compileall names the files from the build context it was given, ".".
            path = f"./{name}"
            try:
                compile(self.files[name], path, "exec")
            except (SyntaxError, ValueError) as error:
                lines.append(f"*** Error compiling '{path}'...")
                for text in traceback.format_exception_only(error):
                    lines.extend(text.rstrip("\n").split("\n"))
        return lines

    def _push(self, image: str) -> None:
        """``docker push``: the image into moto's ECR, as REPOSITORY_URI names it."""
        from moto.ecr.exceptions import ImageAlreadyExistsException
        from moto.ecr.models import ecr_backends

        self._command(DOCKER_PUSH)
        tag = self.variables.get("IMAGE_TAG", "")
        target = _REPOSITORY_URI.match(self.variables.get("REPOSITORY_URI", ""))
        if target is None or not tag:
            raise self._fail(DOCKER_PUSH, f'invalid reference format: "{image}"')
        backend = ecr_backends[target["account"]][target["region"]]
        name = target["repository"]
        repository = backend.repositories.get(name)
        if repository is None:
            raise self._fail(
                DOCKER_PUSH,
                f"name unknown: The repository with name '{name}' does not exist in the "
                f"registry with id '{target['account']}'",
            )
        manifest, digest = self._manifest()
        same = [i for i in repository.images if tag in i.image_tags and i.image_digest == digest]
        if same and not repository.is_tag_immutable():
            self._output("Layer already exists")  # pushing it again changes nothing
        else:
            try:
                backend.put_image(name, manifest, tag, digest=digest)
            except ImageAlreadyExistsException as refused:
                raise self._fail(
                    DOCKER_PUSH,
                    f"tag invalid: The image tag '{tag}' already exists in the '{name}' "
                    "repository and cannot be overwritten because the repository is immutable.",
                ) from refused
        self._output(f"{tag}: digest: {digest} size: {len(manifest)}")

    def _manifest(self) -> tuple[str, str]:
        """A Docker v2 schema 2 manifest of an image made from the archive, and its digest."""
        layer = f"sha256:{hashlib.sha256(self.archive).hexdigest()}"
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [layer]},
            }
        ).encode()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": _MANIFEST_TYPE,
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": len(config),
                    "digest": f"sha256:{hashlib.sha256(config).hexdigest()}",
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": len(self.archive),
                        "digest": layer,
                    }
                ],
            },
            indent=3,
        )
        return manifest, f"sha256:{hashlib.sha256(manifest.encode()).hexdigest()}"


class BuildRunner:
    """The emulator's settings and its builds that have not completed yet."""

    def __init__(self) -> None:
        self.settings = Settings()
        self.running: list[Build] = []

    def start(self, backend: Any, project: Mapping[str, Any], **overrides: Any) -> Build:
        """A new build of ``project`` in moto's CodeBuild ``backend``, listed as moto lists
        builds (ListBuilds, ListBuildsForProject)."""
        history = backend.build_history.setdefault(project["name"], [])
        build = Build(
            backend.account_id,
            backend.region_name,
            project,
            len(history) + 1,
            self.settings.phase_seconds,
            _now(),
            **overrides,
        )
        history.append(build.id)
        builds_of(backend)[build.id] = build
        self.running.append(build)
        return build

    def tick(self) -> None:
        """Let every running build catch up with the clock."""
        now = _now()
        for build in list(self.running):
            build.advance(now)
            if build.complete:
                self.running.remove(build)


#: The emulator process's one runner.
RUNNER = BuildRunner()


def builds_of(backend: Any) -> dict[str, Build]:
    """The builds of moto's CodeBuild ``backend`` (one account and Region), by id."""
    if not hasattr(backend, "e2e_builds"):
        backend.e2e_builds = {}
    builds: dict[str, Build] = backend.e2e_builds
    return builds


def install(runner: BuildRunner = RUNNER) -> None:
    """Replace moto's ``StartBuild``, ``BatchGetBuilds`` and ``StopBuild`` by ``runner``'s."""
    from moto.codebuild.exceptions import InvalidInputException, ResourceNotFoundException
    from moto.codebuild.responses import CodeBuildResponse, _validate_required_params_project_name
    from moto.core.responses import ActionResult
    from moto.utilities.utils import get_partition

    if getattr(CodeBuildResponse.start_build, "_e2e_shim", False):
        return

    def start_build(self: CodeBuildResponse) -> ActionResult:
        name = self._get_param("projectName")
        _validate_required_params_project_name(name)
        project = self.codebuild_backend.codebuild_projects.get(name)
        if project is None:
            raise ResourceNotFoundException(
                f"Project cannot be found: arn:{get_partition(self.region)}:codebuild:"
                f"{self.region}:{self.current_account}:project/{name}"
            )
        runner.tick()
        build = runner.start(
            self.codebuild_backend,
            project.project_metadata,
            variables_override=self._get_param("environmentVariablesOverride") or [],
            source_version=self._get_param("sourceVersion"),
            source_location=self._get_param("sourceLocationOverride"),
        )
        return ActionResult({"build": build.metadata})

    def batch_get_builds(self: CodeBuildResponse) -> ActionResult:
        ids: list[str] = self._get_param("ids") or []
        if any(":" not in build_id for build_id in ids):
            raise InvalidInputException("Invalid build ID provided")
        runner.tick()
        builds = builds_of(self.codebuild_backend)
        return ActionResult(
            {
                "builds": [builds[i].metadata for i in ids if i in builds],
                "buildsNotFound": [i for i in ids if i not in builds],
            }
        )

    def stop_build(self: CodeBuildResponse) -> ActionResult:
        build_id: str = self._get_param("id")
        if ":" not in build_id:
            raise InvalidInputException("Invalid build ID provided")
        build = builds_of(self.codebuild_backend).get(build_id)
        if build is None:
            raise ResourceNotFoundException(f"Build {build_id} does not exist")
        runner.tick()
        build.stop(_now())
        return ActionResult({"build": build.metadata})

    for method in (start_build, batch_get_builds, stop_build):
        method._e2e_shim = True  # type: ignore[attr-defined]
        setattr(CodeBuildResponse, method.__name__, method)


class CodeBuildResponder:
    """WSGI middleware in front of the emulator, Outpost or not: it serves
    ``/_codebuild/state`` and lets the builds catch up with the clock before every request."""

    def __init__(self, app: WsgiApp, runner: BuildRunner = RUNNER) -> None:
        self.app = app
        self.runner = runner

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == STATE_PATH:
            return self._state(environ, start_response)
        self.runner.tick()
        return self.app(environ, start_response)

    def _state(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        settings = self.runner.settings
        return serve_state(environ, start_response, settings.state, settings.update)
