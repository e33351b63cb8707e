"""The producer's container image, built for real with buildah and run (slow: minutes cold).

No container registry is reachable here, so ``scripts/build_image.py`` builds producer/Dockerfile
against a stand-in base image made from Debian's packages (debootstrap), then runs the image's
entry point with ``buildah run``. Needs root and Debian's buildah and debootstrap; without them
the tests are skipped, saying what is missing and how to install it.
"""

from __future__ import annotations

import pytest

from scripts.build_image import APT_HINT, build_producer, missing_requirements
from scripts.image_buildah import IMAGE, WORK_DIR, Buildah
from scripts.image_run import RunResult, check, free_port, run_image
from scripts.image_standin import base_spec, build_standin

# A cold build (debootstrap, then pip in the build) takes about 4 minutes on 2 cores.
pytestmark = [pytest.mark.slow, pytest.mark.image, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def buildah() -> Buildah:
    missing = missing_requirements()
    if missing:
        pytest.skip(f"building the image needs {', '.join(missing)}; as root: {APT_HINT}")
    # Storage driver: $IMAGE_BUILD_STORAGE_DRIVER, else vfs.
    return Buildah(WORK_DIR)


@pytest.fixture(scope="module")
def standin(buildah: Buildah) -> str:
    """The stand-in base image's name (built once, then cached)."""
    return build_standin(buildah, base_spec())


@pytest.fixture(scope="module")
def image_id(buildah: Buildah, standin: str) -> str:
    """The producer image, built (or taken from the cache when its inputs are unchanged)."""
    return build_producer(buildah, standin, IMAGE)


@pytest.fixture(scope="module")
def run(buildah: Buildah, image_id: str) -> RunResult:
    return run_image(buildah, IMAGE, free_port())


def test_the_image_is_built_on_the_stand_in_base(
    buildah: Buildah, standin: str, image_id: str
) -> None:
    assert buildah.image_exists(IMAGE)
    info = buildah.inspect_image(IMAGE)
    assert info["FromImageID"] == image_id
    # The final stage starts from the stand-in (PYTHON_IMAGE): its layer comes first.
    base_layers = buildah.inspect_image(standin)["Docker"]["rootfs"]["diff_ids"]
    assert info["Docker"]["rootfs"]["diff_ids"][: len(base_layers)] == base_layers
    config = info["Docker"]["config"]
    assert config["Entrypoint"] == ["python", "-m", "producer"]
    assert config["User"] == "10001:10001"
    assert config["WorkingDir"] == "/app"
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["StopSignal"] == "SIGTERM"
    # Kept only in Docker's format, which the script asks buildah for.
    assert config["Healthcheck"]["Test"][0] == "CMD"


def test_the_entry_point_serves_the_health_check(run: RunResult) -> None:
    assert run.healthcheck_status == 200
    assert run.served.command.endswith("python -m producer")


def test_every_process_of_the_image_runs_as_its_non_root_user(run: RunResult) -> None:
    assert run.served.uid != 0 and run.served.gid != 0
    assert (run.served.uid, run.served.gid) == (10001, 10001)
    # The HTTP process and the producer process it starts on the second core.
    assert len(run.container_processes) >= 2
    assert {(p.uid, p.gid) for p in run.container_processes} == {(10001, 10001)}


def test_the_healthcheck_command_passes_while_serving_and_fails_once_stopped(
    run: RunResult,
) -> None:
    assert run.healthcheck_exit == 0, run.healthcheck_output
    assert run.healthcheck_exit_stopped not in (0, None)


def test_the_service_stops_cleanly_on_its_stop_signal(run: RunResult) -> None:
    assert run.stop_exit == 0
    assert run.stop_seconds is not None and run.stop_seconds < 25
    assert check(run) == []
