"""A copy of the project to run the README's make targets in, against the emulator, so that
the checkout itself gets no state file, no stack folder and no edited source."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scripts.terraform_cli import terraform_env

from .emulator import ROOT, Emulator


def copy_project(target: Path) -> Path:
    """The checkout's files (tracked or not ignored, as they are now) copied into ``target``,
    with links to the installed tools."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file may have been deleted in the work tree
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for tool in (".venv", "node_modules"):
        (target / tool).symlink_to(ROOT / tool)
    return target


def project_env(project: Path, emulator: Emulator, vars_file: Path) -> dict[str, str]:
    """The environment of make and Terraform in the copy: the emulator's endpoint and dummy
    credentials, the deployment's vars file, no update checks."""
    return terraform_env(
        project,
        {
            **emulator.env(),
            "AWS_MAX_ATTEMPTS": "2",
            "AWS_EC2_METADATA_DISABLED": "true",
            "VARS_FILE": str(vars_file),
            # The plugin cache is Terraform's; cdktf would otherwise set its own.
            "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "1",
            "CHECKPOINT_DISABLE": "1",
            "DISABLE_VERSION_CHECK": "1",
            "CI": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        },
    )
