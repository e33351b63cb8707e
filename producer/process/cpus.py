"""How many CPUs this process may use, and so whether the producer gets a process of its own."""

from __future__ import annotations

import os
from pathlib import Path

#: cgroup v2's CPU limit of this container: "<quota> <period>" in microseconds, or "max ...".
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
#: cgroup v1's: cpu.cfs_quota_us (-1: no limit) and cpu.cfs_period_us.
CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")


def available_cpus() -> float:
    """CPUs this process may use: those of its affinity mask, capped by a cgroup CPU quota.

    An ECS task's CPU units (512: half a CPU) arrive as such a quota. (``loky.cpu_count`` reads
    the same; importing it costs the HTTP process about 10 MiB.)
    """
    cpus = float(len(os.sched_getaffinity(0)))
    quota = _cgroup_cpu_quota()
    return cpus if quota is None else min(cpus, quota)


def _cgroup_cpu_quota() -> float | None:
    try:
        quota, period = CGROUP_CPU_MAX.read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((CGROUP_V1_CPU / "cpu.cfs_quota_us").read_text())
        period_us = int((CGROUP_V1_CPU / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota_us <= 0 or period_us <= 0 else quota_us / period_us


def wants_own_process(setting: str) -> bool:
    """PRODUCER_PROCESS: ``true``, ``false``, or ``auto`` (with at least 2 CPUs available: a
    second process gains nothing on one CPU, and costs its memory and the hand-over)."""
    if setting == "auto":
        return available_cpus() >= 2
    return setting == "true"
