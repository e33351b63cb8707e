"""The ``alb-ecs`` module's load balancer: the ALB and ECS security groups, the ALB, its
optional DNS name and certificate, and one target group and listener per port listener."""

from __future__ import annotations

from cdktf import Fn, TerraformIterator, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.data_aws_ec2_coip_pool import DataAwsEc2CoipPool
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule

from modules.alb_ecs_scope import AlbEcsScope
from modules.validation import cidr_version

__all__ = ["HTTPS_SSL_POLICY", "LoadBalancer", "SecurityGroups"]

# The TLS policy of HTTPS listeners: TLS 1.3 and 1.2 only, forward secrecy.
HTTPS_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


class SecurityGroups:
    """The ALB's and the tasks' (and instances') security groups and their rules.

    Listener ports accept their CIDRs (a rule only when there are some) and, on an Outpost,
    the CoIP pool's CIDRs, one rule per listener. The ALB-to-ECS rules are one per distinct
    target port: two listeners forwarding to one container port would ask EC2 for the same
    rule twice. The ECS group lets traffic out on ``ecs_egress_ports`` only, unless
    ``ecs_egress_all_traffic``.
    """

    def __init__(self, scope: AlbEcsScope, coip_pool: DataAwsEc2CoipPool | None) -> None:
        construct, config = scope.construct, scope.config
        alb_sg_name = f"{scope.name_prefix}-{config.alb_name}-sec-group"
        self.alb = SecurityGroup(
            construct,
            "alb_sg",
            name=alb_sg_name,
            description="Security group for ECS ALB",
            vpc_id=config.vpc_id,
            tags=scope.named(alb_sg_name),
        )
        ecs_sg_name = f"{scope.name_prefix}-ecs-sec-group"
        self.ecs = SecurityGroup(
            construct,
            "ecs_sg",
            name=ecs_sg_name,
            description="Security group for ECS",
            vpc_id=config.vpc_id,
            tags=scope.named(ecs_sg_name),
        )

        for key, listener in config.port_listeners.items():
            ipv4 = [c for c in listener.inbound_cidr_range if cidr_version(c) == 4]
            ipv6 = [c for c in listener.inbound_cidr_range if cidr_version(c) == 6]
            if ipv4 or ipv6:
                SecurityGroupRule(
                    construct,
                    f"alb_listener_in_{key}",
                    type="ingress",
                    from_port=listener.port,
                    to_port=listener.port,
                    protocol="tcp",
                    cidr_blocks=ipv4 or None,
                    ipv6_cidr_blocks=ipv6 or None,
                    description=f"listener {key} from its inbound CIDR ranges",
                    security_group_id=self.alb.id,
                )
            if coip_pool is not None:
                SecurityGroupRule(
                    construct,
                    f"alb_listener_in_coip_{key}",
                    type="ingress",
                    from_port=listener.port,
                    to_port=listener.port,
                    protocol="tcp",
                    cidr_blocks=coip_pool.pool_cidrs,
                    description=f"listener {key} from the customer-owned IP pool",
                    security_group_id=self.alb.id,
                )

        target_ports = sorted({item.target_group.port for item in config.port_listeners.values()})
        for port in target_ports:
            SecurityGroupRule(
                construct,
                f"alb_healthcheck_egress_{port}",
                type="egress",
                from_port=port,
                to_port=port,
                protocol="tcp",
                source_security_group_id=self.ecs.id,
                description="traffic and health checks to the containers",
                security_group_id=self.alb.id,
            )
            SecurityGroupRule(
                construct,
                f"ecs_alb_in_{port}",
                type="ingress",
                from_port=port,
                to_port=port,
                protocol="tcp",
                source_security_group_id=self.alb.id,
                description="traffic and health checks from the load balancer",
                security_group_id=self.ecs.id,
            )
        self._add_ecs_egress(scope)

    def _add_ecs_egress(self, scope: AlbEcsScope) -> None:
        construct, config = scope.construct, scope.config
        if config.ecs_egress_all_traffic:
            SecurityGroupRule(
                construct,
                "ecs_traffic_out",
                type="egress",
                from_port=0,
                to_port=0,
                protocol="-1",
                cidr_blocks=["0.0.0.0/0"],
                description="all egress traffic",
                security_group_id=self.ecs.id,
            )
            return
        for port in config.ecs_egress_ports:
            SecurityGroupRule(
                construct,
                f"ecs_traffic_out_{port}",
                type="egress",
                from_port=port,
                to_port=port,
                protocol="tcp",
                # The AWS APIs (ECS, ECR, S3, Kinesis, Logs, SSM) and package repositories.
                cidr_blocks=["0.0.0.0/0"],
                description=f"TCP {port} out: AWS APIs and package repositories",
                security_group_id=self.ecs.id,
            )


class LoadBalancer:
    """The ALB, with its alias record and DNS-validated certificate under ``custom_zone``, and
    per ``port_listeners`` key an IP target group and a forward listener.

    The ALB is internet-facing so that, on an Outpost, it takes addresses from the CoIP pool.
    Access logs are configured only when enabled. HTTPS listeners use
    :data:`HTTPS_SSL_POLICY` (the sample's was a 2018 forward-secrecy policy).
    """

    def __init__(
        self,
        scope: AlbEcsScope,
        security_group: SecurityGroup,
        coip_pool: DataAwsEc2CoipPool | None,
    ) -> None:
        construct, config = scope.construct, scope.config
        access_logs = (
            LbAccessLogs(
                bucket=config.logging_bucket_name,
                prefix=config.alb_access_logs_prefix,
                enabled=True,
            )
            if config.enable_alb_access_logging
            else None
        )
        self.alb = Lb(
            construct,
            "alb",
            name=config.alb_name,
            internal=False,
            load_balancer_type="application",
            security_groups=[security_group.id],
            subnets=config.subnets,
            enable_deletion_protection=config.alb_enable_deletion_protection,
            drop_invalid_header_fields=config.alb_drop_invalid_header_fields,
            customer_owned_ipv4_pool=coip_pool.pool_id if coip_pool else None,
            ip_address_type=config.alb_ip_address_type,
            access_logs=access_logs,
            tags=config.tags,
        )
        certificate_arn = self._certificate(scope) if config.custom_zone else None

        self.target_groups: dict[str, LbTargetGroup] = {}
        self.listeners: list[LbListener] = []
        for key, listener in config.port_listeners.items():
            target = listener.target_group
            # The sample's 4-character suffix was random and never changed, so a replacement
            # (create before destroy) collided with the old group's name. This one is a digest
            # of what forces a replacement, so the new group always gets a new name.
            replaced_by = Fn.join("-", [config.vpc_id, str(target.port), target.protocol, "ip"])
            suffix = Fn.substr(Fn.sha1(replaced_by), 0, 4)
            target_group = LbTargetGroup(
                construct,
                f"ecs_alb_tg_{key}",
                name=f"{config.alb_name}-{listener.port}-{suffix}",
                vpc_id=config.vpc_id,
                port=target.port,
                protocol=target.protocol,
                target_type="ip",
                deregistration_delay=str(config.target_group_deregistration_delay),
                health_check=LbTargetGroupHealthCheck(
                    interval=config.target_group_health_check_interval,
                    protocol=target.protocol,
                    port=str(target.port),
                    path=target.health_check_path,
                    timeout=config.target_group_health_check_timeout,
                    matcher=config.target_group_health_check_matcher,
                    healthy_threshold=config.target_group_healthy_threshold,
                    unhealthy_threshold=config.target_group_unhealthy_threshold,
                ),
                tags=config.tags,
                lifecycle=TerraformResourceLifecycle(
                    create_before_destroy=True, ignore_changes=["name"]
                ),
            )
            self.target_groups[key] = target_group
            https = listener.protocol == "HTTPS"
            self.listeners.append(
                LbListener(
                    construct,
                    f"listener_{key}",
                    load_balancer_arn=self.alb.arn,
                    port=listener.port,
                    protocol=listener.protocol,
                    ssl_policy=HTTPS_SSL_POLICY if https else None,
                    certificate_arn=certificate_arn if https else None,
                    default_action=[
                        LbListenerDefaultAction(type="forward", target_group_arn=target_group.arn)
                    ],
                    tags=config.tags,
                )
            )

    def _certificate(self, scope: AlbEcsScope) -> str:
        """Alias record and DNS-validated certificate; returns the validated certificate ARN."""
        construct, config = scope.construct, scope.config
        zone = DataAwsRoute53Zone(construct, "hostedzone", zone_id=config.zone_id)
        domain_name = f"{config.alb_name}.{zone.name}"
        Route53Record(
            construct,
            "HostRecordALB",
            zone_id=zone.zone_id,
            name=domain_name,
            type="A",
            alias=Route53RecordAlias(
                name=self.alb.dns_name,
                zone_id=self.alb.zone_id,
                evaluate_target_health=True,
            ),
        )
        certificate = AcmCertificate(
            construct,
            "alb-cert",
            domain_name=domain_name,
            validation_method="DNS",
            tags=scope.named(f"{config.alb_name}-ALB-certificate"),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        options = TerraformIterator.from_complex_list(
            certificate.domain_validation_options, "domain_name"
        )
        records = Route53Record(
            construct,
            "alb_cert_validation",
            for_each=options,
            zone_id=zone.zone_id,
            name=options.get_string("resource_record_name"),
            type=options.get_string("resource_record_type"),
            records=[options.get_string("resource_record_value")],
            ttl=300,
            allow_overwrite=True,
        )
        validation = AcmCertificateValidation(
            construct,
            "alb-cert-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=Token.as_list(
                TerraformIterator.from_resources(records).pluck_property("fqdn")
            ),
        )
        return validation.certificate_arn
