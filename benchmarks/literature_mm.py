"""Mei & Montanari (arXiv:1908.05355, Definition 1 / Theorem 1) against the encoded random
features statement (tests/oracles/rf_statement.py) on clean data (p2 = 0), Σ1 = I.

    cd /work/main && OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/literature_mm.py [dps]
"""
import pathlib
import sys
import time
from fractions import Fraction as F

import mpmath as mp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from symcollapse.analysis import literature as lit
from oracles.rf_statement import predict_rf  # noqa: E402  (the hand-typed statement)

#: (activation, φ, ψ, λ, r², σ1): ψ and φ on both sides of 1, λ from 1e-3 to 1.
POINTS = [
    ("relu", F(1, 2), F(3, 2), F(1, 10), F(13, 10), F(1, 2)),
    ("relu", F(1, 2), F(1, 4), F(1, 1000), F(1), F(3, 10)),
    ("relu", F(3, 2), F(1, 2), F(1, 100), F(2), F(1, 2)),
    ("relu", F(3, 2), F(3), F(1), F(13, 10), F(1)),
    ("relu", F(2), F(11, 5), F(1, 1000), F(1), F(1, 2)),
    ("relu", F(1, 4), F(4), F(1, 1000), F(1), F(1, 5)),
    ("relu", F(1), F(1), F(1, 1000), F(1), F(1, 2)),
    ("tanh", F(3, 2), F(1, 2), F(1, 1000), F(13, 10), F(1, 2)),
    ("tanh", F(1, 2), F(2), F(1, 10), F(1), F(3, 10)),
    ("tanh", F(2), F(5), F(1, 100), F(1, 2), F(1, 2)),
    ("tanh", F(1, 3), F(1, 2), F(1), F(2), F(1)),
    ("tanh", F(3, 2), F(3, 2), F(1, 1000), F(1), F(1, 2)),
]


def config(act, phi, psi, lam, r2, s1):
    return {"model": "random_features", "activation": act, "phi": phi, "psi": psi, "p2": 0,
            "lam": lam, "sigma1": s1, "sigma2": 0,
            "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": r2, "delta": 0}]}


def compare(point, dps):
    """Relative differences (test error, bias, variance) and both results."""
    cfg = config(*point)
    ours = predict_rf(cfg, dps=dps)
    m = lit.from_config(cfg)
    c = lit.activation_constants(point[0], dps + 10)
    mm = lit.mei_montanari_test_error(m["psi1"], m["psi2"], m["lam"], c["mu1"], c["mustar"],
                                      m["F1sq"], m["tau2"], dps=dps)
    with mp.workdps(dps):
        rel = {a: abs(ours[a] - mm[b]) / abs(ours[a])
               for a, b in (("test_error", "risk"), ("bias", "bias"), ("variance", "variance"))}
    return rel, ours, mm, m


if __name__ == "__main__":
    dps = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    t0 = time.time()
    worst = 0
    print(f"dps = {dps}")
    print("act   phi  psi   lam    | psi1   psi2  lam_MM   | E_test (ours)            "
          "| rel diff E, Bias, Var")
    for p in POINTS:
        rel, ours, mm, m = compare(p, dps)
        worst = max([worst] + list(rel.values()))
        print(f"{p[0]:5} {str(p[1]):4} {str(p[2]):5} {str(p[3]):6} | {str(m['psi1']):6} "
              f"{str(m['psi2']):5} {str(m['lam']):8} | {mp.nstr(ours['test_error'], 22):24} | "
              + ", ".join(mp.nstr(v, 2) for v in rel.values()))
    print(f"worst relative difference {mp.nstr(worst, 3)}; {time.time() - t0:.1f} s")
