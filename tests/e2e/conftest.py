"""Fixtures of the end-to-end tests: what they need, and the emulator of each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.terraform_cli import TerraformError, find_provider_mirror, find_terraform

from .emulator import Emulator, free_port


@pytest.fixture(scope="session")
def terraform_ready() -> None:
    """Skip unless Terraform and an offline copy of hashicorp/aws are at hand."""
    if find_terraform() is None:
        pytest.skip("terraform is not on the PATH: install Terraform 1.5 or later")
    try:
        mirror = find_provider_mirror()
    except TerraformError as error:
        pytest.skip(str(error))
    if mirror is None:
        pytest.skip(
            "no provider mirror holding registry.terraform.io/hashicorp/aws: set "
            "TF_PROVIDER_MIRROR to one (terraform providers mirror DIR makes one)"
        )


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., Emulator]]:
    """Start emulators for one test; each is stopped at its end."""
    started: list[Emulator] = []

    def start(region: str, outpost: tuple[str, str] | None = None) -> Emulator:
        emulator = Emulator(free_port(), region, tmp_path / f"emulator-{len(started)}.log", outpost)
        started.append(emulator)
        return emulator.wait_ready()

    yield start
    for emulator in started:
        emulator.stop()
