"""Each rule refuses a minimal stack that breaks it, naming the rule, the resource address and
the bad value, and accepts the same stack put right."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from modules.regions import ELB_LOG_DELIVERY_ACCOUNTS, known_regions
from tests.rules.rules_support import SUBNETS, findings, stack_json


@dataclass(frozen=True)
class Case:
    """A stack that breaks ``rule``, and the same stack put right."""

    rule: str
    address: str
    value: str
    """Part of the bad value, which the finding's message names."""
    bad: dict[str, Any]
    good: dict[str, Any]


def _one(type_name: str, name: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return stack_json({type_name: {name: body}}, **kw)


def _policy_doc(actions: list[str], principals: list[dict[str, Any]] | None = None) -> Any:
    statement: dict[str, Any] = {"actions": actions, "resources": ["*"]}
    if principals:
        statement["principals"] = principals
    return {"aws_iam_policy_document": {"doc": {"statement": [statement]}}}


def _log_stack(principal: str, region: str, sse: str = "AES256") -> dict[str, Any]:
    kind = "Service" if "." in principal and not principal.startswith("arn:") else "AWS"
    return stack_json(
        {
            "aws_s3_bucket": {"logs": {"bucket": "my-log-bucket-1234"}},
            "aws_s3_bucket_policy": {
                "logs": {
                    "bucket": "${aws_s3_bucket.logs.id}",
                    "policy": "${data.aws_iam_policy_document.doc.json}",
                }
            },
            "aws_s3_bucket_server_side_encryption_configuration": {
                "logs": {
                    "bucket": "${aws_s3_bucket.logs.id}",
                    "rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": sse}}],
                }
            },
            "aws_lb": {
                "alb": {
                    "name": "alb",
                    "access_logs": {
                        "bucket": "${aws_s3_bucket_policy.logs.bucket}",
                        "enabled": True,
                    },
                }
            },
        },
        _policy_doc(["s3:PutObject"], [{"type": kind, "identifiers": [principal]}]),
        region=region,
    )


def _math_alarm(period: int, evaluation_periods: int) -> dict[str, Any]:
    """A metric math alarm: its period is that of its metrics."""
    metric = {"namespace": "N", "metric_name": "M", "stat": "Sum", "period": period}
    return {
        "evaluation_periods": evaluation_periods,
        "metric_query": [
            {"id": "m", "metric": metric, "return_data": False},
            {"id": "e", "expression": "m * 2", "return_data": True},
        ],
    }


def _capacity(
    weight: str | None = None,
    protection: str = "DISABLED",
    protect: bool = False,
    name: str = "nodes",
    target: int = 80,
) -> dict[str, Any]:
    override: dict[str, Any] = {"instance_type": "m5.large"}
    if weight is not None:
        override["weighted_capacity"] = weight
    return stack_json(
        {
            "aws_autoscaling_group": {
                "nodes": {
                    "name_prefix": "nodes",
                    "protect_from_scale_in": protect,
                    "mixed_instances_policy": {"launch_template": {"override": [override]}},
                }
            },
            "aws_ecs_capacity_provider": {
                "cp": {
                    "name": name,
                    "auto_scaling_group_provider": {
                        "auto_scaling_group_arn": "${aws_autoscaling_group.nodes.arn}",
                        "managed_termination_protection": protection,
                        "managed_scaling": {"status": "ENABLED", "target_capacity": target},
                    },
                }
            },
        }
    )


def _outpost(resources: dict[str, dict[str, dict[str, Any]]], **kw: Any) -> dict[str, Any]:
    return stack_json({"aws_subnet": SUBNETS, **resources}, **kw)


def _lb(subnets: list[str], pool: str | None = None, internal: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "alb", "internal": internal, "subnets": subnets}
    if pool:
        body["customer_owned_ipv4_pool"] = pool
    return {"aws_lb": {"alb": body}}


_O, _R = "${aws_subnet.outpost.id}", "${aws_subnet.regional.id}"
_COIP = {"aws_ec2_coip_pool": {"coip": {"local_gateway_route_table_id": "lgw-rtb-1"}}}


def _ebs(volume_type: str) -> dict[str, Any]:
    return _outpost(
        {
            "aws_launch_template": {
                "node": {"block_device_mappings": [{"ebs": {"volume_type": volume_type}}]}
            },
            "aws_autoscaling_group": {
                "nodes": {
                    "vpc_zone_identifier": [_O],
                    "launch_template": {"id": "${aws_launch_template.node.id}"},
                }
            },
        }
    )


def _service_principal_region() -> str:
    """A Region botocore knows that delivers access logs as the service principal."""
    return sorted(
        r for r, p in known_regions().items() if p == "aws" and r not in ELB_LOG_DELIVERY_ACCOUNTS
    )[0]


_OTHER = f"arn:aws:iam::{ELB_LOG_DELIVERY_ACCOUNTS['us-east-1']}:root"
_OWN = f"arn:aws:iam::{ELB_LOG_DELIVERY_ACCOUNTS['us-west-2']}:root"
_INLINE_BAD = json.dumps({"Statement": [{"Effect": "Allow", "Action": ["logs:PutLogEventz"]}]})
_INLINE_GOOD = json.dumps({"Statement": [{"Effect": "Allow", "Action": ["logs:PutLogEvents"]}]})

CASES = [
    Case(
        "names.iam",
        "aws_iam_role.r",
        "x" * 65,
        _one("aws_iam_role", "r", {"name": "x" * 65}),
        _one("aws_iam_role", "r", {"name": "x" * 64}),
    ),
    Case(
        "names.iam",
        "aws_iam_role.r",
        "p" * 39,
        _one("aws_iam_role", "r", {"name_prefix": "p" * 39}),
        _one("aws_iam_role", "r", {"name_prefix": "p" * 38}),
    ),
    Case(
        "names.iam",
        "aws_iam_role_policy.p",
        "${var.x}",
        _one("aws_iam_role_policy", "p", {"name": "${var.x}" + "y" * 129}),
        _one("aws_iam_role_policy", "p", {"name": "${var.x}" + "y" * 100}),
    ),
    Case(
        "names.iam",
        "aws_iam_instance_profile.i",
        "bad name",
        _one("aws_iam_instance_profile", "i", {"name": "bad name"}),
        _one("aws_iam_instance_profile", "i", {"name": "good-name"}),
    ),
    Case(
        "names.ecs",
        "aws_ecs_cluster.c",
        "my cluster",
        _one("aws_ecs_cluster", "c", {"name": "my cluster"}),
        _one("aws_ecs_cluster", "c", {"name": "my-cluster"}),
    ),
    Case(
        "names.ecs",
        "aws_ecs_task_definition.t",
        "fam.ily",
        _one("aws_ecs_task_definition", "t", {"family": "fam.ily"}),
        _one("aws_ecs_task_definition", "t", {"family": "family"}),
    ),
    Case(
        "names.kinesis",
        "aws_kinesis_stream.s",
        "a/b",
        _one("aws_kinesis_stream", "s", {"name": "a/b"}),
        _one("aws_kinesis_stream", "s", {"name": "a.b"}),
    ),
    Case(
        "names.ecr",
        "aws_ecr_repository.r",
        "Kinesis/Producer",
        _one("aws_ecr_repository", "r", {"name": "Kinesis/Producer"}),
        _one("aws_ecr_repository", "r", {"name": "kinesis/producer"}),
    ),
    Case(
        "names.codebuild",
        "aws_codebuild_project.p",
        "-build",
        _one("aws_codebuild_project", "p", {"name": "-build"}),
        _one("aws_codebuild_project", "p", {"name": "build"}),
    ),
    Case(
        "names.logs",
        "aws_cloudwatch_log_group.g",
        "my logs",
        _one("aws_cloudwatch_log_group", "g", {"name": "my logs"}),
        _one("aws_cloudwatch_log_group", "g", {"name": "/ecs/my-logs"}),
    ),
    Case(
        "names.cloudwatch",
        "aws_cloudwatch_dashboard.d",
        "dash.board",
        _one("aws_cloudwatch_dashboard", "d", {"dashboard_name": "dash.board"}),
        _one("aws_cloudwatch_dashboard", "d", {"dashboard_name": "dash-board"}),
    ),
    Case(
        "cloudwatch.alarm-period",
        "aws_cloudwatch_metric_alarm.a",
        "period 90 s",
        _one("aws_cloudwatch_metric_alarm", "a", {"period": 90, "evaluation_periods": 3}),
        _one("aws_cloudwatch_metric_alarm", "a", {"period": 120, "evaluation_periods": 3}),
    ),
    Case(
        "cloudwatch.alarm-period",
        "aws_cloudwatch_metric_alarm.a",
        "metric_query[0].metric.period 45 s",
        _one("aws_cloudwatch_metric_alarm", "a", _math_alarm(45, 10)),
        _one("aws_cloudwatch_metric_alarm", "a", _math_alarm(30, 10)),
    ),
    Case(
        "cloudwatch.alarm-window",
        "aws_cloudwatch_metric_alarm.a",
        "evaluation_periods 1441 of 60 s",
        _one("aws_cloudwatch_metric_alarm", "a", {"period": 60, "evaluation_periods": 1441}),
        _one("aws_cloudwatch_metric_alarm", "a", {"period": 60, "evaluation_periods": 1440}),
    ),
    Case(
        "cloudwatch.alarm-window",
        "aws_cloudwatch_metric_alarm.a",
        "allows at most 604800 s",
        _one("aws_cloudwatch_metric_alarm", "a", {"period": 3600, "evaluation_periods": 169}),
        _one("aws_cloudwatch_metric_alarm", "a", {"period": 3600, "evaluation_periods": 168}),
    ),
    Case(
        "cloudwatch.alarm-window",
        "aws_cloudwatch_metric_alarm.a",
        "evaluation_periods 2881 of 30 s",
        _one("aws_cloudwatch_metric_alarm", "a", _math_alarm(30, 2881)),
        _one("aws_cloudwatch_metric_alarm", "a", _math_alarm(30, 2880)),
    ),
    Case(
        "names.ec2",
        "aws_security_group.s",
        "sg-web",
        _one("aws_security_group", "s", {"name": "sg-web"}),
        _one("aws_security_group", "s", {"name": "web-sg"}),
    ),
    Case(
        "names.ec2",
        "aws_launch_template.t",
        "n" * 103,
        _one("aws_launch_template", "t", {"name_prefix": "n" * 103}),
        _one("aws_launch_template", "t", {"name_prefix": "ecs_node_"}),
    ),
    Case(
        "names.autoscaling",
        "aws_autoscaling_group.g",
        "a:b",
        _one("aws_autoscaling_group", "g", {"name": "a:b"}),
        _one("aws_autoscaling_group", "g", {"name": "a-b"}),
    ),
    Case(
        "names.elbv2",
        "aws_lb.l",
        "internal-alb",
        _one("aws_lb", "l", {"name": "internal-alb"}),
        _one("aws_lb", "l", {"name": "alb-internal"}),
    ),
    Case(
        "names.elbv2",
        "aws_lb_target_group.t",
        "t" * 33,
        _one("aws_lb_target_group", "t", {"name": "t" * 33}),
        _one("aws_lb_target_group", "t", {"name": "t" * 32}),
    ),
    Case(
        "names.s3",
        "aws_s3_bucket.b",
        "My_Bucket",
        _one("aws_s3_bucket", "b", {"bucket": "My_Bucket"}),
        _one("aws_s3_bucket", "b", {"bucket": "my-bucket"}),
    ),
    Case(
        "names.s3",
        "aws_s3_bucket.b",
        "192.168.5.4",
        _one("aws_s3_bucket", "b", {"bucket": "192.168.5.4"}),
        _one("aws_s3_bucket", "b", {"bucket": "192-168-5-4"}),
    ),
    Case(
        "iam.actions",
        "data.aws_iam_policy_document.doc",
        "ecs:DescribeClusterz",
        stack_json(data=_policy_doc(["ecs:DescribeClusterz"])),
        stack_json(data=_policy_doc(["ecs:DescribeClusters"])),
    ),
    Case(
        "iam.actions",
        "data.aws_iam_policy_document.doc",
        "s3:Gett*",
        stack_json(data=_policy_doc(["s3:Gett*"])),
        stack_json(data=_policy_doc(["s3:Get*", "logs:*", "sts:AssumeRole"])),
    ),
    Case(
        "iam.actions",
        "data.aws_iam_policy_document.doc",
        "kinesiss:PutRecords",
        stack_json(data=_policy_doc(["kinesiss:PutRecords"])),
        stack_json(data=_policy_doc(["kinesis:PutRecords"])),
    ),
    Case(
        "iam.actions",
        "aws_iam_role_policy.p",
        "PutLogEventz",
        _one("aws_iam_role_policy", "p", {"policy": _INLINE_BAD}),
        _one("aws_iam_role_policy", "p", {"policy": _INLINE_GOOD}),
    ),
    Case(
        "partition",
        "aws_iam_role_policy.p",
        "'aws'",
        _one(
            "aws_iam_role_policy",
            "p",
            {"policy": '{"Resource": "arn:aws:s3:::b"}'},
            region="cn-north-1",
        ),
        _one(
            "aws_iam_role_policy",
            "p",
            {"policy": '{"Resource": "arn:aws-cn:s3:::b"}'},
            region="cn-north-1",
        ),
    ),
    Case(
        "partition",
        "aws_ecs_task_definition.t",
        "amazonaws.com",
        _one(
            "aws_ecs_task_definition",
            "t",
            {"container_definitions": '[{"image": "1.dkr.ecr.cn-north-1.amazonaws.com/p:1"}]'},
            region="cn-north-1",
        ),
        _one(
            "aws_ecs_task_definition",
            "t",
            {"container_definitions": '[{"image": "1.dkr.ecr.cn-north-1.amazonaws.com.cn/p:1"}]'},
            region="cn-north-1",
        ),
    ),
    Case(
        "partition",
        "aws_iam_role.r",
        "'aws'",
        _one(
            "aws_iam_role",
            "r",
            {"name": "r", "permissions_boundary": "arn:aws:iam::111122223333:policy/b"},
            region="us-gov-west-1",
        ),
        _one(
            "aws_iam_role",
            "r",
            {"name": "r", "permissions_boundary": "arn:aws-us-gov:iam::111122223333:policy/b"},
            region="us-gov-west-1",
        ),
    ),
    Case(
        "elb.log-delivery-principal",
        "aws_s3_bucket.logs",
        _OTHER,
        _log_stack(_OTHER, "us-west-2"),
        _log_stack(_OWN, "us-west-2"),
    ),
    Case(
        "elb.log-delivery-principal",
        "aws_s3_bucket.logs",
        "logdelivery.elasticloadbalancing",
        _log_stack(_OWN, _service_principal_region()),
        _log_stack("logdelivery.elasticloadbalancing.amazonaws.com", _service_principal_region()),
    ),
    Case(
        "elb.log-bucket-sse-s3",
        "aws_s3_bucket_server_side_encryption_configuration.logs",
        "aws:kms",
        _log_stack(_OWN, "us-west-2", sse="aws:kms"),
        _log_stack(_OWN, "us-west-2"),
    ),
    Case(
        "capacity.no-instance-weights",
        "aws_autoscaling_group.nodes",
        "70",
        _capacity(weight="70"),
        _capacity(weight="1"),
    ),
    Case(
        "capacity.termination-protection",
        "aws_autoscaling_group.nodes",
        "protect_from_scale_in",
        _capacity(protection="ENABLED"),
        _capacity(protection="ENABLED", protect=True),
    ),
    Case(
        "capacity.reserved-prefix",
        "aws_ecs_capacity_provider.cp",
        "ECS_nodes",
        _capacity(name="ECS_nodes"),
        _capacity(name="nodes_ecs"),
    ),
    Case(
        "capacity.target-capacity",
        "aws_ecs_capacity_provider.cp",
        "101",
        _capacity(target=101),
        _capacity(target=100),
    ),
    Case(
        "outposts.alb-one-subnet",
        "aws_lb.alb",
        "2 subnets",
        _outpost(_lb([_O, _R])),
        _outpost(_lb([_O])),
    ),
    Case(
        "outposts.alb-coip-pool",
        "aws_lb.alb",
        "without customer_owned_ipv4_pool",
        stack_json({"aws_subnet": SUBNETS, **_lb([_O])}, _COIP),
        stack_json(
            {"aws_subnet": SUBNETS, **_lb([_O], pool="${data.aws_ec2_coip_pool.coip.pool_id}")},
            _COIP,
        ),
    ),
    Case(
        "outposts.alb-coip-pool",
        "aws_lb.alb",
        "outside an Outpost",
        _outpost(_lb([_R, _R], pool="ipv4pool-coip-1")),
        _outpost(_lb([_R, _R])),
    ),
    Case(
        "outposts.no-fargate",
        "aws_ecs_service.s",
        "aws_subnet.outpost",
        _outpost(
            {
                "aws_ecs_service": {
                    "s": {"launch_type": "FARGATE", "network_configuration": {"subnets": [_O]}}
                }
            }
        ),
        _outpost(
            {
                "aws_ecs_service": {
                    "s": {"launch_type": "FARGATE", "network_configuration": {"subnets": [_R]}}
                }
            }
        ),
    ),
    Case("outposts.ebs-volume-type", "aws_launch_template.node", "gp3", _ebs("gp3"), _ebs("gp2")),
    Case(
        "fargate.task-size",
        "aws_ecs_task_definition.t",
        "memory 4096",
        _one(
            "aws_ecs_task_definition",
            "t",
            {
                "family": "t",
                "requires_compatibilities": ["FARGATE"],
                "cpu": "256",
                "memory": "4096",
            },
        ),
        _one(
            "aws_ecs_task_definition",
            "t",
            {
                "family": "t",
                "requires_compatibilities": ["FARGATE"],
                "cpu": "256",
                "memory": "2048",
            },
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.value[:24]}")
def test_a_stack_that_breaks_the_rule_is_refused(case: Case) -> None:
    found = findings(case.bad, case.rule)
    assert found, f"{case.rule} found nothing"
    assert {f.rule for f in found} == {case.rule}
    assert any(f.address == case.address and case.value in f.message for f in found), found


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.value[:24]}")
def test_the_stack_put_right_is_accepted(case: Case) -> None:
    assert findings(case.good, case.rule) == []


def test_every_rule_has_a_case() -> None:
    from rules import RULES

    assert sorted(RULES) == sorted({case.rule for case in CASES})
