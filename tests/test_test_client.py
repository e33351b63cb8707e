"""The sample's test client (modules/test_client.py): instances, access, user data, outputs."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_lb import DataAwsLb
from pydantic import ValidationError

from modules.test_client import TestClient, TestClientConfig
from modules.validation import describe_validation_error, origin
from tests.support import OUTPOSTS_ARN, REGION, data_sources, resources, synthesize, terraform_load

SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
VPC_ID = "vpc-0123456789abcdef0"
PROFILE = "outposts-AoD-challenge-ssm-ec2-profile"
TAGS = {"Environment": "dev", "Project": "outposts-AoD", "Owner": "adf"}
# The reference the ALB's DNS name becomes in the user data.
ALB_DNS = "${data.aws_lb.alb.dns_name}"
CLIENT = "test-client"
ARTICLE_REQUEST = (
    'curl --header "Content-Type: application/json" '
    '--data-raw \'{"data":" This is a testing record"}\' '
    f"http://{ALB_DNS}/"
)
# What the caller must give; everything else has the sample's default.
REQUIRED: dict[str, Any] = {
    "name_prefix": "outposts-AoD",
    "vpc_id": VPC_ID,
    "subnets": SUBNETS,
    "ec2_iam_instance_profile": PROFILE,
    "alb_dns_name": "ALB-ECS-123456789.us-west-2.elb.amazonaws.com",
}


def _synth(**config: Any) -> dict[str, Any]:
    """A stack with the client, the ALB's DNS name a reference, the attributes as outputs."""

    def build(stack: TerraformStack) -> TestClient:
        dns_name = DataAwsLb(stack, "alb", name="ALB-ECS").dns_name
        client = TestClient(
            stack, CLIENT, TestClientConfig(**{**REQUIRED, "alb_dns_name": dns_name, **config})
        )
        TerraformOutput(stack, "instance_ids", value=client.instance_ids)
        TerraformOutput(stack, "ssm_commands", value=client.ssm_start_session_commands)
        TerraformOutput(stack, "security_group_id", value=client.security_group_id)
        return client

    return synthesize(build).json


@pytest.fixture(scope="module")
def fleet() -> dict[str, Any]:
    """On an Outpost: three instances over two Outposts subnets, the sample's AMI."""
    return _synth(number_EC2_instances=3, outposts_arn=OUTPOSTS_ARN, tags=TAGS)


@pytest.fixture(scope="module")
def single() -> dict[str, Any]:
    """In the Region: one Graviton instance, the latest AL2023 AMI, HTTP to the VPC only."""
    return _synth(
        subnets=SUBNETS[:1],
        ec2_ami_id="",
        ec2_instance_type="c6gd.large",
        http_egress_cidr_blocks=["10.181.192.0/19", "fd00::/8"],
    )


@pytest.fixture(scope="module", params=["fleet", "single"])
def any_client(request: pytest.FixtureRequest) -> dict[str, Any]:
    synthesized: dict[str, Any] = request.getfixturevalue(request.param)
    return synthesized


def _instances(synthesized: dict[str, Any]) -> list[dict[str, Any]]:
    found = resources(synthesized, "aws_instance")
    return [found[f"{CLIENT}_instance_{n}"] for n in range(1, len(found) + 1)]


def _group(synthesized: dict[str, Any]) -> dict[str, Any]:
    (group,) = resources(synthesized, "aws_security_group").values()
    return group


# ------------------------------------------------------------------ instances


def test_fleet_spreads_instances_over_the_subnets(fleet: dict[str, Any]) -> None:
    instances = _instances(fleet)
    assert [i["subnet_id"] for i in instances] == [SUBNETS[0], SUBNETS[1], SUBNETS[0]]
    assert [i["tags"]["Name"] for i in instances] == [
        "outposts-AoD-test-client-1",
        "outposts-AoD-test-client-2",
        "outposts-AoD-test-client-3",
    ]
    assert all(i["tags"] == {**TAGS, "Name": i["tags"]["Name"]} for i in instances)
    assert {i["instance_type"] for i in instances} == {"m5.2xlarge"}
    assert {i["ami"] for i in instances} == {"ami-00f9f4069d04c0c6e"}
    assert not data_sources(fleet, "aws_ssm_parameter")


def test_single_instance_in_the_one_subnet(single: dict[str, Any]) -> None:
    (instance,) = _instances(single)
    assert instance["subnet_id"] == SUBNETS[0]
    assert instance["instance_type"] == "c6gd.large"
    assert instance["tags"] == {"Name": "outposts-AoD-test-client-1"}


def test_empty_ami_id_takes_the_latest_al2023_of_the_architecture(single: dict[str, Any]) -> None:
    (parameter,) = data_sources(single, "aws_ssm_parameter").values()
    assert (
        parameter["name"] == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    )
    (instance,) = _instances(single)
    assert instance["ami"] == f"${{data.aws_ssm_parameter.{CLIENT}_al2023_ami.insecure_value}}"
    assert instance["lifecycle"] == {"ignore_changes": ["ami"]}


def test_pinned_ami_is_followed(fleet: dict[str, Any]) -> None:
    assert all("lifecycle" not in i for i in _instances(fleet))


def test_instance_profile_and_ssm_only_access(any_client: dict[str, Any]) -> None:
    for instance in _instances(any_client):
        assert instance["iam_instance_profile"] == PROFILE
        assert "key_name" not in instance
        assert "associate_public_ip_address" not in instance
        assert instance["vpc_security_group_ids"] == [
            f"${{aws_security_group.{CLIENT}_security_group.id}}"
        ]


def test_imdsv2_required_with_one_hop(any_client: dict[str, Any]) -> None:
    for instance in _instances(any_client):
        assert instance["metadata_options"] == {
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
        }
        assert instance["monitoring"] is False
        assert instance["ebs_optimized"] is True


@pytest.mark.parametrize(("name", "volume_type"), [("fleet", "gp2"), ("single", "gp3")])
def test_root_volume_encrypted(request: pytest.FixtureRequest, name: str, volume_type: str) -> None:
    for instance in _instances(request.getfixturevalue(name)):
        device = instance["root_block_device"]
        assert device["encrypted"] is True
        assert device["volume_type"] == volume_type
        assert device["volume_size"] == 16
        assert device["delete_on_termination"] is True
        assert device["tags"] == instance["tags"]


# ------------------------------------------------------------------ network


def test_no_inbound_rule_anywhere(any_client: dict[str, Any]) -> None:
    assert _group(any_client)["ingress"] == []
    for rule_type in (
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
    ):
        assert not resources(any_client, rule_type)


def _egress(group: dict[str, Any]) -> dict[int, dict[str, Any]]:
    rules = {rule["from_port"]: rule for rule in group["egress"]}
    assert len(rules) == len(group["egress"])
    return rules


def test_egress_only_http_and_https(any_client: dict[str, Any]) -> None:
    group = _group(any_client)
    rules = _egress(group)
    assert sorted(rules) == [80, 443]
    for port, rule in rules.items():
        assert (rule["to_port"], rule["protocol"]) == (port, "tcp")
        # The characters EC2 accepts in a rule description (an apostrophe fails the apply).
        assert re.fullmatch(r"[0-9A-Za-z_ .:/()#,@\[\]+=&;{}!$*-]+", rule["description"])
    assert rules[443]["cidr_blocks"] == ["0.0.0.0/0"]
    assert rules[443]["ipv6_cidr_blocks"] is None
    assert group["vpc_id"] == VPC_ID
    assert group["name"] == "outposts-AoD-test-client"
    assert re.fullmatch(r"[0-9A-Za-z_ .:/()#,@\[\]+=&;{}!$*-]+", group["description"])


def test_http_egress_default_and_narrowed(fleet: dict[str, Any], single: dict[str, Any]) -> None:
    default = _egress(_group(fleet))[80]
    assert (default["cidr_blocks"], default["ipv6_cidr_blocks"]) == (["0.0.0.0/0"], None)
    narrowed = _egress(_group(single))[80]
    assert narrowed["cidr_blocks"] == ["10.181.192.0/19"]
    assert narrowed["ipv6_cidr_blocks"] == ["fd00::/8"]


# ------------------------------------------------------------------ user data


def test_user_data_installs_the_load_tool_and_writes_the_scripts(
    any_client: dict[str, Any],
) -> None:
    for instance in _instances(any_client):
        user_data = instance["user_data"]
        assert user_data.startswith("#!/bin/bash\nset -euo pipefail\n")
        assert "cat > /usr/local/bin/send-test-record <<'SCRIPT'" in user_data
        assert f'{ARTICLE_REQUEST} "$@"\n' in user_data
        assert "cat > /usr/local/bin/load-test-records <<'SCRIPT'" in user_data
        assert "install -y httpd-tools && break" in user_data
        assert 'exec ab -n "$${1:-10000}" -c "$${2:-50}" -T application/json' in user_data
        assert f"-p /usr/local/share/test-record.json http://{ALB_DNS}/\n" in user_data
        assert "chmod 0755 /usr/local/bin/send-test-record /usr/local/bin/load-test-records" in (
            user_data
        )
        assert instance["user_data_replace_on_change"] is True
        # The ALB's name is the only thing Terraform interpolates; the shell's ${ is escaped.
        references = re.findall(r"(?<!\$)\$\{([^}]*)\}", user_data)
        assert references == ["data.aws_lb.alb.dns_name"] * 2


def test_same_user_data_on_every_instance(fleet: dict[str, Any]) -> None:
    assert len({i["user_data"] for i in _instances(fleet)}) == 1


# ------------------------------------------------------------------ outputs


def test_outputs_ids_and_session_commands(fleet: dict[str, Any]) -> None:
    ids = [f"${{aws_instance.{CLIENT}_instance_{n}.id}}" for n in (1, 2, 3)]
    assert fleet["output"]["instance_ids"]["value"] == ids
    assert fleet["output"]["ssm_commands"]["value"] == [
        f"aws ssm start-session --region {REGION} --target {i}" for i in ids
    ]
    assert fleet["output"]["security_group_id"]["value"] == (
        f"${{aws_security_group.{CLIENT}_security_group.id}}"
    )


def test_single_outputs_one_of_each(single: dict[str, Any]) -> None:
    instance = f"${{aws_instance.{CLIENT}_instance_1.id}}"
    assert single["output"]["instance_ids"]["value"] == [instance]
    assert single["output"]["ssm_commands"]["value"] == [
        f"aws ssm start-session --region {REGION} --target {instance}"
    ]


def test_terraform_accepts_the_configuration(any_client: dict[str, Any]) -> None:
    terraform_load(any_client)


# ------------------------------------------------------------------ configuration


def test_defaults_are_the_samples() -> None:
    config = TestClientConfig(**REQUIRED)
    assert config.number_EC2_instances == 1
    assert config.ec2_ami_id == "ami-00f9f4069d04c0c6e"
    assert config.ec2_instance_type == "m5.2xlarge"
    assert config.outposts_arn == ""
    assert config.http_egress_cidr_blocks == ["0.0.0.0/0"]
    assert config.tags == {}
    assert {f.name for f in dataclasses.fields(TestClientConfig)} >= {
        "number_EC2_instances",
        "ec2_ami_id",
        "ec2_instance_type",
    }


def test_only_the_samples_three_variables_come_from_the_sample() -> None:
    origins = {
        name: origin(field.json_schema_extra)
        # pydantic sets it on its dataclasses; mypy's plugin does not declare it.
        for name, field in TestClientConfig.__pydantic_fields__.items()  # type: ignore[attr-defined]
    }
    assert {name for name, where in origins.items() if where == "sample"} == {
        "number_EC2_instances",
        "ec2_ami_id",
        "ec2_instance_type",
    }
    assert set(origins.values()) == {"sample", "added"}


@pytest.mark.parametrize(
    "instance_type", ["m7i.2xlarge", "c6gd.large", "m5.2xlarge", "r7i.4xlarge"]
)
def test_any_well_formed_instance_type_is_accepted(instance_type: str) -> None:
    config = TestClientConfig(**REQUIRED, ec2_instance_type=instance_type)
    assert config.ec2_instance_type == instance_type


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ec2_instance_type": "m5"}, "ec2_instance_type: 'm5' is not an EC2 instance type"),
        (
            {"ec2_instance_type": "M5.2XLARGE"},
            "ec2_instance_type: 'M5.2XLARGE' is not an EC2 instance type",
        ),
        ({"number_EC2_instances": 0}, "number_EC2_instances: 0 is below 1, the least it may be"),
        ({"number_EC2_instances": -2}, "number_EC2_instances: -2 is below 1, the least it may be"),
        ({"number_EC2_instances": 11}, "number_EC2_instances: 11 is above 10, the most it may be"),
        ({"number_EC2_instances": True}, "number_EC2_instances: true is not a whole number"),
        ({"ec2_ami_id": "ami-123"}, "ec2_ami_id: 'ami-123' is not an AMI id"),
        ({"ec2_ami_id": "ubuntu-22.04"}, "ec2_ami_id: 'ubuntu-22.04' is not an AMI id"),
        ({"subnets": []}, "subnets: no subnet given: pass the Outposts subnets on an Outpost"),
        ({"subnets": ["sub-1"]}, "subnets[0]: 'sub-1' is not a subnet id"),
        ({"vpc_id": "vpc"}, "vpc_id: 'vpc' is not a VPC id"),
        ({"alb_dns_name": ""}, "alb_dns_name: '' is not a DNS name"),
        ({"ec2_iam_instance_profile": "a b"}, "ec2_iam_instance_profile: 'a b' is not an IAM"),
        ({"http_egress_cidr_blocks": []}, "http_egress_cidr_blocks: List should have at least 1"),
        ({"http_egress_cidr_blocks": ["10.0.0.1/8"]}, "http_egress_cidr_blocks[0]: '10.0.0.1/8'"),
        ({"outposts_arn": "op-123"}, "outposts_arn: 'op-123' is not an Outposts ARN"),
        ({"number_ec2_instances": 2}, "number_ec2_instances: unknown key; did you mean"),
    ],
)
def test_bad_configuration_names_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TestClientConfig(**{**REQUIRED, **change})
    described = describe_validation_error(
        caught.value, "test client", fields=TestClientConfig.__dataclass_fields__
    )
    assert described.startswith("test client: 1 problem(s)\n  ")
    assert message in described


def test_empty_subnets_name_the_field() -> None:
    with pytest.raises(ValidationError, match=r"subnets\n  Value error, no subnet given"):
        TestClientConfig(**{**REQUIRED, "subnets": []})


@pytest.mark.parametrize("field", ["name_prefix", "vpc_id", "subnets", "alb_dns_name"])
def test_required_fields(field: str) -> None:
    config = {k: v for k, v in REQUIRED.items() if k != field}
    with pytest.raises(ValidationError) as caught:
        TestClientConfig(**config)
    assert f"{field}: required, and missing" in describe_validation_error(caught.value, "x")
