"""Where a deployment keeps its Terraform state: a local file by default, or an S3 bucket.

The model only; ``stack.py`` turns it into the stack's backend block.
"""

from __future__ import annotations

import re

from pydantic import StrictBool, field_validator, model_validator
from pydantic.dataclasses import dataclass

from modules.validation import MODULE_CONFIG, BucketName, KmsKeyArn, OptionalRegion, added

LOCAL_STATE = "terraform.{name}.tfstate"
"""The local state file of the deployment ``name``, at the repository root."""
_KEY = re.compile(r"^[^/\s][^\s]*[^/\s]$|^[^/\s]$")


@dataclass(config=MODULE_CONFIG)
class S3State:
    """Terraform's ``s3`` backend, as a vars file's ``s3_backend`` key gives it.

    The bucket must exist (with versioning on, so an overwritten state can be recovered); the
    lock is Terraform's own lock file beside the state (``use_lockfile``, Terraform 1.10 and
    later), so no DynamoDB table is needed.
    """

    bucket: BucketName = added()
    """Existing bucket that holds the state."""
    key: str = added("")
    """Object key of the state; "" for ``outposts-ecs/<deployment>.tfstate``."""
    region: OptionalRegion = added("")
    """Region of the bucket; "" for the deployment's Region."""
    use_lockfile: StrictBool = added(True)
    """Lock the state with a lock file in the bucket while Terraform writes it."""
    encrypt: StrictBool = added(True)
    """Encrypt the state object at rest (SSE-S3, or SSE-KMS with ``kms_key_id``)."""
    kms_key_id: KmsKeyArn = added("")
    """ARN of the KMS key that encrypts the state object; "" for SSE-S3."""
    workspace_key_prefix: str = added("", max_length=256)
    """Key prefix of non-default workspaces; "" for Terraform's ``env:``."""

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        if key and not _KEY.match(key):
            raise ValueError(f"{key!r}: an S3 object key without spaces, leading or trailing '/'")
        return key

    @model_validator(mode="after")
    def _encryption(self) -> S3State:
        if self.kms_key_id and not self.encrypt:
            raise ValueError("kms_key_id: set, but encrypt is false; encrypt the state to use it")
        return self

    def state_key(self, deployment: str) -> str:
        return self.key or f"outposts-ecs/{deployment}.tfstate"
