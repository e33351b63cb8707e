"""Interface VPC endpoints, shared by the ``vpc`` and ``alb-ecs`` modules.

Both modules reach AWS services privately the same way: one endpoint service lookup and one
interface endpoint per service, in the given subnets, behind one security group, with private
DNS so that the services' public names resolve to the endpoints. Each module keeps its own
construct ids and Name tags, which :class:`InterfaceEndpoint` carries.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from cdktf_cdktf_provider_aws.data_aws_vpc_endpoint_service import DataAwsVpcEndpointService
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

__all__ = ["InterfaceEndpoint", "add_interface_endpoints"]


@dataclasses.dataclass(frozen=True)
class InterfaceEndpoint:
    """One interface endpoint: the service and the construct ids and tags it is created with."""

    service: str  # endpoint service short name: "ssm", "ecr.api", ...
    construct_id: str
    lookup_id: str  # construct id of the endpoint service lookup
    tags: dict[str, str]


def add_interface_endpoints(
    scope: Construct,
    endpoints: Iterable[InterfaceEndpoint],
    *,
    vpc_id: str,
    security_group_id: str,
    subnet_ids: list[str],
) -> list[VpcEndpoint]:
    """Create ``endpoints`` on ``scope`` itself, so that their addresses are the module's."""
    created: list[VpcEndpoint] = []
    for endpoint in endpoints:
        service = DataAwsVpcEndpointService(scope, endpoint.lookup_id, service=endpoint.service)
        created.append(
            VpcEndpoint(
                scope,
                endpoint.construct_id,
                vpc_id=vpc_id,
                service_name=service.service_name,
                vpc_endpoint_type="Interface",
                security_group_ids=[security_group_id],
                subnet_ids=subnet_ids,
                private_dns_enabled=True,
                tags=endpoint.tags,
            )
        )
    return created
