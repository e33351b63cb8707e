"""Facts about AWS that the constructs and the rules checker (``rules/``) both need.

Binding-free: importing this loads neither the provider bindings nor botocore.
"""

from __future__ import annotations

__all__ = ["OUTPOSTS_EBS_VOLUME_TYPES", "OUTPOSTS_NAMESPACE"]

# The Amazon EKS user guide ("Creating a local cluster on an Outpost", considerations) states
# that Outposts support Amazon EBS gp2 volumes only; no later statement naming gp3 or io1 for
# an Outposts rack was found (see docs/aws-rules.md).
OUTPOSTS_EBS_VOLUME_TYPES: tuple[str, ...] = ("gp2",)
"""EBS volume types an Outposts rack serves to instances in its subnets."""

# The Outpost's own metrics, published in the Region (ConnectedStatus: 1 a minute;
# InstanceTypeCapacityUtilization and InstanceTypeCapacityAvailability: 1 every 5 minutes, by
# OutpostId and InstanceType), to the account that owns the Outpost only: an account it is
# shared with through AWS RAM gets none of them.
# https://docs.aws.amazon.com/outposts/latest/userguide/outposts-cloudwatch-metrics.html
# https://aws.amazon.com/blogs/compute/monitoring-shared-aws-outposts-rack-capacity/
OUTPOSTS_NAMESPACE = "AWS/Outposts"
"""The CloudWatch namespace of the Outposts metrics."""
