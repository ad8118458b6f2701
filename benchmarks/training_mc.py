"""Training errors: theory (``symcollapse.predict``) against Monte Carlo of the finite model.

Run ``python benchmarks/training_mc.py [--trials T]``.  For each config it prints the
deterministic equivalents of ``train_error``, ``train_error_real``,
``train_error_synthetic`` and ``df`` beside the Monte Carlo mean ± se of the exact
conditional expectation given the design (``symcollapse.simulate``'s ``conditional``),
the deviation, and PASS when |MC − theory| ≤ 3 se + 1 % (linear) / 1.5 % (projections).
Exit status 1 if any comparison fails.  min(d, m) ≥ 400 throughout.
"""
from __future__ import annotations

import argparse
import sys
import time

import symcollapse as sc

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
A2 = [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
      {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 1}]
A3 = [{"weight": 0.2, "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
      {"weight": 0.3, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": 0.5, "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]

CONFIGS = [
    ("L1 linear iso", 800, {"phi": 0.5, "p2": 0.3, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.7, "atoms": ISO}),
    ("L2 linear A2 phi=2", 400, {"phi": 2, "p2": 0.1, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5, "atoms": A2}),
    ("L3 linear A3 lam=1", 800, {"phi": 0.5, "p2": 0.5, "lam": 1, "sigma1": 0.3, "sigma2": 0.8, "atoms": A3}),
    ("L4 linear weighted a=.8", 400, {"strategy": "weighted", "alpha": 0.8, "phi": 1.5, "p2": 0.5,
                                      "lam": 0.05, "sigma1": 0.5, "sigma2": 0.5, "atoms": ISO}),
    ("L5 linear clean p2=0", 600, {"phi": 0.7, "p2": 0, "lam": 0.1, "sigma1": 0.5, "atoms": A2}),
    ("P1 proj iso psi=2", 800, {"model": "random_projection", "psi": 2, "phi": 0.5, "p2": 0.5,
                                "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5, "atoms": ISO}),
    ("P2 proj A2 psi=.5 phi=2", 800, {"model": "random_projection", "psi": 0.5, "phi": 2, "p2": 0.1,
                                      "lam": 0.05, "sigma1": 0.4, "sigma2": 0.6, "atoms": A2}),
    ("P3 proj iso psi=1.5 phi=1", 400, {"model": "random_projection", "psi": 1.5, "phi": 1, "p2": 0.3,
                                        "lam": 0.1, "sigma1": 0.3, "sigma2": 0.6, "atoms": ISO}),
    ("P4 proj weighted A3 a=.7", 800, {"model": "random_projection", "strategy": "weighted", "alpha": 0.7,
                                       "psi": 3, "phi": 0.5, "p2": 0.3, "lam": 0.1, "sigma1": 0.5,
                                       "sigma2": 0.5, "atoms": A3}),
]
KEYS = ("train_error", "train_error_real", "train_error_synthetic", "df")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=16)
    args = ap.parse_args(argv)
    print("| config | d | m | quantity | theory | Monte Carlo | deviation | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    failed = 0
    for name, n, cfg in CONFIGS:
        t0 = time.time()
        th = sc.predict(cfg, dps=20)
        mc = sc.simulate(cfg, n, args.trials, seed=11)
        allow = 0.015 if cfg.get("model") == "random_projection" else 0.01
        for k in KEYS:
            if th[k] is None:
                continue
            m = mc["df"] if k == "df" else mc["conditional"][k]
            v = float(th[k])
            ok = abs(m["mean"] - v) <= 3 * m["se"] + allow * abs(v)
            failed += not ok
            print(f"| {name} | {mc['d']} | {mc['m'] or '-'} | {k} | {v:.6g} | {m['mean']:.6g} ± "
                  f"{m['se']:.2g} | {100 * (m['mean'] / v - 1):+.2f}% | {'PASS' if ok else 'FAIL'} |")
        print(f"<!-- {name}: {time.time() - t0:.1f} s -->", file=sys.stderr)
    print(f"\n{failed} failure(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
