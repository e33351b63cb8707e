"""The security scan: checkov against the baseline, and proof that it can fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scripts.scan import BASELINE, Accepted, Failure, judge, load_baseline, run_checkov


def _scan(synthesized: dict[str, Any], directory: Path) -> list[Failure]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cdk.tf.json").write_text(json.dumps(synthesized))
    return judge(run_checkov(directory), load_baseline()).new


def test_baseline_entries_have_reasons() -> None:
    entries = load_baseline(BASELINE)
    assert entries
    for entry in entries:
        assert entry.reason and len(entry.reason) > 20, entry


def test_sample_deployment_has_no_new_failure(deployment: dict[str, Any], tmp_path: Path) -> None:
    assert _scan(deployment, tmp_path / "sample") == []


def test_weakened_configuration_fails_the_scan(deployment: dict[str, Any], tmp_path: Path) -> None:
    weakened = copy.deepcopy(deployment)
    (sg_name,) = [
        name for name in weakened["resource"]["aws_security_group"] if name.endswith("_alb_sg")
    ]
    weakened["resource"]["aws_security_group_rule"]["ssh_from_anywhere"] = {
        "type": "ingress",
        "description": "SSH from anywhere",
        "from_port": 22,
        "to_port": 22,
        "protocol": "tcp",
        "cidr_blocks": ["0.0.0.0/0"],
        "security_group_id": f"${{aws_security_group.{sg_name}.id}}",
    }
    new = _scan(weakened, tmp_path / "weakened")
    assert any(f.check == "CKV_AWS_24" and f.name == "ssh_from_anywhere" for f in new), new


@pytest.mark.parametrize(
    ("entry", "failure", "accepted"),
    [
        (
            Accepted("CKV_AWS_2", "*_listener_*", "r"),
            Failure("CKV_AWS_2", "t", "aws_lb_listener.a_listener_port-1"),
            True,
        ),
        (
            Accepted("CKV_AWS_2", "*_listener_*", "r"),
            Failure("CKV_AWS_3", "t", "aws_lb_listener.a_listener_port-1"),
            False,
        ),
        (
            Accepted("CKV_AWS_2", "*_listener_*", "r"),
            Failure("CKV_AWS_2", "t", "resource.a_alb"),
            False,
        ),
    ],
)
def test_baseline_matching(entry: Accepted, failure: Failure, accepted: bool) -> None:
    assert entry.matches(failure) is accepted


def test_malformed_baseline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text("- check: CKV_AWS_2\n  resource: '*'\n  reason: ''\n")
    with pytest.raises(ValueError, match="reason"):
        load_baseline(path)
    path.write_text("- check: CKV_AWS_2\n  resource: '*'\n")
    with pytest.raises(ValueError, match="check, resource, reason"):
        load_baseline(path)
