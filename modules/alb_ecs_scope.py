"""What every part of the ``alb-ecs`` module builds on (see ``modules/alb_ecs.py``)."""

from __future__ import annotations

import dataclasses

from constructs import Construct

from modules.alb_ecs_variables import AlbEcsConfig

__all__ = ["AlbEcsScope"]


@dataclasses.dataclass(frozen=True)
class AlbEcsScope:
    """The module construct and its configuration.

    The parts create their resources on ``construct`` itself, never on a child construct of
    their own: Terraform addresses come from construct paths, and they are the module's.
    """

    construct: Construct
    config: AlbEcsConfig

    @property
    def project(self) -> str:
        return self.config.tags["Project"]

    @property
    def name_prefix(self) -> str:
        """The prefix of the names of security groups, endpoints and the log group."""
        return f"{self.config.vpc_name}-{self.project}"

    def named(self, name: str, **extra: str) -> dict[str, str]:
        """The configured tags, plus any extra tags and the resource's Name."""
        return {**self.config.tags, **extra, "Name": name}
