"""Reading and validating the tfvars-like JSON files of the root deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modules.validation import origin
from tests.vars_support import REGION, ROOT, SAMPLE, synth_main, write_vars
from variables import RootVariables
from vars_file import ConfigError, load_variables, variable_warnings

TOPIC = "arn:aws:sns:us-west-2:111122223333:ops-alarms"


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
        "Terraformbackend": "terraform-backend-local",
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
    assert variables.alb_inbound_cidr_range == []
    assert variables.ecs_launch_type == "EC2"
    assert (variables.ecs_autoscaling_min_capacity, variables.ecs_autoscaling_max_capacity) == (
        1,
        3,
    )
    assert variables.ecs_autoscaling_cpu_target == 65
    assert variables.ecs_autoscaling_requests_per_target == 0
    # A deployment keeps every task serving, fails (and rolls back) on the circuit breaker.
    assert (
        variables.ecs_deployment_minimum_healthy_percent,
        variables.ecs_deployment_maximum_percent,
        variables.ecs_deployment_rollback,
    ) == (100, 200, True)
    assert variables.ecs_ami_id == ""
    assert (variables.kinesis_stream_mode, variables.kinesis_shard_count) == ("PROVISIONED", 1)
    assert variables.enable_dashboard is True
    assert variables.alarm_sns_topic_arn == ""
    assert variables.enable_alarms is True
    assert variables.enable_outpost_alarms is True
    assert (
        variables.outpost_link_down_minutes,
        variables.outpost_capacity_utilization_percent,
        variables.capacity_provider_reservation_percent,
    ) == (5, 80, 100)
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
        "alb_inbound_cidr_range",
        "ecs_launch_type",
        "ecs_autoscaling_min_capacity",
        "ecs_autoscaling_max_capacity",
        "ecs_autoscaling_cpu_target",
        "ecs_autoscaling_requests_per_target",
        "ecs_deployment_minimum_healthy_percent",
        "ecs_deployment_maximum_percent",
        "ecs_deployment_rollback",
        "ecs_deployment_alarms",
        "ecs_health_check_grace_period_seconds",
        "ecs_wait_for_steady_state",
        "ecs_enable_execute_command",
        "ecs_ami_id",
        "kinesis_stream_mode",
        "kinesis_shard_count",
        "enable_dashboard",
        "alarm_sns_topic_arn",
        "enable_alarms",
        "enable_outpost_alarms",
        "outpost_link_down_minutes",
        "outpost_capacity_utilization_percent",
        "capacity_provider_reservation_percent",
        "producer_spool",
        "producer_spool_max_mib",
        "enable_test_client",
        "service_port",
        "alb_listener_ports",
        "ecs_instance_types",
        "ecs_asg_min_size",
        "ecs_asg_max_size",
        "ecs_asg_desired_capacity",
        "destroy_deletes_data",
        "deployment_prefix",
        "s3_backend",
    ]
    fields = list(RootVariables.__pydantic_fields__)  # type: ignore[attr-defined]
    assert fields[-len(added) :] == added
    for name, field in RootVariables.__pydantic_fields__.items():  # type: ignore[attr-defined]
        is_added = name in added or name == "aws_region"
        assert origin(field.json_schema_extra).startswith("added") == is_added, name
        assert "Not in the sample" not in field.description, name


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
        {"kinesis_stream_mode": "ON_DEMAND"},
        {"kinesis_shard_count": 4},
        {"alarm_sns_topic_arn": TOPIC},
        {"enable_dashboard": False, "vpc_name": "outposts.AoD"},
        {"enable_alarms": False},
        {"enable_alarms": False, "enable_dashboard": False},
        {"outpost_link_down_minutes": 1440},
        {"outpost_capacity_utilization_percent": 100},
        {"capacity_provider_reservation_percent": 200},
        {"ecs_autoscaling_cpu_target": 0, "ecs_autoscaling_requests_per_target": 0},
        {"ecs_autoscaling_min_capacity": 2, "ecs_autoscaling_max_capacity": 2},
        {"alb_inbound_cidr_range": ["10.10.0.0/24", "2001:db8::/32"]},
    ],
)
def test_good_hardening_values(tmp_path: Path, change: dict[str, Any]) -> None:
    variables = load_variables(write_vars(tmp_path, {**SAMPLE, **change}))
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
            r"private_subnets_cidr_list\[1\]",
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
        ({"ecs_launch_type": "FARGATE"}, "ecs_launch_type: FARGATE does not run on an Outpost"),
        ({"ecs_launch_type": "EXTERNAL"}, "ecs_launch_type"),
        (
            {"ecs_autoscaling_min_capacity": 4},
            "ecs_autoscaling_max_capacity: 3 is below ecs_autoscaling_min_capacity",
        ),
        ({"ecs_autoscaling_min_capacity": 0}, "ecs_autoscaling_min_capacity"),
        ({"ecs_autoscaling_cpu_target": 101}, "ecs_autoscaling_cpu_target"),
        ({"ecs_autoscaling_requests_per_target": -5}, "ecs_autoscaling_requests_per_target"),
        ({"kinesis_stream_mode": "on-demand"}, "kinesis_stream_mode"),
        ({"kinesis_shard_count": 0}, "kinesis_shard_count"),
        (
            {"kinesis_stream_mode": "ON_DEMAND", "kinesis_shard_count": 2},
            "kinesis_shard_count: 2, but an ON_DEMAND stream",
        ),
        ({"alarm_sns_topic_arn": "ops-alarms"}, "alarm_sns_topic_arn"),
        ({"alarm_sns_topic_arn": TOPIC + ".fifo"}, "alarm_sns_topic_arn"),
        ({"vpc_name": "outposts.AoD"}, "vpc_name: dashboard name 'vars-outposts.AoD-challenge"),
        ({"enable_dashboard": "yes please"}, "enable_dashboard"),
        ({"enable_alarms": "no"}, "enable_alarms"),
        (
            {"enable_alarms": False, "ecs_deployment_alarms": True},
            "ecs_deployment_alarms: true, but enable_alarms is false",
        ),
        ({"outpost_link_down_minutes": 0}, "outpost_link_down_minutes"),
        # CloudWatch evaluates a one-minute alarm over one day at most.
        ({"outpost_link_down_minutes": 1441}, "outpost_link_down_minutes"),
        ({"outpost_capacity_utilization_percent": 0}, "outpost_capacity_utilization_percent"),
        ({"outpost_capacity_utilization_percent": 101}, "outpost_capacity_utilization_percent"),
        ({"capacity_provider_reservation_percent": 80}, "capacity_provider_reservation_percent"),
        ({"capacity_provider_reservation_percent": 201}, "capacity_provider_reservation_percent"),
        ({"alb_inbound_cidr_range": ["10.10.0.1/24"]}, r"alb_inbound_cidr_range\[0\]"),
        (
            {"private_subnets_cidr_list": []},
            "private_subnets_cidr_list: empty, but on an Outpost the interface endpoints",
        ),
        (
            {"ecs_deployment_minimum_healthy_percent": 100, "ecs_deployment_maximum_percent": 100},
            "deployment_maximum_percent: with deployment_minimum_healthy_percent 100",
        ),
        ({"ecs_deployment_maximum_percent": 90}, "ecs_deployment_maximum_percent"),
        ({"ecs_ami_id": "ami-nope"}, "ecs_ami_id"),
        ({"ecs_enable_execute_command": "yes"}, "ecs_enable_execute_command"),
        ({"service_port": 0}, "service_port"),
        ({"service_port": "8080"}, "service_port"),
        ({"alb_listener_ports": []}, "alb_listener_ports"),
        ({"alb_listener_ports": [80, 65536]}, r"alb_listener_ports\[1\]: 65536 is above 65535"),
        ({"alb_listener_ports": [80, 80]}, "alb_listener_ports: 80 named more than once"),
        ({"ecs_instance_types": []}, "ecs_instance_types"),
        ({"ecs_instance_types": ["m5.2xlarge", "m5.2xlarge"]}, "m5.2xlarge named more than once"),
        ({"ecs_instance_types": ["m5 large"]}, "ecs_instance_types"),
        ({"ecs_asg_desired_capacity": 4}, "ecs_asg_desired_capacity"),
        ({"ecs_asg_min_size": -1}, "ecs_asg_min_size"),
    ],
)
def test_bad_value_is_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = write_vars(tmp_path, {**SAMPLE, **change})
    with pytest.raises(ConfigError, match=message) as error:
        load_variables(path)
    assert str(path) in str(error.value)


def test_region_file_is_a_region_deployment() -> None:
    variables = load_variables(ROOT / "vars" / "region.tfvars.json")
    assert (variables.outposts_arn, variables.region) == ("", "us-west-2")
    assert variables.outposts_subnets_cidr_list == []
    assert variables.ecs_launch_type == "FARGATE"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"number_AZ": 1}, "number_AZ: 1, but in the Region"),
        (
            {"public_subnets_cidr_list": ["10.181.194.0/23"]},
            "public_subnets_cidr_list: 1 subnet",
        ),
        ({"private_subnets_cidr_list": []}, "private_subnets_cidr_list: 0 subnet"),
        (
            {"outposts_subnets_cidr_list": ["10.181.222.64/27"]},
            "outposts_subnets_cidr_list: .*outposts_arn is empty",
        ),
        (
            {"outposts_route_to_LGW_destination": "10.10.0.0/24"},
            "outposts_route_to_LGW_destination: .*outposts_arn is empty",
        ),
        ({"aws_region": ""}, "aws_region: required when outposts_arn is empty"),
    ],
)
def test_region_mode_needs_two_azs(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_variables(write_vars(tmp_path, {**REGION, **change}))


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    data = {k: v for k, v in SAMPLE.items() if k != "kinesis_stream_name"}
    with pytest.raises(ConfigError, match="kinesis_stream_name: required, and missing"):
        load_variables(write_vars(tmp_path, data))


def test_region_is_required_without_an_outpost(tmp_path: Path) -> None:
    data = {
        **SAMPLE,
        "outposts_arn": "",
        "outposts_route_to_LGW_destination": "",
        "outposts_subnets_cidr_list": [],
    }
    with pytest.raises(ConfigError, match="aws_region: required when outposts_arn is empty"):
        load_variables(write_vars(tmp_path, data))
    assert load_variables(write_vars(tmp_path, {**data, "aws_region": "eu-west-1"})).region == (
        "eu-west-1"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"Environment": "dev",\n  "Project": }', r"is not valid JSON \(.* line 2, column 14"),
        ("[1, 2]", "must hold a JSON object of variables, not an array"),
        ("", "is empty; it must hold a JSON object"),
        ("  \n", "is empty"),
        ('"text"', "not a string"),
        ("null", "not null"),
        ("\ufeff{}", r"byte-order mark \(BOM\).*without one"),
        ('Project = "x"\nOwner = "y"\n', r"looks like HCL \(a .tfvars file\).*\.tfvars\.json"),
        ("Project: x\nOwner: y\n", "looks like YAML; write it as JSON"),
        ('{\n  // the owner\n  "Owner": "y"\n}', r'has comments.*"//" key'),
        ('# vars\n{"Owner": "y"}', "has comments"),
        ('{"Owner": "a", "Owner": "b"}', "key 'Owner' appears twice, which Terraform refuses"),
    ],
)
def test_malformed_file(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_variables(write_vars(tmp_path, content))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such vars file"):
        load_variables(tmp_path / "absent.json")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "vars.json"
    path.write_bytes(b'{"Environment": "\xff"}')
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_variables(path)


def test_main_reports_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    result = synth_main(write_vars(tmp_path, {**SAMPLE, "number_AZ": 0}), tmp_path / "out")
    assert result.returncode == 2
    assert "number_AZ" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_failed_synth_removes_the_previous_configuration_and_nothing_else(
    tmp_path: Path,
) -> None:
    stale = tmp_path / "out" / "stacks" / "vars"  # the stack of vars.json
    (stale / ".terraform").mkdir(parents=True)
    (stale / "assets").mkdir()
    (stale / "cdk.tf.json").write_text("{}")
    (stale / ".terraform.lock.hcl").write_text("")
    (stale / "saved.tfplan").write_text("")
    (tmp_path / "out" / "manifest.json").write_text("{}")
    result = synth_main(write_vars(tmp_path, {**SAMPLE, "number_AZ": 0}), tmp_path / "out")
    assert result.returncode == 2
    assert not (stale / "cdk.tf.json").exists() and not (stale / "assets").exists()
    assert f"removed the previous configuration {stale / 'cdk.tf.json'}" in result.stderr
    # Terraform's own files and the other outputs stay.
    assert sorted(p.name for p in stale.iterdir()) == [
        ".terraform",
        ".terraform.lock.hcl",
        "saved.tfplan",
    ]
    assert (tmp_path / "out" / "manifest.json").exists()


# One bad key at a time in the sample file, and the words its message must hold.
LOGS_KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BAD_VALUES = [
    ({"number_az": 2}, "number_az: unknown key; did you mean 'number_AZ'?"),
    (
        {"kinesis_stream_nme": "s"},
        "kinesis_stream_nme: unknown key; did you mean 'kinesis_stream_name'?",
    ),
    ({"zzz": 1}, "zzz: unknown key"),
    ({"enable_dashboard": "yes"}, 'enable_dashboard: "yes" is not true or false'),
    ({"enable_dashboard": 1}, "enable_dashboard: 1 is not true or false"),
    (
        {"enable_alarms": False, "ecs_deployment_alarms": True},
        "ecs_deployment_alarms: true, but enable_alarms is false",
    ),
    (
        {"outpost_link_down_minutes": 1441},
        "outpost_link_down_minutes: 1441 is above 1440, the most it may be",
    ),
    ({"number_AZ": True}, "number_AZ: true is not a whole number"),
    ({"number_AZ": "2"}, 'number_AZ: "2" is not a whole number'),
    ({"number_AZ": 2.5}, "number_AZ: 2.5 is not a whole number"),
    ({"kinesis_shard_count": True}, "kinesis_shard_count: true is not a whole number"),
    ({"number_AZ": None}, "number_AZ: null is not a value here; leave the key out"),
    ({"Owner": None}, "Owner: null is not a value here; give a value"),
    ({"Project": 5}, "Project: 5 is not a string"),
    (
        {"private_subnets_cidr_list": "10.0.0.0/24"},
        'private_subnets_cidr_list: "10.0.0.0/24" is not a list',
    ),
    (
        {"private_subnets_cidr_list": ["10.0.0.0/33"]},
        "private_subnets_cidr_list[0]: '10.0.0.0/33' is not a CIDR",
    ),
    ({"vpc_main_cidr": "10.0.0.1/16"}, "vpc_main_cidr: '10.0.0.1/16' is not a CIDR block"),
    (
        {"outposts_arn": "arn:aws:outposts:x"},
        "outposts_arn: 'arn:aws:outposts:x' is not an Outposts ARN",
    ),
    ({"aws_region": "mars-1"}, "aws_region: 'mars-1' is not an AWS Region name"),
    (
        {"aws_region": "us-west-9"},
        "aws_region: 'us-west-9' is not a Region that botocore",
    ),
    (
        {"outposts_arn": "arn:aws:outposts:cn-north-1:111122223333:outpost/op-0123456789abcdef0"},
        "cn-north-1 is in the partition aws-cn, so the ARN starts with arn:aws-cn:",
    ),
    (
        {"ec2_instance_type": "m5-large"},
        "ec2_instance_type: 'm5-large' is not an EC2 instance type",
    ),
    ({"kinesis_stream_name": "a b"}, "kinesis_stream_name: 'a b' is not a Kinesis stream name"),
    (
        {"s3_bucket_outposts_logging_name": "Bad_Bucket"},
        "s3_bucket_outposts_logging_name: 'Bad_Bucket' is not an S3 bucket name",
    ),
    (
        {"kinesis_encryption_type": "AES"},
        "kinesis_encryption_type: \"AES\" is not 'KMS' or 'NONE'",
    ),
    ({"ecs_launch_type": "FARGATE"}, "ecs_launch_type: FARGATE does not run on an Outpost"),
    ({"log_retention_days": 0}, "log_retention_days: 0 keeps logs forever"),
    (
        {"log_retention_days": 31},
        "log_retention_days: 31 is not a CloudWatch Logs retention period",
    ),
    (
        {"ecs_autoscaling_cpu_target": 101},
        "ecs_autoscaling_cpu_target: 101 is above 100, the most it may be",
    ),
    ({"number_AZ": 0}, "number_AZ: 0 is below 1, the least it may be"),
    ({"number_AZ": 10**30}, "number_AZ: 1000000000000000000000000000000 is above 6, the most"),
    ({"kinesis_shard_count": 10**12}, "kinesis_shard_count: 1000000000000 is above 10000"),
    (
        {"ecs_autoscaling_max_capacity": 10**6},
        "ecs_autoscaling_max_capacity: 1000000 is above 5000",
    ),
    (
        {"ecs_autoscaling_max_capacity": 0},
        "ecs_autoscaling_max_capacity: 0 is below 1",
    ),
    (
        {"alarm_sns_topic_arn": "topic"},
        "alarm_sns_topic_arn: 'topic' is not the ARN of a standard SNS topic",
    ),
    (
        {"alb_access_logs_prefix": "/alb"},
        "alb_access_logs_prefix: '/alb': no leading or trailing '/'",
    ),
    (
        {"outposts_subnets_cidr_list": []},
        "outposts_subnets_cidr_list: empty, but the ALB and the tasks run",
    ),
    ({"image_tag": "v1"}, "image_tag: 'v1' is a fixed tag"),
    (
        {"aws_region": "eu-west-1"},
        "aws_region: 'eu-west-1' differs from the Region of outposts_arn",
    ),
    (
        {"availability_zones": ["eu-west-1a"]},
        "availability_zones[0]: 'eu-west-1a' is not an Availability Zone of us-west-2",
    ),
    (
        {"s3_backend": {"bucket": "state", "lockfile": True}},
        "s3_backend.lockfile: unknown key; did you mean 'use_lockfile'?",
    ),
    (
        {"s3_backend": {"bucket": "Bad_Bucket"}},
        "s3_backend.bucket: 'Bad_Bucket' is not an S3 bucket name",
    ),
    ({"s3_backend": "my-bucket"}, 's3_backend: "my-bucket" is not an object of keys'),
    (
        {"s3_backend": {"bucket": "state", "encrypt": False, "kms_key_id": LOGS_KEY_ARN}},
        "s3_backend: kms_key_id: set, but encrypt is false",
    ),
    (
        {"s3_backend": {"bucket": "state", "region": "us-west-9"}},
        "s3_backend.region: 'us-west-9' is not a Region that botocore",
    ),
    ({"s3_backend": {"bucket": "state", "key": "/state"}}, "s3_backend.key: '/state': an S3"),
    ({"enable_test_client": "yes"}, 'enable_test_client: "yes" is not true or false'),
    ({"producer_spool": 1}, "producer_spool: 1 is not true or false"),
    ({"producer_spool": None}, "producer_spool: null is not a value here"),
    ({"producer_spool_max_mib": 8}, "producer_spool_max_mib: 8 is below 64, the least it may be"),
    ({"number_EC2_instances": 11}, "number_EC2_instances: 11 is above 10, the most it may be"),
    (
        {"enable_test_client": True, "number_EC2_instances": 0},
        "number_EC2_instances: 0 is below 1, the least it may be",
    ),
    (
        {"enable_test_client": True, "ec2_ami_id": "ami-123"},
        "ec2_ami_id: 'ami-123' is not an AMI id",
    ),
]


@pytest.mark.parametrize(("change", "words"), BAD_VALUES)
def test_a_bad_value_gets_one_line_that_names_it(
    tmp_path: Path, change: dict[str, Any], words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_variables(write_vars(tmp_path, {**SAMPLE, **change}))
    message = str(caught.value)
    problems = message.splitlines()[1:]
    assert problems == [f"  {problems[0].strip()}"], message  # one problem, one line
    assert words in problems[0], message
    assert len(message) < 400, message  # no dump of the whole file


def test_several_problems_are_listed_together(tmp_path: Path) -> None:
    change = {"number_AZ": "2", "enable_dashboard": "no", "colour": "red"}
    with pytest.raises(ConfigError) as caught:
        load_variables(write_vars(tmp_path, {**SAMPLE, **change}))
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("3 problem(s)")
    assert sorted(line.split(":")[0].strip() for line in lines[1:]) == [
        "colour",
        "enable_dashboard",
        "number_AZ",
    ]


def test_a_comment_key_is_accepted(tmp_path: Path) -> None:
    variables = load_variables(write_vars(tmp_path, {"//": "the sample's values", **SAMPLE}))
    assert variables.Project == SAMPLE["Project"]


def test_fewer_public_subnets_than_azs_is_a_warning(tmp_path: Path) -> None:
    assert variable_warnings(load_variables(write_vars(tmp_path, SAMPLE))) == []
    variables = load_variables(write_vars(tmp_path, {**SAMPLE, "number_AZ": 3}))
    (warning,) = variable_warnings(variables)
    assert warning.startswith("number_AZ: 3, but public_subnets_cidr_list has 2 subnet(s)")
    assert "one NAT gateway serves every AZ" in warning
