"""The ``docker-ecr-codebuild`` module: the ECR repository and the CodeBuild project that
builds the producer image from this repository's own ``producer/`` directory."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from cdktf import AssetType, Fn, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProject,
    CodebuildProjectArtifacts,
    CodebuildProjectEnvironment,
    CodebuildProjectEnvironmentEnvironmentVariable,
    CodebuildProjectLogsConfig,
    CodebuildProjectLogsConfigCloudwatchLogs,
    CodebuildProjectSource,
)
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository
from cdktf_cdktf_provider_aws.ecr_repository_policy import EcrRepositoryPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct
from pydantic import Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

from modules.private_bucket import make_bucket_private
from modules.validation import MODULE_CONFIG, NonEmptyStr

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
BUILDSPEC = Path(__file__).resolve().parent / "templates" / "buildspec.yml"
# A current CodeBuild image: Amazon Linux 2023 with Docker, the AWS CLI v2 and
# `aws ecr get-login-password` (the sample's standard:3.0 image is retired).
CODEBUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"

# Files that never belong in the image source: local caches and editor leftovers.
_IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"}
_IGNORED_SUFFIXES = {".pyc", ".pyo", ".swp"}
_ECR_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def source_files(directory: Path) -> list[Path]:
    """The files of ``directory`` that go into the image source, in a stable order."""
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and not _IGNORED_PARTS.intersection(path.relative_to(directory).parts)
        and path.suffix not in _IGNORED_SUFFIXES
    )


def source_digest(directory: Path) -> str:
    """A digest of the image source that changes exactly when a source file changes.

    cdktf's own asset hash covers every file, caches included, so it would differ between
    a clean clone and a tree where the tests ran; this one covers only the source.
    """
    digest = hashlib.sha256()
    for path in source_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _bucket_prefix(prefix_name: str) -> str:
    """An S3 bucket-name prefix (lowercase, at most 37 characters) derived from the prefix."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", prefix_name.lower()).strip("-")
    return f"{cleaned[:27].rstrip('-')}-img-src-"


@dataclass(config=MODULE_CONFIG)
class DockerEcrCodebuildConfig:
    """Variables of the ``docker-ecr-codebuild`` module."""

    tags: dict[str, str]
    """Tags for every resource; must hold a ``Project`` tag (used in resource names)."""
    prefix_name: NonEmptyStr
    """Prefix of the CodeBuild project name (the root passes vpc_name + vpc_suffix)."""
    ecr_name: str = "kinesis/producer"
    """Name of the ECR repository the image is pushed to."""
    source_dir: str = "producer"
    """Not in the sample: directory (from the repository root) with the image's Dockerfile."""
    image_tag: str = "latest"
    """Not in the sample (fixed to latest there): tag the build pushes, besides the digest tag."""
    build_timeout: int = Field(default=10, ge=5, le=480)
    """Not in the sample (fixed to 10 there): CodeBuild timeout in minutes."""
    log_retention_days: int = Field(default=30, ge=1)
    """Not in the sample: retention of the CodeBuild log group, in days."""

    @field_validator("tags")
    @classmethod
    def _needs_project_tag(cls, tags: dict[str, str]) -> dict[str, str]:
        if not tags.get("Project"):
            raise ValueError("tags must hold a non-empty 'Project' tag (used in resource names)")
        return tags

    @field_validator("ecr_name")
    @classmethod
    def _valid_repository_name(cls, name: str) -> str:
        if not _ECR_NAME.match(name) or len(name) > 256:
            raise ValueError(
                f"{name!r} is not an ECR repository name "
                "(lowercase letters, digits, '.', '_', '-' and '/' between parts)"
            )
        return name

    @field_validator("image_tag")
    @classmethod
    def _valid_tag(cls, tag: str) -> str:
        if not _IMAGE_TAG.match(tag):
            raise ValueError(f"{tag!r} is not a Docker image tag")
        return tag

    @model_validator(mode="after")
    def _source_has_dockerfile(self) -> DockerEcrCodebuildConfig:
        if not (self.source_path / "Dockerfile").is_file():
            raise ValueError(f"source_dir: no Dockerfile in {self.source_dir!r}")
        return self

    @property
    def source_path(self) -> Path:
        return (REPOSITORY_ROOT / self.source_dir).resolve()


class DockerEcrCodebuild(Construct):
    """ECR repository and CodeBuild project that build and push the producer image.

    Always creates, as the sample does: the ECR repository ``ecr_name`` with a policy letting
    the own account pull; the privileged CodeBuild project
    ``<prefix_name>-<Project>-ecs-docker-image`` (small Linux container, no artifacts) whose
    environment carries AWS_ACCOUNT_ID, IMAGE_REPO_NAME_PRODUCER, IMAGE_TAG,
    AWS_DEFAULT_REGION and SOURCE_REPO; its IAM role and inline policy.

    Differences from the sample, because the sample's build no longer works: the source is
    this repository's ``source_dir``, packaged at synth time and uploaded to a private,
    encrypted S3 bucket created here (SOURCE_REPO holds its ``s3://`` location, and the
    project's source is that object), instead of a third-party Git repository; the
    buildspec (``templates/buildspec.yml``) logs in with ``aws ecr get-login-password`` on a
    current CodeBuild image, and also pushes a tag named after the source digest. CodeBuild
    logs go to a log group created here, and the IAM policy names its resources (the
    repository, the log group, the source bucket) except ``ecr:GetAuthorizationToken``,
    which has no resource. Policies are built with ``aws_iam_policy_document``;
    ``data.aws_region`` is read through ``region`` (provider 6).

    Outputs: ``ecr_id``; also ``ecr_repository_url``, ``codebuild_project_name`` and
    ``source_digest`` for the root deployment.
    """

    def __init__(self, scope: Construct, id: str, config: DockerEcrCodebuildConfig) -> None:
        super().__init__(scope, id)
        self.config = config
        project = config.tags["Project"]
        self._region = region = DataAwsRegion(self, "region").region
        self._account = account = DataAwsCallerIdentity(self, "current").account_id

        self.repository = EcrRepository(
            self,
            "ecr",
            name=config.ecr_name,
            tags={
                **config.tags,
                "Purpose": "ECR repository for ecs docker image",
                "Name": config.prefix_name,
            },
        )
        pull_policy = DataAwsIamPolicyDocument(
            self,
            "ecr_policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="AllowPull",
                    actions=[
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchGetImage",
                        "ecr:BatchCheckLayerAvailability",
                    ],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="AWS", identifiers=[f"arn:aws:iam::{account}:root"]
                        )
                    ],
                )
            ],
        )
        EcrRepositoryPolicy(
            self, "ecr_policy", repository=self.repository.name, policy=pull_policy.json
        )

        source_bucket, source_object = self._source(config)
        project_name = f"{config.prefix_name}-{project}-ecs-docker-image"
        log_group = CloudwatchLogGroup(
            self,
            "codebuild_log_group",
            name=f"/aws/codebuild/{project_name}",
            retention_in_days=config.log_retention_days,
            tags=config.tags,
        )
        role, role_policy = self._iam(config, project_name, source_bucket, log_group)

        self.source_digest = source_digest(config.source_path)
        source_location = f"{source_object.bucket}/{source_object.key}"
        variables = {
            "AWS_ACCOUNT_ID": account,
            "IMAGE_REPO_NAME_PRODUCER": config.ecr_name,
            "IMAGE_TAG": config.image_tag,
            "AWS_DEFAULT_REGION": region,
            "SOURCE_REPO": f"s3://{source_location}",
            "SOURCE_DIGEST": self.source_digest,
        }
        self.codebuild_project = CodebuildProject(
            self,
            "ecs_docker",
            name=project_name,
            description="Builds the producer image and pushes it to ECR",
            service_role=role.arn,
            build_timeout=config.build_timeout,
            artifacts=CodebuildProjectArtifacts(type="NO_ARTIFACTS"),
            environment=CodebuildProjectEnvironment(
                compute_type="BUILD_GENERAL1_SMALL",
                image=CODEBUILD_IMAGE,
                type="LINUX_CONTAINER",
                # Docker-in-Docker needs the privileged mode to build images.
                privileged_mode=True,
                environment_variable=[
                    CodebuildProjectEnvironmentEnvironmentVariable(name=name, value=value)
                    for name, value in variables.items()
                ],
            ),
            source=CodebuildProjectSource(
                type="S3", location=source_location, buildspec=BUILDSPEC.read_text()
            ),
            logs_config=CodebuildProjectLogsConfig(
                cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(
                    group_name=log_group.name, status="ENABLED"
                )
            ),
            tags=config.tags,
            # A build started right after the first apply must already have its permissions.
            depends_on=[role_policy],
        )

        self.ecr_id: str = self.repository.id
        self.ecr_repository_url: str = self.repository.repository_url
        self.codebuild_project_name: str = self.codebuild_project.name

    def _source(self, config: DockerEcrCodebuildConfig) -> tuple[S3Bucket, S3Object]:
        """The private bucket holding the packaged image source, and the uploaded archive."""
        bucket = S3Bucket(
            self,
            "source_bucket",
            bucket_prefix=_bucket_prefix(config.prefix_name),
            force_destroy=True,
            tags={**config.tags, "Purpose": "Source of the producer image build"},
        )
        controls = make_bucket_private(self, "source_bucket", bucket)
        digest = source_digest(config.source_path)
        asset = TerraformAsset(
            self,
            "source_archive",
            path=str(config.source_path),
            type=AssetType.ARCHIVE,
            asset_hash=digest,
        )
        source_object = S3Object(
            self,
            "source_object",
            bucket=bucket.id,
            key=f"producer/{digest}.zip",
            source=asset.path,
            source_hash=Fn.filemd5(asset.path),
            tags=config.tags,
            # Upload only into a bucket that is already private and encrypted.
            depends_on=controls,
        )
        return bucket, source_object

    def _iam(
        self,
        config: DockerEcrCodebuildConfig,
        project_name: str,
        bucket: S3Bucket,
        log_group: CloudwatchLogGroup,
    ) -> tuple[IamRole, IamRolePolicy]:
        project = config.tags["Project"]
        region, account = self._region, self._account
        assume = DataAwsIamPolicyDocument(
            self,
            "codebuild_assume_role",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["codebuild.amazonaws.com"]
                        )
                    ],
                )
            ],
        )
        role = IamRole(
            self,
            "codebuild",
            name=f"{project}-codebuild-docker",
            assume_role_policy=assume.json,
            tags=config.tags,
        )
        statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="ecr",
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:UploadLayerPart",
                ],
                resources=[self.repository.arn],
            ),
            # GetAuthorizationToken is account-wide: it takes no resource.
            DataAwsIamPolicyDocumentStatement(
                sid="ecrtoken", actions=["ecr:GetAuthorizationToken"], resources=["*"]
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="logs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.arn, f"{log_group.arn}:*"],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="source",
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[f"{bucket.arn}/*"],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="codebuildreport",
                actions=[
                    "codebuild:BatchPutTestCases",
                    "codebuild:CreateReport",
                    "codebuild:CreateReportGroup",
                    "codebuild:UpdateReport",
                ],
                resources=[f"arn:aws:codebuild:{region}:{account}:report-group/{project_name}-*"],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="sourcebucket",
                actions=["s3:GetBucketAcl", "s3:GetBucketLocation"],
                resources=[bucket.arn],
            ),
        ]
        policy = DataAwsIamPolicyDocument(self, "codebuild_policy_document", statement=statements)
        role_policy = IamRolePolicy(
            self,
            "codebuild_policy",
            name=f"{project}-codebuild-docker",
            role=role.id,
            policy=policy.json,
        )
        return role, role_policy
