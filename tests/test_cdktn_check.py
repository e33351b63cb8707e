"""The CDK Terrain lane's own parts (scripts/cdktn_check.py): the swap of imports and the
comparison of two stacks. Quick: no synth, no cdktn install, no network."""

from __future__ import annotations

import ast
import copy
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from scripts.cdktn_check import (
    ABSENT,
    APP_DIRS,
    APP_FILES,
    CDKTF_LOCK,
    CDKTN_LOCK,
    Difference,
    SwapError,
    classify,
    compare_stack,
    diff_json,
    listed_differences,
    pinned,
    snapshot,
    swap_imports,
    swap_tree,
)
from tests.conftest import ROOT

LISTED = listed_differences("0.21.0", "0.24.0")
SOURCE_OBJECT = '$.resource.aws_s3_object["ecs-docker-codebuild_source_object"]'


def _cdktf_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        modules = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        found += [m for m in modules if m.split(".")[0] in ("cdktf", "cdktf_cdktf_provider_aws")]
    return found


def test_the_real_sources_are_swapped_completely(tmp_path: Path) -> None:
    app = snapshot(tmp_path / "app")
    assert {p.name for p in app.iterdir()} == {*APP_FILES, *APP_DIRS}
    before = {p: p.read_text(encoding="utf-8") for p in sorted(app.rglob("*.py"))}
    assert any(_cdktf_imports(p) for p in before)
    counts = swap_tree(app)
    assert counts["stack.py"] >= 5 and counts["deployments.py"] == 2
    for path, original in before.items():
        assert _cdktf_imports(path) == [], path
        swapped = path.read_text(encoding="utf-8")
        compile(swapped, str(path), "exec")
        # Only the module names of import statements change, nothing else on any line.
        old_lines, new_lines = original.splitlines(), swapped.splitlines()
        assert len(old_lines) == len(new_lines)
        changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
        assert len(changed) == counts.get(path.relative_to(app).as_posix(), 0), path
        for old, new in changed:
            assert (
                re.sub(r"\bcdktf_cdktf_provider_aws\.", "cdktn_provider_aws.", old).replace(
                    "from cdktf import", "from cdktn import"
                )
                == new
            ), (old, new)


def test_every_supported_form_is_rewritten() -> None:
    source = '''"""Built with cdktf; see cdktf.out."""
from typing import TYPE_CHECKING

from cdktf import App, Fn as Functions
from cdktf_cdktf_provider_aws.s3_bucket import (
    S3Bucket,
)
from constructs import Construct

if TYPE_CHECKING:
    from cdktf import TerraformStack

OUTDIR = "cdktf.out"


def make() -> None:
    from cdktf_cdktf_provider_aws.provider import AwsProvider  # the provider
'''
    swapped, count = swap_imports(source)
    assert count == 4
    assert swapped == source.replace("from cdktf import", "from cdktn import").replace(
        "from cdktf_cdktf_provider_aws.", "from cdktn_provider_aws."
    )
    assert '"""Built with cdktf; see cdktf.out."""' in swapped
    assert 'OUTDIR = "cdktf.out"' in swapped
    assert "from constructs import Construct" in swapped


@pytest.mark.parametrize(
    "source",
    [
        "import cdktf\n",
        "import cdktf_cdktf_provider_aws.s3_bucket as s3\n",
        "from cdktf_cdktf_provider_aws import s3_bucket\n",
        "from cdktf.lib import App\n",
        "from cdktf_cdktf_provider_aws.s3_bucket.extra import S3Bucket\n",
        "x = 1; from cdktf import App\n",
        "from \\\n    cdktf import App\n",
        "import importlib\nimportlib.import_module('cdktf_cdktf_provider_aws.s3_bucket')\n",
        "provider = __import__('cdktf')\n",
        "cdktf = None\n",
    ],
    ids=[
        "import",
        "import-submodule",
        "bindings-package",
        "core-submodule",
        "deeper-submodule",
        "after-semicolon",
        "line-continuation",
        "import_module",
        "__import__",
        "name",
    ],
)
def test_an_unknown_form_is_refused(source: str) -> None:
    with pytest.raises(SwapError, match="are swapped"):
        swap_imports(source, "example.py")


def test_a_refusal_names_the_file_and_line() -> None:
    with pytest.raises(SwapError, match=r"^modules/x\.py:3: `import cdktf`"):
        swap_imports('"""Doc."""\n\nimport cdktf\n', "modules/x.py")


def _stack() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "tests" / "snapshots" / "test.tf.json").read_text())
    return loaded


def test_identical_stacks_have_no_difference() -> None:
    assert diff_json(_stack(), _stack()) == []


def test_a_mutated_value_is_reported_with_its_path() -> None:
    cdktn = _stack()
    cdktn["resource"]["aws_s3_object"]["ecs-docker-codebuild_source_object"]["key"] = "other.zip"
    cdktn["resource"]["aws_s3_object"]["ecs-docker-codebuild_source_object"]["acl"] = "private"
    del cdktn["output"]["alb_dns_name"]
    found = diff_json(_stack(), cdktn)
    by_path = {d.path: d for d in found}
    assert set(by_path) == {
        f"{SOURCE_OBJECT}.key",
        f"{SOURCE_OBJECT}.acl",
        "$.output.alb_dns_name",
    }
    assert by_path[f"{SOURCE_OBJECT}.key"].cdktn == "other.zip"
    assert by_path[f"{SOURCE_OBJECT}.acl"].cdktf is ABSENT
    assert by_path["$.output.alb_dns_name"].cdktn is ABSENT
    described = by_path[f"{SOURCE_OBJECT}.key"].describe()
    assert described.startswith(SOURCE_OBJECT) and '"other.zip"' in described
    result = classify("test", found, LISTED)
    assert result.accepted == [] and result.unexplained == found


def test_list_items_and_types_are_compared() -> None:
    assert diff_json({"a": [1, 2]}, {"a": [1, 2, 3]}) == [Difference("$.a[2]", ABSENT, 3)]
    assert diff_json({"a": 1}, {"a": True}) == [Difference("$.a", 1, True)]
    assert diff_json({"a": 1}, {"a": 1.0}) == [Difference("$.a", 1, 1.0)]


def test_the_listed_differences_are_accepted_and_only_with_their_values() -> None:
    cdktn = _stack()
    cdktn["//"]["metadata"]["version"] = "0.24.0"
    cdktn["terraform"]["required_providers"]["aws"]["source"] = "hashicorp/aws"
    result = classify("test", diff_json(_stack(), cdktn), LISTED)
    assert result.unexplained == []
    assert [d.path for _, d in result.accepted] == [
        '$["//"].metadata.version',
        "$.terraform.required_providers.aws.source",
    ]
    # The same paths with other values are not what the listing explains.
    cdktn["//"]["metadata"]["version"] = "0.23.0"
    cdktn["terraform"]["required_providers"]["aws"]["version"] = ">= 6"
    result = classify("test", diff_json(_stack(), cdktn), LISTED)
    assert [d.path for d in result.unexplained] == [
        '$["//"].metadata.version',
        "$.terraform.required_providers.aws.version",
    ]


def _zip(path: Path, files: dict[str, bytes], date: tuple[int, int, int, int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=date)
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)


def _stack_folder(folder: Path, stack: dict[str, Any], files: dict[str, bytes], date: Any) -> Path:
    folder.mkdir(parents=True)
    (folder / "cdk.tf.json").write_text(json.dumps(stack))
    _zip(
        folder / "assets" / "ecs-docker-codebuild_source_archive" / "abc" / "archive.zip",
        files,
        date,
    )
    return folder


def test_archives_are_compared_by_content(tmp_path: Path) -> None:
    files = {"Dockerfile": b"FROM python\n", "service.py": b"print()\n"}
    cdktf = _stack_folder(tmp_path / "cdktf", _stack(), files, (2026, 12, 6, 3, 6, 0))
    cdktn_stack = copy.deepcopy(_stack())
    cdktn_stack["//"]["metadata"]["version"] = "0.24.0"
    same = _stack_folder(tmp_path / "same", cdktn_stack, files, (1980, 1, 1, 0, 0, 0))
    result = compare_stack("test", cdktf, same, LISTED)
    assert result.unexplained == []
    assert [listing.path for listing, _ in result.accepted] == [
        '$["//"].metadata.version',
        "assets/*/*/archive.zip (entry dates)",
    ]
    assert result.resources > 100
    changed = {**files, "service.py": b"print('changed')\n"}
    other = _stack_folder(tmp_path / "other", cdktn_stack, changed, (1980, 1, 1, 0, 0, 0))
    result = compare_stack("test", cdktf, other, LISTED)
    archive = "assets/ecs-docker-codebuild_source_archive/abc/archive.zip"
    assert [d.path for d in result.unexplained] == [f"{archive}:service.py"]


def test_the_listing_follows_the_locks() -> None:
    listed = {item.path: item for item in listed_differences()}
    version = listed['$["//"].metadata.version']
    assert version.cdktf == pinned(CDKTF_LOCK, "cdktf")
    assert version.cdktn == pinned(CDKTN_LOCK, "cdktn")
    assert all(item.why for item in listed.values())


def test_the_cdktn_lock_shares_the_app_locks_versions() -> None:
    def pins(lock: Path) -> dict[str, str]:
        text = lock.read_text(encoding="utf-8")
        return dict(re.findall(r"^([A-Za-z0-9][\w.-]*)==(\S+)", text, re.M))

    app, cdktn = pins(CDKTF_LOCK), pins(CDKTN_LOCK)
    shared = sorted(name for name in app.keys() & cdktn.keys() if app[name] != cdktn[name])
    # cdktn 0.24 takes constructs below 10.8; every other shared package is at one version.
    assert shared == ["constructs"]
    assert {"cdktn", "cdktn-provider-aws", "pydantic", "botocore"} <= cdktn.keys()
    assert "://" not in CDKTN_LOCK.read_text(encoding="utf-8")
