"""The Region's partition, DNS suffix and ELB log-delivery account (modules/regions.py),
against AWS's published values."""

from __future__ import annotations

import pytest

from modules.regions import (
    ELB_LOG_DELIVERY_ACCOUNTS,
    arn,
    dns_suffix,
    elb_log_delivery_account,
    known_regions,
    partition,
)


@pytest.mark.parametrize(
    ("region", "expected_partition", "expected_suffix"),
    [
        ("us-west-2", "aws", "amazonaws.com"),
        ("ap-southeast-3", "aws", "amazonaws.com"),
        ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
        ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
        ("cn-northwest-1", "aws-cn", "amazonaws.com.cn"),
    ],
)
def test_partition_and_dns_suffix(
    region: str, expected_partition: str, expected_suffix: str
) -> None:
    assert partition(region) == expected_partition
    assert dns_suffix(region) == expected_suffix


def test_arns_are_in_the_region_s_partition() -> None:
    assert arn("us-gov-west-1", "iam", "root", account="048591011584", in_region=False) == (
        "arn:aws-us-gov:iam::048591011584:root"
    )
    assert arn("cn-north-1", "logs", "log-group:*", account="111122223333") == (
        "arn:aws-cn:logs:cn-north-1:111122223333:log-group:*"
    )
    assert arn("us-west-2", "s3", "bucket/*", in_region=False) == "arn:aws:s3:::bucket/*"


# From the ELB guide's table (Regions available before August 2022) and the China Regions'
# "Getting Started" guide; GovCloud's from the GovCloud user guide.
PUBLISHED = {
    "us-east-1": "127311923021",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "ap-southeast-3": "589379963580",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}


@pytest.mark.parametrize(("region", "account"), PUBLISHED.items())
def test_elb_log_delivery_accounts_are_aws_s(region: str, account: str) -> None:
    assert elb_log_delivery_account(region) == account


def test_every_listed_region_exists_and_newer_regions_use_the_service() -> None:
    regions = known_regions()
    assert set(ELB_LOG_DELIVERY_ACCOUNTS) <= set(regions)
    # Regions opened after August 2022 deliver as the service principal.
    for region in ("ap-southeast-4", "il-central-1", "ap-southeast-7", "mx-central-1"):
        if region in regions:
            assert elb_log_delivery_account(region) is None
