"""The ``vpc`` module: a VPC with tiered subnets, gateways, Outposts subnets and SSM access.

One construct, :class:`Vpc`, configured by :class:`VpcConfig`. The configuration keeps the
variable names and defaults of the sample's Terraform module; the construct exposes the module's
outputs as attributes of the same names.
"""

from __future__ import annotations

import dataclasses
import ipaddress

from cdktf import TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
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
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_outposts_outpost import DataAwsOutpostsOutpost
from cdktf_cdktf_provider_aws.data_aws_vpc_endpoint_service import DataAwsVpcEndpointService
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.ec2_local_gateway_route_table_vpc_association import (
    Ec2LocalGatewayRouteTableVpcAssociation,
)
from cdktf_cdktf_provider_aws.egress_only_internet_gateway import EgressOnlyInternetGateway
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route, RouteTimeouts
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc as AwsVpc
from cdktf_cdktf_provider_aws.vpc_dhcp_options import VpcDhcpOptions
from cdktf_cdktf_provider_aws.vpc_dhcp_options_association import VpcDhcpOptionsAssociation
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_ipv4_cidr_block_association import (
    VpcIpv4CidrBlockAssociation,
)
from constructs import Construct

from modules.provider import provider_region
from modules.validation import terraform_literal

# The configuration lives beside the module, free of provider bindings; re-exported here.
from modules.vpc_variables import (
    SUBNET_LIST_FIELDS,
    RouteDestination,
    SubnetCidr,
    VpcCidr,
    VpcConfig,
    _flow_log_role_name,
    _ssm_role_name,
)

__all__ = ["SUBNET_LIST_FIELDS", "RouteDestination", "SubnetCidr", "Vpc", "VpcCidr", "VpcConfig"]


# ---------------------------------------------------------------------------------------------
# Construct
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Tier:
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


_PRIVATE_TIERS = (
    _Tier("priv", "private_subnets_cidr_list", "private_subnets_suffix", "PrivateRoutable",
          "Routes of the private subnets", "priv_route_assoc",
          "private_subnets_internet_access_nat_gw", "private_nat_gateway", "private_ipv6_egress"),
    _Tier("priv_tgw", "tgw_subnets_cidr_list", "tgw_subnets_suffix", "TGWPrivateRoutable",
          "Routes of the transit gateway subnets", "priv_tgw_route_assoc",
          "tgw_subnets_internet_access_nat_gw", "private_gw_nat_gateway"),
    _Tier("fw", "fw_subnets_cidr_list", "fw_subnets_suffix", "NetworkFWRoutable",
          "Routes of the network firewall subnets", "fw_route_assoc",
          "fw_subnets_internet_access_nat_gw", "fw_nat_gateway"),
    _Tier("web_tier", "web_tier_subnets_cidr_list", "web_subnets_suffix", "WebTierRoutable",
          "Routes of the web tier subnets", "web_tier_route_assoc",
          "web_subnets_internet_access_nat_gw", "web_nat_gateway", "web_ipv6_egress"),
    _Tier("pres_tier", "pres_tier_subnets_cidr_list", "pres_subnets_suffix", "PresTierRoutable",
          "Routes of the presentation tier subnets", "pres_tier_route_assoc"),
    _Tier("database_tier", "database_tier_subnets_cidr_list", "database_subnets_suffix",
          "DatabaseTierRoutable", "Routes of the database tier subnets",
          "database_tier_route_assoc"),
)  # fmt: skip

_PUBLIC_TIER = _Tier(
    "public", "public_subnets_cidr_list", "public_subnets_suffix", "PublicRouteTable",
    "Routes of the public subnets to the internet", "public_route_assoc",
)  # fmt: skip

_OUTPOSTS_TIER = _Tier(
    "outposts", "outposts_subnets_cidr_list", "outposts_subnets_suffix", "outpostsRoutable",
    "Routes of the Outposts subnets", "outposts_route_assoc",
    "outposts_subnets_internet_access_nat_gw", "outposts_route_to_NATGW",
)  # fmt: skip

# Interface endpoints that Session Manager needs in a VPC without internet access.
_SSM_ENDPOINTS = {
    "ssm": "SSM",
    "ssmmessages": "SSMMESSAGES",
    "ec2": "EC2",
    "ec2messages": "EC2MESSAGES",
    "kms": "KMS",
}

_SSM_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
)

# Regional buckets that the SSM agent reads (patches, documents, distributor packages).
_SSM_BUCKET_PATTERNS = (
    "patch-baseline-snapshot-{region}",
    "aws-ssm-{region}",
    "amazon-ssm-{region}",
    "aws-ssm-distributor-file-{region}",
    "{region}-birdwatcher-prod",
    "aws-ssm-document-attachments-{region}",
)

_NAT_ROUTE_TIMEOUTS = RouteTimeouts(create="5m")


def _literal(text: str | None) -> str | None:
    """``text`` as a Terraform string literal: ``${`` and ``%{`` are not interpolated."""
    return None if text is None else terraform_literal(text)


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

    Provider 6 translation: EIPs use ``domain = "vpc"``. The Region is the stack provider's,
    known at synth time: no ``aws_region`` lookup, whose Region attribute is ``name`` in
    provider 5 and ``region`` in provider 6.

    Fixes of the sample's defects:

    - The fw tier's NAT route follows ``fw_subnets_internet_access_nat_gw`` (not the tgw flag).
    - ``instance_tenancy`` reaches the VPC.
    - ``outposts_local_gateway_id``, when given, is the target of the local-gateway routes and
      no local gateway is looked up; empty, the Outpost's local gateway is looked up.
    - ``flow_log_cloudwatch_log_group_name_prefix`` prefixes the created log group's name.
    - ``endpoints_ha`` uses the first two private subnets only when they exist and sit in two
      AZs (``number_AZ`` >= 2); otherwise the endpoints go to the first private subnet.
    - NAT routes pick from the NAT gateways that exist: the sample chose between the one-AZ and
      the per-AZ gateways on "exactly one public subnet", which broke when ``number_AZ`` was 1
      or exceeded a public subnet count above one.
    - The public ``::/0`` route exists only when the internet gateway does.
    - Subnets inside a secondary CIDR block wait for that block's association.

    - ``flow_log_log_format`` reaches AWS literally: its ``${field}`` placeholders are escaped
      from Terraform interpolation (a Terraform variable's value was never interpolated).
    - The EC2 endpoint's Name tag is ``<vpc_name>-EC2-ENDPOINT`` (the sample doubled the dash).

    Hardening, each behind its variable: the VPC's default security group is stripped of every
    rule (``manage_default_security_group``), so nothing that falls back on it can talk; the
    AZ lookup can be pinned to named zones (``availability_zones``); the created flow-log
    group can be KMS-encrypted (``flow_log_cloudwatch_log_group_kms_key_id``; the key's policy
    must let CloudWatch Logs use it). The flow-log role may only write to the flow log's own
    group (and list the account's groups), instead of ``logs:*``-style rights on ``*``; every
    policy is an ``aws_iam_policy_document``. The security group has a description, as does its
    rule.

    Other differences: the CoIP pool is looked up only with ``coip_auto_assign`` (an Outpost
    in direct VPC routing mode has no pool); NAT gateways depend on the internet gateway; the
    egress-only internet gateway and the local-gateway route table association carry the tags
    and a Name; the flow-log role trusts ``vpc-flow-logs.amazonaws.com`` only for this
    account's flow logs; the SSM role reads (``s3:GetObject``) the SSM buckets rather than
    having ``s3:*`` on them. Outputs of resources that do not exist are ``None`` (the sample
    returned ``""``). Configurations the sample accepted but could not apply (NAT without public
    subnets or internet gateway, Outposts settings without ``outposts_arn``, flow logs without a
    destination or role, IAM names AWS refuses) are refused by :class:`VpcConfig`.
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

        if config.manage_default_security_group:
            # No ingress or egress blocks: Terraform removes every rule of the default group.
            DefaultSecurityGroup(
                self,
                "default_security_group",
                vpc_id=self._vpc.id,
                tags=self._tags(f"{config.vpc_name}-DEFAULT-SG-NO-RULES"),
            )
        self._add_secondary_cidrs()
        self._add_dhcp_options()
        self._add_public_tier()
        self._add_nat_gateways()
        # Not a sample output: where the private subnets' traffic to the internet comes from.
        self.nat_public_ips: list[str] = [gateway.public_ip for gateway in self._nat_gateways]
        self._add_private_tiers()
        self._add_outposts_tier()
        self._add_flow_log()
        self._add_ssm()

    # -- shared helpers ---------------------------------------------------------------------

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
        if not config.outposts_arn:
            return
        self._outpost = DataAwsOutpostsOutpost(self, "target_outpost", arn=config.outposts_arn)
        self._lgw_route_table = DataAwsEc2LocalGatewayRouteTable(
            self, "outposts_lgw_route_table", outpost_arn=config.outposts_arn
        )

    def _az(self, index: int) -> str:
        """Name of AZ ``index % number_AZ`` (plan fails if the Region has fewer AZs)."""
        attribute = f"names[{index % self.config.number_AZ}]"
        return Token.as_string(self._azs.interpolation_for_attribute(attribute))

    def _subnet_name(self, tier: _Tier, index: int) -> str:
        suffix = getattr(self.config, tier.suffix_field)
        return f"{self.config.vpc_name}-{suffix}-subnet-{index}"

    def _secondary_association_for(self, cidr: str) -> list[VpcIpv4CidrBlockAssociation]:
        """The secondary block association a subnet must wait for (none in the main block)."""
        network = ipaddress.ip_network(cidr)
        return [
            association
            for block, association in self._secondary_associations
            if network.subnet_of(ipaddress.ip_network(block))  # type: ignore[arg-type]
        ]

    def _add_tier(
        self,
        tier: _Tier,
        *,
        map_public_ip_on_launch: bool | None = None,
        coip_pool_id: str | None = None,
    ) -> tuple[list[Subnet], list[RouteTable]]:
        """One subnet, route table and association per CIDR of ``tier``.

        The Outposts tier's subnets sit in the Outpost's AZ and carry its ARN; the other tiers'
        subnets are spread over the Region's AZs.
        """
        config = self.config
        on_outpost = tier is _OUTPOSTS_TIER
        subnets: list[Subnet] = []
        route_tables: list[RouteTable] = []
        for index, cidr in enumerate(getattr(config, tier.cidr_field)):
            subnet = Subnet(
                self,
                f"subnet_{tier.key}_{index}",
                vpc_id=self._vpc.id,
                cidr_block=cidr,
                availability_zone=None if on_outpost else self._az(index),
                availability_zone_id=self._outpost.availability_zone_id if on_outpost else None,
                outpost_arn=config.outposts_arn if on_outpost else None,
                map_public_ip_on_launch=map_public_ip_on_launch,
                map_customer_owned_ip_on_launch=True if coip_pool_id else None,
                customer_owned_ipv4_pool=coip_pool_id,
                tags=self._tags(self._subnet_name(tier, index)),
                depends_on=self._secondary_association_for(cidr) or None,
            )
            route_table = RouteTable(
                self,
                f"subnet_{tier.key}_route_table_{index}",
                vpc_id=self._vpc.id,
                tags=self._tags(
                    f"{config.vpc_name}-{tier.route_table_name}-{index}", Purpose=tier.purpose
                ),
            )
            RouteTableAssociation(
                self,
                f"{tier.association_id}_{index}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
            )
            subnets.append(subnet)
            route_tables.append(route_table)
        return subnets, route_tables

    def _add_internet_routes(self, tier: _Tier, route_tables: list[RouteTable]) -> None:
        """NAT (and IPv6 egress-only) default routes of a tier whose NAT flag is on."""
        if tier.nat_flag is None or not getattr(self.config, tier.nat_flag):
            return
        for index, route_table in enumerate(route_tables):
            if self._nat_gateways and tier.nat_route_id:
                nat_gateway = self._nat_gateways[index % len(self._nat_gateways)]
                Route(
                    self,
                    f"{tier.nat_route_id}_{index}",
                    route_table_id=route_table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_gateway.id,
                    timeouts=_NAT_ROUTE_TIMEOUTS,
                )
            if self._egress_gateway is not None and tier.ipv6_route_id:
                Route(
                    self,
                    f"{tier.ipv6_route_id}_{index}",
                    route_table_id=route_table.id,
                    destination_ipv6_cidr_block="::/0",
                    egress_only_gateway_id=self._egress_gateway.id,
                )

    # -- VPC-wide settings ------------------------------------------------------------------

    def _add_secondary_cidrs(self) -> None:
        self._secondary_associations: list[tuple[str, VpcIpv4CidrBlockAssociation]] = []
        for index, cidr in enumerate(self.config.secondary_cidr_blocks):
            association = VpcIpv4CidrBlockAssociation(
                self, f"secondary_cidr_{index}", vpc_id=self._vpc.id, cidr_block=cidr
            )
            self._secondary_associations.append((cidr, association))

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

    # -- public tier, internet and NAT gateways ---------------------------------------------

    def _add_public_tier(self) -> None:
        config = self.config
        self._igw: InternetGateway | None = None
        if config.enable_internet_gateway and config.public_subnets_cidr_list:
            self._igw = InternetGateway(
                self, "igw", vpc_id=self._vpc.id, tags=self._tags(f"{config.vpc_name}-IGW")
            )
        self.igw_id = self._igw.id if self._igw else None

        subnets, route_tables = self._add_tier(
            _PUBLIC_TIER, map_public_ip_on_launch=config.map_public_ip_on_launch
        )
        self._public_subnets = subnets
        self.subnet_public_ids = [s.id for s in subnets]
        self.subnet_public_route_table_ids = [rt.id for rt in route_tables]
        if self._igw is None:
            return
        for index, route_table in enumerate(route_tables):
            Route(
                self,
                f"public_internet_gateway_{index}",
                route_table_id=route_table.id,
                destination_cidr_block="0.0.0.0/0",
                gateway_id=self._igw.id,
            )
            if config.enable_ipv6:
                Route(
                    self,
                    f"public_internet_gateway_ipv6_{index}",
                    route_table_id=route_table.id,
                    destination_ipv6_cidr_block="::/0",
                    gateway_id=self._igw.id,
                )

    def _add_nat_gateways(self) -> None:
        """Per-AZ NAT gateways, or a single one when there are fewer public subnets than AZs."""
        config = self.config
        self._nat_gateways: list[NatGateway] = []
        self._egress_gateway: EgressOnlyInternetGateway | None = None
        if not config.enable_nat_gateway:
            return
        depends_on = [self._igw] if self._igw else None
        if len(self._public_subnets) >= config.number_AZ:
            for index in range(config.number_AZ):
                eip = Eip(
                    self,
                    f"nat_eip_{index}",
                    domain="vpc",
                    tags=self._tags(f"{config.vpc_name}-NAT-EIP-{index}"),
                )
                self._nat_gateways.append(
                    NatGateway(
                        self,
                        f"nat_gateway_{index}",
                        allocation_id=eip.allocation_id,
                        subnet_id=self._public_subnets[index].id,
                        depends_on=depends_on,
                        tags=self._tags(f"{config.vpc_name}-NAT-GW-{index}"),
                    )
                )
        else:
            eip = Eip(
                self,
                "nat_eip_one_az",
                domain="vpc",
                tags=self._tags(f"{config.vpc_name}-NAT-EIP-one-AZ"),
            )
            self._nat_gateways.append(
                NatGateway(
                    self,
                    "nat_gateway_one_az",
                    allocation_id=eip.allocation_id,
                    subnet_id=self._public_subnets[0].id,
                    depends_on=depends_on,
                    tags=self._tags(f"{config.vpc_name}-NAT-GW-one-AZ"),
                )
            )
        if config.enable_ipv6:
            self._egress_gateway = EgressOnlyInternetGateway(
                self,
                "egress_gw",
                vpc_id=self._vpc.id,
                tags=self._tags(f"{config.vpc_name}-EGRESS-ONLY-IGW"),
            )

    # -- private tiers ----------------------------------------------------------------------

    def _add_private_tiers(self) -> None:
        outputs: dict[str, tuple[list[Subnet], list[RouteTable]]] = {}
        for tier in _PRIVATE_TIERS:
            subnets, route_tables = self._add_tier(tier)
            self._add_internet_routes(tier, route_tables)
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
        subnets, route_tables = self._add_tier(_OUTPOSTS_TIER, coip_pool_id=coip_pool_id)
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
        self._add_internet_routes(_OUTPOSTS_TIER, route_tables)

    # -- flow log ---------------------------------------------------------------------------

    def _add_flow_log(self) -> None:
        config = self.config
        if not config.enable_flow_log:
            return
        to_cloudwatch = config.flow_log_destination_type != "s3"
        destination = config.flow_log_destination_arn
        role_arn = config.flow_log_cloudwatch_iam_role_arn if to_cloudwatch else ""

        if to_cloudwatch and config.create_flow_log_cloudwatch_log_group:
            group = CloudwatchLogGroup(
                self,
                "flow_log_group",
                name=(
                    f"{config.flow_log_cloudwatch_log_group_name_prefix}"
                    f"{config.vpc_name}-vpc-flow-logs"
                ),
                retention_in_days=config.flow_log_cloudwatch_log_group_retention_in_days,
                kms_key_id=config.flow_log_cloudwatch_log_group_kms_key_id or None,
                tags=self._tags(Purpose=f"VPC flow logs of {config.vpc_name}"),
            )
            destination = group.arn
        if to_cloudwatch and config.create_flow_log_cloudwatch_iam_role:
            role_arn = self._add_flow_log_role(destination).arn

        FlowLog(
            self,
            "flow_log",
            vpc_id=self._vpc.id,
            log_destination_type=config.flow_log_destination_type,
            log_destination=destination,
            log_format=_literal(config.flow_log_log_format),
            iam_role_arn=role_arn or None,
            traffic_type=config.flow_log_traffic_type,
        )

    def _add_flow_log_role(self, log_group_arn: str) -> IamRole:
        """Role that the flow-log service assumes, for this account's flow logs only, allowed to
        write to the flow log's group only."""
        name = self.config.vpc_name
        account = self._identity.account_id
        region = self._region
        trust = DataAwsIamPolicyDocument(
            self,
            "vpc_flow_log_assume_role",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="FlowLogsAssumeRole",
                    effect="Allow",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["vpc-flow-logs.amazonaws.com"]
                        )
                    ],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="aws:SourceAccount", values=[account]
                        ),
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnLike",
                            variable="aws:SourceArn",
                            values=[f"arn:aws:ec2:{region}:{account}:vpc-flow-log/*"],
                        ),
                    ],
                )
            ],
        )
        role = IamRole(
            self,
            "vpc_flow_log_iam_role",
            name=_flow_log_role_name(name),
            assume_role_policy=trust.json,
            tags=self._tags(Purpose="Lets VPC flow logs write to CloudWatch Logs"),
        )
        group = log_group_arn.removesuffix(":*")
        write_logs = DataAwsIamPolicyDocument(
            self,
            "vpc_flow_log_policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="PutLogs",
                    effect="Allow",
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[group, f"{group}:*"],
                ),
                # DescribeLogGroups lists groups: it names no single group, only the account's.
                DataAwsIamPolicyDocumentStatement(
                    sid="DescribeLogGroups",
                    effect="Allow",
                    actions=["logs:DescribeLogGroups"],
                    resources=[f"arn:aws:logs:{region}:{account}:log-group:*"],
                ),
            ],
        )
        IamRolePolicy(
            self,
            "vpc_flow_log_iam_policy",
            name=f"{name}-vpcflowlogs-cloudwatch-log-policy",
            role=role.id,
            policy=write_logs.json,
        )
        return role

    # -- SSM --------------------------------------------------------------------------------

    def _add_ssm(self) -> None:
        config = self.config
        self.iam_role_ec2_ssm_id = None
        self.iam_instance_profile_ec2_ssm_id = None
        self.ssm_security_group_id = None
        self.s3_vpc_endpoint = None
        if config.enable_ssm and config.create_iam_role_ssm:
            self._add_ssm_role()
        if config.enable_ssm:
            self._add_ssm_endpoints()
        if config.enable_ssm or config.enable_s3_endpoint:
            service = DataAwsVpcEndpointService(
                self, "s3_endpoint_service", service="s3", service_type="Gateway"
            )
            endpoint = VpcEndpoint(
                self,
                "s3",
                vpc_id=self._vpc.id,
                service_name=service.service_name,
                vpc_endpoint_type="Gateway",
                tags=self._tags(f"{config.vpc_name}-S3-ENDPOINT"),
            )
            self.s3_vpc_endpoint = endpoint.id

    def _add_ssm_role(self) -> None:
        name = self.config.vpc_name
        trust = DataAwsIamPolicyDocument(
            self,
            "ssm_ec2_assume_role",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    effect="Allow",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["ec2.amazonaws.com"]
                        )
                    ],
                )
            ],
        )
        role = IamRole(
            self,
            "ssm_ec2_iam_role",
            name=_ssm_role_name(name),
            assume_role_policy=trust.json,
            tags=self._tags(_ssm_role_name(name)),
        )
        for number, policy_arn in enumerate(_SSM_MANAGED_POLICIES, start=1):
            IamRolePolicyAttachment(
                self,
                f"ssm_ec2_role_managed_policy_{number}",
                role=role.name,
                policy_arn=policy_arn,
            )
        region = self._region
        buckets = [pattern.format(region=region) for pattern in _SSM_BUCKET_PATTERNS]
        read_buckets = DataAwsIamPolicyDocument(
            self,
            "ssm_ec2_inline_policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="ReadSsmBuckets",
                    effect="Allow",
                    actions=["s3:GetObject"],
                    resources=[f"arn:aws:s3:::{bucket}/*" for bucket in buckets],
                )
            ],
        )
        IamRolePolicy(
            self,
            "ssm_ec2_inline_policy",
            name="ssm-s3-read",
            role=role.id,
            policy=read_buckets.json,
        )
        profile = IamInstanceProfile(
            self,
            "ec2_ssm",
            name=f"SSM-EC2-{name}-IAM-INSTANCE-PROFILE",
            role=role.name,
            tags=self._tags(f"SSM-EC2-{name}-IAM-INSTANCE-PROFILE"),
        )
        self.iam_role_ec2_ssm_id = role.id
        self.iam_instance_profile_ec2_ssm_id = profile.id

    def _endpoint_subnet_ids(self) -> list[str]:
        """The first private subnet, or the first two (two AZs) with ``endpoints_ha``."""
        wanted = 2 if self.config.endpoints_ha else 1
        count = min(wanted, len(self._private_subnets), self.config.number_AZ)
        return [subnet.id for subnet in self._private_subnets[:count]]

    def _add_ssm_endpoints(self) -> None:
        config = self.config
        security_group = SecurityGroup(
            self,
            "ssm_endpoint_sg",
            name_prefix=f"SSM-endpoint-{config.vpc_name}-sec-group",
            description="SSM interface endpoints: HTTPS from the VPC",
            vpc_id=self._vpc.id,
            tags=self._tags(),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        SecurityGroupRule(
            self,
            "ssm_endpoint_sg_ing",
            type="ingress",
            from_port=443,
            to_port=443,
            protocol="tcp",
            cidr_blocks=[config.vpc_main_cidr],
            description="HTTPS from the VPC main CIDR block",
            security_group_id=security_group.id,
        )
        self.ssm_security_group_id = security_group.id
        if not self._private_subnets:
            return
        subnet_ids = self._endpoint_subnet_ids()
        for service_key, label in _SSM_ENDPOINTS.items():
            service = DataAwsVpcEndpointService(
                self, f"{service_key}_endpoint_service", service=service_key
            )
            VpcEndpoint(
                self,
                service_key,
                vpc_id=self._vpc.id,
                service_name=service.service_name,
                vpc_endpoint_type="Interface",
                security_group_ids=[security_group.id],
                subnet_ids=subnet_ids,
                private_dns_enabled=True,
                tags=self._tags(f"{config.vpc_name}-{label}-ENDPOINT"),
            )
