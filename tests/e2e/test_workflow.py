"""The README's Terraform workflow end to end in Outpost mode, against the emulator.

Synthesize vars/test.tfvars.json, init, validate, the targeted first apply of the image
module, the full apply, the promised outputs, an empty re-plan, the producer against the
stream Terraform made, and destroy, leaving nothing behind. ``make e2e`` (scripts/e2e.py)
runs the Region modes and ``cdktf deploy`` as well.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .emulator import Emulator
from .workflow import (
    IMAGE_TARGETS,
    PROMISED_OUTPUTS,
    Deployment,
    image_module_addresses,
    managed_addresses,
    modes,
    producer_round_trip,
    remaining_resources,
    synthesize,
)


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.timeout(1500)
def test_outpost_mode_end_to_end(
    terraform_ready: None, start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    mode = modes()["outpost"]
    stack = synthesize(mode, tmp_path)
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

    assert producer_round_trip(deployment, tmp_path) == 51

    deployment.destroy()
    assert deployment.state_list() == []
    left = {kind: found for kind, found in remaining_resources(emulator).items() if found}
    assert not left, left
