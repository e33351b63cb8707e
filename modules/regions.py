"""What a Region decides about the names of things: its partition, its DNS suffix and the
account that delivers its load balancers' access logs.

Known at synthesis time (the Region is in the vars file), so the Terraform JSON holds plain
``arn:aws-us-gov:...`` strings that the rules checker (``rules/``) can read, not references to a
``data.aws_partition`` lookup. Imported by the vars-file checks, the constructs and the rules
checker alike; nothing here loads the provider bindings.
"""

from __future__ import annotations

import functools

__all__ = [
    "ELB_LOG_DELIVERY_ACCOUNTS",
    "ELB_LOG_DELIVERY_SERVICE",
    "SUPPORTED_PARTITIONS",
    "arn",
    "dns_suffix",
    "elb_log_delivery_account",
    "known_regions",
    "partition",
]

# Accounts of Elastic Load Balancing that deliver access logs in the Regions opened before
# August 2022, from the ELB guide ("Enable access logs for your Application Load Balancer",
# step 2, and for the China Regions "Getting Started with AWS in China", Elastic Load
# Balancing). A Region not listed here delivers as ELB_LOG_DELIVERY_SERVICE.
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
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"

# The partitions whose ELB log-delivery accounts, service principals and public images (ECR
# Public's base image) this project knows. The isolated partitions (aws-iso*) and the European
# Sovereign Cloud (aws-eusc) publish theirs apart, and are refused by the Region check.
SUPPORTED_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


@functools.cache
def _partitions() -> dict[str, dict[str, str]]:
    """botocore's endpoint data: for every Region, its partition and DNS suffix."""
    # Imported here: only what needs a Region pays for loading botocore.
    import botocore.session

    endpoints = botocore.session.Session().get_data("endpoints")
    return {
        region: {"partition": entry["partition"], "dns_suffix": entry["dnsSuffix"]}
        for entry in endpoints["partitions"]
        for region in entry["regions"]
    }


def known_regions() -> dict[str, str]:
    """Every Region in botocore's partition data, with its partition (aws, aws-cn, ...)."""
    return {region: facts["partition"] for region, facts in _partitions().items()}


def partition(region: str) -> str:
    """The partition of ``region``: ``aws``, ``aws-cn``, ``aws-us-gov`` ..."""
    return _partitions()[region]["partition"]


def dns_suffix(region: str) -> str:
    """The DNS suffix of ``region``'s service endpoints: ``amazonaws.com``, ``amazonaws.com.cn``."""
    return _partitions()[region]["dns_suffix"]


def arn(
    region: str, service: str, resource: str, *, account: str = "", in_region: bool = True
) -> str:
    """An ARN in ``region``'s partition; ``in_region=False`` for global services (IAM, S3)."""
    where = region if in_region else ""
    return f"arn:{partition(region)}:{service}:{where}:{account}:{resource}"


def elb_log_delivery_account(region: str) -> str | None:
    """The ELB account that delivers ``region``'s access logs, or ``None`` (the service)."""
    return ELB_LOG_DELIVERY_ACCOUNTS.get(region)
