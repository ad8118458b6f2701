"""Run every claim check, print the verdict table, write the report (``symcollapse check``)."""
from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from symcollapse.core import outputs

from . import CLAIMS
from .common import Outcome


def run_claim(name: str, fast: bool, figure_path: Path | None):
    """Evaluate one claim (and draw its figure); an exception is a FAIL with its message."""
    mod = importlib.import_module(f"paper_checks.{name}")
    t = time.perf_counter()
    try:
        out = mod.evaluate(fast=fast)
    except Exception as exc:  # a claim that cannot be computed is not established
        out = Outcome(False, "error", [f"the check raised {type(exc).__name__}: {exc}"])
    if figure_path is not None:
        try:
            mod.figure(out, figure_path)
        except Exception as exc:
            out.passed = False
            out.details.append(f"the figure failed: {type(exc).__name__}: {exc}")
    return mod, out, time.perf_counter() - t


def _table(rows) -> str:
    head = f"{'claim':24s} {'method':18s} {'verdict':7s} {'key number':42s} {'seconds':>7s}"
    lines = [head, "-" * len(head)]
    for name, mod, out, sec in rows:
        method = mod.KIND
        lines.append(f"{name:24s} {method:18s} {out.verdict:7s} {out.key[:42]:42s} {sec:7.1f}")
    return "\n".join(lines)


def _report(rows, fast, total) -> str:
    passed = sum(out.passed for _n, _m, out, _s in rows)
    parts = [f"# symcollapse check: the claims of *Strong Model Collapse*\n",
             f"{passed} of {len(rows)} claims PASS ({'fast' if fast else 'full'} run, {total:.0f} s).  "
             "Each section: the claim, how it is established, the verdict, the numbers and the figure.\n",
             "| claim | method | verdict | key number | seconds |", "|---|---|---|---|---|"]
    for name, mod, out, sec in rows:
        anchor = name.replace("_", "-")
        parts.append(f"| [{name}](#{anchor}) | {mod.KIND} | **{out.verdict}** | {out.key} | {sec:.1f} |")
    for name, mod, out, sec in rows:
        parts += [f"\n## {name}\n", f"**Claim.** {mod.CLAIM}\n", f"**Method.** {mod.METHOD}\n",
                  f"**Verdict: {out.verdict}** ({out.key}; {sec:.1f} s)\n"]
        table = [line for line in out.details if line.startswith("|")]
        text = [line for line in out.details if not line.startswith("|")]
        parts += [f"- {line}" for line in text]
        if table:
            parts += [""] + table
        parts.append(f"\n![{name}]({name}.png)\n")
    return "\n".join(parts) + "\n"


def run_all(out_dir="report", fast=False, stdout=None, stderr=None, names=None) -> int:
    """Run the checks; print the table on ``stdout``; write ``report.md`` and one PNG per
    claim into ``out_dir`` (created if missing).  The claims render into a private
    temporary folder; only when every claim has run are the report's files moved into
    ``out_dir``, each replacing its earlier version whole
    (:func:`symcollapse.core.outputs.replace_file`); nothing else in ``out_dir`` is touched.
    Returns 0 when every claim passes, 1 otherwise."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    target = Path(outputs.check_directory(out_dir))
    names = list(names or CLAIMS)
    rows = []
    t0 = time.perf_counter()
    bar = None
    if stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(total=len(names), desc="check", unit="claim", file=stderr, leave=False)
    with tempfile.TemporaryDirectory(prefix="symcollapse-check-") as scratch:
        scratch = Path(scratch)
        try:
            for name in names:
                if bar is not None:
                    bar.set_postfix_str(name)
                mod, out, sec = run_claim(name, fast, scratch / f"{name}.png")
                rows.append((name, mod, out, sec))
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        total = time.perf_counter() - t0
        (scratch / "report.md").write_text(_report(rows, fast, total), encoding="utf-8")
        outputs.make_directory(target)
        for src in sorted(scratch.iterdir()):
            outputs.replace_file(target / src.name,
                                 lambda tmp, src=src: shutil.copyfile(src, tmp))
    stdout.write(_table(rows) + "\n")
    stdout.write(f"report: {target / 'report.md'}\n")
    return 0 if all(out.passed for _n, _m, out, _s in rows) else 1
