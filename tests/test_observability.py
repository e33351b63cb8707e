"""The CloudWatch dashboard and alarms of the deployment (modules/observability.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modules.observability import (
    CAPACITY_PROVIDER_RESERVATION_PERCENT,
    OUTPOST_CAPACITY_PERCENT,
    OUTPOST_LINK_DOWN_MINUTES,
    SPOOL_MAX_AGE_SECONDS,
    Observability,
    dashboard_name,
    outpost_id,
)
from tests.conftest import ROOT
from tests.support import json_document, resources, synth_deployment, synthesize, terraform_load
from variables import RootVariables
from vars_file import load_variables

ALB = "${aws_lb.producer-outposts-ecs-alb_alb.arn_suffix}"
TARGET_GROUP = "${aws_lb_target_group.producer-outposts-ecs-alb_ecs_alb_tg_port-1.arn_suffix}"
STREAM = "${aws_kinesis_stream.test_stream.name}"
CLUSTER = "${aws_ecs_cluster.producer-outposts-ecs-alb_ecs-cluster.name}"
SERVICE = "${aws_ecs_service.producer-outposts-ecs-alb_service.name}"
CAPACITY_PROVIDER = "${aws_ecs_capacity_provider.producer-outposts-ecs-alb_capacity_provider.name}"
# The Outpost of vars/test.tfvars.json and the instance types of its Auto Scaling group.
OUTPOST_ID = "op-0123456789abcdef0"
INSTANCE_TYPES = ("m5.2xlarge", "c5.2xlarge", "r5.2xlarge")
# The deployment "test" (vars/test.tfvars.json): its prefix, then the VPC's name and the project.
PREFIX = "test-outposts-AoD-challenge-outposts-AoD"
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
    "outpost-link-down",
    *(f"outpost-capacity-{instance_type}" for instance_type in INSTANCE_TYPES),
    "capacity-provider-reservation",
)
# The alarms of the Outpost and of the capacity provider, by namespace and metric.
OUTPOST_ALARMS = {
    "outpost-link-down": ("AWS/Outposts", "ConnectedStatus"),
    **{
        f"outpost-capacity-{instance_type}": ("AWS/Outposts", "InstanceTypeCapacityUtilization")
        for instance_type in INSTANCE_TYPES
    },
    "capacity-provider-reservation": ("AWS/ECS/ManagedScaling", "CapacityProviderReservation"),
}
# The spool of the sample deployment (on an Outpost, by default): 1024 MiB a task.
SPOOL_MAX_BYTES = 1024 * 2**20


@pytest.fixture(scope="module")
def notified(sample_vars: dict[str, Any]) -> dict[str, Any]:
    """Alarms notify a topic; no dashboard; Container Insights off; thresholds of its own."""
    return synth_deployment(
        {
            **sample_vars,
            "alarm_sns_topic_arn": TOPIC,
            "enable_dashboard": False,
            "ecs_container_insights": "disabled",
            "outpost_link_down_minutes": 12,
            "outpost_capacity_utilization_percent": 95,
            "capacity_provider_reservation_percent": 150,
        }
    )


@pytest.fixture(scope="module")
def silent(sample_vars: dict[str, Any]) -> dict[str, Any]:
    """The sample without alarms (``enable_alarms: false``), its dashboard kept."""
    return synth_deployment({**sample_vars, "enable_alarms": False})


@pytest.fixture(scope="module")
def shared_outpost(sample_vars: dict[str, Any]) -> dict[str, Any]:
    """The sample on an Outpost shared with the account (``enable_outpost_alarms: false``)."""
    return synth_deployment({**sample_vars, "enable_outpost_alarms": False})


@pytest.fixture(scope="module")
def region(synthesized: tuple[Path, str]) -> dict[str, Any]:
    """vars/region.tfvars.json (Region mode, on Fargate) from the session's synth of every
    vars file."""
    outdir, _ = synthesized
    document: dict[str, Any] = json.loads(
        (outdir / "stacks" / "region" / "cdk.tf.json").read_text()
    )
    return document


def _body(synthesized: dict[str, Any]) -> dict[str, Any]:
    (dashboard,) = resources(synthesized, "aws_cloudwatch_dashboard").values()
    body: dict[str, Any] = json_document(dashboard["dashboard_body"])
    return body


def _lines(synthesized: dict[str, Any]) -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """Every metric line of the dashboard: namespace, name, dimensions and options."""
    found = []
    for widget in _body(synthesized)["widgets"]:
        if widget["type"] != "metric":
            continue
        for line in widget["properties"]["metrics"]:
            options = line[-1] if isinstance(line[-1], dict) else {}
            names = [part for part in line if not isinstance(part, dict)]
            namespace, metric, dimensions = names[0], names[1], names[2:]
            pairs = dict(zip(dimensions[::2], dimensions[1::2], strict=True))
            found.append((namespace, metric, pairs, options))
    return found


def _metrics(synthesized: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, str]]:
    """The dimensions of every metric line of the dashboard, by (namespace, name, stat)."""
    return {
        (namespace, metric, options.get("stat", "")): dimensions
        for namespace, metric, dimensions, options in _lines(synthesized)
    }


def _namespaces(synthesized: dict[str, Any]) -> set[str]:
    """The namespaces of the dashboard's lines and of the alarms."""
    alarms = resources(synthesized, "aws_cloudwatch_metric_alarm").values()
    return {line[0] for line in _lines(synthesized)} | {a.get("namespace", "") for a in alarms}


def _alarms(synthesized: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The alarms by key: their names without the deployment's prefix, which the name of
    ``alb-target-5xx`` (there in every deployment with alarms) shows."""
    blocks = resources(synthesized, "aws_cloudwatch_metric_alarm").values()
    (first,) = [b["alarm_name"] for b in blocks if b["alarm_name"].endswith("-alb-target-5xx")]
    prefix = first.removesuffix("alb-target-5xx")
    return {block["alarm_name"].removeprefix(prefix): block for block in blocks}


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
        ("AWS/Outposts", "ConnectedStatus", "Average"): {"OutpostId": OUTPOST_ID},
        ("AWS/ECS/ManagedScaling", "CapacityProviderReservation", "Average"): {
            "ClusterName": CLUSTER,
            "CapacityProviderName": CAPACITY_PROVIDER,
        },
    }
    for key, dimensions in expected.items():
        assert metrics[key] == dimensions, key
    # The capacity lines (one an instance type, one key here): see the next test.
    capacity = ("AWS/Outposts", "InstanceTypeCapacityUtilization", "Average")
    assert set(metrics) - set(expected) - {capacity} == {
        ("AWS/ApplicationELB", "RequestCount", "Sum"),
        ("AWS/ApplicationELB", "TargetResponseTime", "Average"),
        ("AWS/Kinesis", "IncomingBytes", "Sum"),
        ("AWS/Kinesis", "PutRecord.Latency", "Average"),
    }


def test_dashboard_shows_the_outpost_and_the_capacity_provider(
    deployment: dict[str, Any],
) -> None:
    widgets = {w["properties"]["title"]: w for w in _body(deployment)["widgets"]}
    link = widgets["Outpost service link (ConnectedStatus: 1 connected, below 1 impaired)"]
    assert link["properties"]["metrics"] == [
        ["AWS/Outposts", "ConnectedStatus", "OutpostId", OUTPOST_ID, {"stat": "Average"}]
    ]
    capacity = widgets[
        "Outpost capacity in use by instance type (InstanceTypeCapacityUtilization, %)"
    ]
    # One line an instance type of the group, at the metric's five-minute resolution.
    assert capacity["properties"]["metrics"] == [
        [
            "AWS/Outposts",
            "InstanceTypeCapacityUtilization",
            "OutpostId",
            OUTPOST_ID,
            "InstanceType",
            instance_type,
            {"stat": "Average", "period": 300, "label": instance_type},
        ]
        for instance_type in INSTANCE_TYPES
    ]
    (reservation,) = [w for title, w in widgets.items() if "CapacityProviderReservation" in title]
    assert reservation["properties"]["metrics"] == [
        [
            "AWS/ECS/ManagedScaling",
            "CapacityProviderReservation",
            "ClusterName",
            CLUSTER,
            "CapacityProviderName",
            CAPACITY_PROVIDER,
            {"stat": "Average"},
        ]
    ]


def test_dashboard_layout_and_alarm_widget(deployment: dict[str, Any]) -> None:
    widgets = _body(deployment)["widgets"]
    assert len(widgets) == 16
    places = [(w["x"], w["y"], w["width"], w["height"]) for w in widgets]
    assert places == [((i % 2) * 12, (i // 2) * 6, 12, 6) for i in range(16)]
    for widget in widgets[:-1]:
        properties = widget["properties"]
        assert (properties["region"], properties["period"]) == ("us-west-2", 60)
        assert properties["view"] == "timeSeries"
    alarm_widget = widgets[-1]
    assert alarm_widget["type"] == "alarm"
    # Terraform addresses have no dots: m5.2xlarge's alarm is ..._outpost-capacity-m5_2xlarge.
    assert alarm_widget["properties"]["alarms"] == [
        f"${{aws_cloudwatch_metric_alarm.observability_alarm_{key.replace('.', '_')}.arn}}"
        for key in ALARMS
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


def test_outpost_and_capacity_provider_alarms(deployment: dict[str, Any]) -> None:
    alarms = _alarms(deployment)
    for key, (namespace, metric) in OUTPOST_ALARMS.items():
        alarm = alarms[key]
        assert alarm["alarm_name"] == f"{PREFIX}-{key}"
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (
            namespace,
            metric,
            "Average",
        ), key
        assert alarm["tags"]["Project"] == "outposts-AoD"
    link = alarms["outpost-link-down"]
    assert link["dimensions"] == {"OutpostId": OUTPOST_ID}
    # Down for 5 minutes in a row; no data (the link may take the metric with it) is down.
    assert (link["period"], link["evaluation_periods"], link["datapoints_to_alarm"]) == (60, 5, 5)
    assert (link["comparison_operator"], link["threshold"]) == ("LessThanThreshold", 1)
    assert link["treat_missing_data"] == "breaching"
    for instance_type in INSTANCE_TYPES:
        capacity = alarms[f"outpost-capacity-{instance_type}"]
        assert capacity["dimensions"] == {"OutpostId": OUTPOST_ID, "InstanceType": instance_type}
        assert (
            capacity["period"],
            capacity["evaluation_periods"],
            capacity["datapoints_to_alarm"],
        ) == (300, 3, 3)
        assert (capacity["comparison_operator"], capacity["threshold"]) == (
            "GreaterThanOrEqualToThreshold",
            80,
        )
        assert capacity["treat_missing_data"] == "notBreaching"
    reservation = alarms["capacity-provider-reservation"]
    assert reservation["dimensions"] == {
        "ClusterName": CLUSTER,
        "CapacityProviderName": CAPACITY_PROVIDER,
    }
    assert (
        reservation["period"],
        reservation["evaluation_periods"],
        reservation["datapoints_to_alarm"],
    ) == (60, 15, 15)
    assert (reservation["comparison_operator"], reservation["threshold"]) == (
        "GreaterThanThreshold",
        100,
    )
    assert reservation["treat_missing_data"] == "notBreaching"


def test_the_thresholds_are_the_vars_files(notified: dict[str, Any]) -> None:
    alarms = _alarms(notified)
    link = alarms["outpost-link-down"]
    assert (link["evaluation_periods"], link["datapoints_to_alarm"]) == (12, 12)
    assert "12 minutes" in link["alarm_description"]
    for instance_type in INSTANCE_TYPES:
        assert alarms[f"outpost-capacity-{instance_type}"]["threshold"] == 95
    assert alarms["capacity-provider-reservation"]["threshold"] == 150


def test_the_construct_defaults_are_the_variables() -> None:
    defaults = RootVariables.__pydantic_fields__  # type: ignore[attr-defined]
    assert defaults["outpost_link_down_minutes"].default == OUTPOST_LINK_DOWN_MINUTES
    assert defaults["outpost_capacity_utilization_percent"].default == OUTPOST_CAPACITY_PERCENT
    assert (
        defaults["capacity_provider_reservation_percent"].default
        == CAPACITY_PROVIDER_RESERVATION_PERCENT
    )


def test_without_alarms_the_dashboard_stays(silent: dict[str, Any]) -> None:
    assert not resources(silent, "aws_cloudwatch_metric_alarm")
    widgets = _body(silent)["widgets"]
    # The same metric widgets as with alarms, and no alarm widget.
    assert [w["type"] for w in widgets] == ["metric"] * 15
    assert ("AWS/Outposts", "ConnectedStatus", "Average") in _metrics(silent)
    assert silent["output"]["dashboard_name"]["value"] == (
        "${aws_cloudwatch_dashboard.observability_dashboard.dashboard_name}"
    )
    (service,) = resources(silent, "aws_ecs_service").values()
    assert "alarms" not in service
    terraform_load(silent)


def test_an_outpost_shared_with_the_account_has_no_alarm_on_its_metrics(
    shared_outpost: dict[str, Any], deployment: dict[str, Any]
) -> None:
    # Its AWS/Outposts metrics go to the owner account: every other alarm stays, the
    # capacity provider's included, and so does the dashboard.
    on_its_metrics = {key for key, (ns, _) in OUTPOST_ALARMS.items() if ns == "AWS/Outposts"}
    assert len(on_its_metrics) == 1 + len(INSTANCE_TYPES)
    assert sorted(_alarms(shared_outpost)) == sorted(set(ALARMS) - on_its_metrics)
    alarms = resources(shared_outpost, "aws_cloudwatch_metric_alarm").values()
    assert "AWS/Outposts" not in {alarm.get("namespace") for alarm in alarms}
    assert _lines(shared_outpost) == _lines(deployment)
    (service,) = resources(shared_outpost, "aws_ecs_service").values()
    (with_them,) = resources(deployment, "aws_ecs_service").values()
    assert service.get("alarms") == with_them.get("alarms")


def test_region_mode_has_no_outpost_rows(region: dict[str, Any]) -> None:
    # Fargate: no Outpost, and no capacity provider of the stack's own.
    alarms = _alarms(region)
    assert sorted(alarms) == sorted(set(ALARMS) - set(OUTPOST_ALARMS))
    assert not {"AWS/Outposts", "AWS/ECS/ManagedScaling"} & _namespaces(region)


def _observability(**options: Any) -> Observability:
    return synthesize(
        lambda stack: Observability(
            stack,
            "observability",
            name_prefix="p",
            region="eu-west-1",
            load_balancer="app/alb/1",
            target_groups={},
            cluster_name="c",
            service_name="s",
            stream_name="k",
            tags={},
            **options,
        )
    ).built


def test_a_region_deployment_on_ec2_watches_the_capacity_provider_only() -> None:
    built = _observability(instance_types=["m5.large"], capacity_provider_name="cp")
    assert "capacity-provider-reservation" in built.alarm_names
    assert not [key for key in built.alarm_names if key.startswith("outpost-")]


def test_an_outpost_group_of_unknown_types_has_the_link_alarm_only() -> None:
    # An imported launch template and no overrides: the group's types are not known.
    built = _observability(outpost_id=OUTPOST_ID, dashboard=False)
    assert [key for key in built.alarm_names if key.startswith("outpost-")] == ["outpost-link-down"]
    assert "capacity-provider-reservation" not in built.alarm_names


def test_the_outpost_id_is_the_arns_last_part() -> None:
    assert outpost_id(load_variables(ROOT / "vars" / "test.tfvars.json").outposts_arn) == (
        OUTPOST_ID
    )
    assert outpost_id("") == ""


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


def test_root_names_the_dashboard_after_the_deployment_vpc_and_project() -> None:
    variables = load_variables(ROOT / "vars" / "test.tfvars.json")
    assert isinstance(variables, RootVariables)
    assert variables.name_prefix == PREFIX
    assert variables.dashboard_name == f"{PREFIX}-producer"
