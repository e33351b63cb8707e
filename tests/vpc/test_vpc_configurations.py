"""The vpc construct in contrasting configurations: a bare VPC, the Region only, NAT
gateways, IPv6 and flow-log destinations."""

from __future__ import annotations

import pytest

from modules.vpc import VpcConfig
from tests.vpc.vpc_support import (
    LGW_ID,
    LOGS_KEY,
    NO_OUTPOSTS,
    Built,
    build_vpc,
    resource_counts,
    routes_by_index,
    sample_config,
)


@pytest.fixture(scope="module")
def bare() -> Built:
    return build_vpc(VpcConfig(vpc_name="bare", vpc_main_cidr="10.0.0.0/16"))


def test_bare_vpc_creates_only_the_vpc(bare: Built) -> None:
    assert resource_counts(bare) == {"aws_vpc": 1, "aws_default_security_group": 1}
    assert set(bare.tf["data"]) == {"aws_availability_zones", "aws_caller_identity"}
    vpc = bare.vpc
    assert vpc.subnet_priv_ids == [] and vpc.subnet_outposts_route_table_ids == []
    assert (
        vpc.igw_id,
        vpc.s3_vpc_endpoint,
        vpc.ssm_security_group_id,
        vpc.iam_role_ec2_ssm_id,
        vpc.iam_instance_profile_ec2_ssm_id,
    ) == (None, None, None, None, None)
    (aws_vpc,) = bare.all("aws_vpc").values()
    assert aws_vpc["tags"] == {"Name": "bare"}


# ---------------------------------------------------------------------------------------------
# Contrasting configurations
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def no_outposts() -> Built:
    # As the root deployment without an Outpost: the local gateway id stays and is unused.
    return build_vpc(sample_config(**{**NO_OUTPOSTS, "outposts_local_gateway_id": LGW_ID}))


def test_no_outposts_arn_means_no_outposts_resources(no_outposts: Built) -> None:
    counts = resource_counts(no_outposts)
    assert counts["aws_subnet"] == 4
    assert counts["aws_route_table"] == 4
    assert counts["aws_route"] == 2  # the public default routes only
    assert "aws_ec2_local_gateway_route_table_vpc_association" not in counts
    for data_type in (
        "aws_outposts_outpost",
        "aws_ec2_local_gateway_route_table",
        "aws_ec2_local_gateway",
        "aws_ec2_coip_pool",
    ):
        assert no_outposts.data(data_type) == {}, data_type
    assert no_outposts.vpc.subnet_outposts_ids == []
    assert no_outposts.vpc.subnet_outposts_route_table_ids == []


@pytest.fixture(scope="module")
def one_public() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS,
            public_subnets_cidr_list=["10.181.194.0/23"],
            private_subnets_internet_access_nat_gw=True,
        )
    )


def test_one_public_subnet_gives_a_single_nat_gateway(one_public: Built) -> None:
    assert one_public.construct_ids("aws_eip") == {"nat_eip_one_az"}
    assert one_public.construct_ids("aws_nat_gateway") == {"nat_gateway_one_az"}
    eip = one_public.get("aws_eip", "nat_eip_one_az")
    assert eip["domain"] == "vpc"
    assert eip["tags"]["Name"] == "outposts-AoD-NAT-EIP-one-AZ"
    nat = one_public.get("aws_nat_gateway", "nat_gateway_one_az")
    assert nat["subnet_id"] == one_public.ref("aws_subnet", "subnet_public_0")
    assert nat["tags"]["Name"] == "outposts-AoD-NAT-GW-one-AZ"
    routes = routes_by_index(one_public, "private_nat_gateway")
    assert sorted(routes) == [0, 1]
    single = one_public.ref("aws_nat_gateway", "nat_gateway_one_az")
    assert {r["nat_gateway_id"] for r in routes.values()} == {single}


@pytest.fixture(scope="module")
def three_azs_two_public() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS,
            number_AZ=3,
            private_subnets_cidr_list=["10.181.220.0/24", "10.181.221.0/24", "10.181.223.0/24"],
            private_subnets_internet_access_nat_gw=True,
        )
    )


def test_nat_routes_use_the_gateway_that_exists_with_fewer_public_subnets_than_azs(
    three_azs_two_public: Built,
) -> None:
    # The sample referenced per-AZ gateways here, which did not exist.
    built = three_azs_two_public
    assert built.construct_ids("aws_nat_gateway") == {"nat_gateway_one_az"}
    single = built.ref("aws_nat_gateway", "nat_gateway_one_az")
    routes = routes_by_index(built, "private_nat_gateway")
    assert sorted(routes) == [0, 1, 2]
    assert {r["nat_gateway_id"] for r in routes.values()} == {single}
    azs = built.key("aws_availability_zones", "available_azs", data=True)
    assert built.get("aws_subnet", "subnet_priv_2")["availability_zone"] == (
        f"${{data.aws_availability_zones.{azs}.names[2]}}"
    )


@pytest.fixture(scope="module")
def one_az() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS,
            number_AZ=1,
            public_subnets_cidr_list=["10.181.194.0/23"],
            private_subnets_internet_access_nat_gw=True,
        )
    )


def test_nat_routes_use_the_gateway_that_exists_with_one_az(one_az: Built) -> None:
    # One public subnet and number_AZ 1: the per-AZ gateway exists (the sample routed to the
    # one-AZ gateway, which did not).
    assert one_az.construct_ids("aws_nat_gateway") == {"nat_gateway_0"}
    routes = routes_by_index(one_az, "private_nat_gateway")
    assert {r["nat_gateway_id"] for r in routes.values()} == {
        one_az.ref("aws_nat_gateway", "nat_gateway_0")
    }
    azs = one_az.key("aws_availability_zones", "available_azs", data=True)
    assert one_az.get("aws_subnet", "subnet_priv_1")["availability_zone"] == (
        f"${{data.aws_availability_zones.{azs}.names[0]}}"
    )
    # Both private subnets share the one AZ, so the endpoints go to the first only.
    endpoint = one_az.get("aws_vpc_endpoint", "ssm")
    assert endpoint["subnet_ids"] == [one_az.ref("aws_subnet", "subnet_priv_0")]


@pytest.fixture(scope="module")
def ipv6() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS,
            enable_ipv6=True,
            private_subnets_internet_access_nat_gw=True,
            web_tier_subnets_cidr_list=["10.181.210.0/24", "10.181.211.0/24"],
            web_subnets_internet_access_nat_gw=True,
            tgw_subnets_cidr_list=["10.181.212.0/28"],
            tgw_subnets_internet_access_nat_gw=True,
        )
    )


def test_ipv6(ipv6: Built) -> None:
    (vpc,) = ipv6.all("aws_vpc").values()
    assert vpc["assign_generated_ipv6_cidr_block"] is True
    gateway = ipv6.get("aws_egress_only_internet_gateway", "egress_gw")
    assert gateway["tags"]["Name"] == "outposts-AoD-EGRESS-ONLY-IGW"
    egress = ipv6.ref("aws_egress_only_internet_gateway", "egress_gw")
    for stem, tier in (("private_ipv6_egress", "priv"), ("web_ipv6_egress", "web_tier")):
        routes = routes_by_index(ipv6, stem)
        assert sorted(routes) == [0, 1], stem
        for index, route in routes.items():
            assert route["destination_ipv6_cidr_block"] == "::/0"
            assert route["egress_only_gateway_id"] == egress
            assert route["route_table_id"] == ipv6.ref(
                "aws_route_table", f"subnet_{tier}_route_table_{index}"
            )
    public = routes_by_index(ipv6, "public_internet_gateway_ipv6")
    assert sorted(public) == [0, 1]
    assert {r["gateway_id"] for r in public.values()} == {ipv6.ref("aws_internet_gateway", "igw")}
    assert {r["destination_ipv6_cidr_block"] for r in public.values()} == {"::/0"}
    # The tgw tier gets an IPv4 NAT route but, as in the sample, no IPv6 route.
    assert sorted(routes_by_index(ipv6, "private_gw_nat_gateway")) == [0]
    ipv6_tables = {
        r["route_table_id"]
        for r in ipv6.all("aws_route").values()
        if "destination_ipv6_cidr_block" in r
    }
    assert ipv6.ref("aws_route_table", "subnet_priv_tgw_route_table_0") not in ipv6_tables


@pytest.fixture(scope="module")
def ipv6_no_gateways() -> Built:
    return build_vpc(
        sample_config(
            **NO_OUTPOSTS,
            enable_ipv6=True,
            enable_internet_gateway=False,
            enable_nat_gateway=False,
            private_subnets_internet_access_nat_gw=True,
        )
    )


def test_ipv6_routes_need_their_gateways(ipv6_no_gateways: Built) -> None:
    # The sample added public ::/0 routes through an internet gateway that did not exist.
    counts = resource_counts(ipv6_no_gateways)
    assert "aws_route" not in counts
    assert "aws_internet_gateway" not in counts
    assert "aws_egress_only_internet_gateway" not in counts
    assert ipv6_no_gateways.vpc.igw_id is None


@pytest.fixture(scope="module")
def flow_log_s3() -> Built:
    return build_vpc(
        sample_config(
            flow_log_destination_type="s3",
            flow_log_destination_arn="arn:aws:s3:::flow-log-bucket/vpc",
            flow_log_traffic_type="REJECT",
            flow_log_log_format="${version} ${srcaddr} ${dstaddr}",
        )
    )


def test_flow_log_to_s3(flow_log_s3: Built) -> None:
    counts = resource_counts(flow_log_s3)
    assert "aws_cloudwatch_log_group" not in counts
    assert counts["aws_iam_role"] == 1  # the SSM role only
    assert counts["aws_iam_role_policy"] == 1
    assert "vpc_flow_log_iam_role" not in flow_log_s3.construct_ids("aws_iam_role")
    flow_log = flow_log_s3.get("aws_flow_log", "flow_log")
    assert flow_log["log_destination_type"] == "s3"
    assert flow_log["log_destination"] == "arn:aws:s3:::flow-log-bucket/vpc"
    assert flow_log["traffic_type"] == "REJECT"
    # AWS's own ${field} syntax reaches AWS literally: escaped from Terraform interpolation.
    assert flow_log["log_format"] == "$${version} $${srcaddr} $${dstaddr}"
    assert "iam_role_arn" not in flow_log


@pytest.fixture(scope="module")
def flow_log_existing() -> Built:
    return build_vpc(
        sample_config(
            create_flow_log_cloudwatch_log_group=False,
            create_flow_log_cloudwatch_iam_role=False,
            flow_log_destination_arn="arn:aws:logs:us-west-2:111122223333:log-group:existing",
            flow_log_cloudwatch_iam_role_arn="arn:aws:iam::111122223333:role/flow-logs",
        )
    )


def test_flow_log_to_an_existing_group_and_role(flow_log_existing: Built) -> None:
    counts = resource_counts(flow_log_existing)
    assert "aws_cloudwatch_log_group" not in counts
    assert counts["aws_iam_role"] == 1
    flow_log = flow_log_existing.get("aws_flow_log", "flow_log")
    assert flow_log["log_destination"] == "arn:aws:logs:us-west-2:111122223333:log-group:existing"
    assert flow_log["iam_role_arn"] == "arn:aws:iam::111122223333:role/flow-logs"


@pytest.fixture(scope="module")
def flow_log_prefix() -> Built:
    return build_vpc(
        sample_config(
            flow_log_cloudwatch_log_group_name_prefix="/custom/flows/",
            flow_log_cloudwatch_log_group_retention_in_days=30,
            flow_log_cloudwatch_log_group_kms_key_id=LOGS_KEY,
        )
    )


def test_flow_log_group_name_uses_the_prefix(flow_log_prefix: Built) -> None:
    # The sample declared the prefix but named the group "<vpc_name>-vpc-flow-logs".
    group = flow_log_prefix.get("aws_cloudwatch_log_group", "flow_log_group")
    assert group["name"] == "/custom/flows/outposts-AoD-vpc-flow-logs"
    assert group["retention_in_days"] == 30
    assert group["kms_key_id"] == LOGS_KEY
