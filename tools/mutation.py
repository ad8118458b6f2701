"""Mutation testing of the modules every number passes through (mutmut).

    python tools/mutation.py [MODULE ...] [--jobs N] [--keep] [--resume]
    python tools/mutation.py MODULE --only PATTERN [PATTERN ...]

For each module (default: all of :data:`MODULES`) a scratch copy of the checkout is made
under ``$TMPDIR/symcollapse-mutation/MODULE`` (the working tree, untracked files included,
notebooks' outputs left out), mutmut is configured there to mutate that one file and to
run the test files that cover it (:data:`MODULES`), and ``mutmut run`` generates and
tests every mutant.  The counts per status and the surviving and untested mutants (with
their diffs) are written to ``tests/mutation/MODULE.json``;
``python tools/mutation.py --report`` then assembles ``tests/MUTATION.md`` from those
files and from the reasons in ``tests/mutation/MODULE.equivalent.toml`` (a table
``[equivalent]`` of ``"mutant name" = "why it changes no observable result"``).

Not part of CI: a module takes minutes to an hour.  ``--jobs`` is mutmut's
``--max-children`` (default 2).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "mutation"

#: module → the test files that cover it (run against each of its mutants)
MODULES = {
    "spec": ["tests/test_spec.py", "tests/test_cli.py", "tests/test_mutants_spec.py"],
    "equations": ["tests/test_equations.py", "tests/test_identities.py",
                  "tests/test_mutants_equations.py"],
    "solve": ["tests/test_solve.py", "tests/test_mutants_solve.py"],
    "regimes": ["tests/test_regimes.py", "tests/test_projections.py",
                "tests/test_mutants_regimes.py"],
    "certify": ["tests/test_certify.py", "tests/test_mutants_certify.py"],
    "precision": ["tests/test_mutants_precision.py", "tests/test_solve.py"],
    "pencil_expr": ["tests/test_pencil.py", "tests/test_mutants_pencil_expr.py"],
    "pencil": ["tests/test_pencil.py", "tests/test_mutants_pencil.py"],
    "reduction": ["tests/test_oracles.py", "tests/test_engine_api.py"],
    "one_pass": ["tests/test_one_pass.py"],
}
#: module → its file under symcollapse/ (without ``.py``)
PATHS = {"spec": "core/spec", "equations": "core/equations", "solve": "core/solve",
         "regimes": "core/regimes", "certify": "core/certify", "precision": "core/precision",
         "pencil_expr": "pencil/expr", "pencil": "pencil/linearization",
         "reduction": "pencil/reduction", "one_pass": "core/one_pass"}
STATUS = {"killed", "survived", "no tests", "timeout", "suspicious", "skipped",
          "segfault", "not checked", "check was interrupted by user", "caught by type check"}


def _copy_tree(dest: Path):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split("\n")
    for rel in files:
        if not rel or rel.endswith(".ipynb"):
            continue
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _configure(dest: Path, module: str, tests: list):
    tests = [t for t in tests if (dest / t).exists()]
    cfg = ("\n[tool.mutmut]\n"
           'source_paths = ["symcollapse"]\n'
           f'only_mutate = ["symcollapse/{PATHS[module]}.py"]\n'
           'pytest_add_cli_args = ["-p", "no:xdist", "-o", "addopts=", "-p", '
           '"no:cacheprovider", "-q", "-p", "no:randomly"]\n'
           f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n")
    with open(dest / "pyproject.toml", "a", encoding="utf-8") as fh:
        fh.write(cfg)


def _results(dest: Path) -> dict:
    text = subprocess.run(["mutmut", "results", "--all", "true"], cwd=dest,
                          capture_output=True, text=True).stdout
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if m and m.group(2).strip() in STATUS:
            out[m.group(1)] = m.group(2).strip()
    return out


def _diff(dest: Path, name: str) -> str:
    return subprocess.run(["mutmut", "show", name], cwd=dest, capture_output=True,
                          text=True).stdout.strip()


def run(module: str, jobs: int, keep: bool, resume: bool = False, only=()) -> dict:
    """Run mutmut on one module.  ``only`` (mutant name patterns): in the kept scratch
    copy of an earlier run, refresh the checkout (sources and tests) and test only the
    matching mutants again; the other mutants keep their earlier results."""
    base = Path(tempfile.gettempdir()) / "symcollapse-mutation"
    dest = base / module
    if only:
        if not (dest / "mutants").is_dir():
            raise SystemExit(f"--only needs the scratch copy of an earlier run of {module} "
                             f"(run it with --keep first): {dest} has none")
        _copy_tree(dest)
        _configure(dest, module, MODULES[module])
        (dest / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)  # tests changed
    elif not (resume and (dest / "mutants").is_dir()):
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        _copy_tree(dest)
        _configure(dest, module, MODULES[module])
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    subprocess.run(["mutmut", "run", "--max-children", str(jobs), *only], cwd=dest, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    statuses = _results(dest)
    counts = {}
    for st in statuses.values():
        counts[st] = counts.get(st, 0) + 1
    open_ = {n: {"status": st, "diff": _diff(dest, n)} for n, st in sorted(statuses.items())
             if st not in ("killed", "caught by type check")}
    record = {"module": f"symcollapse/{PATHS[module]}.py", "tests": MODULES[module],
              "counts": counts, "open": open_}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{module}.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    if not keep:
        shutil.rmtree(dest, ignore_errors=True)
    return record


def report() -> str:
    """tests/MUTATION.md from tests/mutation/*.json and equivalent.toml."""
    reasons = {}
    for eq_file in sorted(OUT.glob("*.equivalent.toml")):
        reasons.update(tomllib.loads(eq_file.read_text(encoding="utf-8")).get("equivalent", {}))
    rows, details = [], []
    for module in MODULES:
        path = OUT / f"{module}.json"
        if not path.exists():
            continue
        rec = json.loads(path.read_text(encoding="utf-8"))
        c = rec["counts"]
        total = sum(c.values())
        killed = c.get("killed", 0) + c.get("caught by type check", 0)
        timeout = c.get("timeout", 0)
        open_ = rec["open"]
        equivalent = [n for n in open_ if n in reasons]
        live = [n for n in open_ if n not in reasons and open_[n]["status"] != "timeout"]
        denominator = total - len(equivalent)
        score = (killed + timeout) / denominator if denominator else 1.0
        rows.append(f"| `{rec['module']}` | {total} | {killed} | {len(live)} | {timeout} | "
                    f"{len(equivalent)} | {100 * score:.1f} % |")
        for n in equivalent:
            details.append(f"- `{n}` ({open_[n]['status']}): {reasons[n]}")
        for n in live:
            details.append(f"- `{n}` ({open_[n]['status']}): **open**")
    head = ("# Mutation testing\n\n"
            "Generated by `python tools/mutation.py --report` from the last runs of "
            "`python tools/mutation.py MODULE` (mutmut; each module's mutants run against the "
            "test files listed in `tools/mutation.py`).  Score = (killed + timed out) / "
            "(generated − equivalent); a mutant is equivalent when it changes no observable "
            "result (its reason is listed below).  Timed-out mutants are counted as killed "
            "(the mutation made a test loop).\n\n"
            "| module | generated | killed | survived (not equivalent) | timed out | "
            "equivalent | score |\n|---|---|---|---|---|---|---|\n")
    return head + "\n".join(rows) + "\n\n## Survivors and untested mutants\n\n" + \
        ("\n".join(details) or "None.") + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", metavar="MODULE",
                    help="one of " + ", ".join(MODULES) + " (default: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy")
    ap.add_argument("--resume", action="store_true",
                    help="continue an interrupted run in the kept scratch copy (mutants "
                         "already tested are not run again)")
    ap.add_argument("--only", nargs="+", default=(), metavar="PATTERN",
                    help="test again only the mutants matching these name patterns (e.g. "
                         "'symcollapse.core.solve.x_newton_np*') in the kept scratch copy, "
                         "refreshed from the checkout; one module")
    ap.add_argument("--report", action="store_true", help="write tests/MUTATION.md")
    args = ap.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        ap.error(f"unknown module(s) {', '.join(unknown)}: allowed " + ", ".join(MODULES))
    if args.report:
        (ROOT / "tests" / "MUTATION.md").write_text(report(), encoding="utf-8")
        print("wrote tests/MUTATION.md")
        return 0
    if args.only and len(args.modules) != 1:
        ap.error("--only takes exactly one MODULE")
    for module in args.modules or list(MODULES):
        rec = run(module, args.jobs, args.keep or args.resume or bool(args.only), args.resume,
                  tuple(args.only))
        print(module, json.dumps(rec["counts"]), f"open {len(rec['open'])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
