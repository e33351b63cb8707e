"""Synthesis benchmark: our work on top of the cost of loading the provider bindings.

Runs, alternately and ``--rounds`` times each, in fresh Python processes:
- floor: imports exactly the provider submodules the app imports, and exits;
- synth: ``main.py`` synthesizing ``vars/test.tfvars.json`` into a temporary directory;
- every file, one app: ``main.py`` synthesizing every ``vars/*.tfvars.json``, a stack each;
- every file, one process each: ``main.py`` once per vars file, one after the other (times
  added up, the largest peak).
Wall time and peak memory (resident set of the whole process tree: Python plus the jsii
Node.js runtime, sampled every 10 ms) are reported as medians, with their ratio to the floor.
Target: synth within 125% of the floor.
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402  (needs the path above)

PROVIDER_PACKAGES = ("cdktf_cdktf_provider_aws",)


def provider_imports() -> list[str]:
    """The provider submodules that main.py, stack.py and modules/ import."""
    found: set[str] = set()
    for path in [ROOT / "main.py", ROOT / "stack.py", *sorted((ROOT / "modules").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                PROVIDER_PACKAGES
            ):
                found.add(str(node.module))
    return sorted(found)


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak tree RSS (MiB) of one command."""
    start = time.perf_counter()
    process = psutil.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return elapsed, peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--vars-file", default="vars/test.tfvars.json")
    args = parser.parse_args()

    modules = provider_imports()
    circumstances = report.start(
        "synth",
        f"{len(modules)} provider submodules in the floor, {args.rounds} rounds, "
        f"`{args.vars_file}` for synth",
    )
    floor_code = "".join(f"import {m}\n" for m in modules)
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    vars_files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "vars").glob("*.tfvars.json"))
    every_app = f"{len(vars_files)} files, one app"
    every_process = f"{len(vars_files)} files, one process each"
    runs: dict[str, list[tuple[float, float]]] = {
        "floor": [],
        "synth": [],
        every_app: [],
        every_process: [],
    }
    with tempfile.TemporaryDirectory() as outdir:

        def synth(vars_file: str) -> tuple[float, float]:
            synth_env = {**env, "VARS_FILE": vars_file, "CDKTF_OUTDIR": outdir}
            return measure([sys.executable, "main.py"], synth_env)

        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}/{args.rounds}", file=sys.stderr, flush=True)
            runs["floor"].append(measure([sys.executable, "-c", floor_code], env))
            runs["synth"].append(synth(args.vars_file))
            runs[every_app].append(synth(""))
            each = [synth(vars_file) for vars_file in vars_files]
            runs[every_process].append((sum(t for t, _ in each), max(m for _, m in each)))
        for vars_file in vars_files:
            written = Path(outdir, "stacks", Path(vars_file).name.split(".")[0], "cdk.tf.json")
            if not written.is_file():
                raise SystemExit(f"synth wrote no {written}")

    floor_time = statistics.median(t for t, _ in runs["floor"])
    floor_rss = statistics.median(m for _, m in runs["floor"])
    table = report.Table(
        ["process", "wall time (s)", "peak RSS (MiB)", "time / floor", "RSS / floor"]
    )
    for name, samples in runs.items():
        wall = statistics.median(t for t, _ in samples)
        rss = statistics.median(m for _, m in samples)
        table.rows.append(
            [
                name,
                f"{wall:.2f}",
                f"{rss:.0f}",
                f"{wall / floor_time:.2f}",
                f"{rss / floor_rss:.2f}",
            ]
        )
    synth_ratio = statistics.median(t for t, _ in runs["synth"]) / floor_time
    notes = [
        f"{'met' if synth_ratio <= 1.25 else 'MISSED'}: synth within 125% of the floor "
        f"({synth_ratio:.0%})"
    ]
    print()
    print(table.markdown())
    print()
    print("\n".join(notes))
    print(f"recorded in {report.record(circumstances, [table], notes).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
