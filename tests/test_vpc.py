"""The vpc construct: resources per configuration, defect fixes and configuration checks."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from pydantic import ValidationError

from modules.validation import origin
from modules.vpc import Vpc, VpcConfig
from tests.support import OUTPOSTS_ARN, REGION, data_sources, resources, synth, terraform_load

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
        return {_construct_id(key) for key in self.all(resource_type)}

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


def _construct_id(logical_id: str) -> str:
    """``test-vpc_subnet_public_0`` -> ``subnet_public_0``."""
    assert logical_id.startswith(f"{VPC}_"), logical_id
    return logical_id.removeprefix(f"{VPC}_")


def _config(**overrides: Any) -> VpcConfig:
    return VpcConfig(**{**SAMPLE, **overrides})


def _build(config: VpcConfig) -> Built:
    built: list[Vpc] = []
    synthesized = synth(lambda stack: built.append(Vpc(stack, VPC, config)))
    terraform_load(synthesized)
    return Built(built[0], synthesized)


def _count(built: Built) -> dict[str, int]:
    return {t: len(blocks) for t, blocks in built.tf.get("resource", {}).items()}


def _routes(built: Built, stem: str) -> dict[int, dict[str, Any]]:
    """Routes whose construct id is ``<stem>_<index>``, by index."""
    found: dict[int, dict[str, Any]] = {}
    for key, block in built.all("aws_route").items():
        match = re.fullmatch(rf"{re.escape(stem)}_(\d+)", _construct_id(key))
        if match:
            found[int(match.group(1))] = block
    return found


# ---------------------------------------------------------------------------------------------
# The sample deployment
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Built:
    return _build(_config())


def test_sample_resource_counts(sample: Built) -> None:
    assert _count(sample) == {
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
    for index, route in _routes(sample, "public_internet_gateway").items():
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        assert route["gateway_id"] == igw
        assert route["route_table_id"] == sample.ref(
            "aws_route_table", f"subnet_public_route_table_{index}"
        )
    nat_routes = _routes(sample, "outposts_route_to_NATGW")
    assert sorted(nat_routes) == [0, 1]
    for index, route in nat_routes.items():
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        assert route["nat_gateway_id"] == sample.ref("aws_nat_gateway", f"nat_gateway_{index}")
        assert route["route_table_id"] == sample.ref(
            "aws_route_table", f"subnet_outposts_route_table_{index}"
        )
        assert route["timeouts"] == {"create": "5m"}
    # private_subnets_internet_access_nat_gw is off in the sample; IPv6 is off.
    assert _routes(sample, "private_nat_gateway") == {}
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
    lgw_routes = _routes(sample, "outposts_route_to_LGW")
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


@pytest.fixture(scope="module")
def bare() -> Built:
    return _build(VpcConfig(vpc_name="bare", vpc_main_cidr="10.0.0.0/16"))


def test_bare_vpc_creates_only_the_vpc(bare: Built) -> None:
    assert _count(bare) == {"aws_vpc": 1, "aws_default_security_group": 1}
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
    return _build(_config(**{**NO_OUTPOSTS, "outposts_local_gateway_id": LGW_ID}))


def test_no_outposts_arn_means_no_outposts_resources(no_outposts: Built) -> None:
    counts = _count(no_outposts)
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
    return _build(
        _config(
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
    routes = _routes(one_public, "private_nat_gateway")
    assert sorted(routes) == [0, 1]
    single = one_public.ref("aws_nat_gateway", "nat_gateway_one_az")
    assert {r["nat_gateway_id"] for r in routes.values()} == {single}


@pytest.fixture(scope="module")
def three_azs_two_public() -> Built:
    return _build(
        _config(
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
    routes = _routes(built, "private_nat_gateway")
    assert sorted(routes) == [0, 1, 2]
    assert {r["nat_gateway_id"] for r in routes.values()} == {single}
    azs = built.key("aws_availability_zones", "available_azs", data=True)
    assert built.get("aws_subnet", "subnet_priv_2")["availability_zone"] == (
        f"${{data.aws_availability_zones.{azs}.names[2]}}"
    )


@pytest.fixture(scope="module")
def one_az() -> Built:
    return _build(
        _config(
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
    routes = _routes(one_az, "private_nat_gateway")
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
    return _build(
        _config(
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
        routes = _routes(ipv6, stem)
        assert sorted(routes) == [0, 1], stem
        for index, route in routes.items():
            assert route["destination_ipv6_cidr_block"] == "::/0"
            assert route["egress_only_gateway_id"] == egress
            assert route["route_table_id"] == ipv6.ref(
                "aws_route_table", f"subnet_{tier}_route_table_{index}"
            )
    public = _routes(ipv6, "public_internet_gateway_ipv6")
    assert sorted(public) == [0, 1]
    assert {r["gateway_id"] for r in public.values()} == {ipv6.ref("aws_internet_gateway", "igw")}
    assert {r["destination_ipv6_cidr_block"] for r in public.values()} == {"::/0"}
    # The tgw tier gets an IPv4 NAT route but, as in the sample, no IPv6 route.
    assert sorted(_routes(ipv6, "private_gw_nat_gateway")) == [0]
    ipv6_tables = {
        r["route_table_id"]
        for r in ipv6.all("aws_route").values()
        if "destination_ipv6_cidr_block" in r
    }
    assert ipv6.ref("aws_route_table", "subnet_priv_tgw_route_table_0") not in ipv6_tables


@pytest.fixture(scope="module")
def ipv6_no_gateways() -> Built:
    return _build(
        _config(
            **NO_OUTPOSTS,
            enable_ipv6=True,
            enable_internet_gateway=False,
            enable_nat_gateway=False,
            private_subnets_internet_access_nat_gw=True,
        )
    )


def test_ipv6_routes_need_their_gateways(ipv6_no_gateways: Built) -> None:
    # The sample added public ::/0 routes through an internet gateway that did not exist.
    counts = _count(ipv6_no_gateways)
    assert "aws_route" not in counts
    assert "aws_internet_gateway" not in counts
    assert "aws_egress_only_internet_gateway" not in counts
    assert ipv6_no_gateways.vpc.igw_id is None


@pytest.fixture(scope="module")
def flow_log_s3() -> Built:
    return _build(
        _config(
            flow_log_destination_type="s3",
            flow_log_destination_arn="arn:aws:s3:::flow-log-bucket/vpc",
            flow_log_traffic_type="REJECT",
            flow_log_log_format="${version} ${srcaddr} ${dstaddr}",
        )
    )


def test_flow_log_to_s3(flow_log_s3: Built) -> None:
    counts = _count(flow_log_s3)
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
    return _build(
        _config(
            create_flow_log_cloudwatch_log_group=False,
            create_flow_log_cloudwatch_iam_role=False,
            flow_log_destination_arn="arn:aws:logs:us-west-2:111122223333:log-group:existing",
            flow_log_cloudwatch_iam_role_arn="arn:aws:iam::111122223333:role/flow-logs",
        )
    )


def test_flow_log_to_an_existing_group_and_role(flow_log_existing: Built) -> None:
    counts = _count(flow_log_existing)
    assert "aws_cloudwatch_log_group" not in counts
    assert counts["aws_iam_role"] == 1
    flow_log = flow_log_existing.get("aws_flow_log", "flow_log")
    assert flow_log["log_destination"] == "arn:aws:logs:us-west-2:111122223333:log-group:existing"
    assert flow_log["iam_role_arn"] == "arn:aws:iam::111122223333:role/flow-logs"


@pytest.fixture(scope="module")
def flow_log_prefix() -> Built:
    return _build(
        _config(
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
    return _build(
        _config(
            manage_default_security_group=False,
            availability_zones=["us-west-2a", "us-west-2b", "us-west-2c"],
            create_flow_log_cloudwatch_log_group=False,
            flow_log_destination_arn="arn:aws:logs:us-west-2:111122223333:log-group:flows:*",
        )
    )


def test_relaxed_configuration(relaxed: Built) -> None:
    assert "aws_default_security_group" not in _count(relaxed)
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
    return _build(
        _config(
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
    assert "aws_vpc_dhcp_options" not in _count(sample)


@pytest.fixture(scope="module")
def secondary() -> Built:
    return _build(
        _config(
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
    return _build(_config(**FIREWALL_TIERS, fw_subnets_internet_access_nat_gw=True))


@pytest.fixture(scope="module")
def tgw_only() -> Built:
    return _build(_config(**FIREWALL_TIERS, tgw_subnets_internet_access_nat_gw=True))


def test_fw_nat_route_follows_the_fw_flag(fw_only: Built, tgw_only: Built) -> None:
    # The sample gated the fw tier's NAT route on the tgw flag.
    fw_routes = _routes(fw_only, "fw_nat_gateway")
    assert sorted(fw_routes) == [0, 1]
    for index, route in fw_routes.items():
        assert route["route_table_id"] == fw_only.ref(
            "aws_route_table", f"subnet_fw_route_table_{index}"
        )
        assert route["nat_gateway_id"] == fw_only.ref("aws_nat_gateway", f"nat_gateway_{index}")
    assert _routes(fw_only, "private_gw_nat_gateway") == {}
    assert _routes(tgw_only, "fw_nat_gateway") == {}
    assert sorted(_routes(tgw_only, "private_gw_nat_gateway")) == [0, 1]
    assert fw_only.get("aws_subnet", "subnet_fw_1")["tags"]["Name"] == (
        "outposts-AoD-network-fw-subnet-1"
    )
    assert tgw_only.get("aws_subnet", "subnet_priv_tgw_0")["tags"]["Name"] == (
        "outposts-AoD-tgw-private-subnet-0"
    )


@pytest.fixture(scope="module")
def dedicated() -> Built:
    return _build(_config(**NO_OUTPOSTS, instance_tenancy="dedicated"))


def test_instance_tenancy_reaches_the_vpc(dedicated: Built) -> None:
    (vpc,) = dedicated.all("aws_vpc").values()
    assert vpc["instance_tenancy"] == "dedicated"


@pytest.fixture(scope="module")
def lgw_lookup() -> Built:
    return _build(_config(outposts_local_gateway_id="", coip_auto_assign=True))


def test_local_gateway_is_looked_up_without_an_id(lgw_lookup: Built) -> None:
    lgw = lgw_lookup.get("aws_ec2_local_gateway", "outposts_lgw", data=True)
    assert lgw["filter"] == [{"name": "outpost-arn", "values": [OUTPOSTS_ARN]}]
    looked_up = lgw_lookup.ref("aws_ec2_local_gateway", "outposts_lgw", data=True)
    routes = _routes(lgw_lookup, "outposts_route_to_LGW")
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
    return _build(
        _config(
            outposts_route_to_LGW_destination="",
            outposts_local_gateway_id="",
            outposts_subnets_internet_access_nat_gw=False,
        )
    )


def test_outpost_without_a_local_gateway_route(outpost_without_lgw_route: Built) -> None:
    built = outpost_without_lgw_route
    counts = _count(built)
    assert counts["aws_ec2_local_gateway_route_table_vpc_association"] == 1
    assert counts["aws_subnet"] == 6
    assert _routes(built, "outposts_route_to_LGW") == {}
    assert _routes(built, "outposts_route_to_NATGW") == {}
    assert built.data("aws_ec2_local_gateway") == {}


@pytest.fixture(scope="module")
def one_private() -> Built:
    return _build(
        _config(**NO_OUTPOSTS, private_subnets_cidr_list=["10.181.220.0/24"], endpoints_ha=True)
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
    return _build(_config(**NO_OUTPOSTS, endpoints_ha=False))


def test_endpoints_without_ha_use_the_first_private_subnet(no_ha: Built) -> None:
    endpoint = no_ha.get("aws_vpc_endpoint", "kms")
    assert endpoint["subnet_ids"] == [no_ha.ref("aws_subnet", "subnet_priv_0")]


@pytest.fixture(scope="module")
def s3_endpoint_only() -> Built:
    return _build(
        _config(
            **NO_OUTPOSTS,
            enable_ssm=False,
            enable_s3_endpoint=True,
            enable_flow_log=False,
        )
    )


def test_s3_endpoint_without_ssm(s3_endpoint_only: Built) -> None:
    counts = _count(s3_endpoint_only)
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
    return _build(_config(**NO_OUTPOSTS, private_subnets_cidr_list=[], create_iam_role_ssm=False))


def test_ssm_without_private_subnets(ssm_without_private: Built) -> None:
    counts = _count(ssm_without_private)
    assert counts["aws_security_group"] == 1
    assert counts["aws_vpc_endpoint"] == 1  # S3 gateway only
    assert "aws_iam_instance_profile" not in counts
    assert ssm_without_private.vpc.iam_instance_profile_ec2_ssm_id is None
    assert ssm_without_private.vpc.ssm_security_group_id is not None


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
        _config(**{field: ["10.181.300.0/24"]})


@pytest.mark.parametrize("field", SUBNET_LISTS)
def test_subnet_outside_the_vpc(field: str) -> None:
    with pytest.raises(ValidationError, match=rf"{field}\[0\]: '10\.50\.0\.0/24' is outside"):
        _config(**{field: ["10.50.0.0/24"]})


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
        _config(**overrides)


def test_valid_edge_cases_are_accepted() -> None:
    # A subnet in a secondary block, a /28 subnet, a /32 LGW destination, an 8-digit LGW id.
    config = _config(
        secondary_cidr_blocks=["100.64.0.0/20"],
        private_subnets_cidr_list=["100.64.0.0/24", "10.181.221.0/28"],
        outposts_route_to_LGW_destination="192.168.1.10/32",
        outposts_local_gateway_id="lgw-0123abcd",
    )
    assert config.private_subnets_cidr_list == ["100.64.0.0/24", "10.181.221.0/28"]
    # Role names are only checked for the roles the module creates.
    long_name = _config(
        vpc_name="x" * 48,
        create_iam_role_ssm=False,
        create_flow_log_cloudwatch_iam_role=False,
        flow_log_cloudwatch_iam_role_arn="arn:aws:iam::111122223333:role/flow-logs",
    )
    assert long_name.vpc_name == "x" * 48
