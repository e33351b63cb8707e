"""Variables of the ``vpc`` module (:class:`VpcConfig`), apart from the construct.

This file loads no provider bindings, so ``variables.load_variables`` runs every check of the
configuration at once, before a synth pays for loading them. ``modules/vpc.py`` re-exports it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator
from pydantic.dataclasses import dataclass

from modules.validation import (
    AZ_NAME,
    MODULE_CONFIG,
    Cidr,
    KmsKeyArn,
    LogRetentionDays,
    OptionalCidr,
    OutpostsArn,
    added,
    check_subnets_in_vpc,
)

_LOCAL_GATEWAY_ID = re.compile(r"^lgw-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_IAM_NAME = re.compile(r"^[\w+=,.@-]+$")
_IAM_ROLE_NAME_MAX = 64


def _ipv4_block(smallest_prefix: int = 0, largest_prefix: int = 32) -> AfterValidator:
    """An IPv4 network (or ``""``) whose prefix length lies in the given range."""

    def check(value: str) -> str:
        if not value:
            return value
        network = ipaddress.ip_network(value)
        if network.version != 4:
            raise ValueError(f"{value!r} is not an IPv4 CIDR block")
        if not smallest_prefix <= network.prefixlen <= largest_prefix:
            raise ValueError(
                f"{value!r} has a /{network.prefixlen} prefix; AWS accepts "
                f"/{smallest_prefix} to /{largest_prefix} here"
            )
        return value

    return AfterValidator(check)


def _local_gateway_id(value: str) -> str:
    if value and not _LOCAL_GATEWAY_ID.match(value):
        raise ValueError(f"{value!r} is not a local gateway id (lgw-<17 hex digits>)")
    return value


VpcCidr = Annotated[Cidr, _ipv4_block(16, 28)]
"""An IPv4 block for the VPC itself: /16 to /28."""

SubnetCidr = Annotated[Cidr, _ipv4_block(largest_prefix=28)]
"""An IPv4 subnet block: at most /28 (the VPC blocks bound it from the other side)."""

RouteDestination = Annotated[OptionalCidr, _ipv4_block()]
"""An IPv4 route destination, or ``""`` for none."""


@dataclass(config=MODULE_CONFIG)
class VpcConfig:
    """Configuration of the ``vpc`` module: the sample's variables, same names and defaults."""

    # -------------------- VPC ---------------------------------------------------------------
    vpc_name: Annotated[str, Field(min_length=1)]
    """Name of the VPC; every resource name and Name tag starts with it."""
    vpc_main_cidr: VpcCidr
    """Primary IPv4 CIDR block of the VPC (/16 to /28)."""
    vpc_suffix: str = ""
    """Appended to `vpc_name` in the VPC's own Name tag."""
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    """Tags for every taggable resource; most also get their own Name tag."""
    enable_ipv6: bool = False
    """Ask for an Amazon-provided /56 IPv6 block and add `::/0` routes."""
    secondary_cidr_blocks: list[VpcCidr] = dataclasses.field(default_factory=list)
    """Extra IPv4 CIDR blocks associated with the VPC; subnets may lie in them."""
    enable_dns_hostnames: bool = False
    """Give instances DNS hostnames."""
    enable_dns_support: bool = True
    """Resolve DNS through the Amazon-provided resolver."""
    instance_tenancy: Literal["default", "dedicated"] = "default"
    """Tenancy of instances launched into the VPC."""
    # -------------------- Gateways ----------------------------------------------------------
    enable_internet_gateway: bool = False
    """Create an internet gateway (only when there are public subnets) and public default routes."""
    enable_nat_gateway: bool = False
    """NAT gateways: one per AZ with at least `number_AZ` public subnets, else a single one."""
    # -------------------- Subnets, by tier --------------------------------------------------
    number_AZ: Annotated[int, Field(ge=1)] = 2
    """Number of AZs the subnets of each tier are spread over: subnet i goes to AZ i % number_AZ."""
    private_subnets_cidr_list: list[SubnetCidr] = dataclasses.field(default_factory=list)
    """CIDR blocks of the private subnets (they also hold the SSM endpoints)."""
    private_subnets_suffix: str = "private"
    """Name suffix of the private subnets."""
    private_subnets_internet_access_nat_gw: bool = False
    """Route the private subnets' internet traffic through the NAT gateways."""
    tgw_subnets_cidr_list: list[SubnetCidr] = dataclasses.field(default_factory=list)
    """CIDR blocks of the transit gateway attachment subnets."""
    tgw_subnets_suffix: str = "tgw-private"
    """Name suffix of the transit gateway subnets."""
    tgw_subnets_internet_access_nat_gw: bool = False
    """Route the transit gateway subnets' internet traffic through the NAT gateways."""
    fw_subnets_cidr_list: list[SubnetCidr] = dataclasses.field(default_factory=list)
    """CIDR blocks of the network firewall endpoint subnets."""
    fw_subnets_suffix: str = "network-fw"
    """Name suffix of the network firewall subnets."""
    fw_subnets_internet_access_nat_gw: bool = False
    """Route the network firewall subnets' internet traffic through the NAT gateways."""
    public_subnets_cidr_list: list[SubnetCidr] = dataclasses.field(default_factory=list)
    """CIDR blocks of the public subnets (they hold the NAT gateways)."""
    public_subnets_suffix: str = "public"
    """Name suffix of the public subnets."""
    map_public_ip_on_launch: bool = False
    """Give instances launched in the public subnets a public IPv4 address."""
    web_tier_subnets_cidr_list: list[SubnetCidr] = dataclasses.field(default_factory=list)
    """CIDR blocks of the web tier subnets."""
    web_subnets_suffix: str = "web"
    """Name suffix of the web tier subnets."""
    web_subnets_internet_access_nat_gw: bool = False
    """Route the web tier subnets' internet traffic through the NAT gateways."""
    pres_tier_subnets_cidr_list: list[SubnetCidr] = dataclasses.field(default_factory=list)
    """CIDR blocks of the presentation tier subnets (no internet route)."""
    pres_subnets_suffix: str = "presentation"
    """Name suffix of the presentation tier subnets."""
    database_tier_subnets_cidr_list: list[SubnetCidr] = dataclasses.field(default_factory=list)
    """CIDR blocks of the database tier subnets (no internet route)."""
    database_subnets_suffix: str = "database"
    """Name suffix of the database tier subnets."""
    # -------------------- Outposts ----------------------------------------------------------
    outposts_subnets_cidr_list: list[SubnetCidr] = dataclasses.field(default_factory=list)
    """CIDR blocks of the subnets on the Outpost (requires `outposts_arn`)."""
    coip_auto_assign: bool = False
    """Give instances in the Outposts subnets an address from the customer-owned IP pool."""
    outposts_subnets_suffix: str = "outposts"
    """Name suffix of the Outposts subnets."""
    outposts_arn: OutpostsArn = ""
    """ARN of the Outpost for the Outposts subnets; empty for a Region-only VPC."""
    outposts_route_to_LGW_destination: RouteDestination = ""
    """IPv4 block (on premises) the Outposts subnets reach through the local gateway; or empty."""
    outposts_local_gateway_id: Annotated[str, AfterValidator(_local_gateway_id)] = ""
    """Local gateway for that route; empty to look up the Outpost's local gateway."""
    outposts_subnets_internet_access_nat_gw: bool = False
    """Route the Outposts subnets' internet traffic through the NAT gateways."""
    # -------------------- SSM and endpoints -------------------------------------------------
    enable_ssm: bool = False
    """Create the SSM interface endpoints, their security group and the S3 gateway endpoint."""
    enable_s3_endpoint: bool = False
    """Create the S3 gateway endpoint even without `enable_ssm`."""
    create_iam_role_ssm: bool = False
    """With `enable_ssm`: an EC2 role and instance profile for SSM, CloudWatch agent and ECS."""
    endpoints_ha: bool = False
    """Put the SSM endpoints in the first two private subnets (two AZs) instead of the first one."""
    # -------------------- DHCP options ------------------------------------------------------
    enable_dhcp_options: bool = False
    """Create a DHCP options set from the `dhcp_options_*` fields and associate it with the VPC."""
    dhcp_options_domain_name: str = ""
    """Domain name of the DHCP options set."""
    dhcp_options_domain_name_servers: list[str] = dataclasses.field(
        default_factory=lambda: ["AmazonProvidedDNS"]
    )
    """DNS servers of the DHCP options set."""
    dhcp_options_ntp_servers: list[str] = dataclasses.field(default_factory=list)
    """NTP servers of the DHCP options set."""
    dhcp_options_netbios_name_servers: list[str] = dataclasses.field(default_factory=list)
    """NetBIOS name servers of the DHCP options set."""
    dhcp_options_netbios_node_type: Literal["", "1", "2", "4", "8"] = ""
    """NetBIOS node type of the DHCP options set (AWS recommends 2); empty for none."""
    # -------------------- Flow logs ---------------------------------------------------------
    enable_flow_log: bool = False
    """Capture VPC flow logs."""
    create_flow_log_cloudwatch_log_group: bool = False
    """Create the CloudWatch Logs group that receives the flow logs."""
    create_flow_log_cloudwatch_iam_role: bool = False
    """Create the IAM role that lets flow logs write to CloudWatch Logs."""
    flow_log_traffic_type: Literal["ACCEPT", "REJECT", "ALL"] = "ALL"
    """Which traffic the flow log captures."""
    flow_log_destination_type: Literal["cloud-watch-logs", "s3"] = "cloud-watch-logs"
    """Where the flow logs go."""
    flow_log_log_format: str | None = None
    """Flow log record format; None for the AWS default format."""
    flow_log_destination_arn: str = ""
    """ARN of the log group or S3 bucket for the flow logs when the module creates no group."""
    flow_log_cloudwatch_iam_role_arn: str = ""
    """ARN of an existing role for flow logs to CloudWatch Logs when the module creates none."""
    flow_log_cloudwatch_log_group_name_prefix: str = "/aws/vpc-flow-log/"
    """Prefix of the created log group's name: `<prefix><vpc_name>-vpc-flow-logs`."""
    flow_log_cloudwatch_log_group_retention_in_days: LogRetentionDays | None = None
    """Retention of the created log group in days; None to keep the events forever."""
    flow_log_cloudwatch_log_group_kms_key_id: KmsKeyArn = added("")
    """ARN of the KMS key encrypting the created log group; "" for none."""
    # -------------------- Hardening ---------------------------------------------------------
    manage_default_security_group: bool = added(True)
    """Strip every rule from the VPC's default security group."""
    availability_zones: list[str] = added(default_factory=list)
    """AZ names the subnets may use (pins the AZ lookup); [] for any."""

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        self._check_availability_zones()
        self._check_cidrs()
        self._check_outposts()
        self._check_gateways()
        self._check_flow_log()
        self._check_iam_names()
        return self

    def _check_availability_zones(self) -> None:
        zones = self.availability_zones
        if not zones:
            return
        for index, zone in enumerate(zones):
            if not AZ_NAME.match(zone):
                raise ValueError(
                    f"availability_zones[{index}]: {zone!r} is not an Availability Zone name "
                    "(like us-west-2a)"
                )
        if len(set(zones)) != len(zones):
            raise ValueError(f"availability_zones: {zones} names a zone twice")
        if len(zones) < self.number_AZ:
            raise ValueError(
                f"availability_zones: {len(zones)} zone(s), fewer than number_AZ "
                f"({self.number_AZ}): the subnets are spread over number_AZ zones"
            )

    def _check_cidrs(self) -> None:
        blocks = [ipaddress.ip_network(self.vpc_main_cidr)]
        for index, cidr in enumerate(self.secondary_cidr_blocks):
            network = ipaddress.ip_network(cidr)
            for other in blocks:
                if network.overlaps(other):
                    raise ValueError(
                        f"secondary_cidr_blocks[{index}]: {cidr!r} overlaps the VPC block {other}"
                    )
            blocks.append(network)
        check_subnets_in_vpc(
            [self.vpc_main_cidr, *self.secondary_cidr_blocks],
            {name: getattr(self, name) for name in SUBNET_LIST_FIELDS},
        )

    def _check_outposts(self) -> None:
        if self.outposts_arn:
            return
        needs_outpost = {
            "outposts_subnets_cidr_list": bool(self.outposts_subnets_cidr_list),
            "outposts_route_to_LGW_destination": bool(self.outposts_route_to_LGW_destination),
            "coip_auto_assign": self.coip_auto_assign,
        }
        for name, is_set in needs_outpost.items():
            if is_set:
                raise ValueError(
                    f"{name}: set to {getattr(self, name)!r} but outposts_arn is empty"
                )

    def _check_gateways(self) -> None:
        if self.enable_nat_gateway and not self.public_subnets_cidr_list:
            raise ValueError(
                "enable_nat_gateway: NAT gateways live in public subnets, "
                "but public_subnets_cidr_list is empty"
            )
        if self.enable_nat_gateway and not self.enable_internet_gateway:
            raise ValueError(
                "enable_nat_gateway: a public NAT gateway needs the internet gateway "
                "(set enable_internet_gateway)"
            )

    def _check_flow_log(self) -> None:
        if not self.enable_flow_log:
            return
        if self.flow_log_destination_type == "s3":
            if not self.flow_log_destination_arn:
                raise ValueError(
                    "flow_log_destination_arn: flow logs to s3 need the bucket ARN "
                    "(the module creates no bucket)"
                )
            return
        if not self.create_flow_log_cloudwatch_log_group and not self.flow_log_destination_arn:
            raise ValueError(
                "flow_log_destination_arn: empty, and create_flow_log_cloudwatch_log_group is off; "
                "give the log group ARN or let the module create the group"
            )
        if (
            not self.create_flow_log_cloudwatch_iam_role
            and not self.flow_log_cloudwatch_iam_role_arn
        ):
            raise ValueError(
                "flow_log_cloudwatch_iam_role_arn: empty, and create_flow_log_cloudwatch_iam_role "
                "is off; flow logs to CloudWatch Logs need a role"
            )

    def _check_iam_names(self) -> None:
        roles: list[str] = []
        if self.enable_ssm and self.create_iam_role_ssm:
            roles.append(_ssm_role_name(self.vpc_name))
        if (
            self.enable_flow_log
            and self.flow_log_destination_type != "s3"
            and self.create_flow_log_cloudwatch_iam_role
        ):
            roles.append(_flow_log_role_name(self.vpc_name))
        for role in roles:
            if not _IAM_NAME.match(role) or len(role) > _IAM_ROLE_NAME_MAX:
                raise ValueError(
                    f"vpc_name: {self.vpc_name!r} gives the IAM role name {role!r}; role names "
                    f"are at most {_IAM_ROLE_NAME_MAX} characters of letters, digits and +=,.@_-"
                )


SUBNET_LIST_FIELDS = (
    "public_subnets_cidr_list",
    "private_subnets_cidr_list",
    "tgw_subnets_cidr_list",
    "fw_subnets_cidr_list",
    "web_tier_subnets_cidr_list",
    "pres_tier_subnets_cidr_list",
    "database_tier_subnets_cidr_list",
    "outposts_subnets_cidr_list",
)


def _ssm_role_name(vpc_name: str) -> str:
    """Name of the EC2 role for SSM."""
    return f"SSM-EC2-{vpc_name}-IAM-ROLE"


def _flow_log_role_name(vpc_name: str) -> str:
    """Name of the role that flow logs assume to write to CloudWatch Logs."""
    return f"{vpc_name}-vpcflowlogs-cw-role"


# The module's outputs (attributes of the ``Vpc`` construct), named and ordered as in the
# sample; an output whose resource the configuration does not create is ``None``.
OUTPUTS: dict[str, str] = {
    "vpc_id": "Id of the VPC.",
    "subnet_priv_ids": "Ids of the private subnets, in the order of `private_subnets_cidr_list`.",
    "subnet_public_ids": "Ids of the public subnets, in the order of `public_subnets_cidr_list`.",
    "subnet_priv_tgw_ids": "Ids of the transit gateway subnets (`tgw_subnets_cidr_list`).",
    "subnet_fw_ids": "Ids of the network firewall subnets (`fw_subnets_cidr_list`).",
    "subnet_web_ids": "Ids of the web tier subnets (`web_tier_subnets_cidr_list`).",
    "subnet_presentation_ids": (
        "Ids of the presentation tier subnets (`pres_tier_subnets_cidr_list`)."
    ),
    "subnet_database_ids": "Ids of the database tier subnets (`database_tier_subnets_cidr_list`).",
    "subnet_outposts_ids": (
        "Ids of the Outposts subnets (`outposts_subnets_cidr_list`); empty without `outposts_arn`."
    ),
    "subnet_public_route_table_ids": "Ids of the public route tables, one per public subnet.",
    "subnet_priv_route_table_ids": "Ids of the private route tables, one per private subnet.",
    "subnet_priv_tgw_route_table_ids": (
        "Ids of the transit gateway route tables, one per transit gateway subnet."
    ),
    "subnet_fw_route_table_ids": (
        "Ids of the network firewall route tables, one per network firewall subnet."
    ),
    "subnet_web_tier_route_table_ids": "Ids of the web tier route tables, one per web subnet.",
    "subnet_pres_tier_route_table_ids": (
        "Ids of the presentation tier route tables, one per presentation subnet."
    ),
    "subnet_database_tier_route_table_ids": (
        "Ids of the database tier route tables, one per database subnet."
    ),
    "subnet_outposts_route_table_ids": (
        "Ids of the Outposts route tables, one per Outposts subnet; empty without `outposts_arn`."
    ),
    "iam_role_ec2_ssm_id": (
        "Name of the EC2 role for SSM; None unless `enable_ssm` and `create_iam_role_ssm`."
    ),
    "iam_instance_profile_ec2_ssm_id": (
        "Name of that role's instance profile; None unless `enable_ssm` and `create_iam_role_ssm`."
    ),
    "ssm_security_group_id": "Id of the SSM endpoints' security group; None without `enable_ssm`.",
    "igw_id": (
        "Id of the internet gateway; None without `enable_internet_gateway` and a public subnet."
    ),
    "s3_vpc_endpoint": (
        "Id of the S3 gateway endpoint; None without `enable_ssm` or `enable_s3_endpoint`."
    ),
}
