"""Reading a vars file: ``load_variables`` validates a ``vars/*.tfvars.json`` file into
``RootVariables``, and every module configuration the stack builds from them
(``stack_configs.py``), before anything loads the provider bindings, so that a mistake is
reported at once; ``variable_warnings`` names what is valid but probably not meant.
``main.py`` synthesizes the stack from the result.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from modules.validation import describe_validation_error, outposts_instance_warning
from stack_configs import (
    ConstructOutputs,
    alb_ecs_config,
    image_config,
    module_configs,
    test_client_config,
    vpc_config,
)
from variables import RootVariables, deployment_prefix_of

VARS_SUFFIX = ".tfvars.json"
# What the cdktf CLI accepts as a stack name.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class ConfigError(Exception):
    """A vars file or a module configuration that cannot be deployed; the message says why."""


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys; Terraform refuses the file.
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


_HCL_LINE = re.compile(r"^\s*[A-Za-z_][\w-]*\s*=")
_YAML_LINE = re.compile(r"^\s*[A-Za-z_][\w-]*\s*:(\s|$)")
_COMMENT_LINE = re.compile(r"^\s*(//|#|/\*)")


def _not_json(text: str) -> str:
    """What a file that is not JSON looks like, and what to do about it."""
    lines = [line for line in text.splitlines() if line.strip()]
    if any(_COMMENT_LINE.match(line) for line in lines):
        return 'has comments, which JSON does not allow; put a note in a "//" key instead'
    first = next((line for line in lines if not _COMMENT_LINE.match(line)), "")
    if _HCL_LINE.match(first):
        return (
            'looks like HCL (a .tfvars file); write it as JSON: {"key": value, ...} in a '
            ".tfvars.json file"
        )
    if _YAML_LINE.match(first):
        return 'looks like YAML; write it as JSON: {"key": value, ...}'
    return "is not valid JSON"


def read_vars_file(path: Path) -> dict[str, Any]:
    """The variables of a vars file as a dictionary; a file that is not one is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such vars file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a vars file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    if not text.strip():
        raise ConfigError(f"{path}: is empty; it must hold a JSON object of variables")
    if text.startswith("\ufeff"):
        raise ConfigError(
            f"{path}: starts with a byte-order mark (BOM), which Terraform refuses; save it as "
            "UTF-8 without one"
        )
    try:
        data: Any = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey as exc:
        raise ConfigError(
            f"{path}: key {exc.key!r} appears twice, which Terraform refuses; keep one"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: {_not_json(text)} ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(data), "a number"
        )
        raise ConfigError(f"{path}: must hold a JSON object of variables, not {kind}")
    # "//" is Terraform JSON's comment key.
    data.pop("//", None)
    return data


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


def add_vars_file_argument(parser: argparse.ArgumentParser) -> None:
    """``--vars-file`` (default ``$VARS_FILE``): the deployment, as the make targets pass it."""
    parser.add_argument(
        "--vars-file",
        type=Path,
        default=Path(os.environ["VARS_FILE"]) if os.environ.get("VARS_FILE") else None,
        help="the deployment's vars file (default: $VARS_FILE)",
    )


def add_deployment_arguments(parser: argparse.ArgumentParser) -> None:
    """``--vars-file`` and ``--outdir`` (default ``$CDKTF_OUTDIR``, else ``cdktf.out``): the
    deployment and where ``make synth`` wrote its stack, as the make targets that read a
    synthesized stack pass them."""
    add_vars_file_argument(parser)
    parser.add_argument(
        "--outdir",
        type=Path,
        default=Path(
            os.environ.get("CDKTF_OUTDIR") or Path(__file__).resolve().parent / "cdktf.out"
        ),
        help="where make synth wrote the stacks (default: cdktf.out)",
    )


def parse_deployment_arguments(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> argparse.Namespace:
    """``parser``'s arguments (with :func:`add_vars_file_argument`'s); naming no vars file is
    bad input: one ``error:`` line, as every other, and exit 2."""
    args = parser.parse_args(argv)
    if args.vars_file is None:
        parser.exit(
            2, "error: no vars file: pass --vars-file vars/<name>.tfvars.json, or set VARS_FILE\n"
        )
    return args


def synthesized_stack(vars_file: Path, outdir: Path) -> tuple[str, Path, dict[str, Any]]:
    """The deployment's name, stack folder and synthesized JSON, made from this very vars file
    (its digest is the stack's provenance); anything else is a ``ConfigError`` that says to
    synthesize it."""
    name = deployment_name(vars_file)
    path = outdir / "stacks" / name / "cdk.tf.json"
    synth = f"make synth VARS_FILE={vars_file}"
    if not path.is_file():
        raise ConfigError(f"{path}: no synthesized stack of deployment {name}; run {synth}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: cannot read it ({error}); run {synth}") from None
    comment = document.get("//") if isinstance(document, dict) else None
    comment = comment[0] if isinstance(comment, list) and comment else comment
    recorded = comment.get("provenance", {}).get("sha256") if isinstance(comment, dict) else None
    if recorded and recorded != hashlib.sha256(vars_file.read_bytes()).hexdigest():
        raise ConfigError(
            f"{path} was synthesized from another version of {vars_file}; run {synth}"
        )
    return name, path.parent, document


def load_variables(path: str | Path) -> RootVariables:
    """Read and validate a vars file, and the module configurations the stack builds from it;
    every problem becomes a ``ConfigError``."""
    path = Path(path)
    data = read_vars_file(path)
    if isinstance(data, dict) and not data.get("deployment_prefix"):
        # Names unique in the account and Region derive from the deployment by default.
        data = {**data, "deployment_prefix": deployment_prefix_of(deployment_name(path))}
    try:
        variables = TypeAdapter(RootVariables).validate_python(data)
    except ValidationError as exc:
        raise ConfigError(
            describe_validation_error(
                exc, str(path), fields=RootVariables.__dataclass_fields__, model=RootVariables
            )
        ) from None
    placeholders = ConstructOutputs.placeholders(variables)
    builders: dict[str, Callable[[], object]] = {
        "vpc": lambda: vpc_config(variables),
        "docker-ecr-codebuild": lambda: image_config(variables),
        "alb-ecs": lambda: alb_ecs_config(variables, placeholders),
        "test-client": lambda: test_client_config(variables, placeholders, "alb.example.com"),
    }
    for module, build in builders.items():
        try:
            build()
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc, f"{path} (module {module})")) from None
    return variables


def variable_warnings(v: RootVariables) -> list[str]:
    """What is valid in ``v`` but probably not meant: one line each, naming the keys."""
    found = []
    public = len(v.public_subnets_cidr_list)
    if 0 < public < v.number_AZ:
        found.append(
            f"number_AZ: {v.number_AZ}, but public_subnets_cidr_list has {public} "
            "subnet(s): one NAT gateway serves every AZ instead of one per AZ; give "
            "number_AZ public subnets for a NAT gateway in each"
        )
    if v.outposts_arn and v.enable_test_client:
        client = outposts_instance_warning("ec2_instance_type", v.ec2_instance_type)
        found += [client] if client else []
    return found + module_configs(v).alb_ecs.warnings()
