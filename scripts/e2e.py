#!/usr/bin/env python
"""``make e2e``: the README's Terraform workflow in every mode, against the local emulator.

For Outpost mode, Region mode with EC2 tasks and Region mode with FARGATE tasks: synthesize,
``terraform init``, ``validate``, the targeted apply of the image module, the full apply, the
promised outputs, an empty re-plan (``-detailed-exitcode`` 0), the producer round trip against
the deployed stream, then ``make destroy`` of the deployment used (an image, log objects with
versions), and nothing left in the emulator. Beside them, from temporary copies of the
project (so the checkout gets no state file), Outpost mode through ``cdktf deploy``, ``make
deploy``, ``make output`` and ``make destroy``, and the day-2 sequence
(``scripts/e2e_day2.py``). Prints a table of the steps' times, recorded (for a run of everything) in
``benchmarks/results/e2e.json`` for docs/benchmarks.md. Nothing leaves the machine: the
emulator listens on 127.0.0.1 and the credentials are dummies.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from scripts.cdktn_check import (  # noqa: E402
    CDKTN_PYTHON,
    ListedDifference,
    compare_stack,
    listed_differences,
    synthesize_cdktn,
)
from scripts.e2e_day2 import run_day2  # noqa: E402
from scripts.terraform_cli import (  # noqa: E402
    find_provider_mirror,
    find_terraform,
    planned_changes,
    run,
)
from tests.e2e.emulator import Emulator, free_port  # noqa: E402
from tests.e2e.project import copy_project, project_env  # noqa: E402
from tests.e2e.used import (  # noqa: E402
    left_after,
    make_destroy,
    push_image,
    put_log_objects,
    unsaid,
)
from tests.e2e.workflow import (  # noqa: E402
    COMMAND_TIMEOUT,
    PROMISED_OUTPUTS,
    STEPS,
    Deployment,
    Mode,
    image_module_addresses,
    log,
    managed_addresses,
    modes,
    producer_round_trip,
)
from tests.e2e.workflow import synthesize as synthesize_mode  # noqa: E402

#: How many of a mode's slowest resources (create or destroy) the run reports.
SLOWEST_RESOURCES = 4
#: What a run is made of, each a process of its own, run side by side: the modes, and the
#: README's make deploy, output and destroy of Outpost mode.
CDKTF_UNIT = "cdktf"
DAY2_UNIT = "day2"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def run_mode(mode: Mode, base: Path, cdktn_python: Path | None = None) -> dict[str, Any]:
    """The Terraform workflow of one mode: its step timings, the resources applied and the
    slowest resources of each apply. With ``cdktn_python``, cdktn's JSON of the same vars is
    planned against the applied state too."""
    started = time.monotonic()
    stack = synthesize_mode(mode, base)
    synth_seconds = time.monotonic() - started
    cdktn: dict[str, float] = {}
    cdktn_stack = None
    if cdktn_python is not None:
        # Right after cdktf's synth, from the same vars file (and sources, as near as can be).
        started = time.monotonic()
        # workflow.synthesize wrote the mode's vars file there.
        vars_file = base / f"{mode.name}.tfvars.json"
        cdktn_stack = synthesize_cdktn_mode(mode, vars_file, stack, base / "cdktn", cdktn_python)
        cdktn["cdktn synth"] = time.monotonic() - started
    with Emulator(free_port(), mode.region, base / "emulator.log", mode.outpost) as emulator:
        emulator.wait_ready()
        deployment = Deployment.from_stack(stack, base / "work", emulator)
        deployment.init()
        deployment.validate()
        deployment.targeted_apply()
        applied = {a for a in deployment.state_list() if not a.startswith("data.")}
        extra = sorted(applied ^ image_module_addresses(stack))
        check(not extra, f"{mode.name}: the targeted apply is not the image module: {extra}")
        deployment.full_apply()
        applied = {a for a in deployment.state_list() if not a.startswith("data.")}
        extra = sorted(applied ^ managed_addresses(stack))
        check(not extra, f"{mode.name}: state after apply differs from the JSON: {extra}")
        outputs = deployment.outputs()
        promised = [*PROMISED_OUTPUTS]
        if mode.variables.get("enable_dashboard", True):
            promised.append("dashboard_name")
        missing = [name for name in promised if not outputs.get(name)]
        check(not missing, f"{mode.name}: outputs missing after apply: {missing}")
        replan = deployment.replan()
        check(
            replan.returncode == 0,
            f"{mode.name}: the re-plan after apply has changes:\n{replan.stdout[-6000:]}",
        )
        if cdktn_stack is not None:
            started = time.monotonic()
            plan_cdktn(mode, deployment, cdktn_stack, base)
            cdktn["cdktn plan"] = time.monotonic() - started
        started = time.monotonic()
        producer_round_trip(deployment, base)
        producer_seconds = time.monotonic() - started
        # Used, as a deployment is when it goes: an image and log objects with versions.
        bucket = mode.variables["s3_bucket_outposts_logging_name"]
        push_image(emulator.client("ecr"), outputs["ecr_repository_url"].split("/", 1)[1])
        versions = put_log_objects(emulator.client("s3"), bucket)
        vars_file = base / f"{mode.name}.tfvars.json"
        output = make_destroy(deployment, mode.name, vars_file, stack)
        missing = unsaid(output, bucket, versions)
        check(not missing, f"{mode.name}: make destroy did not say {missing}:\n{output[-6000:]}")
        left = left_after(emulator)
        check(not left, f"{mode.name}: left in the emulator after make destroy: {left}")
        timings = {
            "synth": synth_seconds,
            **deployment.timings,
            "producer": producer_seconds,
            **cdktn,
        }
        slowest = sorted(
            (
                (address, seconds, step)
                for step, resources in deployment.resource_seconds.items()
                for address, seconds in resources.items()
            ),
            key=lambda row: -row[1],
        )[:SLOWEST_RESOURCES]
        return {"timings": timings, "resources": len(applied), "slowest": slowest}


def synthesize_cdktn_mode(
    mode: Mode, vars_file: Path, stack: Path, folder: Path, python: Path
) -> Path:
    """cdktn's stack of ``vars_file``, checked against cdktf's (``stack``) as ``make
    cdktn-check`` checks it."""
    log(f"synthesizing {mode.name} with cdktn ({python})")
    cdktn_stack = synthesize_cdktn(vars_file, folder, python)
    # The provenance records the vars file's path from the app's folder: here one outside the
    # checkout for cdktf, and vars/ of its copy of the app for cdktn. Terraform skips "//".
    provenance = ListedDifference(
        '$["//"].provenance.vars_file',
        Path(os.path.relpath(vars_file, ROOT)).as_posix(),
        f"vars/{vars_file.name}",
        "the vars file's path, from two folders",
    )
    result = compare_stack(mode.name, stack, cdktn_stack, [*listed_differences(), provenance])
    check(
        not result.unexplained,
        f"{mode.name}: cdktn's JSON differs from cdktf's:\n"
        + "\n".join(d.describe() for d in result.unexplained),
    )
    return cdktn_stack


#: What cdktn's stack folder as it is changes: its source archive's bytes differ from cdktf's
#: (the entries' dates; the files are the same), so the object holding it is uploaded again.
CDKTN_OWN_ARCHIVE_CHANGES = {
    "aws_s3_object.ecs-docker-codebuild_source_object": (["update"], ["source_hash"])
}


def plan_cdktn(mode: Mode, applied: Deployment, cdktn_stack: Path, base: Path) -> None:
    """``terraform plan -detailed-exitcode`` of cdktn's JSON against the state that cdktf's JSON
    of the same vars applied: 0, no change. Then cdktn's stack folder as it is (with its own
    source archive): only the source object's upload changes."""
    state = f"-backend-config=path={applied.work / 'terraform.tfstate'}"
    log(f"{mode.name}: cdktn's JSON, with the applied assets, against the applied state")
    same = Deployment(base / "work-cdktn", applied.emulator)
    same.work.mkdir()
    shutil.copy2(cdktn_stack / "cdk.tf.json", same.work / "cdk.tf.json")
    shutil.copytree(applied.work / "assets", same.work / "assets")
    same.terraform("init", "-no-color", state)
    plan = same.terraform("plan", "-no-color", "-detailed-exitcode", ok_codes=(0, 2))
    check(
        plan.returncode == 0,
        f"{mode.name}: cdktn's JSON plans changes against cdktf's state:\n{plan.stdout[-6000:]}",
    )
    log(f"{mode.name}: cdktn's stack folder as it is (its own source archive)")
    own = Deployment.from_stack(cdktn_stack, base / "work-cdktn-own", applied.emulator)
    own.terraform("init", "-no-color", state)
    own.terraform("plan", "-no-color", "-detailed-exitcode", "-out=cdktn.tfplan", ok_codes=(0, 2))
    shown = run(
        ["show", "-json", "cdktn.tfplan"], own.work, own.env, quiet=True, timeout=COMMAND_TIMEOUT
    )
    changes = planned_changes(json.loads(shown.stdout))
    check(
        changes == CDKTN_OWN_ARCHIVE_CHANGES,
        f"{mode.name}: cdktn's own stack folder plans {changes}, "
        f"not only {CDKTN_OWN_ARCHIVE_CHANGES}",
    )


#: What the run passes to cdktf deploy and to make deploy: no questions, and a quick look at
#: the emulator's build and service (its build phases take half a second).
CDKTF_DEPLOY = ("--auto-approve", "--skip-provider-lock")
DEPLOY_ARGS = "--auto-approve --poll-seconds 0.5"


def run_cdktf(mode: Mode, base: Path) -> dict[str, float]:
    """``cdktf deploy``, then ``make deploy``, ``output`` and ``destroy`` of ``mode`` on the
    same state, from a copy of the project."""
    project = copy_project(base / "project")
    vars_file = project / "vars" / f"e2e-{mode.name}.tfvars.json"
    vars_file.write_text(json.dumps(mode.variables, indent=2))
    name = f"e2e-{mode.name}"
    stack = project / "cdktf.out" / "stacks" / name
    timings: dict[str, float] = {}
    with Emulator(free_port(), mode.region, base / "emulator.log", mode.outpost) as emulator:
        emulator.wait_ready()
        env = project_env(project, emulator, vars_file)
        make = ["make", "--no-print-directory"]
        chosen = f"VARS_FILE=vars/{vars_file.name}"
        # cdktf deploy applies everything at once (no image yet); make deploy on the same state
        # then builds the image, finds nothing else to apply and waits for the service; the
        # README's make output and make destroy run cdktf output and destroy <name>.
        steps = {
            "cdktf deploy": ["npx", "--no-install", "cdktf", "deploy", name, *CDKTF_DEPLOY],
            "make deploy": [*make, "deploy", chosen, f"DEPLOY_ARGS={DEPLOY_ARGS}"],
            "make output": [*make, "output", chosen, "CDKTF_FLAGS=--skip-synth"],
            "make destroy": [*make, "destroy", chosen, "DESTROY_ARGS=--auto-approve"],
        }
        for step, command in steps.items():
            log(f"{step} ({' '.join(command)})")
            started = time.monotonic()
            result = subprocess.run(
                command,
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            timings[step] = time.monotonic() - started
            output = result.stdout + result.stderr
            (base / f"{step.replace(' ', '-')}.log").write_text(output)
            check(result.returncode == 0, f"{step} exited {result.returncode}:\n{output[-4000:]}")
            if step == "make output":
                for promised in ("alb_dns_name", "kinesis_stream_name", "ecs_service_name"):
                    check(promised in output, f"make output did not show {promised}")
            if step == "make deploy":
                for said in ("SUCCEEDED", "is stable"):
                    check(said in output, f"make deploy did not say {said!r}:\n{output[-4000:]}")
            if step == "cdktf deploy":
                check(
                    (project / f"terraform.{name}.tfstate").is_file(),
                    f"cdktf deploy left no state in the copy's terraform.{name}.tfstate",
                )
                listed = run(
                    ["state", "list"], stack, env, quiet=True, timeout=COMMAND_TIMEOUT
                ).stdout.split()
                applied = [a for a in listed if not a.startswith("data.")]
                log(f"cdktf deploy applied {len(applied)} resources")
        listed = run(
            ["state", "list"], stack, env, quiet=True, timeout=COMMAND_TIMEOUT
        ).stdout.split()
        check(listed == [], f"state not empty after cdktf destroy: {listed}")
        left = left_after(emulator)
        check(not left, f"left in the emulator after cdktf destroy: {left}")
    return timings


def table(rows: dict[str, dict[str, float]], counts: dict[str, int]) -> report.Table:
    steps = ["synth", *STEPS, "producer"]
    cells = [
        [
            name,
            *(f"{timings[step]:.0f} s" if step in timings else "" for step in steps),
            str(counts.get(name, "")),
        ]
        for name, timings in rows.items()
    ]
    return report.Table(["mode", *steps, "resources"], cells)


def run_unit(name: str, base: Path, cdktn_python: Path | None) -> dict[str, Any]:
    """One unit of the run (a mode, cdktf deploy and destroy, or the day-2 sequence), in
    ``base``."""
    if name == CDKTF_UNIT:
        return {"timings": run_cdktf(modes()["outpost"], base)}
    if name == DAY2_UNIT:
        return run_day2(base)
    return run_mode(modes()[name], base, cdktn_python if name == "outpost" else None)


def run_units(units: list[str], base: Path, argv: list[str], jobs: int) -> dict[str, Any]:
    """Each unit in a process of its own, ``jobs`` at a time; each one's log is shown as it
    ends (the emulator and Terraform mostly wait, so the units overlap well on 2 cores)."""
    results: dict[str, Any] = {}
    pending = list(units)
    running: dict[str, tuple[subprocess.Popen[bytes], float, Path]] = {}
    failed: list[str] = []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                unit = pending.pop(0)
                folder = base / unit
                folder.mkdir(parents=True)
                command = [sys.executable, __file__, *argv, "--unit", unit, "--base", str(folder)]
                with (folder / "unit.log").open("wb") as output:
                    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
                running[unit] = (process, time.monotonic(), folder)
                log(f"{unit}: started")
            time.sleep(1)
            for unit, (process, started, folder) in list(running.items()):
                if process.poll() is None:
                    continue
                del running[unit]
                shown = (folder / "unit.log").read_text(errors="replace")
                print(shown if shown.endswith("\n") else shown + "\n", end="", flush=True)
                elapsed = time.monotonic() - started
                if process.returncode == 0:
                    results[unit] = json.loads((folder / "result.json").read_text())
                    log(f"{unit}: passed in {elapsed:.0f} s; running: {', '.join(running) or '-'}")
                else:
                    failed.append(unit)
                    log(f"{unit}: FAILED (exit {process.returncode}) in {elapsed:.0f} s")
    finally:
        for process, _, _ in running.values():  # interrupted: stop what still runs
            process.kill()
    if failed:
        raise SystemExit(f"error: make e2e failed in {', '.join(failed)}")
    return results


def slowest_table(results: dict[str, Any]) -> report.Table:
    rows = [
        [mode, address, step, f"{seconds:.0f} s"]
        for mode, result in results.items()
        for address, seconds, step in result.get("slowest", [])
    ]
    return report.Table(
        ["mode", "resource", "step", "seconds"],
        rows,
        title="The slowest resources (terraform apply -json): the AWS provider's own waiters",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=sorted(modes()), default=list(modes()))
    parser.add_argument("--no-cdktf", action="store_true", help="skip cdktf deploy/destroy")
    parser.add_argument("--no-day2", action="store_true", help="skip the day-2 sequence")
    parser.add_argument(
        "--no-cdktn", action="store_true", help="skip the plan of cdktn's JSON (Outpost mode)"
    )
    parser.add_argument(
        "--cdktn-python", type=Path, default=CDKTN_PYTHON, help="the Python that has cdktn"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=5,
        help="units (day2, modes, cdktf) run at once (default 5: all)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the working folders")
    parser.add_argument("--unit", help=argparse.SUPPRESS)
    parser.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.unit:
        cdktn_python = None if args.no_cdktn else args.cdktn_python
        result = run_unit(args.unit, args.base, cdktn_python)
        (args.base / "result.json").write_text(json.dumps(result))
        return 0
    if find_terraform() is None:
        print("error: terraform is not on the PATH (install Terraform 1.5 or later)")
        return 2
    if find_provider_mirror() is None:
        print(
            "error: no provider mirror holding registry.terraform.io/hashicorp/aws; set "
            "TF_PROVIDER_MIRROR (terraform providers mirror DIR makes one)"
        )
        return 2
    if not args.no_cdktn and not args.cdktn_python.exists():
        print(
            f"error: {args.cdktn_python} is missing: make cdktn-check installs .venv-cdktn, "
            "or run with --no-cdktn"
        )
        return 2
    if args.jobs < 1:
        print("error: --jobs must be 1 or more")
        return 2
    complete = sorted(args.modes) == sorted(modes()) and not (
        args.no_cdktf or args.no_cdktn or args.no_day2
    )
    circumstances = report.start(
        "e2e",
        f"every mode, cdktf deploy with make deploy and destroy, and the day-2 sequence of "
        f"Outpost mode, {args.jobs} at a time, the plan of cdktn's JSON against Outpost mode's "
        "state, against moto server",
    )
    # The day-2 sequence is the longest: it starts first.
    units = [
        *([] if args.no_day2 else [DAY2_UNIT]),
        *args.modes,
        *([] if args.no_cdktf else [CDKTF_UNIT]),
    ]
    passed = [f"--cdktn-python={args.cdktn_python}", *(["--no-cdktn"] if args.no_cdktn else [])]
    base = Path(tempfile.mkdtemp(prefix="e2e-"))
    started = time.monotonic()
    try:
        results = run_units(units, base, passed, args.jobs)
    finally:
        if args.keep:
            print(f"working folders kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    rows = {name: results[name]["timings"] for name in args.modes}
    counts = {name: results[name]["resources"] for name in args.modes}
    timings = table(rows, counts)
    slowest = slowest_table({name: results[name] for name in args.modes})
    cdktf = results.get(CDKTF_UNIT, {}).get("timings", {})
    cdktn = {step: s for steps in rows.values() for step, s in steps.items() if "cdktn" in step}
    notes = [f"{step} (outpost): {seconds:.0f} s" for step, seconds in {**cdktn, **cdktf}.items()]
    if cdktn:
        notes.append(
            "cdktn's JSON planned no change against the state cdktf's JSON applied (its own "
            "source archive: only the source object's source_hash)"
        )
    day2 = results.get(DAY2_UNIT, {}).get("timings", {})
    if day2:
        notes.append(
            f"day-2 sequence (outpost): {sum(day2.values()):.0f} s in {len(day2)} make commands"
            f", the longest {max(day2.values()):.0f} s"
        )
    serial = sum(sum(result["timings"].values()) for result in results.values())
    notes.append(
        f"the whole run: {time.monotonic() - started:.0f} s, {len(units)} units at most "
        f"{args.jobs} at a time (their steps one after another: {serial:.0f} s)"
    )
    print(timings.markdown())
    print(slowest.markdown())
    print("\n".join(notes))
    if complete:
        # Only a run of everything stands for the table in docs/benchmarks.md.
        path = report.record(circumstances, [timings, slowest], notes)
        print(f"recorded in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    sys.exit(main())
