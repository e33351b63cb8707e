#!/usr/bin/env python
"""``make cdktn-check``: the app on CDK Terrain (cdktn) writes the same Terraform JSON as on cdktf.

CDK Terrain continues cdktf under new names: ``cdktf`` becomes ``cdktn`` and the prebuilt AWS
bindings ``cdktf_cdktf_provider_aws`` become ``cdktn_provider_aws``. This check copies the app's
sources once into a temporary folder (a snapshot, so that both sides see the same files), makes
a second copy whose imports are swapped to cdktn's, synthesizes every vars file with each
(``.venv`` for cdktf, ``.venv-cdktn`` for cdktn, both running ``main.py`` as the CLI does) and
compares each stack's ``cdk.tf.json`` value by value, and its assets file by file.

Only the differences that :func:`listed_differences` lists are accepted, each with its reason;
any other difference fails the check with its JSON path and both values. No swapped copy of the
code is kept: the swap happens here, at run time, on the copy.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402

#: The app's files and folders that a synth reads: the sources, the vars files, cdktf.json, and
#: producer/ (the image source, whose digest and archive are part of the JSON).
APP_FILES = (
    "main.py",
    "deployments.py",
    "stack.py",
    "variables.py",
    "vars_file.py",
    "stack_configs.py",
    "cdktf.json",
)
APP_DIRS = ("modules", "vars", "producer")
#: Left out of the snapshot: caches no synth reads (the image digest skips them too).
IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"
)
VARS_SUFFIX = ".tfvars.json"

CDKTF_PYTHON = ROOT / ".venv" / "bin" / "python"
CDKTN_PYTHON = ROOT / ".venv-cdktn" / "bin" / "python"
CDKTF_LOCK = ROOT / "requirements.lock"
CDKTN_LOCK = ROOT / "requirements-cdktn.lock"
#: Seconds one synth of every vars file may take (about 10 to 40 s here).
SYNTH_TIMEOUT = 900

# --- The swap of packages and imports -------------------------------------------------------

#: cdktf's core library and cdktn's: the same API under another name.
CORE = ("cdktf", "cdktn")
#: The prebuilt AWS bindings: one submodule per resource or data source, the same names in both.
AWS_BINDINGS = ("cdktf_cdktf_provider_aws", "cdktn_provider_aws")
_CDKTF_ROOTS = {CORE[0], AWS_BINDINGS[0]}
#: A cdktf module named in a string, as a dynamic import would name it.
_MODULE_STRING = re.compile(r"(cdktf|cdktf_cdktf_provider_aws)(\.[A-Za-z_]\w*)*")
_SUPPORTED = (
    "only `from cdktf import ...` and `from cdktf_cdktf_provider_aws.<submodule> import ...` "
    "are swapped"
)


class SwapError(ValueError):
    """A source refers to cdktf in a form the swap does not rewrite."""


def cdktn_module(module: str) -> str:
    """The cdktn module for a cdktf module of an import statement (``SwapError`` if unknown)."""
    if module == CORE[0]:
        return CORE[1]
    head, _, submodule = module.partition(".")
    if head == AWS_BINDINGS[0] and submodule.isidentifier():
        return f"{AWS_BINDINGS[1]}.{submodule}"
    raise SwapError(f"`from {module} import ...`: {_SUPPORTED}")


def _is_cdktf(module: str) -> bool:
    return module.split(".")[0] in _CDKTF_ROOTS


_IMPORT_FUNCTIONS = {"__import__", "import_module", "find_spec"}


def _imported_by_name(call: ast.Call) -> bool:
    """Whether ``call`` imports a cdktf module named in a string (``importlib.import_module``)."""
    function = call.func
    name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
    first = call.args[0] if call.args else None
    return (
        name in _IMPORT_FUNCTIONS
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and _MODULE_STRING.fullmatch(first.value) is not None
    )


def swap_imports(source: str, filename: str = "<source>") -> tuple[str, int]:
    """``source`` with its cdktf imports rewritten to cdktn's; (new source, imports rewritten).

    ``from cdktf import X`` becomes ``from cdktn import X`` and
    ``from cdktf_cdktf_provider_aws.<m> import X`` becomes ``from cdktn_provider_aws.<m> import
    X``, wherever the statement stands (``TYPE_CHECKING`` blocks, functions). Any other reference
    to a cdktf module (``import cdktf``, the bindings' package itself, a module named in a
    string to ``importlib.import_module``) raises ``SwapError`` rather than leaving cdktf behind.
    """
    tree = ast.parse(source, filename=filename)
    edits: list[tuple[int, int, str, str]] = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_cdktf(alias.name):
                    raise SwapError(f"{where}: `import {alias.name}`: {_SUPPORTED}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _is_cdktf(node.module):
                try:
                    target = cdktn_module(node.module)
                except SwapError as exc:
                    raise SwapError(f"{where}: {exc}") from None
                edits.append((node.lineno, node.col_offset, node.module, target))
        elif isinstance(node, ast.Name) and node.id in _CDKTF_ROOTS:
            raise SwapError(f"{where}: the name {node.id!r} refers to cdktf: {_SUPPORTED}")
        elif isinstance(node, ast.Call) and _imported_by_name(node):
            raise SwapError(f"{where}: a dynamic import of a cdktf module: {_SUPPORTED}")
    lines = source.splitlines(keepends=True)
    for lineno, col, module, target in edits:
        line = lines[lineno - 1]
        statement = re.compile(rf"from([ \t]+){re.escape(module)}(?=[ \t]+import\b)")
        found = statement.match(line, col) if line[:col].isspace() or col == 0 else None
        if found is None:
            raise SwapError(
                f"{filename}:{lineno}: `from {module} import` does not start its line as "
                f"`from {module} import ...` (a line continuation, or after a `;`?): "
                f"{_SUPPORTED}"
            )
        lines[lineno - 1] = f"{line[:col]}from{found.group(1)}{target}{line[found.end() :]}"
    swapped = "".join(lines)
    left = [
        node.lineno
        for node in ast.walk(ast.parse(swapped, filename=filename))
        if isinstance(node, ast.ImportFrom) and node.module and _is_cdktf(node.module)
    ]
    if left:  # not expected: every statement above was rewritten
        raise SwapError(f"{filename}: cdktf imports left on lines {left}")
    return swapped, len(edits)


def swap_tree(folder: Path) -> dict[str, int]:
    """Swap the imports of every ``*.py`` under ``folder`` in place; the rewritten counts."""
    counts: dict[str, int] = {}
    for path in sorted(folder.rglob("*.py")):
        name = path.relative_to(folder).as_posix()
        swapped, count = swap_imports(path.read_text(encoding="utf-8"), name)
        if count:
            path.write_text(swapped, encoding="utf-8")
            counts[name] = count
    return counts


# --- The comparison -------------------------------------------------------------------------


class _Absent:
    """The value on the side where a key or list item does not exist."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


class _AnyValue:
    """A listed difference's value that may be anything."""

    def __repr__(self) -> str:
        return "<any>"


ANY: Any = _AnyValue()


@dataclass(frozen=True)
class Difference:
    """A value that differs: where (a JSON path, or an asset's path) and both sides."""

    path: str
    cdktf: Any
    cdktn: Any

    def describe(self) -> str:
        return f"{self.path}\n    cdktf: {_show(self.cdktf)}\n    cdktn: {_show(self.cdktn)}"


def _show(value: Any) -> str:
    if value is ABSENT or value is ANY:
        return repr(value)
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 400 else f"{text[:400]}... ({len(text)} characters)"


@dataclass(frozen=True)
class ListedDifference:
    """A difference the check accepts: where, the value on each side, and why it is harmless.

    ``path`` is matched exactly, but for ``*``, which stands for one path segment (a folder of
    an asset named by its hash). ``ANY`` as a value accepts any value on that side.
    """

    path: str
    cdktf: Any
    cdktn: Any
    why: str

    def explains(self, difference: Difference) -> bool:
        pattern = "[^/]+".join(re.escape(part) for part in self.path.split("*"))
        return (
            re.fullmatch(pattern, difference.path) is not None
            and (self.cdktf is ANY or _same(self.cdktf, difference.cdktf))
            and (self.cdktn is ANY or _same(self.cdktn, difference.cdktn))
        )


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and left == right


def pinned(lock: Path, name: str) -> str:
    """The version a lock pins ``name`` at."""
    found = re.search(rf"^{re.escape(name)}==(\S+)", lock.read_text(encoding="utf-8"), re.M)
    if found is None:
        raise ValueError(f"{lock.name}: no pin of {name}")
    return found.group(1)


ARCHIVE_DATES = " (entry dates)"
#: The digest of no bytes: what a folder's entry in a zip holds.
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: The zip entries' date cdktn's archives all carry (the earliest a zip can hold).
FIXED_ZIP_DATE = "1980-01-01 00:00:00"


def listed_differences(
    cdktf_version: str | None = None, cdktn_version: str | None = None
) -> tuple[ListedDifference, ...]:
    """The accepted differences; the library versions default to the locks' pins."""
    cdktf_version = cdktf_version or pinned(CDKTF_LOCK, "cdktf")
    cdktn_version = cdktn_version or pinned(CDKTN_LOCK, "cdktn")
    return (
        ListedDifference(
            '$["//"].metadata.version',
            cdktf_version,
            cdktn_version,
            "The library's version, recorded in the stack's provenance comment. Terraform skips "
            'the "//" keys.',
        ),
        ListedDifference(
            "$.terraform.required_providers.aws.source",
            "aws",
            "hashicorp/aws",
            "cdktf's AWS bindings write the provider's short source, cdktn's the namespaced "
            "one. Both are registry.terraform.io/hashicorp/aws to Terraform: the same provider, "
            "the same state addresses, and the app's own version range (>= 5.100, < 7).",
        ),
        ListedDifference(
            f"assets/*/*/archive.zip{ARCHIVE_DATES}",
            ANY,
            FIXED_ZIP_DATE,
            "The image source archive holds the same files, byte for byte and with the same "
            "modes, but cdktn dates every entry 1980-01-01 where cdktf keeps the files' "
            "modification times. So the archive's bytes differ, and with them filemd5() in the "
            "source object's source_hash: the first apply after the move uploads the same files "
            "once more (an in-place update of that one object).",
        ),
        ListedDifference(
            "assets/*/*/archive.zip:*/",
            f"sha256 {EMPTY_SHA256}, mode 40755",
            ABSENT,
            "cdktf's archive lists each folder of the image source (the producer's subpackages) "
            "as an entry of its own; cdktn's lists the files only. Unpacked, both give the same "
            "tree: CodeBuild makes a file's folders as it extracts it.",
        ),
    )


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key)}]"


def diff_json(cdktf: Any, cdktn: Any, path: str = "$") -> list[Difference]:
    """Every value that differs between two JSON documents, by JSON path."""
    if isinstance(cdktf, dict) and isinstance(cdktn, dict):
        found: list[Difference] = []
        for key in sorted(cdktf.keys() | cdktn.keys()):
            found += diff_json(cdktf.get(key, ABSENT), cdktn.get(key, ABSENT), _path(path, key))
        return found
    if isinstance(cdktf, list) and isinstance(cdktn, list):
        found = []
        for index in range(max(len(cdktf), len(cdktn))):
            left = cdktf[index] if index < len(cdktf) else ABSENT
            right = cdktn[index] if index < len(cdktn) else ABSENT
            found += diff_json(left, right, _path(path, index))
        return found
    return [] if _same(cdktf, cdktn) else [Difference(path, cdktf, cdktn)]


def _zip_summary(archive: Path) -> tuple[dict[str, tuple[str, int]], str]:
    """A zip's entries (name: content digest and unix mode) and the dates they carry."""
    with zipfile.ZipFile(archive) as opened:
        infos = opened.infolist()
        entries = {
            info.filename: (hashlib.sha256(opened.read(info)).hexdigest(), info.external_attr >> 16)
            for info in infos
        }
    dates = sorted({"{:04}-{:02}-{:02} {:02}:{:02}:{:02}".format(*i.date_time) for i in infos})
    if len(dates) == 1:
        return entries, dates[0]
    return entries, f"{len(dates)} dates from {dates[0]} to {dates[-1]}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def diff_assets(cdktf: Path, cdktn: Path) -> list[Difference]:
    """Differences between two stacks' ``assets/`` folders, archives compared by content."""

    def files(stack: Path) -> dict[str, Path]:
        assets = stack / "assets"
        found = sorted(p for p in assets.rglob("*") if p.is_file()) if assets.is_dir() else []
        return {p.relative_to(stack).as_posix(): p for p in found}

    left, right = files(cdktf), files(cdktn)
    found: list[Difference] = []
    for name in sorted(left.keys() | right.keys()):
        if name not in left or name not in right:
            found.append(
                Difference(
                    name,
                    "present" if name in left else ABSENT,
                    "present" if name in right else ABSENT,
                )
            )
        elif name.endswith(".zip"):
            entries_l, dates_l = _zip_summary(left[name])
            entries_r, dates_r = _zip_summary(right[name])
            for entry in sorted(entries_l.keys() | entries_r.keys()):
                a, b = entries_l.get(entry, ABSENT), entries_r.get(entry, ABSENT)
                if a != b:
                    found.append(Difference(f"{name}:{entry}", _entry(a), _entry(b)))
            if dates_l != dates_r:
                found.append(Difference(f"{name}{ARCHIVE_DATES}", dates_l, dates_r))
        elif _digest(left[name]) != _digest(right[name]):
            found.append(
                Difference(name, f"sha256 {_digest(left[name])}", f"sha256 {_digest(right[name])}")
            )
    return found


def _entry(value: Any) -> Any:
    if value is ABSENT:
        return value
    digest, mode = value
    return f"sha256 {digest}, mode {mode:o}"


@dataclass(frozen=True)
class StackResult:
    """One stack compared: the accepted differences (with their listing) and the rest."""

    name: str
    accepted: list[tuple[ListedDifference, Difference]]
    unexplained: list[Difference]
    resources: int = 0


def compare_stack(
    name: str, cdktf: Path, cdktn: Path, listed: Sequence[ListedDifference]
) -> StackResult:
    """Compare a stack's folder synthesized by cdktf with the one by cdktn."""
    synthesized = json.loads((cdktf / "cdk.tf.json").read_text())
    found = diff_json(synthesized, json.loads((cdktn / "cdk.tf.json").read_text()))
    found += diff_assets(cdktf, cdktn)
    resources = sum(len(blocks) for blocks in synthesized.get("resource", {}).values())
    return classify(name, found, listed, resources)


def classify(
    name: str,
    found: Iterable[Difference],
    listed: Sequence[ListedDifference],
    resources: int = 0,
) -> StackResult:
    """Split differences into the listed ones and the unexplained ones."""
    accepted: list[tuple[ListedDifference, Difference]] = []
    unexplained: list[Difference] = []
    for difference in found:
        listing = next((item for item in listed if item.explains(difference)), None)
        if listing is None:
            unexplained.append(difference)
        else:
            accepted.append((listing, difference))
    return StackResult(name, accepted, unexplained, resources)


# --- Snapshot and synth ---------------------------------------------------------------------


def log(message: str) -> None:
    print(f">> {message}", file=sys.stderr, flush=True)


def snapshot(target: Path, vars_files: Sequence[Path] | None = None, root: Path = ROOT) -> Path:
    """Copy the app's sources into ``target`` (file times kept); with ``vars_files``, its
    ``vars/`` holds those files instead of the checkout's."""
    target.mkdir(parents=True, exist_ok=True)
    for name in APP_FILES:
        shutil.copy2(root / name, target / name)
    for name in APP_DIRS:
        if name == "vars" and vars_files is not None:
            (target / name).mkdir()
            for vars_file in vars_files:
                shutil.copy2(vars_file, target / name / vars_file.name)
        else:
            shutil.copytree(root / name, target / name, ignore=IGNORED)
    return target


def cdktn_copy(source: Path, target: Path) -> dict[str, int]:
    """A copy of the snapshot ``source`` with its imports swapped to cdktn's."""
    shutil.copytree(source, target, symlinks=True)
    return swap_tree(target)


def synth_env(outdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VARS_FILE", None)  # every vars/*.tfvars.json of the copy
    env["CDKTF_OUTDIR"] = str(outdir)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env.setdefault("CHECKPOINT_DISABLE", "1")
    return env


def start_synth(
    python: Path, project: Path, outdir: Path, log_file: Path
) -> subprocess.Popen[bytes]:
    """``python main.py`` in ``project`` into ``outdir``: what ``cdktf synth`` runs."""
    with log_file.open("wb") as output:
        return subprocess.Popen(
            [str(python), "main.py"],
            cwd=project,
            env=synth_env(outdir),
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def check_synth(process: subprocess.Popen[bytes], what: str, log_file: Path) -> None:
    """Raise with the synth's log when the finished ``process`` failed."""
    if process.returncode != 0:
        tail = log_file.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{what} exited {process.returncode}:\n{tail}")


def wait_synth(process: subprocess.Popen[bytes], what: str, log_file: Path) -> None:
    try:
        process.wait(timeout=SYNTH_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        raise RuntimeError(f"{what}: still running after {SYNTH_TIMEOUT} s") from None
    check_synth(process, what, log_file)


#: The libraries each side synthesizes with, and the lock that pins them.
LIBRARIES = {
    "cdktf": ("cdktf", "cdktf-cdktf-provider-aws"),
    "cdktn": ("cdktn", "cdktn-provider-aws"),
}


def library_versions(cdktf_python: Path, cdktn_python: Path) -> dict[str, str]:
    """The cdktf and cdktn libraries' installed versions; RuntimeError unless the locks'."""
    code = "import sys; from importlib.metadata import version; print(*map(version, sys.argv[1:]))"
    versions: dict[str, str] = {}
    stale: list[str] = []
    for side, python, lock in (
        ("cdktf", cdktf_python, CDKTF_LOCK),
        ("cdktn", cdktn_python, CDKTN_LOCK),
    ):
        names = LIBRARIES[side]
        result = subprocess.run(
            [str(python), "-c", code, *names],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{python}: {' and '.join(names)} not installed:\n{result.stderr[-2000:]}"
            )
        for name, version in zip(names, result.stdout.split(), strict=True):
            versions[name] = version
            if version != pinned(lock, name):
                stale.append(
                    f"{python} has {name} {version}, {lock.name} pins {pinned(lock, name)}"
                )
    if stale:
        raise RuntimeError("a venv is not what its lock says: " + "; ".join(stale))
    return versions


def synthesize_cdktn(vars_file: Path, folder: Path, python: Path = CDKTN_PYTHON) -> Path:
    """Synthesize one vars file with cdktn into ``folder``; the stack's folder.

    The stack is named after the vars file, as with cdktf. For ``make e2e``.
    """
    project = folder / "cdktn-app"
    source = snapshot(folder / "snapshot", [vars_file])
    cdktn_copy(source, project)
    outdir = folder / "cdktn.out"
    log_file = folder / "cdktn-synth.log"
    wait_synth(start_synth(python, project, outdir, log_file), "cdktn synth", log_file)
    return outdir / "stacks" / vars_file.name.removesuffix(VARS_SUFFIX)


@dataclass(frozen=True)
class Run:
    """A run of the check: each stack's result and what it took."""

    results: list[StackResult]
    seconds: dict[str, float]
    versions: dict[str, str]
    swapped: dict[str, int]


def run_check(
    work: Path,
    vars_files: Sequence[Path] | None = None,
    cdktf_python: Path = CDKTF_PYTHON,
    cdktn_python: Path = CDKTN_PYTHON,
) -> Run:
    """Snapshot, swap, synthesize both ways (at once) and compare every stack."""
    seconds: dict[str, float] = {}
    started = time.monotonic()
    log(f"copying the app's sources into {work}")
    source = snapshot(work / "cdktf-app", vars_files)
    swapped = cdktn_copy(source, work / "cdktn-app")
    seconds["copy and swap"] = time.monotonic() - started
    log(f"swapped {sum(swapped.values())} imports in {len(swapped)} files to cdktn's")
    names = sorted(
        p.name.removesuffix(VARS_SUFFIX) for p in (source / "vars").glob(f"*{VARS_SUFFIX}")
    )
    if not names:
        raise RuntimeError(f"no *{VARS_SUFFIX} file to synthesize")
    versions = library_versions(cdktf_python, cdktn_python)
    log(
        f"synthesizing {len(names)} vars files with cdktf {versions['cdktf']} and with cdktn "
        f"{versions['cdktn']}, side by side (about 40 s)"
    )
    processes = {
        side: start_synth(
            python, work / f"{side}-app", work / f"{side}.out", work / f"{side}-synth.log"
        )
        for side, python in (("cdktf", cdktf_python), ("cdktn", cdktn_python))
    }
    started = time.monotonic()
    while processes:
        for side, process in list(processes.items()):
            if process.poll() is None:
                continue
            del processes[side]
            check_synth(process, f"{side} synth", work / f"{side}-synth.log")
            seconds[f"{side} synth"] = time.monotonic() - started
            log(f"{side} synth done in {seconds[f'{side} synth']:.0f} s")
        if time.monotonic() - started > SYNTH_TIMEOUT:
            for process in processes.values():
                process.kill()
            raise RuntimeError(
                f"{' and '.join(processes)} synth: still running after {SYNTH_TIMEOUT} s"
            )
        time.sleep(0.1)
    listed = listed_differences()
    results = []
    started = time.monotonic()
    for name in names:
        log(f"comparing stack {name}")
        results.append(
            compare_stack(
                name,
                work / "cdktf.out" / "stacks" / name,
                work / "cdktn.out" / "stacks" / name,
                listed,
            )
        )
    seconds["compare"] = time.monotonic() - started
    return Run(results, seconds, versions, swapped)


def result_table(run: Run) -> report.Table:
    rows = [
        [
            result.name,
            str(result.resources),
            str(len(result.accepted)),
            str(len(result.unexplained)),
            "same JSON but for the listed differences" if not result.unexplained else "FAIL",
        ]
        for result in run.results
    ]
    columns = ["stack", "resources", "listed differences", "unexplained differences", "result"]
    return report.Table(columns, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--vars",
        nargs="+",
        type=Path,
        help="vars files to synthesize (default: vars/*.tfvars.json)",
    )
    parser.add_argument("--cdktf-python", type=Path, default=CDKTF_PYTHON)
    parser.add_argument("--cdktn-python", type=Path, default=CDKTN_PYTHON)
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args(argv)
    for python, hint in (
        (args.cdktf_python, "make install"),
        (args.cdktn_python, "make cdktn-check"),
    ):
        if not python.exists():
            print(f"error: {python} is missing ({hint} installs it)", file=sys.stderr)
            return 2
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="cdktn-check-"))
    try:
        run = run_check(work, args.vars, args.cdktf_python, args.cdktn_python)
    except (SwapError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"working folder kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    unexplained = [(result.name, d) for result in run.results for d in result.unexplained]
    for name, difference in unexplained:
        print(f"unexplained difference in stack {name}: {difference.describe()}")
    print(result_table(run).markdown())
    seen = {listing.path for result in run.results for listing, _ in result.accepted}
    for listing in listed_differences():
        state = "seen" if listing.path in seen else "not seen"
        print(f"listed: {listing.path} ({state}): {listing.why}")
    versions = ", ".join(f"{name} {version}" for name, version in run.versions.items())
    print(f"versions: {versions}")
    steps = ", ".join(f"{step} {s:.1f} s" for step, s in run.seconds.items())
    print(f"times: {steps}; the whole check {time.monotonic() - started:.0f} s")
    if unexplained:
        print(
            f"FAILED: {len(unexplained)} unexplained differences; the accepted ones are listed "
            f"in listed_differences() of scripts/{Path(__file__).name}"
        )
        return 1
    print(f"OK: {len(run.results)} stacks, the same Terraform JSON but for the listed differences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
