"""The README's Terraform workflow, run against the emulator (``tests/e2e/emulator.py``).

A :class:`Deployment` is one synthesized stack copied into a working folder of its own:
``terraform init`` (state redirected into that folder with ``-backend-config``), ``validate``,
the targeted first apply of the image module, the full apply, the re-plan, ``destroy``. The
synthesized JSON is used as it is; the emulator comes in only through the environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.terraform_cli import TerraformError, run, terraform_env
from stack_configs import IMAGE_TARGETS

from .emulator import ROOT, Emulator

#: The outputs the README promises after a deploy (dashboard_name with enable_dashboard).
PROMISED_OUTPUTS = (
    "alb_dns_name",
    "ecr_repository_url",
    "codebuild_project_name",
    "kinesis_stream_name",
    "kinesis_stream_arn",
    "ecs_cluster_name",
    "ecs_service_name",
)
#: The article's test request (curl --data-raw against the ALB).
ARTICLE_REQUEST = '{"data":" This is a testing record"}'
#: Seconds one Terraform command may take (an apply takes 1 to 3 minutes here).
COMMAND_TIMEOUT = 900
#: The step names of a run, in order (the columns of the timing table).
STEPS = ("init", "validate", "targeted apply", "full apply", "re-plan", "destroy")


@dataclass(frozen=True)
class Mode:
    """A deployment mode: a name and the vars it is synthesized from."""

    name: str
    variables: dict[str, Any]

    @property
    def outpost(self) -> tuple[str, str] | None:
        """(Outpost ARN, local gateway id) for the emulator, or None in the Region."""
        arn = str(self.variables.get("outposts_arn", ""))
        if not arn:
            return None
        gateway = str(self.variables.get("outposts_local_gateway_id", ""))
        return arn, gateway or f"lgw-{arn.rsplit('/op-', 1)[-1]}"

    @property
    def region(self) -> str:
        return str(self.variables.get("aws_region") or self.variables["outposts_arn"].split(":")[3])


IMAGE_MODULE = "ecs-docker-codebuild_"


def managed_addresses(stack: Path) -> set[str]:
    """Every resource address of a synthesized stack."""
    synthesized = json.loads((stack / "cdk.tf.json").read_text())
    return {f"{kind}.{name}" for kind, blocks in synthesized["resource"].items() for name in blocks}


def image_module_addresses(stack: Path) -> set[str]:
    """The image module's resources: what the README's targeted first apply must create."""
    return {a for a in managed_addresses(stack) if a.split(".")[1].startswith(IMAGE_MODULE)}


def modes() -> dict[str, Mode]:
    """Outpost mode, and Region mode with EC2 and with FARGATE tasks."""
    outpost = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())
    region = json.loads((ROOT / "vars" / "region.tfvars.json").read_text())
    return {
        "outpost": Mode("outpost", outpost),
        "region-ec2": Mode("region-ec2", {**region, "ecs_launch_type": "EC2"}),
        # A deployment name longer than a prefix may be: the vars file names one that fits.
        "region-fargate": Mode(
            "region-fargate",
            {**region, "ecs_launch_type": "FARGATE", "deployment_prefix": "region-fg"},
        ),
    }


def log(message: str) -> None:
    print(f">> {message}", file=sys.stderr, flush=True)


def synthesize(mode: Mode, folder: Path) -> Path:
    """Synthesize ``mode`` with ``main.py`` into ``folder``; the stack's folder."""
    folder.mkdir(parents=True, exist_ok=True)
    vars_file = folder / f"{mode.name}.tfvars.json"
    vars_file.write_text(json.dumps(mode.variables, indent=2))
    outdir = folder / "cdktf.out"
    log(f"synthesizing {mode.name}")
    env = {**os.environ, "VARS_FILE": str(vars_file), "CDKTF_OUTDIR": str(outdir)}
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"main.py failed for {mode.name}:\n{result.stderr[-3000:]}")
    # A deployment's stack is named after its vars file.
    return outdir / "stacks" / mode.name


@dataclass
class Deployment:
    """One stack in a working folder of its own, driven with the Terraform CLI."""

    work: Path
    emulator: Emulator
    timings: dict[str, float] = field(default_factory=dict)
    #: Seconds each resource took to create or destroy, as ``terraform apply -json`` reports.
    resource_seconds: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_stack(cls, stack: Path, work: Path, emulator: Emulator) -> Deployment:
        """Copy the synthesized stack (JSON and assets, unchanged) into ``work``."""
        shutil.copytree(stack, work)
        return cls(work, emulator)

    @property
    def env(self) -> dict[str, str]:
        return terraform_env(
            self.work,
            {
                **self.emulator.env(),
                # Fail fast on a call the emulator lacks instead of retrying for minutes.
                "AWS_MAX_ATTEMPTS": "2",
                "AWS_EC2_METADATA_DISABLED": "true",
            },
        )

    def terraform(
        self, *args: str, ok_codes: tuple[int, ...] = (0,)
    ) -> subprocess.CompletedProcess[str]:
        return run(args, self.work, self.env, ok_codes=ok_codes, timeout=COMMAND_TIMEOUT)

    @contextmanager
    def _timed(self, step: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self.timings[step] = time.monotonic() - started

    def init(self) -> None:
        with self._timed("init"):
            # The state stays in the work folder, not three folders up where the stack's
            # local backend puts it.
            self.terraform(
                "init", "-no-color", f"-backend-config=path={self.work / 'terraform.tfstate'}"
            )

    def validate(self) -> None:
        with self._timed("validate"):
            self.terraform("validate", "-no-color")

    def targeted_apply(self) -> None:
        with self._timed("targeted apply"):
            targets = [f"-target={target}" for target in IMAGE_TARGETS]
            self.terraform("plan", "-no-color", "-out=image.tfplan", *targets)
            self._apply_json("targeted apply", "image.tfplan")

    def full_apply(self) -> None:
        with self._timed("full apply"):
            self.terraform("plan", "-no-color", "-out=all.tfplan")
            self._apply_json("full apply", "all.tfplan")

    def replan(self) -> subprocess.CompletedProcess[str]:
        """``plan -detailed-exitcode``: exit 0 for no changes, 2 for changes."""
        with self._timed("re-plan"):
            return self.terraform("plan", "-no-color", "-detailed-exitcode", ok_codes=(0, 2))

    def destroy(self) -> None:
        with self._timed("destroy"):
            self._apply_json("destroy", "-destroy", "-auto-approve")

    def _apply_json(self, step: str, *args: str) -> None:
        """``terraform apply -json ARGS``: each resource's seconds into ``resource_seconds``;
        a failure raises with Terraform's error diagnostics as text."""
        result = self.terraform("apply", "-json", *args, ok_codes=(0, 1))
        seconds, errors = apply_events(result.stdout)
        self.resource_seconds[step] = seconds
        if result.returncode != 0:
            raise TerraformError(
                f"terraform apply {' '.join(args)} exited {result.returncode} in {self.work}:\n"
                + "\n".join(errors or [result.stderr[-3000:]])
            )

    def state_list(self) -> list[str]:
        result = run(
            ["state", "list"],
            self.work,
            self.env,
            ok_codes=(0, 1),
            quiet=True,
            timeout=COMMAND_TIMEOUT,
        )
        return result.stdout.split()

    def state(self) -> dict[str, Any]:
        """``terraform show -json``: the state's root module values."""
        shown = json.loads(
            run(["show", "-json"], self.work, self.env, quiet=True, timeout=COMMAND_TIMEOUT).stdout
        )
        values: dict[str, Any] = shown.get("values", {})
        return values

    def resources(self) -> dict[str, dict[str, Any]]:
        """Managed resources in the state, by address: their attribute values."""
        root = self.state().get("root_module", {})
        return {
            r["address"]: r["values"] for r in root.get("resources", []) if r["mode"] == "managed"
        }

    def outputs(self) -> dict[str, Any]:
        shown = run(
            ["output", "-json"], self.work, self.env, quiet=True, timeout=COMMAND_TIMEOUT
        ).stdout
        return {name: out["value"] for name, out in json.loads(shown).items()}

    def task_environment(self) -> dict[str, str]:
        """The producer container's environment as the applied task definition sets it."""
        (definition,) = (
            values
            for address, values in self.resources().items()
            if address.startswith("aws_ecs_task_definition.")
        )
        containers = json.loads(definition["container_definitions"])
        (producer,) = (c for c in containers if c["name"] == "producer")
        return {item["name"]: item["value"] for item in producer.get("environment", [])}


def apply_events(stdout: str) -> tuple[dict[str, float], list[str]]:
    """From ``terraform apply -json``'s lines: seconds per resource address, and the error
    diagnostics (summary and detail)."""
    seconds: dict[str, float] = {}
    errors: list[str] = []
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("type") in ("apply_complete", "apply_errored"):
            hook = event["hook"]
            seconds[hook["resource"]["addr"]] = float(hook.get("elapsed_seconds", 0))
        elif event.get("type") == "diagnostic" and event["diagnostic"]["severity"] == "error":
            diagnostic = event["diagnostic"]
            errors.append(f"{diagnostic['summary']}: {diagnostic.get('detail', '')}".strip())
    return seconds, errors


def remaining_resources(emulator: Emulator) -> dict[str, list[str]]:
    """What the emulator still holds of a deployment, by kind (empty lists: all gone)."""
    ec2 = emulator.client("ec2")
    iam = emulator.client("iam")
    ecs = emulator.client("ecs")
    return {
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")],
        "streams": emulator.client("kinesis").list_streams()["StreamNames"],
        # A deleted cluster stays visible as INACTIVE for a while, in AWS as in moto.
        "clusters": [
            c["clusterArn"]
            for c in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"])["clusters"]
            if c["status"] != "INACTIVE"
        ],
        "load balancers": [
            lb["LoadBalancerArn"]
            for lb in emulator.client("elbv2").describe_load_balancers()["LoadBalancers"]
        ],
        "repositories": [
            r["repositoryName"]
            for r in emulator.client("ecr").describe_repositories()["repositories"]
        ],
        "build projects": emulator.client("codebuild").list_projects()["projects"],
        "buckets": [b["Name"] for b in emulator.client("s3").list_buckets()["Buckets"]],
        "roles": [
            r["RoleName"]
            for r in iam.get_paginator("list_roles").paginate().build_full_result()["Roles"]
        ],
        "log groups": [
            g["logGroupName"] for g in emulator.client("logs").describe_log_groups()["logGroups"]
        ],
        "autoscaling groups": [
            g["AutoScalingGroupName"]
            for g in emulator.client("autoscaling").describe_auto_scaling_groups()[
                "AutoScalingGroups"
            ]
        ],
        "security groups": [
            g["GroupId"]
            for g in ec2.describe_security_groups()["SecurityGroups"]
            if g["GroupName"] != "default"
        ],
        "nat gateways": [
            g["NatGatewayId"]
            for g in ec2.describe_nat_gateways()["NatGateways"]
            if g["State"] != "deleted"
        ],
        "elastic ips": [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]],
        "launch templates": [
            t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]
        ],
        "instances": [
            i["InstanceId"]
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] != "terminated"
        ],
    }


def producer_round_trip(deployment: Deployment, log_dir: Path, batch: int = 50) -> int:
    """Run the producer as the task definition configures it against the deployed stream.

    Sends the article's request and a batch of ``batch`` records, stops the service (which
    puts everything it accepted), reads the stream back with ``python -m producer.tools.consume``
    and checks every record is there once. Returns how many records were checked.
    """
    # The producer tests' helpers start and stop the service (tests/producer is no package).
    sys.path.insert(0, str(ROOT / "tests" / "producer"))
    from producer_support import http, launch_service

    outputs = deployment.outputs()
    stream = outputs["kinesis_stream_name"]
    task_env = deployment.task_environment()
    assert task_env["STREAM_NAME"] == stream, task_env
    # The service listens where the test says (loopback, a free port), not where the task does.
    settings = {k: v for k, v in task_env.items() if k not in ("HOST", "PORT")}
    log("producer round trip: python -m producer against the deployed stream")
    endpoint = deployment.emulator.endpoint
    service = launch_service(log_dir, endpoint, stream, None, "/healthcheck", None, **settings)
    try:
        curl = shutil.which("curl")
        if curl:  # the article's command, as it is
            request = ["-H", "Content-Type: application/json", "--data-raw", ARTICLE_REQUEST]
            subprocess.run(
                [curl, "--fail", "--silent", "--max-time", "30", *request, f"{service.url}/"],
                check=True,
                timeout=60,
            )
        else:
            status, _, body = http("POST", f"{service.url}/", ARTICLE_REQUEST)
            assert status == 200, (status, body)
        lines = [json.dumps({"data": f"batch record {n}"}) for n in range(batch)]
        status, _, body = http(
            "POST", f"{service.url}/records", "\n".join(lines), "application/x-ndjson"
        )
        assert status == 200 and json.loads(body) == {"accepted": batch}, (status, body)
        code, _ = service.terminate()
        assert code == 0, service.log()
    finally:
        service.kill()
    consumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "producer.tools.consume",
            "--stream",
            stream,
            "--region",
            task_env["REGION"],
            "--endpoint-url",
            deployment.emulator.endpoint,
        ],
        cwd=ROOT,
        env={**os.environ, **deployment.emulator.env()},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    read = [json.loads(line)["data"] for line in consumed.stdout.splitlines() if line.strip()]
    sent = [json.loads(ARTICLE_REQUEST)["data"], *(f"batch record {n}" for n in range(batch))]
    assert sorted(read) == sorted(sent), (len(read), len(sent), consumed.stderr[-2000:])
    return len(sent)
