"""The sample's vpc configuration, synthesized once per session for the tests of this folder."""

from __future__ import annotations

import pytest

from tests.vpc.vpc_support import Built, build_vpc, sample_config


@pytest.fixture(scope="session")
def sample() -> Built:
    return build_vpc(sample_config())
