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
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modules.regions import partition
from variables import RootVariables
from vars_file import VARS_SUFFIX, ConfigError, deployment_name, load_variables

if TYPE_CHECKING:
    from cdktf import App

ROOT = Path(__file__).resolve().parent
VARS_DIR = ROOT / "vars"


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
    _check_side_by_side(deployments)
    return deployments


# What two deployments may not share, and where it must be unique: bucket names in a
# partition; stream names and the deployment's own names in an account's Region.
_UNIQUE_KEYS = (
    ("s3_bucket_outposts_logging_name", "partition"),
    ("kinesis_stream_name", "Region"),
    ("deployment_prefix", "Region"),
)


def _check_side_by_side(deployments: list[Deployment]) -> None:
    """Two vars files that would create or adopt one resource are refused, naming both: AWS
    answers some creations of an existing name by returning it (ECS clusters), and the second
    deployment's destroy would then delete the first one's. The account is known only from
    an Outpost's ARN; two deployments whose accounts are not both known may share one."""
    problems = []
    for index, second in enumerate(deployments):
        for first in deployments[:index]:
            a, b = first.variables, second.variables
            if a.outposts_arn and b.outposts_arn and _account(a) != _account(b):
                continue
            for key, scope in _UNIQUE_KEYS:
                if scope == "partition":
                    same, where = partition(a.region) == partition(b.region), partition(a.region)
                else:
                    same, where = a.region == b.region, a.region
                if same and getattr(a, key) == getattr(b, key):
                    problems.append(
                        f"{first.source} and {second.source} both set {key} to "
                        f"{getattr(a, key)!r}, which must be unique in the {scope} {where}: "
                        "give each deployment its own"
                    )
    if problems:
        raise ConfigError("\n".join(problems))


def _account(v: RootVariables) -> str:
    return v.outposts_arn.split(":")[4]


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
