"""What every part of the ``vpc`` module builds on (see ``modules/vpc.py``)."""

from __future__ import annotations

import dataclasses

from constructs import Construct

from modules.vpc_variables import VpcConfig

__all__ = ["VpcScope"]


@dataclasses.dataclass(frozen=True)
class VpcScope:
    """The module construct, its configuration and the VPC's id.

    The parts create their resources on ``construct`` itself, never on a child construct of
    their own: Terraform addresses come from construct paths, and they are the module's.
    """

    construct: Construct
    config: VpcConfig
    vpc_id: str

    def tags(self, name: str | None = None, **extra: str) -> dict[str, str]:
        """The configured tags, plus the resource's Name and any extra tags."""
        tags = {**self.config.tags, **extra}
        if name is not None:
            tags["Name"] = name
        return tags
