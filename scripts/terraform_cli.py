"""Running the Terraform CLI on a synthesized stack, offline when a provider mirror is at hand.

Terraform installs the AWS provider from the first source that applies:

1. a CLI configuration the user already has (``TF_CLI_CONFIG_FILE`` naming an existing file,
   or ``~/.terraformrc``): used as it is;
2. a filesystem mirror (``TF_PROVIDER_MIRROR``, else the first of Terraform's implied local
   mirror folders and ``/opt/*`` that holds ``registry.terraform.io/hashicorp/aws``): a CLI
   configuration written next to the working folder installs every provider from it and asks
   no registry, which is what an air-gapped CI needs;
3. otherwise the public registry, as a user with internet access gets it.

The providers that ``terraform init`` installs are kept in one plugin cache
(``TF_PLUGIN_CACHE_DIR``, else ``.terraform-cache`` at the repository root), so each further
working folder links the provider binary (700 MB for hashicorp/aws) instead of copying it, and
never installs it again (``TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE``): a reinstall
replaces the cached copy while other Terraform commands run from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AWS_PROVIDER = Path("registry.terraform.io", "hashicorp", "aws")
# Terraform's implied local mirror folders on Unix, then where images tend to put one.
_IMPLIED_MIRRORS = (
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)


class TerraformError(RuntimeError):
    """A Terraform command failed; the message holds the command and what it printed last."""


def find_terraform() -> str | None:
    """The terraform executable on the PATH (or ``TERRAFORM``), or None."""
    return shutil.which(os.environ.get("TERRAFORM", "terraform"))


def _has_aws_provider(folder: Path) -> bool:
    provider = folder / AWS_PROVIDER
    return provider.is_dir() and any(provider.iterdir())


def find_provider_mirror() -> Path | None:
    """A filesystem mirror that holds hashicorp/aws, or None."""
    named = os.environ.get("TF_PROVIDER_MIRROR")
    if named:
        folder = Path(named).expanduser()
        if not _has_aws_provider(folder):
            raise TerraformError(
                f"TF_PROVIDER_MIRROR={named}: no {AWS_PROVIDER} inside; point it at the folder "
                "that holds registry.terraform.io/"
            )
        return folder
    candidates = list(_IMPLIED_MIRRORS)
    opt = Path("/opt")
    if opt.is_dir():
        candidates += sorted(p for p in opt.iterdir() if p.is_dir())
    return next((c for c in candidates if _has_aws_provider(c)), None)


def configured_cli_file() -> Path | None:
    """The CLI configuration file the user has, if it exists."""
    named = os.environ.get("TF_CLI_CONFIG_FILE")
    path = Path(named).expanduser() if named else Path.home() / ".terraformrc"
    return path if path.is_file() else None


def terraform_env(work: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Terraform commands run in ``work`` (see the module docstring)."""
    env = dict(os.environ)
    env.update({"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"})
    env.setdefault("TF_PLUGIN_CACHE_DIR", str(ROOT / ".terraform-cache"))
    # Without it, an init in a folder with no lock file (every synthesized stack) installs the
    # provider again and replaces the cache's copy, under the feet of parallel Terraform
    # commands reading it; with it, the cached copy is used and its checksum locked.
    env.setdefault("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "1")
    Path(env["TF_PLUGIN_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
    if configured_cli_file() is None:
        mirror = find_provider_mirror()
        if mirror is None:
            env.pop("TF_CLI_CONFIG_FILE", None)
        else:
            config = work.parent / f".{work.name}.terraformrc"
            config.write_text(
                "provider_installation {\n"
                f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
                '    include = ["registry.terraform.io/*/*"]\n  }\n'
                '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n'
            )
            env["TF_CLI_CONFIG_FILE"] = str(config)
    if extra:
        env.update(extra)
    return env


def run(
    args: Sequence[str],
    work: Path,
    env: Mapping[str, str],
    *,
    ok_codes: Sequence[int] = (0,),
    quiet: bool = False,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``terraform ARGS`` in ``work``; raise TerraformError unless its exit code is ok
    (or when it runs longer than ``timeout`` seconds)."""
    terraform = find_terraform()
    if terraform is None:
        raise TerraformError("terraform is not on the PATH (install Terraform 1.5 or later)")
    started = time.monotonic()
    if not quiet:
        print(f">> terraform {' '.join(args)}", file=sys.stderr, flush=True)
    try:
        result = subprocess.run(
            [terraform, *args],
            cwd=work,
            env=dict(env),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as expired:
        raise TerraformError(
            f"terraform {' '.join(args)} still running after {timeout} s in {work}"
        ) from expired
    if result.returncode not in ok_codes:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-40:])
        raise TerraformError(
            f"terraform {' '.join(args)} exited {result.returncode} in {work}:\n{tail}"
        )
    if not quiet:
        print(
            f"   done in {time.monotonic() - started:.1f} s (exit {result.returncode})",
            file=sys.stderr,
            flush=True,
        )
    return result


def stream(
    args: Sequence[str],
    work: Path,
    env: Mapping[str, str],
    *,
    ok_codes: Sequence[int] = (0,),
    shown: str | None = None,
) -> int:
    """Run ``terraform ARGS`` in ``work`` with its output on this process's own, for the
    operator to follow (the command line as ``shown``, when it is too long to read); its exit
    code, or TerraformError unless it is ok."""
    terraform = find_terraform()
    if terraform is None:
        raise TerraformError("terraform is not on the PATH (install Terraform 1.5 or later)")
    print(f">> terraform {shown or ' '.join(args)}", flush=True)
    code = subprocess.run([terraform, *args], cwd=work, env=dict(env), check=False).returncode
    if code not in ok_codes:
        raise TerraformError(f"terraform {' '.join(args)} exited {code} in {work} (see above)")
    return code


def planned_changes(plan: Mapping[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    """``terraform show -json`` of a plan: each changed managed resource's actions and the
    attributes whose planned value is known and differs."""
    found = {}
    for resource in plan.get("resource_changes", []):
        change = resource["change"]
        if change["actions"] == ["no-op"] or resource.get("mode", "managed") != "managed":
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        unknown = change.get("after_unknown") or {}
        attributes = sorted(
            key
            for key in before.keys() | after.keys()
            if before.get(key) != after.get(key) and not is_unknown(unknown.get(key))
        )
        found[resource["address"]] = (change["actions"], attributes)
    return found


def is_unknown(marker: Any) -> bool:
    """Whether an ``after_unknown`` marker leaves any part of its value unknown: ``true``, or a
    block or list holding a ``true`` (a set of known blocks is marked ``[{}, {}]``)."""
    if isinstance(marker, dict):
        return any(is_unknown(value) for value in marker.values())
    if isinstance(marker, list):
        return any(is_unknown(value) for value in marker)
    return marker is True


def warm_plugin_cache() -> None:
    """Install the AWS provider into the plugin cache once, before Terraform runs in parallel.

    Terraform does not promise that concurrent ``init`` runs may install into one cache; once
    the provider is there, each ``init`` only links it. Without Terraform, nothing to do.
    """
    from modules.provider_versions import AWS_PROVIDER_VERSIONS

    if find_terraform() is None:
        print(">> no terraform on the PATH: the plugin cache stays as it is", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix="plugin-cache-") as folder:
        work = Path(folder) / "work"
        work.mkdir()
        required = {"aws": {"source": "hashicorp/aws", "version": AWS_PROVIDER_VERSIONS}}
        (work / "main.tf.json").write_text(
            json.dumps({"terraform": {"required_providers": required}})
        )
        env = terraform_env(work)
        print(
            f">> the AWS provider into the plugin cache {env['TF_PLUGIN_CACHE_DIR']}",
            file=sys.stderr,
        )
        run(["init", "-no-color", "-backend=false"], work, env, quiet=True, timeout=600)


if __name__ == "__main__":
    if sys.argv[1:] != ["warm-plugin-cache"]:
        raise SystemExit("usage: python scripts/terraform_cli.py warm-plugin-cache")
    sys.path.insert(0, str(ROOT))
    warm_plugin_cache()
