"""make deploy's parts that need no AWS: its input errors, the plan it was confirmed against,
how it reads a failed build and a service. The build and the service against the emulator are
in tests/e2e/test_deploy.py, the whole command in make e2e."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scripts import destroy, destroy_notice
from scripts.deploy.cli import main, not_confirmed
from scripts.deploy.image import failure_reason
from scripts.deploy.progress import DeployError, ask_yes
from scripts.deploy.service import is_stable, state_line, wait_stable
from scripts.preflight import cli as preflight

ROOT = Path(__file__).resolve().parents[1]


def test_a_plan_may_hold_only_what_was_confirmed() -> None:
    confirmed = {
        "aws_ecs_task_definition.t": (["delete", "create"], ["container_definitions"]),
        "aws_ecs_service.s": (["update"], ["task_definition"]),
    }
    assert not_confirmed({"aws_ecs_service.s": (["update"], [])}, confirmed) == []
    assert not_confirmed(
        {
            "aws_ecs_service.s": (["delete", "create"], []),
            "aws_kinesis_stream.k": (["update"], ["shard_count"]),
        },
        confirmed,
    ) == ["aws_ecs_service.s (delete/create)", "aws_kinesis_stream.k (update)"]


def test_the_reason_of_a_failed_build_names_its_phase_and_codebuilds_message() -> None:
    build = {
        "buildStatus": "FAILED",
        "phases": [
            {"phaseType": "PRE_BUILD", "phaseStatus": "SUCCEEDED"},
            {
                "phaseType": "BUILD",
                "phaseStatus": "FAILED",
                "contexts": [
                    {
                        "statusCode": "COMMAND_EXECUTION_ERROR",
                        "message": "Error while executing command: docker build. exit status 1",
                    }
                ],
            },
            {"phaseType": "FINALIZING", "phaseStatus": "SUCCEEDED"},
        ],
    }
    assert failure_reason(build) == (
        "phase BUILD FAILED (COMMAND_EXECUTION_ERROR: Error while executing command: docker "
        "build. exit status 1)"
    )
    assert failure_reason({"buildStatus": "STOPPED", "phases": []}) == (
        "build status STOPPED, no failed phase named"
    )


def service(running: int, desired: int, *rollouts: str) -> dict[str, Any]:
    return {
        "status": "ACTIVE",
        "runningCount": running,
        "desiredCount": desired,
        "pendingCount": desired - running,
        "deployments": [{"rolloutState": r} for r in rollouts],
    }


@pytest.mark.parametrize(
    ("described", "stable"),
    [
        (service(2, 2, "COMPLETED"), True),
        (service(1, 2, "IN_PROGRESS"), False),
        (service(2, 2, "IN_PROGRESS", "COMPLETED"), False),
        (service(2, 2, "FAILED"), False),
        ({**service(2, 2, "COMPLETED"), "status": "DRAINING"}, False),
    ],
)
def test_a_service_is_stable_with_one_rolled_out_deployment_and_every_task(
    described: dict[str, Any], stable: bool
) -> None:
    assert is_stable(described) is stable


def test_the_service_line_says_the_counts() -> None:
    assert state_line(service(1, 2, "IN_PROGRESS", "COMPLETED")) == (
        "1 of 2 task(s) running, 1 pending; 2 deployment(s), the newest IN_PROGRESS"
    )


class ScriptedEcs:
    """DescribeServices answering one prepared service after another."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)

    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        return {"services": [self.answers.pop(0)]}


def event(number: int, message: str) -> dict[str, Any]:
    created = datetime(2026, 12, 6, 12, 0, number, tzinfo=UTC)
    return {"id": str(number), "createdAt": created, "message": message}


def test_the_wait_says_an_event_from_before_it_is_old_and_each_new_one_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = [event(2, "unable to pull the old image"), event(1, "older still")]
    new = [event(4, "has reached a steady state"), event(3, "registered 1 target"), *old]
    ecs = ScriptedEcs(
        {**service(0, 1, "IN_PROGRESS"), "events": old},
        {**service(1, 1, "COMPLETED"), "events": new},
    )
    wait_stable(ecs, "cluster", "producer", poll_seconds=0, timeout=5)
    said = [line for line in capsys.readouterr().out.splitlines() if "event" in line]
    assert said == [
        ">>   the last event before this wait (12:00:02): unable to pull the old image",
        ">>   event (12:00:03): registered 1 target",
        ">>   event (12:00:04): has reached a steady state",
    ]


class Terminal:
    """Standard input as a terminal that answers ``answer`` (None: the end of input)."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return "" if self.answer is None else self.answer + "\n"


@pytest.mark.parametrize(
    ("answer", "goes_on"),
    [("yes", True), (" yes ", True), ("y", False), ("", False), (None, False)],
)
def test_make_deploy_and_destroy_go_on_only_on_yes(
    answer: str | None, goes_on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    ask = lambda: ask_yes("Go?", no_terminal="no terminal", refused="not confirmed")  # noqa: E731
    if goes_on:
        ask()
    else:
        with pytest.raises(DeployError, match="not confirmed"):
            ask()


def test_without_a_terminal_nothing_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    with pytest.raises(DeployError, match="no terminal"):
        ask_yes("Go?", no_terminal="no terminal", refused="not confirmed")


def test_an_interrupted_destroy_says_so_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(destroy, "load_variables", lambda _: type("V", (), {"region": "r"}))
    monkeypatch.setattr(destroy, "synthesized_stack", lambda *_: ("n", Path("s"), {}))
    monkeypatch.setattr(destroy, "destroy", interrupted)
    assert destroy.main(["--vars-file", "vars/test.tfvars.json"]) == 130
    assert capsys.readouterr().err == "error: interrupted\n"


@pytest.mark.parametrize("command", [main, destroy.main, destroy_notice.main, preflight.main])
def test_naming_no_vars_file_is_bad_input_to_each_command_on_a_deployment(
    command: Callable[[list[str]], int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("VARS_FILE", raising=False)
    with pytest.raises(SystemExit) as stopped:
        command([])
    assert stopped.value.code == 2
    (said,) = capsys.readouterr().err.splitlines()
    assert said.startswith("error: no vars file: pass --vars-file vars/<name>.tfvars.json")


def test_a_deployment_not_synthesized_stops_before_terraform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vars_file = tmp_path / "mine.tfvars.json"
    shutil.copy(ROOT / "vars" / "test.tfvars.json", vars_file)
    assert main(["--vars-file", str(vars_file), "--outdir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no synthesized stack of deployment mine" in err
    assert f"make synth VARS_FILE={vars_file}" in err


def test_a_stack_from_another_version_of_the_vars_file_stops_before_terraform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vars_file = tmp_path / "mine.tfvars.json"
    shutil.copy(ROOT / "vars" / "test.tfvars.json", vars_file)
    stack = tmp_path / "out" / "stacks" / "mine"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps({"//": {"provenance": {"sha256": "0" * 64}}}))
    assert main(["--vars-file", str(vars_file), "--outdir", str(tmp_path / "out")]) == 2
    assert "synthesized from another version of" in capsys.readouterr().err


def test_a_bad_vars_file_names_its_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vars_file = tmp_path / "mine.tfvars.json"
    variables = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())
    vars_file.write_text(json.dumps({**variables, "service_port": 0}))
    assert main(["--vars-file", str(vars_file)]) == 2
    assert "service_port" in capsys.readouterr().err
