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

# Accounts of Elastic Load Balancing that deliver ALB access logs in the Regions opened
# before August 2022. Regions opened later deliver as the service principal below.
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
LOG_DELIVERY_SERVICES = ["delivery.logs.amazonaws.com", "logdelivery.elb.amazonaws.com"]


def elb_log_delivery_principal(region: str) -> DataAwsIamPolicyDocumentStatementPrincipals:
    """Who writes ALB access logs in ``region``: its ELB account, else the service principal."""
    account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    if account:
        return DataAwsIamPolicyDocumentStatementPrincipals(
            type="AWS", identifiers=[f"arn:aws:iam::{account}:root"]
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
    (0 keeps them) and aborting unfinished multipart uploads. A versioned bucket is emptied
    with its versions (``aws s3api delete-objects`` on every version) before a destroy.

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
    ) -> None:
        super().__init__(scope, id)
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=bucket_name,
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
        arn = self.bucket.arn
        log_objects = f"{arn}/{logs_prefix}/AWSLogs/{account_id}/*"
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
                    resources=[arn, f"{arn}/*"],
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
                    resources=[arn],
                    principals=[services],
                ),
            ],
        )
        self.policy = S3BucketPolicy(self, "policy", bucket=self.bucket.id, policy=document.json)
        self.bucket_name: str = self.policy.bucket
        self.bucket_arn: str = arn
