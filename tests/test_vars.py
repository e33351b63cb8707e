"""Reading and validating the tfvars-like JSON files of the root deployment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from main import ConfigError, RootVariables, load_variables

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "vars.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_every_vars_file_loads() -> None:
    files = sorted((ROOT / "vars").glob("*.tfvars.json"))
    assert files, "no vars files"
    for path in files:
        assert isinstance(load_variables(path), RootVariables)


def test_sample_values_and_defaults() -> None:
    variables = load_variables(ROOT / "vars" / "test.tfvars.json")
    assert variables.region == "us-west-2"
    assert variables.number_AZ == 2
    assert variables.alb_access_logs_prefix == "alb"
    assert variables.tgw_subnets_cidr_list == []
    assert variables.common_tags == {
        "Environment": "dev",
        "Project": "outposts-AoD",
        "Owner": "adf",
        "managedBy": "terraform",
        "Terraformbackend": "terraform-backend-s3",
    }


def test_hardening_defaults() -> None:
    variables = load_variables(ROOT / "vars" / "test.tfvars.json")
    assert (variables.kinesis_encryption_type, variables.kinesis_kms_key_id) == (
        "KMS",
        "alias/aws/kinesis",
    )
    assert (variables.image_tag, variables.image_tag_mutability) == ("", "IMMUTABLE")
    assert variables.alb_enable_deletion_protection is False
    assert variables.alb_access_logs_versioning is True
    assert variables.alb_access_logs_expiration_days == 90
    assert variables.log_retention_days == 30
    assert variables.log_group_kms_key_id == ""
    assert variables.ecs_container_insights == "enabled"
    assert variables.availability_zones == []
    added = [
        "availability_zones",
        "kinesis_encryption_type",
        "kinesis_kms_key_id",
        "image_tag",
        "image_tag_mutability",
        "alb_enable_deletion_protection",
        "alb_access_logs_versioning",
        "alb_access_logs_expiration_days",
        "log_retention_days",
        "log_group_kms_key_id",
        "ecs_container_insights",
    ]
    fields = list(RootVariables.__pydantic_fields__)  # type: ignore[attr-defined]
    assert fields[-len(added) :] == added
    for name in added:
        description = RootVariables.__pydantic_fields__[name].description  # type: ignore[attr-defined]
        assert description.startswith("Not in the sample"), name


@pytest.mark.parametrize(
    "change",
    [
        {"kinesis_kms_key_id": "arn:aws:kms:us-west-2:111122223333:alias/stream"},
        {"kinesis_kms_key_id": "0123abcd-12ab-34cd-56ef-1234567890ab"},
        {"kinesis_kms_key_id": "mrk-0123456789abcdef0123456789abcdef"},
        {"kinesis_encryption_type": "NONE", "kinesis_kms_key_id": ""},
        {"image_tag": "latest", "image_tag_mutability": "MUTABLE"},
        {"availability_zones": ["us-west-2a", "us-west-2c"]},
        {"alb_access_logs_expiration_days": 0},
        {"log_retention_days": 3653},
    ],
)
def test_good_hardening_values(tmp_path: Path, change: dict[str, Any]) -> None:
    variables = load_variables(_write(tmp_path, {**SAMPLE, **change}))
    for key, value in change.items():
        assert getattr(variables, key) == value


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"vpc_nme": "typo"}, "vpc_nme"),
        ({"number_AZ": "two"}, "number_AZ"),
        ({"number_AZ": 0}, "number_AZ"),
        ({"vpc_main_cidr": "10.181.192.0/33"}, "vpc_main_cidr"),
        ({"vpc_main_cidr": "10.181.192.1/19"}, "vpc_main_cidr"),
        (
            {"private_subnets_cidr_list": ["10.181.220.0/24", "nope"]},
            r"private_subnets_cidr_list\.1",
        ),
        ({"private_subnets_cidr_list": "10.181.220.0/24"}, "private_subnets_cidr_list"),
        ({"outposts_arn": "arn:aws:outposts:us-west-2:1:outpost/op-1"}, "outposts_arn"),
        ({"s3_bucket_outposts_logging_name": "Bad_Bucket"}, "s3_bucket_outposts_logging_name"),
        ({"kinesis_stream_name": "bad name"}, "kinesis_stream_name"),
        ({"aws_region": "mars-1"}, "aws_region"),
        ({"aws_region": "eu-west-1"}, "aws_region"),
        ({"outposts_subnets_cidr_list": []}, "outposts_subnets_cidr_list"),
        ({"alb_access_logs_prefix": "alb/"}, "alb_access_logs_prefix"),
        ({"Environment": None}, "Environment"),
        ({"kinesis_encryption_type": "SSE"}, "kinesis_encryption_type"),
        ({"kinesis_kms_key_id": "my-key"}, "kinesis_kms_key_id"),
        ({"kinesis_kms_key_id": ""}, "kinesis_kms_key_id"),
        ({"image_tag": "latest"}, "image_tag: 'latest' is a fixed tag"),
        ({"image_tag": "bad tag", "image_tag_mutability": "MUTABLE"}, "image_tag"),
        ({"image_tag_mutability": "mutable"}, "image_tag_mutability"),
        ({"alb_access_logs_expiration_days": -1}, "alb_access_logs_expiration_days"),
        ({"log_retention_days": 0}, "log_retention_days"),
        ({"log_retention_days": 31}, "log_retention_days"),
        ({"log_group_kms_key_id": "alias/aws/logs"}, "log_group_kms_key_id"),
        ({"ecs_container_insights": "on"}, "ecs_container_insights"),
        ({"availability_zones": ["eu-west-1a"]}, r"availability_zones\[0\]"),
        ({"alb_enable_deletion_protection": "maybe"}, "alb_enable_deletion_protection"),
    ],
)
def test_bad_value_is_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = _write(tmp_path, {**SAMPLE, **change})
    with pytest.raises(ConfigError, match=message) as error:
        load_variables(path)
    assert str(path) in str(error.value)


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    data = {k: v for k, v in SAMPLE.items() if k != "kinesis_stream_name"}
    with pytest.raises(ConfigError, match="kinesis_stream_name: Field required"):
        load_variables(_write(tmp_path, data))


def test_region_is_required_without_an_outpost(tmp_path: Path) -> None:
    data = {**SAMPLE, "outposts_arn": "", "outposts_route_to_LGW_destination": ""}
    with pytest.raises(ConfigError, match="aws_region: required when outposts_arn is empty"):
        load_variables(_write(tmp_path, data))
    assert load_variables(_write(tmp_path, {**data, "aws_region": "eu-west-1"})).region == (
        "eu-west-1"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"Environment": "dev",\n  "Project": }', r"not valid JSON: .* line 2, column 14"),
        ("[1, 2]", "must hold a JSON object of variables, not a list"),
        ("", "not valid JSON"),
    ],
)
def test_malformed_file(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_variables(_write(tmp_path, content))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such vars file"):
        load_variables(tmp_path / "absent.json")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "vars.json"
    path.write_bytes(b'{"Environment": "\xff"}')
    with pytest.raises(ConfigError, match="cannot read it"):
        load_variables(path)


def test_main_reports_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, {**SAMPLE, "number_AZ": 0})
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env={**os.environ, "VARS_FILE": str(path), "CDKTF_OUTDIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "number_AZ" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
