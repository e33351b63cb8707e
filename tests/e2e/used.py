"""A used deployment, as its destroy finds it: an image in its ECR repository and ALB access
log objects, one of them overwritten (so with two versions), in its log bucket; and what
``make destroy`` (``scripts/destroy.py``) must say and leave of it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from modules.state import LOCAL_STATE

from .emulator import ROOT, Emulator
from .workflow import COMMAND_TIMEOUT, Deployment, remaining_resources

#: The log objects' versions: three objects, one of them written twice.
LOG_VERSIONS = 4


def put_log_objects(s3: Any, bucket: str) -> int:
    """Write ALB access log objects into ``bucket``, as ELB's log delivery does (over HTTPS,
    which the bucket's TLS-only policy lets through); the number of object versions written."""
    for number in range(LOG_VERSIONS - 1):
        s3.put_object(Bucket=bucket, Key=f"alb/AWSLogs/log-{number}.gz", Body=b"log")
    s3.put_object(Bucket=bucket, Key="alb/AWSLogs/log-0.gz", Body=b"log, again")
    return LOG_VERSIONS


def push_image(ecr: Any, repository: str, tag: str = "used") -> None:
    """An image manifest pushed into ``repository``, as a build's push leaves one."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:" + "0" * 64,
        },
        "layers": [],
    }
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


def unsaid(output: str, bucket: str, versions: int) -> list[str]:
    """What ``make destroy``'s output of a used deployment lacks: the notice of the data that
    goes (images, object versions), then the log bucket emptied before its controls."""
    said = ("image(s)", "object version(s) and", f"{bucket}: {versions} object version(s) deleted")
    return [phrase for phrase in said if phrase not in output]


def make_destroy(deployment: Deployment, name: str, vars_file: Path, stack: Path) -> str:
    """``make destroy`` of an applied ``deployment`` (named ``name``, synthesized from
    ``vars_file`` into ``stack``) in an operator's layout: the stack folder in
    ``cdktf.out/stacks`` and the local state three folders up, where the stack's backend puts
    it. Its output; the destroy's seconds into the deployment's ``destroy`` timing."""
    project = deployment.work.parent / "project"
    folder = project / "cdktf.out" / "stacks" / name
    shutil.copytree(stack, folder)
    shutil.copy2(deployment.work / "terraform.tfstate", project / LOCAL_STATE.format(name=name))
    command = [sys.executable, "-m", "scripts.destroy", "--vars-file", str(vars_file)]
    command += ["--outdir", str(project / "cdktf.out"), "--auto-approve"]
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    deployment.timings["destroy"] = time.monotonic() - started
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise AssertionError(f"make destroy of {name} failed:\n{output[-6000:]}")
    state = json.loads((project / LOCAL_STATE.format(name=name)).read_text())
    if state.get("resources"):
        raise AssertionError(f"{name}: state not empty after make destroy")
    return output


def left_after(emulator: Emulator, *kept: str) -> dict[str, list[str]]:
    """What the emulator still holds of a deployment, but ``kept``, by kind (empty: all
    gone)."""
    left = {
        kind: [found for found in names if found not in kept]
        for kind, names in remaining_resources(emulator).items()
    }
    return {kind: names for kind, names in left.items() if names}
