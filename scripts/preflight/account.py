"""The account: which one the credentials must be (``--account``, else the owner in
``outposts_arn``), and the check that they are."""

from __future__ import annotations

import re

from scripts.preflight.context import Context
from scripts.preflight.report import PreflightError, Row
from variables import RootVariables

_ACCOUNT = re.compile(r"^\d{12}$")


def expected_account(v: RootVariables, flag: str | None) -> str | None:
    if flag is not None:
        if not _ACCOUNT.match(flag):
            raise PreflightError(f"--account {flag!r}: an AWS account id is 12 digits")
        return flag
    return v.outposts_arn.split(":")[4] if v.outposts_arn else None


def check_account(ctx: Context) -> list[Row]:
    expected = ctx.expected_account
    if expected is None:
        return [
            Row(
                "account",
                "pass",
                f"the credentials are account {ctx.account} (no expected account: pass "
                "--account to check it)",
            )
        ]
    source = ctx.expected_from
    if ctx.account == expected:
        return [Row("account", "pass", f"the credentials are account {expected} ({source})")]
    return [
        Row(
            "account",
            "fail",
            f"the credentials are account {ctx.account}, expected {expected} ({source})",
            f"use credentials of account {expected} (AWS_PROFILE=...); if the Outpost is "
            "shared with this account through AWS RAM, pass --account "
            f"{ctx.account}",
        )
    ]
