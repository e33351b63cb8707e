"""The deployment's CloudWatch dashboard and alarms (not in the sample).

The article checks a deployment end to end with four metrics: the load balancer's
``RequestCount`` and ``TargetResponseTime`` (``AWS/ApplicationELB``) and the stream's
``IncomingBytes`` and ``PutRecord.Latency`` (``AWS/Kinesis``). :class:`Observability` puts them
on one dashboard with what explains them, and raises alarms on what needs a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

# The dashboard's name and CloudWatch's rule for it, shared with the root variables' check.
from modules.alarm_names import ALB_TARGET_5XX, alarm_name, unhealthy_hosts
from modules.rendering import json_document
from modules.validation import DASHBOARD_NAME, check_dashboard_name, dashboard_name

__all__ = ["DASHBOARD_NAME", "Observability", "dashboard_name"]

ALB_NAMESPACE = "AWS/ApplicationELB"
KINESIS_NAMESPACE = "AWS/Kinesis"
ECS_NAMESPACE = "AWS/ECS"
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
# What the producer publishes itself (embedded metric format log lines,
# producer/kinesis/metrics.py), per task and minute, by stream; a test checks the two agree.
PRODUCER_NAMESPACE = "KinesisProducer"
PRODUCER_METRICS = (
    "UserRecordsReceived",
    "UserRecordsPut",
    "KinesisRecordsPut",
    "UserRecordsFailed",
    "RecordsRefused",
    "Retries",
    "RecordsSpooled",
    "RecordsReplayed",
    "RecordsLost",
    "RecordsUnconfirmed",
    "UserRecordsPending",
    "SpoolBytes",
    "SpoolOldestRecordAge",
    "BufferingTime",
    "PutRecordsLatency",
)
# A spool over this share of its bound has waited minutes for Kinesis; full, it refuses.
SPOOL_ALARM_SHARE = 0.5
# Seconds the oldest spooled record may wait before it needs a person: Kinesis has been out of
# reach (or refusing) that long, and the records' consumers are that far behind.
SPOOL_MAX_AGE_SECONDS = 900

# Grid of the dashboard: two widgets a row, each half the 24-unit width.
_WIDTH, _HEIGHT = 12, 6
# Seconds per data point of the widgets and alarms.
PERIOD = 60


def _metric(namespace: str, name: str, dimensions: Mapping[str, str], **options: str) -> list[Any]:
    """A metric line of a dashboard widget: namespace, name, dimension pairs, options."""
    line: list[Any] = [namespace, name]
    for key, value in dimensions.items():
        line += [key, value]
    return [*line, options] if options else line


class Observability(Construct):
    """CloudWatch dashboard and alarms of the producer service, its load balancer and stream.

    Dashboard ``<name_prefix>-producer`` (when ``dashboard``), one widget a row-half, every
    metric at one-minute resolution in ``region``:

    - ALB requests: ``RequestCount`` and ``HTTPCode_Target_5XX_Count`` (sums);
    - ALB target response time: ``TargetResponseTime`` (average and p99);
    - Kinesis incoming bytes: ``IncomingBytes`` (sum);
    - Kinesis put latency: ``PutRecord.Latency`` and ``PutRecords.Latency`` (averages);
    - Kinesis write throttling: ``WriteProvisionedThroughputExceeded`` (sum);
    - ALB target health: ``HealthyHostCount`` (minimum) and ``UnHealthyHostCount`` (maximum)
      of every target group;
    - ECS service CPU and memory: ``CPUUtilization`` and ``MemoryUtilization`` of the service
      (``AWS/ECS``, averages);
    - with ``container_insights``, ECS tasks: ``RunningTaskCount`` and ``DesiredTaskCount``
      (``ECS/ContainerInsights``);
    - the state of every alarm below.

    Alarms, named ``<name_prefix>-<what>``, each notifying ``alarm_topic_arn`` on alarm and on
    recovery when it is set (else they only change state, on the console and the dashboard):

    - ``alb-target-5xx``: the targets answered 5xx in 3 of the last 5 minutes;
    - ``unhealthy-hosts-<listener key>``: a target of that group was unhealthy for 3 minutes
      in a row;
    - ``kinesis-write-throttled``: the stream refused writes for lack of capacity in 3 of the
      last 5 minutes (more shards, or ON_DEMAND);
    - ``ecs-tasks-below-desired`` (with ``container_insights``, whose metrics it reads):
      fewer tasks ran than desired for 10 minutes in a row (tasks failing to start, or no
      room for them on the instances);
    - ``producer-records-lost``: a producer task lost records it had answered 200 for
      (``RecordsLost``, published by the producer);
    - ``producer-records-refused``: the producer tasks refused records (``RecordsRefused``:
      back-pressure, overload, Kinesis unreachable or refusing, a full spool) in each of the
      last 5 minutes;
    - ``producer-spool-filling`` (with ``spool_max_bytes``): a task's disk spool held more
      than half its bound in 3 of the last 5 minutes (Kinesis out of reach: the service link?);
    - ``producer-spool-stale`` (with ``spool_max_bytes``): a task's oldest spooled record was
      older than ``spool_max_age_seconds`` (``SpoolOldestRecordAge``, maximum).

    The dashboard also shows the producer's own metrics (published by it, by stream): user
    records received and put (sums) and pending (maximum); lost, unconfirmed, failed, refused
    and retried (sums); buffering time and ``PutRecords`` latency (averages, ms). With
    ``spool_max_bytes``, its disk spool (``SpoolBytes`` and ``SpoolOldestRecordAge``, maximum
    of the tasks; ``RecordsSpooled`` and ``RecordsReplayed``, sums).

    Minutes without data count as fine for the first three: no requests, no errors.
    """

    dashboard_name: str | None
    alarm_names: dict[str, str]
    alarm_arns: dict[str, str]

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name_prefix: str,
        region: str,
        load_balancer: str,
        target_groups: Mapping[str, str],
        cluster_name: str,
        service_name: str,
        stream_name: str,
        tags: Mapping[str, str],
        alarm_topic_arn: str = "",
        dashboard: bool = True,
        container_insights: bool = True,
        spool_max_bytes: int = 0,
        spool_max_age_seconds: int = SPOOL_MAX_AGE_SECONDS,
    ) -> None:
        """``load_balancer`` and ``target_groups`` (by listener key) are ARN suffixes;
        ``spool_max_bytes`` is the bound of each task's disk spool, 0 without one;
        ``spool_max_age_seconds`` the age of its oldest record that sets off an alarm."""
        super().__init__(scope, id)
        self._name_prefix = name_prefix
        self._tags = dict(tags)
        self._actions = [alarm_topic_arn] if alarm_topic_arn else None
        self.alarm_names = {}
        self.alarm_arns = {}
        alb = {"LoadBalancer": load_balancer}
        stream = {"StreamName": stream_name}
        service = {"ClusterName": cluster_name, "ServiceName": service_name}

        self._alarm(
            ALB_TARGET_5XX,
            "The producer tasks answered 5xx in 3 of the last 5 minutes",
            namespace=ALB_NAMESPACE,
            metric_name="HTTPCode_Target_5XX_Count",
            dimensions=alb,
            statistic="Sum",
            evaluation_periods=5,
            datapoints_to_alarm=3,
        )
        for key, target_group in target_groups.items():
            self._alarm(
                unhealthy_hosts(key),
                f"A target of listener {key} was unhealthy for 3 minutes in a row",
                namespace=ALB_NAMESPACE,
                metric_name="UnHealthyHostCount",
                dimensions={"TargetGroup": target_group, **alb},
                statistic="Maximum",
                evaluation_periods=3,
                datapoints_to_alarm=3,
            )
        self._alarm(
            "kinesis-write-throttled",
            "The stream throttled writes in 3 of the last 5 minutes: add shards or use ON_DEMAND",
            namespace=KINESIS_NAMESPACE,
            metric_name="WriteProvisionedThroughputExceeded",
            dimensions=stream,
            statistic="Sum",
            evaluation_periods=5,
            datapoints_to_alarm=3,
        )
        if container_insights:
            self._tasks_below_desired(service)
        self._alarm(
            "producer-records-lost",
            "A producer task lost records it had answered 200 for (see its log)",
            namespace=PRODUCER_NAMESPACE,
            metric_name="RecordsLost",
            dimensions=stream,
            statistic="Sum",
            evaluation_periods=1,
            datapoints_to_alarm=1,
        )
        self._alarm(
            "producer-records-refused",
            "The producer tasks refused records in each of the last 5 minutes (their log and "
            "/healthcheck say why: back-pressure, overload, Kinesis unreachable or refusing)",
            namespace=PRODUCER_NAMESPACE,
            metric_name="RecordsRefused",
            dimensions=stream,
            statistic="Sum",
            evaluation_periods=5,
            datapoints_to_alarm=5,
        )
        if spool_max_bytes:
            self._alarm(
                "producer-spool-filling",
                "A producer task's disk spool was over half full in 3 of the last 5 minutes: "
                "Kinesis is not taking its records",
                namespace=PRODUCER_NAMESPACE,
                metric_name="SpoolBytes",
                dimensions=stream,
                statistic="Maximum",
                evaluation_periods=5,
                datapoints_to_alarm=3,
                threshold=int(spool_max_bytes * SPOOL_ALARM_SHARE),
            )
            self._alarm(
                "producer-spool-stale",
                f"A producer task's oldest spooled record waited over {spool_max_age_seconds} "
                "s: Kinesis has not taken its records for that long",
                namespace=PRODUCER_NAMESPACE,
                metric_name="SpoolOldestRecordAge",
                dimensions=stream,
                statistic="Maximum",
                evaluation_periods=1,
                datapoints_to_alarm=1,
                threshold=spool_max_age_seconds,
            )

        self.dashboard_name = None
        if dashboard:
            self._dashboard(
                region=region,
                alb=alb,
                target_groups=target_groups,
                stream=stream,
                service=service,
                container_insights=container_insights,
                spool=bool(spool_max_bytes),
            )

    # ------------------------------------------------------------------------------- alarms

    def _alarm(
        self,
        key: str,
        description: str,
        *,
        namespace: str,
        metric_name: str,
        dimensions: Mapping[str, str],
        statistic: str,
        evaluation_periods: int,
        datapoints_to_alarm: int,
        threshold: int = 0,
    ) -> None:
        """An alarm on one metric above ``threshold``, missing data counting as fine."""
        name = alarm_name(self._name_prefix, key)
        alarm = CloudwatchMetricAlarm(
            self,
            f"alarm_{key}",
            alarm_name=name,
            alarm_description=description,
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dict(dimensions),
            statistic=statistic,
            period=PERIOD,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold,
            treat_missing_data="notBreaching",
            alarm_actions=self._actions,
            ok_actions=self._actions,
            tags=self._tags,
        )
        self.alarm_names[key] = name
        self.alarm_arns[key] = alarm.arn

    def _tasks_below_desired(self, service: Mapping[str, str]) -> None:
        """Desired minus running tasks above 0 for 10 minutes (Container Insights metrics)."""
        key = "ecs-tasks-below-desired"
        name = alarm_name(self._name_prefix, key)

        def count(query_id: str, metric_name: str) -> CloudwatchMetricAlarmMetricQuery:
            return CloudwatchMetricAlarmMetricQuery(
                id=query_id,
                metric=CloudwatchMetricAlarmMetricQueryMetric(
                    namespace=CONTAINER_INSIGHTS_NAMESPACE,
                    metric_name=metric_name,
                    dimensions=dict(service),
                    stat="Average",
                    period=PERIOD,
                ),
                return_data=False,
            )

        alarm = CloudwatchMetricAlarm(
            self,
            f"alarm_{key}",
            alarm_name=name,
            alarm_description="Fewer producer tasks ran than desired for 10 minutes in a row",
            metric_query=[
                count("desired", "DesiredTaskCount"),
                count("running", "RunningTaskCount"),
                CloudwatchMetricAlarmMetricQuery(
                    id="missing",
                    expression="desired - running",
                    label="Desired tasks not running",
                    return_data=True,
                ),
            ],
            evaluation_periods=10,
            datapoints_to_alarm=10,
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            treat_missing_data="missing",
            alarm_actions=self._actions,
            ok_actions=self._actions,
            tags=self._tags,
        )
        self.alarm_names[key] = name
        self.alarm_arns[key] = alarm.arn

    # ---------------------------------------------------------------------------- dashboard

    def _dashboard(
        self,
        *,
        region: str,
        alb: Mapping[str, str],
        target_groups: Mapping[str, str],
        stream: Mapping[str, str],
        service: Mapping[str, str],
        container_insights: bool,
        spool: bool,
    ) -> None:
        health: list[list[Any]] = []
        for key, target_group in target_groups.items():
            dimensions = {"TargetGroup": target_group, **alb}
            health += [
                _metric(
                    ALB_NAMESPACE,
                    "HealthyHostCount",
                    dimensions,
                    stat="Minimum",
                    label=f"healthy ({key})",
                ),
                _metric(
                    ALB_NAMESPACE,
                    "UnHealthyHostCount",
                    dimensions,
                    stat="Maximum",
                    label=f"unhealthy ({key})",
                ),
            ]
        charts: list[tuple[str, list[list[Any]]]] = [
            (
                "ALB requests (RequestCount, target 5xx)",
                [
                    _metric(ALB_NAMESPACE, "RequestCount", alb, stat="Sum"),
                    _metric(ALB_NAMESPACE, "HTTPCode_Target_5XX_Count", alb, stat="Sum"),
                ],
            ),
            (
                "ALB target response time (TargetResponseTime, seconds)",
                [
                    _metric(ALB_NAMESPACE, "TargetResponseTime", alb, stat="Average"),
                    _metric(ALB_NAMESPACE, "TargetResponseTime", alb, stat="p99"),
                ],
            ),
            (
                "Kinesis incoming bytes (IncomingBytes)",
                [_metric(KINESIS_NAMESPACE, "IncomingBytes", stream, stat="Sum")],
            ),
            (
                "Kinesis put latency (PutRecord.Latency, PutRecords.Latency, ms)",
                [
                    _metric(KINESIS_NAMESPACE, "PutRecord.Latency", stream, stat="Average"),
                    _metric(KINESIS_NAMESPACE, "PutRecords.Latency", stream, stat="Average"),
                ],
            ),
            (
                "Kinesis write throttling (WriteProvisionedThroughputExceeded)",
                [
                    _metric(
                        KINESIS_NAMESPACE,
                        "WriteProvisionedThroughputExceeded",
                        stream,
                        stat="Sum",
                    )
                ],
            ),
            ("ALB target health (HealthyHostCount, UnHealthyHostCount)", health),
            (
                "ECS service CPU and memory (%)",
                [
                    _metric(ECS_NAMESPACE, "CPUUtilization", service, stat="Average"),
                    _metric(ECS_NAMESPACE, "MemoryUtilization", service, stat="Average"),
                ],
            ),
        ]
        if container_insights:
            charts.append(
                (
                    "ECS tasks (RunningTaskCount, DesiredTaskCount)",
                    [
                        _metric(
                            CONTAINER_INSIGHTS_NAMESPACE,
                            "RunningTaskCount",
                            service,
                            stat="Average",
                        ),
                        _metric(
                            CONTAINER_INSIGHTS_NAMESPACE,
                            "DesiredTaskCount",
                            service,
                            stat="Average",
                        ),
                    ],
                )
            )
        charts += [
            (
                "Producer user records (received, put; pending, maximum)",
                [
                    _metric(PRODUCER_NAMESPACE, "UserRecordsReceived", stream, stat="Sum"),
                    _metric(PRODUCER_NAMESPACE, "UserRecordsPut", stream, stat="Sum"),
                    _metric(PRODUCER_NAMESPACE, "UserRecordsPending", stream, stat="Maximum"),
                ],
            ),
            (
                "Producer losses, failures, refusals, retries",
                [
                    _metric(PRODUCER_NAMESPACE, name, stream, stat="Sum")
                    for name in (
                        "RecordsLost",
                        "RecordsUnconfirmed",
                        "UserRecordsFailed",
                        "RecordsRefused",
                        "Retries",
                    )
                ],
            ),
            (
                "Producer buffering time and PutRecords latency (ms)",
                [
                    _metric(PRODUCER_NAMESPACE, "BufferingTime", stream, stat="Average"),
                    _metric(PRODUCER_NAMESPACE, "PutRecordsLatency", stream, stat="Average"),
                ],
            ),
        ]
        if spool:
            charts.append(
                (
                    "Producer disk spool (SpoolBytes, SpoolOldestRecordAge; RecordsSpooled, "
                    "RecordsReplayed)",
                    [
                        _metric(PRODUCER_NAMESPACE, "SpoolBytes", stream, stat="Maximum"),
                        _metric(PRODUCER_NAMESPACE, "SpoolOldestRecordAge", stream, stat="Maximum"),
                        _metric(PRODUCER_NAMESPACE, "RecordsSpooled", stream, stat="Sum"),
                        _metric(PRODUCER_NAMESPACE, "RecordsReplayed", stream, stat="Sum"),
                    ],
                )
            )
        widgets: list[dict[str, Any]] = [
            {
                "type": "metric",
                **self._place(index),
                "properties": {
                    "title": title,
                    "region": region,
                    "view": "timeSeries",
                    "stacked": False,
                    "period": PERIOD,
                    "metrics": metrics,
                },
            }
            for index, (title, metrics) in enumerate(charts)
        ]
        widgets.append(
            {
                "type": "alarm",
                **self._place(len(charts)),
                "properties": {"title": "Alarms", "alarms": list(self.alarm_arns.values())},
            }
        )
        check_dashboard_name("name_prefix", self._name_prefix)
        name = dashboard_name(self._name_prefix)
        dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=name,
            dashboard_body=json_document({"widgets": widgets}),
        )
        self.dashboard_name = dashboard.dashboard_name

    @staticmethod
    def _place(index: int) -> dict[str, int]:
        """Position and size of the widget ``index``: two a row, left to right."""
        return {
            "x": (index % 2) * _WIDTH,
            "y": (index // 2) * _HEIGHT,
            "width": _WIDTH,
            "height": _HEIGHT,
        }
