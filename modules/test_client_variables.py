"""Variables of the test client (``modules/test_client.py``), without the provider bindings.

The sample's three variables (``number_EC2_instances``, ``ec2_ami_id``, ``ec2_instance_type``,
same defaults) and what the caller wires in; ``variables.py`` checks them before the bindings
load.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field
from pydantic.dataclasses import dataclass

from modules.validation import (
    MODULE_CONFIG,
    AmiId,
    Cidr,
    InstanceType,
    NonEmptyStr,
    OutpostsArn,
    added,
    matching,
)

# More clients than this is a load test of the Outpost's own capacity rather than of the
# producer, and each one holds an m5.2xlarge (by default) of a finite rack.
MAX_INSTANCES = 10

SubnetId = Annotated[str, matching(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$", "a subnet id")]
VpcId = Annotated[str, matching(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$", "a VPC id")]
InstanceProfileName = Annotated[
    str, matching(r"^[\w+=,.@-]{1,128}$", "an IAM instance profile name")
]
DnsName = Annotated[
    str, matching(r"^(?=.{1,253}$)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$", "a DNS name")
]


def _some_subnets(value: list[str]) -> list[str]:
    if not value:
        raise ValueError(
            "no subnet given: pass the Outposts subnets on an Outpost, "
            "the private ones in the Region"
        )
    return value


@dataclass(config=MODULE_CONFIG)
class TestClientConfig:
    """Configuration of the test client: the sample's three variables and the wiring."""

    __test__: ClassVar[bool] = False  # a configuration, not a pytest class

    name_prefix: NonEmptyStr = added()
    """Start of the Name tags and of the security group's name."""
    vpc_id: VpcId = added()
    """VPC of the subnets."""
    subnets: Annotated[list[SubnetId], AfterValidator(_some_subnets)] = added()
    """Subnets the instances are spread over, instance i in subnet i % len(subnets): the
    Outposts subnets on an Outpost, the private subnets in the Region."""
    ec2_iam_instance_profile: InstanceProfileName = added()
    """Instance profile granting Session Manager access (the vpc module's SSM profile)."""
    alb_dns_name: DnsName = added()
    """DNS name of the ALB the scripts send to."""
    # Strict: a bool is no count (pydantic would read true as 1).
    number_EC2_instances: int = Field(default=1, ge=1, le=MAX_INSTANCES, strict=True)
    """Number of client instances."""
    ec2_ami_id: AmiId = "ami-00f9f4069d04c0c6e"
    """AMI of the instances (Amazon Linux 2 or 2023); not in the sample: "" for the latest
    Amazon Linux 2023 of the Region, of the instance type's architecture."""
    # Any well-formed type: which families an Outpost offers is the Outpost's business.
    ec2_instance_type: InstanceType = "m5.2xlarge"
    """Instance type of the clients."""
    outposts_arn: OutpostsArn = added("")
    """The Outpost of the subnets, "" in the Region; picks the root volume type (gp2 or gp3)."""
    http_egress_cidr_blocks: Annotated[list[Cidr], Field(min_length=1)] = added(
        default_factory=lambda: ["0.0.0.0/0"]
    )
    """Where the clients may connect on TCP 80: the ALB's addresses and HTTP package mirrors."""
    tags: dict[str, str] = added(default_factory=dict)
    """Tags of every resource (each also gets a Name tag)."""


# The attributes of the ``TestClient`` construct that a caller uses after a deploy.
OUTPUTS: dict[str, str] = {
    "instance_ids": "Ids of the client instances, `number_EC2_instances` of them.",
    "ssm_start_session_commands": (
        "One `aws ssm start-session` command per instance, in the order of `instance_ids`."
    ),
    "security_group_id": "Id of the clients' security group.",
}
