"""The checks in the order they run (later ones read what earlier ones found), and running
them: a failed AWS call fails its check's row, a refused write stops everything."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from scripts.preflight.account import check_account
from scripts.preflight.aws import WriteRefused, failed_call
from scripts.preflight.buckets import check_buckets, check_state_bucket
from scripts.preflight.context import Context
from scripts.preflight.local_gateway import check_coip_pool, check_local_gateway, check_route_table
from scripts.preflight.names import check_names
from scripts.preflight.network import check_subnets
from scripts.preflight.outpost import (
    check_capacity,
    check_instance_types,
    check_outpost,
    check_outpost_alarms,
)
from scripts.preflight.quotas import check_quotas
from scripts.preflight.report import Row

CHECKS: tuple[tuple[str, Callable[[Context], list[Row]]], ...] = (
    ("account", check_account),
    ("Outpost", check_outpost),
    ("Outpost alarms", check_outpost_alarms),
    ("instance types offered", check_instance_types),
    ("instance capacity", check_capacity),
    ("local gateway", check_local_gateway),
    ("local gateway route table", check_route_table),
    ("CoIP pool", check_coip_pool),
    ("subnet CIDRs", check_subnets),
    ("S3 bucket names", check_buckets),
    ("state bucket", check_state_bucket),
    ("names", check_names),
    ("quotas", check_quotas),
)


def run_checks(ctx: Context, progress: Callable[[str], None]) -> list[Row]:
    rows: list[Row] = []
    for index, (title, check) in enumerate(CHECKS, 1):
        progress(f"[{index}/{len(CHECKS)}] {title} ...")
        try:
            found = check(ctx)
        except WriteRefused:
            raise
        except (ClientError, BotoCoreError) as error:
            found = [failed_call(title, error)]
        for row in found:
            progress(f"    {row.result:4}  {row.check}")
        rows += found
    return rows
