"""The ``vpc`` module: a VPC with tiered subnets, gateways, Outposts subnets and SSM access.

One construct, :class:`Vpc`, configured by :class:`VpcConfig`. The configuration keeps the
variable names and defaults of the sample's Terraform module; the construct exposes the module's
outputs as attributes of the same names. Its parts live beside it and create their resources on
it (the addresses are the module's): ``vpc_routing`` (tiers, gateways, routes),
``vpc_flow_log``, ``vpc_ssm`` and the shared ``interface_endpoints`` builder.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_ec2_coip_pool import DataAwsEc2CoipPool
from cdktf_cdktf_provider_aws.data_aws_ec2_local_gateway import (
    DataAwsEc2LocalGateway,
    DataAwsEc2LocalGatewayFilter,
)
from cdktf_cdktf_provider_aws.data_aws_ec2_local_gateway_route_table import (
    DataAwsEc2LocalGatewayRouteTable,
)
from cdktf_cdktf_provider_aws.data_aws_outposts_outpost import DataAwsOutpostsOutpost
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.ec2_local_gateway_route_table_vpc_association import (
    Ec2LocalGatewayRouteTableVpcAssociation,
)
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc as AwsVpc
from cdktf_cdktf_provider_aws.vpc_dhcp_options import VpcDhcpOptions
from cdktf_cdktf_provider_aws.vpc_dhcp_options_association import VpcDhcpOptionsAssociation
from cdktf_cdktf_provider_aws.vpc_ipv4_cidr_block_association import (
    VpcIpv4CidrBlockAssociation,
)
from constructs import Construct

from modules.provider import provider_region
from modules.vpc_flow_log import add_flow_log
from modules.vpc_routing import OUTPOSTS_TIER, PRIVATE_TIERS, Routing
from modules.vpc_scope import VpcScope
from modules.vpc_ssm import add_ssm

# The configuration lives beside the module, free of provider bindings; re-exported here.
from modules.vpc_variables import (
    SUBNET_LIST_FIELDS,
    RouteDestination,
    SubnetCidr,
    VpcCidr,
    VpcConfig,
)

__all__ = ["SUBNET_LIST_FIELDS", "RouteDestination", "SubnetCidr", "Vpc", "VpcCidr", "VpcConfig"]


class Vpc(Construct):
    """The sample's ``vpc`` module as one construct.

    Always: the VPC (``instance_tenancy`` applied), one secondary CIDR association per
    ``secondary_cidr_blocks`` entry, and per subnet tier (public, private, tgw, fw, web,
    presentation, database) one subnet, one route table and one association per CIDR. Subnet i
    of a tier goes to AZ ``i % number_AZ`` of the Region's AZs that need no opt-in.

    Conditionally:

    - DHCP options set and its association with ``enable_dhcp_options``.
    - Internet gateway, plus ``0.0.0.0/0`` (and ``::/0`` with ``enable_ipv6``) in every public
      route table, with ``enable_internet_gateway`` and at least one public subnet.
    - With ``enable_nat_gateway``: one EIP and NAT gateway per AZ in public subnets
      ``0..number_AZ-1`` when there are at least ``number_AZ`` public subnets ("high
      availability"), else one EIP and NAT gateway in public subnet 0 ("one-AZ"). A tier whose
      ``*_internet_access_nat_gw`` flag is on routes ``0.0.0.0/0`` from route table i through
      NAT gateway ``i % <number of NAT gateways>``. With ``enable_ipv6`` too: an egress-only
      internet gateway and ``::/0`` routes through it for the private and web tiers.
    - With ``outposts_arn``: one subnet per ``outposts_subnets_cidr_list`` entry in the
      Outpost's AZ (``availability_zone_id``), carrying ``outpost_arn``; with
      ``coip_auto_assign`` it maps customer-owned IPs from the CoIP pool of the Outpost's local
      gateway route table. The VPC is associated with that route table, and with
      ``outposts_route_to_LGW_destination`` each Outposts route table routes the destination to
      the local gateway.
    - Flow log with ``enable_flow_log``: to CloudWatch Logs (optionally creating the log group
      ``<flow_log_cloudwatch_log_group_name_prefix><vpc_name>-vpc-flow-logs`` and the IAM role
      with its inline policy) or to S3 (``flow_log_destination_type="s3"``: no group, no role).
    - With ``enable_ssm``: a security group (HTTPS from ``vpc_main_cidr``), and when there are
      private subnets interface endpoints for ssm, ssmmessages, ec2, ec2messages and kms; with
      ``create_iam_role_ssm`` also the EC2 role (SSM core, CloudWatch agent, ECS container
      instance managed policies plus read access to the SSM regional buckets) and its
      instance profile. An S3 gateway endpoint with ``enable_ssm`` or ``enable_s3_endpoint``.

    Configurations the sample accepted but could not apply are refused by :class:`VpcConfig`.
    The fixes of the sample's defects, the hardening behind its variables, the provider 6
    translation, the other differences, and the generated inputs and outputs are in
    ``docs/modules/vpc.md``.
    """

    vpc_id: str
    vpc_cidr_block: str
    """The VPC's main CIDR block (``vpc_main_cidr``, known at synthesis)."""
    subnet_priv_ids: list[str]
    subnet_public_ids: list[str]
    subnet_priv_tgw_ids: list[str]
    subnet_fw_ids: list[str]
    subnet_web_ids: list[str]
    subnet_presentation_ids: list[str]
    subnet_database_ids: list[str]
    subnet_outposts_ids: list[str]
    subnet_public_route_table_ids: list[str]
    subnet_priv_route_table_ids: list[str]
    subnet_priv_tgw_route_table_ids: list[str]
    subnet_fw_route_table_ids: list[str]
    subnet_web_tier_route_table_ids: list[str]
    subnet_pres_tier_route_table_ids: list[str]
    subnet_database_tier_route_table_ids: list[str]
    subnet_outposts_route_table_ids: list[str]
    iam_role_ec2_ssm_id: str | None
    iam_instance_profile_ec2_ssm_id: str | None
    ssm_security_group_id: str | None
    igw_id: str | None
    s3_vpc_endpoint: str | None

    def __init__(self, scope: Construct, id: str, config: VpcConfig) -> None:
        super().__init__(scope, id)
        self.config = config
        self._read_environment()

        self._vpc = AwsVpc(
            self,
            "vpc",
            cidr_block=config.vpc_main_cidr,
            enable_dns_support=config.enable_dns_support,
            enable_dns_hostnames=config.enable_dns_hostnames,
            instance_tenancy=config.instance_tenancy,
            assign_generated_ipv6_cidr_block=config.enable_ipv6,
            tags=self._tags(f"{config.vpc_name}{config.vpc_suffix}"),
        )
        self.vpc_id = self._vpc.id
        self.vpc_cidr_block = config.vpc_main_cidr
        # Every part creates its resources on this construct: the addresses are the module's.
        parts = VpcScope(self, config, self._vpc.id)

        if config.manage_default_security_group:
            # No ingress or egress blocks: Terraform removes every rule of the default group.
            DefaultSecurityGroup(
                self,
                "default_security_group",
                vpc_id=self._vpc.id,
                tags=self._tags(f"{config.vpc_name}-DEFAULT-SG-NO-RULES"),
            )
        secondary_associations = self._add_secondary_cidrs()
        self._add_dhcp_options()

        self._routing = Routing(parts, self._azs, secondary_associations, self._outpost)
        public_route_tables = self._routing.add_public_tier()
        igw = self._routing.igw
        self.igw_id = igw.id if igw is not None else None
        self.subnet_public_ids = [s.id for s in self._routing.public_subnets]
        self.subnet_public_route_table_ids = [rt.id for rt in public_route_tables]
        self._routing.add_nat_gateways()
        # Not a sample output: where the private subnets' traffic to the internet comes from.
        self.nat_public_ips: list[str] = [
            gateway.public_ip for gateway in self._routing.nat_gateways
        ]
        self._add_private_tiers()
        self._add_outposts_tier()
        add_flow_log(parts, self._region, self._identity.account_id)

        ssm = add_ssm(parts, self._region, self._private_subnets)
        self.iam_role_ec2_ssm_id = ssm.iam_role_ec2_ssm_id
        self.iam_instance_profile_ec2_ssm_id = ssm.iam_instance_profile_ec2_ssm_id
        self.ssm_security_group_id = ssm.ssm_security_group_id
        self.s3_vpc_endpoint = ssm.s3_vpc_endpoint

    def _tags(self, name: str | None = None, **extra: str) -> dict[str, str]:
        """The configured tags, plus the resource's Name and any extra tags."""
        tags = {**self.config.tags, **extra}
        if name is not None:
            tags["Name"] = name
        return tags

    def _read_environment(self) -> None:
        """The Region, account, AZs and (with ``outposts_arn``) the Outpost and its gateway."""
        config = self.config
        zone_filters = [
            DataAwsAvailabilityZonesFilter(name="opt-in-status", values=["opt-in-not-required"])
        ]
        if config.availability_zones:
            zone_filters.append(
                DataAwsAvailabilityZonesFilter(name="zone-name", values=config.availability_zones)
            )
        self._azs = DataAwsAvailabilityZones(
            self,
            "available_azs",
            filter=zone_filters,
        )
        self._region = provider_region(self)
        self._identity = DataAwsCallerIdentity(self, "current_identity")
        self._outpost: DataAwsOutpostsOutpost | None = None
        if not config.outposts_arn:
            return
        self._outpost = DataAwsOutpostsOutpost(self, "target_outpost", arn=config.outposts_arn)
        self._lgw_route_table = DataAwsEc2LocalGatewayRouteTable(
            self, "outposts_lgw_route_table", outpost_arn=config.outposts_arn
        )

    # -- VPC-wide settings ------------------------------------------------------------------

    def _add_secondary_cidrs(self) -> list[tuple[str, VpcIpv4CidrBlockAssociation]]:
        """One association per secondary block, with the block it associates."""
        associations: list[tuple[str, VpcIpv4CidrBlockAssociation]] = []
        for index, cidr in enumerate(self.config.secondary_cidr_blocks):
            association = VpcIpv4CidrBlockAssociation(
                self, f"secondary_cidr_{index}", vpc_id=self._vpc.id, cidr_block=cidr
            )
            associations.append((cidr, association))
        return associations

    def _add_dhcp_options(self) -> None:
        config = self.config
        if not config.enable_dhcp_options:
            return
        options = VpcDhcpOptions(
            self,
            "dhcp_options",
            domain_name=config.dhcp_options_domain_name or None,
            domain_name_servers=config.dhcp_options_domain_name_servers or None,
            ntp_servers=config.dhcp_options_ntp_servers or None,
            netbios_name_servers=config.dhcp_options_netbios_name_servers or None,
            netbios_node_type=config.dhcp_options_netbios_node_type or None,
            tags=self._tags(f"{config.vpc_name}-DHCP-OPTIONS"),
        )
        VpcDhcpOptionsAssociation(
            self, "dhcp_options_association", vpc_id=self._vpc.id, dhcp_options_id=options.id
        )

    # -- private tiers ----------------------------------------------------------------------

    def _add_private_tiers(self) -> None:
        outputs: dict[str, tuple[list[Subnet], list[RouteTable]]] = {}
        for tier in PRIVATE_TIERS:
            subnets, route_tables = self._routing.add_tier(tier)
            self._routing.add_internet_routes(tier, route_tables)
            outputs[tier.key] = (subnets, route_tables)

        def ids(key: str) -> tuple[list[str], list[str]]:
            subnets, route_tables = outputs[key]
            return [s.id for s in subnets], [rt.id for rt in route_tables]

        self._private_subnets = outputs["priv"][0]
        self.subnet_priv_ids, self.subnet_priv_route_table_ids = ids("priv")
        self.subnet_priv_tgw_ids, self.subnet_priv_tgw_route_table_ids = ids("priv_tgw")
        self.subnet_fw_ids, self.subnet_fw_route_table_ids = ids("fw")
        self.subnet_web_ids, self.subnet_web_tier_route_table_ids = ids("web_tier")
        self.subnet_presentation_ids, self.subnet_pres_tier_route_table_ids = ids("pres_tier")
        self.subnet_database_ids, self.subnet_database_tier_route_table_ids = ids("database_tier")

    # -- Outposts ---------------------------------------------------------------------------

    def _add_outposts_tier(self) -> None:
        config = self.config
        self.subnet_outposts_ids = []
        self.subnet_outposts_route_table_ids = []
        if not config.outposts_arn:
            return

        coip_pool_id = None
        if config.coip_auto_assign:
            coip_pool_id = DataAwsEc2CoipPool(
                self,
                "coip_pool",
                local_gateway_route_table_id=self._lgw_route_table.local_gateway_route_table_id,
            ).pool_id
        subnets, route_tables = self._routing.add_tier(OUTPOSTS_TIER, coip_pool_id=coip_pool_id)
        self.subnet_outposts_ids = [s.id for s in subnets]
        self.subnet_outposts_route_table_ids = [rt.id for rt in route_tables]

        lgw_association = Ec2LocalGatewayRouteTableVpcAssociation(
            self,
            "outposts_lgw_route_table_assoc",
            local_gateway_route_table_id=self._lgw_route_table.local_gateway_route_table_id,
            vpc_id=self._vpc.id,
            tags=self._tags(f"{config.vpc_name}-LGW-ROUTE-TABLE-ASSOC"),
        )
        if config.outposts_route_to_LGW_destination:
            local_gateway_id = config.outposts_local_gateway_id
            if not local_gateway_id:
                local_gateway_id = DataAwsEc2LocalGateway(
                    self,
                    "outposts_lgw",
                    filter=[
                        DataAwsEc2LocalGatewayFilter(
                            name="outpost-arn", values=[config.outposts_arn]
                        )
                    ],
                ).id
            for index, route_table in enumerate(route_tables):
                Route(
                    self,
                    f"outposts_route_to_LGW_{index}",
                    route_table_id=route_table.id,
                    destination_cidr_block=config.outposts_route_to_LGW_destination,
                    local_gateway_id=local_gateway_id,
                    depends_on=[lgw_association],
                )
        self._routing.add_internet_routes(OUTPOSTS_TIER, route_tables)
