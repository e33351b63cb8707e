"""The root deployment as a whole: wiring, root resources, outputs, Terraform's view of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from stack import ALB_ECS_OUTPUTS, IMAGE_OUTPUTS, IMAGE_TARGETS, VPC_OUTPUTS
from tests.conftest import ROOT, synth_deployment
from tests.support import addresses, resources, target_closure, terraform_load

IMAGE_MODULE = "ecs-docker-codebuild"


def test_module_outputs_are_terraform_outputs(deployment: dict[str, Any]) -> None:
    outputs = deployment["output"]
    assert len(VPC_OUTPUTS) == 22 and len(IMAGE_OUTPUTS) == 1 and len(ALB_ECS_OUTPUTS) == 7
    for name in VPC_OUTPUTS:
        assert f"test-vpc_{name}" in outputs, name
    assert "ecs-docker-codebuild_ecr_id" in outputs
    for name in ALB_ECS_OUTPUTS:
        assert f"producer-outposts-ecs-alb_{name}" in outputs, name
    for name in (
        "alb_dns_name",
        "ecr_repository_url",
        "codebuild_project_name",
        "kinesis_stream_name",
        "kinesis_stream_arn",
        "ecs_cluster_name",
        "ecs_service_name",
    ):
        assert outputs[name]["value"].startswith("${"), name
    assert outputs["alb_dns_name"]["value"] == ("${aws_lb.producer-outposts-ecs-alb_alb.dns_name}")


def test_kinesis_stream(deployment: dict[str, Any]) -> None:
    (stream,) = resources(deployment, "aws_kinesis_stream").values()
    assert stream["name"] == "data-processing-stream"
    assert stream["shard_count"] == 1
    assert stream["retention_period"] == 48
    assert stream["shard_level_metrics"] == ["IncomingBytes", "OutgoingBytes"]
    assert stream["tags"]["managedBy"] == "terraform"
    assert stream["tags"]["Terraformbackend"] == "terraform-backend-s3"


def test_access_log_bucket(deployment: dict[str, Any]) -> None:
    bucket = resources(deployment, "aws_s3_bucket")["s3_bucket_outposts_logging_bucket"]
    assert bucket["bucket"] == "outposts-aod-logging-bucket-1111111"
    assert "acl" not in bucket
    policy_document = deployment["data"]["aws_iam_policy_document"][
        "s3_bucket_outposts_logging_policy_document"
    ]
    by_sid = {s["sid"]: s for s in policy_document["statement"]}
    deny = by_sid["DenyInsecureTransport"]
    assert deny["effect"] == "Deny"
    assert deny["condition"][0]["values"] == ["false"]
    elb = by_sid["ElbLogDelivery"]
    # us-west-2, the Region of the sample's Outposts ARN.
    assert elb["principals"][0]["identifiers"] == ["arn:aws:iam::797873946194:root"]
    assert elb["resources"] == [
        "${aws_s3_bucket.s3_bucket_outposts_logging_bucket.arn}/alb/AWSLogs/"
        "${data.aws_caller_identity.current.account_id}/*"
    ]
    services = by_sid["LogDeliveryWrite"]["principals"][0]["identifiers"]
    assert services == ["delivery.logs.amazonaws.com", "logdelivery.elb.amazonaws.com"]
    assert by_sid["LogDeliveryWrite"]["condition"][0]["values"] == ["bucket-owner-full-control"]
    assert by_sid["LogDeliveryAclCheck"]["actions"] == ["s3:GetBucketAcl"]
    sse = resources(deployment, "aws_s3_bucket_server_side_encryption_configuration")
    rule = sse["s3_bucket_outposts_logging_bucket_encryption"]["rule"][0]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"


def test_alb_waits_for_the_log_bucket_policy(deployment: dict[str, Any]) -> None:
    (alb,) = resources(deployment, "aws_lb").values()
    assert alb["access_logs"]["bucket"] == (
        "${aws_s3_bucket_policy.s3_bucket_outposts_logging_policy.bucket}"
    )
    assert alb["access_logs"]["prefix"] == "alb"
    assert alb["access_logs"]["enabled"] is True


def test_s3_endpoint_reaches_every_outposts_route_table(deployment: dict[str, Any]) -> None:
    associations = resources(deployment, "aws_vpc_endpoint_route_table_association")
    assert len(associations) == 2
    tables = sorted(a["route_table_id"] for a in associations.values())
    assert tables == [
        f"${{aws_route_table.test-vpc_subnet_outposts_route_table_{i}.id}}" for i in (0, 1)
    ]
    (s3_endpoint,) = (
        name
        for name, endpoint in resources(deployment, "aws_vpc_endpoint").items()
        if endpoint.get("vpc_endpoint_type") == "Gateway"
    )
    assert {a["vpc_endpoint_id"] for a in associations.values()} == {
        f"${{aws_vpc_endpoint.{s3_endpoint}.id}}"
    }


def test_alb_and_tasks_run_in_the_first_outposts_subnet(deployment: dict[str, Any]) -> None:
    (alb,) = resources(deployment, "aws_lb").values()
    assert alb["subnets"] == ["${aws_subnet.test-vpc_subnet_outposts_0.id}"]
    (service,) = resources(deployment, "aws_ecs_service").values()
    assert service["network_configuration"]["subnets"] == [
        "${aws_subnet.test-vpc_subnet_outposts_0.id}"
    ]


def test_deployment_loads_in_terraform(deployment: dict[str, Any]) -> None:
    config = terraform_load(deployment)
    assert len(config["ManagedResources"]) == sum(
        len(blocks) for blocks in deployment["resource"].values()
    )


def test_targeted_first_apply_selects_exactly_the_image_module(
    deployment: dict[str, Any],
) -> None:
    selected = target_closure(deployment, list(IMAGE_TARGETS))
    selected_resources = {a for a in selected if not a.startswith("data.")}
    image_resources = {
        a
        for a in addresses(deployment)
        if not a.startswith("data.") and a.split(".", 1)[1].startswith(f"{IMAGE_MODULE}_")
    }
    assert selected_resources == image_resources
    assert {
        "aws_ecr_repository.ecs-docker-codebuild_ecr",
        "aws_iam_role.ecs-docker-codebuild_codebuild",
        "aws_s3_object.ecs-docker-codebuild_source_object",
    } <= selected_resources
    # Data sources it reads belong to the module too.
    assert all(
        a.split(".", 2)[2].startswith(f"{IMAGE_MODULE}_") for a in selected - selected_resources
    )


def test_readme_shows_the_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    flags = " ".join(f"-target={t}" for t in IMAGE_TARGETS)
    assert flags in " ".join(readme.split()), "README's -target line differs from IMAGE_TARGETS"


def test_without_an_outpost(sample_vars: dict[str, Any]) -> None:
    data = {
        **sample_vars,
        "outposts_arn": "",
        "outposts_route_to_LGW_destination": "",
        "outposts_subnets_cidr_list": [],
        "aws_region": "eu-west-1",
    }
    synthesized = synth_deployment(data)
    assert not resources(synthesized, "aws_vpc_endpoint_route_table_association")
    assert not resources(synthesized, "aws_ec2_local_gateway_route_table_vpc_association")
    assert "aws_outposts_outpost" not in synthesized.get("data", {})
    (alb,) = resources(synthesized, "aws_lb").values()
    assert "customer_owned_ipv4_pool" not in alb
    document = synthesized["data"]["aws_iam_policy_document"][
        "s3_bucket_outposts_logging_policy_document"
    ]
    elb = next(s for s in document["statement"] if s["sid"] == "ElbLogDelivery")
    assert elb["principals"][0]["identifiers"] == ["arn:aws:iam::156460612806:root"]
    assert synthesized["provider"]["aws"][0]["region"] == "eu-west-1"
    terraform_load(synthesized)


def test_new_region_uses_the_log_delivery_service_principal(sample_vars: dict[str, Any]) -> None:
    from modules.access_log_bucket import elb_log_delivery_principal

    principal = elb_log_delivery_principal("ap-southeast-7")
    assert principal.type == "Service"
    assert principal.identifiers == ["logdelivery.elasticloadbalancing.amazonaws.com"]


def test_main_synthesizes_without_deprecation_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(tmp_path), "VARS_FILE": "vars/test.tfvars.json"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "deprecat" not in (result.stdout + result.stderr).lower()
    written = json.loads((tmp_path / "stacks" / "outposts-ecs" / "cdk.tf.json").read_text())
    assert written["resource"]["aws_kinesis_stream"]
