"""A deployment per vars file: its stack, its state, where its JSON came from."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deployments import Deployment, load_deployments
from tests.conftest import ROOT
from tests.support import synth_deployment
from vars_file import ConfigError, deployment_name

VARS_FILES = sorted((ROOT / "vars").glob("*.tfvars.json"))
CDKTF = [str(ROOT / "node_modules" / ".bin" / "cdktf")]


def _stack(outdir: Path, name: str) -> dict[str, Any]:
    return json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())


def test_every_vars_file_is_a_stack_of_its_own(synthesized: tuple[Path, str]) -> None:
    outdir, stdout = synthesized
    names = [f.name.removesuffix(".tfvars.json") for f in VARS_FILES]
    assert names == ["region", "test"]
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == names
    for name in names:
        assert f"Synthesized vars/{name}.tfvars.json into stack {name}" in stdout
        assert _stack(outdir, name)["resource"]["aws_kinesis_stream"]


def test_each_deployment_has_its_own_state_at_a_relative_path(
    synthesized: tuple[Path, str],
) -> None:
    outdir, _ = synthesized
    paths = {}
    for name in ("test", "region"):
        backend = _stack(outdir, name)["terraform"]["backend"]
        assert list(backend) == ["local"]
        paths[name] = backend["local"]["path"]
        # Terraform runs in cdktf.out/stacks/<name>: the state is at the repository root.
        stack_dir = ROOT / "cdktf.out" / "stacks" / name
        assert (stack_dir / paths[name]).resolve() == ROOT / f"terraform.{name}.tfstate"
    assert paths["test"] != paths["region"]


def test_the_json_records_its_vars_file_and_no_checkout_path(
    synthesized: tuple[Path, str],
) -> None:
    outdir, _ = synthesized
    for vars_file in VARS_FILES:
        name = vars_file.name.removesuffix(".tfvars.json")
        text = (outdir / "stacks" / name / "cdk.tf.json").read_text()
        assert json.loads(text)["//"]["provenance"] == {
            "vars_file": f"vars/{vars_file.name}",
            "sha256": hashlib.sha256(vars_file.read_bytes()).hexdigest(),
        }
        assert str(ROOT) not in text
        assert str(outdir) not in text


def test_local_state_is_what_the_tags_say(synthesized: tuple[Path, str]) -> None:
    stack = _stack(synthesized[0], "test")
    tags = stack["resource"]["aws_vpc"]["test-vpc_vpc"]["tags"]
    assert tags["Terraformbackend"] == "terraform-backend-local"


def test_cdktf_deploys_no_stack_by_default(synthesized: tuple[Path, str]) -> None:
    """With two stacks, cdktf wants a name: a forgotten one never deploys the example."""
    for command in ("deploy", "diff"):
        result = subprocess.run(
            [*CDKTF, command, "--skip-synth", "--output", str(synthesized[0])],
            cwd=ROOT,
            env={**os.environ, "CI": "1", "VARS_FILE": ""},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "more than one stack" in (result.stdout + result.stderr), result.stdout


@pytest.mark.parametrize("target", ["plan", "deploy", "destroy", "output"])
def test_make_needs_the_deployment(target: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VARS_FILE"}
    result = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"make {target} needs the deployment's vars file" in result.stderr
    assert "cdktf" not in result.stdout  # stopped before the CLI ran


def test_make_refuses_a_missing_vars_file() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "plan", "VARS_FILE=vars/absent.tfvars.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "VARS_FILE=vars/absent.tfvars.json: no such file" in result.stderr


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("prod.tfvars.json", "prod"),
        ("eu_west-1.tfvars.json", "eu_west-1"),
        ("vars.json", "vars"),
    ],
)
def test_deployment_names(file_name: str, expected: str) -> None:
    assert deployment_name(Path("somewhere") / file_name) == expected


@pytest.mark.parametrize(
    ("file_name", "words"),
    [
        ("prod.tfvars", "named <deployment>.tfvars.json"),
        ("my prod.tfvars.json", "'my prod' cannot name a deployment"),
        ("-x.tfvars.json", "'-x' cannot name a deployment"),
        (".tfvars.json", "'' cannot name a deployment"),
    ],
)
def test_bad_deployment_names(file_name: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        deployment_name(Path(file_name))


def test_two_files_cannot_name_one_deployment(tmp_path: Path) -> None:
    sample = (ROOT / "vars" / "test.tfvars.json").read_text()
    files = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        files.append(tmp_path / folder / "prod.tfvars.json")
        files[-1].write_text(sample)
    with pytest.raises(ConfigError, match="both name the deployment 'prod'"):
        load_deployments(files)


def test_every_bad_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "one.tfvars.json").write_text("{}")
    (tmp_path / "two.tfvars.json").write_text("[]")
    with pytest.raises(ConfigError) as caught:
        load_deployments([tmp_path / "one.tfvars.json", tmp_path / "two.tfvars.json"])
    assert "one.tfvars.json" in str(caught.value)
    assert "two.tfvars.json: must hold a JSON object" in str(caught.value)


def test_loaded_deployment_records_its_source() -> None:
    (deployment,) = load_deployments([ROOT / "vars" / "test.tfvars.json"])
    assert isinstance(deployment, Deployment)
    assert deployment.source == "vars/test.tfvars.json"
    assert deployment.name == "test"


S3_BACKEND = {"bucket": "my-terraform-state", "kms_key_id": ""}


@pytest.fixture(scope="module")
def s3_stack(sample_vars: dict[str, Any]) -> dict[str, Any]:
    return synth_deployment({**sample_vars, "s3_backend": S3_BACKEND})


def test_an_s3_backend_from_the_vars_file(s3_stack: dict[str, Any]) -> None:
    assert s3_stack["terraform"]["backend"] == {
        "s3": {
            "bucket": "my-terraform-state",
            "key": "outposts-ecs/test.tfstate",
            "region": "us-west-2",
            "encrypt": True,
            "use_lockfile": True,
        }
    }
    tags = s3_stack["resource"]["aws_vpc"]["test-vpc_vpc"]["tags"]
    assert tags["Terraformbackend"] == "terraform-backend-s3"


def test_an_s3_backend_with_every_setting(sample_vars: dict[str, Any]) -> None:
    key_arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    stack = synth_deployment(
        {
            **sample_vars,
            "s3_backend": {
                "bucket": "state-bucket",
                "key": "team/ecs.tfstate",
                "region": "eu-west-1",
                "use_lockfile": False,
                "kms_key_id": key_arn,
                "workspace_key_prefix": "ws",
            },
        }
    )
    assert stack["terraform"]["backend"]["s3"] == {
        "bucket": "state-bucket",
        "key": "team/ecs.tfstate",
        "region": "eu-west-1",
        "encrypt": True,
        "kms_key_id": key_arn,
        "use_lockfile": False,
        "workspace_key_prefix": "ws",
    }


def test_two_deployments_cannot_share_a_bucket_stream_or_prefix(tmp_path: Path) -> None:
    """A copy of a vars file under another name is a second deployment: the names it derives
    differ, but the bucket and the stream it names, and an explicit prefix, would be shared."""
    sample = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())
    first = tmp_path / "one.tfvars.json"
    second = tmp_path / "two.tfvars.json"
    first.write_text(json.dumps(sample))
    second.write_text(json.dumps({**sample, "deployment_prefix": "one"}))
    with pytest.raises(ConfigError) as caught:
        load_deployments([first, second])
    message = str(caught.value)
    for key in ("s3_bucket_outposts_logging_name", "kinesis_stream_name", "deployment_prefix"):
        assert f"both set {key}" in message, message
    assert "one.tfvars.json and" in message and "two.tfvars.json both set" in message
    # Their own bucket, stream and (default) prefix: side by side.
    second.write_text(
        json.dumps(
            {
                **sample,
                "s3_bucket_outposts_logging_name": "another-logging-bucket-2222222",
                "kinesis_stream_name": "another-stream",
            }
        )
    )
    one, two = load_deployments([first, second])
    assert (one.variables.deployment_prefix, two.variables.deployment_prefix) == ("one", "two")


def test_another_account_may_reuse_the_names(tmp_path: Path) -> None:
    sample = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())
    other = sample["outposts_arn"].replace("111122223333", "444455556666")
    first = tmp_path / "one.tfvars.json"
    second = tmp_path / "two.tfvars.json"
    first.write_text(json.dumps({**sample, "deployment_prefix": "same"}))
    second.write_text(json.dumps({**sample, "deployment_prefix": "same", "outposts_arn": other}))
    assert len(load_deployments([first, second])) == 2


@pytest.mark.parametrize(
    ("file_name", "prefix"),
    [("prod.tfvars.json", "prod"), ("Prod_EU.tfvars.json", "prod-eu"), ("a1.json", "a1")],
)
def test_the_default_prefix_is_the_deployment_name(
    tmp_path: Path, file_name: str, prefix: str
) -> None:
    sample = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())
    path = tmp_path / file_name
    path.write_text(json.dumps(sample))
    assert load_deployments([path])[0].variables.deployment_prefix == prefix


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("a-name-too-long-for-names.tfvars.json", {}),
        ("ok.tfvars.json", {"deployment_prefix": "Upper"}),
        ("ok.tfvars.json", {"deployment_prefix": "trailing-"}),
    ],
)
def test_a_prefix_that_cannot_start_names_is_refused(
    tmp_path: Path, file_name: str, content: dict[str, Any]
) -> None:
    sample = json.loads((ROOT / "vars" / "test.tfvars.json").read_text())
    path = tmp_path / file_name
    path.write_text(json.dumps({**sample, **content}))
    words = r"deployment_prefix.*cannot start the deployment's names"
    with pytest.raises(ConfigError, match=words):
        load_deployments([path])


# Names AWS holds unique in an account's Region (IAM: in the account; S3: in the partition).
UNIQUE_NAMES = {
    ("aws_cloudwatch_dashboard", "dashboard_name"),
    ("aws_cloudwatch_log_group", "name"),
    ("aws_cloudwatch_metric_alarm", "alarm_name"),
    ("aws_codebuild_project", "name"),
    ("aws_ecr_repository", "name"),
    ("aws_ecs_capacity_provider", "name"),
    ("aws_ecs_cluster", "name"),
    # Not refused when shared, but two deployments' revisions would mix in one family.
    ("aws_ecs_task_definition", "family"),
    ("aws_iam_instance_profile", "name"),
    ("aws_iam_role", "name"),
    ("aws_kinesis_stream", "name"),
    ("aws_lb", "name"),
    ("aws_lb_target_group", "name"),
    ("aws_s3_bucket", "bucket"),
}
# Names unique only within something of the deployment's own (its VPC, role, cluster, bucket,
# scalable target), or completed by AWS with a unique suffix (name_prefix, bucket_prefix).
SCOPED_NAMES = {
    ("aws_appautoscaling_policy", "name"),
    ("aws_autoscaling_group", "name_prefix"),
    ("aws_ecs_service", "name"),
    ("aws_iam_role_policy", "name"),
    ("aws_launch_template", "name_prefix"),
    ("aws_s3_bucket", "bucket_prefix"),
    ("aws_security_group", "name"),
    ("aws_security_group", "name_prefix"),
}
NAME_ATTRIBUTES = ("name", "name_prefix", "family", "dashboard_name", "alarm_name", "bucket")


def _names(stack: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for resource_type, resources in stack["resource"].items():
        for body in resources.values():
            for attribute in (*NAME_ATTRIBUTES, "bucket_prefix"):
                value = body.get(attribute)
                # A reference to another resource's name is that resource's, not a name.
                if isinstance(value, str) and not value.startswith("${"):
                    found.setdefault((resource_type, attribute), set()).add(value)
    return found


def test_the_example_deployments_share_no_name_aws_holds_unique(
    synthesized: tuple[Path, str],
) -> None:
    """vars/test and vars/region, both in us-west-2, deploy side by side: every name that
    must be unique differs (it starts with the deployment's prefix), and every named resource
    type is known to be one or the other."""
    test, region = (_names(_stack(synthesized[0], name)) for name in ("test", "region"))
    unknown = (test.keys() | region.keys()) - UNIQUE_NAMES - SCOPED_NAMES
    assert not unknown, f"classify these names as unique or scoped: {sorted(unknown)}"
    shared = {
        kind: test[kind] & region[kind]
        for kind in UNIQUE_NAMES & test.keys() & region.keys()
        if test[kind] & region[kind]
    }
    assert not shared, shared
    for kind in UNIQUE_NAMES - {("aws_kinesis_stream", "name"), ("aws_s3_bucket", "bucket")}:
        for name in test.get(kind, set()):
            assert "test" in name.lower(), (kind, name)
