"""Predictions of this checkout against a previous release, digit for digit.

    python tools/compare_release.py [--ref v0.1.0] [--random 200] [--dps 30]
    python tools/compare_release.py --record-notebooks    # refresh tools/notebook_configs.json

The configs: ``examples/*.json``, every config the notebooks pass to ``sc.predict``
(recorded by running their Jupytext sources with ``sc.predict`` wrapped:
``tools/notebook_configs.json``), and ``--random`` configs drawn from a fixed seed over the
three models, the three strategies, λ = 0 and λ > 0, one to three atoms.  The release is
extracted with ``git archive`` into a temporary directory; each tree evaluates every config
in its own process (``sc.predict(config, dps)``), and the parts (test error, Bias, Var, ζ,
and the training errors, df and GCV where given) are compared as their ``dps``-digit strings.  A config refused by both trees counts as
unchanged when the error class is the same (a changed message is listed).  A config whose
digits differ is solved again at dps + 20 and rounded: when this checkout's digits are the
correctly rounded ones the difference is listed as a correction of the release.  Exit
status 1 when this checkout's digits are not the correctly rounded ones, or only one tree
answers.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tools" / "notebook_configs.json"

#: Run in each tree: read configs (JSON, Fractions tagged) on stdin, print the answers.
EVALUATE = r"""
import json, sys
from fractions import Fraction
import mpmath as mp
import symcollapse as sc

def untag(v):
    if isinstance(v, dict) and set(v) == {"fraction"}:
        return Fraction(v["fraction"])
    if isinstance(v, dict):
        return {k: untag(x) for k, x in v.items()}
    if isinstance(v, list):
        return [untag(x) for x in v]
    return v

job = json.load(sys.stdin)
out = []
for cfg in job["configs"]:
    try:
        r = sc.predict(untag(cfg), dps=job["solve_dps"])
    except Exception as e:  # every refusal is recorded, not raised
        out.append({"error": type(e).__name__, "message": str(e).splitlines()[0] if str(e) else ""})
        continue
    def show(v):
        if isinstance(v, list):
            return [show(x) for x in v]
        return mp.nstr(v, job["dps"], strip_zeros=False) if v is not None else None
    out.append({k: show(r[k]) for k in ("test_error", "bias", "variance", "zeta", "train_error",
                                        "train_error_real", "train_error_synthetic", "df", "gcv")
                if k in r})
json.dump(out, sys.stdout)
"""

#: Run a notebook source with sc.predict recording its configs.
RECORD = r"""
import json, sys
from fractions import Fraction
import matplotlib
matplotlib.use("Agg")
import symcollapse as sc

def tag(v):
    if isinstance(v, Fraction):
        return {"fraction": str(v)}
    if isinstance(v, dict):
        return {str(k): tag(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [tag(x) for x in v]
    if hasattr(v, "item"):          # numpy scalars
        return v.item()
    if type(v).__module__.startswith(("mpmath", "sympy")):
        return str(v)
    return v

seen = []
real = sc.predict
def recording(config, *a, **k):
    if isinstance(config, dict):
        seen.append(tag(config))
    return real(config, *a, **k)
sc.predict = recording
src = open(sys.argv[1], encoding="utf-8").read()
try:
    exec(compile(src, sys.argv[1], "exec"), {"__name__": "__main__"})
finally:
    json.dump(seen, open(sys.argv[2], "w"))
"""


def tag(v):
    if isinstance(v, Fraction):
        return {"fraction": str(v)}
    if isinstance(v, dict):
        return {k: tag(x) for k, x in v.items()}
    if isinstance(v, list):
        return [tag(x) for x in v]
    return v


def random_configs(count: int, seed: int = 20261205) -> list:
    """``count`` configs drawn from a fixed seed: models, strategies, λ = 0 and λ > 0,
    one to three atoms, exact (Fraction) values."""
    rng = random.Random(seed)
    q = lambda lo, hi, den=20: Fraction(rng.randint(int(lo * den), int(hi * den)), den)  # noqa: E731
    out = []
    for i in range(count):
        model = ("linear", "random_projection", "random_features")[i % 3]
        strategy = {"linear": rng.choice(("plain", "plain", "weighted", "iterative")),
                    "random_projection": rng.choice(("plain", "plain", "weighted")),
                    "random_features": "plain"}[model]       # what each model answers
        lam = Fraction(0) if model != "random_features" and rng.random() < 0.25 else q(0.01, 1, 100)
        cfg = {"model": model, "strategy": strategy, "phi": q(0.1, 3), "p2": q(0.05, 0.9),
               "lam": lam, "sigma1": q(0, 1), "sigma2": q(0, 1)}
        if model != "linear":
            cfg["psi"] = q(0.1, 3)
        if model == "random_features":
            cfg["activation"] = rng.choice(("relu", "tanh"))
        if strategy == "weighted":
            cfg["alpha"] = q(0.05, 0.95)
        if strategy == "iterative":
            cfg["generations"] = rng.randint(1, 4)
        k = rng.randint(1, 3)
        weights = [Fraction(rng.randint(1, 5)) for _ in range(k)]
        total = sum(weights)
        cfg["atoms"] = [{"weight": w / total, "s1": q(0.1, 3), "s2": q(0.1, 3),
                         "theta": q(0, 2), "delta": q(0, 2)} for w in weights]
        out.append(tag(cfg))
    return out


def example_configs() -> list:
    return [json.loads(p.read_text()) for p in sorted((ROOT / "examples").glob("*.json"))]


def record_notebooks() -> list:
    """Run every notebook source with sc.predict recording (cwd: notebooks/)."""
    configs = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted((ROOT / "notebooks").glob("0*.py")):
            log = Path(tmp) / (src.stem + ".json")
            env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
            r = subprocess.run([sys.executable, "-c", RECORD, str(src), str(log)], cwd=ROOT / "notebooks",
                               env=env, capture_output=True, text=True)
            got = json.loads(log.read_text()) if log.exists() else []
            print(f"{src.name}: {len(got)} predict calls" + ("" if r.returncode == 0 else
                                                              f" (exit {r.returncode}: {r.stderr[-300:]})"))
            configs += got
    unique = list({json.dumps(c, sort_keys=True): c for c in configs}.values())
    RECORDED.write_text(json.dumps(unique, indent=0) + "\n")
    print(f"{len(unique)} distinct configs -> {RECORDED.relative_to(ROOT)}")
    return unique


def evaluate(tree: Path, configs: list, dps: int, reference: int | None = None) -> list:
    """Every config's parts as ``dps``-digit strings, computed at ``reference`` digits when
    given (then rounded to ``dps``: the correctly rounded digits)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    job = {"configs": configs, "dps": dps, "solve_dps": reference or dps}
    r = subprocess.run([sys.executable, "-c", EVALUATE], cwd=tree, env=env, capture_output=True,
                       text=True, input=json.dumps(job))
    if r.returncode != 0:
        raise SystemExit(f"evaluation in {tree} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout)


def release_tree(ref: str, dest: Path) -> Path:
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    path = dest / "release.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(dest / "tree", filter="data")
    return dest / "tree"


def compare(old: list, new: list, names: list) -> dict:
    counts = {"equal": 0, "refused by both": 0, "different": [], "message changed": [], "refused": []}
    for name, a, b in zip(names, old, new):
        if "error" in a or "error" in b:
            if a.get("error") == b.get("error"):
                counts["refused by both"] += 1
                counts["refused"].append((name, a, b))
                if a["message"] != b["message"]:
                    counts["message changed"].append((name, a["message"], b["message"]))
            else:
                counts["different"].append((name, a, b))
        elif a == b:
            counts["equal"] += 1
        else:
            counts["different"].append((name, a, b))
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="v0.1.0", help="the release to compare with (a git ref)")
    ap.add_argument("--random", type=int, default=200, help="number of random configs")
    ap.add_argument("--dps", type=int, default=30)
    ap.add_argument("--record-notebooks", action="store_true",
                    help="run the notebooks' sources and record their predict configs first")
    args = ap.parse_args(argv)
    notebook = record_notebooks() if args.record_notebooks else json.loads(RECORDED.read_text())
    groups = {"examples": example_configs(), "notebooks": notebook,
              "random": random_configs(args.random)}
    configs, names = [], []
    for g, cs in groups.items():
        configs += cs
        names += [f"{g}[{i}]" for i in range(len(cs))]
    with tempfile.TemporaryDirectory() as tmp:
        old = evaluate(release_tree(args.ref, Path(tmp)), configs, args.dps)
    new = evaluate(ROOT, configs, args.dps)
    status = 0
    print(f"predictions at dps = {args.dps}: this checkout against {args.ref}")
    for g in groups:
        idx = [i for i, n in enumerate(names) if n.startswith(g + "[")]
        c = compare([old[i] for i in idx], [new[i] for i in idx], [names[i] for i in idx])
        print(f"  {g:10s} {len(idx):4d} configs: {c['equal']} equal in every part, "
              f"{c['refused by both']} refused by both, {len(c['different'])} different")
        if c["different"]:
            idx_of = {n: i for i, n in enumerate(names)}
            ref = evaluate(ROOT, [configs[idx_of[n]] for n, _a, _b in c["different"]], args.dps,
                           reference=args.dps + 20)
            for (name, a, b), r in zip(c["different"], ref):
                if b == r and a != r:
                    print(f"    corrected {name}: the release's digits {a} | this checkout and "
                          f"dps {args.dps + 20} rounded: {b}")
                else:
                    status = 1
                    print(f"    DIFFERENT {name}: release {a} | this checkout {b} | "
                          f"dps {args.dps + 20} rounded: {r}")
        changed = {}
        for name, a, b in c["message changed"]:
            changed.setdefault((a, b), []).append(name)
        for (a, b), which in changed.items():
            print(f"    message of {len(which)} refusal(s) changed: {a!r} -> {b!r}")
        for name, a, _b in c["refused"]:
            print(f"    refused by both {name}: {a['error']}: {a['message']}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
