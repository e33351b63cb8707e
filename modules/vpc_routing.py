"""The ``vpc`` module's subnet tiers and their ways out: subnets, route tables, the internet
gateway, NAT gateways, the egress-only internet gateway and the default routes through them.
"""

from __future__ import annotations

import dataclasses
import ipaddress

from cdktf import Token
from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktf_cdktf_provider_aws.data_aws_outposts_outpost import DataAwsOutpostsOutpost
from cdktf_cdktf_provider_aws.egress_only_internet_gateway import EgressOnlyInternetGateway
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route, RouteTimeouts
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc_ipv4_cidr_block_association import (
    VpcIpv4CidrBlockAssociation,
)

from modules.vpc_scope import VpcScope

__all__ = ["OUTPOSTS_TIER", "PRIVATE_TIERS", "PUBLIC_TIER", "Routing", "Tier"]


@dataclasses.dataclass(frozen=True)
class Tier:
    """How one subnet tier is named and routed."""

    key: str  # construct id stem: subnet_<key>_<i>, subnet_<key>_route_table_<i>
    cidr_field: str
    suffix_field: str
    route_table_name: str  # Name tag: <vpc_name>-<route_table_name>-<i>
    purpose: str
    association_id: str
    nat_flag: str | None = None  # the *_internet_access_nat_gw field
    nat_route_id: str | None = None
    ipv6_route_id: str | None = None  # ::/0 through the egress-only gateway


# The sample routed the fw tier on the tgw tier's NAT flag; each tier has its own here.
PRIVATE_TIERS = (
    Tier("priv", "private_subnets_cidr_list", "private_subnets_suffix", "PrivateRoutable",
         "Routes of the private subnets", "priv_route_assoc",
         "private_subnets_internet_access_nat_gw", "private_nat_gateway", "private_ipv6_egress"),
    Tier("priv_tgw", "tgw_subnets_cidr_list", "tgw_subnets_suffix", "TGWPrivateRoutable",
         "Routes of the transit gateway subnets", "priv_tgw_route_assoc",
         "tgw_subnets_internet_access_nat_gw", "private_gw_nat_gateway"),
    Tier("fw", "fw_subnets_cidr_list", "fw_subnets_suffix", "NetworkFWRoutable",
         "Routes of the network firewall subnets", "fw_route_assoc",
         "fw_subnets_internet_access_nat_gw", "fw_nat_gateway"),
    Tier("web_tier", "web_tier_subnets_cidr_list", "web_subnets_suffix", "WebTierRoutable",
         "Routes of the web tier subnets", "web_tier_route_assoc",
         "web_subnets_internet_access_nat_gw", "web_nat_gateway", "web_ipv6_egress"),
    Tier("pres_tier", "pres_tier_subnets_cidr_list", "pres_subnets_suffix", "PresTierRoutable",
         "Routes of the presentation tier subnets", "pres_tier_route_assoc"),
    Tier("database_tier", "database_tier_subnets_cidr_list", "database_subnets_suffix",
         "DatabaseTierRoutable", "Routes of the database tier subnets",
         "database_tier_route_assoc"),
)  # fmt: skip

PUBLIC_TIER = Tier(
    "public", "public_subnets_cidr_list", "public_subnets_suffix", "PublicRouteTable",
    "Routes of the public subnets to the internet", "public_route_assoc",
)  # fmt: skip

OUTPOSTS_TIER = Tier(
    "outposts", "outposts_subnets_cidr_list", "outposts_subnets_suffix", "outpostsRoutable",
    "Routes of the Outposts subnets", "outposts_route_assoc",
    "outposts_subnets_internet_access_nat_gw", "outposts_route_to_NATGW",
)  # fmt: skip

_NAT_ROUTE_TIMEOUTS = RouteTimeouts(create="5m")


class Routing:
    """Builds the tiers and gateways on the module construct, in the module's order: the
    public tier (:meth:`add_public_tier`), the NAT gateways (:meth:`add_nat_gateways`), then
    each other tier (:meth:`add_tier` and :meth:`add_internet_routes`)."""

    def __init__(
        self,
        scope: VpcScope,
        azs: DataAwsAvailabilityZones,
        secondary_associations: list[tuple[str, VpcIpv4CidrBlockAssociation]],
        outpost: DataAwsOutpostsOutpost | None,
    ) -> None:
        self._scope = scope
        self._azs = azs
        self._secondary_associations = secondary_associations
        self._outpost = outpost
        self.igw: InternetGateway | None = None
        self.public_subnets: list[Subnet] = []
        self.nat_gateways: list[NatGateway] = []
        self.egress_gateway: EgressOnlyInternetGateway | None = None

    def _az(self, index: int) -> str:
        """Name of AZ ``index % number_AZ`` (plan fails if the Region has fewer AZs)."""
        attribute = f"names[{index % self._scope.config.number_AZ}]"
        return Token.as_string(self._azs.interpolation_for_attribute(attribute))

    def _subnet_name(self, tier: Tier, index: int) -> str:
        config = self._scope.config
        suffix = getattr(config, tier.suffix_field)
        return f"{config.vpc_name}-{suffix}-subnet-{index}"

    def _secondary_association_for(self, cidr: str) -> list[VpcIpv4CidrBlockAssociation]:
        """The secondary block association a subnet must wait for (none in the main block)."""
        network = ipaddress.ip_network(cidr)
        return [
            association
            for block, association in self._secondary_associations
            if network.subnet_of(ipaddress.ip_network(block))  # type: ignore[arg-type]
        ]

    def add_tier(
        self,
        tier: Tier,
        *,
        map_public_ip_on_launch: bool | None = None,
        coip_pool_id: str | None = None,
    ) -> tuple[list[Subnet], list[RouteTable]]:
        """One subnet, route table and association per CIDR of ``tier``.

        The Outposts tier's subnets sit in the Outpost's AZ and carry its ARN; the other tiers'
        subnets are spread over the Region's AZs. Subnets inside a secondary CIDR block wait
        for that block's association.
        """
        scope = self._scope
        config = scope.config
        outpost = self._outpost if tier is OUTPOSTS_TIER else None
        on_outpost = outpost is not None
        subnets: list[Subnet] = []
        route_tables: list[RouteTable] = []
        for index, cidr in enumerate(getattr(config, tier.cidr_field)):
            subnet = Subnet(
                scope.construct,
                f"subnet_{tier.key}_{index}",
                vpc_id=scope.vpc_id,
                cidr_block=cidr,
                availability_zone=None if on_outpost else self._az(index),
                availability_zone_id=outpost.availability_zone_id if outpost is not None else None,
                outpost_arn=config.outposts_arn if on_outpost else None,
                map_public_ip_on_launch=map_public_ip_on_launch,
                map_customer_owned_ip_on_launch=True if coip_pool_id else None,
                customer_owned_ipv4_pool=coip_pool_id,
                tags=scope.tags(self._subnet_name(tier, index)),
                depends_on=self._secondary_association_for(cidr) or None,
            )
            route_table = RouteTable(
                scope.construct,
                f"subnet_{tier.key}_route_table_{index}",
                vpc_id=scope.vpc_id,
                tags=scope.tags(
                    f"{config.vpc_name}-{tier.route_table_name}-{index}", Purpose=tier.purpose
                ),
            )
            RouteTableAssociation(
                scope.construct,
                f"{tier.association_id}_{index}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
            )
            subnets.append(subnet)
            route_tables.append(route_table)
        return subnets, route_tables

    def add_public_tier(self) -> list[RouteTable]:
        """The internet gateway (with ``enable_internet_gateway`` and public subnets), the
        public tier and its default routes through the gateway; returns the route tables."""
        scope = self._scope
        config = scope.config
        if config.enable_internet_gateway and config.public_subnets_cidr_list:
            self.igw = InternetGateway(
                scope.construct,
                "igw",
                vpc_id=scope.vpc_id,
                tags=scope.tags(f"{config.vpc_name}-IGW"),
            )

        subnets, route_tables = self.add_tier(
            PUBLIC_TIER, map_public_ip_on_launch=config.map_public_ip_on_launch
        )
        self.public_subnets = subnets
        if self.igw is None:
            return route_tables
        for index, route_table in enumerate(route_tables):
            Route(
                scope.construct,
                f"public_internet_gateway_{index}",
                route_table_id=route_table.id,
                destination_cidr_block="0.0.0.0/0",
                gateway_id=self.igw.id,
            )
            if config.enable_ipv6:
                Route(
                    scope.construct,
                    f"public_internet_gateway_ipv6_{index}",
                    route_table_id=route_table.id,
                    destination_ipv6_cidr_block="::/0",
                    gateway_id=self.igw.id,
                )
        return route_tables

    def add_nat_gateways(self) -> None:
        """Per-AZ NAT gateways, or a single one when there are fewer public subnets than AZs;
        with ``enable_ipv6`` also the egress-only internet gateway."""
        scope = self._scope
        config = scope.config
        if not config.enable_nat_gateway:
            return
        depends_on = [self.igw] if self.igw is not None else None
        if len(self.public_subnets) >= config.number_AZ:
            for index in range(config.number_AZ):
                eip = Eip(
                    scope.construct,
                    f"nat_eip_{index}",
                    domain="vpc",
                    tags=scope.tags(f"{config.vpc_name}-NAT-EIP-{index}"),
                )
                self.nat_gateways.append(
                    NatGateway(
                        scope.construct,
                        f"nat_gateway_{index}",
                        allocation_id=eip.allocation_id,
                        subnet_id=self.public_subnets[index].id,
                        depends_on=depends_on,
                        tags=scope.tags(f"{config.vpc_name}-NAT-GW-{index}"),
                    )
                )
        else:
            eip = Eip(
                scope.construct,
                "nat_eip_one_az",
                domain="vpc",
                tags=scope.tags(f"{config.vpc_name}-NAT-EIP-one-AZ"),
            )
            self.nat_gateways.append(
                NatGateway(
                    scope.construct,
                    "nat_gateway_one_az",
                    allocation_id=eip.allocation_id,
                    subnet_id=self.public_subnets[0].id,
                    depends_on=depends_on,
                    tags=scope.tags(f"{config.vpc_name}-NAT-GW-one-AZ"),
                )
            )
        if config.enable_ipv6:
            self.egress_gateway = EgressOnlyInternetGateway(
                scope.construct,
                "egress_gw",
                vpc_id=scope.vpc_id,
                tags=scope.tags(f"{config.vpc_name}-EGRESS-ONLY-IGW"),
            )

    def add_internet_routes(self, tier: Tier, route_tables: list[RouteTable]) -> None:
        """NAT (and IPv6 egress-only) default routes of a tier whose NAT flag is on.

        Route table i goes through NAT gateway ``i % <number of NAT gateways>``: whichever
        gateways exist (the sample picked on the public subnet count and broke when
        ``number_AZ`` was 1 or exceeded it).
        """
        scope = self._scope
        if tier.nat_flag is None or not getattr(scope.config, tier.nat_flag):
            return
        for index, route_table in enumerate(route_tables):
            if self.nat_gateways and tier.nat_route_id:
                nat_gateway = self.nat_gateways[index % len(self.nat_gateways)]
                Route(
                    scope.construct,
                    f"{tier.nat_route_id}_{index}",
                    route_table_id=route_table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_gateway.id,
                    timeouts=_NAT_ROUTE_TIMEOUTS,
                )
            if self.egress_gateway is not None and tier.ipv6_route_id:
                Route(
                    scope.construct,
                    f"{tier.ipv6_route_id}_{index}",
                    route_table_id=route_table.id,
                    destination_ipv6_cidr_block="::/0",
                    egress_only_gateway_id=self.egress_gateway.id,
                )
