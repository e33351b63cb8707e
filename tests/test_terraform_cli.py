"""How scripts/terraform_cli.py reads a saved plan (``terraform show -json``)."""

from __future__ import annotations

from typing import Any

from scripts.terraform_cli import planned_changes


def change(address: str, actions: list[str], before: Any, after: Any, unknown: Any) -> Any:
    return {
        "address": address,
        "mode": "managed",
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": unknown,
        },
    }


def test_an_attribute_counts_when_its_planned_value_is_known_and_differs() -> None:
    tags_before = [{"key": "Owner", "value": "a"}, {"key": "Name", "value": "n"}]
    tags_after = [{"key": "Owner", "value": "b"}, {"key": "Name", "value": "n"}]
    plan = {
        "resource_changes": [
            # A set of blocks whose every member is known is marked [{}, {}]: known.
            change(
                "aws_autoscaling_group.g",
                ["update"],
                {"tag": tags_before, "mixed_instances_policy": [{"version": "1"}]},
                {"tag": tags_after, "mixed_instances_policy": [{}]},
                {"tag": [{}, {}], "mixed_instances_policy": [{"version": True}]},
            ),
            # A document read during the apply: the policy is unknown, so nothing known differs.
            change("aws_iam_role_policy.p", ["update"], {"policy": "{}"}, {}, {"policy": True}),
            change("aws_s3_bucket.b", ["no-op"], {}, {}, {}),
            {**change("aws_iam_policy_document.d", ["read"], {}, {}, {}), "mode": "data"},
        ]
    }
    assert planned_changes(plan) == {
        "aws_autoscaling_group.g": (["update"], ["tag"]),
        "aws_iam_role_policy.p": (["update"], []),
    }
