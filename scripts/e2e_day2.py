"""The ``day2`` unit of ``make e2e``: an operator's first month with a deployment, emulated.

From a copy of the project, Outpost mode (``vars/day2.tfvars.json``), each step the way the
README says: ``make deploy`` from the source to a stable service; a source change whose build
fails (the deploy stops at the build, nothing else applied); a source change that builds; a
port change; an instance-type change (a new launch template version and an instance refresh);
the stream's shard count, then ON_DEMAND; a tag change; the state moved from the local file to
S3, with a plan refused by the lock while another command holds it; a second deployment beside
the first; and ``make destroy`` of the used deployment (images, log objects and their versions).

Before each change is applied its plan is checked against what the change needs: the resource
types updated in place and those replaced, nothing else (so nothing stateful is replaced
unless listed); after it, a re-plan must show no change. The first deployment's re-plan stays
empty while the second one is deployed and destroyed beside it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.terraform_cli import planned_changes, run
from tests.e2e.emulator import Emulator, free_port
from tests.e2e.project import copy_project, project_env
from tests.e2e.used import left_after, put_log_objects, unsaid
from tests.e2e.workflow import COMMAND_TIMEOUT, log, modes

#: make deploy in this run: no question, and quick looks at the emulator's build and service.
DEPLOY_ARGS = "--auto-approve --poll-seconds 0.5 --stable-timeout 120"
#: The source file the run edits (a comment that builds, a line that does not).
EDITED_SOURCE = Path("producer", "service", "app.py")
#: Kinds of resource that hold data or identity: a change replaces none of them unless listed.
STATEFUL = {
    "aws_kinesis_stream",
    "aws_s3_bucket",
    "aws_ecr_repository",
    "aws_cloudwatch_log_group",
    "aws_ecs_cluster",
    "aws_vpc",
    "aws_lb",
    "aws_autoscaling_group",
}
STATE_BUCKET = "day2-terraform-state"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


#: How a plan changes a resource, by its actions.
HOW = {
    ("update",): "updated",
    ("create", "delete"): "replaced",
    ("delete", "create"): "replaced",
    ("create",): "created",
    ("delete",): "deleted",
}


@dataclass(frozen=True)
class Expected:
    """What a change's plan must hold: the resource types updated in place, replaced, created
    and deleted; every listed type at least once, and no other change."""

    updated: frozenset[str] = frozenset()
    replaced: frozenset[str] = frozenset()
    created: frozenset[str] = frozenset()
    deleted: frozenset[str] = frozenset()

    def problems(self, changes: dict[str, tuple[list[str], list[str]]]) -> list[str]:
        expected = {
            "updated": self.updated,
            "replaced": self.replaced,
            "created": self.created,
            "deleted": self.deleted,
        }
        found: dict[str, set[str]] = {how: set() for how in expected}
        wrong = []
        for address, (actions, attributes) in sorted(changes.items()):
            kind = address.split(".")[0]
            how = HOW.get(tuple(actions), "other")
            if kind in expected.get(how, ()):
                found[how].add(kind)
            else:
                wrong.append(f"{address}: {'/'.join(actions)} {attributes}")
        missing = [
            f"no {kind} {how}"
            for how, kinds in expected.items()
            for kind in sorted(kinds - found[how])
        ]
        return wrong + missing


@dataclass
class Operator:
    """An operator's shell in a copy of the project, on one deployment (``name``)."""

    project: Path
    emulator: Emulator
    name: str
    logs: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def vars_file(self) -> Path:
        return self.project / "vars" / f"{self.name}.tfvars.json"

    @property
    def stack(self) -> Path:
        return self.project / "cdktf.out" / "stacks" / self.name

    @property
    def env(self) -> dict[str, str]:
        return project_env(self.project, self.emulator, self.vars_file)

    def variables(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.vars_file.read_text())
        return loaded

    def set_variables(self, *dropped: str, **changes: Any) -> None:
        """Change the vars file: ``changes`` set, the keys ``dropped`` left out."""
        variables = {k: v for k, v in self.variables().items() if k not in dropped}
        self.vars_file.write_text(json.dumps({**variables, **changes}, indent=2))

    def make(self, target: str, *args: str, ok: bool = True) -> str:
        """``make TARGET VARS_FILE=... ARGS``; its output (checked for exit 0 when ``ok``)."""
        command = ["make", "--no-print-directory", target, f"VARS_FILE=vars/{self.vars_file.name}"]
        started = time.monotonic()
        result = subprocess.run(
            [*command, *args],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        output = result.stdout + result.stderr
        step = f"{self.name} make {target} #{len(self.timings)}"
        self.timings[step] = time.monotonic() - started
        (self.logs / f"{len(self.timings):02d}-{self.name}-{target}.log").write_text(output)
        if ok:
            check(result.returncode == 0, f"{step} exited {result.returncode}:\n{output[-5000:]}")
        else:
            check(result.returncode != 0, f"{step} succeeded, and should not have")
        return output

    def terraform(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        return run(
            list(args), self.stack, self.env, ok_codes=ok_codes, quiet=True, timeout=COMMAND_TIMEOUT
        ).stdout

    def planned(self) -> dict[str, tuple[list[str], list[str]]]:
        """The plan of the vars file and source as they are now (synthesized first)."""
        self.make("synth")
        self.terraform("plan", "-input=false", "-no-color", "-out=day2.tfplan")
        return planned_changes(json.loads(self.terraform("show", "-json", "day2.tfplan")))

    def replan_is_empty(self, after: str) -> None:
        result = run(
            ["plan", "-input=false", "-no-color", "-detailed-exitcode"],
            self.stack,
            self.env,
            ok_codes=(0, 2),
            quiet=True,
            timeout=COMMAND_TIMEOUT,
        )
        check(
            result.returncode == 0,
            f"{self.name}: the re-plan after {after} has changes:\n{result.stdout[-6000:]}",
        )

    def deploy(self) -> str:
        return self.make("deploy", f"DEPLOY_ARGS={DEPLOY_ARGS}")

    def service(self) -> dict[str, Any]:
        outputs = json.loads(self.terraform("output", "-json"))
        ecs = self.emulator.client("ecs")
        found = ecs.describe_services(
            cluster=outputs["ecs_cluster_name"]["value"],
            services=[outputs["ecs_service_name"]["value"]],
        )["services"]
        service: dict[str, Any] = found[0]
        return service


@dataclass(frozen=True)
class Change:
    """One day-2 change: what the operator edits, and what its plan must hold."""

    name: str
    edit: Callable[[Operator], None]
    expected: Expected
    #: What make deploy must say while applying it.
    says: tuple[str, ...] = ("is stable",)


def edit_source(operator: Operator, line: str) -> None:
    path = operator.project / EDITED_SOURCE
    path.write_text(path.read_text() + line)


def types(*names: str) -> frozenset[str]:
    return frozenset(names)


#: The changes applied one after another, each planned, deployed and re-planned.
CHANGES = (
    Change(
        "a source change",
        lambda op: edit_source(op, "# day-2: a comment changes the source digest\n"),
        Expected(
            # The source object's key holds the digest: a new object, the old one deleted.
            updated=types("aws_codebuild_project", "aws_ecs_service"),
            replaced=types("aws_s3_object", "aws_ecs_task_definition"),
        ),
        ("SUCCEEDED", "is stable"),
    ),
    Change(
        "the service port",
        lambda op: op.set_variables(service_port=8081),
        # The rules are keyed by port: the old port's go, the new port's come. The listener,
        # dashboard and alarm follow the new target group (created before the old one goes).
        Expected(
            updated=types(
                "aws_ecs_service",
                "aws_lb_listener",
                "aws_cloudwatch_dashboard",
                "aws_cloudwatch_metric_alarm",
            ),
            replaced=types("aws_ecs_task_definition", "aws_lb_target_group"),
            created=types("aws_security_group_rule"),
            deleted=types("aws_security_group_rule"),
        ),
        ("nothing to build", "is stable"),
    ),
    Change(
        "the instance types",
        lambda op: op.set_variables(ecs_instance_types=["c5.2xlarge", "m5.2xlarge"]),
        # r5.2xlarge leaves the group: its capacity alarm goes, the dashboard loses its line.
        Expected(
            updated=types(
                "aws_launch_template", "aws_autoscaling_group", "aws_cloudwatch_dashboard"
            ),
            deleted=types("aws_cloudwatch_metric_alarm"),
        ),
    ),
    Change(
        "the shard count",
        lambda op: op.set_variables(kinesis_shard_count=2),
        # The stream alone: the task policy names it by its name (see stack_configs.py).
        Expected(updated=types("aws_kinesis_stream")),
    ),
    Change(
        "the stream mode",
        # An ON_DEMAND stream manages its shards: the count leaves the vars file.
        lambda op: op.set_variables("kinesis_shard_count", kinesis_stream_mode="ON_DEMAND"),
        Expected(updated=types("aws_kinesis_stream")),
    ),
)


def failing_build(operator: Operator) -> None:
    """A source that does not build: make deploy stops at the build, with CodeBuild's reason,
    and the service keeps its task definition."""
    before = operator.service()["taskDefinition"]
    path = operator.project / EDITED_SOURCE
    good = path.read_text()
    path.write_text(good + "def broken(:\n")
    output = operator.make("deploy", f"DEPLOY_ARGS={DEPLOY_ARGS}", ok=False)
    for said in ("FAILED", "phase BUILD", "SyntaxError"):
        check(said in output, f"the failed build's deploy did not say {said!r}:\n{output[-5000:]}")
    check(
        operator.service()["taskDefinition"] == before,
        "the failed build's deploy changed the service's task definition",
    )
    path.write_text(good)


def run_day2(base: Path) -> dict[str, Any]:
    """The sequence of the module docstring; its step timings."""
    for change in CHANGES:  # the expectations themselves replace nothing that holds data
        stateful = STATEFUL & (change.expected.replaced | change.expected.deleted)
        check(not stateful, f"{change.name} expects {sorted(stateful)} replaced or deleted")
    project = copy_project(base / "project")
    outpost = modes()["outpost"]
    logs = base / "logs"
    logs.mkdir()
    with Emulator(free_port(), outpost.region, base / "emulator.log", outpost.outpost) as emulator:
        emulator.wait_ready()
        first = Operator(project, emulator, "day2", logs)
        first.vars_file.write_text(json.dumps(outpost.variables, indent=2))
        log("day2: make deploy from the source to a stable service")
        output = first.deploy()
        for said in ("SUCCEEDED", "is stable"):
            check(said in output, f"the first make deploy did not say {said!r}")
        first.replan_is_empty("the first make deploy")
        log("day2: a source that does not build")
        failing_build(first)
        unexpected: list[str] = []
        for change in CHANGES:
            log(f"day2: {change.name}")
            change.edit(first)
            problems = change.expected.problems(first.planned())
            if problems:
                # Applied all the same, so that one run shows every plan that differs.
                unexpected.append(f"{change.name}:\n  " + "\n  ".join(problems))
                log(f"day2: {change.name}: the plan differs from the expected one")
            output = first.deploy()
            for said in change.says:
                check(said in output, f"{change.name}: make deploy did not say {said!r}")
            first.replan_is_empty(change.name)
        tag_change(first, unexpected)
        move_state_to_s3(first)
        second_deployment(first)
        destroy_used(first)
    check(not unexpected, "plans that differ from the expected ones:\n" + "\n".join(unexpected))
    return {"timings": first.timings}


#: Where a resource keeps its tags: ``tags``, or an Auto Scaling group's ``tag`` blocks.
TAG_ATTRIBUTES = {"tags", "tag"}
#: Policies fed by a policy document (a data source) that names a resource whose tags change:
#: Terraform reads such a document only during the apply, so the plan shows the policy as an
#: update to a value not yet known, and the apply writes the same document (the re-plan after
#: it must be empty).
DEFERRED_POLICIES = {"aws_iam_role_policy", "aws_s3_bucket_policy"}


def deferred(address: str, attributes: list[str]) -> bool:
    """A policy update whose only change is its document, read during the apply."""
    return address.split(".")[0] in DEFERRED_POLICIES and not attributes


def tag_change(operator: Operator, unexpected: list[str]) -> None:
    """Every tagged resource is updated in place, the local gateway association included (the
    launch template with a new version: its tag specifications carry the tags to instances);
    the policies whose documents name them are planned as :func:`deferred` updates."""
    log("day2: a tag change")
    operator.set_variables(Owner="platform-team")
    changes = operator.planned()
    wrong = [
        f"{address}: {'/'.join(actions)} {attributes}"
        for address, (actions, attributes) in sorted(changes.items())
        if actions != ["update"]
        or not (TAG_ATTRIBUTES & set(attributes) or deferred(address, attributes))
    ]
    if not any(a.startswith("aws_ec2_local_gateway_route_table_vpc_association.") for a in changes):
        wrong.append("no update of the local gateway association's tags")
    if wrong:
        unexpected.append("a tag change:\n  " + "\n  ".join(wrong))
    operator.deploy()
    operator.replan_is_empty("the tag change")


def move_state_to_s3(operator: Operator) -> None:
    """The state moves to S3; a plan is refused while another command holds the lock."""
    log("day2: the state from the local file to S3")
    s3 = operator.emulator.client("s3")
    region = operator.emulator.region
    s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    operator.set_variables(s3_backend={"bucket": STATE_BUCKET})
    operator.make("deploy", f"DEPLOY_ARGS={DEPLOY_ARGS} --migrate-state")
    key = f"outposts-ecs/{operator.name}.tfstate"
    check(
        s3.head_object(Bucket=STATE_BUCKET, Key=key)["ContentLength"] > 0,
        f"no state in s3://{STATE_BUCKET}/{key} after the migration",
    )
    # terraform console holds the state lock while it runs.
    from scripts.terraform_cli import find_terraform

    holder = subprocess.Popen(
        [str(find_terraform()), "console"],
        cwd=operator.stack,
        env=operator.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=f"{key}.tflock").get("KeyCount"):
            check(time.monotonic() < deadline, "terraform console took no lock within 60 s")
            time.sleep(0.5)
        refused = run(
            ["plan", "-input=false", "-no-color", "-lock-timeout=2s"],
            operator.stack,
            operator.env,
            ok_codes=(0, 1, 2),
            quiet=True,
            timeout=COMMAND_TIMEOUT,
        )
        said = refused.stdout + refused.stderr
        check(
            refused.returncode == 1 and "Error acquiring the state lock" in said,
            f"a plan while the lock is held was not refused (exit {refused.returncode}):\n"
            + said[-3000:],
        )
    finally:
        holder.communicate(b"exit\n", timeout=60)
    operator.replan_is_empty("the state's move to S3")


def second_deployment(first: Operator) -> None:
    """A copy of the vars file deploys beside the first and is destroyed; the first's re-plan
    stays empty throughout."""
    log("day2: a second deployment beside the first")
    second = Operator(first.project, first.emulator, "day2b", first.logs, first.timings)
    variables = first.variables()
    variables.pop("s3_backend")
    variables.update(
        s3_bucket_outposts_logging_name="outposts-aod-logging-bucket-2222222",
        kinesis_stream_name="data-processing-stream-b",
    )
    second.vars_file.write_text(json.dumps(variables, indent=2))
    output = second.deploy()
    check("SUCCEEDED" in output, "the second deployment did not build its own image")
    first.replan_is_empty("the second deployment's apply")
    second.make("destroy", "DESTROY_ARGS=--auto-approve")
    second.vars_file.unlink()
    first.replan_is_empty("the second deployment's destroy")


def destroy_used(operator: Operator) -> None:
    """make destroy of a deployment holding images and log objects with versions: it says so,
    finishes, and leaves nothing."""
    log("day2: make destroy of the used deployment")
    bucket = operator.variables()["s3_bucket_outposts_logging_name"]
    versions = put_log_objects(operator.emulator.client("s3"), bucket)
    output = operator.make("destroy", "DESTROY_ARGS=--auto-approve")
    # Said before: what goes; then the log bucket emptied before its controls.
    missing = unsaid(output, bucket, versions)
    check(not missing, f"make destroy did not say what data goes ({missing}):\n{output}")
    left = left_after(operator.emulator, STATE_BUCKET)
    check(not left, f"left in the emulator after make destroy: {left}")
