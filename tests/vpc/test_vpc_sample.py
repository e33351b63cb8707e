"""The vpc construct as the sample deploys it: resources, routes, flow log, SSM."""

from __future__ import annotations

from tests.support import OUTPOSTS_ARN, REGION
from tests.vpc.vpc_support import (
    LGW_ID,
    SAMPLE,
    TAGS,
    Built,
    resource_counts,
    routes_by_index,
)


def test_sample_resource_counts(sample: Built) -> None:
    assert resource_counts(sample) == {
        "aws_vpc": 1,
        "aws_subnet": 6,  # 2 public, 2 private, 2 outposts
        "aws_internet_gateway": 1,
        "aws_eip": 2,
        "aws_nat_gateway": 2,
        "aws_route_table": 6,
        "aws_route_table_association": 6,
        "aws_route": 6,  # 2 public to IGW, 2 outposts to NAT, 2 outposts to LGW
        "aws_ec2_local_gateway_route_table_vpc_association": 1,
        "aws_flow_log": 1,
        "aws_cloudwatch_log_group": 1,
        "aws_iam_role": 2,
        "aws_iam_role_policy": 2,
        "aws_iam_role_policy_attachment": 3,
        "aws_iam_instance_profile": 1,
        "aws_security_group": 1,
        "aws_security_group_rule": 1,
        "aws_vpc_endpoint": 6,
        "aws_default_security_group": 1,
    }


def test_sample_vpc(sample: Built) -> None:
    (vpc,) = sample.all("aws_vpc").values()
    assert vpc["cidr_block"] == "10.181.192.0/19"
    assert vpc["enable_dns_hostnames"] is True
    assert vpc["enable_dns_support"] is True
    assert vpc["assign_generated_ipv6_cidr_block"] is False
    assert vpc["instance_tenancy"] == "default"
    assert vpc["tags"] == {**TAGS, "Name": "outposts-AoD-challenge"}


def test_sample_regional_subnets_spread_over_azs(sample: Built) -> None:
    azs = sample.key("aws_availability_zones", "available_azs", data=True)
    for tier, suffix, cidrs in (
        ("public", "public", SAMPLE["public_subnets_cidr_list"]),
        ("priv", "private", SAMPLE["private_subnets_cidr_list"]),
    ):
        for index, cidr in enumerate(cidrs):
            subnet = sample.get("aws_subnet", f"subnet_{tier}_{index}")
            assert subnet["cidr_block"] == cidr
            assert subnet["availability_zone"] == (
                f"${{data.aws_availability_zones.{azs}.names[{index % 2}]}}"
            )
            assert subnet["tags"] == {**TAGS, "Name": f"outposts-AoD-{suffix}-subnet-{index}"}
            assert "outpost_arn" not in subnet
    assert sample.get("aws_subnet", "subnet_public_1")["map_public_ip_on_launch"] is False


def test_sample_outposts_subnets(sample: Built) -> None:
    for index, cidr in enumerate(SAMPLE["outposts_subnets_cidr_list"]):
        subnet = sample.get("aws_subnet", f"subnet_outposts_{index}")
        assert subnet["cidr_block"] == cidr
        assert subnet["outpost_arn"] == OUTPOSTS_ARN
        assert subnet["availability_zone_id"] == sample.ref(
            "aws_outposts_outpost", "target_outpost", "availability_zone_id", data=True
        )
        assert "availability_zone" not in subnet
        assert "map_customer_owned_ip_on_launch" not in subnet  # coip_auto_assign is off
        assert "customer_owned_ipv4_pool" not in subnet
        assert subnet["tags"]["Name"] == f"outposts-AoD-outposts-subnet-{index}"


def test_sample_route_tables_and_associations(sample: Built) -> None:
    tiers = {  # tier: (route table Name, association construct id stem)
        "public": ("PublicRouteTable", "public_route_assoc"),
        "priv": ("PrivateRoutable", "priv_route_assoc"),
        "outposts": ("outpostsRoutable", "outposts_route_assoc"),
    }
    for tier, (name, association_id) in tiers.items():
        for index in range(2):
            table = sample.get("aws_route_table", f"subnet_{tier}_route_table_{index}")
            assert table["tags"]["Name"] == f"outposts-AoD-{name}-{index}"
            assert table["tags"]["Project"] == "outposts-AoD"
            assert table["vpc_id"] == sample.ref("aws_vpc", "vpc")
            association = sample.get("aws_route_table_association", f"{association_id}_{index}")
            assert association["subnet_id"] == sample.ref("aws_subnet", f"subnet_{tier}_{index}")
            assert association["route_table_id"] == sample.ref(
                "aws_route_table", f"subnet_{tier}_route_table_{index}"
            )


def test_sample_nat_gateways_one_per_az(sample: Built) -> None:
    assert sample.construct_ids("aws_eip") == {"nat_eip_0", "nat_eip_1"}
    assert sample.construct_ids("aws_nat_gateway") == {"nat_gateway_0", "nat_gateway_1"}
    for index in range(2):
        eip = sample.get("aws_eip", f"nat_eip_{index}")
        assert eip["domain"] == "vpc"
        assert "vpc" not in eip
        assert eip["tags"]["Name"] == f"outposts-AoD-NAT-EIP-{index}"
        nat = sample.get("aws_nat_gateway", f"nat_gateway_{index}")
        assert nat["subnet_id"] == sample.ref("aws_subnet", f"subnet_public_{index}")
        assert nat["allocation_id"] == sample.ref("aws_eip", f"nat_eip_{index}", "allocation_id")
        assert nat["depends_on"] == [sample.address("aws_internet_gateway", "igw")]
        assert nat["tags"]["Name"] == f"outposts-AoD-NAT-GW-{index}"


def test_sample_routes(sample: Built) -> None:
    igw = sample.ref("aws_internet_gateway", "igw")
    for index, route in routes_by_index(sample, "public_internet_gateway").items():
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        assert route["gateway_id"] == igw
        assert route["route_table_id"] == sample.ref(
            "aws_route_table", f"subnet_public_route_table_{index}"
        )
    nat_routes = routes_by_index(sample, "outposts_route_to_NATGW")
    assert sorted(nat_routes) == [0, 1]
    for index, route in nat_routes.items():
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        assert route["nat_gateway_id"] == sample.ref("aws_nat_gateway", f"nat_gateway_{index}")
        assert route["route_table_id"] == sample.ref(
            "aws_route_table", f"subnet_outposts_route_table_{index}"
        )
        assert route["timeouts"] == {"create": "5m"}
    # private_subnets_internet_access_nat_gw is off in the sample; IPv6 is off.
    assert routes_by_index(sample, "private_nat_gateway") == {}
    assert not any("destination_ipv6_cidr_block" in r for r in sample.all("aws_route").values())


def test_sample_local_gateway(sample: Built) -> None:
    association = sample.get(
        "aws_ec2_local_gateway_route_table_vpc_association", "outposts_lgw_route_table_assoc"
    )
    assert association["local_gateway_route_table_id"] == sample.ref(
        "aws_ec2_local_gateway_route_table",
        "outposts_lgw_route_table",
        "local_gateway_route_table_id",
        data=True,
    )
    lgw_routes = routes_by_index(sample, "outposts_route_to_LGW")
    assert sorted(lgw_routes) == [0, 1]
    for index, route in lgw_routes.items():
        assert route["destination_cidr_block"] == "10.10.0.0/24"
        assert route["local_gateway_id"] == LGW_ID  # fix: outposts_local_gateway_id is used
        assert route["route_table_id"] == sample.ref(
            "aws_route_table", f"subnet_outposts_route_table_{index}"
        )
        assert route["depends_on"] == [
            sample.address(
                "aws_ec2_local_gateway_route_table_vpc_association",
                "outposts_lgw_route_table_assoc",
            )
        ]


def test_sample_data_sources(sample: Built) -> None:
    azs = sample.get("aws_availability_zones", "available_azs", data=True)
    assert azs["filter"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    assert sample.get("aws_outposts_outpost", "target_outpost", data=True) == {"arn": OUTPOSTS_ARN}
    lgw_table = sample.get(
        "aws_ec2_local_gateway_route_table", "outposts_lgw_route_table", data=True
    )
    assert lgw_table == {"outpost_arn": OUTPOSTS_ARN}
    assert sample.data("aws_region") == {}  # the Region is the provider's (see provider.py)
    assert len(sample.data("aws_caller_identity")) == 1
    # The local gateway id is given, so it is not looked up; coip_auto_assign is off.
    assert sample.data("aws_ec2_local_gateway") == {}
    assert sample.data("aws_ec2_coip_pool") == {}
    services = {b["service"] for b in sample.data("aws_vpc_endpoint_service").values()}
    assert services == {"ssm", "ssmmessages", "ec2", "ec2messages", "kms", "s3"}


def test_sample_flow_log_to_cloudwatch(sample: Built) -> None:
    group = sample.get("aws_cloudwatch_log_group", "flow_log_group")
    assert group["name"] == "/aws/vpc-flow-log/outposts-AoD-vpc-flow-logs"
    assert "retention_in_days" not in group
    assert group["tags"] == {**TAGS, "Purpose": "VPC flow logs of outposts-AoD"}
    flow_log = sample.get("aws_flow_log", "flow_log")
    assert flow_log == {
        "vpc_id": sample.ref("aws_vpc", "vpc"),
        "log_destination_type": "cloud-watch-logs",
        "log_destination": sample.ref("aws_cloudwatch_log_group", "flow_log_group", "arn"),
        "iam_role_arn": sample.ref("aws_iam_role", "vpc_flow_log_iam_role", "arn"),
        "traffic_type": "ALL",
    }
    role = sample.get("aws_iam_role", "vpc_flow_log_iam_role")
    assert role["name"] == "outposts-AoD-vpcflowlogs-cw-role"
    assert role["assume_role_policy"] == sample.ref(
        "aws_iam_policy_document", "vpc_flow_log_assume_role", "json", data=True
    )
    (trust,) = sample.get("aws_iam_policy_document", "vpc_flow_log_assume_role", data=True)[
        "statement"
    ]
    assert trust["principals"] == [
        {"type": "Service", "identifiers": ["vpc-flow-logs.amazonaws.com"]}
    ]
    account = sample.ref("aws_caller_identity", "current_identity", "account_id", data=True)
    region = REGION
    assert trust["condition"] == [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account]},
        {
            "test": "ArnLike",
            "variable": "aws:SourceArn",
            "values": [f"arn:aws:ec2:{region}:{account}:vpc-flow-log/*"],
        },
    ]
    policy = sample.get("aws_iam_role_policy", "vpc_flow_log_iam_policy")
    assert policy["role"] == sample.ref("aws_iam_role", "vpc_flow_log_iam_role")
    assert policy["policy"] == sample.ref(
        "aws_iam_policy_document", "vpc_flow_log_policy_document", "json", data=True
    )
    # Writing is allowed to the flow log's own group only, not to "*".
    group_arn = sample.ref("aws_cloudwatch_log_group", "flow_log_group", "arn")
    statements = {
        s["sid"]: s
        for s in sample.get("aws_iam_policy_document", "vpc_flow_log_policy_document", data=True)[
            "statement"
        ]
    }
    assert statements["PutLogs"]["resources"] == [group_arn, f"{group_arn}:*"]
    assert set(statements["PutLogs"]["actions"]) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    }
    assert statements["DescribeLogGroups"]["actions"] == ["logs:DescribeLogGroups"]
    assert statements["DescribeLogGroups"]["resources"] == [
        f"arn:aws:logs:{region}:{account}:log-group:*"
    ]
    assert "kms_key_id" not in group


def test_sample_ssm_role_and_profile(sample: Built) -> None:
    role = sample.get("aws_iam_role", "ssm_ec2_iam_role")
    assert role["name"] == "SSM-EC2-outposts-AoD-IAM-ROLE"
    assert role["assume_role_policy"] == sample.ref(
        "aws_iam_policy_document", "ssm_ec2_assume_role", "json", data=True
    )
    (trust,) = sample.get("aws_iam_policy_document", "ssm_ec2_assume_role", data=True)["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]
    assert trust["actions"] == ["sts:AssumeRole"]
    attached = {b["policy_arn"] for b in sample.all("aws_iam_role_policy_attachment").values()}
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
        "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    }
    inline = sample.get("aws_iam_role_policy", "ssm_ec2_inline_policy")
    assert inline["policy"] == sample.ref(
        "aws_iam_policy_document", "ssm_ec2_inline_policy_document", "json", data=True
    )
    (statement,) = sample.get(
        "aws_iam_policy_document", "ssm_ec2_inline_policy_document", data=True
    )["statement"]
    assert statement["actions"] == ["s3:GetObject"]
    region = REGION
    assert f"arn:aws:s3:::aws-ssm-{region}/*" in statement["resources"]
    assert len(statement["resources"]) == 6
    assert not [r for r in statement["resources"] if ".name}" in r]  # deprecated attribute
    profile = sample.get("aws_iam_instance_profile", "ec2_ssm")
    assert profile["name"] == "SSM-EC2-outposts-AoD-IAM-INSTANCE-PROFILE"
    assert profile["role"] == sample.ref("aws_iam_role", "ssm_ec2_iam_role", "name")


def test_sample_ssm_endpoints(sample: Built) -> None:
    group = sample.get("aws_security_group", "ssm_endpoint_sg")
    assert group["name_prefix"] == "SSM-endpoint-outposts-AoD-sec-group"
    assert group["lifecycle"] == {"create_before_destroy": True}
    rule = sample.get("aws_security_group_rule", "ssm_endpoint_sg_ing")
    assert (rule["type"], rule["from_port"], rule["to_port"], rule["protocol"]) == (
        "ingress",
        443,
        443,
        "tcp",
    )
    assert rule["cidr_blocks"] == ["10.181.192.0/19"]
    assert rule["security_group_id"] == sample.ref("aws_security_group", "ssm_endpoint_sg")
    both_private = [sample.ref("aws_subnet", f"subnet_priv_{i}") for i in range(2)]
    for service, label in (
        ("ssm", "SSM"),
        ("ssmmessages", "SSMMESSAGES"),
        ("ec2", "EC2"),
        ("ec2messages", "EC2MESSAGES"),
        ("kms", "KMS"),
    ):
        endpoint = sample.get("aws_vpc_endpoint", service)
        assert endpoint["vpc_endpoint_type"] == "Interface"
        assert endpoint["private_dns_enabled"] is True
        assert endpoint["subnet_ids"] == both_private  # endpoints_ha
        assert endpoint["security_group_ids"] == [
            sample.ref("aws_security_group", "ssm_endpoint_sg")
        ]
        assert endpoint["service_name"] == sample.ref(
            "aws_vpc_endpoint_service", f"{service}_endpoint_service", "service_name", data=True
        )
        assert endpoint["tags"]["Name"] == f"outposts-AoD-{label}-ENDPOINT"
    s3 = sample.get("aws_vpc_endpoint", "s3")
    assert s3["vpc_endpoint_type"] == "Gateway"
    assert "subnet_ids" not in s3
    assert sample.get("aws_vpc_endpoint_service", "s3_endpoint_service", data=True) == {
        "service": "s3",
        "service_type": "Gateway",
    }


def test_sample_attributes(sample: Built) -> None:
    vpc = sample.vpc
    assert vpc.config.vpc_name == "outposts-AoD"
    assert vpc.vpc_cidr_block == "10.181.192.0/19"
    assert isinstance(vpc.vpc_id, str)
    lengths = {
        "subnet_priv_ids": 2,
        "subnet_public_ids": 2,
        "subnet_outposts_ids": 2,
        "subnet_priv_route_table_ids": 2,
        "subnet_public_route_table_ids": 2,
        "subnet_outposts_route_table_ids": 2,
        "subnet_priv_tgw_ids": 0,
        "subnet_fw_ids": 0,
        "subnet_web_ids": 0,
        "subnet_presentation_ids": 0,
        "subnet_database_ids": 0,
        "subnet_priv_tgw_route_table_ids": 0,
        "subnet_fw_route_table_ids": 0,
        "subnet_web_tier_route_table_ids": 0,
        "subnet_pres_tier_route_table_ids": 0,
        "subnet_database_tier_route_table_ids": 0,
    }
    assert {name: len(getattr(vpc, name)) for name in lengths} == lengths
    for name in (
        "iam_role_ec2_ssm_id",
        "iam_instance_profile_ec2_ssm_id",
        "ssm_security_group_id",
        "igw_id",
        "s3_vpc_endpoint",
    ):
        assert isinstance(getattr(vpc, name), str), name
