"""The vpc construct's hardening and its optional parts: default security group, pinned
AZs, DHCP options, secondary CIDR blocks, firewall tiers, local gateway and endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import OUTPOSTS_ARN
from tests.vpc.vpc_support import (
    NO_OUTPOSTS,
    TAGS,
    Built,
    build_vpc,
    resource_counts,
    routes_by_index,
    sample_config,
)

# ---------------------------------------------------------------------------------------------
# Hardening
# ---------------------------------------------------------------------------------------------


def test_default_security_group_has_no_rules(sample: Built) -> None:
    group = sample.get("aws_default_security_group", "default_security_group")
    assert group["vpc_id"] == sample.ref("aws_vpc", "vpc")
    # No ingress or egress at all: Terraform strips the group's rules.
    assert set(group) - {"//"} == {"vpc_id", "tags"}
    assert group["tags"]["Name"] == "outposts-AoD-DEFAULT-SG-NO-RULES"


def test_every_security_group_and_rule_is_described(sample: Built) -> None:
    for name, group in sample.all("aws_security_group").items():
        assert group["description"].strip(), name
    for name, rule in sample.all("aws_security_group_rule").items():
        assert rule["description"].strip(), name


def test_azs_are_not_pinned_by_default(sample: Built) -> None:
    azs = sample.get("aws_availability_zones", "available_azs", data=True)
    assert [f["name"] for f in azs["filter"]] == ["opt-in-status"]


@pytest.fixture(scope="module")
def relaxed() -> Built:
    """No managed default group; pinned AZs; flow logs to an existing group, own role."""
    return build_vpc(
        sample_config(
            manage_default_security_group=False,
            availability_zones=["us-west-2a", "us-west-2b", "us-west-2c"],
            create_flow_log_cloudwatch_log_group=False,
            flow_log_destination_arn="arn:aws:logs:us-west-2:111122223333:log-group:flows:*",
        )
    )


def test_relaxed_configuration(relaxed: Built) -> None:
    assert "aws_default_security_group" not in resource_counts(relaxed)
    azs = relaxed.get("aws_availability_zones", "available_azs", data=True)
    assert azs["filter"] == [
        {"name": "opt-in-status", "values": ["opt-in-not-required"]},
        {"name": "zone-name", "values": ["us-west-2a", "us-west-2b", "us-west-2c"]},
    ]
    # The role created for an existing group may write to that group only.
    statements = {
        s["sid"]: s
        for s in relaxed.get("aws_iam_policy_document", "vpc_flow_log_policy_document", data=True)[
            "statement"
        ]
    }
    group = "arn:aws:logs:us-west-2:111122223333:log-group:flows"
    assert statements["PutLogs"]["resources"] == [group, f"{group}:*"]


@pytest.fixture(scope="module")
def dhcp() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS,
            enable_dhcp_options=True,
            dhcp_options_domain_name="corp.example.com",
            dhcp_options_domain_name_servers=["10.10.0.2", "10.10.0.3"],
            dhcp_options_ntp_servers=["10.10.0.123"],
            dhcp_options_netbios_node_type="2",
        )
    )


def test_dhcp_options(dhcp: Built, sample: Built) -> None:
    options = dhcp.get("aws_vpc_dhcp_options", "dhcp_options")
    assert options["domain_name"] == "corp.example.com"
    assert options["domain_name_servers"] == ["10.10.0.2", "10.10.0.3"]
    assert options["ntp_servers"] == ["10.10.0.123"]
    assert options["netbios_node_type"] == "2"
    assert "netbios_name_servers" not in options  # empty list: not set
    assert options["tags"] == {**TAGS, "Name": "outposts-AoD-DHCP-OPTIONS"}
    association = dhcp.get("aws_vpc_dhcp_options_association", "dhcp_options_association")
    assert association["dhcp_options_id"] == dhcp.ref("aws_vpc_dhcp_options", "dhcp_options")
    assert "aws_vpc_dhcp_options" not in resource_counts(sample)


@pytest.fixture(scope="module")
def secondary() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS,
            secondary_cidr_blocks=["10.182.0.0/24", "100.64.0.0/20"],
            database_tier_subnets_cidr_list=["10.182.0.0/26", "100.64.1.0/24"],
            pres_tier_subnets_cidr_list=["10.181.216.0/24"],
        )
    )


def test_secondary_cidr_blocks(secondary: Built) -> None:
    for index, cidr in enumerate(["10.182.0.0/24", "100.64.0.0/20"]):
        association = secondary.get(
            "aws_vpc_ipv4_cidr_block_association", f"secondary_cidr_{index}"
        )
        assert association["cidr_block"] == cidr
    # Subnets in a secondary block wait for its association; those in the main block do not.
    for index in range(2):
        subnet = secondary.get("aws_subnet", f"subnet_database_tier_{index}")
        assert subnet["depends_on"] == [
            secondary.address("aws_vpc_ipv4_cidr_block_association", f"secondary_cidr_{index}")
        ]
        assert subnet["tags"]["Name"] == f"outposts-AoD-database-subnet-{index}"
    assert "depends_on" not in secondary.get("aws_subnet", "subnet_pres_tier_0")
    assert "depends_on" not in secondary.get("aws_subnet", "subnet_priv_0")


def test_presentation_and_database_tiers_have_no_internet_route(secondary: Built) -> None:
    tables = {
        secondary.ref("aws_route_table", "subnet_pres_tier_route_table_0"),
        secondary.ref("aws_route_table", "subnet_database_tier_route_table_0"),
        secondary.ref("aws_route_table", "subnet_database_tier_route_table_1"),
    }
    assert not tables & {r["route_table_id"] for r in secondary.all("aws_route").values()}
    assert secondary.get("aws_route_table", "subnet_database_tier_route_table_1")["tags"][
        "Name"
    ] == ("outposts-AoD-DatabaseTierRoutable-1")
    assert len(secondary.vpc.subnet_database_tier_route_table_ids) == 2
    assert len(secondary.vpc.subnet_presentation_ids) == 1


FIREWALL_TIERS: dict[str, Any] = {
    **NO_OUTPOSTS,
    "tgw_subnets_cidr_list": ["10.181.212.0/28", "10.181.212.16/28"],
    "fw_subnets_cidr_list": ["10.181.213.0/28", "10.181.213.16/28"],
}


@pytest.fixture(scope="module")
def fw_only() -> Built:
    return build_vpc(sample_config(**FIREWALL_TIERS, fw_subnets_internet_access_nat_gw=True))


@pytest.fixture(scope="module")
def tgw_only() -> Built:
    return build_vpc(sample_config(**FIREWALL_TIERS, tgw_subnets_internet_access_nat_gw=True))


def test_fw_nat_route_follows_the_fw_flag(fw_only: Built, tgw_only: Built) -> None:
    # The sample gated the fw tier's NAT route on the tgw flag.
    fw_routes = routes_by_index(fw_only, "fw_nat_gateway")
    assert sorted(fw_routes) == [0, 1]
    for index, route in fw_routes.items():
        assert route["route_table_id"] == fw_only.ref(
            "aws_route_table", f"subnet_fw_route_table_{index}"
        )
        assert route["nat_gateway_id"] == fw_only.ref("aws_nat_gateway", f"nat_gateway_{index}")
    assert routes_by_index(fw_only, "private_gw_nat_gateway") == {}
    assert routes_by_index(tgw_only, "fw_nat_gateway") == {}
    assert sorted(routes_by_index(tgw_only, "private_gw_nat_gateway")) == [0, 1]
    assert fw_only.get("aws_subnet", "subnet_fw_1")["tags"]["Name"] == (
        "outposts-AoD-network-fw-subnet-1"
    )
    assert tgw_only.get("aws_subnet", "subnet_priv_tgw_0")["tags"]["Name"] == (
        "outposts-AoD-tgw-private-subnet-0"
    )


@pytest.fixture(scope="module")
def dedicated() -> Built:
    return build_vpc(sample_config(**NO_OUTPOSTS, instance_tenancy="dedicated"))


def test_instance_tenancy_reaches_the_vpc(dedicated: Built) -> None:
    (vpc,) = dedicated.all("aws_vpc").values()
    assert vpc["instance_tenancy"] == "dedicated"


@pytest.fixture(scope="module")
def lgw_lookup() -> Built:
    return build_vpc(sample_config(outposts_local_gateway_id="", coip_auto_assign=True))


def test_local_gateway_is_looked_up_without_an_id(lgw_lookup: Built) -> None:
    lgw = lgw_lookup.get("aws_ec2_local_gateway", "outposts_lgw", data=True)
    assert lgw["filter"] == [{"name": "outpost-arn", "values": [OUTPOSTS_ARN]}]
    looked_up = lgw_lookup.ref("aws_ec2_local_gateway", "outposts_lgw", data=True)
    routes = routes_by_index(lgw_lookup, "outposts_route_to_LGW")
    assert sorted(routes) == [0, 1]
    assert {r["local_gateway_id"] for r in routes.values()} == {looked_up}


def test_coip_auto_assign(lgw_lookup: Built) -> None:
    pool = lgw_lookup.get("aws_ec2_coip_pool", "coip_pool", data=True)
    assert pool["local_gateway_route_table_id"] == lgw_lookup.ref(
        "aws_ec2_local_gateway_route_table",
        "outposts_lgw_route_table",
        "local_gateway_route_table_id",
        data=True,
    )
    pool_id = lgw_lookup.ref("aws_ec2_coip_pool", "coip_pool", "pool_id", data=True)
    for index in range(2):
        subnet = lgw_lookup.get("aws_subnet", f"subnet_outposts_{index}")
        assert subnet["map_customer_owned_ip_on_launch"] is True
        assert subnet["customer_owned_ipv4_pool"] == pool_id
    assert "customer_owned_ipv4_pool" not in lgw_lookup.get("aws_subnet", "subnet_priv_0")


@pytest.fixture(scope="module")
def outpost_without_lgw_route() -> Built:
    return build_vpc(
        sample_config(
            outposts_route_to_LGW_destination="",
            outposts_local_gateway_id="",
            outposts_subnets_internet_access_nat_gw=False,
        )
    )


def test_outpost_without_a_local_gateway_route(outpost_without_lgw_route: Built) -> None:
    built = outpost_without_lgw_route
    counts = resource_counts(built)
    assert counts["aws_ec2_local_gateway_route_table_vpc_association"] == 1
    assert counts["aws_subnet"] == 6
    assert routes_by_index(built, "outposts_route_to_LGW") == {}
    assert routes_by_index(built, "outposts_route_to_NATGW") == {}
    assert built.data("aws_ec2_local_gateway") == {}


@pytest.fixture(scope="module")
def one_private() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS, private_subnets_cidr_list=["10.181.220.0/24"], endpoints_ha=True
        )
    )


def test_endpoints_ha_with_one_private_subnet(one_private: Built) -> None:
    # The sample indexed a second private subnet that did not exist.
    only = [one_private.ref("aws_subnet", "subnet_priv_0")]
    endpoints = one_private.all("aws_vpc_endpoint")
    interface = [e for e in endpoints.values() if e["vpc_endpoint_type"] == "Interface"]
    assert len(interface) == 5
    assert all(e["subnet_ids"] == only for e in interface)


@pytest.fixture(scope="module")
def no_ha() -> Built:
    return build_vpc(sample_config(**NO_OUTPOSTS, endpoints_ha=False))


def test_endpoints_without_ha_use_the_first_private_subnet(no_ha: Built) -> None:
    endpoint = no_ha.get("aws_vpc_endpoint", "kms")
    assert endpoint["subnet_ids"] == [no_ha.ref("aws_subnet", "subnet_priv_0")]


@pytest.fixture(scope="module")
def s3_endpoint_only() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS,
            enable_ssm=False,
            enable_s3_endpoint=True,
            enable_flow_log=False,
        )
    )


def test_s3_endpoint_without_ssm(s3_endpoint_only: Built) -> None:
    counts = resource_counts(s3_endpoint_only)
    assert counts["aws_vpc_endpoint"] == 1
    for absent in (
        "aws_security_group",
        "aws_iam_role",
        "aws_iam_instance_profile",
        "aws_flow_log",
    ):
        assert absent not in counts, absent
    endpoint = s3_endpoint_only.get("aws_vpc_endpoint", "s3")
    assert endpoint["tags"]["Name"] == "outposts-AoD-S3-ENDPOINT"
    vpc = s3_endpoint_only.vpc
    assert vpc.s3_vpc_endpoint is not None
    assert (vpc.ssm_security_group_id, vpc.iam_role_ec2_ssm_id) == (None, None)


@pytest.fixture(scope="module")
def ssm_without_private() -> Built:
    return build_vpc(
        sample_config(**NO_OUTPOSTS, private_subnets_cidr_list=[], create_iam_role_ssm=False)
    )


def test_ssm_without_private_subnets(ssm_without_private: Built) -> None:
    counts = resource_counts(ssm_without_private)
    assert counts["aws_security_group"] == 1
    assert counts["aws_vpc_endpoint"] == 1  # S3 gateway only
    assert "aws_iam_instance_profile" not in counts
    assert ssm_without_private.vpc.iam_instance_profile_ec2_ssm_id is None
    assert ssm_without_private.vpc.ssm_security_group_id is not None
