"""The pencil engine: generated systems against the hand-derived ones, and its timings.

Run ``python benchmarks/pencil_engine.py [--points N]``.  For the linear model (plain,
weighted) and the random projections model (plain anisotropic and isotropic, weighted) the
system that :mod:`symcollapse.pencil.operator_valued` derives from the pencils of
:func:`~symcollapse.pencil.operator_valued.mixture_sources` is solved at N random rational points and its
Bias, Var, ζ and E_test compared with ``sc.predict`` (the hand-derived systems) at 30
digits; then the time from pencil to solved system (anisotropic projections; random
features).  Exit status 1 if a worst relative difference exceeds 1e-29.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import mpmath as mp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import symcollapse as sc  # noqa: E402
from symcollapse.pencil import random_features as RF  # noqa: E402
from symcollapse.pencil.operator_valued import mixture_sources, time_to_system  # noqa: E402
from test_pencil_ov import error_engine, random_configs, rel, solve  # noqa: E402

CASES = [("linear", "plain", False), ("linear", "weighted", False),
         ("random_projection", "plain", False), ("random_projection", "plain", True),
         ("random_projection", "weighted", False)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=20)
    args = ap.parse_args(argv)
    failed = 0
    print("| model | strategy | spectrum | points | unknowns | worst relative difference (E, Bias, Var, ζ) | s |")
    print("|---|---|---|---|---|---|---|")
    for model, strategy, iso in CASES:
        t0 = time.perf_counter()
        engine = error_engine(model, strategy)
        worst = mp.mpf(0)
        for cfg in random_configs(model, strategy, seed=101 + iso, isotropic=iso, points=args.points):
            _, outs = solve(engine, sc.parse(cfg))
            ref = sc.predict(cfg, dps=30)
            for k in ("bias", "variance", "zeta", "test_error"):
                worst = max(worst, rel(outs[k], ref[k]))
        failed += worst > mp.mpf(10) ** -29
        print(f"| {model} | {strategy} | {'isotropic' if iso else '1–3 atoms'} | {args.points} | "
              f"{len(engine.unknowns)} | {mp.nstr(worst, 3)} | {time.perf_counter() - t0:.1f} |")
    A2 = [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
          {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 1}]
    src, outputs, probe = mixture_sources("random_projection")
    cfg = {"model": "random_projection", "phi": 0.7, "psi": 1.7, "p2": 0.3, "lam": 0.1,
           "sigma1": 0.5, "sigma2": 0.7, "atoms": A2}
    from symcollapse.core import equations as eq
    tp = time_to_system(src, outputs, params=eq.mixture_weights("plain"), probe=probe,
                        spec=sc.parse(cfg), dps=30)
    rf_cfg = dict(cfg, model="random_features", activation="relu")
    trf = RF.time_to_system(rf_cfg, dps=30)
    print("\ntime from pencil to solved system (s, this machine, one run):")
    print("  anisotropic projections:", {k: round(v, 2) if isinstance(v, float) else v for k, v in tp.items()})
    print("  random features (relu): ", {k: round(v, 2) if isinstance(v, float) else v for k, v in trf.items()})
    print(f"\n{failed} failure(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
