"""Controls every bucket of this project gets: private, owner-enforced, encrypted at rest, and
(where asked) versioned with a lifecycle that expires what is no longer needed."""

from __future__ import annotations

from cdktf import TerraformResource
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA as Encryption,
)
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationRuleA as EncryptionRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA as ByDefault,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from modules.validation import SseAlgorithm

# Days after which an unfinished multipart upload is aborted (its parts are billed until then).
ABORT_INCOMPLETE_UPLOAD_DAYS = 7


def make_bucket_private(
    scope: Construct, prefix: str, bucket: S3Bucket, *, sse_algorithm: SseAlgorithm = "AES256"
) -> list[TerraformResource]:
    """Bucket-owner-enforced ownership, a full public access block and default encryption.

    Provider 6 has no bucket ``acl`` or inline encryption: these resources replace the
    sample's ``acl = "private"`` and ``server_side_encryption_configuration``. SSE-S3
    (``AES256``) by default, because ALB access-log delivery accepts only SSE-S3;
    ``aws:kms`` uses the account's AWS managed ``aws/s3`` key, with an S3 bucket key.
    Returns the three resources, for whatever must wait until the bucket is locked down.
    """
    ownership = S3BucketOwnershipControls(
        scope,
        f"{prefix}_ownership",
        bucket=bucket.id,
        rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
    )
    public_access_block = S3BucketPublicAccessBlock(
        scope,
        f"{prefix}_public_access_block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    kms = sse_algorithm == "aws:kms"
    encryption = Encryption(
        scope,
        f"{prefix}_encryption",
        bucket=bucket.id,
        rule=[
            EncryptionRule(
                apply_server_side_encryption_by_default=ByDefault(sse_algorithm=sse_algorithm),
                bucket_key_enabled=True if kms else None,
            )
        ],
    )
    return [ownership, public_access_block, encryption]


def version_and_expire(
    scope: Construct,
    prefix: str,
    bucket: S3Bucket,
    *,
    versioning: bool,
    expiration_days: int = 0,
    noncurrent_version_expiration_days: int,
) -> list[TerraformResource]:
    """Versioning (when ``versioning``) and one lifecycle rule over the whole bucket.

    The rule expires current objects after ``expiration_days`` (0: never), noncurrent
    versions ``noncurrent_version_expiration_days`` after they became noncurrent (with
    versioning only) and unfinished multipart uploads after a week. The lifecycle waits for
    the versioning, as S3 requires for noncurrent-version rules. Returns the resources.
    """
    created: list[TerraformResource] = []
    if versioning:
        created.append(
            S3BucketVersioningA(
                scope,
                f"{prefix}_versioning",
                bucket=bucket.id,
                versioning_configuration=S3BucketVersioningVersioningConfiguration(
                    status="Enabled"
                ),
            )
        )
    rule = S3BucketLifecycleConfigurationRule(
        id="expire",
        status="Enabled",
        # An empty filter: the rule covers every object of the bucket.
        filter=[S3BucketLifecycleConfigurationRuleFilter()],
        expiration=(
            [S3BucketLifecycleConfigurationRuleExpiration(days=expiration_days)]
            if expiration_days
            else None
        ),
        noncurrent_version_expiration=(
            [
                S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=noncurrent_version_expiration_days
                )
            ]
            if versioning
            else None
        ),
        abort_incomplete_multipart_upload=[
            S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                days_after_initiation=ABORT_INCOMPLETE_UPLOAD_DAYS
            )
        ],
    )
    created.append(
        S3BucketLifecycleConfiguration(
            scope,
            f"{prefix}_lifecycle",
            bucket=bucket.id,
            rule=[rule],
            depends_on=list(created) or None,
        )
    )
    return created
