"""The synthesized Terraform JSON of every vars file, held against a reviewed snapshot.

A refactor must not change what Terraform is given. Each ``vars/<name>.tfvars.json`` has its
synthesized ``cdk.tf.json`` in ``tests/snapshots/<name>.tf.json``; this test fails on any
difference and prints where the two part. The producer's source digest (the image tag, which
changes with every edit of ``producer/``) is written as ``<producer source digest>`` on both
sides, so that a producer change alone does not touch the snapshots.

A change to the JSON on purpose updates the snapshots in the same commit, which says why:
``python tests/test_snapshots.py`` rewrites them, and the commit's diff is the change that
Terraform will see. A snapshot is only as good as its review: ``make e2e`` applies the same
JSON with Terraform against the emulator, and ``make validate`` validates it.
"""

from __future__ import annotations

import difflib
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "snapshots"
DIGEST_PLACEHOLDER = "<producer source digest>"


def normalized(stack_folders: list[Path]) -> dict[str, str]:
    """The JSON of each stack, the producer's source digest masked, by deployment name."""
    sys.path.insert(0, str(ROOT))
    from modules.docker_ecr_codebuild import source_digest

    digest = source_digest(ROOT / "producer")
    return {
        stack.name: (stack / "cdk.tf.json").read_text().replace(digest, DIGEST_PLACEHOLDER)
        for stack in stack_folders
    }


@pytest.fixture(scope="module")
def stacks(synthesized: tuple[Path, str]) -> dict[str, str]:
    """The stacks ``main.py`` wrote for every vars file (the session's one synthesis)."""
    outdir, _ = synthesized
    return normalized(sorted((outdir / "stacks").iterdir()))


def test_every_vars_file_has_a_snapshot(stacks: dict[str, str]) -> None:
    assert sorted(stacks) == sorted(p.name.removesuffix(".tf.json") for p in SNAPSHOTS.iterdir())


@pytest.mark.parametrize("name", ["test", "region"])
def test_the_synthesized_json_is_its_snapshot(stacks: dict[str, str], name: str) -> None:
    expected = (SNAPSHOTS / f"{name}.tf.json").read_text()
    actual = stacks[name]
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(),
            actual.splitlines(),
            f"tests/snapshots/{name}.tf.json",
            f"synthesized from vars/{name}.tfvars.json",
            lineterm="",
            n=2,
        )
        pytest.fail(
            "the synthesized JSON differs from its snapshot (on purpose? then run "
            "`python tests/test_snapshots.py` and say why in the commit):\n"
            + "\n".join(list(diff)[:80])
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from deployments import synthesize_all

    with tempfile.TemporaryDirectory() as outdir:
        for name, text in normalized(synthesize_all(Path(outdir))).items():
            (SNAPSHOTS / f"{name}.tf.json").write_text(text)
            print(f"tests/snapshots/{name}.tf.json written")
