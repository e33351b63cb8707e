"""Every rule module, imported so that its rules register (``rules.registry.RULES``)."""

from __future__ import annotations

from rules import access_logs, capacity, fargate, iam_actions, names, outposts, partition

__all__ = ["MODULES"]

MODULES = (names, iam_actions, partition, access_logs, capacity, outposts, fargate)
