"""Vars-file checks against outside sources and before the provider bindings load: Region
names from botocore, instance families on an Outpost from the docs' table, and the module
configurations' checks run by main.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore
import pytest

from modules.regions import SUPPORTED_PARTITIONS, known_regions
from modules.validation import OUTPOSTS_INSTANCE_FAMILIES, check_region
from stack_configs import module_configs
from tests.vars_support import REGION, ROOT, SAMPLE, synth_main, write_vars
from vars_file import ConfigError, load_variables, variable_warnings

# ---------------------------------------------------------------------------------------------
# Region names: botocore's partition data
# ---------------------------------------------------------------------------------------------


def test_every_region_of_the_supported_partitions_is_accepted() -> None:
    regions = known_regions()
    assert {"us-west-2", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= set(regions)
    for region, partition in regions.items():
        if partition in SUPPORTED_PARTITIONS:
            assert check_region(region) == region
        else:
            with pytest.raises(ValueError, match=f"in the partition {partition}, whose"):
                check_region(region)


def test_an_isolated_partition_is_refused_by_name(tmp_path: Path) -> None:
    message = "aws_region: 'us-iso-east-1' is in the partition aws-iso"
    with pytest.raises(ConfigError, match=message):
        load_variables(write_vars(tmp_path, {**REGION, "aws_region": "us-iso-east-1"}))


def test_an_unknown_region_says_what_botocore_knows(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_variables(write_vars(tmp_path, {**REGION, "aws_region": "us-west-9"}))
    message = str(caught.value)
    assert "aws_region: 'us-west-9' is not a Region" in message
    assert f"botocore {botocore.__version__}" in message
    assert "did you mean 'us-west-2' or 'us-west-1'?" in message
    assert "upgrade botocore and its pin in requirements.txt" in message


def test_the_region_of_the_outposts_arn_is_checked(tmp_path: Path) -> None:
    arn = "arn:aws:outposts:eu-west-9:111122223333:outpost/op-0123456789abcdef0"
    with pytest.raises(ConfigError) as caught:
        load_variables(write_vars(tmp_path, {**SAMPLE, "outposts_arn": arn}))
    message = str(caught.value)
    assert f"outposts_arn: {arn!r}: its Region 'eu-west-9' is not a Region" in message
    assert "did you mean 'eu-west-3' or 'eu-west-2'?" in message


def test_a_region_of_another_partition_loads(tmp_path: Path) -> None:
    change = {
        "aws_region": "eu-central-2",
        "availability_zones": ["eu-central-2a", "eu-central-2b"],
    }
    variables = load_variables(write_vars(tmp_path, {**REGION, **change}))
    assert variables.region == "eu-central-2"


# ---------------------------------------------------------------------------------------------
# Instance types on an Outpost: any well-formed type, a warning for an unknown family
# ---------------------------------------------------------------------------------------------


def test_an_instance_family_not_known_on_outposts_is_a_warning(tmp_path: Path) -> None:
    client = {"enable_test_client": True, "ec2_instance_type": "t3.micro"}
    variables = load_variables(write_vars(tmp_path, {**SAMPLE, **client}))
    (warning,) = variable_warnings(variables)
    assert warning.startswith("ec2_instance_type: 't3.micro' is of the family t3")
    assert "docs/outposts-instance-types.md" in warning
    in_region = load_variables(write_vars(tmp_path, {**REGION, **client}))
    assert variable_warnings(in_region) == []
    # Without the test client the type is not used: nothing to warn about.
    unused = load_variables(write_vars(tmp_path, {**SAMPLE, "ec2_instance_type": "t3.micro"}))
    assert variable_warnings(unused) == []


@pytest.mark.parametrize("instance_type", ["m7i.2xlarge", "c7i.large", "c6id.8xlarge", "r5.xlarge"])
def test_families_outposts_offer_give_no_warning(tmp_path: Path, instance_type: str) -> None:
    change = {"enable_test_client": True, "ec2_instance_type": instance_type}
    assert variable_warnings(load_variables(write_vars(tmp_path, {**SAMPLE, **change}))) == []


def _doc_families() -> dict[str, tuple[str, ...]]:
    text = (ROOT / "docs" / "outposts-instance-types.md").read_text()
    block = text.split("<!-- outposts-instance-families:begin -->")[1]
    block = block.split("<!-- outposts-instance-families:end -->")[0]
    rows = [line.split("|")[1:3] for line in block.strip().splitlines()[2:]]
    return {form.strip(): tuple(f.strip() for f in families.split(",")) for form, families in rows}


def test_the_instance_family_table_of_the_docs_is_the_code_s() -> None:
    assert _doc_families() == OUTPOSTS_INSTANCE_FAMILIES
    text = (ROOT / "docs" / "outposts-instance-types.md").read_text()
    assert "Looked up on 2026-11-30" in text
    assert "docs/outposts-instance-types.md" in (ROOT / "README.md").read_text()


# ---------------------------------------------------------------------------------------------
# The module configurations' checks, before the provider bindings load
# ---------------------------------------------------------------------------------------------


# A vars file that trips each check the stack's module configurations run, and the words of
# the message (the key and the value).
MODULE_CHECKS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "subnet outside the VPC": (
        {"private_subnets_cidr_list": ["10.0.0.0/24", "10.181.221.0/24"]},
        ["(module vpc)", "private_subnets_cidr_list[0]: '10.0.0.0/24' is outside the VPC"],
    ),
    "overlapping subnets": (
        {"private_subnets_cidr_list": ["10.181.194.0/24", "10.181.221.0/24"]},
        ["private_subnets_cidr_list[0]: '10.181.194.0/24' overlaps public_subnets_cidr_list[0]"],
    ),
    "VPC CIDR size": (
        {"vpc_main_cidr": "10.0.0.0/8"},
        ["vpc_main_cidr: '10.0.0.0/8' has a /8 prefix; AWS accepts /16 to /28"],
    ),
    "LGW destination": (
        {"outposts_route_to_LGW_destination": "2001:db8::/64"},
        ["outposts_route_to_LGW_destination: '2001:db8::/64' is not an IPv4 CIDR block"],
    ),
    "LGW id": (
        {"outposts_local_gateway_id": "lgw-xyz"},
        ["outposts_local_gateway_id: 'lgw-xyz' is not a local gateway id"],
    ),
    "IAM role name length": (
        {"vpc_name": "v" * 50},
        [f"vpc_name: {'vars-' + 'v' * 50!r} gives the IAM role name", "at most 64 characters"],
    ),
    "IAM role name characters": (
        {"vpc_name": "outposts AoD", "enable_dashboard": False},
        [
            "vpc_name: 'vars-outposts AoD' gives the IAM role name "
            "'SSM-EC2-vars-outposts AoD-IAM-ROLE'"
        ],
    ),
    "IAM role name of the tasks": (
        {"Project": "p" * 40},
        ["(module alb-ecs)", f"the Project tag {'p' * 40!r}", "would exceed 64 characters"],
    ),
}


@pytest.mark.parametrize("case", list(MODULE_CHECKS))
def test_main_reports_a_module_check_before_the_bindings_load(tmp_path: Path, case: str) -> None:
    change, words = MODULE_CHECKS[case]
    result = synth_main(write_vars(tmp_path, {**SAMPLE, **change}), tmp_path / "out")
    assert result.returncode == 2, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


_LOADED_BINDINGS = """
import sys
from vars_file import ConfigError, load_variables
try:
    load_variables(sys.argv[1])
except ConfigError as exc:
    print("refused:", str(exc).splitlines()[-1])
print("loaded:", sorted(m for m in sys.modules if m.split(".")[0] in ("cdktf", "constructs",
      "jsii", "cdktf_cdktf_provider_aws")))
"""


@pytest.mark.parametrize("case", ["VPC CIDR size", "IAM role name of the tasks"])
def test_a_bad_vars_file_is_refused_without_the_bindings(tmp_path: Path, case: str) -> None:
    change, words = MODULE_CHECKS[case]
    result = subprocess.run(
        [sys.executable, "-c", _LOADED_BINDINGS, str(write_vars(tmp_path, {**SAMPLE, **change}))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert words[-1] in result.stdout
    assert "loaded: []" in result.stdout


def test_the_stack_and_the_load_build_the_same_configurations() -> None:
    """``load_variables`` checks what the stack builds: the wiring is one function."""
    variables = load_variables(ROOT / "vars" / "test.tfvars.json")
    configs = module_configs(variables)
    assert configs.vpc.vpc_main_cidr == variables.vpc_main_cidr
    assert configs.alb_ecs.subnets == ["${subnet.outposts[0].id}"]
    region = module_configs(load_variables(ROOT / "vars" / "region.tfvars.json"))
    assert region.alb_ecs.subnets == ["${subnet.public[0].id}", "${subnet.public[1].id}"]
    assert region.alb_ecs.ecs_subnets == ["${subnet.private[0].id}", "${subnet.private[1].id}"]
    stack = (ROOT / "stack.py").read_text()
    for builder in ("vpc_config(v)", "image_config(v)", "alb_ecs_config("):
        assert builder in stack
    for config in ("VpcConfig(", "AlbEcsConfig(", "DockerEcrCodebuildConfig("):
        assert config not in stack
