"""The sample's test client in the deployment: off by default, on with ``enable_test_client``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.support import resources, synth_deployment, terraform_load

CLIENT = {"enable_test_client": True, "number_EC2_instances": 3}
LISTENER = "producer-outposts-ecs-alb_alb_listener_in_port-1"


@pytest.fixture(scope="module")
def region_vars() -> dict[str, Any]:
    return json.loads((ROOT / "vars" / "region.tfvars.json").read_text())


@pytest.fixture(scope="module")
def outpost_client(sample_vars: dict[str, Any]) -> dict[str, Any]:
    return synth_deployment({**sample_vars, **CLIENT})


@pytest.fixture(scope="module")
def region_client(region_vars: dict[str, Any]) -> dict[str, Any]:
    assert region_vars["enable_test_client"] is True  # the Region example has it on
    return synth_deployment({**region_vars, **CLIENT})


def test_no_test_client_by_default(deployment: dict[str, Any]) -> None:
    assert resources(deployment, "aws_instance") == {}
    assert not [name for name in deployment["output"] if name.startswith("test_client")]
    groups = resources(deployment, "aws_security_group")
    assert not [name for name in groups if name.startswith("test-client")]


def test_on_an_outpost_the_clients_are_in_the_outposts_subnets(
    outpost_client: dict[str, Any],
) -> None:
    instances = resources(outpost_client, "aws_instance")
    assert sorted(instances) == [f"test-client_instance_{n}" for n in (1, 2, 3)]
    subnets = [instances[f"test-client_instance_{n}"]["subnet_id"] for n in (1, 2, 3)]
    assert subnets == [
        "${aws_subnet.test-vpc_subnet_outposts_0.id}",
        "${aws_subnet.test-vpc_subnet_outposts_1.id}",
        "${aws_subnet.test-vpc_subnet_outposts_0.id}",
    ]
    for instance in instances.values():
        assert instance["instance_type"] == "m5.2xlarge"
        assert instance["ami"] == "ami-00f9f4069d04c0c6e"
        assert instance["root_block_device"]["volume_type"] == "gp2"
    terraform_load(outpost_client)


def test_in_the_region_the_clients_are_in_the_private_subnets(
    region_client: dict[str, Any],
) -> None:
    instances = resources(region_client, "aws_instance")
    subnets = [instances[f"test-client_instance_{n}"]["subnet_id"] for n in (1, 2, 3)]
    assert subnets == [
        "${aws_subnet.test-vpc_subnet_priv_0.id}",
        "${aws_subnet.test-vpc_subnet_priv_1.id}",
        "${aws_subnet.test-vpc_subnet_priv_0.id}",
    ]
    # No public address: the private subnets assign none, and the clients ask for none.
    for index in (0, 1):
        subnet = resources(region_client, "aws_subnet")[f"test-vpc_subnet_priv_{index}"]
        assert not subnet.get("map_public_ip_on_launch")
    for instance in instances.values():
        assert instance["instance_type"] == "t3.small"
        assert instance["root_block_device"]["volume_type"] == "gp3"
    terraform_load(region_client)


@pytest.mark.parametrize("mode", ["outpost_client", "region_client"])
def test_clients_take_ssm_only_and_imdsv2(mode: str, request: pytest.FixtureRequest) -> None:
    synthesized: dict[str, Any] = request.getfixturevalue(mode)
    for instance in resources(synthesized, "aws_instance").values():
        assert instance["iam_instance_profile"] == (
            "${aws_iam_instance_profile.test-vpc_ec2_ssm.id}"
        )
        assert "key_name" not in instance
        assert "associate_public_ip_address" not in instance
        assert instance["metadata_options"]["http_tokens"] == "required"
        assert instance["root_block_device"]["encrypted"] is True
        assert "/usr/local/bin/send-test-record" in instance["user_data"]
        assert "${aws_lb.producer-outposts-ecs-alb_alb.dns_name}" in instance["user_data"]
    group = resources(synthesized, "aws_security_group")["test-client_security_group"]
    assert group["ingress"] == []
    assert sorted(rule["from_port"] for rule in group["egress"]) == [80, 443]
    rules = resources(synthesized, "aws_security_group_rule")
    assert not [name for name in rules if name.startswith("test-client")]


@pytest.mark.parametrize("mode", ["outpost_client", "region_client"])
def test_client_outputs(mode: str, request: pytest.FixtureRequest) -> None:
    outputs = request.getfixturevalue(mode)["output"]
    ids = [f"${{aws_instance.test-client_instance_{n}.id}}" for n in (1, 2, 3)]
    assert outputs["test_client_instance_ids"]["value"] == ids
    commands = outputs["test_client_ssm_commands"]["value"]
    assert commands == [f"aws ssm start-session --region us-west-2 --target {i}" for i in ids]


def test_in_the_region_the_alb_admits_the_clients_nat_addresses(
    region_client: dict[str, Any], region_vars: dict[str, Any]
) -> None:
    listener = resources(region_client, "aws_security_group_rule")[LISTENER]
    assert listener["cidr_blocks"] == [
        region_vars["vpc_main_cidr"],
        *region_vars["alb_inbound_cidr_range"],
        "${aws_nat_gateway.test-vpc_nat_gateway_0.public_ip}/32",
        "${aws_nat_gateway.test-vpc_nat_gateway_1.public_ip}/32",
    ]


def test_without_the_client_the_alb_admits_no_nat_address(region_vars: dict[str, Any]) -> None:
    synthesized = synth_deployment({**region_vars, "enable_test_client": False})
    listener = resources(synthesized, "aws_security_group_rule")[LISTENER]
    assert listener["cidr_blocks"] == [
        region_vars["vpc_main_cidr"],
        *region_vars["alb_inbound_cidr_range"],
    ]
    assert resources(synthesized, "aws_instance") == {}
