"""The emulator's shims: each gap of moto it closes answers as AWS does (tests/e2e/emulator.py)."""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .emulator import KINESIS_MANAGED_ALIAS, Emulator, free_port
from .outposts import DEFAULT_INSTANCE_TYPES, read_state, update_state

REGION = "us-west-2"
OUTPOST_ARN = "arn:aws:outposts:us-west-2:111122223333:outpost/op-0123456789abcdef0"
LOCAL_GATEWAY = "lgw-0123456789abcdef0"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with Emulator(free_port(), REGION, log, (OUTPOST_ARN, LOCAL_GATEWAY)) as started:
        yield started.wait_ready()


def vpc_and_subnet(ec2: Any, cidr: str) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
    return vpc, subnet


def test_kinesis_managed_key_alias_exists(emulator: Emulator) -> None:
    kms = emulator.client("kms")
    key = kms.describe_key(KeyId=KINESIS_MANAGED_ALIAS)["KeyMetadata"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases[KINESIS_MANAGED_ALIAS] == key["KeyId"]
    # The same key on every look-up, as Kinesis' managed key is one per account and Region.
    assert kms.describe_key(KeyId=KINESIS_MANAGED_ALIAS)["KeyMetadata"]["Arn"] == key["Arn"]


def test_aws_managed_iam_policies_are_loaded(emulator: Emulator) -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
    assert emulator.client("iam").get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn


def ecs_service(ecs: Any, cluster: str, **extra: Any) -> None:
    ecs.create_cluster(clusterName=cluster)
    task = ecs.register_task_definition(
        family="f", containerDefinitions=[{"name": "c", "image": "i", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=cluster, serviceName="svc", taskDefinition=task, desiredCount=1, **extra
    )


def test_application_autoscaling_keeps_tags(emulator: Emulator) -> None:
    ecs_service(emulator.client("ecs"), "tags")
    scaling = emulator.client("application-autoscaling")
    scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/tags/svc",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"Project": "p"},
    )
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    arn = target["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "p"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Owner": "o"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Project"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Owner": "o"}


def test_ecs_service_keeps_capacity_provider_strategy_and_flags(emulator: Emulator) -> None:
    ecs = emulator.client("ecs")
    strategy = [{"capacityProvider": "cp", "weight": 1, "base": 0}]
    ecs_service(
        ecs,
        "strategy",
        capacityProviderStrategy=strategy,
        enableECSManagedTags=True,
        healthCheckGracePeriodSeconds=60,
        availabilityZoneRebalancing="DISABLED",
        placementStrategy=[{"type": "spread", "field": "instanceId"}],
    )
    (service,) = ecs.describe_services(cluster="strategy", services=["svc"])["services"]
    assert service["capacityProviderStrategy"] == strategy
    assert service["enableECSManagedTags"] is True
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["availabilityZoneRebalancing"] == "DISABLED"
    assert service["placementStrategy"] == [{"type": "spread", "field": "instanceId"}]


def test_kinesis_create_stream_keeps_tags(emulator: Emulator) -> None:
    kinesis = emulator.client("kinesis")
    kinesis.create_stream(StreamName="tagged", ShardCount=1, Tags={"Project": "p"})
    tags = kinesis.list_tags_for_stream(StreamName="tagged")["Tags"]
    assert tags == [{"Key": "Project", "Value": "p"}]


def test_codebuild_deletes_a_project_by_arn(emulator: Emulator) -> None:
    codebuild = emulator.client("codebuild")
    arn = codebuild.create_project(
        name="by-arn",
        source={"type": "S3", "location": "bucket/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole="arn:aws:iam::123456789012:role/r",
    )["project"]["arn"]
    codebuild.delete_project(name=arn)
    assert "by-arn" not in codebuild.list_projects()["projects"]


def test_launch_template_tags_stay_off_its_data(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    ec2.create_launch_template(
        LaunchTemplateName="tagged",
        LaunchTemplateData={"ImageId": "ami-12345678"},
        TagSpecifications=[
            {"ResourceType": "launch-template", "Tags": [{"Key": "P", "Value": "p"}]}
        ],
    )
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateName="tagged")[
        "LaunchTemplateVersions"
    ]
    assert "TagSpecifications" not in version["LaunchTemplateData"]
    (template,) = ec2.describe_launch_templates(LaunchTemplateNames=["tagged"])["LaunchTemplates"]
    assert template["Tags"] == [{"Key": "P", "Value": "p"}]


def test_instance_without_volume_size_gets_a_root_volume(emulator: Emulator) -> None:
    """As the autoscaling group launches them: from a launch template that gives no size."""
    ec2 = emulator.client("ec2")
    _, subnet = vpc_and_subnet(ec2, "10.9.0.0/24")
    ec2.create_launch_template(
        LaunchTemplateName="no-size",
        LaunchTemplateData={
            "ImageId": "ami-00000000000000000",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeType": "gp2"}}],
        },
    )
    (instance,) = ec2.run_instances(
        LaunchTemplate={"LaunchTemplateName": "no-size"}, MinCount=1, MaxCount=1, SubnetId=subnet
    )["Instances"]
    volumes = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}]
    )["Volumes"]
    assert 30 in {v["Size"] for v in volumes}


def test_outposts_api_answers_for_the_outpost(emulator: Emulator) -> None:
    outposts = emulator.client("outposts")
    (listed,) = outposts.list_outposts()["Outposts"]
    got = outposts.get_outpost(OutpostId="op-0123456789abcdef0")["Outpost"]
    assert listed == got
    assert got["OutpostArn"] == OUTPOST_ARN
    assert got["OwnerId"] == "111122223333"
    # The Outpost's zone is one moto has, so subnets can be created in it.
    zones = emulator.client("ec2").describe_availability_zones()["AvailabilityZones"]
    assert (got["AvailabilityZone"], got["AvailabilityZoneId"]) in {
        (z["ZoneName"], z["ZoneId"]) for z in zones
    }
    with pytest.raises(ClientError):
        outposts.get_outpost(OutpostId="op-ffffffffffffffff0")


def test_local_gateway_route_table_and_coip_pool(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    by_outpost = [{"Name": "outpost-arn", "Values": [OUTPOST_ARN]}]
    (gateway,) = ec2.describe_local_gateways(Filters=by_outpost)["LocalGateways"]
    assert gateway["LocalGatewayId"] == LOCAL_GATEWAY
    other = [{"Name": "outpost-arn", "Values": [OUTPOST_ARN.replace("op-0", "op-f")]}]
    assert ec2.describe_local_gateways(Filters=other)["LocalGateways"] == []
    (table,) = ec2.describe_local_gateway_route_tables(
        Filters=[*by_outpost, {"Name": "local-gateway-id", "Values": [LOCAL_GATEWAY]}]
    )["LocalGatewayRouteTables"]
    assert table["LocalGatewayId"] == LOCAL_GATEWAY
    (pool,) = ec2.describe_coip_pools(
        Filters=[
            {
                "Name": "coip-pool.local-gateway-route-table-id",
                "Values": [table["LocalGatewayRouteTableId"]],
            }
        ]
    )["CoipPools"]
    assert pool["PoolId"].startswith("ipv4pool-coip-")


def test_local_gateway_vpc_associations_are_kept(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    (table,) = ec2.describe_local_gateway_route_tables()["LocalGatewayRouteTables"]
    table_id = table["LocalGatewayRouteTableId"]
    vpc, _ = vpc_and_subnet(ec2, "10.8.0.0/24")
    created = ec2.create_local_gateway_route_table_vpc_association(
        LocalGatewayRouteTableId=table_id,
        VpcId=vpc,
        TagSpecifications=[
            {
                "ResourceType": "local-gateway-route-table-vpc-association",
                "Tags": [{"Key": "Name", "Value": "assoc"}],
            }
        ],
    )["LocalGatewayRouteTableVpcAssociation"]
    association_id = created["LocalGatewayRouteTableVpcAssociationId"]

    def described() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = ec2.describe_local_gateway_route_table_vpc_associations(
            LocalGatewayRouteTableVpcAssociationIds=[association_id]
        )["LocalGatewayRouteTableVpcAssociations"]
        return found

    (association,) = described()
    assert (association["VpcId"], association["State"]) == (vpc, "associated")
    assert association["Tags"] == [{"Key": "Name", "Value": "assoc"}]
    ec2.delete_local_gateway_route_table_vpc_association(
        LocalGatewayRouteTableVpcAssociationId=association_id
    )
    assert [a["State"] for a in described()] == ["disassociated"]
    with pytest.raises(ClientError, match="NotFound"):
        ec2.create_local_gateway_route_table_vpc_association(
            LocalGatewayRouteTableId="lgw-rtb-ffffffffffffffff0", VpcId=vpc
        )


def test_outposts_attributes_of_subnets_routes_and_load_balancers(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.7.1.0/24", OutpostArn=OUTPOST_ARN, AvailabilityZone="us-west-2a"
    )["Subnet"]["SubnetId"]
    (described,) = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]
    assert described["OutpostArn"] == OUTPOST_ARN

    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=table, DestinationCidrBlock="10.10.0.0/24", LocalGatewayId=LOCAL_GATEWAY
    )
    (routes,) = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
    (route,) = (r for r in routes["Routes"] if r.get("DestinationCidrBlock") == "10.10.0.0/24")
    assert route["LocalGatewayId"] == LOCAL_GATEWAY

    elbv2 = emulator.client("elbv2")
    (pool,) = ec2.describe_coip_pools()["CoipPools"]
    (balancer,) = elbv2.create_load_balancer(
        Name="on-outpost", Subnets=[subnet], CustomerOwnedIpv4Pool=pool["PoolId"]
    )["LoadBalancers"]
    (again,) = elbv2.describe_load_balancers(Names=["on-outpost"])["LoadBalancers"]
    assert balancer["CustomerOwnedIpv4Pool"] == again["CustomerOwnedIpv4Pool"] == pool["PoolId"]


def test_other_requests_reach_moto_unchanged(emulator: Emulator) -> None:
    """The responder reads EC2 bodies; moto still gets them whole."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock="10.6.0.0/16",
        TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "k", "Value": json.dumps("v")}]}
        ],
    )["Vpc"]
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["Tags"] == [
        {"Key": "k", "Value": '"v"'}
    ]


def test_an_emulator_whose_port_was_taken_answers_on_another(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Emulators started side by side (make e2e's modes) may draw the same free port: the
    later one must not take the earlier one's server for its own."""
    with Emulator(emulator.port, REGION, tmp_path / "second.log") as second:
        second.wait_ready()
        assert second.port != emulator.port
        emulator.client("s3").create_bucket(
            Bucket="only-in-the-first",
            CreateBucketConfiguration={"LocationConstraint": REGION},
        )
        assert second.client("s3").list_buckets()["Buckets"] == []


def test_outpost_instance_types_and_lifecycle_status_are_settable(emulator: Emulator) -> None:
    outposts = emulator.client("outposts")
    by_id = outposts.get_outpost_instance_types(OutpostId="op-0123456789abcdef0")
    by_arn = outposts.get_outpost_instance_types(OutpostId=OUTPOST_ARN)
    assert by_id["InstanceTypes"] == by_arn["InstanceTypes"]
    offered = {t["InstanceType"]: t["VCPUs"] for t in by_id["InstanceTypes"]}
    assert set(offered) == set(DEFAULT_INSTANCE_TYPES)
    assert (offered["m5.2xlarge"], by_id["OutpostArn"]) == (8, OUTPOST_ARN)
    with pytest.raises(ClientError):
        outposts.get_outpost_instance_types(OutpostId="op-ffffffffffffffff0")

    before = read_state(emulator.endpoint)
    try:
        update_state(
            emulator.endpoint, {"instance_types": ["c5.large"], "life_cycle_status": "PENDING"}
        )
        (only,) = outposts.get_outpost_instance_types(OutpostId=OUTPOST_ARN)["InstanceTypes"]
        assert only == {"InstanceType": "c5.large", "VCPUs": 2}
        assert (
            outposts.get_outpost(OutpostId=OUTPOST_ARN)["Outpost"]["LifeCycleStatus"] == "PENDING"
        )
        (listed,) = outposts.list_outposts()["Outposts"]
        assert listed["LifeCycleStatus"] == "PENDING"
    finally:
        update_state(
            emulator.endpoint,
            {k: before[k] for k in ("instance_types", "life_cycle_status")},
        )
    assert outposts.get_outpost(OutpostId=OUTPOST_ARN)["Outpost"]["LifeCycleStatus"] == "ACTIVE"


def test_the_state_endpoint_refuses_what_is_not_settable(emulator: Emulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        update_state(emulator.endpoint, {"arn": "arn:aws:outposts:us-west-2:1:outpost/op-1"})
    assert refused.value.code == 400
    assert read_state(emulator.endpoint)["life_cycle_status"] == "ACTIVE"


def test_coip_pool_usage_lists_the_addresses_in_use(emulator: Emulator) -> None:
    ec2 = emulator.client("ec2")
    (pool,) = ec2.describe_coip_pools()["CoipPools"]
    assert pool["PoolCidrs"] == ["198.51.100.0/26"]
    usage = ec2.get_coip_pool_usage(PoolId=pool["PoolId"])
    assert usage["CoipAddressUsages"] == []
    assert usage["LocalGatewayRouteTableId"] == pool["LocalGatewayRouteTableId"]
    try:
        update_state(emulator.endpoint, {"coip_used": 3})
        used = ec2.get_coip_pool_usage(PoolId=pool["PoolId"])["CoipAddressUsages"]
        assert [u["CoIp"] for u in used] == ["198.51.100.0", "198.51.100.1", "198.51.100.2"]
        assert all(u["AllocationId"] and u["AwsAccountId"] for u in used)
    finally:
        update_state(emulator.endpoint, {"coip_used": 0})
    with pytest.raises(ClientError, match="NotFound"):
        ec2.get_coip_pool_usage(PoolId="ipv4pool-coip-ffffffffffffffff0")


def test_service_quotas_moto_lacks_are_answered(emulator: Emulator) -> None:
    quotas = emulator.client("service-quotas")
    # moto holds no ec2 quota: its default is the responder's, its applied value none.
    default = quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")
    assert default["Quota"]["Value"] == 5.0
    with pytest.raises(ClientError, match="NoSuchResource"):
        quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")
    # The vpc defaults are moto's own, and its applied values still answer.
    nat = quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode="L-FE5A380F")
    assert (
        nat["Quota"]["Value"]
        == quotas.get_service_quota(ServiceCode="vpc", QuotaCode="L-FE5A380F")["Quota"]["Value"]
    )
    with pytest.raises(ClientError, match="NoSuchResource"):
        quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode="L-00000000")
    try:
        update_state(emulator.endpoint, {"quotas": {"ec2": {"L-0263D0A3": 1.0}}})
        applied = quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")
        assert (applied["Quota"]["Value"], applied["Quota"]["QuotaCode"]) == (1.0, "L-0263D0A3")
    finally:
        update_state(emulator.endpoint, {"quotas": {}})
