"""scripts/preflight (``python -m scripts.preflight``): a good account passes every row, a
broken one fails exactly its row with the fix named, Region mode skips the Outpost rows, and
nothing is written.

The account is the emulator (tests/e2e/emulator.py): moto behind the Outposts responder, whose
Outpost (lifecycle status, offered instance types, CoIP pool usage, quota values) a test sets
through ``/_outposts/state``. The operator's credentials are an IAM user of the Outpost's owner
account; the emulator's default credentials are another account. The stacks are the ones
``main.py`` synthesizes for vars/*.tfvars.json (the session fixture ``synthesized``), and the
names the tests expect are read from that JSON too.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.emulator import AWS_CREDENTIALS, Emulator, free_port
from tests.e2e.outposts import DEFAULT_INSTANCE_TYPES, read_state, update_state

# In make test's e2e lane, beside the Terraform workflow: both need the emulator and a synth.
pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TEST_VARS = ROOT / "vars" / "test.tfvars.json"
REGION_VARS = ROOT / "vars" / "region.tfvars.json"
SAMPLE = json.loads(TEST_VARS.read_text())
OUTPOST_ARN: str = SAMPLE["outposts_arn"]
OUTPOST_ID = OUTPOST_ARN.rsplit("/", 1)[1]
OWNER = OUTPOST_ARN.split(":")[4]
REGION = OUTPOST_ARN.split(":")[3]
OUTPOST_ROWS = {
    "Outpost",
    "Outpost alarms",
    "instance types offered",
    "instance capacity",
    "local gateway",
    "local gateway route table",
    "CoIP pool",
}
# Capacity data points are append-only: each state of a test gets a later timestamp.
NOW = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
GOOD_CAPACITY_AT = NOW - datetime.timedelta(minutes=40)
NO_CAPACITY_AT = NOW - datetime.timedelta(minutes=25)
RESTORED_CAPACITY_AT = NOW - datetime.timedelta(minutes=10)


def stack_json(outdir: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
    return document


def literal_names(document: dict[str, Any], resource_type: str, attribute: str) -> list[str]:
    blocks = document.get("resource", {}).get(resource_type, {}).values()
    return [
        b[attribute]
        for b in blocks
        if isinstance(b.get(attribute), str) and "${" not in b[attribute]
    ]


def group_instance_types(document: dict[str, Any]) -> list[str]:
    (group,) = document["resource"]["aws_autoscaling_group"].values()
    overrides = group["mixed_instances_policy"]["launch_template"]["override"]
    return [o["instance_type"] for o in overrides]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def rows(self) -> dict[str, dict[str, str]]:
        return {row["check"]: row for row in json.loads(self.stdout)["rows"]}

    def results(self, result: str) -> set[str]:
        return {check for check, row in self.rows.items() if row["result"] == result}


def client(emulator: Emulator, service: str, env: dict[str, str], account: str = "") -> Any:
    made = boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=emulator.endpoint,
        region_name=REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    if account:
        made.meta.events.register(
            "before-send",
            lambda request, **_: request.headers.__setitem__("x-moto-account-id", account),
        )
    return made


# What the account holds, as the Describe and List calls of every kind of thing preflight
# looks at (and the emulator's Outpost): compared before and after each run. moto makes an
# account's defaults (its default VPC, say) on the account's first call to a service; these
# calls make them before the run, so that they are not taken for something it wrote.
LISTINGS: list[tuple[str, str, dict[str, Any]]] = [
    ("s3", "list_buckets", {}),
    ("ecs", "list_clusters", {}),
    ("ecs", "describe_capacity_providers", {}),
    ("elbv2", "describe_load_balancers", {}),
    ("elbv2", "describe_target_groups", {}),
    ("autoscaling", "describe_auto_scaling_groups", {}),
    ("ec2", "describe_launch_templates", {}),
    ("ecr", "describe_repositories", {}),
    ("codebuild", "list_projects", {}),
    ("iam", "list_roles", {}),
    ("iam", "list_instance_profiles", {}),
    ("iam", "list_policies", {"Scope": "Local"}),
    ("iam", "list_users", {}),
    ("logs", "describe_log_groups", {}),
    ("kinesis", "list_streams", {}),
    ("cloudwatch", "list_dashboards", {}),
    ("cloudwatch", "describe_alarms", {}),
    ("cloudwatch", "list_metrics", {}),
    ("ec2", "describe_vpcs", {}),
    ("ec2", "describe_subnets", {}),
    ("ec2", "describe_route_tables", {}),
    ("ec2", "describe_internet_gateways", {}),
    ("ec2", "describe_security_groups", {}),
    ("ec2", "describe_nat_gateways", {}),
    ("ec2", "describe_addresses", {}),
    ("ec2", "describe_vpc_endpoints", {}),
    ("service-quotas", "get_service_quota", {"ServiceCode": "vpc", "QuotaCode": "L-F678F1CE"}),
]


def account_state(emulator: Emulator, env: dict[str, str]) -> dict[str, Any]:
    state: dict[str, Any] = {"outposts": read_state(emulator.endpoint)}
    for service, operation, params in LISTINGS:
        answer = getattr(client(emulator, service, env), operation)(**params)
        answer.pop("ResponseMetadata", None)
        state[f"{service}.{operation}"] = json.dumps(answer, sort_keys=True, default=str)
    return state


# moto keeps the failures its ECS Describe calls answer for unknown names as model instances:
# what they record is the answer, not the account.
ANSWERS_NOT_STATE = {"ecs.ClusterFailure", "ecs.CapacityProviderFailure"}


def moto_models(emulator: Emulator) -> dict[str, Any]:
    """Every model instance moto holds, of every account (slow: AWS's managed policies and
    public images are among them)."""
    with urllib.request.urlopen(f"{emulator.endpoint}/moto-api/data.json", timeout=300) as answer:
        data = json.loads(answer.read())
    return {
        f"{service}.{name}": instances
        for service, named in data.items()
        for name, instances in named.items()
        if instances and f"{service}.{name}" not in ANSWERS_NOT_STATE
    }


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def put_capacity(
    emulator: Emulator, env: dict[str, str], at: datetime.datetime, free: float
) -> None:
    metric = {
        "MetricName": "InstanceTypeCapacityAvailability",
        "Timestamp": at,
        "Value": free,
        "Unit": "Percent",
    }
    client(emulator, "cloudwatch", env).put_metric_data(
        Namespace="AWS/Outposts",
        MetricData=[
            {
                **metric,
                "Dimensions": [
                    {"Name": "OutpostId", "Value": OUTPOST_ID},
                    {"Name": "InstanceType", "Value": instance_type},
                ],
            }
            for instance_type in DEFAULT_INSTANCE_TYPES
        ],
    )


def preflight(*args: str, env: dict[str, str] | None = None) -> Run:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.preflight", *args],
        cwd=ROOT,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Run(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    log = tmp_path_factory.mktemp("preflight") / "emulator.log"
    with Emulator(
        free_port(), REGION, log, (OUTPOST_ARN, SAMPLE["outposts_local_gateway_id"])
    ) as em:
        yield em.wait_ready()


@pytest.fixture(scope="module")
def operator(emulator: Emulator) -> dict[str, str]:
    """The environment of an operator of the Outpost's owner account, on the emulator."""
    default = {**os.environ, **emulator.env()}
    iam = client(emulator, "iam", default, account=OWNER)
    iam.create_user(UserName="operator")
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    env = {
        **default,
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    put_capacity(emulator, env, GOOD_CAPACITY_AT, 40.0)
    return env


@pytest.fixture
def run(
    emulator: Emulator, operator: dict[str, str], synthesized: tuple[Path, str]
) -> Callable[..., Run]:
    """preflight against the emulator, asserting that the emulator's state did not change."""
    outdir, _ = synthesized

    def run_it(
        vars_file: Path = TEST_VARS,
        *extra: str,
        env: dict[str, str] | None = None,
        every_model: bool = False,
        stacks: Path | None = None,
    ) -> Run:
        env = env or operator
        before = account_state(emulator, env)
        models = moto_models(emulator) if every_model else {}
        done = preflight(
            "--vars-file",
            str(vars_file),
            "--outdir",
            str(stacks or outdir),
            "--format",
            "json",
            *extra,
            env=env,
        )
        if every_model:
            diff = changed(models, moto_models(emulator))
            assert not diff, f"preflight changed moto's {diff}"
        diff = changed(before, account_state(emulator, env))
        assert not diff, f"preflight changed the account's {diff}"
        assert done.returncode in (0, 1), done.stderr
        return done

    return run_it


def test_a_good_account_passes_every_row(
    run: Callable[..., Run], synthesized: tuple[Path, str]
) -> None:
    done = run(every_model=True)
    assert done.returncode == 0, done.stdout
    rows = done.rows
    assert {row["result"] for row in rows.values()} == {"pass"}, done.stdout
    assert OUTPOST_ROWS | {"account", "subnet CIDRs", "S3 bucket names"} <= set(rows)
    document = stack_json(synthesized[0], "test")
    for label, resource_type, attribute in (
        ("ECS cluster", "aws_ecs_cluster", "name"),
        ("load balancer", "aws_lb", "name"),
        ("ECR repository", "aws_ecr_repository", "name"),
        ("IAM role", "aws_iam_role", "name"),
        ("log group", "aws_cloudwatch_log_group", "name"),
        ("CodeBuild project", "aws_codebuild_project", "name"),
        ("Kinesis stream", "aws_kinesis_stream", "name"),
        ("dashboard", "aws_cloudwatch_dashboard", "dashboard_name"),
        ("alarm", "aws_cloudwatch_metric_alarm", "alarm_name"),
    ):
        names = literal_names(document, resource_type, attribute)
        assert names, resource_type
        assert all(name in rows[f"name: {label}"]["detail"] for name in names)
    for instance_type in group_instance_types(document):
        assert instance_type in rows["instance types offered"]["detail"]
        assert f"{instance_type} 40% free" in rows["instance capacity"]["detail"]
    nat_gateways = len(document["resource"]["aws_nat_gateway"])
    assert f"{nat_gateways} added" in rows["quota: Elastic IPs"]["detail"]
    for quota in ("VPCs", "NAT gateways per AZ", "interface endpoints", "gateway endpoints"):
        assert f"quota: {quota}" in rows


def test_region_mode_skips_the_outpost_rows(run: Callable[..., Run]) -> None:
    done = run(REGION_VARS)
    assert done.returncode == 0, done.stdout
    assert done.results("skip") == OUTPOST_ROWS
    assert done.results("fail") == set()
    assert "name: ECS cluster" in done.results("pass")
    assert f"account {OWNER}" in done.rows["account"]["detail"]


# Breaks the account (the emulator, the operator's environment, the stack's JSON); what it
# returns mends it.
Breaker = Callable[[Emulator, dict[str, str], dict[str, Any]], Callable[[], object]]


@dataclass(frozen=True)
class Broken:
    """What breaks the account, the row that must fail and what its fix must say."""

    breaks: Breaker
    row: str
    fix: str
    detail: str = ""


def set_outpost(**changes: Any) -> Breaker:
    def breaks(emulator: Emulator, _: dict[str, str], __: dict[str, Any]) -> Callable[[], object]:
        before = {k: v for k, v in read_state(emulator.endpoint).items() if k in changes}
        update_state(emulator.endpoint, changes)
        return lambda: update_state(emulator.endpoint, before)

    return breaks


def missing_type(
    emulator: Emulator, env: dict[str, str], document: dict[str, Any]
) -> Callable[[], object]:
    lacking = group_instance_types(document)[1]
    offered = [t for t in DEFAULT_INSTANCE_TYPES if t != lacking]
    return set_outpost(instance_types=offered)(emulator, env, document)


def taken_bucket(
    emulator: Emulator, env: dict[str, str], document: dict[str, Any]
) -> Callable[[], object]:
    """The logging bucket's name, taken by another account (the emulator's default one)."""
    (bucket,) = literal_names(document, "aws_s3_bucket", "bucket")
    other = client(emulator, "s3", dict(AWS_CREDENTIALS))
    other.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return lambda: other.delete_bucket(Bucket=bucket)


def taken_cluster(
    emulator: Emulator, env: dict[str, str], document: dict[str, Any]
) -> Callable[[], object]:
    (cluster,) = literal_names(document, "aws_ecs_cluster", "name")
    ecs = client(emulator, "ecs", env)
    ecs.create_cluster(clusterName=cluster)
    return lambda: ecs.delete_cluster(cluster=cluster)


def taken_role(
    emulator: Emulator, env: dict[str, str], document: dict[str, Any]
) -> Callable[[], object]:
    role = literal_names(document, "aws_iam_role", "name")[0]
    iam = client(emulator, "iam", env)
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    return lambda: iam.delete_role(RoleName=role)


def no_capacity(emulator: Emulator, env: dict[str, str], _: dict[str, Any]) -> Callable[[], object]:
    put_capacity(emulator, env, NO_CAPACITY_AT, 0.0)
    return lambda: put_capacity(emulator, env, RESTORED_CAPACITY_AT, 40.0)


BROKEN = {
    "missing instance type": Broken(
        missing_type, "instance types offered", "get-outpost-instance-types", "not offered"
    ),
    "no free capacity": Broken(no_capacity, "instance capacity", "free capacity", "0% free"),
    "exhausted CoIP pool": Broken(
        set_outpost(coip_used=64), "CoIP pool", "get-coip-pool-usage", "0 free"
    ),
    "inactive Outpost": Broken(
        set_outpost(life_cycle_status="PENDING"), "Outpost", "ACTIVE", "is PENDING"
    ),
    "taken bucket": Broken(
        taken_bucket, "S3 bucket names", "s3_bucket_outposts_logging_name", "another account"
    ),
    "taken cluster name": Broken(taken_cluster, "name: ECS cluster", "leftover", "taken"),
    "taken role name": Broken(taken_role, "name: IAM role", "leftover", "taken"),
    "Elastic IP quota": Broken(
        set_outpost(quotas={"ec2": {"L-0263D0A3": 1.0}}),
        "quota: Elastic IPs",
        "L-0263D0A3",
        "quota 1",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_account_fails_exactly_its_row(
    case: str,
    run: Callable[..., Run],
    emulator: Emulator,
    operator: dict[str, str],
    synthesized: tuple[Path, str],
) -> None:
    broken = BROKEN[case]
    restore = broken.breaks(emulator, operator, stack_json(synthesized[0], "test"))
    try:
        done = run()
    finally:
        restore()
    assert done.returncode == 1, done.stdout
    assert done.results("fail") == {broken.row}, done.stdout
    row = done.rows[broken.row]
    assert broken.fix in row["fix"], row
    assert broken.detail in row["detail"], row


def test_the_wrong_account_fails_the_account_row(
    run: Callable[..., Run],
    emulator: Emulator,
    synthesized: tuple[Path, str],
    tmp_path: Path,
) -> None:
    """The emulator's default credentials are another account than the Outpost's owner."""
    done = run(env={**os.environ, **emulator.env(), "AWS_EC2_METADATA_DISABLED": "true"})
    assert done.returncode == 1, done.stdout
    assert done.results("fail") == {"account"}, done.stdout
    row = done.rows["account"]
    assert f"expected {OWNER}" in row["detail"]
    assert OWNER in row["fix"] and "--account" in row["fix"]
    # Told which account to expect, the same credentials are an account the Outpost is
    # shared with: only the alarms on the Outpost's metrics, which stay with its owner, fail.
    other = json.loads(done.stdout)["account"]
    shared = {**os.environ, **emulator.env(), "AWS_EC2_METADATA_DISABLED": "true"}
    again = run(TEST_VARS, "--account", other, env=shared)
    assert again.results("fail") == {"Outpost alarms"}, again.stdout
    row = again.rows["Outpost alarms"]
    assert f"account {OWNER}'s, shared with {other}" in row["detail"]
    assert "-outpost-link-down" in row["detail"] and "-outpost-capacity-" in row["detail"]
    assert "enable_outpost_alarms to false" in row["fix"]
    # Its stack without them (enable_outpost_alarms: false; the same vars file's provenance).
    stacks = tmp_path / "out"
    document = stack_json(synthesized[0], "test")
    alarms = document["resource"]["aws_cloudwatch_metric_alarm"]
    for key in [k for k, alarm in alarms.items() if alarm.get("namespace") == "AWS/Outposts"]:
        del alarms[key]
    (stacks / "stacks" / "test").mkdir(parents=True)
    (stacks / "stacks" / "test" / "cdk.tf.json").write_text(json.dumps(document))
    without = run(TEST_VARS, "--account", other, env=shared, stacks=stacks)
    assert without.results("fail") == set(), without.stdout
    assert "no alarm on AWS/Outposts metrics" in without.rows["Outpost alarms"]["detail"]


def test_the_table_names_each_check_and_progress_goes_to_stderr(
    emulator: Emulator, operator: dict[str, str], synthesized: tuple[Path, str]
) -> None:
    update_state(emulator.endpoint, {"life_cycle_status": "PENDING"})
    try:
        done = preflight(
            "--vars-file", str(TEST_VARS), "--outdir", str(synthesized[0]), env=operator
        )
    finally:
        update_state(emulator.endpoint, {"life_cycle_status": "ACTIVE"})
    assert done.returncode == 1
    header, rule, *lines = done.stdout.splitlines()
    assert header.split() == ["CHECK", "RESULT", "DETAIL", "FIX"]
    assert set(rule.replace(" ", "")) == {"-"}
    # The check column is padded: "Outpost" and two spaces or more, not "Outpost alarms".
    (outpost,) = [line for line in lines if line.startswith("Outpost  ")]
    assert outpost.split()[1] == "FAIL"
    assert lines[-1].startswith("preflight FAILED: ") and "1 failed" in lines[-1]
    assert "preflight: [1/" in done.stderr and "account" in done.stderr


def test_writes_are_refused_before_they_are_sent(
    emulator: Emulator, operator: dict[str, str]
) -> None:
    """What preflight's clients send is read-only by construction, not only by the checks."""
    from scripts.preflight.aws import Aws, WriteRefused

    before = account_state(emulator, operator)
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(key, operator[key])
        aws = Aws(REGION)
        s3 = aws.client("s3")
        with pytest.raises(WriteRefused, match="CreateBucket"):
            s3.create_bucket(
                Bucket="written", CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        with pytest.raises(ClientError):
            s3.head_bucket(Bucket="written")
    assert not changed(before, account_state(emulator, operator))


def test_subnets_in_a_vpc_that_exists_must_be_free_there(
    emulator: Emulator, operator: dict[str, str]
) -> None:
    from rules.model import Stack
    from scripts.preflight.aws import Aws
    from scripts.preflight.context import Context
    from scripts.preflight.network import check_subnets
    from vars_file import load_variables

    ec2 = client(emulator, "ec2", operator)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    taken = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]

    def subnet_row(*cidrs: str) -> Any:
        subnets = {f"mine_{i}": {"vpc_id": vpc, "cidr_block": c} for i, c in enumerate(cidrs)}
        stack = Stack({"resource": {"aws_subnet": subnets}}, "existing")
        ctx = Context(load_variables(TEST_VARS), stack, Aws(REGION), OWNER)
        (row,) = check_subnets(ctx)
        return row

    try:
        with pytest.MonkeyPatch.context() as patch:
            for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                patch.setenv(key, operator[key])
            row = subnet_row("10.50.1.0/24", "10.50.2.0/24")
            assert row.result == "fail"
            assert f"mine_0 10.50.1.0/24 overlaps subnets of {vpc}" in row.detail
            assert "mine_1" not in row.detail
            assert "10.51.0.0/24 is outside" in subnet_row("10.51.0.0/24").detail
            row = subnet_row("10.50.2.0/24")
            assert (row.result, row.detail.endswith(f"free in {vpc}")) == ("pass", True)
    finally:
        ec2.delete_subnet(SubnetId=taken)
        ec2.delete_vpc(VpcId=vpc)


# Bad input: the checks cannot run (exit status 2, one line saying why); no AWS call is made.


def fake_stack(outdir: Path, vars_file: Path, digest: str | None = None) -> None:
    """A stack folder whose JSON names ``vars_file`` as its source."""
    name = vars_file.name.removesuffix(".tfvars.json")
    folder = outdir / "stacks" / name
    folder.mkdir(parents=True)
    provenance = {"sha256": digest or hashlib.sha256(vars_file.read_bytes()).hexdigest()}
    (folder / "cdk.tf.json").write_text(json.dumps({"//": {"provenance": provenance}}))


def no_aws(tmp_path: Path) -> dict[str, str]:
    """An environment with no credentials anywhere and nothing listening for AWS."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in ("VARS_FILE", "CDKTF_OUTDIR")
    }
    return {
        **env,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }


def assert_refused(done: Run, *phrases: str) -> None:
    assert done.returncode == 2, done
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ")
    for phrase in phrases:
        assert phrase in line, line


def test_an_unreadable_vars_file_is_bad_input(tmp_path: Path) -> None:
    missing = tmp_path / "gone.tfvars.json"
    assert_refused(preflight("--vars-file", str(missing), env=no_aws(tmp_path)), str(missing))
    broken = tmp_path / "broken.tfvars.json"
    broken.write_text("{")
    assert_refused(preflight("--vars-file", str(broken), env=no_aws(tmp_path)), "not valid JSON")
    assert_refused(preflight(env=no_aws(tmp_path)), "--vars-file", "VARS_FILE")


def test_a_missing_or_stale_stack_says_to_synthesize(tmp_path: Path) -> None:
    env = no_aws(tmp_path)
    outdir = tmp_path / "out"
    args = ("--vars-file", str(TEST_VARS), "--outdir", str(outdir))
    assert_refused(preflight(*args, env=env), "no synthesized stack", "make synth VARS_FILE=")
    fake_stack(outdir, TEST_VARS, digest="0" * 64)
    assert_refused(preflight(*args, env=env), "another version", "make synth VARS_FILE=")


def test_a_malformed_account_or_no_credentials_is_bad_input(tmp_path: Path) -> None:
    env = no_aws(tmp_path)
    outdir = tmp_path / "out"
    fake_stack(outdir, TEST_VARS)
    args = ("--vars-file", str(TEST_VARS), "--outdir", str(outdir))
    assert_refused(preflight(*args, "--account", "12345", env=env), "12 digits")
    assert_refused(preflight(*args, env=env), "no AWS credentials")
