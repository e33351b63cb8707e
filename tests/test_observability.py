"""The CloudWatch dashboard and alarms of the deployment (modules/observability.py)."""

from __future__ import annotations

from typing import Any

import pytest

from modules.observability import SPOOL_MAX_AGE_SECONDS, Observability, dashboard_name
from tests.conftest import ROOT
from tests.support import json_document, resources, synth_deployment, synthesize, terraform_load
from variables import RootVariables
from vars_file import load_variables

ALB = "${aws_lb.producer-outposts-ecs-alb_alb.arn_suffix}"
TARGET_GROUP = "${aws_lb_target_group.producer-outposts-ecs-alb_ecs_alb_tg_port-1.arn_suffix}"
STREAM = "${aws_kinesis_stream.test_stream.name}"
CLUSTER = "${aws_ecs_cluster.producer-outposts-ecs-alb_ecs-cluster.name}"
SERVICE = "${aws_ecs_service.producer-outposts-ecs-alb_service.name}"
PREFIX = "outposts-AoD-challenge-outposts-AoD"
TOPIC = "arn:aws:sns:us-west-2:111122223333:ops-alarms"
ALARMS = (
    "alb-target-5xx",
    "unhealthy-hosts-port-1",
    "kinesis-write-throttled",
    "ecs-tasks-below-desired",
    "producer-records-lost",
    "producer-records-refused",
    "producer-spool-filling",
    "producer-spool-stale",
)
# The spool of the sample deployment (on an Outpost, by default): 1024 MiB a task.
SPOOL_MAX_BYTES = 1024 * 2**20


@pytest.fixture(scope="module")
def notified(sample_vars: dict[str, Any]) -> dict[str, Any]:
    """Alarms notify a topic; no dashboard; Container Insights off."""
    return synth_deployment(
        {
            **sample_vars,
            "alarm_sns_topic_arn": TOPIC,
            "enable_dashboard": False,
            "ecs_container_insights": "disabled",
        }
    )


def _body(synthesized: dict[str, Any]) -> dict[str, Any]:
    (dashboard,) = resources(synthesized, "aws_cloudwatch_dashboard").values()
    body: dict[str, Any] = json_document(dashboard["dashboard_body"])
    return body


def _metrics(synthesized: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, str]]:
    """The dimensions of every metric line of the dashboard, by (namespace, name, stat)."""
    found = {}
    for widget in _body(synthesized)["widgets"]:
        if widget["type"] != "metric":
            continue
        for line in widget["properties"]["metrics"]:
            options = line[-1] if isinstance(line[-1], dict) else {}
            names = [part for part in line if not isinstance(part, dict)]
            namespace, metric, dimensions = names[0], names[1], names[2:]
            key = (namespace, metric, options.get("stat", ""))
            found[key] = dict(zip(dimensions[::2], dimensions[1::2], strict=True))
    return found


def _alarms(synthesized: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        block["alarm_name"].removeprefix(f"{PREFIX}-"): block
        for block in resources(synthesized, "aws_cloudwatch_metric_alarm").values()
    }


def test_dashboard_name_is_an_output(deployment: dict[str, Any]) -> None:
    (dashboard,) = resources(deployment, "aws_cloudwatch_dashboard").values()
    assert dashboard["dashboard_name"] == f"{PREFIX}-producer"
    assert deployment["output"]["dashboard_name"]["value"] == (
        "${aws_cloudwatch_dashboard.observability_dashboard.dashboard_name}"
    )
    variables = load_variables(ROOT / "vars" / "test.tfvars.json")
    assert variables.dashboard_name == dashboard_name(variables.name_prefix)


def test_dashboard_shows_the_articles_four_metrics(deployment: dict[str, Any]) -> None:
    metrics = _metrics(deployment)
    assert metrics[("AWS/ApplicationELB", "RequestCount", "Sum")] == {"LoadBalancer": ALB}
    assert metrics[("AWS/ApplicationELB", "TargetResponseTime", "Average")] == {"LoadBalancer": ALB}
    assert metrics[("AWS/Kinesis", "IncomingBytes", "Sum")] == {"StreamName": STREAM}
    assert metrics[("AWS/Kinesis", "PutRecord.Latency", "Average")] == {"StreamName": STREAM}


def test_dashboard_shows_what_explains_them(deployment: dict[str, Any]) -> None:
    metrics = _metrics(deployment)
    target = {"TargetGroup": TARGET_GROUP, "LoadBalancer": ALB}
    service = {"ClusterName": CLUSTER, "ServiceName": SERVICE}
    expected = {
        ("AWS/ApplicationELB", "TargetResponseTime", "p99"): {"LoadBalancer": ALB},
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum"): {"LoadBalancer": ALB},
        ("AWS/Kinesis", "PutRecords.Latency", "Average"): {"StreamName": STREAM},
        ("AWS/Kinesis", "WriteProvisionedThroughputExceeded", "Sum"): {"StreamName": STREAM},
        ("AWS/ApplicationELB", "HealthyHostCount", "Minimum"): target,
        ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum"): target,
        ("AWS/ECS", "CPUUtilization", "Average"): service,
        ("AWS/ECS", "MemoryUtilization", "Average"): service,
        ("ECS/ContainerInsights", "RunningTaskCount", "Average"): service,
        ("ECS/ContainerInsights", "DesiredTaskCount", "Average"): service,
        ("KinesisProducer", "SpoolBytes", "Maximum"): {"StreamName": STREAM},
        ("KinesisProducer", "RecordsSpooled", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "RecordsReplayed", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "SpoolOldestRecordAge", "Maximum"): {"StreamName": STREAM},
        ("KinesisProducer", "UserRecordsReceived", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "UserRecordsPut", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "UserRecordsPending", "Maximum"): {"StreamName": STREAM},
        ("KinesisProducer", "RecordsLost", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "RecordsUnconfirmed", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "UserRecordsFailed", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "RecordsRefused", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "Retries", "Sum"): {"StreamName": STREAM},
        ("KinesisProducer", "BufferingTime", "Average"): {"StreamName": STREAM},
        ("KinesisProducer", "PutRecordsLatency", "Average"): {"StreamName": STREAM},
    }
    for key, dimensions in expected.items():
        assert metrics[key] == dimensions, key
    assert len(metrics) == 4 + len(expected)


def test_dashboard_layout_and_alarm_widget(deployment: dict[str, Any]) -> None:
    widgets = _body(deployment)["widgets"]
    assert len(widgets) == 13
    places = [(w["x"], w["y"], w["width"], w["height"]) for w in widgets]
    assert places == [((i % 2) * 12, (i // 2) * 6, 12, 6) for i in range(13)]
    for widget in widgets[:-1]:
        properties = widget["properties"]
        assert (properties["region"], properties["period"]) == ("us-west-2", 60)
        assert properties["view"] == "timeSeries"
    alarm_widget = widgets[-1]
    assert alarm_widget["type"] == "alarm"
    assert alarm_widget["properties"]["alarms"] == [
        f"${{aws_cloudwatch_metric_alarm.observability_alarm_{key}.arn}}" for key in ALARMS
    ]


def test_alarms(deployment: dict[str, Any]) -> None:
    alarms = _alarms(deployment)
    assert sorted(alarms) == sorted(ALARMS)
    simple = {
        "alb-target-5xx": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 5, 3),
        "unhealthy-hosts-port-1": ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 3, 3),
        "kinesis-write-throttled": (
            "AWS/Kinesis",
            "WriteProvisionedThroughputExceeded",
            "Sum",
            5,
            3,
        ),
        "producer-records-lost": ("KinesisProducer", "RecordsLost", "Sum", 1, 1),
        "producer-records-refused": ("KinesisProducer", "RecordsRefused", "Sum", 5, 5),
        "producer-spool-filling": ("KinesisProducer", "SpoolBytes", "Maximum", 5, 3),
        "producer-spool-stale": ("KinesisProducer", "SpoolOldestRecordAge", "Maximum", 1, 1),
    }
    thresholds = {
        "producer-spool-filling": SPOOL_MAX_BYTES // 2,
        "producer-spool-stale": SPOOL_MAX_AGE_SECONDS,
    }
    for key, (namespace, metric, statistic, periods, datapoints) in simple.items():
        alarm = alarms[key]
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (
            namespace,
            metric,
            statistic,
        ), key
        assert (alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (
            60,
            periods,
            datapoints,
        ), key
        threshold = thresholds.get(key, 0)
        assert (alarm["comparison_operator"], alarm["threshold"]) == (
            "GreaterThanThreshold",
            threshold,
        ), key
        assert alarm["treat_missing_data"] == "notBreaching", key
        # No topic given: the alarms change state without notifying anyone.
        assert "alarm_actions" not in alarm and "ok_actions" not in alarm, key
        assert alarm["tags"]["Project"] == "outposts-AoD"
    assert alarms["alb-target-5xx"]["dimensions"] == {"LoadBalancer": ALB}
    assert alarms["unhealthy-hosts-port-1"]["dimensions"] == {
        "TargetGroup": TARGET_GROUP,
        "LoadBalancer": ALB,
    }
    assert alarms["kinesis-write-throttled"]["dimensions"] == {"StreamName": STREAM}
    for key in (
        "producer-records-lost",
        "producer-records-refused",
        "producer-spool-filling",
        "producer-spool-stale",
    ):
        assert alarms[key]["dimensions"] == {"StreamName": STREAM}, key


def test_running_below_desired_alarm(deployment: dict[str, Any]) -> None:
    alarm = _alarms(deployment)["ecs-tasks-below-desired"]
    queries = {query["id"]: query for query in alarm["metric_query"]}
    service = {"ClusterName": CLUSTER, "ServiceName": SERVICE}
    for query_id, metric in (("desired", "DesiredTaskCount"), ("running", "RunningTaskCount")):
        assert queries[query_id]["metric"] == {
            "namespace": "ECS/ContainerInsights",
            "metric_name": metric,
            "dimensions": service,
            "stat": "Average",
            "period": 60,
        }
        assert queries[query_id]["return_data"] is False
    assert queries["missing"]["expression"] == "desired - running"
    assert queries["missing"]["return_data"] is True
    assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (10, 10)
    assert "namespace" not in alarm and "metric_name" not in alarm


def test_alarms_notify_the_topic(notified: dict[str, Any]) -> None:
    alarms = _alarms(notified)
    # Without Container Insights there is no task count to compare.
    assert sorted(alarms) == sorted(set(ALARMS) - {"ecs-tasks-below-desired"})
    for key, alarm in alarms.items():
        assert alarm["alarm_actions"] == [TOPIC], key
        assert alarm["ok_actions"] == [TOPIC], key
    assert not resources(notified, "aws_cloudwatch_dashboard")
    assert "dashboard_name" not in notified["output"]
    terraform_load(notified)


def test_one_unhealthy_hosts_alarm_per_target_group() -> None:
    built = synthesize(
        lambda stack: Observability(
            stack,
            "observability",
            name_prefix="p",
            region="eu-west-1",
            load_balancer="app/alb/1",
            target_groups={"http": "targetgroup/a/1", "admin": "targetgroup/b/2"},
            cluster_name="c",
            service_name="s",
            stream_name="k",
            tags={},
            dashboard=False,
        )
    ).built
    assert built.alarm_names == {
        "alb-target-5xx": "p-alb-target-5xx",
        "unhealthy-hosts-http": "p-unhealthy-hosts-http",
        "unhealthy-hosts-admin": "p-unhealthy-hosts-admin",
        "kinesis-write-throttled": "p-kinesis-write-throttled",
        "ecs-tasks-below-desired": "p-ecs-tasks-below-desired",
        "producer-records-lost": "p-producer-records-lost",
        "producer-records-refused": "p-producer-records-refused",
    }  # no spool_max_bytes: no spool alarms
    assert built.dashboard_name is None


def test_dashboard_name_is_checked() -> None:
    with pytest.raises(ValueError, match=r"name_prefix: dashboard name 'a\.b-producer'"):
        synthesize(
            lambda stack: Observability(
                stack,
                "observability",
                name_prefix="a.b",
                region="eu-west-1",
                load_balancer="app/alb/1",
                target_groups={},
                cluster_name="c",
                service_name="s",
                stream_name="k",
                tags={},
            )
        )


def test_root_names_the_dashboard_after_the_vpc_and_project() -> None:
    variables = load_variables(ROOT / "vars" / "test.tfvars.json")
    assert isinstance(variables, RootVariables)
    assert variables.name_prefix == PREFIX
    assert variables.dashboard_name == f"{PREFIX}-producer"
