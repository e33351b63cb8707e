"""What every check reads (the variables, the stack, the clients, the expected account), and
what the earlier checks found for the later ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rules.model import Stack
from scripts.preflight.aws import Aws
from variables import RootVariables

# The detail of an Outpost row in Region mode.
REGION_MODE = "Region mode: outposts_arn is empty"


@dataclass
class Context:
    """What every check reads, and what the earlier checks found for the later ones."""

    variables: RootVariables
    stack: Stack
    aws: Aws
    expected_account: str | None
    expected_from: str = "the owner in outposts_arn"
    account: str = ""
    outpost: dict[str, Any] | None = None
    local_gateway_id: str | None = None
    route_table_id: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def on_outpost(self) -> bool:
        return bool(self.variables.outposts_arn)

    @property
    def outpost_id(self) -> str:
        return self.variables.outposts_arn.rsplit("/", 1)[-1]
