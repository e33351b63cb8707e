"""CloudWatch metric alarms: a period PutMetricAlarm takes, and an evaluation window (period
times evaluation periods) no longer than it allows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rules.model import Block, Stack, is_literal
from rules.registry import rule

__all__: list[str] = []

_PERIOD_PAGE = (
    "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/cloudwatch/"
    "aws.sdk.kotlin.services.cloudwatch.model/-put-metric-alarm-request/period.html"
)
# Sub-minute periods PutMetricAlarm takes (high-resolution metrics); the rest are minutes.
_HIGH_RESOLUTION_PERIODS = (10, 20, 30)
# The longest evaluation window, in seconds, of an alarm whose period is under an hour, and of
# any other alarm.
_HOUR = 3600
_DAY = 86400
_WEEK = 7 * _DAY


def _number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if is_literal(value) and str(value).strip().isdigit():
        return int(str(value))
    return None  # computed: not checked here


def _periods(alarm: Block) -> Iterator[tuple[str, int]]:
    """(where, seconds) of the alarm's period, or of each metric of its metric math."""
    period = _number(alarm.get("period"))
    if period is not None:
        yield "period", period
    for index, query in enumerate(alarm.get("metric_query") or []):
        metric = (query or {}).get("metric") or {}
        if isinstance(metric, list):
            metric = metric[0] if metric else {}
        period = _number(metric.get("period"))
        if period is not None:
            yield f"metric_query[{index}].metric.period", period


@rule(
    "cloudwatch.alarm-period",
    "CloudWatch alarm periods",
    source=_PERIOD_PAGE,
    quote="Valid values are 10, 20, 30, and any multiple of 60.",
)
def alarm_period(stack: Stack) -> Iterator[tuple[str, str]]:
    for alarm in stack.resources("aws_cloudwatch_metric_alarm"):
        for where, period in _periods(alarm):
            if period not in _HIGH_RESOLUTION_PERIODS and (period <= 0 or period % 60):
                yield alarm.address, f"{where} {period} s is neither 10, 20, 30 nor minutes"


@rule(
    "cloudwatch.alarm-window",
    "CloudWatch alarm evaluation windows",
    source=_PERIOD_PAGE,
    quote=(
        "An alarm's total current evaluation period can be no longer than seven days, so "
        "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms "
        "with a period of less than one hour (3,600 seconds), the total evaluation period "
        "can't be longer than one day (86,400 seconds)."
    ),
)
def alarm_window(stack: Stack) -> Iterator[tuple[str, str]]:
    for alarm in stack.resources("aws_cloudwatch_metric_alarm"):
        evaluations = _number(alarm.get("evaluation_periods"))
        periods = [period for _, period in _periods(alarm)]
        if evaluations is None or not periods:
            continue
        period = max(periods)
        limit = _DAY if period < _HOUR else _WEEK
        if period * evaluations > limit:
            yield (
                alarm.address,
                (
                    f"evaluation_periods {evaluations} of {period} s is {period * evaluations} "
                    f"s; a period of {period} s allows at most {limit} s"
                ),
            )
