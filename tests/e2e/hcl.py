"""The HCL form of a stack (``cdktf synth --hcl``), held to its JSON form by value.

The README's way out of cdktf is its HCL output, and upstream cdktf has written wrong HCL for
objects holding tokens, so matching addresses prove little. After the JSON form is applied to
the emulator and re-planned empty, :func:`compare_with_hcl` plans the HCL form of the same vars
against a copy of that state, and the JSON form again, each with ``plan -detailed-exitcode
-out``: the resources, data sources and outputs each plans, with every attribute, are compared
value by value, and a difference is named by address and attribute path, with both values.

cdktf 0.21's HCL differs from its JSON in one value here, :data:`BUILDSPEC_HEREDOC`; the test
asserts that difference exactly, and that the HCL plans no other change.

The HCL synthesis (about 40 s) needs nothing from the emulator: :class:`HclSynthesis` runs it in
the background while the JSON form is applied.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.terraform_cli import run

from .emulator import ROOT
from .workflow import COMMAND_TIMEOUT, Deployment, Mode, log

#: Seconds ``cdktf synth --hcl`` may take.
SYNTH_TIMEOUT = 600
#: The plan file each form's plan writes in its working folder.
PLAN_FILE = "by-value.tfplan"
#: Characters of a value shown in a difference.
SHOWN = 160


class _Missing:
    def __repr__(self) -> str:
        return "(missing: absent or known only after apply)"


#: A value one plan lacks (an absent attribute, or one known only after apply).
MISSING: Any = _Missing()


@dataclass(frozen=True)
class Difference:
    """A planned value that differs: where (``path`` is empty for the whole value), and both."""

    address: str
    path: str
    json_value: Any
    hcl_value: Any

    def __str__(self) -> str:
        where = f"{self.address} {self.path}" if self.path else self.address
        if isinstance(self.json_value, str) and isinstance(self.hcl_value, str):
            json_shown, hcl_shown = _excerpts(self.json_value, self.hcl_value)
        else:
            json_shown, hcl_shown = _shown(self.json_value), _shown(self.hcl_value)
        return f"{where}: JSON form {json_shown}, HCL form {hcl_shown}"


@dataclass(frozen=True)
class TrailingNewline:
    """A known defect of cdktf's HCL: the value at ``address`` ``path`` gains a final "\\n"."""

    address: str
    path: str

    def matches(self, difference: Difference) -> bool:
        return (
            (difference.address, difference.path) == (self.address, self.path)
            and isinstance(difference.json_value, str)
            and difference.hcl_value == f"{difference.json_value}\n"
        )


#: cdktf 0.21 writes a string holding a line break as ``<<EOF``, the lines, ``EOF``
#: (``renderString`` in node_modules/cdktf/lib/hcl/render.js), and a heredoc's value ends with
#: the line break before its closing marker: the HCL value is the JSON value plus "\n". The
#: stack's one such string is the CodeBuild buildspec, so its HCL form plans an in-place update
#: of the build project, and nothing else.
BUILDSPEC_HEREDOC = TrailingNewline(
    "aws_codebuild_project.ecs-docker-codebuild_ecs_docker", "source[0].buildspec"
)


class HclSynthesis:
    """``npx --no-install cdktf synth --hcl`` of a mode into ``folder``, started at once.

    The vars file is written as :func:`tests.e2e.workflow.synthesize` writes it (the mode's
    variables, in a file named after the mode), so the stack has the mode's name and values.
    """

    def __init__(self, mode: Mode, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        vars_file = folder / f"{mode.name}.tfvars.json"
        vars_file.write_text(json.dumps(mode.variables, indent=2))
        self.mode = mode
        self.outdir = folder / "cdktf.out"
        self.log_file = folder / "cdktf-synth-hcl.log"
        npx = shutil.which("npx")
        if npx is None:
            raise RuntimeError("npx is not on the PATH: cdktf synth --hcl needs Node.js")
        env = {k: v for k, v in os.environ.items() if k != "CDKTF_OUTDIR"}
        env.update({"CI": "1", "VARS_FILE": str(vars_file), "CHECKPOINT_DISABLE": "1"})
        env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        log(f"synthesizing the HCL form of {mode.name} (in the background)")
        self.started = time.monotonic()
        with self.log_file.open("wb") as out:
            self.process = subprocess.Popen(
                [npx, "--no-install", "cdktf", "synth", "--hcl", "--output", str(self.outdir)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def stack(self) -> Path:
        """Wait for the synthesis; the folder of the stack's ``cdk.tf``."""
        remaining = SYNTH_TIMEOUT - (time.monotonic() - self.started)
        try:
            code = self.process.wait(timeout=max(remaining, 1))
        except subprocess.TimeoutExpired as expired:
            self.stop()
            raise RuntimeError(
                f"cdktf synth --hcl still running after {SYNTH_TIMEOUT} s"
            ) from expired
        printed = self.log_file.read_text(errors="replace")
        stack = self.outdir / "stacks" / self.mode.name
        if code != 0 or not (stack / "cdk.tf").is_file():
            raise RuntimeError(f"cdktf synth --hcl failed (exit {code}):\n{printed[-3000:]}")
        return stack

    def stop(self) -> None:
        """Kill the synthesis if it still runs (a test that failed before waiting for it)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass(frozen=True)
class FormPlan:
    """One form's ``plan -detailed-exitcode -out``, read back with ``show -json``."""

    exit_code: int
    output: str
    values: dict[str, Any]
    """Planned values: each resource's and data source's attributes by address, and
    ``output.NAME``."""
    changes: dict[str, list[str]]
    """The planned actions on resources and outputs (``output.NAME``) other than no-op."""


@dataclass(frozen=True)
class Comparison:
    """The JSON and HCL forms planned against the same state."""

    json_form: FormPlan
    hcl_form: FormPlan
    differences: list[Difference]

    def unexpected(self) -> list[Difference]:
        """The differences but the known defect's."""
        return [d for d in self.differences if not BUILDSPEC_HEREDOC.matches(d)]

    def report(self) -> str:
        """Every difference by address and attribute, then the tail of a plan with changes."""
        lines = [f"{len(self.differences)} planned value(s) differ between the JSON and HCL forms:"]
        for difference in self.differences[:40]:
            known = " (known: cdktf's heredoc)" if BUILDSPEC_HEREDOC.matches(difference) else ""
            lines.append(f"  {difference}{known}")
        if len(self.differences) > 40:
            lines.append(f"  ... and {len(self.differences) - 40} more")
        for name, plan in (("JSON", self.json_form), ("HCL", self.hcl_form)):
            if plan.exit_code != 0:
                lines.append(f"the {name} form's plan changes {plan.changes}:")
                lines.append(plan.output[-4000:])
        return "\n".join(lines)


def compare_with_hcl(deployment: Deployment, hcl_stack: Path, work: Path) -> Comparison:
    """Plan the HCL stack against a copy of ``deployment``'s state, and ``deployment`` again.

    The HCL form gets a working folder of its own (``work``), set up as the JSON form's: the
    same emulator, provider mirror and CLI configuration, and its local backend pointed at a
    copy of the state the JSON form applied. Both plans run at once (the emulator serves their
    requests one at a time) without a refresh: the JSON form's re-plan has just refreshed that
    state and found nothing to change, so the two plans differ only by their configurations.
    """
    started = time.monotonic()
    hcl = Deployment.from_stack(hcl_stack, work, deployment.emulator)
    # The state after init: init takes a terraform.tfstate it finds for one to migrate.
    hcl.init()
    shutil.copy2(deployment.work / "terraform.tfstate", work / "terraform.tfstate")
    with ThreadPoolExecutor(max_workers=2) as pool:
        json_form, hcl_form = pool.map(_plan, (deployment, hcl))
    differences = compare_values(json_form.values, hcl_form.values)
    kinds = [a.split(".")[0] for a in hcl_form.values]
    log(
        f"HCL form planned and compared in {time.monotonic() - started:.1f} s: "
        f"{len(kinds) - kinds.count('data') - kinds.count('output')} resources, "
        f"{kinds.count('data')} data sources, {kinds.count('output')} outputs"
    )
    return Comparison(json_form, hcl_form, differences)


def _plan(form: Deployment) -> FormPlan:
    planned = form.terraform(
        "plan",
        "-no-color",
        "-refresh=false",
        "-detailed-exitcode",
        f"-out={PLAN_FILE}",
        ok_codes=(0, 2),
    )
    shown = run(
        ["show", "-json", PLAN_FILE], form.work, form.env, quiet=True, timeout=COMMAND_TIMEOUT
    )
    plan = json.loads(shown.stdout)
    return FormPlan(planned.returncode, planned.stdout, planned_values(plan), planned_changes(plan))


def planned_values(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan's values by address: each resource's planned attributes, each data source's as the
    plan read it (the plan's prior state), and ``output.NAME`` values.

    A value known only after apply is missing from the plan's JSON; it shows as :data:`MISSING`.
    """
    planned = plan.get("planned_values", {})
    values: dict[str, Any] = {}
    for resource in _resources(plan.get("prior_state", {}).get("values", {})):
        if resource["mode"] == "data":
            values[resource["address"]] = resource.get("values", {})
    for resource in _resources(planned):
        values[resource["address"]] = resource.get("values", {})
    for name, output in planned.get("outputs", {}).items():
        values[f"output.{name}"] = output.get("value", MISSING)
    return values


def _resources(values: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources of a plan's or state's values, in the root module and its children."""
    found: list[dict[str, Any]] = []
    modules = [values.get("root_module", {})]
    while modules:
        module = modules.pop()
        found += module.get("resources", [])
        modules += module.get("child_modules", [])
    return found


def planned_changes(plan: dict[str, Any]) -> dict[str, list[str]]:
    """The actions a plan takes other than no-op, by address (``output.NAME`` for outputs)."""
    changes = {
        change["address"]: change["change"]["actions"]
        for change in plan.get("resource_changes", [])
    }
    changes.update(
        {
            f"output.{name}": change["actions"]
            for name, change in plan.get("output_changes", {}).items()
        }
    )
    return {address: actions for address, actions in changes.items() if actions != ["no-op"]}


def compare_values(json_values: dict[str, Any], hcl_values: dict[str, Any]) -> list[Difference]:
    """Every difference between two plans' planned values, by address and attribute path."""
    differences: list[Difference] = []
    for address in sorted(json_values.keys() | hcl_values.keys()):
        json_value = json_values.get(address, MISSING)
        hcl_value = hcl_values.get(address, MISSING)
        _compare(address, "", json_value, hcl_value, differences)
    return differences


def _compare(address: str, path: str, left: Any, right: Any, found: list[Difference]) -> None:
    if left == right and type(left) is type(right):
        return
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(left.keys() | right.keys(), key=str):
            child = f"{path}.{key}" if path else str(key)
            _compare(address, child, left.get(key, MISSING), right.get(key, MISSING), found)
        return
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (one, other) in enumerate(zip(left, right, strict=True)):
            _compare(address, f"{path}[{index}]", one, other, found)
        return
    if isinstance(left, str) and isinstance(right, str):
        decoded = _json_document(left), _json_document(right)
        if decoded[0] is not None and decoded[1] is not None and decoded[0] != decoded[1]:
            # A JSON document in a string (a policy, container definitions): name the member.
            _compare(address, f"{path} (JSON)", decoded[0], decoded[1], found)
            return
    found.append(Difference(address, path, left, right))


def _json_document(text: str) -> Any:
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}..."


def _excerpts(left: str, right: str) -> tuple[str, str]:
    """Two strings, or when too long to show whole, each around their first difference."""
    if max(len(left), len(right)) <= SHOWN:
        return repr(left), repr(right)
    first = next(
        (i for i, (a, b) in enumerate(zip(left, right, strict=False)) if a != b),
        min(len(left), len(right)),
    )
    start = max(first - SHOWN // 2, 0)

    def cut(text: str) -> str:
        end = start + SHOWN
        return (
            f"{'...' if start else ''}{text[start:end]!r}{'...' if end < len(text) else ''}"
            f" ({len(text)} characters, the first difference at {first})"
        )

    return cut(left), cut(right)
