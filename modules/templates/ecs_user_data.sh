#!/bin/bash
# Boot script of the ECS container instances (launch template user data).
# modules/alb_ecs_capacity.py substitutes the cluster name, where the instance runs (Outpost or
# Region), the spool folder and the Region's DNS suffix below; its placeholders start with two
# at-signs, so every dollar sign here belongs to bash.
set -uo pipefail

# Join the cluster. Images are pulled from ECR in the Region across the Outpost service link,
# so a cached image is preferred to a fresh pull.
cat >> /etc/ecs/ecs.config <<'ECS_CONFIG'
ECS_CLUSTER=@@{cluster_name}
ECS_ENABLE_CONTAINER_METADATA=true
ECS_IMAGE_PULL_BEHAVIOR=prefer-cached
ECS_CONTAINER_INSTANCE_TAGS={"environment": "@@{environment}"}
ECS_CONFIG

# The producer's disk spool, kept across its tasks on this instance.
@@{spool_setup}

# The Region comes from the instance metadata service (the launch template requires IMDSv2).
imds_token=$(curl -sS -X PUT "http://169.254.169.254/latest/api/token" \
  -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
region=$(curl -sS -H "X-aws-ec2-metadata-token: ${imds_token}" \
  "http://169.254.169.254/latest/meta-data/placement/region")

# Session Manager access: install (or keep) the SSM agent from the regional bucket and start it.
yum install -y "https://s3.${region}.@@{dns_suffix}/amazon-ssm-${region}/latest/linux_amd64/amazon-ssm-agent.rpm"
systemctl enable --now amazon-ssm-agent
systemctl status --no-pager amazon-ssm-agent
