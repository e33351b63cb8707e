"""What the vpc construct's tests share: the sample's configuration of the module, and one
configuration synthesized with lookups by construct id (``Built``)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from modules.vpc import Vpc, VpcConfig
from tests.support import OUTPOSTS_ARN, data_sources, resources, synthesize, terraform_load

VPC = "test-vpc"
LGW_ID = "lgw-0123456789abcdef0"
TAGS = {"Environment": "dev", "Project": "outposts-AoD", "Owner": "adf"}
LOGS_KEY = "arn:aws:kms:us-west-2:111122223333:key/0123abcd-12ab-34cd-56ef-1234567890ab"

# The root deployment's test-vpc with the sample's values.
SAMPLE: dict[str, Any] = {
    "vpc_name": "outposts-AoD",
    "vpc_suffix": "-challenge",
    "tags": TAGS,
    "vpc_main_cidr": "10.181.192.0/19",
    "enable_ipv6": False,
    "enable_dns_hostnames": True,
    "enable_dns_support": True,
    "enable_internet_gateway": True,
    "enable_nat_gateway": True,
    "enable_ssm": True,
    "create_iam_role_ssm": True,
    "number_AZ": 2,
    "endpoints_ha": True,
    "private_subnets_cidr_list": ["10.181.220.0/24", "10.181.221.0/24"],
    "outposts_subnets_cidr_list": ["10.181.222.64/27", "10.181.222.96/27"],
    "public_subnets_cidr_list": ["10.181.194.0/23", "10.181.200.0/23"],
    "outposts_subnets_internet_access_nat_gw": True,
    "outposts_arn": OUTPOSTS_ARN,
    "outposts_route_to_LGW_destination": "10.10.0.0/24",
    "outposts_local_gateway_id": LGW_ID,
    "enable_flow_log": True,
    "create_flow_log_cloudwatch_log_group": True,
    "create_flow_log_cloudwatch_iam_role": True,
}

# The same VPC in the Region only.
NO_OUTPOSTS: dict[str, Any] = {
    "outposts_arn": "",
    "outposts_subnets_cidr_list": [],
    "outposts_route_to_LGW_destination": "",
    "outposts_local_gateway_id": "",
}


@dataclasses.dataclass
class Built:
    """A synthesized configuration and the construct that produced it."""

    vpc: Vpc
    tf: dict[str, Any]

    def all(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return resources(self.tf, resource_type)

    def data(self, data_type: str) -> dict[str, dict[str, Any]]:
        return data_sources(self.tf, data_type)

    def construct_ids(self, resource_type: str) -> set[str]:
        """Construct ids (below the vpc construct) of the resources of one type."""
        return {construct_id_of(key) for key in self.all(resource_type)}

    def key(self, resource_type: str, construct_id: str, *, data: bool = False) -> str:
        """The logical id of a resource or data source of the vpc construct (it must exist)."""
        blocks = self.data(resource_type) if data else self.all(resource_type)
        key = f"{VPC}_{construct_id}"
        assert key in blocks, f"{resource_type}.{key} not in {sorted(blocks)}"
        return key

    def get(self, resource_type: str, construct_id: str, *, data: bool = False) -> dict[str, Any]:
        blocks = self.data(resource_type) if data else self.all(resource_type)
        return blocks[self.key(resource_type, construct_id, data=data)]

    def ref(
        self, resource_type: str, construct_id: str, attribute: str = "id", *, data: bool = False
    ) -> str:
        """The Terraform expression that reads an attribute of a resource or data source."""
        key = self.key(resource_type, construct_id, data=data)
        prefix = "data." if data else ""
        return f"${{{prefix}{resource_type}.{key}.{attribute}}}"

    def address(self, resource_type: str, construct_id: str) -> str:
        return f"{resource_type}.{self.key(resource_type, construct_id)}"


def construct_id_of(logical_id: str) -> str:
    """``test-vpc_subnet_public_0`` -> ``subnet_public_0``."""
    assert logical_id.startswith(f"{VPC}_"), logical_id
    return logical_id.removeprefix(f"{VPC}_")


def sample_config(**overrides: Any) -> VpcConfig:
    return VpcConfig(**{**SAMPLE, **overrides})


def build_vpc(config: VpcConfig) -> Built:
    synthesized = synthesize(lambda stack: Vpc(stack, VPC, config))
    terraform_load(synthesized.json)
    return Built(synthesized.built, synthesized.json)


def resource_counts(built: Built) -> dict[str, int]:
    return {t: len(blocks) for t, blocks in built.tf.get("resource", {}).items()}


def routes_by_index(built: Built, stem: str) -> dict[int, dict[str, Any]]:
    """Routes whose construct id is ``<stem>_<index>``, by index."""
    found: dict[int, dict[str, Any]] = {}
    for key, block in built.all("aws_route").items():
        match = re.fullmatch(rf"{re.escape(stem)}_(\d+)", construct_id_of(key))
        if match:
            found[int(match.group(1))] = block
    return found
