"""The AWS provider of a stack: the provider versions its JSON supports, and its Region."""

from __future__ import annotations

from cdktf import TerraformStack, Token
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from modules.provider_versions import AWS_PROVIDER_VERSIONS


def aws_provider(stack: TerraformStack, region: str) -> AwsProvider:
    """The stack's AWS provider in ``region``, with the supported version range."""
    provider = AwsProvider(stack, "aws", region=region)
    stack.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_VERSIONS)
    return provider


def provider_region(scope: Construct) -> str:
    """The Region that the default AWS provider of ``scope``'s stack deploys to.

    The modules take the Region from here, at synth time, rather than from an ``aws_region``
    lookup: the lookup's Region attribute is ``name`` in provider 5 and ``region`` in provider
    6 (which deprecates ``name``), so no reference to it is valid on both without a warning.
    """
    stack = TerraformStack.of(scope)
    for child in stack.node.children:
        if isinstance(child, AwsProvider) and child.alias is None:
            region = child.region
            if region and not Token.is_unresolved(region):
                return region
    raise ValueError(
        f"{scope.node.path}: the stack needs a default AWS provider with a literal region "
        "(aws_provider(stack, region))"
    )
