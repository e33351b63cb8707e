"""The vpc construct's configuration: fields, defaults and checks."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError

from modules.validation import origin
from modules.vpc import VpcConfig
from tests.vpc.vpc_support import (
    NO_OUTPOSTS,
    sample_config,
)

# ---------------------------------------------------------------------------------------------
# Defaults and a bare VPC
# ---------------------------------------------------------------------------------------------

INVENTORY_DEFAULTS: dict[str, Any] = {
    "vpc_suffix": "",
    "tags": {},
    "enable_ipv6": False,
    "secondary_cidr_blocks": [],
    "enable_dns_hostnames": False,
    "enable_dns_support": True,
    "instance_tenancy": "default",
    "enable_internet_gateway": False,
    "enable_nat_gateway": False,
    "number_AZ": 2,
    "private_subnets_cidr_list": [],
    "private_subnets_suffix": "private",
    "private_subnets_internet_access_nat_gw": False,
    "tgw_subnets_cidr_list": [],
    "tgw_subnets_suffix": "tgw-private",
    "tgw_subnets_internet_access_nat_gw": False,
    "fw_subnets_cidr_list": [],
    "fw_subnets_suffix": "network-fw",
    "fw_subnets_internet_access_nat_gw": False,
    "public_subnets_cidr_list": [],
    "public_subnets_suffix": "public",
    "map_public_ip_on_launch": False,
    "web_tier_subnets_cidr_list": [],
    "web_subnets_suffix": "web",
    "web_subnets_internet_access_nat_gw": False,
    "pres_tier_subnets_cidr_list": [],
    "pres_subnets_suffix": "presentation",
    "database_tier_subnets_cidr_list": [],
    "database_subnets_suffix": "database",
    "outposts_subnets_cidr_list": [],
    "coip_auto_assign": False,
    "outposts_subnets_suffix": "outposts",
    "outposts_arn": "",
    "outposts_route_to_LGW_destination": "",
    "outposts_local_gateway_id": "",
    "outposts_subnets_internet_access_nat_gw": False,
    "enable_ssm": False,
    "enable_s3_endpoint": False,
    "create_iam_role_ssm": False,
    "endpoints_ha": False,
    "enable_dhcp_options": False,
    "dhcp_options_domain_name": "",
    "dhcp_options_domain_name_servers": ["AmazonProvidedDNS"],
    "dhcp_options_ntp_servers": [],
    "dhcp_options_netbios_name_servers": [],
    "dhcp_options_netbios_node_type": "",
    "enable_flow_log": False,
    "create_flow_log_cloudwatch_log_group": False,
    "create_flow_log_cloudwatch_iam_role": False,
    "flow_log_traffic_type": "ALL",
    "flow_log_destination_type": "cloud-watch-logs",
    "flow_log_log_format": None,
    "flow_log_destination_arn": "",
    "flow_log_cloudwatch_iam_role_arn": "",
    "flow_log_cloudwatch_log_group_name_prefix": "/aws/vpc-flow-log/",
    "flow_log_cloudwatch_log_group_retention_in_days": None,
}

# Not in the sample: hardening.
ADDED_DEFAULTS: dict[str, Any] = {
    "flow_log_cloudwatch_log_group_kms_key_id": "",
    "manage_default_security_group": True,
    "availability_zones": [],
}


def test_fields_and_defaults_are_the_inventorys() -> None:
    config = VpcConfig(vpc_name="v", vpc_main_cidr="10.0.0.0/16")
    fields = {f.name for f in dataclasses.fields(config)}
    assert fields == {"vpc_name", "vpc_main_cidr", *INVENTORY_DEFAULTS, *ADDED_DEFAULTS}
    assert len(fields - set(ADDED_DEFAULTS)) == 58
    assert {name: getattr(config, name) for name in INVENTORY_DEFAULTS} == INVENTORY_DEFAULTS
    assert {name: getattr(config, name) for name in ADDED_DEFAULTS} == ADDED_DEFAULTS
    for name, field in VpcConfig.__pydantic_fields__.items():  # type: ignore[attr-defined]
        assert (origin(field.json_schema_extra) == "added") == (name in ADDED_DEFAULTS), name


# ---------------------------------------------------------------------------------------------
# Configuration checks
# ---------------------------------------------------------------------------------------------

SUBNET_LISTS = (
    "public_subnets_cidr_list",
    "private_subnets_cidr_list",
    "tgw_subnets_cidr_list",
    "fw_subnets_cidr_list",
    "web_tier_subnets_cidr_list",
    "pres_tier_subnets_cidr_list",
    "database_tier_subnets_cidr_list",
    "outposts_subnets_cidr_list",
)


@pytest.mark.parametrize("field", SUBNET_LISTS)
def test_malformed_subnet_cidr(field: str) -> None:
    with pytest.raises(ValidationError, match=rf"{field}\.0\n.*not a CIDR block"):
        sample_config(**{field: ["10.181.300.0/24"]})


@pytest.mark.parametrize("field", SUBNET_LISTS)
def test_subnet_outside_the_vpc(field: str) -> None:
    with pytest.raises(ValidationError, match=rf"{field}\[0\]: '10\.50\.0\.0/24' is outside"):
        sample_config(**{field: ["10.50.0.0/24"]})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"vpc_main_cidr": "10.181.192.0/33"}, r"vpc_main_cidr\n.*not a CIDR block"),
        ({"vpc_main_cidr": "10.181.192.1/19"}, r"vpc_main_cidr\n.*host bits set"),
        ({"vpc_main_cidr": "fd00::/56"}, r"vpc_main_cidr\n.*not an IPv4 CIDR block"),
        ({"vpc_main_cidr": "10.0.0.0/8"}, r"vpc_main_cidr\n.*/16 to /28"),
        ({"secondary_cidr_blocks": ["10.182.0/24"]}, r"secondary_cidr_blocks\.0\n"),
        (
            {"secondary_cidr_blocks": ["10.181.200.0/24"]},
            r"secondary_cidr_blocks\[0\]: '10\.181\.200\.0/24' overlaps the VPC block",
        ),
        (
            {"private_subnets_cidr_list": ["10.181.195.0/24", "10.181.221.0/24"]},
            r"private_subnets_cidr_list\[0\]: .* overlaps public_subnets_cidr_list\[0\]",
        ),
        ({"private_subnets_cidr_list": ["10.181.220.0/29"]}, r"private_subnets_cidr_list\.0\n"),
        ({"number_AZ": 0}, r"number_AZ\n.*greater than or equal to 1"),
        ({"outposts_arn": "arn:aws:outposts:us-west-2:1:outpost/op-1"}, r"outposts_arn\n"),
        (
            {"outposts_route_to_LGW_destination": "10.10.0.0/33"},
            "outposts_route_to_LGW_destination",
        ),
        (
            {"outposts_route_to_LGW_destination": "fd00::/64"},
            r"outposts_route_to_LGW_destination\n.*not an IPv4",
        ),
        ({"outposts_local_gateway_id": "lgw-xyz"}, r"outposts_local_gateway_id\n"),
        (
            {**NO_OUTPOSTS, "outposts_route_to_LGW_destination": "10.10.0.0/24"},
            r"outposts_route_to_LGW_destination: set to '10\.10\.0\.0/24' but outposts_arn is "
            "empty",
        ),
        (
            {**NO_OUTPOSTS, "outposts_subnets_cidr_list": ["10.181.222.64/27"]},
            r"outposts_subnets_cidr_list: set to .* but outposts_arn is empty",
        ),
        (
            {**NO_OUTPOSTS, "coip_auto_assign": True},
            r"coip_auto_assign: set to True but outposts_arn is empty",
        ),
        (
            {"flow_log_destination_type": "s3"},
            r"flow_log_destination_arn: flow logs to s3 need the bucket ARN",
        ),
        ({"create_flow_log_cloudwatch_log_group": False}, r"flow_log_destination_arn: empty"),
        (
            {"create_flow_log_cloudwatch_iam_role": False},
            r"flow_log_cloudwatch_iam_role_arn: empty",
        ),
        (
            {"flow_log_cloudwatch_log_group_retention_in_days": 42},
            r"flow_log_cloudwatch_log_group_retention_in_days\n.*not a CloudWatch Logs retention",
        ),
        ({"flow_log_traffic_type": "SOME"}, r"flow_log_traffic_type\n"),
        ({"flow_log_destination_type": "kinesis"}, r"flow_log_destination_type\n"),
        ({"instance_tenancy": "host"}, r"instance_tenancy\n"),
        ({"dhcp_options_netbios_node_type": "3"}, r"dhcp_options_netbios_node_type\n"),
        ({"public_subnets_cidr_list": []}, r"enable_nat_gateway: NAT gateways live in public"),
        ({"enable_internet_gateway": False}, r"enable_nat_gateway: a public NAT gateway needs"),
        ({"vpc_name": "x" * 48}, r"vpc_name: 'x+' gives the IAM role name"),
        ({"vpc_name": "outposts AoD"}, r"vpc_name: 'outposts AoD' gives the IAM role name"),
        ({"vpc_name": ""}, r"vpc_name\n.*at least 1 character"),
        ({"number_az": 2}, r"number_az\n.*Unexpected keyword argument"),
        ({"availability_zones": ["us-west-2a"]}, r"availability_zones: 1 zone\(s\), fewer than"),
        ({"availability_zones": ["us-west-2a", "us-west-2a"]}, r"availability_zones: .* twice"),
        ({"availability_zones": ["usw2-az1", "x"]}, r"availability_zones\[0\]: 'usw2-az1'"),
        ({"flow_log_cloudwatch_log_group_kms_key_id": "alias/x"}, r"not a KMS key ARN"),
    ],
)
def test_invalid_configuration_names_the_field(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        sample_config(**overrides)


def test_valid_edge_cases_are_accepted() -> None:
    # A subnet in a secondary block, a /28 subnet, a /32 LGW destination, an 8-digit LGW id.
    config = sample_config(
        secondary_cidr_blocks=["100.64.0.0/20"],
        private_subnets_cidr_list=["100.64.0.0/24", "10.181.221.0/28"],
        outposts_route_to_LGW_destination="192.168.1.10/32",
        outposts_local_gateway_id="lgw-0123abcd",
    )
    assert config.private_subnets_cidr_list == ["100.64.0.0/24", "10.181.221.0/28"]
    # Role names are only checked for the roles the module creates.
    long_name = sample_config(
        vpc_name="x" * 48,
        create_iam_role_ssm=False,
        create_flow_log_cloudwatch_iam_role=False,
        flow_log_cloudwatch_iam_role_arn="arn:aws:iam::111122223333:role/flow-logs",
    )
    assert long_name.vpc_name == "x" * 48
