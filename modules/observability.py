"""The deployment's CloudWatch dashboard and alarms (not in the sample).

The article checks a deployment end to end with four metrics: the load balancer's
``RequestCount`` and ``TargetResponseTime`` (``AWS/ApplicationELB``) and the stream's
``IncomingBytes`` and ``PutRecord.Latency`` (``AWS/Kinesis``). :class:`Observability` puts them
on one dashboard with what explains them, and raises alarms on what needs a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

# The dashboard's name and CloudWatch's rule for it, shared with the root variables' check.
from modules.alarm_names import (
    ALB_TARGET_5XX,
    CAPACITY_PROVIDER_RESERVATION,
    OUTPOST_LINK_DOWN,
    alarm_name,
    outpost_capacity,
    unhealthy_hosts,
)
from modules.aws_facts import OUTPOSTS_NAMESPACE
from modules.rendering import json_document
from modules.validation import DASHBOARD_NAME, check_dashboard_name, dashboard_name

__all__ = ["DASHBOARD_NAME", "Observability", "dashboard_name", "outpost_id"]

ALB_NAMESPACE = "AWS/ApplicationELB"
KINESIS_NAMESPACE = "AWS/Kinesis"
ECS_NAMESPACE = "AWS/ECS"
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
# Managed scaling's CapacityProviderReservation; above 100 while tasks wait for instances:
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html
# Its dimensions are ClusterName and CapacityProviderName, the set ECS's cluster auto scaling
# console tutorial has the reader open, and the one ECS's own scaling alarms on it use.
MANAGED_SCALING_NAMESPACE = "AWS/ECS/ManagedScaling"
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
# Defaults of the Outpost's and the capacity provider's thresholds (the root variables
# outpost_link_down_minutes, outpost_capacity_utilization_percent and
# capacity_provider_reservation_percent have the same; a test compares).
OUTPOST_LINK_DOWN_MINUTES = 5
OUTPOST_CAPACITY_PERCENT = 80
CAPACITY_PROVIDER_RESERVATION_PERCENT = 100
# Capacity utilization comes every 5 minutes: a shorter period would see no data 4 times in 5.
CAPACITY_PERIOD = 300
# Periods of CAPACITY_PERIOD an instance type stays at or over its threshold before it alarms.
CAPACITY_PERIODS = 3
# Minutes the reservation stays over its threshold: longer than a scale-out takes to launch an
# instance and register it, so that only tasks left waiting set it off.
RESERVATION_MINUTES = 15

# Grid of the dashboard: two widgets a row, each half the 24-unit width.
_WIDTH, _HEIGHT = 12, 6
# Seconds per data point of the widgets and alarms.
PERIOD = 60


def outpost_id(outposts_arn: str) -> str:
    """The Outpost's id (``op-...``, the ``OutpostId`` of its metrics) from its ARN; "" for none."""
    return outposts_arn.rsplit("/", 1)[-1] if outposts_arn else ""


def _metric(
    namespace: str, name: str, dimensions: Mapping[str, str], **options: str | int
) -> list[Any]:
    """A metric line of a dashboard widget: namespace, name, dimension pairs, options."""
    line: list[Any] = [namespace, name]
    for key, value in dimensions.items():
        line += [key, value]
    return [*line, options] if options else line


class Observability(Construct):
    """CloudWatch dashboard and alarms of the producer service, its load balancer and stream,
    and of the Outpost and the capacity provider they run on.

    Dashboard ``<name_prefix>-producer`` (when ``dashboard``), one widget a row-half, every
    metric at one-minute resolution in ``region`` unless said otherwise:

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
    - with ``outpost_id``, the Outpost's service link: ``ConnectedStatus`` (``AWS/Outposts``,
      by ``OutpostId``, average; 1 connected, below 1 impaired);
    - with ``outpost_id`` and ``instance_types``, the Outpost's capacity:
      ``InstanceTypeCapacityUtilization`` (``AWS/Outposts``, by ``OutpostId`` and
      ``InstanceType``, average, five-minute points), one line an instance type;
    - with ``capacity_provider_name``, the capacity provider's reservation:
      ``CapacityProviderReservation`` (``AWS/ECS/ManagedScaling``, by ``ClusterName`` and
      ``CapacityProviderName``, average);
    - with ``alarms``, the state of every alarm below.

    Alarms (when ``alarms``), named ``<name_prefix>-<what>``, each notifying
    ``alarm_topic_arn`` on alarm and on recovery when it is set (else they only change state,
    on the console and the dashboard):

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
      older than ``spool_max_age_seconds`` (``SpoolOldestRecordAge``, maximum);
    - ``outpost-link-down`` (with ``outpost_id`` and ``outpost_alarms``): the Outpost's
      ``ConnectedStatus`` was below 1, or missing, for ``outpost_link_down_minutes`` minutes in
      a row;
    - ``outpost-capacity-<instance type>`` (with ``outpost_id`` and ``outpost_alarms``, one an
      instance type of ``instance_types``): ``InstanceTypeCapacityUtilization`` was at or above
      ``outpost_capacity_percent`` for 15 minutes (3 five-minute points);
    - ``capacity-provider-reservation`` (with ``capacity_provider_name``):
      ``CapacityProviderReservation`` stayed above ``capacity_provider_reservation_percent``
      for 15 minutes in a row (tasks waiting for instances the group does not launch).

    The dashboard also shows the producer's own metrics (published by it, by stream): user
    records received and put (sums) and pending (maximum); lost, unconfirmed, failed, refused
    and retried (sums); buffering time and ``PutRecords`` latency (averages, ms). With
    ``spool_max_bytes``, its disk spool (``SpoolBytes`` and ``SpoolOldestRecordAge``, maximum
    of the tasks; ``RecordsSpooled`` and ``RecordsReplayed``, sums).

    Minutes without data count as fine for the first three: no requests, no errors; a missing
    ``ConnectedStatus`` counts as a link down.
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
        alarms: bool = True,
        container_insights: bool = True,
        spool_max_bytes: int = 0,
        spool_max_age_seconds: int = SPOOL_MAX_AGE_SECONDS,
        outpost_id: str = "",
        instance_types: Sequence[str] = (),
        capacity_provider_name: str | None = None,
        outpost_alarms: bool = True,
        outpost_link_down_minutes: int = OUTPOST_LINK_DOWN_MINUTES,
        outpost_capacity_percent: int = OUTPOST_CAPACITY_PERCENT,
        capacity_provider_reservation_percent: int = CAPACITY_PROVIDER_RESERVATION_PERCENT,
    ) -> None:
        """``load_balancer`` and ``target_groups`` (by listener key) are ARN suffixes;
        ``spool_max_bytes`` is the bound of each task's disk spool, 0 without one;
        ``spool_max_age_seconds`` the age of its oldest record that sets off an alarm.
        ``outpost_id`` (``op-...``, "" in the Region) is the Outpost the tasks run on and
        ``instance_types`` the types its Auto Scaling group launches there; ``outpost_alarms``
        false leaves out the alarms on its metrics, which only the Outpost's owner account gets;
        ``capacity_provider_name`` is the cluster's EC2 capacity provider (None on Fargate)."""
        super().__init__(scope, id)
        self._name_prefix = name_prefix
        self._tags = dict(tags)
        self._actions = [alarm_topic_arn] if alarm_topic_arn else None
        self.alarm_names = {}
        self.alarm_arns = {}
        alb = {"LoadBalancer": load_balancer}
        stream = {"StreamName": stream_name}
        service = {"ClusterName": cluster_name, "ServiceName": service_name}
        outpost = {"OutpostId": outpost_id} if outpost_id else None
        capacity = {
            instance_type: {"OutpostId": outpost_id, "InstanceType": instance_type}
            for instance_type in (instance_types if outpost_id else ())
        }
        reservation = (
            {"ClusterName": cluster_name, "CapacityProviderName": capacity_provider_name}
            if capacity_provider_name
            else None
        )

        if alarms:
            self._service_alarms(
                alb=alb,
                target_groups=target_groups,
                stream=stream,
                service=service,
                container_insights=container_insights,
                spool_max_bytes=spool_max_bytes,
                spool_max_age_seconds=spool_max_age_seconds,
            )
            self._capacity_alarms(
                outpost=outpost if outpost_alarms else None,
                capacity=capacity if outpost_alarms else {},
                reservation=reservation,
                link_down_minutes=outpost_link_down_minutes,
                capacity_percent=outpost_capacity_percent,
                reservation_percent=capacity_provider_reservation_percent,
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
                outpost=outpost,
                capacity=capacity,
                reservation=reservation,
            )

    # ------------------------------------------------------------------------------- alarms

    def _service_alarms(
        self,
        *,
        alb: Mapping[str, str],
        target_groups: Mapping[str, str],
        stream: Mapping[str, str],
        service: Mapping[str, str],
        container_insights: bool,
        spool_max_bytes: int,
        spool_max_age_seconds: int,
    ) -> None:
        """The alarms of the load balancer, the stream, the service and the producer."""
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

    def _capacity_alarms(
        self,
        *,
        outpost: Mapping[str, str] | None,
        capacity: Mapping[str, Mapping[str, str]],
        reservation: Mapping[str, str] | None,
        link_down_minutes: int,
        capacity_percent: int,
        reservation_percent: int,
    ) -> None:
        """The alarms of the Outpost (its service link, its capacity per instance type) and of
        the capacity provider's reservation."""
        if outpost is not None:
            # While the link is down the Outpost may publish nothing at all: no data counts as
            # down, or an outage would leave the alarm in INSUFFICIENT_DATA instead of ALARM.
            self._alarm(
                OUTPOST_LINK_DOWN,
                f"The Outpost's service link was down (ConnectedStatus below 1, or no data) for "
                f"{link_down_minutes} minutes in a row: instances are not replaced and the "
                "tasks' records wait in their spools (README: Runbook: alarms on an Outpost)",
                namespace=OUTPOSTS_NAMESPACE,
                metric_name="ConnectedStatus",
                dimensions=outpost,
                statistic="Average",
                evaluation_periods=link_down_minutes,
                datapoints_to_alarm=link_down_minutes,
                comparison_operator="LessThanThreshold",
                threshold=1,
                treat_missing_data="breaching",
            )
        for instance_type, dimensions in capacity.items():
            # A type the Outpost has no slots of publishes nothing, and a link outage is
            # outpost-link-down's to report: no data is no capacity alarm.
            self._alarm(
                outpost_capacity(instance_type),
                f"{instance_type} capacity of the Outpost was {capacity_percent}% or more in "
                f"use for {CAPACITY_PERIODS * CAPACITY_PERIOD // 60} minutes: a scale-out or an "
                "instance refresh may find no free slot (README: Runbook: alarms on an Outpost)",
                namespace=OUTPOSTS_NAMESPACE,
                metric_name="InstanceTypeCapacityUtilization",
                dimensions=dimensions,
                statistic="Average",
                period=CAPACITY_PERIOD,
                evaluation_periods=CAPACITY_PERIODS,
                datapoints_to_alarm=CAPACITY_PERIODS,
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=capacity_percent,
            )
        if reservation is not None:
            self._alarm(
                CAPACITY_PROVIDER_RESERVATION,
                f"The capacity provider's reservation stayed above {reservation_percent}% for "
                f"{RESERVATION_MINUTES} minutes: tasks wait for instances the Auto Scaling "
                "group does not launch (at its maximum size, or no capacity for its types)",
                namespace=MANAGED_SCALING_NAMESPACE,
                metric_name="CapacityProviderReservation",
                dimensions=reservation,
                statistic="Average",
                evaluation_periods=RESERVATION_MINUTES,
                datapoints_to_alarm=RESERVATION_MINUTES,
                threshold=reservation_percent,
            )

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
        period: int = PERIOD,
        comparison_operator: str = "GreaterThanThreshold",
        treat_missing_data: str = "notBreaching",
    ) -> None:
        """An alarm on one metric against ``threshold``, by default above it with missing data
        counting as fine."""
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
            period=period,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            comparison_operator=comparison_operator,
            threshold=threshold,
            treat_missing_data=treat_missing_data,
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
        outpost: Mapping[str, str] | None,
        capacity: Mapping[str, Mapping[str, str]],
        reservation: Mapping[str, str] | None,
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
        if outpost is not None:
            charts.append(
                (
                    "Outpost service link (ConnectedStatus: 1 connected, below 1 impaired)",
                    [_metric(OUTPOSTS_NAMESPACE, "ConnectedStatus", outpost, stat="Average")],
                )
            )
        if capacity:
            charts.append(
                (
                    "Outpost capacity in use by instance type (InstanceTypeCapacityUtilization, %)",
                    [
                        _metric(
                            OUTPOSTS_NAMESPACE,
                            "InstanceTypeCapacityUtilization",
                            dimensions,
                            stat="Average",
                            period=CAPACITY_PERIOD,
                            label=instance_type,
                        )
                        for instance_type, dimensions in capacity.items()
                    ],
                )
            )
        if reservation is not None:
            charts.append(
                (
                    "ECS capacity provider reservation (CapacityProviderReservation, %; above "
                    "100: tasks wait for instances)",
                    [
                        _metric(
                            MANAGED_SCALING_NAMESPACE,
                            "CapacityProviderReservation",
                            reservation,
                            stat="Average",
                        )
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
        if self.alarm_arns:
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
