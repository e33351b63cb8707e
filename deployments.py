"""Deployments: one per vars file, named after it, each synthesized into a stack of its own.

``vars/prod.tfvars.json`` is the deployment ``prod``: its stack is ``prod``, its Terraform JSON
``cdktf.out/stacks/prod/cdk.tf.json`` and its local state ``terraform.prod.tfstate`` at the
repository root. So a forgotten ``VARS_FILE`` cannot plan the example values against a real
deployment's state: every vars file has a state of its own, and ``cdktf deploy`` needs the
stack's name as soon as there are two.

Everything here but ``synthesize`` runs before the provider bindings load.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from variables import RootVariables
from vars_file import ConfigError, load_variables

if TYPE_CHECKING:
    from cdktf import App

ROOT = Path(__file__).resolve().parent
VARS_DIR = ROOT / "vars"
VARS_SUFFIX = ".tfvars.json"
# What the cdktf CLI accepts as a stack name.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Deployment:
    """A vars file, validated, and the stack it becomes."""

    name: str
    """Stack name: the vars file's name without ``.tfvars.json``."""
    source: str
    """The vars file's path relative to the repository (``/``-separated)."""
    sha256: str
    """Digest of the vars file's bytes, recorded in the JSON beside ``source``."""
    variables: RootVariables


def deployment_name(vars_file: Path) -> str:
    """The deployment a vars file describes: its file name without ``.tfvars.json``."""
    suffix = next((s for s in (VARS_SUFFIX, ".json") if vars_file.name.endswith(s)), None)
    if suffix is None:
        raise ConfigError(
            f"{vars_file}: a vars file is JSON, named <deployment>{VARS_SUFFIX} "
            "(vars/prod.tfvars.json is the deployment prod)"
        )
    name = vars_file.name.removesuffix(suffix)
    if not _NAME.match(name):
        raise ConfigError(
            f"{vars_file}: {name!r} cannot name a deployment; use letters, digits, - and _ "
            f"(starting with a letter or digit) before {suffix}"
        )
    return name


def vars_files(selected: str | None) -> list[Path]:
    """The vars file ``selected`` names, or else every ``vars/*.tfvars.json``."""
    if selected:
        return [Path(selected)]
    found = sorted(VARS_DIR.glob(f"*{VARS_SUFFIX}"))
    if not found:
        raise ConfigError(f"{_relative(VARS_DIR)}: no *{VARS_SUFFIX} file to synthesize")
    return found


def load_deployment(vars_file: Path) -> Deployment:
    """Read and validate one vars file; every problem is a ``ConfigError``."""
    name = deployment_name(vars_file)
    variables = load_variables(vars_file)
    return Deployment(
        name=name,
        source=_relative(vars_file),
        sha256=hashlib.sha256(vars_file.read_bytes()).hexdigest(),
        variables=variables,
    )


def load_deployments(files: list[Path]) -> list[Deployment]:
    """Every vars file validated; the errors of all of them at once in one ``ConfigError``."""
    deployments, errors = [], []
    for vars_file in files:
        try:
            deployments.append(load_deployment(vars_file))
        except ConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise ConfigError("\n".join(errors))
    names = [deployment.name for deployment in deployments]
    for name in sorted({name for name in names if names.count(name) > 1}):
        sources = [d.source for d in deployments if d.name == name]
        raise ConfigError(f"{' and '.join(sources)} both name the deployment {name!r}")
    return deployments


def synthesize(deployments: list[Deployment], outdir: Path) -> App:
    """One app, a stack per deployment; the provider bindings load once for all of them."""
    from cdktf import App

    from stack import OutpostsEcsStack

    # cdktf makes the folder itself, but not its parents (cdktf.out/all in a fresh clone).
    outdir.mkdir(parents=True, exist_ok=True)
    app = App(outdir=str(outdir))
    for deployment in deployments:
        provenance = {"vars_file": deployment.source, "sha256": deployment.sha256}
        OutpostsEcsStack(app, deployment.name, deployment.variables, provenance=provenance)
    app.synth()
    keep_other_stacks(outdir, [deployment.name for deployment in deployments])
    return app


def keep_other_stacks(outdir: Path, synthesized: list[str]) -> None:
    """List the other deployments' stack folders in the manifest, as they are.

    The cdktf CLI deletes every folder of ``stacks/`` that the manifest does not name once
    the app ran: synthesizing one deployment (``VARS_FILE``) would delete the others' JSON,
    ``.terraform`` and saved plans. Listed, each keeps what its own last synth wrote.
    """
    manifest_path = outdir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    stacks = manifest["stacks"]
    for folder in sorted((outdir / "stacks").iterdir()):
        name = folder.name
        if name in synthesized or name in stacks or not (folder / "cdk.tf.json").is_file():
            continue
        stacks[name] = {
            "annotations": [],
            "constructPath": name,
            "dependencies": [],
            "name": name,
            "stackMetadataPath": f"stacks/{name}/metadata.json",
            "synthesizedStackPath": f"stacks/{name}/cdk.tf.json",
            "workingDirectory": f"stacks/{name}",
        }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))


def synthesize_all(outdir: Path) -> list[Path]:
    """Synthesize every ``vars/*.tfvars.json`` into ``outdir``; the stack folders."""
    deployments = load_deployments(vars_files(None))
    synthesize(deployments, outdir)
    return [outdir / "stacks" / deployment.name for deployment in deployments]


def remove_stale_output(outdir: Path, names: list[str]) -> None:
    """Remove the configuration an earlier synth wrote for these stacks, so that nothing
    applies it by mistake.

    After a failed synth the folder would still hold the previous configuration, and the next
    ``terraform plan`` there would plan it as if nothing had happened. What Terraform keeps
    there (``.terraform``, its lock file, saved plans) stays: it is no configuration.
    """
    for name in names:
        stack_dir = outdir / "stacks" / name
        removed = []
        for configuration in (stack_dir / "cdk.tf.json", stack_dir / "assets"):
            if configuration.is_dir():
                shutil.rmtree(configuration)
            elif configuration.exists():
                configuration.unlink()
            else:
                continue
            removed.append(configuration)
        if removed:
            print(
                "removed the previous configuration "
                + " and ".join(map(str, removed))
                + ": nothing was synthesized",
                file=sys.stderr,
            )


def _relative(path: Path) -> str:
    """A path relative to the repository, so the JSON is the same in every checkout."""
    return Path(os.path.relpath(path.resolve(), ROOT)).as_posix()
