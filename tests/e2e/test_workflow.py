"""The README's Terraform workflow end to end in Outpost mode, against the emulator.

Synthesize vars/test.tfvars.json, init, validate, the targeted first apply of the image
module, the full apply, the promised outputs, an empty re-plan, the HCL form of the same vars
(``cdktf synth --hcl``) planned against the same state with the JSON form's values but for
cdktf's one known wrong value (tests/e2e/hcl.py), the producer against the stream Terraform
made, and destroy, leaving nothing behind. ``make e2e`` (scripts/e2e.py) runs the Region
modes and ``cdktf deploy`` as well.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stack_configs import IMAGE_TARGETS

from .emulator import Emulator
from .hcl import BUILDSPEC_HEREDOC, HclSynthesis, compare_with_hcl
from .workflow import (
    PROMISED_OUTPUTS,
    Deployment,
    Mode,
    image_module_addresses,
    log,
    managed_addresses,
    modes,
    producer_round_trip,
    remaining_resources,
    synthesize,
)


@pytest.fixture
def start_hcl_synthesis() -> Iterator[Callable[[Mode, Path], HclSynthesis]]:
    """Start ``cdktf synth --hcl`` in the background; killed at the test's end if still running."""
    started: list[HclSynthesis] = []

    def start(mode: Mode, folder: Path) -> HclSynthesis:
        started.append(HclSynthesis(mode, folder))
        return started[-1]

    yield start
    for synthesis in started:
        synthesis.stop()


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.timeout(1500)
def test_outpost_mode_end_to_end(
    terraform_ready: None,
    start_emulator: Callable[..., Emulator],
    start_hcl_synthesis: Callable[[Mode, Path], HclSynthesis],
    tmp_path: Path,
) -> None:
    mode = modes()["outpost"]
    stack = synthesize(mode, tmp_path)
    # The HCL form of the same vars, synthesized while the JSON form is applied.
    hcl_synthesis = start_hcl_synthesis(mode, tmp_path / "hcl")
    expected = managed_addresses(stack)
    image_module = image_module_addresses(stack)
    emulator = start_emulator(mode.region, mode.outpost)
    deployment = Deployment.from_stack(stack, tmp_path / "work", emulator)
    deployment.init()
    deployment.validate()

    # The README's first apply creates the image module, and nothing else.
    deployment.targeted_apply()
    applied = {a for a in deployment.state_list() if not a.startswith("data.")}
    assert set(IMAGE_TARGETS) <= image_module
    assert applied == image_module, sorted(applied ^ image_module)

    deployment.full_apply()
    applied = {a for a in deployment.state_list() if not a.startswith("data.")}
    assert applied == expected, sorted(expected ^ applied)
    outputs = deployment.outputs()
    promised = (
        (*PROMISED_OUTPUTS, "dashboard_name")
        if mode.variables.get("enable_dashboard", True)
        else PROMISED_OUTPUTS
    )
    assert all(outputs.get(name) for name in promised), {n: outputs.get(n) for n in promised}
    assert outputs["kinesis_stream_name"] == mode.variables["kinesis_stream_name"]

    replan = deployment.replan()
    assert replan.returncode == 0, f"the re-plan after apply has changes:\n{replan.stdout[-6000:]}"

    # The way out of cdktf, checked by value: the HCL form planned against the same state
    # plans every resource, data source and output as the JSON form does, and changes nothing
    # but where cdktf writes a wrong value.
    waited = time.monotonic()
    hcl_stack = hcl_synthesis.stack()
    log(f"waited {time.monotonic() - waited:.1f} s for the HCL synthesis")
    compared = compare_with_hcl(deployment, hcl_stack, tmp_path / "hcl-work")
    assert compared.json_form.exit_code == 0, compared.report()
    assert not compared.unexpected(), compared.report()
    # cdktf's one wrong value here (hcl.BUILDSPEC_HEREDOC), exactly: the buildspec gains a "\n".
    assert [(d.address, d.path) for d in compared.differences] == [
        (BUILDSPEC_HEREDOC.address, BUILDSPEC_HEREDOC.path)
    ], compared.report()
    assert compared.hcl_form.changes == {BUILDSPEC_HEREDOC.address: ["update"]}, compared.report()
    # Nothing was left out: the comparison held every resource of the stack.
    planned = {a for a in compared.hcl_form.values if a.split(".")[0] not in ("data", "output")}
    assert planned == expected, sorted(planned ^ expected)

    assert producer_round_trip(deployment, tmp_path) == 51

    deployment.destroy()
    assert deployment.state_list() == []
    left = {kind: found for kind, found in remaining_resources(emulator).items() if found}
    assert not left, left
