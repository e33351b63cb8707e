"""Readable, stable Terraform addresses for everything a stack declares."""

from __future__ import annotations

import re

from cdktf import TerraformElement, TerraformProvider, TerraformStack

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def use_path_logical_ids(stack: TerraformStack) -> None:
    """Name every resource and data source after its construct path below the stack.

    cdktf appends a hash to nested logical IDs (``ecs-docker-codebuild_ecr_1A2B3C4D``); the
    path alone (``ecs-docker-codebuild_ecr``) is just as unique within a stack, reads like a
    Terraform module address and keeps ``terraform -target`` lines short and stable.
    Call it once, after the stack's constructs are built.
    """
    for element in stack.node.find_all():
        if not isinstance(element, TerraformElement) or isinstance(element, TerraformProvider):
            continue
        parts = element.node.path.split("/")[2:]  # drop the app and stack ids
        if len(parts) > 1:
            element.override_logical_id("_".join(_UNSAFE.sub("_", p) for p in parts))
