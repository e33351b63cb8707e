"""``make validate``: Terraform's own validation of synthesized JSON, and proof that it can fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modules.provider_versions import AWS_PROVIDER_VERSIONS
from scripts.terraform_cli import configured_cli_file, find_provider_mirror, find_terraform
from scripts.validate import validate

if find_terraform() is None:
    pytest.skip(
        "terraform is not on the PATH: install Terraform 1.5 or later", allow_module_level=True
    )
if find_provider_mirror() is None and configured_cli_file() is None:
    pytest.skip(
        "no provider mirror holding registry.terraform.io/hashicorp/aws: set "
        "TF_PROVIDER_MIRROR to one (terraform providers mirror DIR makes one)",
        allow_module_level=True,
    )


def _stack(directory: Path, resources: dict[str, Any]) -> Path:
    config = {
        "terraform": {
            "required_providers": {"aws": {"source": "aws", "version": AWS_PROVIDER_VERSIONS}}
        },
        "provider": {"aws": [{"region": "us-west-2"}]},
        "resource": resources,
    }
    directory.mkdir()
    (directory / "cdk.tf.json").write_text(json.dumps(config))
    return directory


def test_a_valid_stack_passes(tmp_path: Path) -> None:
    result = validate(_stack(tmp_path / "ok", {"aws_vpc": {"main": {"cidr_block": "10.0.0.0/16"}}}))
    assert (result.errors, result.warnings) == ([], [])
    major = int(result.provider.split(".")[0])
    assert 5 <= major < 7, result.provider


def test_an_unknown_argument_fails(tmp_path: Path) -> None:
    vpc = {"cidr_block": "10.0.0.0/16", "colour": "red"}
    result = validate(_stack(tmp_path / "bad", {"aws_vpc": {"main": vpc}}))
    assert not result.ok
    assert any("colour" in message for message in result.errors), result.errors


def test_a_deprecated_argument_fails(tmp_path: Path) -> None:
    # aws_eip's "vpc" is deprecated in provider 5 (a warning) and gone in 6 (an error).
    result = validate(_stack(tmp_path / "eip", {"aws_eip": {"nat": {"vpc": True}}}))
    assert not result.ok
    assert any("vpc" in message for message in result.warnings + result.errors), result
