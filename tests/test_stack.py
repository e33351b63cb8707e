"""The root deployment as a whole: wiring, root resources, outputs, Terraform's view of it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from modules.alb_ecs_task import IMAGE_PORT
from modules.docker_ecr_codebuild import source_digest
from stack import ALB_ECS_OUTPUTS, IMAGE_OUTPUTS, VPC_OUTPUTS
from stack_configs import IMAGE_TARGETS
from tests.conftest import ROOT
from tests.support import (
    addresses,
    data_sources,
    json_document,
    resources,
    synth_deployment,
    target_closure,
    terraform_load,
)

IMAGE_MODULE = "ecs-docker-codebuild"
DIGEST = source_digest(ROOT / "producer")
STREAM_KEY = "arn:aws:kms:us-west-2:111122223333:key/0123abcd-12ab-34cd-56ef-1234567890ab"
LOGS_KEY = "arn:aws:kms:us-west-2:111122223333:key/mrk-0123456789abcdef0123456789abcdef"
LOG_GROUPS = (
    "test-vpc_flow_log_group",
    "ecs-docker-codebuild_codebuild_log_group",
    "producer-outposts-ecs-alb_ecs_log_group",
)


@pytest.fixture(scope="module")
def relaxed(sample_vars: dict[str, Any]) -> dict[str, Any]:
    """The deployment with every hardening a root variable controls switched off."""
    return synth_deployment(
        {
            **sample_vars,
            "kinesis_encryption_type": "NONE",
            "image_tag": "latest",
            "image_tag_mutability": "MUTABLE",
            "alb_access_logs_versioning": False,
            "alb_access_logs_expiration_days": 0,
            "ecs_container_insights": "disabled",
        }
    )


@pytest.fixture(scope="module")
def protected(sample_vars: dict[str, Any]) -> dict[str, Any]:
    """The deployment with the optional protections on: customer keys, pinned AZs and so on."""
    return synth_deployment(
        {
            **sample_vars,
            "kinesis_kms_key_id": STREAM_KEY,
            "log_group_kms_key_id": LOGS_KEY,
            "log_retention_days": 365,
            "alb_enable_deletion_protection": True,
            "availability_zones": ["us-west-2a", "us-west-2b"],
            "ecs_container_insights": "enhanced",
        }
    )


@pytest.fixture(scope="module")
def on_demand(sample_vars: dict[str, Any]) -> dict[str, Any]:
    """The sample deployment with an ON_DEMAND stream."""
    return synth_deployment({**sample_vars, "kinesis_stream_mode": "ON_DEMAND"})


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
        "dashboard_name",
    ):
        assert outputs[name]["value"].startswith("${"), name
    assert outputs["alb_dns_name"]["value"] == ("${aws_lb.producer-outposts-ecs-alb_alb.dns_name}")


def test_kinesis_stream(deployment: dict[str, Any]) -> None:
    (stream,) = resources(deployment, "aws_kinesis_stream").values()
    assert stream["name"] == "data-processing-stream"
    assert stream["shard_count"] == 1
    # Explicit, so that a stream switched back from ON_DEMAND is switched back by Terraform.
    assert stream["stream_mode_details"] == {"stream_mode": "PROVISIONED"}
    assert stream["retention_period"] == 48
    assert stream["shard_level_metrics"] == ["IncomingBytes", "OutgoingBytes"]
    assert stream["tags"]["managedBy"] == "terraform"
    assert stream["tags"]["Terraformbackend"] == "terraform-backend-local"


def test_on_demand_stream_has_no_shard_count(on_demand: dict[str, Any]) -> None:
    (stream,) = resources(on_demand, "aws_kinesis_stream").values()
    assert stream["stream_mode_details"] == {"stream_mode": "ON_DEMAND"}
    assert "shard_count" not in stream
    assert (stream["name"], stream["retention_period"]) == ("data-processing-stream", 48)
    assert stream["encryption_type"] == "KMS"
    terraform_load(on_demand)


def _task_statements(synthesized: dict[str, Any]) -> dict[str, dict[str, Any]]:
    document = data_sources(synthesized, "aws_iam_policy_document")[
        "producer-outposts-ecs-alb_ecs_task_policy_document"
    ]
    return {statement["sid"]: statement for statement in document["statement"]}


def test_stream_is_encrypted_and_the_task_role_may_use_the_key(deployment: dict[str, Any]) -> None:
    (stream,) = resources(deployment, "aws_kinesis_stream").values()
    assert stream["encryption_type"] == "KMS"
    assert stream["kms_key_id"] == "alias/aws/kinesis"
    # The AWS managed key's ARN is looked up, so the policy names a key rather than "*".
    assert data_sources(deployment, "aws_kms_key") == {
        "kinesis_key": {"key_id": "alias/aws/kinesis"}
    }
    assert _task_statements(deployment)["EncryptStreamRecords"] == {
        "sid": "EncryptStreamRecords",
        "effect": "Allow",
        "actions": ["kms:GenerateDataKey"],
        "resources": ["${data.aws_kms_key.kinesis_key.arn}"],
    }


def test_stream_with_a_customer_key(protected: dict[str, Any]) -> None:
    (stream,) = resources(protected, "aws_kinesis_stream").values()
    assert (stream["encryption_type"], stream["kms_key_id"]) == ("KMS", STREAM_KEY)
    assert data_sources(protected, "aws_kms_key")["kinesis_key"] == {"key_id": STREAM_KEY}
    assert _task_statements(protected)["EncryptStreamRecords"]["resources"] == [
        "${data.aws_kms_key.kinesis_key.arn}"
    ]


def test_unencrypted_stream_needs_no_key(relaxed: dict[str, Any]) -> None:
    (stream,) = resources(relaxed, "aws_kinesis_stream").values()
    assert stream["encryption_type"] == "NONE"
    assert "kms_key_id" not in stream
    assert not data_sources(relaxed, "aws_kms_key")
    assert "EncryptStreamRecords" not in _task_statements(relaxed)


def _container_image(synthesized: dict[str, Any]) -> str:
    (task,) = resources(synthesized, "aws_ecs_task_definition").values()
    (container,) = json_document(task["container_definitions"])
    return str(container["image"])


def _build_variables(synthesized: dict[str, Any]) -> dict[str, str]:
    (project,) = resources(synthesized, "aws_codebuild_project").values()
    return {v["name"]: v["value"] for v in project["environment"]["environment_variable"]}


def test_tasks_run_the_tag_the_build_pushes(deployment: dict[str, Any]) -> None:
    (repository,) = resources(deployment, "aws_ecr_repository").values()
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"] == {"scan_on_push": True}
    assert _build_variables(deployment)["IMAGE_TAG"] == DIGEST
    assert _container_image(deployment).endswith(f"/kinesis/producer:{DIGEST}")


def test_mutable_latest_is_the_samples_behaviour(relaxed: dict[str, Any]) -> None:
    (repository,) = resources(relaxed, "aws_ecr_repository").values()
    assert repository["image_tag_mutability"] == "MUTABLE"
    assert _build_variables(relaxed)["IMAGE_TAG"] == "latest"
    assert _container_image(relaxed).endswith("/kinesis/producer:latest")


def test_log_groups_keep_logs_for_the_retention(deployment: dict[str, Any]) -> None:
    groups = resources(deployment, "aws_cloudwatch_log_group")
    assert sorted(groups) == sorted(LOG_GROUPS)
    for name, group in groups.items():
        assert group["retention_in_days"] == 30, name
        assert "kms_key_id" not in group, name


def test_log_groups_with_a_key_and_a_longer_retention(protected: dict[str, Any]) -> None:
    groups = resources(protected, "aws_cloudwatch_log_group")
    assert sorted(groups) == sorted(LOG_GROUPS)
    for name, group in groups.items():
        assert (group["retention_in_days"], group["kms_key_id"]) == (365, LOGS_KEY), name


def test_cluster_and_load_balancer_settings(
    deployment: dict[str, Any], relaxed: dict[str, Any], protected: dict[str, Any]
) -> None:
    for synthesized, insights in (
        (deployment, "enabled"),
        (relaxed, "disabled"),
        (protected, "enhanced"),
    ):
        (cluster,) = resources(synthesized, "aws_ecs_cluster").values()
        assert cluster["setting"] == [{"name": "containerInsights", "value": insights}]
    (alb,) = resources(deployment, "aws_lb").values()
    assert alb["enable_deletion_protection"] is False
    assert alb["drop_invalid_header_fields"] is True
    (alb,) = resources(protected, "aws_lb").values()
    assert alb["enable_deletion_protection"] is True


def test_azs_pinned_by_name(deployment: dict[str, Any], protected: dict[str, Any]) -> None:
    # One AZ lookup, the vpc construct's; the root reads none of its own.
    assert set(data_sources(deployment, "aws_availability_zones")) == {"test-vpc_available_azs"}
    zones = ["us-west-2a", "us-west-2b"]
    lookups = data_sources(protected, "aws_availability_zones")
    assert {"name": "zone-name", "values": zones} in lookups["test-vpc_available_azs"]["filter"]


def test_default_security_group_is_emptied(deployment: dict[str, Any]) -> None:
    (group,) = resources(deployment, "aws_default_security_group").values()
    assert group["vpc_id"] == "${aws_vpc.test-vpc_vpc.id}"
    assert "ingress" not in group and "egress" not in group


def test_every_security_group_and_rule_is_described(deployment: dict[str, Any]) -> None:
    groups = resources(deployment, "aws_security_group")
    rules = resources(deployment, "aws_security_group_rule")
    assert len(groups) == 4 and len(rules) == 7
    for name, block in {**groups, **rules}.items():
        assert block["description"].strip(), name
    for name, group in groups.items():
        for inline in group.get("ingress", []) + group.get("egress", []):
            assert inline["description"].strip(), name
    # No rule opens every protocol.
    assert not [name for name, rule in rules.items() if rule["protocol"] == "-1"]


# Statements whose "*" cannot be narrowed to a resource: the action takes none.
UNSCOPABLE = {
    ("ecs-docker-codebuild_codebuild_policy_document", "ecrtoken"),
    ("producer-outposts-ecs-alb_ecs_execution_policy_document", "RegistryLogin"),
    ("producer-outposts-ecs-alb_ecs_task_policy_document", "PublishMetrics"),
}
_DOCUMENT_JSON = re.compile(r"^\$\{data\.aws_iam_policy_document\.[A-Za-z0-9_-]+\.json\}$")


def test_every_policy_is_a_policy_document(deployment: dict[str, Any]) -> None:
    policies = [
        (name, role["assume_role_policy"])
        for name, role in resources(deployment, "aws_iam_role").items()
    ]
    for resource_type in (
        "aws_iam_role_policy",
        "aws_s3_bucket_policy",
        "aws_ecr_repository_policy",
    ):
        policies += [
            (name, block["policy"]) for name, block in resources(deployment, resource_type).items()
        ]
    assert len(policies) == 12  # 5 roles, 5 inline policies, 2 resource policies
    for name, policy in policies:
        assert _DOCUMENT_JSON.match(policy), f"{name}: {policy[:60]}"
    # Managed policies with "*" everywhere are attached only to the SSM instance role.
    attachments = resources(deployment, "aws_iam_role_policy_attachment")
    assert {a["role"] for a in attachments.values()} == {
        "${aws_iam_role.test-vpc_ssm_ec2_iam_role.name}"
    }


def test_no_wildcard_resource_where_one_can_be_named(deployment: dict[str, Any]) -> None:
    wildcards = set()
    for name, document in data_sources(deployment, "aws_iam_policy_document").items():
        for statement in document["statement"]:
            if statement.get("effect") == "Deny":  # the bucket's TLS-only rule denies s3:*
                continue
            if any(r == "*" or r.endswith(":*:*") for r in statement.get("resources", [])):
                wildcards.add((name, statement.get("sid")))
            assert not any(a.endswith(":*") or a == "*" for a in statement["actions"]), name
    assert wildcards == UNSCOPABLE
    publish = _task_statements(deployment)["PublishMetrics"]
    assert publish["condition"][0]["variable"] == "cloudwatch:namespace"


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
    ownership = resources(deployment, "aws_s3_bucket_ownership_controls")
    assert ownership["s3_bucket_outposts_logging_bucket_ownership"]["rule"] == {
        "object_ownership": "BucketOwnerEnforced"
    }
    block = resources(deployment, "aws_s3_bucket_public_access_block")[
        "s3_bucket_outposts_logging_bucket_public_access_block"
    ]
    assert all(
        block[key] is True
        for key in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )


def test_access_logs_are_versioned_and_expire(deployment: dict[str, Any]) -> None:
    versioning = resources(deployment, "aws_s3_bucket_versioning")
    assert versioning["s3_bucket_outposts_logging_bucket_versioning"] == {
        "bucket": "${aws_s3_bucket.s3_bucket_outposts_logging_bucket.id}",
        "versioning_configuration": {"status": "Enabled"},
    }
    lifecycle = resources(deployment, "aws_s3_bucket_lifecycle_configuration")[
        "s3_bucket_outposts_logging_bucket_lifecycle"
    ]
    (rule,) = lifecycle["rule"]
    assert rule["expiration"] == [{"days": 90}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 7}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert rule["filter"] == [{}]


def test_access_logs_kept_without_versions(relaxed: dict[str, Any]) -> None:
    assert "s3_bucket_outposts_logging_bucket_versioning" not in resources(
        relaxed, "aws_s3_bucket_versioning"
    )
    lifecycle = resources(relaxed, "aws_s3_bucket_lifecycle_configuration")[
        "s3_bucket_outposts_logging_bucket_lifecycle"
    ]
    (rule,) = lifecycle["rule"]
    assert "expiration" not in rule
    assert "noncurrent_version_expiration" not in rule
    assert "depends_on" not in lifecycle


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


def test_relaxed_and_protected_deployments_load_in_terraform(
    relaxed: dict[str, Any], protected: dict[str, Any]
) -> None:
    terraform_load(relaxed)
    terraform_load(protected)


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
        "aws_s3_bucket_versioning.ecs-docker-codebuild_source_bucket_versioning",
        "aws_s3_bucket_lifecycle_configuration.ecs-docker-codebuild_source_bucket_lifecycle",
        "aws_cloudwatch_log_group.ecs-docker-codebuild_codebuild_log_group",
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
    # The S3 endpoint serves the tasks' subnets: the private ones in the Region.
    associations = resources(synthesized, "aws_vpc_endpoint_route_table_association")
    assert sorted(associations) == ["route_private_subnet_s3_0", "route_private_subnet_s3_1"]
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


def test_one_json_for_provider_5_100_and_6(deployment: dict[str, Any]) -> None:
    """The JSON admits provider 5.100 and 6.x, needs no other provider, and reads nothing
    whose name differs between the two (the Region attribute of ``aws_region``)."""
    providers = deployment["terraform"]["required_providers"]
    assert providers == {"aws": {"source": "aws", "version": ">= 5.100, < 7"}}
    assert set(deployment["provider"]) == {"aws"}
    assert "aws_region" not in deployment.get("data", {})
    assert "data.aws_region." not in json.dumps(deployment)


def test_deployment_alarms_are_the_observability_alarms(sample_vars: dict[str, Any]) -> None:
    """``ecs_deployment_alarms``: the service names alarms that the deployment creates, by the
    names they are created with (the alarms watch the service, so they come after it)."""
    synthesized = synth_deployment({**sample_vars, "ecs_deployment_alarms": True})
    (service,) = resources(synthesized, "aws_ecs_service").values()
    created = {
        alarm["alarm_name"]
        for alarm in resources(synthesized, "aws_cloudwatch_metric_alarm").values()
    }
    names = service["alarms"]["alarm_names"]
    assert names == [
        "test-outposts-AoD-challenge-outposts-AoD-alb-target-5xx",
        "test-outposts-AoD-challenge-outposts-AoD-unhealthy-hosts-port-1",
    ]
    assert set(names) <= created
    assert service["alarms"]["rollback"] is True


def test_the_partition_follows_the_region(sample_vars: dict[str, Any]) -> None:
    """A GovCloud deployment: no ARN of the commercial partition, the ELB account of
    us-gov-west-1, the ECR host of its partition (the rules checker runs on it too)."""
    data = {
        **sample_vars,
        "outposts_arn": (
            "arn:aws-us-gov:outposts:us-gov-west-1:111122223333:outpost/op-0123456789abcdef0"
        ),
    }
    text = json.dumps(synth_deployment(data))
    assert "arn:aws:" not in text
    assert "arn:aws-us-gov:iam::048591011584:root" in text
    assert "arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore" in text


@pytest.mark.parametrize("deletes", [True, False])
def test_a_destroy_deletes_the_data_only_when_told(
    sample_vars: dict[str, Any], deletes: bool
) -> None:
    """``destroy_deletes_data`` (on by default): the repository goes with its images and the
    log bucket with its objects; off, Terraform keeps both while they hold data."""
    synthesized = synth_deployment({**sample_vars, "destroy_deletes_data": deletes})
    (repository,) = resources(synthesized, "aws_ecr_repository").values()
    assert repository["force_delete"] is deletes
    buckets = resources(synthesized, "aws_s3_bucket")
    assert buckets["s3_bucket_outposts_logging_bucket"]["force_destroy"] is deletes
    # The build's source archives are the stack's own, whatever the setting.
    assert buckets["ecs-docker-codebuild_source_bucket"]["force_destroy"] is True


def test_day_two_settings_come_from_the_vars_file(sample_vars: dict[str, Any]) -> None:
    """The service's port, the listeners, the instance types in order and the group's sizes
    are vars-file keys (their defaults are the sample's: the snapshots did not change)."""
    synthesized = synth_deployment(
        {
            **sample_vars,
            "service_port": 9000,
            "alb_listener_ports": [80, 8081],
            "ecs_instance_types": ["c5.xlarge", "m5.xlarge"],
            "ecs_asg_min_size": 1,
            "ecs_asg_max_size": 4,
            "ecs_asg_desired_capacity": 2,
            "ecs_deployment_alarms": True,
        }
    )
    (task,) = resources(synthesized, "aws_ecs_task_definition").values()
    (container,) = json_document(task["container_definitions"])
    assert container["portMappings"][0]["containerPort"] == 9000
    assert {"name": "PORT", "value": "9000"} in container["environment"]
    assert "127.0.0.1:9000/livez" in " ".join(container["healthCheck"]["command"])
    groups = resources(synthesized, "aws_lb_target_group").values()
    assert sorted(group["port"] for group in groups) == [9000, 9000]
    listeners = resources(synthesized, "aws_lb_listener").values()
    assert sorted(listener["port"] for listener in listeners) == [80, 8081]
    (template,) = resources(synthesized, "aws_launch_template").values()
    assert template["instance_type"] == "c5.xlarge"
    (group,) = resources(synthesized, "aws_autoscaling_group").values()
    overrides = group["mixed_instances_policy"]["launch_template"]["override"]
    assert [o["instance_type"] for o in overrides] == ["c5.xlarge", "m5.xlarge"]
    assert (group["min_size"], group["max_size"], group["desired_capacity"]) == (1, 4, 2)
    (service,) = resources(synthesized, "aws_ecs_service").values()
    assert [name.rsplit("-", 2)[-2:] for name in service["alarms"]["alarm_names"]] == [
        ["target", "5xx"],
        ["port", "1"],
        ["port", "2"],
    ]


def test_the_default_port_passes_no_port_to_the_image(sample_vars: dict[str, Any]) -> None:
    synthesized = synth_deployment(sample_vars)
    (task,) = resources(synthesized, "aws_ecs_task_definition").values()
    (container,) = json_document(task["container_definitions"])
    assert container["portMappings"][0]["containerPort"] == IMAGE_PORT
    assert all(variable["name"] != "PORT" for variable in container["environment"])
    dockerfile = (ROOT / "producer" / "Dockerfile").read_text()
    assert f"PORT={IMAGE_PORT}" in dockerfile
