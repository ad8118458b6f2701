"""Random features through the pencil engine (``symcollapse.pencil.random_features``)
against the exact Monte Carlo of the nonlinear model (``montecarlo_rf.simulate_rf``).

Run ``OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/rf_engine_mc.py [--trials T] [--n N]``.
Per config: the engine's E_test, Bias, Var, ζ beside the Monte Carlo mean ± se of the exact
conditional expectation given (X, S) (and, for E_test, of the per-draw exact test
expectation, ``sampled``).  PASS when |MC − theory| ≤ 3 se + 2 % for E_test (conditional and
sampled); Bias, Var, ζ are shown with their deviations.  min(d, m) ≥ 400 at n = 800.
Exit status 1 when an E_test comparison fails.
"""
from __future__ import annotations

import argparse
import sys
import time

from symcollapse.pencil import random_features as rfm
from symcollapse.simulation.random_features import simulate_rf

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
A2 = [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
      {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 1}]
#: tr Σ1 = 1.25, tr Σ2 = 0.5: different Gaussian-equivalence constants per group.
UNEQUAL = [{"weight": 0.5, "s1": 2, "s2": 0.6, "theta": 1.5, "delta": 0.5},
           {"weight": 0.5, "s1": 0.5, "s2": 0.4, "theta": 0.5, "delta": 1.5}]


def rf(activation, **kw):
    return dict({"model": "random_features", "activation": activation, "sigma1": 0.5,
                 "sigma2": 0.7}, **kw)


CONFIGS = [
    ("relu iso psi=.5 phi=1.5 p2=.5", rf("relu", psi=0.5, phi=1.5, p2=0.5, lam=0.05, atoms=ISO)),
    ("relu A2 psi=2 phi=.5 p2=.1", rf("relu", psi=2, phi=0.5, p2=0.1, lam=0.1, atoms=A2)),
    ("relu trS1!=trS2 psi=.5 phi=1 p2=0", rf("relu", psi=0.5, phi=1, p2=0, lam=0.1, atoms=UNEQUAL)),
    ("tanh iso psi=2 phi=.5 p2=0", rf("tanh", psi=2, phi=0.5, p2=0, lam=0.05, atoms=ISO)),
    ("tanh A2 psi=.5 phi=1 p2=.1", rf("tanh", psi=0.5, phi=1, p2=0.1, lam=0.1, atoms=A2)),
    ("tanh trS1!=trS2 psi=2 phi=.5 p2=.5", rf("tanh", psi=2, phi=0.5, p2=0.5, lam=0.1,
                                              atoms=UNEQUAL)),
    ("relu trS1!=trS2 psi=1.5 phi=.5 p2=.5", rf("relu", psi=1.5, phi=0.5, p2=0.5, lam=0.05,
                                                atoms=UNEQUAL)),
]


def within(mc, se, theory, rel=0.02):
    return abs(mc - theory) <= 3 * se + rel * abs(theory)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--n", type=int, default=800)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    bad = 0
    print(f"n = {args.n}, trials = {args.trials}, tolerance 3 se + 2 % (E_test)")
    print(f"{'config':38s} {'d':>5s} {'m':>5s} {'part':>10s} {'engine':>10s} "
          f"{'MC mean':>10s} {'se':>9s} {'dev %':>7s}")
    for name, cfg in CONFIGS:
        t0 = time.time()
        th = rfm.predict(cfg, dps=20)
        mc = simulate_rf(cfg, args.n, args.trials, args.seed, progress=False)
        rows = [(k, mc["conditional"][k]) for k in ("test_error", "bias", "variance", "zeta")]
        rows.append(("sampled", {"mean": mc["mean"], "se": mc["se"]}))
        for i, (part, r) in enumerate(rows):
            theory = float(th["test_error" if part == "sampled" else part])
            dev = 100 * (r["mean"] / theory - 1) if theory else float("nan")
            flag = ""
            if part in ("test_error", "sampled"):
                ok = within(r["mean"], r["se"], theory)
                bad += not ok
                flag = "PASS" if ok else "FAIL"
            head = (name, str(mc["d"]), str(mc["m"])) if i == 0 else ("", "", "")
            print(f"{head[0]:38s} {head[1]:>5s} {head[2]:>5s} {part:>10s} {theory:10.6f} "
                  f"{r['mean']:10.6f} {r['se']:9.2e} {dev:7.2f} {flag}")
        print(f"{'':38s} ({time.time() - t0:.1f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
