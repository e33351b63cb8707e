"""Controls every bucket of this project gets: private, owner-enforced, encrypted at rest."""

from __future__ import annotations

from cdktf import TerraformResource
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
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
from constructs import Construct


def make_bucket_private(scope: Construct, prefix: str, bucket: S3Bucket) -> list[TerraformResource]:
    """Bucket-owner-enforced ownership, a full public access block and SSE-S3 encryption.

    Provider 6 has no bucket ``acl`` or inline encryption: these resources replace the
    sample's ``acl = "private"`` and ``server_side_encryption_configuration``. SSE-S3 rather
    than KMS because ALB access-log delivery accepts only SSE-S3. Returns the three resources,
    for whatever must wait until the bucket is locked down.
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
    encryption = Encryption(
        scope,
        f"{prefix}_encryption",
        bucket=bucket.id,
        rule=[
            EncryptionRule(
                apply_server_side_encryption_by_default=ByDefault(sse_algorithm="AES256")
            )
        ],
    )
    return [ownership, public_access_block, encryption]
