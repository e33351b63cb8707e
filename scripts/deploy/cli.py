"""The command line of ``make deploy`` (``python -m scripts.deploy``): the steps of the package
docstring, in order, each said before it starts; ``error: ...`` as the last line of a failure."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import scripts.deploy
from scripts.deploy.image import ensure_image
from scripts.deploy.progress import DeployError, ask_yes, say
from scripts.deploy.service import wait_stable
from scripts.terraform_cli import TerraformError, planned_changes, run, stream, terraform_env
from stack_configs import IMAGE_TARGETS
from vars_file import (
    ConfigError,
    add_deployment_arguments,
    load_variables,
    parse_deployment_arguments,
    synthesized_stack,
)

CODEBUILD_PROJECT = "aws_codebuild_project.ecs-docker-codebuild_ecs_docker"
#: Seconds between two looks at the build and at the service (AWS's own waiters use 5 to 15).
POLL_SECONDS = 10.0
#: How long the service may take to become stable (tasks pulled, started and healthy).
STABLE_TIMEOUT = 1800.0
Changes = dict[str, tuple[list[str], list[str]]]


def not_confirmed(changes: Changes, confirmed: Changes) -> list[str]:
    """The changes (address and actions) of a plan that the confirmed plan did not show."""
    return sorted(
        f"{address} ({'/'.join(actions)})"
        for address, (actions, _) in changes.items()
        if confirmed.get(address, ([], []))[0] != actions
    )


class Deploy:
    """The Terraform side of one deploy, in the synthesized stack's folder."""

    def __init__(self, stack: Path) -> None:
        self.stack = stack
        self.env = terraform_env(stack)

    def plan(self, name: str, *targets: str) -> tuple[Path, Changes]:
        """A saved plan (of ``targets`` only, when given) and its changes."""
        plan = self.stack / name
        args = ["plan", "-input=false", "-no-color", f"-out={name}"]
        stream([*args, *(f"-target={t}" for t in targets)], self.stack, self.env)
        shown = run(["show", "-json", name], self.stack, self.env, quiet=True)
        return plan, planned_changes(json.loads(shown.stdout))

    def apply(self, plan: Path, changes: Changes, confirmed: Changes) -> None:
        """Apply a saved plan once its changes are among those confirmed."""
        unconfirmed = not_confirmed(changes, confirmed)
        if unconfirmed:
            raise DeployError(
                "the plan changed since it was confirmed (another apply, or changes made in "
                f"AWS meanwhile): {', '.join(unconfirmed)}; nothing of it was applied; run "
                "make deploy again to see the new plan"
            )
        if changes:
            stream(["apply", "-input=false", "-no-color", plan.name], self.stack, self.env)
        plan.unlink(missing_ok=True)

    def outputs(self) -> dict[str, Any]:
        shown = run(["output", "-json"], self.stack, self.env, quiet=True)
        return {name: value["value"] for name, value in json.loads(shown.stdout).items()}


def confirm(changes: Changes, auto_approve: bool) -> None:
    if auto_approve or not changes:
        return
    ask_yes(
        f"\nApply these {len(changes)} change(s): the image module, the image build, then the "
        "rest?",
        no_terminal="no terminal to confirm the plan on: run make deploy in one, or with "
        "DEPLOY_ARGS=--auto-approve",
        refused="not confirmed: nothing was applied",
    )


def clients_of(region: str) -> Callable[[str], Any]:
    """boto3 clients of ``region``, made once each, with AWS's standard retries."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=region)
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, read_timeout=60)
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service, config=config)  # type: ignore[call-overload]
        return made[service]

    return client


def deploy(stack: Path, document: dict[str, Any], region: str, args: argparse.Namespace) -> None:
    """The steps of the package docstring, on the synthesized ``stack``."""
    clients = clients_of(region)
    terraform = Deploy(stack)
    say(f"1/5 terraform init and the plan of the whole deployment ({stack.name})")
    # A changed backend is moved only when asked: Terraform copies the state to the new one.
    moved = ["-migrate-state", "-force-copy"] if args.migrate_state else []
    stream(["init", "-input=false", "-no-color", *moved], stack, terraform.env)
    whole, confirmed = terraform.plan("deploy.tfplan")
    whole.unlink()
    confirm(confirmed, args.auto_approve)
    say("2/5 the image module: the ECR repository, the CodeBuild project and the source")
    plan, changes = terraform.plan("image.tfplan", *IMAGE_TARGETS)
    terraform.apply(plan, changes, confirmed)
    project = document["resource"]["aws_codebuild_project"][CODEBUILD_PROJECT.split(".")[1]]
    say(f"3/5 the producer image of this source (CodeBuild project {project['name']})")
    ensure_image(clients, project["name"], args.poll_seconds)
    say("4/5 the rest of the deployment")
    plan, changes = terraform.plan("rest.tfplan")
    terraform.apply(plan, changes, confirmed)
    outputs = terraform.outputs()
    cluster, service = outputs["ecs_cluster_name"], outputs["ecs_service_name"]
    say(f"5/5 waiting until service {service} of cluster {cluster} is stable")
    wait_stable(clients("ecs"), cluster, service, args.poll_seconds, args.stable_timeout)
    say(f"deployed: http://{outputs['alb_dns_name']}/ (make output VARS_FILE={args.vars_file})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make deploy", description=(scripts.deploy.__doc__ or "").splitlines()[0]
    )
    add_deployment_arguments(parser)
    parser.add_argument("--auto-approve", action="store_true", help="apply without asking")
    parser.add_argument(
        "--migrate-state",
        action="store_true",
        help="after s3_backend was added, changed or removed: copy the state to the new backend",
    )
    parser.add_argument(
        "--poll-seconds",
        type=float,
        default=POLL_SECONDS,
        help=f"seconds between looks at the build and the service (default {POLL_SECONDS:g})",
    )
    parser.add_argument(
        "--stable-timeout",
        type=float,
        default=STABLE_TIMEOUT,
        help=f"seconds the service may take to become stable (default {STABLE_TIMEOUT:g})",
    )
    args = parse_deployment_arguments(parser, argv)
    if args.poll_seconds <= 0 or args.stable_timeout <= 0:
        parser.error("--poll-seconds and --stable-timeout must be more than 0")
    try:
        variables = load_variables(args.vars_file)
        _, stack, document = synthesized_stack(args.vars_file, args.outdir)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        deploy(stack, document, variables.region, args)
    except (DeployError, TerraformError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0
