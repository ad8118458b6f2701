"""Kinds of synthetic data: theory (symcollapse.studies.kinds, predict) against Monte Carlo of the
finite model at the sample sizes the theory singles out.

Each case is one kind on the staircase base spectrum (kinds.STAIRCASE, c² = 1), evaluated
at d = 400 (random projections: m = 2d = 800) and at n = round(d/φ*) with φ* the derived
takeover (ζ = Bias + Var) or doubling (E = 2·floor) point, or at φ = 1/2.  Printed: the
theory at the realized φ = d/n, the sampled mean ± se, the exact conditional expectation
given X (and S) of each part, deviations in % and whether each is within 3 se + 1 %
(1.5 % for random projections).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=. \\
        python benchmarks/kinds_mc.py [--trials-scale X]
"""
from __future__ import annotations

import argparse
import time
from fractions import Fraction

import mpmath as mp

import symcollapse as sc
from symcollapse.studies import kinds as K

D = 400
RP_BASE = dict(K.BASE_CONFIG, model="random_projection", psi=Fraction(1), lam=Fraction(1, 20))


def cases():
    cat = {g.name: g for g in K.catalogue()}
    return [
        ("top shift, linear ridgeless, at n2", cat["top"], K.BASE_CONFIG, "doubling", 60),
        ("tail shift, linear ridgeless, at n_zeta", cat["tail"], K.BASE_CONFIG, "takeover", 16),
        ("label noise, linear ridgeless, phi=1/2", cat["noise"], K.BASE_CONFIG, None, 150),
        ("tail + covariate(reverse), at n_zeta", cat["tail + covariate (reverse)"], K.BASE_CONFIG,
         "takeover", 100),
        ("even + noise, linear ridgeless, at n_zeta", cat["even (identity) + noise"], K.BASE_CONFIG,
         "takeover", 40),
        ("top shift, random projection m=2d, lam=1/20, at n2", cat["top"], RP_BASE, "doubling", 40),
        ("even shift, random projection m=2d, lam=1/20, at n_zeta", cat["even (identity)"], RP_BASE,
         "takeover", 60),
    ]


def point(gen, base, where):
    cfg = gen.config(base)
    if where is None:
        phi_star = Fraction(cfg["phi"])
    else:
        res = (K.takeover if where == "takeover" else K.doubling)(cfg, dps=20)
        if res["status"] != "solved":
            raise SystemExit(f"{gen.name}: {where} status {res['status']}")
        phi_star = Fraction(mp.nstr(res["phi"], 25))
    n = int(round(D / phi_star))
    phi = Fraction(D, n)
    cfg = dict(cfg, phi=phi)
    if "psi" in base:
        cfg["psi"] = Fraction(base["psi"]) / Fraction(base["phi"]) * phi
    return cfg, n, float(phi_star)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials-scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    print("| case | d | m | n | trials | part | theory | MC (cond.) mean ± se | dev % | ok | MC sampled ± se | dev % | ok |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    all_ok = True
    t0 = time.time()
    for label, gen, base, where, trials in cases():
        cfg, n, phi_star = point(gen, base, where)
        trials = max(4, int(trials * args.trials_scale))
        th = sc.predict(cfg, dps=20)
        mc = sc.simulate(cfg, n=n, trials=trials, seed=args.seed)
        tol = 0.015 if "psi" in cfg else 0.01
        for part in ("test_error", "bias", "variance", "zeta", "bias+var"):
            if part == "bias+var":
                t = float(th["bias"] + th["variance"])
                c = mc["conditional"]
                m = c["bias"]["mean"] + c["variance"]["mean"]
                s = (c["bias"]["se"] ** 2 + c["variance"]["se"] ** 2) ** 0.5  # upper bound ignores +corr
            else:
                t = float(th[part])
                m, s = mc["conditional"][part]["mean"], mc["conditional"][part]["se"]
            dev = (m - t) / t * 100 if t else 0.0
            ok = abs(m - t) <= 3 * s + tol * abs(t) + 1e-15
            all_ok &= ok
            extra = "| | |"
            if part == "test_error":
                ms, ss = mc["mean"], mc["se"]
                oks = abs(ms - t) <= 3 * ss + tol * abs(t)
                all_ok &= oks
                extra = f"{ms:.6g} ± {ss:.2g} | {(ms - t) / t * 100:+.2f} | {'yes' if oks else 'NO'} |"
            print(f"| {label} (φ*={phi_star:.5g}) | {mc['d']} | {mc['m'] or '–'} | {n} | {trials} | {part} | "
                  f"{t:.6g} | {m:.6g} ± {s:.2g} | {dev:+.2f} | {'yes' if ok else 'NO'} | {extra}")
    print(f"\nall within tolerance: {all_ok}   ({time.time() - t0:.0f} s)")
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
