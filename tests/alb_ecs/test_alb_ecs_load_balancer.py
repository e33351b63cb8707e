"""The alb-ecs construct: load balancer, target groups, listeners, security groups and
hardening."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modules.alb_ecs import (
    HTTPS_SSL_POLICY,
    AlbEcsConfig,
)
from tests.alb_ecs.alb_ecs_support import (
    CONFIGURATIONS,
    LOGS_KEY,
    STREAM_KEY,
    SUBNET,
    TAGS,
    AlbEcsSynth,
    sample,
)
from tests.support import (
    resources,
)


def test_load_balancer(outpost: AlbEcsSynth) -> None:
    alb = outpost.res("aws_lb", "alb")
    assert alb["name"] == "ALB-ECS"
    assert alb["internal"] is False
    assert alb["load_balancer_type"] == "application"
    assert alb["subnets"] == [SUBNET]
    assert alb["security_groups"] == [outpost.ref("aws_security_group", "alb_sg", "id")]
    assert alb["customer_owned_ipv4_pool"] == outpost.data_ref(
        "aws_ec2_coip_pool", "coip", "pool_id"
    )
    assert alb["ip_address_type"] == "ipv4"
    assert alb["enable_deletion_protection"] is False
    assert alb["access_logs"] == {
        "bucket": "outposts-aod-logging-bucket-1111111",
        "prefix": "alb",
        "enabled": True,
    }
    assert alb["tags"] == TAGS


def test_target_group_and_its_name_suffix(outpost: AlbEcsSynth) -> None:
    group = outpost.res("aws_lb_target_group", "ecs_alb_tg_port-1")
    # 4 hex digits of what forces a replacement: a replaced group gets a new name.
    digest = 'sha1(join("-", ["vpc-0123", "8080", "HTTP", "ip"]))'
    assert group["name"] == f"ALB-ECS-80-${{substr({digest}, 0, 4)}}"
    assert (group["port"], group["protocol"], group["target_type"]) == (8080, "HTTP", "ip")
    assert group["deregistration_delay"] == "300"
    assert group["health_check"] == {
        "interval": 30,
        "protocol": "HTTP",
        "port": "8080",
        "path": "/healthcheck",
        "timeout": 10,
        "matcher": "200-399",
        "healthy_threshold": 3,
        "unhealthy_threshold": 3,
    }
    assert group["lifecycle"] == {"create_before_destroy": True, "ignore_changes": ["name"]}


def test_listener_forwards_to_its_target_group(outpost: AlbEcsSynth) -> None:
    item = outpost.res("aws_lb_listener", "listener_port-1")
    assert item["load_balancer_arn"] == outpost.ref("aws_lb", "alb", "arn")
    assert (item["port"], item["protocol"]) == (80, "HTTP")
    assert item["default_action"] == [
        {
            "type": "forward",
            "target_group_arn": outpost.ref("aws_lb_target_group", "ecs_alb_tg_port-1", "arn"),
        }
    ]
    assert "ssl_policy" not in item
    assert "certificate_arn" not in item


def test_security_groups_and_rules(outpost: AlbEcsSynth) -> None:
    alb_sg = outpost.res("aws_security_group", "alb_sg")
    assert alb_sg["name"] == "outposts-AoD-challenge-outposts-AoD-ALB-ECS-sec-group"
    assert alb_sg["tags"] == {**TAGS, "Name": alb_sg["name"]}
    ecs_sg = outpost.res("aws_security_group", "ecs_sg")
    assert ecs_sg["name"] == "outposts-AoD-challenge-outposts-AoD-ecs-sec-group"
    alb_sg_id = outpost.ref("aws_security_group", "alb_sg", "id")
    ecs_sg_id = outpost.ref("aws_security_group", "ecs_sg", "id")

    listener_in = outpost.res("aws_security_group_rule", "alb_listener_in_port-1")
    assert listener_in["type"] == "ingress"
    assert (listener_in["from_port"], listener_in["to_port"], listener_in["protocol"]) == (
        80,
        80,
        "tcp",
    )
    assert listener_in["cidr_blocks"] == ["10.181.192.0/19"]
    assert listener_in["security_group_id"] == alb_sg_id

    coip_in = outpost.res("aws_security_group_rule", "alb_listener_in_coip_port-1")
    assert coip_in["type"] == "ingress"
    assert (coip_in["from_port"], coip_in["to_port"]) == (80, 80)
    coip = outpost.logical_id("coip")
    assert coip_in["cidr_blocks"] == f"${{tolist(data.aws_ec2_coip_pool.{coip}.pool_cidrs)}}"
    assert coip_in["security_group_id"] == alb_sg_id

    egress = outpost.res("aws_security_group_rule", "alb_healthcheck_egress_8080")
    assert (egress["type"], egress["from_port"], egress["to_port"]) == ("egress", 8080, 8080)
    assert egress["source_security_group_id"] == ecs_sg_id
    assert egress["security_group_id"] == alb_sg_id

    ecs_in = outpost.res("aws_security_group_rule", "ecs_alb_in_8080")
    assert (ecs_in["type"], ecs_in["from_port"], ecs_in["to_port"]) == ("ingress", 8080, 8080)
    assert ecs_in["source_security_group_id"] == alb_sg_id
    assert ecs_in["security_group_id"] == ecs_sg_id

    # Egress of the instances and tasks: HTTP and HTTPS only, not all traffic.
    for port in (80, 443):
        ecs_out = outpost.res("aws_security_group_rule", f"ecs_traffic_out_{port}")
        assert (ecs_out["type"], ecs_out["protocol"], ecs_out["cidr_blocks"]) == (
            "egress",
            "tcp",
            ["0.0.0.0/0"],
        )
        assert (ecs_out["from_port"], ecs_out["to_port"]) == (port, port)
        assert ecs_out["security_group_id"] == ecs_sg_id
    assert outpost.module.node.try_find_child("ecs_traffic_out") is None
    rules = resources(outpost.json, "aws_security_group_rule").values()
    assert not [rule for rule in rules if rule["protocol"] == "-1"]


def test_custom_zone_certificate_and_https_listener(https: AlbEcsSynth) -> None:
    assert https.data("aws_route53_zone", "hostedzone") == {"zone_id": "Z0123456789ABCDEFGHIJ"}
    zone_name = https.data_ref("aws_route53_zone", "hostedzone", "name")
    zone_id = https.data_ref("aws_route53_zone", "hostedzone", "zone_id")

    alias = https.res("aws_route53_record", "HostRecordALB")
    assert alias["name"] == f"ALB-ECS.{zone_name}"
    assert (alias["type"], alias["zone_id"]) == ("A", zone_id)
    assert alias["alias"] == {
        "name": https.ref("aws_lb", "alb", "dns_name"),
        "zone_id": https.ref("aws_lb", "alb", "zone_id"),
        "evaluate_target_health": True,
    }

    certificate = https.res("aws_acm_certificate", "alb-cert")
    assert certificate["domain_name"] == f"ALB-ECS.{zone_name}"
    assert certificate["validation_method"] == "DNS"
    assert certificate["tags"] == {**TAGS, "Name": "ALB-ECS-ALB-certificate"}
    assert certificate["lifecycle"] == {"create_before_destroy": True}

    records = https.res("aws_route53_record", "alb_cert_validation")
    options = https.ref("aws_acm_certificate", "alb-cert", "domain_validation_options")[2:-1]
    assert records["for_each"] == (
        f"${{{{ for key, val in tolist({options}): val.domain_name => val }}}}"
    )
    assert records["name"] == "${each.value.resource_record_name}"
    assert records["type"] == "${each.value.resource_record_type}"
    assert records["records"] == ["${each.value.resource_record_value}"]
    assert (records["ttl"], records["allow_overwrite"], records["zone_id"]) == (300, True, zone_id)

    validation = https.res("aws_acm_certificate_validation", "alb-cert-validation")
    assert validation["certificate_arn"] == https.ref("aws_acm_certificate", "alb-cert", "arn")
    records_address = f"aws_route53_record.{https.logical_id('alb_cert_validation')}"
    assert validation["validation_record_fqdns"] == (
        f"${{[ for key, val in {records_address}: val.fqdn]}}"
    )

    secure = https.res("aws_lb_listener", "listener_https")
    assert (secure["port"], secure["protocol"]) == (443, "HTTPS")
    assert secure["ssl_policy"] == HTTPS_SSL_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert secure["certificate_arn"] == https.ref(
        "aws_acm_certificate_validation", "alb-cert-validation", "certificate_arn"
    )
    plain = https.res("aws_lb_listener", "listener_http")
    assert "ssl_policy" not in plain
    assert "certificate_arn" not in plain


def test_listeners_sharing_a_container_port_share_its_rules(https: AlbEcsSynth) -> None:
    assert https.count("aws_lb_target_group") == 2
    rules = resources(https.json, "aws_security_group_rule")
    assert len([key for key in rules if "healthcheck_egress" in key]) == 1
    assert len([key for key in rules if "ecs_alb_in" in key]) == 1


def test_several_listeners(multi: AlbEcsSynth) -> None:
    assert multi.count("aws_lb_target_group") == 2
    assert multi.count("aws_lb_listener") == 2
    second = multi.res("aws_lb_listener", "listener_port-2")
    assert (second["port"], second["protocol"]) == (8081, "HTTP")
    assert second["default_action"][0]["target_group_arn"] == multi.ref(
        "aws_lb_target_group", "ecs_alb_tg_port-2", "arn"
    )
    assert multi.res("aws_lb_target_group", "ecs_alb_tg_port-2")["name"].startswith("ALB-ECS-8081-")

    first_in = multi.res("aws_security_group_rule", "alb_listener_in_port-1")
    assert first_in["cidr_blocks"] == ["10.181.192.0/19"]
    second_in = multi.res("aws_security_group_rule", "alb_listener_in_port-2")
    assert (second_in["from_port"], second_in["to_port"]) == (8081, 8081)
    assert second_in["cidr_blocks"] == ["192.168.0.0/16"]
    assert second_in["ipv6_cidr_blocks"] == ["2001:db8::/32"]

    # One CoIP ingress rule per listener port (the sample kept only one of them).
    coip_ports = sorted(
        (rule["from_port"], rule["to_port"])
        for key, rule in resources(multi.json, "aws_security_group_rule").items()
        if "coip" in key
    )
    assert coip_ports == [(80, 80), (8081, 8081)]
    assert multi.res("aws_security_group_rule", "alb_listener_in_coip_port-2")["from_port"] == 8081

    # Both listeners forward to the container's one port: one egress and one ECS ingress rule.
    assert multi.count("aws_security_group_rule") == 2 + 2 + 1 + 1 + 2
    service = multi.res("aws_ecs_service", "service")
    assert [item["target_group_arn"] for item in service["load_balancer"]] == [
        multi.ref("aws_lb_target_group", "ecs_alb_tg_port-1", "arn"),
        multi.ref("aws_lb_target_group", "ecs_alb_tg_port-2", "arn"),
    ]
    assert len(service["depends_on"]) == 3


# ------------------------------------------------------------------------------ hardening


def test_hardening_defaults(outpost: AlbEcsSynth) -> None:
    alb = outpost.res("aws_lb", "alb")
    assert alb["drop_invalid_header_fields"] is True
    assert alb["enable_deletion_protection"] is False
    cluster = outpost.res("aws_ecs_cluster", "ecs-cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]
    group = outpost.res("aws_cloudwatch_log_group", "ecs_log_group")
    assert "kms_key_id" not in group


def test_hardening_switched_off_and_optional_protections_on(relaxed: AlbEcsSynth) -> None:
    alb = relaxed.res("aws_lb", "alb")
    assert alb["drop_invalid_header_fields"] is False
    assert alb["enable_deletion_protection"] is True
    cluster = relaxed.res("aws_ecs_cluster", "ecs-cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "disabled"}]
    # The sample's all-traffic egress rule, and no per-port rules.
    out = relaxed.res("aws_security_group_rule", "ecs_traffic_out")
    assert (out["type"], out["protocol"], out["from_port"], out["to_port"]) == (
        "egress",
        "-1",
        0,
        0,
    )
    rules = resources(relaxed.json, "aws_security_group_rule")
    assert not [key for key in rules if "ecs_traffic_out_" in key]
    assert "block_device_mappings" not in relaxed.res("aws_launch_template", "node")
    group = relaxed.res("aws_cloudwatch_log_group", "ecs_log_group")
    assert group["kms_key_id"] == LOGS_KEY
    statements = {
        item["sid"]: item
        for item in relaxed.data("aws_iam_policy_document", "ecs_task_policy_document")["statement"]
    }
    assert "PublishMetrics" not in statements
    assert statements["EncryptStreamRecords"] == {
        "sid": "EncryptStreamRecords",
        "effect": "Allow",
        "actions": ["kms:GenerateDataKey"],
        "resources": [STREAM_KEY],
    }


def test_egress_ports_are_configurable() -> None:
    config = AlbEcsConfig(**sample(ecs_egress_ports=[443]))
    assert config.ecs_egress_ports == [443]
    with pytest.raises(ValidationError, match="ecs_egress_ports: empty"):
        AlbEcsConfig(**sample(ecs_egress_ports=[]))
    # All traffic needs no port list.
    assert AlbEcsConfig(**sample(ecs_egress_ports=[], ecs_egress_all_traffic=True))


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_every_security_group_and_rule_is_described(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    synthesized: AlbEcsSynth = request.getfixturevalue(configuration)
    groups = resources(synthesized.json, "aws_security_group")
    rules = resources(synthesized.json, "aws_security_group_rule")
    assert groups and rules
    for name, group in groups.items():
        assert group["description"].strip(), name
        for inline in group.get("ingress", []) + group.get("egress", []):
            assert inline["description"].strip(), name
    for name, rule in rules.items():
        assert rule["description"].strip(), name
