"""The sample's optional test client: EC2 instances that send the article's request to the ALB.

The sample ships it switched off (``2-test-ec2-client-instance.tf_``); whether it exists is the
caller's choice (root variable ``enable_test_client``). :class:`TestClientConfig` holds the
sample's variables (``number_EC2_instances``, ``ec2_ami_id``, ``ec2_instance_type``, same
defaults) and what the caller wires in; :class:`TestClient` builds the instances.
"""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.instance import (
    Instance,
    InstanceMetadataOptions,
    InstanceRootBlockDevice,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupEgress
from constructs import Construct

from modules.aws_facts import OUTPOSTS_EBS_VOLUME_TYPES
from modules.provider import provider_region
from modules.test_client_variables import MAX_INSTANCES, TestClientConfig
from modules.validation import instance_family, terraform_literal

__all__ = ["MAX_INSTANCES", "TestClient", "TestClientConfig"]

# Outposts racks serve gp2 volumes only; in the Region gp3 is cheaper at the same baseline.
OUTPOST_VOLUME_TYPE = OUTPOSTS_EBS_VOLUME_TYPES[0]
REGION_VOLUME_TYPE = "gp3"

# Above the 8 GiB of the Amazon Linux AMIs. Stated rather than left to the AMI, so that the
# disk is known from the configuration (and the local AWS emulator, which wants a size,
# applies it).
ROOT_VOLUME_GIB = 16

# Public SSM parameters that always name the latest Amazon Linux 2023 AMI of the Region.
LATEST_AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"

# Graviton families: a1, and a "g" among the letters after the generation (m6g, c6gd, im4gn).
_GRAVITON = re.compile(r"^(?:a1|[a-z]+\d+[a-z]*g[a-z]*)$")

# Placeholder of the ALB's DNS name in the user data; replaced after the script is escaped
# for Terraform, so that the name (a Terraform reference) is interpolated and nothing else.
_ALB = "@ALB_DNS_NAME@"

SEND_SCRIPT = "/usr/local/bin/send-test-record"
LOAD_SCRIPT = "/usr/local/bin/load-test-records"
LOAD_TOOL_PACKAGE = "httpd-tools"
TEST_RECORD = '{"data":" This is a testing record"}'

# The article's request, verbatim; the quoted heredocs keep the shell from expanding it.
USER_DATA = f"""#!/bin/bash
set -euo pipefail

cat > /usr/local/share/test-record.json <<'JSON'
{TEST_RECORD}
JSON

cat > {SEND_SCRIPT} <<'SCRIPT'
#!/bin/bash
# The article's test request to the producer behind the ALB; extra arguments go to curl.
curl --header "Content-Type: application/json" --data-raw '{TEST_RECORD}' http://{_ALB}/ "$@"
SCRIPT

cat > {LOAD_SCRIPT} <<'SCRIPT'
#!/bin/bash
# Usage: load-test-records [requests, 10000] [concurrency, 50]
# ApacheBench posts the test record; watch RequestCount and IncomingBytes meanwhile.
set -euo pipefail
exec ab -n "${{1:-10000}}" -c "${{2:-50}}" -T application/json \\
  -p /usr/local/share/test-record.json http://{_ALB}/
SCRIPT
chmod 0755 {SEND_SCRIPT} {LOAD_SCRIPT}

# ab comes with {LOAD_TOOL_PACKAGE} on Amazon Linux 2023 (dnf) and 2 (yum). The NAT route of a
# new VPC may come up after the instance does, hence the retries.
if command -v dnf >/dev/null 2>&1; then installer=dnf; else installer=yum; fi
for attempt in 1 2 3 4 5 6; do
  "$installer" install -y {LOAD_TOOL_PACKAGE} && break
  echo "install of {LOAD_TOOL_PACKAGE} failed (attempt $attempt), retrying" >&2
  sleep 20
done
command -v ab >/dev/null
"""


class TestClient(Construct):
    """EC2 instances to send the article's test request, and a load, to the producer's ALB.

    Creates, whenever it is instantiated (the caller decides, by default not at all):

    - ``number_EC2_instances`` instances of ``ec2_instance_type`` from ``ec2_ami_id`` (or,
      with ``ec2_ami_id = ""``, the latest Amazon Linux 2023 AMI that the public SSM parameter
      names when the instances are created, not replacing them for a newer one), spread
      round-robin over ``subnets``, with the instance profile
      ``ec2_iam_instance_profile``, Name ``<name_prefix>-test-client-<n>``;
    - one security group ``<name_prefix>-test-client`` for all of them.

    Not in the sample: access is through Session Manager only, with no key pair and no
    inbound rule at all (the group's ingress is declared empty, so Terraform also removes a
    rule added by hand); outbound, TCP 443 anywhere and TCP 80 to
    ``http_egress_cidr_blocks`` only. IMDSv2 is required, with one hop (nothing on the client
    runs in containers). The root volume is encrypted, gp2 on an Outpost and gp3 in the
    Region. EBS optimization is on; monitoring is basic (five-minute metrics). The user data
    writes ``send-test-record`` (the article's curl request to ``http://<alb_dns_name>/``) and
    ``load-test-records [requests] [concurrency]`` (ApacheBench, from ``httpd-tools``, posting
    the same record) to ``/usr/local/bin``; a changed user data replaces the instances, since
    it only runs at first boot.

    Outputs: ``instance_ids`` and ``ssm_start_session_commands`` (one per instance), and
    ``security_group_id``.
    """

    __test__: ClassVar[bool] = False  # a construct, not a pytest class

    instance_ids: list[str]
    ssm_start_session_commands: list[str]
    security_group_id: str

    def __init__(self, scope: Construct, id: str, config: TestClientConfig) -> None:
        super().__init__(scope, id)
        self.config = config
        region = provider_region(self)
        group_name = f"{config.name_prefix}-test-client"
        security_group = self._security_group(group_name)
        self.security_group_id = security_group.id
        ami = config.ec2_ami_id or self._latest_al2023()
        # The parameter moves with every Amazon Linux release: that alone replaces no client.
        lifecycle = (
            None if config.ec2_ami_id else TerraformResourceLifecycle(ignore_changes=["ami"])
        )
        user_data = terraform_literal(USER_DATA).replace(_ALB, config.alb_dns_name)
        volume_type = OUTPOST_VOLUME_TYPE if config.outposts_arn else REGION_VOLUME_TYPE

        self.instance_ids = []
        self.ssm_start_session_commands = []
        for index in range(config.number_EC2_instances):
            name = f"{group_name}-{index + 1}"
            instance = Instance(
                self,
                f"instance_{index + 1}",
                ami=ami,
                instance_type=config.ec2_instance_type,
                subnet_id=config.subnets[index % len(config.subnets)],
                vpc_security_group_ids=[security_group.id],
                iam_instance_profile=config.ec2_iam_instance_profile,
                # No public address: the subnets given (Outposts, private) assign none. Not
                # stated, so that the subnet's setting is what the instance reports.
                metadata_options=InstanceMetadataOptions(
                    http_endpoint="enabled",
                    http_tokens="required",
                    http_put_response_hop_limit=1,
                ),
                root_block_device=InstanceRootBlockDevice(
                    encrypted=True,
                    volume_type=volume_type,
                    volume_size=ROOT_VOLUME_GIB,
                    delete_on_termination=True,
                    tags=self._named(name),
                ),
                ebs_optimized=True,
                # Five-minute metrics do for a client that sends test requests; one-minute
                # detailed monitoring is billed per instance.
                monitoring=False,
                user_data=user_data,
                user_data_replace_on_change=True,
                tags=self._named(name),
                lifecycle=lifecycle,
            )
            self.instance_ids.append(instance.id)
            self.ssm_start_session_commands.append(
                f"aws ssm start-session --region {region} --target {instance.id}"
            )

    def _named(self, name: str) -> dict[str, str]:
        return {**self.config.tags, "Name": name}

    def _security_group(self, name: str) -> SecurityGroup:
        blocks = [ipaddress.ip_network(c) for c in self.config.http_egress_cidr_blocks]
        return SecurityGroup(
            self,
            "security_group",
            name=name,
            description="Test client: Session Manager only, no inbound traffic",
            vpc_id=self.config.vpc_id,
            # Declared empty rather than left out: Terraform then removes any inbound rule.
            ingress=[],
            egress=[
                # Session Manager (its interface endpoints or the Region's public ones), the
                # other AWS APIs and HTTPS package mirrors have no fixed addresses.
                SecurityGroupEgress(
                    description="HTTPS: Session Manager, AWS APIs, package repositories",
                    from_port=443,
                    to_port=443,
                    protocol="tcp",
                    cidr_blocks=["0.0.0.0/0"],
                ),
                # The ALB's DNS name resolves to customer-owned IPs on an Outpost and to
                # public IPs in the Region, both outside the VPC's CIDR: the default admits
                # them, and a caller who knows them may narrow it.
                SecurityGroupEgress(
                    description="HTTP: the producer ALB and HTTP package mirrors",
                    from_port=80,
                    to_port=80,
                    protocol="tcp",
                    cidr_blocks=[str(b) for b in blocks if b.version == 4] or None,
                    ipv6_cidr_blocks=[str(b) for b in blocks if b.version == 6] or None,
                ),
            ],
            tags=self._named(name),
        )

    def _latest_al2023(self) -> str:
        """The latest Amazon Linux 2023 AMI for the instance type's architecture."""
        family = instance_family(self.config.ec2_instance_type)
        arch = "arm64" if _GRAVITON.match(family) else "x86_64"
        parameter = DataAwsSsmParameter(self, "al2023_ami", name=LATEST_AL2023.format(arch=arch))
        # An AMI id is no secret; the sensitive ``value`` would hide it in every plan.
        return parameter.insecure_value
