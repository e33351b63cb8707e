"""The ``docker-ecr-codebuild`` module: the ECR repository and the CodeBuild project that
builds the producer image from this repository's own ``producer/`` directory."""

from __future__ import annotations

import atexit
import hashlib
import json
import re
import shutil
import tempfile
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
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.ecr_repository_policy import EcrRepositoryPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

# The configuration lives beside the module, free of provider bindings; re-exported here.
from modules.docker_ecr_codebuild_variables import REPOSITORY_ROOT, DockerEcrCodebuildConfig
from modules.private_bucket import make_bucket_private, version_and_expire
from modules.provider import provider_region
from modules.regions import arn
from modules.validation import terraform_literal

__all__ = [
    "BUILDSPEC",
    "CODEBUILD_IMAGE",
    "REPOSITORY_ROOT",
    "DockerEcrCodebuild",
    "DockerEcrCodebuildConfig",
    "source_digest",
    "source_files",
]

BUILDSPEC = Path(__file__).resolve().parent / "templates" / "buildspec.yml"
# A current CodeBuild image: Amazon Linux 2023 with Docker, the AWS CLI v2 and
# `aws ecr get-login-password` (the sample's standard:3.0 image is retired).
CODEBUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"

# Files that never belong in the image source: local caches and editor leftovers.
_IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"}
_IGNORED_SUFFIXES = {".pyc", ".pyo", ".swp"}


def source_files(directory: Path) -> list[Path]:
    """The files of ``directory`` that go into the image source, in a stable order."""
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and not _IGNORED_PARTS.intersection(path.relative_to(directory).parts)
        and path.suffix not in _IGNORED_SUFFIXES
    )


def staged_source(directory: Path) -> Path:
    """A copy of the image source (:func:`source_files`, modification times kept) in a
    temporary folder, removed when the process exits: cdktf archives an asset folder whole,
    and the source folder of a checkout where tests ran also holds their byte code."""
    staged = Path(tempfile.mkdtemp(prefix="image-source-"))
    atexit.register(shutil.rmtree, staged, True)
    folders: set[Path] = set()
    for path in source_files(directory):
        target = staged / path.relative_to(directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        folders.update(target.relative_to(staged).parents)
    # The archive dates folders too: theirs, not today's, or every synth changes its bytes.
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        shutil.copystat(directory / folder, staged / folder)
    return staged


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


class DockerEcrCodebuild(Construct):
    """ECR repository and CodeBuild project that build and push the producer image.

    Always creates, as the sample does: the ECR repository ``ecr_name`` with a policy letting
    the own account pull; the privileged CodeBuild project
    ``<prefix_name>-<Project>-ecs-docker-image`` (small Linux container, no artifacts) whose
    environment carries AWS_ACCOUNT_ID, IMAGE_REPO_NAME_PRODUCER, IMAGE_TAG,
    AWS_DEFAULT_REGION and SOURCE_REPO; its IAM role and inline policy. Privileged mode stays:
    building an image with Docker inside the build container needs it.

    Differences from the sample, because the sample's build no longer works: the source is
    this repository's ``source_dir``, packaged at synth time and uploaded to a private,
    encrypted S3 bucket created here (SOURCE_REPO holds its ``s3://`` location, and the
    project's source is that object), instead of a third-party Git repository; the
    buildspec (``templates/buildspec.yml``) logs in with ``aws ecr get-login-password`` on a
    current CodeBuild image. CodeBuild logs go to a log group created here, and the IAM
    policy names its resources (the repository, the log group, the source bucket) except
    ``ecr:GetAuthorizationToken``, which has no resource. Policies are built with
    ``aws_iam_policy_document``; the Region is the stack provider's (no ``aws_region`` lookup,
    whose Region attribute differs between provider 5 and 6).

    Hardening, each behind its variable:

    - Images are tagged by build: ``image_tag`` defaults to the source digest (SOURCE_DIGEST,
      which changes exactly when a source file does), the repository is IMMUTABLE
      (``image_tag_mutability``), and the buildspec pushes that one tag, skipping the build
      when the tag is already in the repository (so re-running a build of unchanged source
      succeeds). ``image_tag_mutability = "MUTABLE"`` with ``image_tag = "latest"`` is the
      sample's behaviour. ``image_tag`` is the tag to run (the root gives it to alb-ecs).
    - Scan on push (``scan_on_push``) and KMS encryption with the AWS managed ``aws/ecr`` key
      (``ecr_encryption_type``); a lifecycle policy keeps the ``ecr_max_image_count`` newest
      images, since every source change pushes a new tag.
    - The source bucket is encrypted with the AWS managed ``aws/s3`` key
      (``source_bucket_sse_algorithm``), versioned (``source_bucket_versioning``) and has a
      lifecycle rule expiring replaced archive versions
      (``source_bucket_noncurrent_version_expiration_days``) and unfinished uploads; the
      archive is uploaded only once all of that is in place. With
      ``source_bucket_access_log_bucket`` its S3 server access logs go to that bucket (which
      must accept them from ``logging.s3.amazonaws.com``) under ``<bucket prefix>/``; the root
      leaves it off, since the targeted first apply must not depend on another module.
    - The log group has a retention (``log_retention_days``) and, with ``log_kms_key_id``,
      KMS encryption (the key's policy must let CloudWatch Logs use it).

    Outputs: ``ecr_id``; also ``ecr_repository_url``, ``codebuild_project_name``,
    ``source_digest`` and ``image_tag`` for the root deployment.
    """

    def __init__(self, scope: Construct, id: str, config: DockerEcrCodebuildConfig) -> None:
        super().__init__(scope, id)
        self.config = config
        project = config.tags["Project"]
        self._region = region = provider_region(self)
        self._account = account = DataAwsCallerIdentity(self, "current").account_id

        self.source_digest = source_digest(config.source_path)
        self.image_tag: str = config.image_tag or self.source_digest
        self.repository = EcrRepository(
            self,
            "ecr",
            name=config.ecr_name,
            force_delete=config.ecr_force_delete,
            image_tag_mutability=config.image_tag_mutability,
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(
                scan_on_push=config.scan_on_push
            ),
            encryption_configuration=[
                EcrRepositoryEncryptionConfiguration(encryption_type=config.ecr_encryption_type)
            ],
            tags={
                **config.tags,
                "Purpose": "ECR repository for ecs docker image",
                "Name": config.prefix_name,
            },
        )
        account_root = arn(region, "iam", "root", account=account, in_region=False)
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
                            type="AWS", identifiers=[account_root]
                        )
                    ],
                )
            ],
        )
        EcrRepositoryPolicy(
            self, "ecr_policy", repository=self.repository.name, policy=pull_policy.json
        )
        # Every source change pushes a new digest tag: without expiry the images pile up.
        lifecycle = (
            [
                EcrLifecyclePolicy(
                    self,
                    "ecr_lifecycle_policy",
                    repository=self.repository.name,
                    policy=json.dumps(
                        {
                            "rules": [
                                {
                                    "rulePriority": 1,
                                    "description": f"Keep the {config.ecr_max_image_count} "
                                    "newest images",
                                    "selection": {
                                        "tagStatus": "any",
                                        "countType": "imageCountMoreThan",
                                        "countNumber": config.ecr_max_image_count,
                                    },
                                    "action": {"type": "expire"},
                                }
                            ]
                        }
                    ),
                )
            ]
            if config.ecr_max_image_count
            else []
        )

        source_bucket, source_object = self._source(config)
        project_name = f"{config.prefix_name}-{project}-ecs-docker-image"
        log_group = CloudwatchLogGroup(
            self,
            "codebuild_log_group",
            name=f"/aws/codebuild/{project_name}",
            retention_in_days=config.log_retention_days,
            kms_key_id=config.log_kms_key_id or None,
            tags=config.tags,
        )
        role, role_policy = self._iam(config, project_name, source_bucket, log_group)

        source_location = f"{source_object.bucket}/{source_object.key}"
        variables = {
            "AWS_ACCOUNT_ID": account,
            # The repository's own URL: its host's DNS suffix is the partition's.
            "REPOSITORY_URI": self.repository.repository_url,
            "IMAGE_REPO_NAME_PRODUCER": config.ecr_name,
            "IMAGE_TAG": self.image_tag,
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
                type="S3",
                location=source_location,
                # The shell's own ${...} must reach CodeBuild, not Terraform's templating.
                buildspec=terraform_literal(BUILDSPEC.read_text()),
            ),
            logs_config=CodebuildProjectLogsConfig(
                cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(
                    group_name=log_group.name, status="ENABLED"
                )
            ),
            tags=config.tags,
            # A build started right after the first apply must already have its permissions.
            depends_on=[role_policy, *lifecycle],
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
        controls = make_bucket_private(
            self, "source_bucket", bucket, sse_algorithm=config.source_bucket_sse_algorithm
        )
        controls += version_and_expire(
            self,
            "source_bucket",
            bucket,
            versioning=config.source_bucket_versioning,
            noncurrent_version_expiration_days=(
                config.source_bucket_noncurrent_version_expiration_days
            ),
        )
        if config.source_bucket_access_log_bucket:
            controls.append(
                S3BucketLoggingA(
                    self,
                    "source_bucket_logging",
                    bucket=bucket.id,
                    target_bucket=config.source_bucket_access_log_bucket,
                    target_prefix=f"{_bucket_prefix(config.prefix_name).rstrip('-')}/",
                )
            )
        digest = self.source_digest
        asset = TerraformAsset(
            self,
            "source_archive",
            path=str(staged_source(config.source_path)),
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
            # Upload only into a bucket that is already private, encrypted and versioned.
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
            # The sample's "<Project>-codebuild-docker" is the same for every deployment of a
            # project; IAM role names are unique in the account.
            name=f"{config.prefix_name}-codebuild-docker",
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
                    # The buildspec asks whether the tag is already there.
                    "ecr:DescribeImages",
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
                resources=[
                    arn(region, "codebuild", f"report-group/{project_name}-*", account=account)
                ],
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
