"""Readable, stable Terraform addresses for everything a stack declares."""

from __future__ import annotations

import re

from cdktf import TerraformElement, TerraformStack
from constructs import Node

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class PathNamedStack(TerraformStack):
    """A stack that names each element after its construct path below the stack.

    cdktf appends a hash to nested logical IDs (``ecs-docker-codebuild_ecr_1A2B3C4D``); the
    path alone (``ecs-docker-codebuild_ecr``) is just as unique within a stack, reads like a
    Terraform module address and keeps ``terraform -target`` lines short and stable.
    """

    def _allocate_logical_id(self, tf_element: TerraformElement | Node) -> str:
        # Assets pass their construct node rather than an element.
        node = tf_element if isinstance(tf_element, Node) else tf_element.node
        depth = len(self.node.scopes)
        parts = [scope.node.id for scope in node.scopes[depth:]]
        return "_".join(_UNSAFE.sub("_", part) for part in parts)
