"""Random features through the pencil engine (``symcollapse.pencil.random_features``)
against the encoded statement of docs/theory/random-features.md (``tests/oracles/rf_statement.py``),
and, with μ1 = 1, κ = 0, against the random projections model (``sc.predict``).

Run ``OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/rf_engine_vs_reference.py
[--points N] [--dps D]``: N random configs per activation (relu, tanh) with φ, ψ on both
sides of 1, p2 ∈ [0, 0.9] (p2 = 0 in some), λ ∈ [0.01, 1], σ1, σ2 ∈ [0.1, 1], 1–3 atoms
(tr Σ1 ≠ tr Σ2 in most, equal in some).  Prints the worst relative difference of E_test,
Bias, Var and ζ, both sides computed at D + 10 digits; exit status 1 when one exceeds 10^-D.
"""
from __future__ import annotations

import argparse
import random
import pathlib
import sys
import time
from fractions import Fraction as F

import mpmath as mp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
import symcollapse as sc
from oracles.rf_statement import predict_rf  # noqa: E402  (the hand-typed statement)
from symcollapse.pencil import random_features as rfm
from symcollapse.pencil.operator_valued import mixture_sources, time_to_system as ov_time_to_system
from symcollapse.pencil.gaussian_equivalence import LINEAR, group_constants
from symcollapse.core.spec import parse
from symcollapse.core import equations as eq

PARTS = ("test_error", "bias", "variance", "zeta")


def random_configs(activation, seed, points):
    """``points`` random ``random_features`` configs (exact rationals)."""
    rng = random.Random(seed)

    def rf(lo, hi, den=64):
        return F(rng.randint(round(lo * den), round(hi * den)), den)

    out = []
    for i in range(points):
        k = rng.randint(1, 3)
        s1 = [rf(0.2, 3) for _ in range(k)]
        s2 = list(reversed(s1)) if i % 4 == 1 else [rf(0.2, 3) for _ in range(k)]  # equal traces
        atoms = [{"weight": F(1, k), "s1": a, "s2": b, "theta": rf(0.1, 2), "delta": rf(0.1, 2)}
                 for a, b in zip(s1, s2)]
        out.append({"model": "random_features", "activation": activation, "strategy": "plain",
                    "phi": rf(0.2, 3), "psi": rf(0.2, 3),
                    "p2": F(0) if i % 5 == 2 else rf(0, 0.9), "lam": rf(0.01, 1),
                    "sigma1": rf(0.1, 1), "sigma2": rf(0.1, 1), "atoms": atoms})
    return out


def rel(a, b):
    with mp.workdps(60):
        return abs(a - b) / max(abs(b), mp.mpf(10) ** -50)


def worst_against_reference(configs, dps=30):
    """Worst relative difference per part, engine vs the encoded statement."""
    worst = {k: mp.mpf(0) for k in PARTS}
    for cfg in configs:
        a, b = rfm.predict(cfg, dps=dps), predict_rf(cfg, dps=dps)
        for k in PARTS:
            worst[k] = max(worst[k], rel(a[k], b[k]))
    return worst


def worst_without_mu_star(configs, dps=30):
    """Control: the engine with κ = 0 (μ* dropped) against the statement (must differ)."""
    worst = mp.mpf(0)
    for cfg in configs:
        with mp.workdps(dps + 15):
            ge = group_constants(parse(cfg))
        broken = {"mu1": (ge[1]["mu1"], ge[2]["mu1"]), "kappa": (0, 0)}
        a, b = rfm.predict(cfg, dps=dps, constants=broken), predict_rf(cfg, dps=dps)
        worst = max(worst, rel(a["test_error"], b["test_error"]))
    return worst


def worst_against_projections(configs, dps=30):
    """Worst relative difference per part, engine with μ1 = 1, κ = 0 vs ``sc.predict`` of
    the same config as a random projections model."""
    worst = {k: mp.mpf(0) for k in PARTS}
    for cfg in configs:
        proj = {k: v for k, v in cfg.items() if k != "activation"}
        proj["model"] = "random_projection"
        a, b = rfm.predict(cfg, dps=dps, constants=LINEAR), sc.predict(proj, dps=dps)
        for k in PARTS:
            worst[k] = max(worst[k], rel(a[k], b[k]))
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=20)
    ap.add_argument("--dps", type=int, default=30)
    args = ap.parse_args(argv)
    tol, work = mp.mpf(10) ** -args.dps, args.dps + 10
    bad = 0
    print(f"{'comparison':34s} " + " ".join(f"{k:>11s}" for k in PARTS) + "   seconds")
    rows = [(f"relu vs statement ({args.points} pts)",
             lambda: worst_against_reference(random_configs("relu", 1, args.points), work)),
            (f"tanh vs statement ({args.points} pts)",
             lambda: worst_against_reference(random_configs("tanh", 2, args.points), work)),
            (f"mu1=1, kappa=0 vs sc.predict ({args.points})",
             lambda: worst_against_projections(random_configs("relu", 3, args.points), work))]
    for name, run in rows:
        t0 = time.perf_counter()
        worst = run()
        bad += any(v > tol for v in worst.values())
        print(f"{name:34s} " + " ".join(f"{mp.nstr(worst[k], 3):>11s}" for k in PARTS)
              + f"   {time.perf_counter() - t0:7.1f}")
    control = worst_without_mu_star(random_configs("tanh", 2, args.points), work)
    bad += not control > mp.mpf("1e-3")
    print(f"control: engine with kappa = 0 vs statement, worst E_test difference "
          f"{mp.nstr(control, 3)} (must be > 1e-3)")
    t = rfm.time_to_system(random_configs("tanh", 4, 1)[0], dps=args.dps)
    print("time to system (random features): " + ", ".join(
        f"{k} {v:.2f} s" for k, v in t.items() if k not in ("unknowns", "residual"))
        + f"; {t['unknowns']} unknowns, residual {mp.nstr(t['residual'], 3)}")
    src, outputs, probe = mixture_sources("random_projection")
    proj = {k: v for k, v in random_configs("tanh", 4, 1)[0].items() if k != "activation"}
    proj["model"] = "random_projection"
    tp = ov_time_to_system(src, outputs, params=eq.mixture_weights("plain"), probe=probe,
                           spec=parse(proj), dps=args.dps)
    print("time to system (anisotropic projections, pencil_ov): " + ", ".join(
        f"{k} {v:.2f} s" for k, v in tp.items() if k not in ("unknowns", "residual"))
        + f"; {tp['unknowns']} unknowns")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
