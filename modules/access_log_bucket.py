"""The S3 bucket that receives the ALB access logs (a root resource of the sample)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from modules.private_bucket import make_bucket_private, version_and_expire
from modules.regions import ELB_LOG_DELIVERY_SERVICE, arn, elb_log_delivery_account

LOG_DELIVERY_SERVICES = ["delivery.logs.amazonaws.com", "logdelivery.elb.amazonaws.com"]


def elb_log_delivery_principal(region: str) -> DataAwsIamPolicyDocumentStatementPrincipals:
    """Who writes ALB access logs in ``region``: its ELB account, else the service principal."""
    account = elb_log_delivery_account(region)
    if account:
        return DataAwsIamPolicyDocumentStatementPrincipals(
            type="AWS", identifiers=[arn(region, "iam", "root", account=account, in_region=False)]
        )
    return DataAwsIamPolicyDocumentStatementPrincipals(
        type="Service", identifiers=[ELB_LOG_DELIVERY_SERVICE]
    )


class AccessLogBucket(Construct):
    """Private bucket for ALB access logs, as the sample's root deployment creates it.

    Creates the bucket (tag ``Purpose``), SSE-S3 encryption (ALB log delivery supports no KMS
    key), bucket-owner-enforced ownership (provider 6 has no bucket ``acl``; this replaces
    ``acl = "private"``), a public access block, and a policy that denies every request without
    TLS and lets Elastic Load Balancing put objects under ``<prefix>/AWSLogs/<account>/``.

    Not in the sample: with ``versioning`` (the default) the bucket is versioned, so a deleted
    or overwritten log stays recoverable for ``noncurrent_version_expiration_days``; a
    lifecycle rule always exists, expiring logs ``expiration_days`` after they were written
    (0 keeps them) and aborting unfinished multipart uploads. With ``force_destroy`` a destroy
    deletes the objects and their versions with the bucket; without, it fails while the bucket
    holds any (empty it with ``aws s3api delete-objects`` on every version first).

    ``bucket_name`` is the policy's bucket attribute: a resource that uses it for access logs
    depends on the policy, so the ALB is created only once log delivery is allowed.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        logs_prefix: str,
        region: str,
        account_id: str,
        tags: dict[str, str],
        versioning: bool = True,
        expiration_days: int = 90,
        noncurrent_version_expiration_days: int = 7,
        force_destroy: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=bucket_name,
            force_destroy=force_destroy,
            tags={**tags, "Purpose": "Access logs of the ALB on the Outpost"},
        )
        make_bucket_private(self, "bucket", self.bucket)
        version_and_expire(
            self,
            "bucket",
            self.bucket,
            versioning=versioning,
            expiration_days=expiration_days,
            noncurrent_version_expiration_days=noncurrent_version_expiration_days,
        )
        bucket_arn = self.bucket.arn
        log_objects = f"{bucket_arn}/{logs_prefix}/AWSLogs/{account_id}/*"
        services = DataAwsIamPolicyDocumentStatementPrincipals(
            type="Service", identifiers=LOG_DELIVERY_SERVICES
        )
        document = DataAwsIamPolicyDocument(
            self,
            "policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    actions=["s3:*"],
                    resources=[bucket_arn, f"{bucket_arn}/*"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])
                    ],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="Bool", variable="aws:SecureTransport", values=["false"]
                        )
                    ],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="ElbLogDelivery",
                    actions=["s3:PutObject"],
                    resources=[log_objects],
                    principals=[elb_log_delivery_principal(region)],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="LogDeliveryWrite",
                    actions=["s3:PutObject"],
                    resources=[log_objects],
                    principals=[services],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals",
                            variable="s3:x-amz-acl",
                            values=["bucket-owner-full-control"],
                        )
                    ],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="LogDeliveryAclCheck",
                    actions=["s3:GetBucketAcl"],
                    resources=[bucket_arn],
                    principals=[services],
                ),
            ],
        )
        self.policy = S3BucketPolicy(self, "policy", bucket=self.bucket.id, policy=document.json)
        self.bucket_name: str = self.policy.bucket
        self.bucket_arn: str = bucket_arn
