"""The stack model, the CLI and the rules doc: interpolations never crash a rule, references
resolve to blocks, the CLI prints one line a finding and fails on any."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rules import RULES, Stack, check
from rules.docs import emulator_table, rules_table
from rules.model import interpolations, literal_length, literal_parts
from scripts import aws_rules
from tests.rules.rules_support import stack_json


def test_literal_parts_skip_interpolations_and_keep_escapes() -> None:
    value = 'arn:${data.aws_partition.p.partition}:s3:::${jsonencode({"a" = "${x.y}"})}-$${lit}'
    assert literal_parts(value) == ["arn:", ":s3:::", "-${lit}"]
    assert interpolations(value)[0] == "${data.aws_partition.p.partition}"
    assert literal_length("${x.y}abc") == 3


@pytest.mark.parametrize("value", ["${unbalanced", "${", "}", "$${", "a${b}${c", ""])
def test_odd_strings_never_crash(value: str) -> None:
    literal_parts(value)
    document = stack_json({"aws_iam_role": {"r": {"name": value, "assume_role_policy": value}}})
    check(Stack(document))


def test_references_resolve_to_blocks_and_the_region_is_read() -> None:
    stack = Stack(
        stack_json(
            {"aws_subnet": {"s": {}}, "aws_lb": {"l": {"subnets": ["${aws_subnet.s.id}"]}}},
            region="eu-west-1",
        )
    )
    assert stack.region == "eu-west-1"
    assert stack.target("${aws_subnet.s.id}") == stack.blocks["aws_subnet.s"]
    assert [b.address for b in stack.references(stack.blocks["aws_lb.l"].body)] == ["aws_subnet.s"]


def test_the_cli_prints_each_finding_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    for folder, name in ((bad, "x" * 65), (good, "role")):
        folder.mkdir()
        document = stack_json({"aws_iam_role": {"r": {"name": name}}})
        (folder / "cdk.tf.json").write_text(json.dumps(document))
    assert aws_rules.main(["--stack", str(good)]) == 0
    assert capsys.readouterr().out.startswith("good: no findings")
    assert aws_rules.main(["--stack", str(good), "--stack", str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("bad names.iam aws_iam_role.r: name 'xxx")
    assert lines[-1].startswith("bad: 1 finding(s)")


def test_the_doc_lists_every_rule_with_its_source() -> None:
    table = rules_table()
    for rule in RULES.values():
        assert f"| `{rule.id}` |" in table
        assert rule.source.startswith("http") and rule.quote in table.replace("\\|", "|")
    # The harness's fakes, by rule, in docs/e2e.md.
    notes = emulator_table()
    for rule in RULES.values():
        assert (f"| `{rule.id}` |" in notes) == bool(rule.emulator.strip())
