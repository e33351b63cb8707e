"""Variables of the ``docker-ecr-codebuild`` module (:class:`DockerEcrCodebuildConfig`).

Free of provider bindings, so that ``variables.load_variables`` checks them at once;
``modules/docker_ecr_codebuild.py`` re-exports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator, model_validator
from pydantic.dataclasses import dataclass

from modules.validation import (
    MODULE_CONFIG,
    EcrRepositoryName,
    FiniteLogRetentionDays,
    KmsKeyArn,
    NonEmptyStr,
    OptionalBucketName,
    OptionalImageTag,
    SseAlgorithm,
    added,
)

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


@dataclass(config=MODULE_CONFIG)
class DockerEcrCodebuildConfig:
    """Variables of the ``docker-ecr-codebuild`` module."""

    # -------------------- Names and tags ----------------------------------------------------
    tags: dict[str, str]
    """Tags for every resource; must hold a ``Project`` tag (used in resource names)."""
    prefix_name: NonEmptyStr
    """Prefix of the CodeBuild project name (the root passes vpc_name + vpc_suffix)."""
    # -------------------- Repository and image ----------------------------------------------
    ecr_name: EcrRepositoryName = "kinesis/producer"
    """Name of the ECR repository the image is pushed to."""
    source_dir: str = added("producer")
    """Directory (from the repository root) with the image's Dockerfile."""
    image_tag: OptionalImageTag = added("", sample="latest")
    """Tag the build pushes; "" for the source digest."""
    image_tag_mutability: Literal["IMMUTABLE", "MUTABLE"] = added("IMMUTABLE", sample="MUTABLE")
    """IMMUTABLE refuses to move a tag once pushed."""
    scan_on_push: bool = added(True)
    """ECR scans every pushed image for known vulnerabilities."""
    ecr_max_image_count: int = added(30, ge=0)
    """Images the repository keeps, newest first; 0 keeps all of them."""
    ecr_encryption_type: Literal["KMS", "AES256"] = added("KMS")
    """ECR encryption at rest; KMS uses the AWS managed aws/ecr key."""
    ecr_force_delete: bool = added(False, sample="false")
    """A destroy deletes the repository with its images; false: it fails while images remain."""
    # -------------------- Build and its logs ------------------------------------------------
    build_timeout: int = added(10, ge=5, le=480, sample="10")
    """CodeBuild timeout in minutes."""
    log_retention_days: FiniteLogRetentionDays = added(30)
    """Retention of the CodeBuild log group, in days."""
    log_kms_key_id: KmsKeyArn = added("")
    """ARN of the KMS key encrypting the CodeBuild log group; "" for none."""
    # -------------------- Source bucket -----------------------------------------------------
    source_bucket_sse_algorithm: SseAlgorithm = added("aws:kms")
    """Source bucket encryption; aws:kms uses the AWS managed aws/s3 key."""
    source_bucket_versioning: bool = added(True)
    """Version the source bucket (a replaced archive stays recoverable)."""
    source_bucket_noncurrent_version_expiration_days: int = added(30, ge=1)
    """Days a replaced source archive version is kept."""
    source_bucket_access_log_bucket: OptionalBucketName = added("")
    """Bucket receiving the source bucket's S3 access logs; "" for none."""

    @field_validator("tags")
    @classmethod
    def _needs_project_tag(cls, tags: dict[str, str]) -> dict[str, str]:
        if not tags.get("Project"):
            raise ValueError("tags must hold a non-empty 'Project' tag (used in resource names)")
        return tags

    @model_validator(mode="after")
    def _consistent(self) -> DockerEcrCodebuildConfig:
        if not (self.source_path / "Dockerfile").is_file():
            raise ValueError(f"source_dir: no Dockerfile in {self.source_dir!r}")
        if self.image_tag and self.image_tag_mutability == "IMMUTABLE":
            raise ValueError(
                f"image_tag: {self.image_tag!r} is a fixed tag, which an IMMUTABLE repository "
                "takes only once; leave image_tag empty (one tag per source digest) or set "
                "image_tag_mutability to MUTABLE"
            )
        return self

    @property
    def source_path(self) -> Path:
        return (REPOSITORY_ROOT / self.source_dir).resolve()


# The module's outputs (attributes of the ``DockerEcrCodebuild`` construct), as in the sample.
OUTPUTS: dict[str, str] = {
    "ecr_id": "Id of the ECR repository (its name, `ecr_name`).",
}
