"""The emulator's shims: each gap of moto it closes answers as AWS does (tests/e2e/emulator.py)."""

from __future__ import annotations

import hashlib
import io
import json
import time
import urllib.error
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from . import codebuild
from .emulator import KINESIS_MANAGED_ALIAS, Emulator, free_port
from .outposts import DEFAULT_INSTANCE_TYPES, read_state, update_state

REGION = "us-west-2"
OUTPOST_ARN = "arn:aws:outposts:us-west-2:111122223333:outpost/op-0123456789abcdef0"
LOCAL_GATEWAY = "lgw-0123456789abcdef0"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with Emulator(free_port(), REGION, log, (OUTPOST_ARN, LOCAL_GATEWAY)) as started:
        yield started.wait_ready()


def vpc_and_subnet(ec2: Any, cidr: str) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
    return vpc, subnet


def test_kinesis_managed_key_alias_exists(emulator: Emulator) -> None:
    kms = emulator.client("kms")
    key = kms.describe_key(KeyId=KINESIS_MANAGED_ALIAS)["KeyMetadata"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases[KINESIS_MANAGED_ALIAS] == key["KeyId"]
    # The same key on every look-up, as Kinesis' managed key is one per account and Region.
    assert kms.describe_key(KeyId=KINESIS_MANAGED_ALIAS)["KeyMetadata"]["Arn"] == key["Arn"]


def test_aws_managed_iam_policies_are_loaded(emulator: Emulator) -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
    assert emulator.client("iam").get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn


def ecs_service(ecs: Any, cluster: str, **extra: Any) -> None:
    ecs.create_cluster(clusterName=cluster)
    task = ecs.register_task_definition(
        family="f", containerDefinitions=[{"name": "c", "image": "i", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=cluster, serviceName="svc", taskDefinition=task, desiredCount=1, **extra
    )


def test_an_instance_refresh_is_recorded_and_ends_at_once(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    template = ec2.create_launch_template(
        LaunchTemplateName="refresh", LaunchTemplateData={"ImageId": "ami-12c6146b"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    scaling = emulator.client("autoscaling")
    scaling.create_auto_scaling_group(
        AutoScalingGroupName="refresh",
        LaunchTemplate={"LaunchTemplateId": template},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[f"{emulator.region}a"],
    )
    with pytest.raises(ClientError) as none_active:
        scaling.cancel_instance_refresh(AutoScalingGroupName="refresh")
    assert none_active.value.response["Error"]["Code"] == "ActiveInstanceRefreshNotFound"
    started = scaling.start_instance_refresh(
        AutoScalingGroupName="refresh", Preferences={"MinHealthyPercentage": 90}
    )["InstanceRefreshId"]
    (refresh,) = scaling.describe_instance_refreshes(AutoScalingGroupName="refresh")[
        "InstanceRefreshes"
    ]
    assert refresh["InstanceRefreshId"] == started
    assert refresh["Status"] == "Successful" and refresh["PercentageComplete"] == 100
    with pytest.raises(ClientError) as unknown:
        scaling.start_instance_refresh(AutoScalingGroupName="no-such-group")
    assert unknown.value.response["Error"]["Code"] == "ValidationError"


def test_a_group_update_that_names_no_policy_keeps_the_mixed_instances_policy(
    emulator: Emulator,
) -> None:
    ec2 = emulator.client("ec2")
    template = ec2.create_launch_template(
        LaunchTemplateName="mixed", LaunchTemplateData={"ImageId": "ami-12c6146b"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    policy = {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "1"},
            "Overrides": [{"InstanceType": "c5.2xlarge"}, {"InstanceType": "m5.2xlarge"}],
        }
    }
    scaling = emulator.client("autoscaling")
    scaling.create_auto_scaling_group(
        AutoScalingGroupName="mixed",
        MixedInstancesPolicy=policy,
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=[f"{emulator.region}a"],
    )
    scaling.update_auto_scaling_group(AutoScalingGroupName="mixed", MaxSize=2)
    (group,) = scaling.describe_auto_scaling_groups(AutoScalingGroupNames=["mixed"])[
        "AutoScalingGroups"
    ]
    assert group["MaxSize"] == 2
    overrides = group["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
    assert [o["InstanceType"] for o in overrides] == ["c5.2xlarge", "m5.2xlarge"]


def test_application_autoscaling_keeps_tags(emulator: Emulator) -> None:
    ecs_service(emulator.client("ecs"), "tags")
    scaling = emulator.client("application-autoscaling")
    scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/tags/svc",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"Project": "p"},
    )
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    arn = target["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "p"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Owner": "o"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Project"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Owner": "o"}


def test_ecs_service_keeps_capacity_provider_strategy_and_flags(emulator: Emulator) -> None:
    ecs = emulator.client("ecs")
    strategy = [{"capacityProvider": "cp", "weight": 1, "base": 0}]
    ecs_service(
        ecs,
        "strategy",
        capacityProviderStrategy=strategy,
        enableECSManagedTags=True,
        healthCheckGracePeriodSeconds=60,
        availabilityZoneRebalancing="DISABLED",
        placementStrategy=[{"type": "spread", "field": "instanceId"}],
    )
    (service,) = ecs.describe_services(cluster="strategy", services=["svc"])["services"]
    assert service["capacityProviderStrategy"] == strategy
    assert service["enableECSManagedTags"] is True
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["availabilityZoneRebalancing"] == "DISABLED"
    assert service["placementStrategy"] == [{"type": "spread", "field": "instanceId"}]


def test_ecs_describes_every_capacity_provider_when_none_is_named(emulator: Emulator) -> None:
    ecs = emulator.client("ecs")
    group = "arn:aws:autoscaling:us-west-2:123456789012:autoScalingGroup:1:autoScalingGroupName/g"
    for name in ("listed-1", "listed-2"):
        ecs.create_capacity_provider(
            name=name, autoScalingGroupProvider={"autoScalingGroupArn": group}
        )
    described = {p["name"] for p in ecs.describe_capacity_providers()["capacityProviders"]}
    assert {"listed-1", "listed-2"} <= described
    named = ecs.describe_capacity_providers(capacityProviders=["listed-2", "missing"])
    assert [p["name"] for p in named["capacityProviders"]] == ["listed-2"]
    assert [f["arn"].rsplit("/", 1)[1] for f in named["failures"]] == ["missing"]


def tls_policy(bucket: str, secure_transport: str) -> str:
    """A bucket policy denying every request whose ``aws:SecureTransport`` is the value given."""
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": secure_transport}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_tls_only_bucket_policy_lets_the_emulators_requests_through(emulator: Emulator) -> None:
    s3 = emulator.client("s3")
    bucket = "tls-only"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_policy(bucket, "false"))
    s3.put_object(Bucket=bucket, Key="log.gz", Body=b"log")
    assert s3.get_object(Bucket=bucket, Key="log.gz")["Body"].read() == b"log"
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "log.gz"}]})
    assert [d["Key"] for d in deleted["Deleted"]] == ["log.gz"] and not deleted.get("Errors")
    # Denied over HTTPS: the emulator's requests are refused.
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_policy(bucket, "true"))
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="log.gz", Body=b"log")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)


def test_kinesis_create_stream_keeps_tags(emulator: Emulator) -> None:
    kinesis = emulator.client("kinesis")
    kinesis.create_stream(StreamName="tagged", ShardCount=1, Tags={"Project": "p"})
    tags = kinesis.list_tags_for_stream(StreamName="tagged")["Tags"]
    assert tags == [{"Key": "Project", "Value": "p"}]


def test_codebuild_deletes_a_project_by_arn(emulator: Emulator) -> None:
    codebuild = emulator.client("codebuild")
    arn = codebuild.create_project(
        name="by-arn",
        source={"type": "S3", "location": "bucket/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole="arn:aws:iam::123456789012:role/r",
    )["project"]["arn"]
    codebuild.delete_project(name=arn)
    assert "by-arn" not in codebuild.list_projects()["projects"]


def codebuild_project(codebuild_client: Any, name: str, **extra: Any) -> str:
    """A project as the image module makes it (S3 source, no artifacts); its ARN."""
    arn: str = codebuild_client.create_project(
        name=name,
        source={"type": "S3", "location": "bucket/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole="arn:aws:iam::123456789012:role/r",
        **extra,
    )["project"]["arn"]
    return arn


def test_codebuild_update_project_changes_the_project(emulator: Emulator) -> None:
    client = emulator.client("codebuild")
    arn = codebuild_project(client, "updated", description="before")
    environment = {
        "type": "LINUX_CONTAINER",
        "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
        "computeType": "BUILD_GENERAL1_SMALL",
        "privilegedMode": True,
        "environmentVariables": [{"name": "IMAGE_TAG", "value": "t", "type": "PLAINTEXT"}],
    }
    logs = {"cloudWatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/updated"}}
    updated = client.update_project(
        name="updated",
        description="after",
        source={"type": "S3", "location": "bucket/other.zip", "buildspec": "version: 0.2"},
        environment=environment,
        timeoutInMinutes=20,
        logsConfig=logs,
        tags=[{"key": "Project", "value": "p"}],
    )["project"]
    (read,) = client.batch_get_projects(names=["updated"])["projects"]
    assert updated == read
    assert (read["description"], read["timeoutInMinutes"]) == ("after", 20)
    assert read["source"]["location"] == "bucket/other.zip"
    assert read["environment"]["environmentVariables"][0]["value"] == "t"
    assert read["logsConfig"] == logs
    assert read["tags"] == [{"key": "Project", "value": "p"}]
    assert read["lastModified"] >= read["created"]
    # By ARN, too; what the request leaves out stays.
    client.update_project(name=arn, serviceRole="arn:aws:iam::123456789012:role/other")
    (read,) = client.batch_get_projects(names=[arn])["projects"]
    assert read["serviceRole"] == "arn:aws:iam::123456789012:role/other"
    assert read["description"] == "after"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client.update_project(name="no-such-project", description="x")


def zipped(files: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


GOOD_SOURCE = {
    "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\nRUN python -m compileall -q /app\n",
    "__main__.py": "print('producer')\n",
    "service/app.py": "def handler() -> int:\n    return 1\n",
}


@pytest.fixture
def fast_builds(emulator: Emulator) -> Iterator[None]:
    """Builds whose phases take 0.05 s, for the test's duration."""
    before = codebuild.read_state(emulator.endpoint)
    codebuild.update_state(emulator.endpoint, {"phase_seconds": 0.05})
    yield
    codebuild.update_state(emulator.endpoint, before)


def image_project(
    emulator: Emulator, name: str, files: Mapping[str, str], *, upload: bool = True
) -> str:
    """A bucket holding ``files`` zipped (unless not ``upload``), an IMMUTABLE ECR
    repository, a log group and a project building the image, named as the image module
    names them; the source digest (the image tag)."""
    archive = zipped(files)
    digest = hashlib.sha256(archive).hexdigest()[:16]
    bucket, key = f"{name}-img-src", f"producer/{digest}.zip"
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    if upload:
        s3.put_object(Bucket=bucket, Key=key, Body=archive)
    repository = emulator.client("ecr").create_repository(
        repositoryName=name, imageTagMutability="IMMUTABLE"
    )["repository"]
    group = f"/aws/codebuild/{name}"
    emulator.client("logs").create_log_group(logGroupName=group)
    variables = {
        "REPOSITORY_URI": repository["repositoryUri"],
        "IMAGE_REPO_NAME_PRODUCER": name,
        "IMAGE_TAG": digest,
        "AWS_DEFAULT_REGION": REGION,
        "SOURCE_REPO": f"s3://{bucket}/{key}",
        "SOURCE_DIGEST": digest,
    }
    emulator.client("codebuild").create_project(
        name=name,
        source={"type": "S3", "location": f"{bucket}/{key}"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "privilegedMode": True,
            "environmentVariables": [
                {"name": k, "value": v, "type": "PLAINTEXT"} for k, v in variables.items()
            ],
        },
        serviceRole="arn:aws:iam::123456789012:role/codebuild",
        logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": group}},
    )
    return digest


def follow(
    emulator: Emulator, name: str, timeout: float = 30
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Start a build of ``name`` and poll it to its end, as a follower would: the build at
    its end, and each (buildStatus, currentPhase) seen on the way."""
    client = emulator.client("codebuild")
    build = client.start_build(projectName=name)["build"]
    seen = [(build["buildStatus"], build["currentPhase"])]
    deadline = time.monotonic() + timeout
    while not build["buildComplete"]:
        assert time.monotonic() < deadline, f"the build did not end: {build}"
        time.sleep(0.01)
        (build,) = client.batch_get_builds(ids=[build["id"]])["builds"]
        if (build["buildStatus"], build["currentPhase"]) != seen[-1]:
            seen.append((build["buildStatus"], build["currentPhase"]))
    return build, seen


def log_of(emulator: Emulator, build: Mapping[str, Any]) -> list[str]:
    events = emulator.client("logs").get_log_events(
        logGroupName=build["logs"]["groupName"],
        logStreamName=build["logs"]["streamName"],
        startFromHead=True,
    )["events"]
    return [e["message"] for e in events]


def phases_of(build: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The build's phases by type; each type at most once."""
    types = [p["phaseType"] for p in build["phases"]]
    assert len(types) == len(set(types)), types
    return {p["phaseType"]: p for p in build["phases"]}


def image_tags(emulator: Emulator, repository: str) -> list[str]:
    return [
        tag
        for image in emulator.client("ecr").describe_images(repositoryName=repository)[
            "imageDetails"
        ]
        for tag in image.get("imageTags", [])
    ]


@pytest.mark.usefixtures("fast_builds")
def test_a_build_goes_through_its_phases_pushes_the_image_and_logs(emulator: Emulator) -> None:
    digest = image_project(emulator, "good-build", GOOD_SOURCE)
    # Phases long enough that a follower on a busy machine (a request may take 100 ms) still
    # sees several of them.
    codebuild.update_state(emulator.endpoint, {"phase_seconds": 0.25})
    build, seen = follow(emulator, "good-build")

    assert build["buildStatus"] == "SUCCEEDED"
    # Followed while it ran: in progress through several phases, one after another.
    assert seen[0] == ("IN_PROGRESS", "QUEUED")
    assert len([s for s in seen if s[0] == "IN_PROGRESS"]) >= 4
    assert seen[-1] == ("SUCCEEDED", "COMPLETED")
    phases = phases_of(build)
    assert list(phases) == list(codebuild.PHASES)
    assert all(p["phaseStatus"] == "SUCCEEDED" for t, p in phases.items() if t != "COMPLETED")
    assert all(p["endTime"] >= p["startTime"] for t, p in phases.items() if t != "COMPLETED")
    assert build["endTime"] == phases["COMPLETED"]["startTime"]
    project, uuid = build["id"].split(":")
    assert (project, build["buildNumber"]) == ("good-build", 1)
    assert build["logs"]["streamName"] == uuid
    assert build["logs"]["groupName"] == "/aws/codebuild/good-build"
    assert build["source"]["type"] == "S3"
    names = {v["name"] for v in build["environment"]["environmentVariables"]}
    assert {"IMAGE_TAG", "SOURCE_DIGEST", "REPOSITORY_URI"} <= names
    # Asking again changes nothing of a completed build.
    client = emulator.client("codebuild")
    assert client.batch_get_builds(ids=[build["id"]])["builds"] == [build]
    assert build["id"] in client.list_builds_for_project(projectName="good-build")["ids"]

    assert image_tags(emulator, "good-build") == [digest]
    log = log_of(emulator, build)
    for phase in ("INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD"):
        assert any(line.endswith(f"Entering phase {phase}") for line in log), log
        assert any(f"Phase complete: {phase} State: SUCCEEDED" in line for line in log), log
    assert any("Running command docker build" in line for line in log), log
    assert all(line.startswith("[Container] 2") for line in log if "phase" in line.lower())

    # The same digest again: nothing built, nothing pushed, and the log says why.
    again, _ = follow(emulator, "good-build")
    assert (again["buildStatus"], again["buildNumber"]) == ("SUCCEEDED", 2)
    again_log = log_of(emulator, again)
    assert any("is already in the repository" in line for line in again_log), again_log
    assert any(line.endswith("nothing to build") for line in again_log)
    assert not any("Running command docker" in line for line in again_log)
    assert image_tags(emulator, "good-build") == [digest]


@pytest.mark.usefixtures("fast_builds")
def test_a_build_of_source_with_a_syntax_error_fails_in_build(emulator: Emulator) -> None:
    image_project(
        emulator,
        "broken-build",
        {**GOOD_SOURCE, "service/app.py": "def handler(:\n    return 1\n"},
    )
    build, _ = follow(emulator, "broken-build")

    assert (build["buildStatus"], build["currentPhase"]) == ("FAILED", "COMPLETED")
    phases = phases_of(build)
    (context,) = phases["BUILD"]["contexts"]
    assert phases["BUILD"]["phaseStatus"] == "FAILED"
    assert context["statusCode"] == "COMMAND_EXECUTION_ERROR"
    assert context["message"].startswith("Error while executing command: docker build")
    assert context["message"].endswith("Reason: exit status 1")
    # As AWS: POST_BUILD and UPLOAD_ARTIFACTS are still attempted after a failed BUILD.
    assert list(phases)[-4:] == ["POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]
    log = log_of(emulator, build)
    assert any("SyntaxError" in line for line in log), log
    assert any("service/app.py" in line for line in log), log
    assert any("Phase complete: BUILD State: FAILED" in line for line in log), log
    assert any(
        "Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing" in line
        for line in log
    ), log
    assert image_tags(emulator, "broken-build") == []


@pytest.mark.usefixtures("fast_builds")
def test_a_build_without_a_dockerfile_fails_in_build(emulator: Emulator) -> None:
    image_project(emulator, "no-dockerfile", {"__main__.py": "print('producer')\n"})
    build, _ = follow(emulator, "no-dockerfile")
    assert build["buildStatus"] == "FAILED"
    assert phases_of(build)["BUILD"]["phaseStatus"] == "FAILED"
    assert any("open Dockerfile: no such file" in line for line in log_of(emulator, build))
    assert image_tags(emulator, "no-dockerfile") == []


@pytest.mark.usefixtures("fast_builds")
def test_a_build_whose_source_is_missing_fails_in_download_source(emulator: Emulator) -> None:
    image_project(emulator, "no-source", GOOD_SOURCE, upload=False)
    build, _ = follow(emulator, "no-source")

    assert build["buildStatus"] == "FAILED"
    phases = phases_of(build)
    assert list(phases)[-3:] == ["DOWNLOAD_SOURCE", "FINALIZING", "COMPLETED"]
    (context,) = phases["DOWNLOAD_SOURCE"]["contexts"]
    assert phases["DOWNLOAD_SOURCE"]["phaseStatus"] == "FAILED"
    assert context["statusCode"] == "CLIENT_ERROR"
    assert "NoSuchKey" in context["message"]
    assert image_tags(emulator, "no-source") == []


def test_a_build_can_be_stopped(emulator: Emulator) -> None:
    """With the default phase time, a build is still running when StopBuild comes."""
    assert codebuild.read_state(emulator.endpoint)["phase_seconds"] >= 0.5
    image_project(emulator, "stopped-build", GOOD_SOURCE)
    client = emulator.client("codebuild")
    started = client.start_build(projectName="stopped-build")["build"]
    stopped = client.stop_build(id=started["id"])["build"]
    assert stopped["phases"][-1]["phaseType"] == "FINALIZING"
    assert stopped["phases"][-2]["phaseStatus"] == "STOPPED"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client.stop_build(id="stopped-build:00000000-0000-0000-0000-000000000000")
    assert client.batch_get_builds(ids=["stopped-build:00000000-0000-0000-0000-000000000000"])[
        "buildsNotFound"
    ] == ["stopped-build:00000000-0000-0000-0000-000000000000"]


def test_the_codebuild_state_endpoint_sets_the_phase_time(emulator: Emulator) -> None:
    before = codebuild.read_state(emulator.endpoint)
    assert before == {"phase_seconds": codebuild.DEFAULT_PHASE_SECONDS}
    try:
        assert codebuild.update_state(emulator.endpoint, {"phase_seconds": 0.2}) == {
            "phase_seconds": 0.2
        }
        for refused in ({"phase_secs": 1}, {"phase_seconds": -1}, {"phase_seconds": "1"}):
            with pytest.raises(urllib.error.HTTPError) as error:
                codebuild.update_state(emulator.endpoint, refused)
            assert error.value.code == 400
        assert codebuild.read_state(emulator.endpoint) == {"phase_seconds": 0.2}
    finally:
        codebuild.update_state(emulator.endpoint, before)


def test_the_codebuild_state_is_served_without_an_outpost(
    start_emulator: Callable[..., Emulator],
) -> None:
    in_region = start_emulator(REGION)
    assert codebuild.read_state(in_region.endpoint) == {
        "phase_seconds": codebuild.DEFAULT_PHASE_SECONDS
    }


def test_launch_template_tags_stay_off_its_data(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    ec2.create_launch_template(
        LaunchTemplateName="tagged",
        LaunchTemplateData={"ImageId": "ami-12345678"},
        TagSpecifications=[
            {"ResourceType": "launch-template", "Tags": [{"Key": "P", "Value": "p"}]}
        ],
    )
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateName="tagged")[
        "LaunchTemplateVersions"
    ]
    assert "TagSpecifications" not in version["LaunchTemplateData"]
    (template,) = ec2.describe_launch_templates(LaunchTemplateNames=["tagged"])["LaunchTemplates"]
    assert template["Tags"] == [{"Key": "P", "Value": "p"}]
    # A tag change shows in the template, as in DescribeTags.
    ec2.create_tags(Resources=[template["LaunchTemplateId"]], Tags=[{"Key": "P", "Value": "q"}])
    ec2.delete_tags(Resources=[template["LaunchTemplateId"]], Tags=[{"Key": "Gone"}])
    (template,) = ec2.describe_launch_templates(LaunchTemplateNames=["tagged"])["LaunchTemplates"]
    assert template["Tags"] == [{"Key": "P", "Value": "q"}]


def test_instance_without_volume_size_gets_a_root_volume(emulator: Emulator) -> None:
    """As the autoscaling group launches them: from a launch template that gives no size."""
    ec2 = emulator.client("ec2")
    _, subnet = vpc_and_subnet(ec2, "10.9.0.0/24")
    ec2.create_launch_template(
        LaunchTemplateName="no-size",
        LaunchTemplateData={
            "ImageId": "ami-00000000000000000",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeType": "gp2"}}],
        },
    )
    (instance,) = ec2.run_instances(
        LaunchTemplate={"LaunchTemplateName": "no-size"}, MinCount=1, MaxCount=1, SubnetId=subnet
    )["Instances"]
    volumes = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}]
    )["Volumes"]
    assert 30 in {v["Size"] for v in volumes}


def test_outposts_api_answers_for_the_outpost(emulator: Emulator) -> None:
    outposts = emulator.client("outposts")
    (listed,) = outposts.list_outposts()["Outposts"]
    got = outposts.get_outpost(OutpostId="op-0123456789abcdef0")["Outpost"]
    assert listed == got
    assert got["OutpostArn"] == OUTPOST_ARN
    assert got["OwnerId"] == "111122223333"
    # The Outpost's zone is one moto has, so subnets can be created in it.
    zones = emulator.client("ec2").describe_availability_zones()["AvailabilityZones"]
    assert (got["AvailabilityZone"], got["AvailabilityZoneId"]) in {
        (z["ZoneName"], z["ZoneId"]) for z in zones
    }
    with pytest.raises(ClientError):
        outposts.get_outpost(OutpostId="op-ffffffffffffffff0")


def test_local_gateway_route_table_and_coip_pool(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    by_outpost = [{"Name": "outpost-arn", "Values": [OUTPOST_ARN]}]
    (gateway,) = ec2.describe_local_gateways(Filters=by_outpost)["LocalGateways"]
    assert gateway["LocalGatewayId"] == LOCAL_GATEWAY
    other = [{"Name": "outpost-arn", "Values": [OUTPOST_ARN.replace("op-0", "op-f")]}]
    assert ec2.describe_local_gateways(Filters=other)["LocalGateways"] == []
    (table,) = ec2.describe_local_gateway_route_tables(
        Filters=[*by_outpost, {"Name": "local-gateway-id", "Values": [LOCAL_GATEWAY]}]
    )["LocalGatewayRouteTables"]
    assert table["LocalGatewayId"] == LOCAL_GATEWAY
    (pool,) = ec2.describe_coip_pools(
        Filters=[
            {
                "Name": "coip-pool.local-gateway-route-table-id",
                "Values": [table["LocalGatewayRouteTableId"]],
            }
        ]
    )["CoipPools"]
    assert pool["PoolId"].startswith("ipv4pool-coip-")


def test_local_gateway_vpc_associations_are_kept(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    (table,) = ec2.describe_local_gateway_route_tables()["LocalGatewayRouteTables"]
    table_id = table["LocalGatewayRouteTableId"]
    vpc, _ = vpc_and_subnet(ec2, "10.8.0.0/24")
    created = ec2.create_local_gateway_route_table_vpc_association(
        LocalGatewayRouteTableId=table_id,
        VpcId=vpc,
        TagSpecifications=[
            {
                "ResourceType": "local-gateway-route-table-vpc-association",
                "Tags": [{"Key": "Name", "Value": "assoc"}],
            }
        ],
    )["LocalGatewayRouteTableVpcAssociation"]
    association_id = created["LocalGatewayRouteTableVpcAssociationId"]

    def described() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = ec2.describe_local_gateway_route_table_vpc_associations(
            LocalGatewayRouteTableVpcAssociationIds=[association_id]
        )["LocalGatewayRouteTableVpcAssociations"]
        return found

    (association,) = described()
    assert (association["VpcId"], association["State"]) == (vpc, "associated")
    assert association["Tags"] == [{"Key": "Name", "Value": "assoc"}]
    ec2.delete_local_gateway_route_table_vpc_association(
        LocalGatewayRouteTableVpcAssociationId=association_id
    )
    assert [a["State"] for a in described()] == ["disassociated"]
    with pytest.raises(ClientError, match="NotFound"):
        ec2.create_local_gateway_route_table_vpc_association(
            LocalGatewayRouteTableId="lgw-rtb-ffffffffffffffff0", VpcId=vpc
        )


def test_local_gateway_vpc_association_tags_change(emulator: Emulator) -> None:
    """As the AWS provider changes them: CreateTags and DeleteTags of the association."""
    ec2 = emulator.client("ec2")
    (table,) = ec2.describe_local_gateway_route_tables()["LocalGatewayRouteTables"]
    vpc, _ = vpc_and_subnet(ec2, "10.5.0.0/24")
    association_id = ec2.create_local_gateway_route_table_vpc_association(
        LocalGatewayRouteTableId=table["LocalGatewayRouteTableId"],
        VpcId=vpc,
        TagSpecifications=[
            {
                "ResourceType": "local-gateway-route-table-vpc-association",
                "Tags": [{"Key": "Name", "Value": "assoc"}],
            }
        ],
    )["LocalGatewayRouteTableVpcAssociation"]["LocalGatewayRouteTableVpcAssociationId"]

    def tags() -> dict[str, str]:
        (association,) = ec2.describe_local_gateway_route_table_vpc_associations(
            LocalGatewayRouteTableVpcAssociationIds=[association_id]
        )["LocalGatewayRouteTableVpcAssociations"]
        return {t["Key"]: t["Value"] for t in association["Tags"]}

    ec2.create_tags(
        Resources=[association_id],
        Tags=[{"Key": "Name", "Value": "renamed"}, {"Key": "Owner", "Value": "o"}],
    )
    assert tags() == {"Name": "renamed", "Owner": "o"}
    described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [association_id]}])
    assert {(t["Key"], t["Value"], t["ResourceType"]) for t in described["Tags"]} == {
        ("Name", "renamed", "local-gateway-route-table-vpc-association"),
        ("Owner", "o", "local-gateway-route-table-vpc-association"),
    }
    # A value given: deleted only while the tag has it.
    ec2.delete_tags(Resources=[association_id], Tags=[{"Key": "Owner", "Value": "other"}])
    assert tags() == {"Name": "renamed", "Owner": "o"}
    ec2.delete_tags(Resources=[association_id], Tags=[{"Key": "Owner"}])
    assert tags() == {"Name": "renamed"}

    # A request naming a VPC too: the VPC's tags are moto's, the association's the responder's.
    ec2.create_tags(Resources=[vpc, association_id], Tags=[{"Key": "Both", "Value": "b"}])
    assert tags() == {"Name": "renamed", "Both": "b"}
    (described_vpc,) = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    assert {"Key": "Both", "Value": "b"} in described_vpc["Tags"]
    # moto refuses the unknown VPC, and the association keeps its tags.
    with pytest.raises(ClientError, match=r"InvalidVpcID\.NotFound"):
        ec2.create_tags(
            Resources=["vpc-ffffffffffffffff0", association_id], Tags=[{"Key": "X", "Value": ""}]
        )
    assert "X" not in tags()

    ec2.delete_tags(Resources=[association_id])
    assert tags() == {}


def test_create_tags_of_a_vpc_reaches_moto(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "v"}])
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"] == [{"Key": "Name", "Value": "v"}]
    described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc]}])["Tags"]
    assert [(t["Key"], t["Value"]) for t in described] == [("Name", "v")]
    ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "Name"}])
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0].get("Tags", []) == []


def test_outposts_attributes_of_subnets_routes_and_load_balancers(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.7.1.0/24", OutpostArn=OUTPOST_ARN, AvailabilityZone="us-west-2a"
    )["Subnet"]["SubnetId"]
    (described,) = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]
    assert described["OutpostArn"] == OUTPOST_ARN

    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=table, DestinationCidrBlock="10.10.0.0/24", LocalGatewayId=LOCAL_GATEWAY
    )
    (routes,) = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
    (route,) = (r for r in routes["Routes"] if r.get("DestinationCidrBlock") == "10.10.0.0/24")
    assert route["LocalGatewayId"] == LOCAL_GATEWAY

    elbv2 = emulator.client("elbv2")
    (pool,) = ec2.describe_coip_pools()["CoipPools"]
    (balancer,) = elbv2.create_load_balancer(
        Name="on-outpost", Subnets=[subnet], CustomerOwnedIpv4Pool=pool["PoolId"]
    )["LoadBalancers"]
    (again,) = elbv2.describe_load_balancers(Names=["on-outpost"])["LoadBalancers"]
    assert balancer["CustomerOwnedIpv4Pool"] == again["CustomerOwnedIpv4Pool"] == pool["PoolId"]


def test_other_requests_reach_moto_unchanged(emulator: Emulator) -> None:
    """The responder reads EC2 bodies; moto still gets them whole."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock="10.6.0.0/16",
        TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "k", "Value": json.dumps("v")}]}
        ],
    )["Vpc"]
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["Tags"] == [
        {"Key": "k", "Value": '"v"'}
    ]


def test_an_emulator_whose_port_was_taken_answers_on_another(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Emulators started side by side (make e2e's modes) may draw the same free port: the
    later one must not take the earlier one's server for its own."""
    with Emulator(emulator.port, REGION, tmp_path / "second.log") as second:
        second.wait_ready()
        assert second.port != emulator.port
        emulator.client("s3").create_bucket(
            Bucket="only-in-the-first",
            CreateBucketConfiguration={"LocationConstraint": REGION},
        )
        assert second.client("s3").list_buckets()["Buckets"] == []


def test_outpost_instance_types_and_lifecycle_status_are_settable(emulator: Emulator) -> None:
    outposts = emulator.client("outposts")
    by_id = outposts.get_outpost_instance_types(OutpostId="op-0123456789abcdef0")
    by_arn = outposts.get_outpost_instance_types(OutpostId=OUTPOST_ARN)
    assert by_id["InstanceTypes"] == by_arn["InstanceTypes"]
    offered = {t["InstanceType"]: t["VCPUs"] for t in by_id["InstanceTypes"]}
    assert set(offered) == set(DEFAULT_INSTANCE_TYPES)
    assert (offered["m5.2xlarge"], by_id["OutpostArn"]) == (8, OUTPOST_ARN)
    with pytest.raises(ClientError):
        outposts.get_outpost_instance_types(OutpostId="op-ffffffffffffffff0")

    before = read_state(emulator.endpoint)
    try:
        update_state(
            emulator.endpoint, {"instance_types": ["c5.large"], "life_cycle_status": "PENDING"}
        )
        (only,) = outposts.get_outpost_instance_types(OutpostId=OUTPOST_ARN)["InstanceTypes"]
        assert only == {"InstanceType": "c5.large", "VCPUs": 2}
        assert (
            outposts.get_outpost(OutpostId=OUTPOST_ARN)["Outpost"]["LifeCycleStatus"] == "PENDING"
        )
        (listed,) = outposts.list_outposts()["Outposts"]
        assert listed["LifeCycleStatus"] == "PENDING"
    finally:
        update_state(
            emulator.endpoint,
            {k: before[k] for k in ("instance_types", "life_cycle_status")},
        )
    assert outposts.get_outpost(OutpostId=OUTPOST_ARN)["Outpost"]["LifeCycleStatus"] == "ACTIVE"


def test_the_state_endpoint_refuses_what_is_not_settable(emulator: Emulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        update_state(emulator.endpoint, {"arn": "arn:aws:outposts:us-west-2:1:outpost/op-1"})
    assert refused.value.code == 400
    assert read_state(emulator.endpoint)["life_cycle_status"] == "ACTIVE"


def test_coip_pool_usage_lists_the_addresses_in_use(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    (pool,) = ec2.describe_coip_pools()["CoipPools"]
    assert pool["PoolCidrs"] == ["198.51.100.0/26"]
    usage = ec2.get_coip_pool_usage(PoolId=pool["PoolId"])
    assert usage["CoipAddressUsages"] == []
    assert usage["LocalGatewayRouteTableId"] == pool["LocalGatewayRouteTableId"]
    try:
        update_state(emulator.endpoint, {"coip_used": 3})
        used = ec2.get_coip_pool_usage(PoolId=pool["PoolId"])["CoipAddressUsages"]
        assert [u["CoIp"] for u in used] == ["198.51.100.0", "198.51.100.1", "198.51.100.2"]
        assert all(u["AllocationId"] and u["AwsAccountId"] for u in used)
    finally:
        update_state(emulator.endpoint, {"coip_used": 0})
    with pytest.raises(ClientError, match="NotFound"):
        ec2.get_coip_pool_usage(PoolId="ipv4pool-coip-ffffffffffffffff0")


def test_service_quotas_moto_lacks_are_answered(emulator: Emulator) -> None:
    quotas = emulator.client("service-quotas")
    # moto holds no ec2 quota: its default is the responder's, its applied value none.
    default = quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")
    assert default["Quota"]["Value"] == 5.0
    with pytest.raises(ClientError, match="NoSuchResource"):
        quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")
    # The vpc defaults are moto's own, and its applied values still answer.
    nat = quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode="L-FE5A380F")
    assert (
        nat["Quota"]["Value"]
        == quotas.get_service_quota(ServiceCode="vpc", QuotaCode="L-FE5A380F")["Quota"]["Value"]
    )
    with pytest.raises(ClientError, match="NoSuchResource"):
        quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode="L-00000000")
    try:
        update_state(emulator.endpoint, {"quotas": {"ec2": {"L-0263D0A3": 1.0}}})
        applied = quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")
        assert (applied["Quota"]["Value"], applied["Quota"]["QuotaCode"]) == (1.0, "L-0263D0A3")
    finally:
        update_state(emulator.endpoint, {"quotas": {}})
