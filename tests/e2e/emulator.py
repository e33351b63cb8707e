"""A local AWS for the end-to-end tests: moto's server, patched where it falls short.

:class:`Emulator` runs ``python -m tests.e2e.emulator`` in a child process on a free loopback
port: moto's server with the shims below applied in that process, behind the Outposts
responder (``tests/e2e/outposts.py``, with an Outpost) and the CodeBuild responder
(``tests/e2e/codebuild.py``, always: it serves ``/_codebuild/state`` and moves the builds on
before each request). It serves one request at a time, as moto's state is
not thread-safe. Terraform reaches it through ``AWS_ENDPOINT_URL`` (see :meth:`Emulator.env`).

Gaps in moto 5.2 that the shims close (what AWS does / what moto does / what the shim does):

- KMS: every account has the AWS managed key ``alias/aws/kinesis`` / moto makes ``alias/aws/*``
  keys for a fixed list of services, without kinesis / the alias joins that list.
- IAM: AWS managed policies exist / moto loads them only on request / the server starts with
  ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``.
- Application Auto Scaling: scalable targets take tags (``RegisterScalableTarget`` Tags,
  ``TagResource``, ``UntagResource``, ``ListTagsForResource``) / moto ignores the tags and lacks
  the three tag calls (HTTP 500) / tags are kept per ARN and the calls answered.
- Auto Scaling ``UpdateAutoScalingGroup`` without ``MixedInstancesPolicy``: the group keeps its
  policy / moto drops it (the next plan adds it back, forever) / it is kept unless the update
  names a policy, a launch template or a launch configuration.
- Auto Scaling instance refreshes (``StartInstanceRefresh``, ``DescribeInstanceRefreshes``,
  ``CancelInstanceRefresh``: what the AWS provider calls when a group's launch template
  changes) / moto lacks them (HTTP 500, which the provider retries without end) / a refresh is
  recorded per group and reported ``Successful`` at once (no instance boots here, so there is
  nothing to replace); cancelling with none active is ``ActiveInstanceRefreshNotFound``.
- ECS ``CreateService``: keeps ``capacityProviderStrategy``, ``enableECSManagedTags``,
  ``healthCheckGracePeriodSeconds``, ``availabilityZoneRebalancing`` and ``placementStrategy``
  / moto drops them (perpetual diff) / they are stored on the service.
- ECS ``DescribeCapacityProviders`` without ``capacityProviders``: describes every capacity
  provider of the account / moto iterates over the missing list (HTTP 500) / the account's own
  providers are described (not AWS's ``FARGATE`` and ``FARGATE_SPOT``, which moto has not).
- Kinesis ``CreateStream``: tags the stream with its ``Tags`` / moto drops them / they are added.
- S3 bucket policies conditioned on ``aws:SecureTransport`` (the ALB log bucket's TLS-only
  Deny): AWS applies such a statement by the request's transport / moto evaluates no ``Bool``
  condition, so the Deny refuses every object request, a destroy's deletes included / the
  emulator's clients stand for AWS's SDKs and provider, which use HTTPS: the condition is
  evaluated with ``aws:SecureTransport`` true (a statement whose condition then does not hold
  does not apply), and the statement's other conditions are left to moto.
- CodeBuild ``DeleteProject``: takes a name or an ARN / moto only a name (a delete by ARN leaves
  the project) / an ARN is turned into the name.
- CodeBuild ``UpdateProject``: changes the project's fields that the request gives / moto lacks
  it (HTTP 500, which the AWS provider retries for 14 minutes) / each given field replaces the
  stored one (``badgeEnabled`` the badge, ``concurrentBuildLimit`` -1 removes the limit),
  ``lastModified`` is bumped, a name or an ARN is taken and an unknown project is
  ``ResourceNotFoundException``. Projects also answer ``lastModified`` after CreateProject
  (moto keeps it as ``lastModifiedDate``, which its serializer drops).
- CodeBuild builds: run through their phases with the clock, build and push the image and log
  / moto's ``StartBuild`` records a build that ``BatchGetBuilds`` reports ``SUCCEEDED`` at
  once (its phases appended again on every call), building, pushing and logging nothing /
  ``tests/e2e/codebuild.py`` runs a stand-in of the buildspec: source from S3, image into ECR
  (or nothing when the source digest's tag is there), a ``SyntaxError`` in the source or no
  ``Dockerfile`` fails ``BUILD``, log lines in the project's log group; a test sets the time
  per phase through ``/_codebuild/state``.
- ECS services: the scheduler starts a service's tasks once their images can be pulled (the
  service then reports every task running and its deployment ``COMPLETED``) / moto starts
  none (``MOTO_ECS_SERVICE_RUNNING``, 0), so no deployment ever completes /
  ``tests/e2e/ecs_scheduler.py`` settles ``DescribeServices``: every task running when each
  image of the task definition that names the emulator's ECR exists there, else none running,
  the deployment ``IN_PROGRESS`` and an event naming the missing image.
- EC2 instances (the autoscaling group's ECS container instances): a block device mapping
  without ``VolumeSize`` gets the size of the AMI's snapshot / moto fails with
  ``MissingParameter size/snapshot`` / such a volume gets the ECS-optimized AMI's 30 GiB.
- EC2 ``CreateLaunchTemplate``: tags of the template itself stay off its data / moto copies them
  into ``LaunchTemplateData.TagSpecifications`` (perpetual diff) / they are left out.
  ``DescribeLaunchTemplates`` answers the template's tags as ``CreateTags`` and ``DeleteTags``
  left them / moto answers those it was created with (a tag change is a perpetual diff) / the
  current tags are answered.
- Outposts: ``ListOutposts``/``GetOutpost``, ``GetOutpostInstanceTypes``, EC2
  ``DescribeLocalGateways``, ``DescribeLocalGatewayRouteTables``, ``DescribeCoipPools``,
  ``GetCoipPoolUsage`` and the local-gateway route table VPC associations (create, describe,
  delete) / moto has none of them / the Outposts responder answers them for the Outpost of the
  vars file and keeps the associations; a test sets the Outpost's status, offered instance
  types and used CoIP addresses through ``/_outposts/state``.
- Service Quotas ``GetServiceQuota``, ``GetAWSDefaultServiceQuota`` (what ``make preflight``
  reads) / moto has no quotas / the responder answers AWS's defaults, or what a test set.
- EC2 ``CreateTags``/``DeleteTags``/``DescribeTags`` of the local-gateway route table VPC
  associations / moto refuses their ids (so a tag change leaves the AWS provider a permanent
  diff) / the responder applies them to the associations it keeps (and forwards the other ids
  of the request to moto), and adds their tags to ``DescribeTags``.
- EC2 ``CreateSubnet`` keeps ``OutpostArn``, ``CreateRoute`` keeps ``LocalGatewayId``, ELBv2
  ``CreateLoadBalancer`` keeps ``CustomerOwnedIpv4Pool`` / moto drops them (perpetual diff, or a
  route with no target) / they are stored and returned.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import psutil

from . import codebuild, ecs_scheduler
from .outposts import Outpost, OutpostsResponder

ROOT = Path(__file__).resolve().parents[2]
KINESIS_MANAGED_ALIAS = "alias/aws/kinesis"
#: Root volume size of the ECS-optimized Amazon Linux AMIs.
DEFAULT_ROOT_VOLUME_GIB = 30
#: Credentials moto accepts; nothing reaches AWS.
AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wrap(owner: Any, name: str, after: Callable[..., Any]) -> None:
    """Replace ``owner.name`` by a call to it followed by ``after(self, result, *args)``."""
    original = getattr(owner, name)
    if getattr(original, "_e2e_shim", False):
        return

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        after(self, result, *args, **kwargs)
        return result

    wrapper._e2e_shim = True  # type: ignore[attr-defined]
    setattr(owner, name, wrapper)


def _keep_params(
    owner: Any, action: str, pick: Callable[[Any], Any], params: Mapping[str, str]
) -> None:
    """After ``action``, set the request's ``params`` (name -> attribute) on ``pick(result)``."""

    def after(response: Any, result: Any, *_: Any, **__: Any) -> None:
        target = pick(result.result)
        for param, attribute in params.items():
            value = response._get_param(param)
            if value is not None:
                setattr(target, attribute, value)

    _wrap(owner, action, after)


def _shim_kms() -> None:
    from moto.kms import utils

    if KINESIS_MANAGED_ALIAS not in utils.RESERVED_ALIASES:
        utils.RESERVED_ALIASE_TARGET_KEY_IDS[KINESIS_MANAGED_ALIAS] = (
            "0b9f6a15-8f2e-4f0b-9c4e-6e8b1a3d5c7e"
        )
        # models.py and responses.py hold this very list object.
        utils.RESERVED_ALIASES.append(KINESIS_MANAGED_ALIAS)


def _shim_instance_refresh() -> None:
    from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult

    if getattr(AutoScalingResponse, "start_instance_refresh", None) is not None:
        return

    def refreshes(response: Any) -> list[dict[str, Any]]:
        backend = response.autoscaling_backend
        found: list[dict[str, Any]] = backend.__dict__.setdefault("_e2e_instance_refreshes", [])
        return found

    def group_name(response: Any) -> str:
        name = str(response._get_param("AutoScalingGroupName"))
        if not response.autoscaling_backend.describe_auto_scaling_groups([name]):
            raise ValidationError(f"AutoScalingGroup name not found - {name}")
        return name

    def start_instance_refresh(self: Any) -> ActionResult:
        from moto.core.utils import utcnow

        name = group_name(self)
        now = utcnow()
        refresh = {
            "InstanceRefreshId": str(uuid.uuid4()),
            "AutoScalingGroupName": name,
            # No instance boots here: the refresh has nothing to replace and ends at once.
            "Status": "Successful",
            "StatusReason": "the emulator replaces no instances",
            "StartTime": now,
            "EndTime": now,
            "PercentageComplete": 100,
            "InstancesToUpdate": 0,
            "Preferences": self._get_param("Preferences") or {},
        }
        refreshes(self).insert(0, refresh)
        return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})

    def describe_instance_refreshes(self: Any) -> ActionResult:
        name = group_name(self)
        ids = self._get_param("InstanceRefreshIds") or []
        found = [
            r
            for r in refreshes(self)
            if r["AutoScalingGroupName"] == name and (not ids or r["InstanceRefreshId"] in ids)
        ]
        return ActionResult({"InstanceRefreshes": found})

    def cancel_instance_refresh(self: Any) -> ActionResult:
        name = group_name(self)
        active = [
            r
            for r in refreshes(self)
            if r["AutoScalingGroupName"] == name and r["Status"] in ("Pending", "InProgress")
        ]
        if not active:
            raise AutoscalingClientError(
                "ActiveInstanceRefreshNotFound",
                f"No in progress or pending Instance Refresh found for Auto Scaling group {name}",
            )
        active[0]["Status"] = "Cancelled"
        return ActionResult({"InstanceRefreshId": active[0]["InstanceRefreshId"]})

    AutoScalingResponse.start_instance_refresh = start_instance_refresh  # type: ignore[attr-defined]
    AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes  # type: ignore[attr-defined]
    AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh  # type: ignore[attr-defined]


def _shim_autoscaling_update() -> None:
    from moto.autoscaling.models import FakeAutoScalingGroup

    original = FakeAutoScalingGroup.update
    if getattr(original, "_e2e_shim", False):
        return

    def update(self: FakeAutoScalingGroup, **kwargs: Any) -> None:
        kept = self.mixed_instances_policy
        original(self, **kwargs)
        # AWS keeps what an UpdateAutoScalingGroup does not name.
        launch = ("mixed_instances_policy", "launch_template", "launch_config_name")
        if not any(kwargs.get(name) for name in launch):
            self.mixed_instances_policy = kept

    update._e2e_shim = True  # type: ignore[attr-defined]
    FakeAutoScalingGroup.update = update  # type: ignore[method-assign,assignment]


def _shim_application_autoscaling() -> None:
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    def tag_store(response: Any) -> dict[str, dict[str, str]]:
        backend: ApplicationAutoscalingBackend = response.applicationautoscaling_backend
        if not hasattr(backend, "e2e_tags"):
            backend.e2e_tags = {}  # type: ignore[attr-defined]
        tags: dict[str, dict[str, str]] = backend.e2e_tags  # type: ignore[attr-defined]
        return tags

    def after_register(response: Any, result: str, *_: Any, **__: Any) -> None:
        tags = response._get_param("Tags")
        if tags:
            tag_store(response).setdefault(json.loads(result)["ScalableTargetARN"], {}).update(tags)

    def tag_resource(self: Any) -> str:
        tag_store(self).setdefault(self._get_param("ResourceARN"), {}).update(
            self._get_param("Tags") or {}
        )
        return "{}"

    def untag_resource(self: Any) -> str:
        tags = tag_store(self).get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        return json.dumps({"Tags": tag_store(self).get(self._get_param("ResourceARN"), {})})

    _wrap(ApplicationAutoScalingResponse, "register_scalable_target", after_register)
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]


def _shim_ecs() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceBackend.describe_capacity_providers
    if not getattr(original, "_e2e_shim", False):

        def describe_capacity_providers(
            self: EC2ContainerServiceBackend, names: list[str] | None
        ) -> Any:
            return original(self, list(self.capacity_providers) if names is None else names)

        describe_capacity_providers._e2e_shim = True  # type: ignore[attr-defined]
        EC2ContainerServiceBackend.describe_capacity_providers = describe_capacity_providers  # type: ignore[method-assign]

    _keep_params(
        EC2ContainerServiceResponse,
        "create_service",
        lambda result: result["service"],
        {
            "capacityProviderStrategy": "capacity_provider_strategy",
            "enableECSManagedTags": "enable_ecs_managed_tags",
            "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
            "availabilityZoneRebalancing": "availability_zone_rebalancing",
            "placementStrategy": "placement_strategy",
        },
    )


#: The value of ``aws:SecureTransport`` for every request: the emulator stands for AWS's HTTPS
#: endpoints.
SECURE_TRANSPORT = "true"


def _secure_transport_holds(values: Any) -> bool:
    """Whether a ``Bool`` condition on ``aws:SecureTransport`` with ``values`` holds for the
    emulator's requests (``BoolIfExists`` alike: the key always exists)."""
    expected = [values] if isinstance(values, str | bool) else list(values)
    return SECURE_TRANSPORT in {str(value).lower() for value in expected}


def _applicable_statements(policy: dict[str, Any]) -> dict[str, Any]:
    """``policy`` with the statements that apply to a request over HTTPS, their
    ``aws:SecureTransport`` conditions evaluated and taken out."""
    statements = policy.get("Statement", [])
    kept = []
    for statement in statements if isinstance(statements, list) else [statements]:
        conditions: dict[str, Any] = dict(statement.get("Condition") or {})
        applies = True
        for operator, keys in list(conditions.items()):
            if operator.removesuffix("IfExists") != "Bool" or "aws:SecureTransport" not in keys:
                continue
            rest = {k: v for k, v in keys.items() if k != "aws:SecureTransport"}
            applies = applies and _secure_transport_holds(keys["aws:SecureTransport"])
            if rest:
                conditions[operator] = rest
            else:
                del conditions[operator]
        if applies:
            kept.append(
                {**statement, "Condition": conditions}
                if conditions
                else {k: v for k, v in statement.items() if k != "Condition"}
            )
    return {**policy, "Statement": kept}


def _shim_s3() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    original = FakeBucket.get_permission
    if getattr(original, "_e2e_shim", False):
        return

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = _applicable_statements(json.loads(self.policy))
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    get_permission._e2e_shim = True  # type: ignore[attr-defined]
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def _shim_kinesis() -> None:
    from moto.kinesis.responses import KinesisResponse

    def after(response: Any, *_: Any, **__: Any) -> None:
        tags = response._get_param("Tags")
        if tags:
            response.kinesis_backend.add_tags_to_stream(
                None, response._get_param("StreamName"), tags
            )

    _wrap(KinesisResponse, "create_stream", after)


def _project_name(name_or_arn: str) -> str:
    """A CodeBuild project's name, from itself or its ARN."""
    # arn:aws:codebuild:REGION:ACCOUNT:project/NAME
    return name_or_arn.split(":project/", 1)[-1]


#: UpdateProject's members that replace the project's stored ones as they are (the others:
#: ``name``, which picks the project, ``serviceRole`` and ``badgeEnabled``).
PROJECT_UPDATE_FIELDS = (
    "description",
    "source",
    "secondarySources",
    "sourceVersion",
    "secondarySourceVersions",
    "artifacts",
    "secondaryArtifacts",
    "cache",
    "environment",
    "timeoutInMinutes",
    "queuedTimeoutInMinutes",
    "encryptionKey",
    "tags",
    "vpcConfig",
    "logsConfig",
    "fileSystemLocations",
    "buildBatchConfig",
    "concurrentBuildLimit",
    "autoRetryLimit",
)


def _shim_codebuild() -> None:
    from moto.codebuild.exceptions import ResourceNotFoundException
    from moto.codebuild.models import CodeBuildBackend
    from moto.codebuild.responses import (
        CodeBuildResponse,
        _validate_required_params_artifacts,
        _validate_required_params_environment,
        _validate_required_params_service_role,
        _validate_required_params_source,
    )
    from moto.core.responses import ActionResult
    from moto.core.utils import unix_time
    from moto.utilities.utils import get_partition

    original = CodeBuildBackend.delete_project
    if getattr(original, "_e2e_shim", False):
        return

    def delete_project(self: CodeBuildBackend, project_name: str) -> None:
        original(self, _project_name(project_name))

    def after_create(response: Any, result: Any, *_: Any, **__: Any) -> None:
        metadata = result.result["project"]
        metadata["lastModified"] = metadata["lastModifiedDate"]

    def update_project(self: CodeBuildResponse) -> ActionResult:
        name = _project_name(self._get_param("name"))
        project = self.codebuild_backend.codebuild_projects.get(name)
        if project is None:
            raise ResourceNotFoundException(
                f"Project cannot be found: arn:{get_partition(self.region)}:codebuild:"
                f"{self.region}:{self.current_account}:project/{name}"
            )
        # The checks CreateProject makes of the same members.
        checks: dict[str, Callable[[Any], None]] = {
            "source": _validate_required_params_source,
            "artifacts": _validate_required_params_artifacts,
            "environment": _validate_required_params_environment,
            "serviceRole": lambda role: _validate_required_params_service_role(
                self.current_account, self.region, role
            ),
        }
        for member, check in checks.items():
            if self._get_param(member) is not None:
                check(self._get_param(member))
        metadata = project.project_metadata
        for member in PROJECT_UPDATE_FIELDS:
            value = self._get_param(member)
            if value is not None:
                metadata[member] = value
        if self._get_param("tags") is not None:
            project.tags = self._get_param("tags")
        if self._get_param("serviceRole") is not None:
            project.service_role = metadata["serviceRole"] = self._get_param("serviceRole")
        if self._get_param("badgeEnabled") is not None:
            metadata["badge"] = {"badgeEnabled": self._get_param("badgeEnabled")}
        if metadata.get("concurrentBuildLimit") == -1:
            del metadata["concurrentBuildLimit"]
        metadata["lastModified"] = metadata["lastModifiedDate"] = unix_time()
        return ActionResult({"project": metadata})

    delete_project._e2e_shim = True  # type: ignore[attr-defined]
    CodeBuildBackend.delete_project = delete_project  # type: ignore[method-assign]
    _wrap(CodeBuildResponse, "create_project", after_create)
    CodeBuildResponse.update_project = update_project  # type: ignore[attr-defined]
    codebuild.install()


def _shim_ec2() -> None:
    from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateBackend
    from moto.ec2.responses.route_tables import RouteTables
    from moto.ec2.responses.subnets import Subnets

    _keep_params(
        Subnets, "create_subnet", lambda result: result["Subnet"], {"OutpostArn": "outpost_arn"}
    )

    def after_route(response: Any, *_: Any, **__: Any) -> None:
        gateway = response._get_param("LocalGatewayId")
        if gateway:
            table = response.ec2_backend.get_route_table(response._get_param("RouteTableId"))
            cidr = response._get_param("DestinationCidrBlock")
            for route in table.routes:
                if route.destination_cidr_block == cidr:
                    route.local_gateway_id = gateway

    _wrap(RouteTables, "create_route", after_route)

    original = LaunchTemplateBackend.create_launch_template
    if not getattr(original, "_e2e_shim", False):

        def create_launch_template(
            self: Any, name: str, description: str, template_data: dict[str, Any], tag_spec: Any
        ) -> Any:
            specs = [
                spec
                for spec in template_data.get("TagSpecifications", [])
                if spec.get("ResourceType") != "launch-template"
            ]
            if specs:
                template_data["TagSpecifications"] = specs
            else:
                template_data.pop("TagSpecifications", None)
            return original(self, name, description, template_data, tag_spec)

        create_launch_template._e2e_shim = True  # type: ignore[attr-defined]
        LaunchTemplateBackend.create_launch_template = create_launch_template  # type: ignore[method-assign]
    # The template's tags as they are now, not as they were at its creation.
    if not isinstance(LaunchTemplate.__dict__.get("tags"), property):
        LaunchTemplate.tags = property(  # type: ignore[assignment]
            lambda self: self.get_tags(), lambda self, _: None
        )


def _shim_instances() -> None:
    from moto.ec2.models.instances import Instance

    original = Instance.add_block_device
    if getattr(original, "_e2e_shim", False):
        return

    def add_block_device(self: Instance, size: int | None, *args: Any, **kwargs: Any) -> None:
        if size is None and kwargs.get("snapshot_id", args[1] if len(args) > 1 else None) is None:
            size = DEFAULT_ROOT_VOLUME_GIB
        original(self, size, *args, **kwargs)  # type: ignore[arg-type]

    add_block_device._e2e_shim = True  # type: ignore[attr-defined]
    Instance.add_block_device = add_block_device  # type: ignore[method-assign]


def _shim_elbv2() -> None:
    from moto.elbv2.responses import ELBV2Response

    _keep_params(
        ELBV2Response,
        "create_load_balancer",
        lambda result: result["LoadBalancers"][0],
        {"CustomerOwnedIpv4Pool": "customer_owned_ipv4_pool"},
    )


def patch_moto() -> None:
    """Apply every shim of the module docstring to the moto imported in this process."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    _shim_kms()
    _shim_application_autoscaling()
    _shim_instance_refresh()
    _shim_autoscaling_update()
    _shim_ecs()
    _shim_kinesis()
    _shim_s3()
    _shim_codebuild()
    _shim_ec2()
    _shim_instances()
    _shim_elbv2()
    ecs_scheduler.install()


def outpost_from_arn(arn: str, local_gateway_id: str) -> Outpost:
    """The emulated Outpost of ``arn``, in the first Availability Zone moto has in its Region."""
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    region = arn.split(":")[3]
    zone = RegionsAndZonesBackend.zones[region][0]
    return Outpost(arn, local_gateway_id, zone.name, zone.zone_id)


def serve(port: int, outpost: Outpost | None) -> None:
    """Run the patched moto server on 127.0.0.1:``port`` until killed."""
    patch_moto()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    app: Any = DomainDispatcherApplication(create_backend_app)
    if outpost is not None:
        app = OutpostsResponder(app, outpost)
    app = codebuild.CodeBuildResponder(app)
    run_simple("127.0.0.1", port, app, threaded=False, request_handler=MotoRequestHandler)


class Emulator:
    """The emulator server in a child process; :meth:`stop` (or ``with``) ends it."""

    def __init__(
        self, port: int, region: str, log: Path, outpost: tuple[str, str] | None = None
    ) -> None:
        self.region = region
        self.log = log
        self.outpost = outpost
        self._start(port)

    def _start(self, port: int) -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "tests.e2e.emulator", "--port", str(port)]
        if self.outpost is not None:
            command += ["--outpost-arn", self.outpost[0], "--local-gateway-id", self.outpost[1]]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def _listening(self) -> bool:
        """Whether this emulator's own process listens on its port: with emulators started
        side by side, another one may have taken the port first and answer on it."""
        try:
            connections = psutil.Process(self.process.pid).net_connections(kind="tcp")
        except psutil.Error:
            return False
        return any(
            c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == self.port
            for c in connections
        )

    def wait_ready(self, timeout: float = 60) -> Emulator:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.log.read_text(errors="replace")
                if "Address already in use" in output:
                    self._start(free_port())  # taken between free_port() and the bind
                    continue
                raise RuntimeError(f"the emulator exited:\n{output[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2) as answer:
                    if answer.status == 200 and self._listening():
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the emulator did not answer within {timeout} s")

    def env(self) -> dict[str, str]:
        """Environment variables pointing AWS SDKs and the AWS provider at the emulator."""
        return {
            **AWS_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` against the emulator."""
        import botocore.session

        return botocore.session.get_session().create_client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=AWS_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--outpost-arn", default="")
    parser.add_argument("--local-gateway-id", default="")
    args = parser.parse_args(argv)
    outpost = (
        outpost_from_arn(args.outpost_arn, args.local_gateway_id) if args.outpost_arn else None
    )
    serve(args.port, outpost)


if __name__ == "__main__":
    main()
