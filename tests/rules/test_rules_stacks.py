"""The checker on real stacks: every vars file's, and the Region and Outpost deployments moved
to GovCloud (us-gov-west-1), China (cn-north-1) and Jakarta (ap-southeast-3)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from modules.regions import partition
from rules import Stack, check
from tests.conftest import ROOT

VARIANT_REGIONS = ("us-gov-west-1", "cn-north-1", "ap-southeast-3")
_OUTPOST_ARN = re.compile(r"^arn:[a-z-]+:outposts:[a-z0-9-]+:")


def _report(stack: Stack) -> list[str]:
    return [f"{f.rule} {f.address}: {f.message}" for f in check(stack)]


def test_every_vars_file_stack_breaks_no_rule(synthesized: tuple[Path, str]) -> None:
    outdir, _ = synthesized
    stacks = sorted((outdir / "stacks").iterdir())
    assert [s.name for s in stacks] == sorted(
        p.name.removesuffix(".tfvars.json") for p in (ROOT / "vars").glob("*.tfvars.json")
    )
    found = {s.name: _report(Stack.load(s)) for s in stacks}
    assert found == {s.name: [] for s in stacks}


def _variant(vars_data: dict[str, Any], region: str) -> dict[str, Any]:
    """``vars_data`` moved to ``region``: the Outpost ARN's partition and Region, aws_region."""
    moved = dict(vars_data)
    if moved.get("outposts_arn"):
        moved["outposts_arn"] = _OUTPOST_ARN.sub(
            f"arn:{partition(region)}:outposts:{region}:", moved["outposts_arn"]
        )
    if moved.get("aws_region"):
        moved["aws_region"] = region
    return moved


@pytest.fixture(scope="session")
def variant_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """vars/region and vars/test in each of VARIANT_REGIONS, synthesized once, in one app."""
    from deployments import load_deployments, synthesize

    folder = tmp_path_factory.mktemp("variants")
    files = []
    for base in ("region", "test"):
        data = json.loads((ROOT / "vars" / f"{base}.tfvars.json").read_text())
        for region in VARIANT_REGIONS:
            path = folder / f"{base}-{region}.tfvars.json"
            # The file's name is longer than a prefix may be: one that fits.
            prefix = f"{base}-{region.split('-')[0]}{region[-1]}"
            path.write_text(json.dumps({**_variant(data, region), "deployment_prefix": prefix}))
            files.append(path)
    deployments = load_deployments(files)
    outdir = folder / "out"
    synthesize(deployments, outdir)
    return {d.name: outdir / "stacks" / d.name for d in deployments}


@pytest.mark.parametrize("region", VARIANT_REGIONS)
@pytest.mark.parametrize("base", ["region", "test"])
def test_the_deployments_in_other_partitions_break_no_rule(
    variant_stacks: dict[str, Path], base: str, region: str
) -> None:
    stack = Stack.load(variant_stacks[f"{base}-{region}"])
    assert stack.region == region
    assert _report(stack) == []
